package shopify

import (
	"context"
	"testing"

	"github.com/autosync/autosync/shared/cart/carttest"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

// The credential check is one cheap read: the simulator accepts the
// token it was given and refuses any other with Shopify's 401.
func TestCheckCredentials(t *testing.T) {
	ctx := context.Background()
	sim, c := newSim(t, shopifysim.Options{})
	if err := c.CheckCredentials(ctx); err != nil {
		t.Fatalf("good token: %v", err)
	}
	url := serve(t, sim)
	carttest.RefusedWithReason(t, newClient(t, url, "shpat_bogus").CheckCredentials(ctx), "shpat_bogus")
	sim.SetFaults(shopifysim.Faults{ServerErrors: 100})
	carttest.Outage(t, c.CheckCredentials(ctx))
}
