package etsy

import (
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
)

func TestImportable(t *testing.T) {
	var c Client
	awaiting, shipped, cancelled := cart.AwaitingFulfillment, cart.Shipped, cart.Cancelled
	for _, tc := range []struct {
		status   string
		filter   cart.Filter
		statuses []string
		want     bool
	}{
		// The defaults: paid, not shipped, not canceled.
		{"paid", awaiting, nil, true},
		{"partially refunded", awaiting, []string{}, true},
		{"completed", shipped, nil, false},
		{"canceled", cancelled, nil, false},
		// Unpaid receipts read as awaiting fulfillment but are not imported.
		{"open", awaiting, nil, false},
		{"payment processing", awaiting, nil, false},
		{"unknown", awaiting, nil, false},
		// A channel's own filters replace the defaults; a filter not
		// named is not applied.
		{"open", awaiting, []string{"was_paid:false"}, true},
		{"payment processing", awaiting, []string{"WAS_SHIPPED:false", "was_delivered:false"}, true},
		{"completed", shipped, []string{"was_shipped:true", "was_canceled:false"}, true},
		{"paid", awaiting, []string{"was_shipped:true"}, false},
		// What the status and bucket do not decide is not importable.
		{"canceled", cancelled, []string{"was_paid:true"}, false},
		{"completed", shipped, []string{"was_delivered:false"}, false},
		{"some new status", awaiting, []string{"was_canceled:false"}, false},
		// Filters the query refuses select nothing.
		{"paid", awaiting, []string{"was_paid:true", "was_paid:false"}, false},
		{"paid", awaiting, []string{"paid"}, false},
	} {
		o := cart.Order{ExternalID: "1", CartStatus: tc.status, Filter: tc.filter}
		if got := c.Importable(o, tc.statuses); got != tc.want {
			t.Errorf("%q (%s) with %q: %v, want %v", tc.status, tc.filter, tc.statuses, got, tc.want)
		}
	}
}

// TestImportableMatchesQuery holds Importable, for receipts in every
// seeded status, to what the scheduled getShopReceipts filters select.
func TestImportableMatchesQuery(t *testing.T) {
	sim, c := newSim(t, etsysim.Options{})
	sim.Seed(200, 5)
	all := carttest.Orders(t, c, cart.OrderQuery{Statuses: []string{"was_paid:true"}})
	all = append(all, carttest.Orders(t, c, cart.OrderQuery{Statuses: []string{"was_paid:false"}})...)
	if len(all) != 200 {
		t.Fatalf("read %d of 200 receipts", len(all))
	}
	n := carttest.ImportableOrders(t, c, c, all, [][]string{
		nil,
		{"was_paid:false"},
		{"was_shipped:false", "was_delivered:false"},
		{"was_canceled:false", "was_paid:true"},
	})
	if n == 0 {
		t.Error("no receipt is importable")
	}
}
