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
