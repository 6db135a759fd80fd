package amazon

import (
	"context"
	"testing"

	"github.com/autosync/autosync/shared/cart/carttest"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

// The credential check exchanges the refresh token and reads one listing:
// the simulator accepts its app and seller, and refuses a bogus refresh
// token at Login with Amazon.
func TestCheckCredentials(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, amazonsim.Options{})
	if err := e.c.CheckCredentials(ctx); err != nil {
		t.Fatalf("good credentials: %v", err)
	}
	carttest.RefusedWithReason(t, e.client(t, Config{RefreshToken: "Atzr|bogus_refresh"}).CheckCredentials(ctx), "bogus_refresh")
	carttest.RefusedWithReason(t, e.client(t, Config{ClientSecret: "bogus_client_secret"}).CheckCredentials(ctx), "bogus_client_secret")
	e.sim.SetFaults(amazonsim.Faults{LWAErrors: 100})
	carttest.Outage(t, e.client(t, Config{}).CheckCredentials(ctx))
}
