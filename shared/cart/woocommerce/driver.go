package woocommerce

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/pattern"
)

// Driver is what Autosync knows about WooCommerce (see cart.Driver).
var Driver = cart.Driver{
	ID:              "woocommerce",
	Label:           "WooCommerce",
	Validate:        validateChannel,
	New:             newConnector,
	Statuses:        Statuses,
	DefaultStatuses: DefaultStatuses,
	Offers: cart.AutoOffers("WooCommerce", catalog.ImportOrders, catalog.WriteInventory, catalog.ImportProducts,
		catalog.InstasyncOrders, catalog.InstasyncProducts),
	Webhooks: &cart.Webhooks{
		Scheme: "X-WC-Webhook-Signature: base64(HMAC-SHA256(webhook secret, body)); delivery id X-WC-Webhook-Delivery-ID plus a hash of the body",
		Verify: verifyDelivery,
		Topics: []cart.Topic{cart.TopicOrders, cart.TopicProducts},
	},
	Limits: cart.Limits{
		RateLimit:  "None in WooCommerce core (hosts and WAFs add one): the client sends as fast as the store answers, honouring 429 and Retry-After.",
		StockBatch: perPage,
	},
	Connect: connect,
}

func validateChannel(cfg cart.Config, creds cart.Credentials) []cart.Problem {
	var ps []cart.Problem
	if u, err := url.Parse(cfg["store_url"]); err != nil || u.Scheme != "https" || u.Host == "" {
		ps = append(ps, cart.Problem{Field: "config.store_url", Message: "Enter the store's https address, like https://shop.example."})
	}
	if creds["consumer_key"] == "" || creds["consumer_secret"] == "" {
		ps = append(ps, cart.Problem{Field: "credentials", Message: "A REST API consumer key and consumer secret are required."})
	}
	return ps
}

func newConnector(b cart.Build) (cart.Connector, error) {
	base := b.Config["store_url"]
	if a := b.Config["api_base"]; a != "" {
		base = a
	}
	return cart.Built(New(Config{
		BaseURL: base, ConsumerKey: b.Credentials["consumer_key"], ConsumerSecret: b.Credentials["consumer_secret"], HTTPClient: b.HTTPClient,
	}))
}

var wooPing = pattern.New(`^webhook_id=[0-9]{1,20}$`)

// verifyDelivery: X-WC-Webhook-Signature = base64(HMAC-SHA256(webhook
// secret, body)).
func verifyDelivery(h http.Header, body, secret []byte, _ time.Time) (cart.Delivery, error) {
	if h.Get("X-WC-Webhook-Topic") == "" && wooPing.Match(body) {
		// The activation ping (a form body, no topic) carries nothing to act on.
		return cart.Delivery{Ping: true}, nil
	}
	if !cart.EqualBase64(h.Get("X-WC-Webhook-Signature"), cart.HMACSHA256(secret, body)) {
		return cart.Delivery{}, cart.ErrWebhookSignature
	}
	// WooCommerce derives the delivery id from the webhook id and the
	// current second, so two events of one webhook in the same second share
	// it; the body's hash tells them apart while a repeated request (same
	// id, same body) still de-duplicates.
	sum := sha256.Sum256(body)
	d := cart.Delivery{}
	if id := h.Get("X-WC-Webhook-Delivery-ID"); id != "" {
		d.ID = id + ":" + hex.EncodeToString(sum[:8])
	}
	switch h.Get("X-WC-Webhook-Topic") {
	case "order.created", "order.updated":
		d.Topic = cart.TopicOrders
	case "product.created", "product.updated":
		d.Topic = cart.TopicProducts
	}
	return cart.WithWebhookResource(d, body)
}
