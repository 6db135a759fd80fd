package shopify

import (
	"net/http"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/pattern"
)

// Driver is what Autosync knows about Shopify (see cart.Driver).
var Driver = cart.Driver{
	ID:              "shopify",
	Label:           "Shopify",
	Validate:        validateChannel,
	New:             newConnector,
	Statuses:        Statuses,
	DefaultStatuses: DefaultStatuses,
	Offers: cart.AutoOffers("Shopify", catalog.ImportOrders, catalog.WriteInventory, catalog.ImportProducts,
		catalog.ImportProductImages, catalog.InstasyncOrders, catalog.InstasyncProducts),
	Webhooks: &cart.Webhooks{
		Scheme: "X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(app client secret, body)); delivery id X-Shopify-Event-Id",
		Verify: verifyDelivery,
		Topics: []cart.Topic{cart.TopicOrders, cart.TopicProducts},

		ClientSecretSigned: true,
	},
	Limits: cart.Limits{
		RateLimit:  "GraphQL query cost: a leaky bucket of points per shop (size and restore rate from each response's throttleStatus); the client waits until the bucket holds a query's requested cost.",
		StockBatch: maxStockBatch,
	},
	Connect: connect,
}

var shopDomain = pattern.New(`^[a-z0-9][a-z0-9-]{0,60}\.myshopify\.com$`)

func validateChannel(cfg cart.Config, creds cart.Credentials) []cart.Problem {
	var ps []cart.Problem
	if !shopDomain.MatchString(cfg["shop"]) {
		ps = append(ps, cart.Problem{Field: "config.shop", Message: "Enter the store's myshopify.com domain, like example.myshopify.com."})
	}
	if creds["access_token"] == "" {
		ps = append(ps, cart.Problem{Field: "credentials.access_token", Message: "An Admin API access token is required."})
	}
	return ps
}

func newConnector(b cart.Build) (cart.Connector, error) {
	return cart.Built(New(Config{
		Shop: b.Config["shop"], BaseURL: b.Config["api_base"],
		AccessToken: b.Credentials["access_token"], HTTPClient: b.HTTPClient,
	}))
}

// verifyDelivery: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(client
// secret, body)).
func verifyDelivery(h http.Header, body, secret []byte, _ time.Time) (cart.Delivery, error) {
	if !cart.EqualBase64(h.Get("X-Shopify-Hmac-Sha256"), cart.HMACSHA256(secret, body)) {
		return cart.Delivery{}, cart.ErrWebhookSignature
	}
	// The event id is the same for every delivery of one event (retries
	// and duplicates alike); the webhook id names one delivery attempt set.
	d := cart.Delivery{ID: h.Get("X-Shopify-Event-Id")}
	if d.ID == "" {
		d.ID = h.Get("X-Shopify-Webhook-Id")
	}
	switch topic := h.Get("X-Shopify-Topic"); {
	case strings.HasPrefix(topic, "orders/"):
		d.Topic = cart.TopicOrders
	case topic == "products/create" || topic == "products/update":
		d.Topic = cart.TopicProducts
	}
	return cart.WithWebhookResource(d, body)
}
