package carttest

import (
	"slices"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// Matcher is a connector that answers for one order what its Import
// Orders query would select.
type Matcher interface {
	cart.OrderSource
	cart.OrderFetcher
	cart.StatusMatcher
}

// Importable holds a connector's StatusMatcher to its own query with the
// orders in ids, each fetched by id as a webhook import fetches it (see
// ImportableOrders).
func Importable(t *testing.T, c Matcher, ids []string, lists [][]string) (selected int) {
	t.Helper()
	fetched := make([]cart.Order, len(ids))
	for i, id := range ids {
		o, err := c.Order(t.Context(), id)
		if err != nil {
			t.Fatalf("Order(%s): %v", id, err)
		}
		fetched[i] = o
	}
	return ImportableOrders(t, c, c, fetched, lists)
}

// ImportableOrders holds a StatusMatcher to its connector's query: for
// each statuses list (nil: the defaults), every one of orders awaiting
// fulfillment is Importable exactly when src's Import Orders query with
// those statuses returns it. Of a shipped or cancelled order (a webhook
// import never asks about those) what it carries may not decide the
// answer: Importable may be false where the query selects it, never true
// where it does not. It reports how many (order, list) pairs the query
// selected, so a caller can check the cases were not all alike.
func ImportableOrders(t *testing.T, src cart.OrderSource, m cart.StatusMatcher, orders []cart.Order, lists [][]string) (selected int) {
	t.Helper()
	for _, list := range lists {
		ids := IDs(Orders(t, src, cart.OrderQuery{Statuses: list}))
		for _, o := range orders {
			want := slices.Contains(ids, o.ExternalID)
			got := m.Importable(o, list)
			if got != want && (got || o.Filter == cart.AwaitingFulfillment) {
				t.Errorf("order %s (%s, %q): Importable with statuses %q = %v; the query with them selects it: %v",
					o.ExternalID, o.Filter, o.CartStatus, list, got, want)
			}
			if want {
				selected++
			}
		}
	}
	return selected
}

// StatusCase is one row of a StatusMatcher's table: an order in the
// cart's Status, asked about with Statuses (nil or empty: the defaults).
type StatusCase struct {
	Status   string
	Statuses []string
	Want     bool
}

// StatusTable checks m.Importable of an order in each case's status,
// in the bucket filter puts that status in.
func StatusTable(t *testing.T, m cart.StatusMatcher, filter func(status string) cart.Filter, cases []StatusCase) {
	t.Helper()
	for _, tc := range cases {
		o := cart.Order{ExternalID: "1", CartStatus: tc.Status, Filter: filter(tc.Status)}
		if got := m.Importable(o, tc.Statuses); got != tc.Want {
			t.Errorf("%q with %q: %v, want %v", tc.Status, tc.Statuses, got, tc.Want)
		}
	}
}
