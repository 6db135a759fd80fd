package bigcommerce

import (
	"context"
	"testing"

	"github.com/autosync/autosync/shared/cart/carttest"
	bcsim "github.com/autosync/autosync/shared/simulator/bigcommerce"
)

// The credential check reads one order: the simulator accepts its token
// and refuses any other with BigCommerce's 401.
func TestCheckCredentials(t *testing.T) {
	ctx := context.Background()
	sim, c := newSim(t, bcsim.Options{})
	if err := c.CheckCredentials(ctx); err != nil {
		t.Fatalf("good token: %v", err)
	}
	carttest.RefusedWithReason(t, newClient(t, serve(t, sim), "bc_bogus").CheckCredentials(ctx), "bc_bogus")
	sim.SetFaults(bcsim.Faults{ServerErrors: 100})
	carttest.Outage(t, c.CheckCredentials(ctx))
}
