package woocommerce

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
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
	refusedWithReason(t, bogus.CheckCredentials(ctx), "cs_bogus_secret")
	sim.SetFaults(woosim.Faults{ServerErrors: 100})
	outage(t, c.CheckCredentials(ctx))
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
