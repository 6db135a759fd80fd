package woocommerce

import (
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	woosim "github.com/autosync/autosync/shared/simulator/woocommerce"
)

func TestImportable(t *testing.T) {
	var c Client
	for _, tc := range []struct {
		status   string
		statuses []string
		want     bool
	}{
		// The default: processing, paid and awaiting fulfilment.
		{StatusProcessing, nil, true},
		{StatusProcessing, []string{}, true},
		// Unpaid orders read as awaiting fulfillment but are not imported.
		{StatusPending, nil, false},
		{StatusOnHold, nil, false},
		{"checkout-draft", nil, false},
		// A channel's own statuses replace the default.
		{StatusOnHold, []string{"processing", "On-Hold"}, true},
		{StatusProcessing, []string{"on-hold"}, false},
		{"shipped-to-depot", []string{"wc-shipped-to-depot"}, true}, // a plugin's status
		{StatusPending, []string{"any"}, true},
		{"trash", []string{"any"}, false},
		{"checkout-draft", []string{"any"}, false},
		// Statuses the query refuses select nothing.
		{StatusProcessing, []string{"processing", "not a status"}, false},
	} {
		o := cart.Order{ExternalID: "1", CartStatus: tc.status, Filter: StatusFilter(tc.status)}
		if got := c.Importable(o, tc.statuses); got != tc.want {
			t.Errorf("%q with %q: %v, want %v", tc.status, tc.statuses, got, tc.want)
		}
	}
}

// TestImportableMatchesQuery fetches an order in every status, as a
// webhook import does, and holds Importable to what the scheduled query
// selects.
func TestImportableMatchesQuery(t *testing.T) {
	sim, c := newSim(t, woosim.Options{})
	all := append(Statuses(), "checkout-draft")
	var ids []string
	for _, status := range all {
		id := sim.CreateOrder([]cart.Line{{SKU: sim.SKUs()[0], Quantity: 1}})
		if err := sim.SetOrderStatus(id, status); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	n := carttest.Importable(t, c, ids, [][]string{nil, {"pending", "on-hold"}, {"any"}, all})
	if want := 1 + 2 + len(Statuses()) + len(all); n != want {
		t.Errorf("%d (order, statuses) pairs importable, want %d", n, want)
	}
}
