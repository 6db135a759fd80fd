package shopify

import (
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

func TestImportable(t *testing.T) {
	var c Client
	for _, tc := range []struct {
		status   string // state/financial/fulfillment, as toOrder writes it
		statuses []string
		want     bool
	}{
		// The defaults: open, paid or authorized, not (fully) fulfilled.
		{"open/paid/unfulfilled", nil, true},
		{"open/authorized/partially_fulfilled", []string{}, true},
		// Unpaid orders read as awaiting fulfillment but are not imported.
		{"open/pending/unfulfilled", nil, false},
		{"open/partially_paid/unfulfilled", nil, false},
		{"open/unknown/unfulfilled", nil, false},
		{"open/paid/on_hold", nil, false},
		{"open/paid/in_progress", nil, false}, // a display status no search value names
		{"closed/paid/unfulfilled", nil, false},
		// A channel's own statuses replace the defaults: one value of
		// each field named must hold.
		{"open/pending/unfulfilled", []string{"financial_status:pending"}, true},
		{"closed/pending/fulfilled", []string{"financial_status:PENDING"}, true},
		{"open/paid/on_hold", []string{"status:open", "fulfillment_status:on_hold", "fulfillment_status:unshipped"}, true},
		{"open/paid/partially_fulfilled", []string{"fulfillment_status:unfulfilled"}, true},
		{"open/paid/unfulfilled", []string{"fulfillment_status:partial"}, false},
		{"closed/paid/unfulfilled", []string{"status:not_closed"}, false},
		{"open/paid/unfulfilled", []string{"status:not_closed"}, true},
		{"closed/voided/unfulfilled", []string{"status:any", "financial_status:voided"}, true},
		{"cancelled/voided/unfulfilled", []string{"status:cancelled"}, true},
		// Statuses the query refuses select nothing.
		{"open/paid/unfulfilled", []string{"financial_status:paid", "financial_status:free"}, false},
		{"open/paid/unfulfilled", []string{"paid"}, false},
		// A status toOrder does not write matches nothing.
		{"paid", []string{"financial_status:paid"}, false},
	} {
		o := cart.Order{ExternalID: "1", CartStatus: tc.status, Filter: cart.AwaitingFulfillment}
		if got := c.Importable(o, tc.statuses); got != tc.want {
			t.Errorf("%q with %q: %v, want %v", tc.status, tc.statuses, got, tc.want)
		}
	}
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
