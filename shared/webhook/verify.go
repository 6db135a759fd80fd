// Package webhook receives carts' webhooks: it checks each cart's signature
// over the raw body exactly as the cart signs it, parses the little it needs
// (what changed, and the cart's id for it), de-duplicates deliveries, and
// hands the import to the executor. A webhook is a signal: the order or
// product itself is always fetched from the cart's API.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/pattern"
)

// Delivery is one verified delivery.
type Delivery struct {
	// ID is the cart's delivery id, stable across the cart's retries.
	ID string
	// Topic is what changed; empty for a topic Autosync does not act on.
	Topic cart.Topic
	// ResourceID is the cart's id of the order or product.
	ResourceID string
	// Ping is a test delivery (WooCommerce's activation ping): answered,
	// never acted on.
	Ping bool
}

// Errors Verify returns.
var (
	// ErrSignature: the signature is missing, malformed or wrong, or the
	// timestamp is outside the window. Nothing may be stored.
	ErrSignature = errors.New("webhook signature invalid")
	// ErrPayload: the signature is right but the body is not a delivery.
	ErrPayload = errors.New("webhook payload invalid")
	// ErrCart: the cart sends no webhooks Autosync accepts.
	ErrCart = errors.New("cart has no webhooks")
)

// Tolerance is how far a signed timestamp may be from now (Standard
// Webhooks recommends 5 minutes).
const Tolerance = 5 * time.Minute

// Verify checks the delivery's signature with secret and parses it.
func Verify(c catalog.Cart, h http.Header, body, secret []byte, now time.Time) (Delivery, error) {
	if len(secret) == 0 {
		return Delivery{}, fmt.Errorf("%w: no secret configured", ErrSignature)
	}
	switch c {
	case catalog.Shopify:
		return shopify(h, body, secret)
	case catalog.BigCommerce:
		return bigcommerce(h, body, secret, now)
	case catalog.WooCommerce:
		return woocommerce(h, body, secret)
	case catalog.Squarespace:
		return squarespace(h, body, secret)
	}
	return Delivery{}, ErrCart
}

// hmacSHA256 is the MAC every cart here uses.
func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// equalB64 compares a base64 signature with the expected MAC in constant time.
func equalB64(sig string, want []byte) bool {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	return err == nil && hmac.Equal(got, want)
}

// resourceID reads the numeric or string "id" of a JSON object.
func resourceID(raw json.RawMessage) (string, bool) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil && n.String() != "" {
		if _, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
			return n.String(), true
		}
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil && validID(s) {
		return s, true
	}
	return "", false
}

var idRE = pattern.New(`^[A-Za-z0-9_\-:./]{1,128}$`)

func validID(s string) bool { return idRE.MatchString(s) }

// Shopify: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(client secret, body)).
func shopify(h http.Header, body, secret []byte) (Delivery, error) {
	if !equalB64(h.Get("X-Shopify-Hmac-Sha256"), hmacSHA256(secret, body)) {
		return Delivery{}, ErrSignature
	}
	// The event id is the same for every delivery of one event (retries
	// and duplicates alike); the webhook id names one delivery attempt set.
	d := Delivery{ID: h.Get("X-Shopify-Event-Id")}
	if d.ID == "" {
		d.ID = h.Get("X-Shopify-Webhook-Id")
	}
	switch topic := h.Get("X-Shopify-Topic"); {
	case strings.HasPrefix(topic, "orders/"):
		d.Topic = cart.TopicOrders
	case topic == "products/create" || topic == "products/update":
		d.Topic = cart.TopicProducts
	}
	return withResource(d, body)
}

func withResource(d Delivery, body []byte) (Delivery, error) {
	if !validID(d.ID) {
		return Delivery{}, fmt.Errorf("%w: no delivery id", ErrPayload)
	}
	var doc struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return Delivery{}, fmt.Errorf("%w: body is not a JSON object", ErrPayload)
	}
	if d.Topic == "" {
		return d, nil
	}
	id, ok := resourceID(doc.ID)
	if !ok {
		return Delivery{}, fmt.Errorf("%w: no resource id", ErrPayload)
	}
	d.ResourceID = id
	return d, nil
}

