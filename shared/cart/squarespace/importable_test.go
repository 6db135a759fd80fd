package squarespace

import (
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
)

func TestImportable(t *testing.T) {
	var c Client
	for _, tc := range []struct {
		status   string
		statuses []string
		want     bool
	}{
		{StatusPending, nil, true},
		{StatusPending, []string{}, true},
		{StatusFulfilled, nil, false},
		{StatusCanceled, nil, false},
		{StatusFulfilled, []string{"pending", " fulfilled"}, true},
		{StatusPending, []string{StatusFulfilled}, false},
		// A status Squarespace added since is in no query's statuses.
		{"ON_HOLD", []string{StatusPending}, false},
		// Statuses the query refuses select nothing.
		{StatusPending, []string{StatusPending, "PAID"}, false},
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
	sim, c := newSim(t, squarespacesim.Options{})
	pending := sim.CreateOrder(nil)
	fulfilled, canceled := sim.CreateOrder(nil), sim.CreateOrder(nil)
	if err := sim.FulfillOrder(fulfilled); err != nil {
		t.Fatal(err)
	}
	if err := sim.CancelOrder(canceled); err != nil {
		t.Fatal(err)
	}
	n := carttest.Importable(t, c, []string{pending, fulfilled, canceled},
		[][]string{nil, {StatusFulfilled}, {StatusPending, StatusCanceled}, Statuses()})
	if n != 1+1+2+3 {
		t.Errorf("%d (order, statuses) pairs importable, want 7", n)
	}
}
