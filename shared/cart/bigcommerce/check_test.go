package bigcommerce

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
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
	refusedWithReason(t, newClient(t, serve(t, sim), "bc_bogus").CheckCredentials(ctx), "bc_bogus")
	sim.SetFaults(bcsim.Faults{ServerErrors: 100})
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
