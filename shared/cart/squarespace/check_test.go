package squarespace

import (
	"context"
	"testing"

	"github.com/autosync/autosync/shared/cart/carttest"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
)

// The credential check reads the first page of orders: the simulator
// accepts its key and refuses any other with Squarespace's 401.
func TestCheckCredentials(t *testing.T) {
	ctx := context.Background()
	sim, c := newSim(t, squarespacesim.Options{})
	if err := c.CheckCredentials(ctx); err != nil {
		t.Fatalf("good key: %v", err)
	}
	carttest.RefusedWithReason(t, newClient(t, serve(t, sim), "sqsp_bogus_key").CheckCredentials(ctx), "sqsp_bogus_key")
	sim.SetFaults(squarespacesim.Faults{ServerErrors: 100})
	carttest.Outage(t, c.CheckCredentials(ctx))
}
