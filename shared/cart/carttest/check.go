package carttest

import (
	"errors"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// RefusedWithReason asserts err is the cart refusing the credentials, with
// a merchant-readable reason that does not repeat the secret: what every
// connector's CheckCredentials answers for credentials the cart refuses.
func RefusedWithReason(t testing.TB, err error, secret string) {
	t.Helper()
	var ce *cart.Error
	if !errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || ce.Message == "" {
		t.Fatalf("bogus credentials: %v; want cart.ErrAuth with a reason", err)
	}
	if strings.Contains(ce.Message, secret) || strings.Contains(err.Error(), secret) {
		t.Fatalf("the refusal repeats the secret: %v", err)
	}
}

// Outage asserts err is a failure to ask the cart, not a refusal: what a
// credential check answers while the cart is down.
func Outage(t testing.TB, err error) {
	t.Helper()
	var ce *cart.Error
	if err == nil || errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || !ce.Temporary {
		t.Fatalf("cart outage: %v; want a temporary *cart.Error", err)
	}
}
