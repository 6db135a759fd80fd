// Package webhook receives carts' webhooks: it checks each cart's signature
// over the raw body exactly as the cart signs it (the cart driver's
// Webhooks.Verify), parses the little it needs (what changed, and the
// cart's id for it), de-duplicates deliveries, and hands the import to the
// executor. A webhook is a signal: the order or product itself is always
// fetched from the cart's API.
package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
)

// Delivery is one verified delivery.
type Delivery = cart.Delivery

// Errors Verify returns.
var (
	// ErrSignature: the signature is missing, malformed or wrong, or the
	// timestamp is outside the window. Nothing may be stored.
	ErrSignature = cart.ErrWebhookSignature
	// ErrPayload: the signature is right but the body is not a delivery.
	ErrPayload = cart.ErrWebhookPayload
	// ErrCart: the cart sends no webhooks Autosync accepts.
	ErrCart = errors.New("cart has no webhooks")
)

// Tolerance is how far a signed timestamp may be from now (Standard
// Webhooks recommends 5 minutes).
const Tolerance = cart.WebhookTolerance

// Verify checks the delivery's signature with secret and parses it.
func Verify(c catalog.Cart, h http.Header, body, secret []byte, now time.Time) (Delivery, error) {
	if len(secret) == 0 {
		return Delivery{}, fmt.Errorf("%w: no secret configured", ErrSignature)
	}
	d, ok := carts.Lookup(c)
	if !ok || d.Webhooks == nil {
		return Delivery{}, ErrCart
	}
	return d.Webhooks.Verify(h, body, secret, now)
}
