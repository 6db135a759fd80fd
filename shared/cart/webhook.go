package cart

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/pattern"
)

// Delivery is one verified webhook delivery.
type Delivery struct {
	// ID is the cart's delivery id, stable across the cart's retries.
	ID string
	// Topic is what changed; empty for a topic Autosync does not act on.
	Topic Topic
	// ResourceID is the cart's id of the order or product.
	ResourceID string
	// Ping is a test delivery (WooCommerce's activation ping): answered,
	// never acted on.
	Ping bool
	// Uninstalled is the cart's notice that the app was removed from the
	// store (Squarespace's extension.uninstall). Acted on by asking the
	// cart, which refuses Autosync's authorization if it is true.
	Uninstalled bool
}

// Errors a driver's webhook Verify returns.
var (
	// ErrWebhookSignature: the signature is missing, malformed or wrong, or
	// the timestamp is outside the window. Nothing may be stored.
	ErrWebhookSignature = errors.New("webhook signature invalid")
	// ErrWebhookPayload: the signature is right but the body is not a
	// delivery.
	ErrWebhookPayload = errors.New("webhook payload invalid")
)

// WebhookTolerance is how far a signed timestamp may be from now (Standard
// Webhooks recommends 5 minutes).
const WebhookTolerance = 5 * time.Minute

// HMACSHA256 is the MAC every cart here signs webhooks with.
func HMACSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// EqualBase64 compares a base64 signature with the expected MAC in
// constant time.
func EqualBase64(sig string, want []byte) bool {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	return err == nil && hmac.Equal(got, want)
}

// WebhookResourceID reads the numeric or string "id" of a JSON object.
func WebhookResourceID(raw json.RawMessage) (string, bool) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil && n.String() != "" {
		if _, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
			return n.String(), true
		}
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil && ValidWebhookID(s) {
		return s, true
	}
	return "", false
}

var webhookIDRE = pattern.New(`^[A-Za-z0-9_\-:./]{1,128}$`)

// ValidWebhookID reports whether s may be stored as a delivery or
// resource id.
func ValidWebhookID(s string) bool { return webhookIDRE.MatchString(s) }

// WithWebhookResource checks d's delivery id and, for a topic Autosync acts
// on, sets its resource id from the body's top-level "id".
func WithWebhookResource(d Delivery, body []byte) (Delivery, error) {
	if !ValidWebhookID(d.ID) {
		return Delivery{}, fmt.Errorf("%w: no delivery id", ErrWebhookPayload)
	}
	var doc struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return Delivery{}, fmt.Errorf("%w: body is not a JSON object", ErrWebhookPayload)
	}
	if d.Topic == "" {
		return d, nil
	}
	id, ok := WebhookResourceID(doc.ID)
	if !ok {
		return Delivery{}, fmt.Errorf("%w: no resource id", ErrWebhookPayload)
	}
	d.ResourceID = id
	return d, nil
}
