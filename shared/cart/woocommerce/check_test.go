package woocommerce

import (
	"context"
	"testing"

	"github.com/autosync/autosync/shared/cart/carttest"
	woosim "github.com/autosync/autosync/shared/simulator/woocommerce"
)

// The credential check reads one product id: the simulator accepts its
// keys and refuses others with WooCommerce's 401.
func TestCheckCredentials(t *testing.T) {
	ctx := context.Background()
	sim, c := newSim(t, woosim.Options{})
	if err := c.CheckCredentials(ctx); err != nil {
		t.Fatalf("good keys: %v", err)
	}
	bogus := newClient(t, serve(t, sim), Config{ConsumerKey: "ck_bogus", ConsumerSecret: "cs_bogus_secret"})
	carttest.RefusedWithReason(t, bogus.CheckCredentials(ctx), "cs_bogus_secret")
	sim.SetFaults(woosim.Faults{ServerErrors: 100})
	carttest.Outage(t, c.CheckCredentials(ctx))
}
