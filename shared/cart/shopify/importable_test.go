package shopify

import (
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

func TestImportable(t *testing.T) {
	// Statuses are state/financial/fulfillment, as toOrder writes it.
	carttest.StatusTable(t, &Client{}, func(string) cart.Filter { return cart.AwaitingFulfillment }, []carttest.StatusCase{
		// The defaults: open, paid or authorized, not (fully) fulfilled.
		{Status: "open/paid/unfulfilled", Want: true},
		{Status: "open/authorized/partially_fulfilled", Statuses: []string{}, Want: true},
		// Unpaid orders read as awaiting fulfillment but are not imported.
		{Status: "open/pending/unfulfilled", Want: false},
		{Status: "open/partially_paid/unfulfilled", Want: false},
		{Status: "open/unknown/unfulfilled", Want: false},
		{Status: "open/paid/on_hold", Want: false},
		{Status: "open/paid/in_progress", Want: false}, // a display status no search value names
		{Status: "closed/paid/unfulfilled", Want: false},
		// A channel's own statuses replace the defaults: one value of
		// each field named must hold.
		{Status: "open/pending/unfulfilled", Statuses: []string{"financial_status:pending"}, Want: true},
		{Status: "closed/pending/fulfilled", Statuses: []string{"financial_status:PENDING"}, Want: true},
		{Status: "open/paid/on_hold", Statuses: []string{"status:open", "fulfillment_status:on_hold", "fulfillment_status:unshipped"}, Want: true},
		{Status: "open/paid/partially_fulfilled", Statuses: []string{"fulfillment_status:unfulfilled"}, Want: true},
		{Status: "open/paid/unfulfilled", Statuses: []string{"fulfillment_status:partial"}, Want: false},
		{Status: "closed/paid/unfulfilled", Statuses: []string{"status:not_closed"}, Want: false},
		{Status: "open/paid/unfulfilled", Statuses: []string{"status:not_closed"}, Want: true},
		{Status: "closed/voided/unfulfilled", Statuses: []string{"status:any", "financial_status:voided"}, Want: true},
		{Status: "cancelled/voided/unfulfilled", Statuses: []string{"status:cancelled"}, Want: true},
		// Statuses the query refuses select nothing.
		{Status: "open/paid/unfulfilled", Statuses: []string{"financial_status:paid", "financial_status:free"}, Want: false},
		{Status: "open/paid/unfulfilled", Statuses: []string{"paid"}, Want: false},
		// A status toOrder does not write matches nothing.
		{Status: "paid", Statuses: []string{"financial_status:paid"}, Want: false},
	})
}

// TestImportableMatchesQuery fetches orders in every seeded status, as a
// webhook import does, and holds Importable to what the scheduled search
// selects.
func TestImportableMatchesQuery(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{})
	sim.Seed(150, 3)
	var ids []string
	for _, o := range sim.Orders() {
		ids = append(ids, o.ID)
	}
	n := carttest.Importable(t, c, ids, [][]string{
		nil,
		{"financial_status:pending", "financial_status:partially_paid"},
		{"status:not_closed", "fulfillment_status:on_hold", "fulfillment_status:unfulfilled"},
		{"status:closed", "financial_status:paid", "fulfillment_status:shipped"},
		{"status:any"},
	})
	if want := len(sim.Importable()); n <= want {
		t.Errorf("%d (order, statuses) pairs importable: want more than the %d the defaults alone select", n, want)
	}
}
