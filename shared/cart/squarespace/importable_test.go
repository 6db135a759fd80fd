package squarespace

import (
	"testing"

	"github.com/autosync/autosync/shared/cart/carttest"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
)

func TestImportable(t *testing.T) {
	carttest.StatusTable(t, &Client{}, StatusFilter, []carttest.StatusCase{
		{Status: StatusPending, Want: true},
		{Status: StatusPending, Statuses: []string{}, Want: true},
		{Status: StatusFulfilled, Want: false},
		{Status: StatusCanceled, Want: false},
		{Status: StatusFulfilled, Statuses: []string{"pending", " fulfilled"}, Want: true},
		{Status: StatusPending, Statuses: []string{StatusFulfilled}, Want: false},
		// A status Squarespace added since is in no query's statuses.
		{Status: "ON_HOLD", Statuses: []string{StatusPending}, Want: false},
		// Statuses the query refuses select nothing.
		{Status: StatusPending, Statuses: []string{StatusPending, "PAID"}, Want: false},
	})
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
