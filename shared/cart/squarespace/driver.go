package squarespace

import (
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
)

// Driver is what Autosync knows about Squarespace (see cart.Driver).
// Squarespace notifies orders only, so products have no instasync.
var Driver = cart.Driver{
	ID:              "squarespace",
	Label:           "Squarespace",
	Validate:        validateChannel,
	New:             newConnector,
	Statuses:        Statuses,
	DefaultStatuses: DefaultStatuses,
	Offers: cart.AutoOffers("Squarespace", catalog.ImportOrders, catalog.WriteInventory, catalog.ImportProducts,
		catalog.ImportProductImages, catalog.InstasyncOrders),
	Webhooks: &cart.Webhooks{
		Scheme: "Squarespace-Signature: hex(HMAC-SHA256(hex-decoded subscription secret, body)); delivery id the notification's id",
		Verify: verifyDelivery,
		Topics: []cart.Topic{cart.TopicOrders},
	},
	Connect: connect,
	Limits: cart.Limits{
		RateLimit:  "300 requests a minute; a 429 shuts the API for a minute. The client paces under the limit and waits out the cool-down.",
		StockBatch: maxOperations,
	},
}

func validateChannel(_ cart.Config, creds cart.Credentials) []cart.Problem {
	if creds["api_key"] == "" {
		return []cart.Problem{{Field: "credentials.api_key", Message: "A Commerce API key (or OAuth token) is required."}}
	}
	return nil
}

func newConnector(b cart.Build) (cart.Connector, error) {
	cfg := Config{BaseURL: b.Config["api_base"], APIKey: b.Credentials["api_key"], HTTPClient: b.HTTPClient}
	// A connected site's OAuth token is renewed with its refresh token.
	if b.Credentials["refresh_token"] != "" && b.Credentials["client_id"] != "" {
		o := &OAuth{ClientID: b.Credentials["client_id"], ClientSecret: b.Credentials["client_secret"], RefreshToken: b.Credentials["refresh_token"]}
		o.Expiry, _ = time.Parse(time.RFC3339, b.Credentials["token_expiry"])
		if a := b.Config["api_base"]; a != "" {
			o.TokenURL = strings.TrimRight(a, "/") + tokensPath
		}
		if b.SaveCredentials != nil {
			o.Save = b.SaveCredentials
		}
		o.Load = b.LoadCredentials
		cfg.OAuth = o
	}
	return cart.Built(New(cfg))
}

// verifyDelivery: Squarespace-Signature = hex(HMAC-SHA256(hex-decoded
// secret, body)).
func verifyDelivery(h http.Header, body, secret []byte, _ time.Time) (cart.Delivery, error) {
	key, err := hex.DecodeString(string(secret))
	if err != nil {
		return cart.Delivery{}, fmt.Errorf("%w: the subscription secret is not hex", cart.ErrWebhookSignature)
	}
	got, err := hex.DecodeString(strings.TrimSpace(h.Get("Squarespace-Signature")))
	if err != nil || !hmac.Equal(got, cart.HMACSHA256(key, body)) {
		return cart.Delivery{}, cart.ErrWebhookSignature
	}
	var doc struct {
		ID    string `json:"id"`
		Topic string `json:"topic"`
		Data  struct {
			OrderID json.RawMessage `json:"orderId"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || !cart.ValidWebhookID(doc.ID) {
		return cart.Delivery{}, fmt.Errorf("%w: not a notification", cart.ErrWebhookPayload)
	}
	d := cart.Delivery{ID: doc.ID, Uninstalled: doc.Topic == topicUninstall}
	if doc.Topic == "order.create" || doc.Topic == "order.update" {
		d.Topic = cart.TopicOrders
		id, ok := cart.WebhookResourceID(doc.Data.OrderID)
		if !ok {
			return cart.Delivery{}, fmt.Errorf("%w: no order id", cart.ErrWebhookPayload)
		}
		d.ResourceID = id
	}
	return d, nil
}