// BigCommerce signs with Standard Webhooks: webhook-signature holds
// space-separated "v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>".
// BigCommerce hands the library base64(client secret), so the HMAC key is
// the raw client secret; a "whsec_" secret is the library's own encoding.
func bigcommerce(h http.Header, body, secret []byte, now time.Time) (Delivery, error) {
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || err != nil {
		return Delivery{}, fmt.Errorf("%w: missing webhook-id or webhook-timestamp", ErrSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return Delivery{}, fmt.Errorf("%w: timestamp outside the %s window", ErrSignature, Tolerance)
	}
	key := secret
	if s, ok := strings.CutPrefix(string(secret), "whsec_"); ok {
		if key, err = base64.StdEncoding.DecodeString(s); err != nil {
			return Delivery{}, fmt.Errorf("%w: malformed whsec_ secret", ErrSignature)
		}
	}
	want := hmacSHA256(key, []byte(id+"."+ts+"."+string(body)))
	ok := false
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if v, b64, found := strings.Cut(sig, ","); found && v == "v1" && equalB64(b64, want) {
			ok = true
		}
	}
	if !ok {
		return Delivery{}, ErrSignature
	}
	var doc struct {
		Scope string `json:"scope"`
		Data  struct {
			Type string          `json:"type"`
			ID   json.RawMessage `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return Delivery{}, fmt.Errorf("%w: body is not a JSON object", ErrPayload)
	}
	d := Delivery{ID: id}
	switch {
	case strings.HasPrefix(doc.Scope, "store/order/"):
		d.Topic = cart.TopicOrders
	case doc.Scope == "store/product/created" || doc.Scope == "store/product/updated":
		d.Topic = cart.TopicProducts
	}
	if !validID(d.ID) {
		return Delivery{}, fmt.Errorf("%w: bad webhook-id", ErrPayload)
	}
	if d.Topic != "" {
		rid, ok := resourceID(doc.Data.ID)
		if !ok {
			return Delivery{}, fmt.Errorf("%w: no resource id", ErrPayload)
		}
		d.ResourceID = rid
	}
	return d, nil
}

var wooPing = pattern.New(`^webhook_id=[0-9]{1,20}$`)

// WooCommerce: X-WC-Webhook-Signature = base64(HMAC-SHA256(webhook secret, body)).
func woocommerce(h http.Header, body, secret []byte) (Delivery, error) {
	if h.Get("X-WC-Webhook-Topic") == "" && wooPing.Match(body) {
		// The activation ping (a form body, no topic) carries nothing to act on.
		return Delivery{Ping: true}, nil
	}
	if !equalB64(h.Get("X-WC-Webhook-Signature"), hmacSHA256(secret, body)) {
		return Delivery{}, ErrSignature
	}
	// WooCommerce derives the delivery id from the webhook id and the
	// current second, so two events of one webhook in the same second share
	// it; the body's hash tells them apart while a repeated request (same
	// id, same body) still de-duplicates.
	sum := sha256.Sum256(body)
	d := Delivery{}
	if id := h.Get("X-WC-Webhook-Delivery-ID"); id != "" {
		d.ID = id + ":" + hex.EncodeToString(sum[:8])
	}
	switch h.Get("X-WC-Webhook-Topic") {
	case "order.created", "order.updated":
		d.Topic = cart.TopicOrders
	case "product.created", "product.updated":
		d.Topic = cart.TopicProducts
	}
	return withResource(d, body)
}

// Squarespace: Squarespace-Signature = hex(HMAC-SHA256(hex-decoded secret, body)).
func squarespace(h http.Header, body, secret []byte) (Delivery, error) {
	key, err := hex.DecodeString(string(secret))
	if err != nil {
		return Delivery{}, fmt.Errorf("%w: the subscription secret is not hex", ErrSignature)
	}
	got, err := hex.DecodeString(strings.TrimSpace(h.Get("Squarespace-Signature")))
	if err != nil || !hmac.Equal(got, hmacSHA256(key, body)) {
		return Delivery{}, ErrSignature
	}
	var doc struct {
		ID    string `json:"id"`
		Topic string `json:"topic"`
		Data  struct {
			OrderID json.RawMessage `json:"orderId"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || !validID(doc.ID) {
		return Delivery{}, fmt.Errorf("%w: not a notification", ErrPayload)
	}
	d := Delivery{ID: doc.ID}
	if doc.Topic == "order.create" || doc.Topic == "order.update" {
		d.Topic = cart.TopicOrders
		id, ok := resourceID(doc.Data.OrderID)
		if !ok {
			return Delivery{}, fmt.Errorf("%w: no order id", ErrPayload)
		}
		d.ResourceID = id
	}
	return d, nil
}
