package squarespace

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
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
	refusedWithReason(t, newClient(t, serve(t, sim), "sqsp_bogus_key").CheckCredentials(ctx), "sqsp_bogus_key")
	sim.SetFaults(squarespacesim.Faults{ServerErrors: 100})
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
