package amazon

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
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
	refusedWithReason(t, e.client(t, Config{RefreshToken: "Atzr|bogus_refresh"}).CheckCredentials(ctx), "bogus_refresh")
	refusedWithReason(t, e.client(t, Config{ClientSecret: "bogus_client_secret"}).CheckCredentials(ctx), "bogus_client_secret")
	e.sim.SetFaults(amazonsim.Faults{LWAErrors: 100})
	outage(t, e.client(t, Config{}).CheckCredentials(ctx))
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
