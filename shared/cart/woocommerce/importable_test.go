package woocommerce

import (
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	woosim "github.com/autosync/autosync/shared/simulator/woocommerce"
)

func TestImportable(t *testing.T) {
	carttest.StatusTable(t, &Client{}, StatusFilter, []carttest.StatusCase{
		// The default: processing, paid and awaiting fulfilment.
		{Status: StatusProcessing, Want: true},
		{Status: StatusProcessing, Statuses: []string{}, Want: true},
		// Unpaid orders read as awaiting fulfillment but are not imported.
		{Status: StatusPending, Want: false},
		{Status: StatusOnHold, Want: false},
		{Status: "checkout-draft", Want: false},
		// A channel's own statuses replace the default.
		{Status: StatusOnHold, Statuses: []string{"processing", "On-Hold"}, Want: true},
		{Status: StatusProcessing, Statuses: []string{"on-hold"}, Want: false},
		{Status: "shipped-to-depot", Statuses: []string{"wc-shipped-to-depot"}, Want: true}, // a plugin's status
		{Status: StatusPending, Statuses: []string{"any"}, Want: true},
		{Status: "trash", Statuses: []string{"any"}, Want: false},
		{Status: "checkout-draft", Statuses: []string{"any"}, Want: false},
		// Statuses the query refuses select nothing.
		{Status: StatusProcessing, Statuses: []string{"processing", "not a status"}, Want: false},
	})
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
