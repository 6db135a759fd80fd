package etsy

import (
	"context"
	"testing"

	"github.com/autosync/autosync/shared/cart/carttest"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
)

// The credential check reads one receipt of the shop: the simulator
// accepts its token, renews an expired one with the refresh token (saving
// the new pair), and refuses a bogus token whose refresh fails too.
func TestCheckCredentials(t *testing.T) {
	ctx := context.Background()
	sim, c := newSim(t, etsysim.Options{})
	if err := c.CheckCredentials(ctx); err != nil {
		t.Fatalf("good token: %v", err)
	}
	url := serve(t, sim)
	carttest.RefusedWithReason(t, newClient(t, url, Config{APIKey: apiKey, SharedSecret: secret, Token: "1.bogus_token"}).CheckCredentials(ctx), "bogus_token")
	carttest.RefusedWithReason(t, newClient(t, url, Config{APIKey: apiKey, SharedSecret: secret, Token: "1.bogus_token", RefreshToken: "1.bogus_refresh"}).CheckCredentials(ctx), "bogus_refresh")
	sim.SetFaults(etsysim.Faults{ServerErrors: 100})
	carttest.Outage(t, c.CheckCredentials(ctx))

	// A stale access token with a good refresh token passes, and the
	// rotated pair is handed over to be saved.
	clk := startClock()
	sv := &saver{}
	osim, oc := oauthSim(t, clk, sv, Config{Token: "12345678.stale_token"})
	if err := oc.CheckCredentials(ctx); err != nil {
		t.Fatalf("stale token with refresh token: %v", err)
	}
	if got := sv.saved(); len(got) != 1 || got[0].Access != osim.AccessToken() || got[0].Refresh != osim.RefreshToken() {
		t.Fatalf("renewed tokens handed over: %+v", got)
	}
}
