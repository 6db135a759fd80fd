package bigcommerce

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/pattern"
)

// Driver is what Autosync knows about BigCommerce (see cart.Driver).
var Driver = cart.Driver{
	ID:       "bigcommerce",
	Label:    "BigCommerce",
	Validate: validateChannel,
	New:      newConnector,
	Statuses: func() []string {
		var list []string
		for id := range Statuses() {
			list = append(list, id)
		}
		return list
	},
	DefaultStatuses: DefaultStatuses,
	Offers: cart.AutoOffers("BigCommerce", catalog.ImportOrders, catalog.WriteInventory, catalog.ImportProducts,
		catalog.ImportProductImages, catalog.InstasyncOrders, catalog.InstasyncProducts),
	Webhooks: &cart.Webhooks{
		Scheme: "Standard Webhooks: webhook-signature v1,base64(HMAC-SHA256(client secret, webhook-id.webhook-timestamp.body)); delivery id webhook-id",
		Verify: verifyDelivery,
		Topics: []cart.Topic{cart.TopicOrders, cart.TopicProducts},

		ClientSecretSigned: true,
	},
	Connect: connect,
	Limits: cart.Limits{
		RateLimit:  "Fixed window per store (X-Rate-Limit-Requests-Quota, -Time-Window-Ms, -Time-Reset-Ms); the client paces to the quota left and waits out 429s.",
		StockBatch: MaxAdjustmentItems,
	},
}

var (
	storeHash = pattern.New(`^[a-z0-9]{1,32}$`)
	digits    = pattern.New(`^[0-9]{1,20}$`)
)

func validateChannel(cfg cart.Config, creds cart.Credentials) []cart.Problem {
	var ps []cart.Problem
	if l, ok := cfg["location_id"]; ok && !digits.MatchString(l) {
		ps = append(ps, cart.Problem{Field: "config.location_id", Message: "The inventory location id is a whole number."})
	}
	if !storeHash.MatchString(cfg["store_hash"]) {
		ps = append(ps, cart.Problem{Field: "config.store_hash", Message: "Enter the store hash from the store's API path (/stores/{store_hash}/)."})
	}
	if creds["access_token"] == "" {
		ps = append(ps, cart.Problem{Field: "credentials.access_token", Message: "An API account access token is required."})
	}
	return ps
}

func newConnector(b cart.Build) (cart.Connector, error) {
	c := Config{
		StoreHash: b.Config["store_hash"], BaseURL: b.Config["api_base"],
		AccessToken: b.Credentials["access_token"], HTTPClient: b.HTTPClient,
	}
	// location_id: the inventory location write-back sets (default 1).
	if id, err := strconv.Atoi(b.Config["location_id"]); err == nil && id > 0 {
		c.LocationID = id
	}
	return cart.Built(New(c))
}

// verifyDelivery checks Standard Webhooks: webhook-signature holds
// space-separated "v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>".
// BigCommerce hands the library base64(client secret), so the HMAC key is
// the raw client secret; a "whsec_" secret is the library's own encoding.
func verifyDelivery(h http.Header, body, secret []byte, now time.Time) (cart.Delivery, error) {
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || err != nil {
		return cart.Delivery{}, fmt.Errorf("%w: missing webhook-id or webhook-timestamp", cart.ErrWebhookSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > cart.WebhookTolerance || d < -cart.WebhookTolerance {
		return cart.Delivery{}, fmt.Errorf("%w: timestamp outside the %s window", cart.ErrWebhookSignature, cart.WebhookTolerance)
	}
	key := secret
	if s, ok := strings.CutPrefix(string(secret), "whsec_"); ok {
		if key, err = base64.StdEncoding.DecodeString(s); err != nil {
			return cart.Delivery{}, fmt.Errorf("%w: malformed whsec_ secret", cart.ErrWebhookSignature)
		}
	}
	want := cart.HMACSHA256(key, []byte(id+"."+ts+"."+string(body)))
	ok := false
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if v, b64, found := strings.Cut(sig, ","); found && v == "v1" && cart.EqualBase64(b64, want) {
			ok = true
		}
	}
	if !ok {
		return cart.Delivery{}, cart.ErrWebhookSignature
	}
	var doc struct {
		Scope string `json:"scope"`
		Data  struct {
			ID      json.RawMessage `json:"id"`
			OrderID json.RawMessage `json:"order_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return cart.Delivery{}, fmt.Errorf("%w: body is not a JSON object", cart.ErrWebhookPayload)
	}
	d := cart.Delivery{ID: id}
	if !cart.ValidWebhookID(d.ID) {
		return cart.Delivery{}, fmt.Errorf("%w: bad webhook-id", cart.ErrWebhookPayload)
	}
	ev, known := events[doc.Scope]
	if !known {
		// A scope Autosync does not act on (an order metafield, one
		// BigCommerce adds under store/order/* later) is acknowledged with
		// no topic: refusing it would have BigCommerce retry for 48 hours
		// and then deactivate the hook, and every order event with it.
		return d, nil
	}
	raw := doc.Data.ID
	if ev.byOrderID {
		raw = doc.Data.OrderID
	}
	rid, ok := cart.WebhookResourceID(raw)
	if !ok {
		return cart.Delivery{}, fmt.Errorf("%w: no resource id", cart.ErrWebhookPayload)
	}
	d.Topic, d.ResourceID = ev.topic, rid
	return d, nil
}

// event is what a delivery of one scope means to Autosync.
type event struct {
	topic cart.Topic
	// byOrderID: the order is data.order_id, not data.id.
	byOrderID bool
}

// events are the scopes Autosync acts on (BigCommerce's webhook events
// page). An order's events name the order in data.id; a transaction's
// ({"type":"transaction","order_id":"250","transaction_id":...}) in
// data.order_id. A transaction is the order's payment changing, which
// the order's own updated event is not documented to follow, so the
// order is read again: importing is idempotent.
var events = map[string]event{
	"store/order/created":             {topic: cart.TopicOrders},
	"store/order/updated":             {topic: cart.TopicOrders},
	"store/order/archived":            {topic: cart.TopicOrders},
	"store/order/statusUpdated":       {topic: cart.TopicOrders},
	"store/order/message/created":     {topic: cart.TopicOrders},
	"store/order/refund/created":      {topic: cart.TopicOrders},
	"store/order/transaction/created": {topic: cart.TopicOrders, byOrderID: true},
	"store/order/transaction/updated": {topic: cart.TopicOrders, byOrderID: true},
	"store/product/created":           {topic: cart.TopicProducts},
	"store/product/updated":           {topic: cart.TopicProducts},
}
