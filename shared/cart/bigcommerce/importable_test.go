package bigcommerce

import (
	"strconv"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	bcsim "github.com/autosync/autosync/shared/simulator/bigcommerce"
)

func TestImportable(t *testing.T) {
	var c Client
	order := func(status int) cart.Order {
		return cart.Order{ExternalID: "1", CartStatus: statusNames[status], Filter: filterFor(status, flexInt{}, flexInt{})}
	}
	for _, tc := range []struct {
		status   int
		statuses []string
		want     bool
	}{
		// The defaults: paid and not yet shipped.
		{11, nil, true},
		{9, nil, true},
		{8, []string{}, true},
		// Unpaid orders read as awaiting fulfillment but are not imported.
		{0, nil, false}, // Incomplete: the shopper never paid
		{1, nil, false},
		{7, nil, false},
		{12, nil, false},
		{3, nil, false},
		// A channel's own statuses replace the defaults.
		{7, []string{"7"}, true},
		{11, []string{"7"}, false},
		{0, []string{" 0", "11"}, true},
		// Statuses the query refuses select nothing.
		{11, []string{"11", "99"}, false},
		{11, []string{"x"}, false},
	} {
		if got := c.Importable(order(tc.status), tc.statuses); got != tc.want {
			t.Errorf("status %d (%s) with %q: %v, want %v", tc.status, statusNames[tc.status], tc.statuses, got, tc.want)
		}
	}
	// A status id BigCommerce added since is in no query's statuses.
	if c.Importable(cart.Order{CartStatus: "Status 20", Filter: cart.AwaitingFulfillment}, nil) {
		t.Error("an unknown status id is importable")
	}
}

// TestImportableMatchesQuery fetches an order in every status, as a
// webhook import does, and holds Importable to what the scheduled query
// selects.
func TestImportableMatchesQuery(t *testing.T) {
	sim, c := newSim(t, bcsim.Options{})
	var ids []string
	for status := range statusNames {
		id := sim.CreateOrder(nil)
		if err := sim.SetOrderStatus(id, status); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	var every []string
	for status := range statusNames {
		every = append(every, strconv.Itoa(status))
	}
	n := carttest.Importable(t, c, ids, [][]string{nil, {"0", "1", "7"}, {"3", "13", "14"}, every})
	if want := 3 + 3 + 3 + len(statusNames); n != want {
		t.Errorf("%d (order, statuses) pairs importable, want %d", n, want)
	}
}
