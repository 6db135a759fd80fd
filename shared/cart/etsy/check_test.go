package etsy

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
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
	refusedWithReason(t, newClient(t, url, Config{APIKey: apiKey, SharedSecret: secret, Token: "1.bogus_token"}).CheckCredentials(ctx), "bogus_token")
	refusedWithReason(t, newClient(t, url, Config{APIKey: apiKey, SharedSecret: secret, Token: "1.bogus_token", RefreshToken: "1.bogus_refresh"}).CheckCredentials(ctx), "bogus_refresh")
	sim.SetFaults(etsysim.Faults{ServerErrors: 100})
	outage(t, c.CheckCredentials(ctx))

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

// refusedWithReason asserts err is the cart refusing the credentials, with
// a merchant-readable reason that does not repeat the secret.
func refusedWithReason(t *testing.T, err error, secret string) {
	t.Helper()
	var ce *cart.Error
	if !errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || ce.Message == "" {
		t.Fatalf("bogus credentials: %v; want cart.ErrAuth with a reason", err)
	}
	if strings.Contains(ce.Message, secret) || strings.Contains(err.Error(), secret) {
		t.Fatalf("the refusal repeats the secret: %v", err)
	}
}

// outage asserts err is a failure to ask the cart, not a refusal.
func outage(t *testing.T, err error) {
	t.Helper()
	var ce *cart.Error
	if err == nil || errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || !ce.Temporary {
		t.Fatalf("cart outage: %v; want a temporary *cart.Error", err)
	}
}
