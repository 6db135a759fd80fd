package bigcommerce

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// signedBC signs body as BigCommerce does (Standard Webhooks, keyed with
// the raw client secret).
func signedBC(id string, at time.Time, body string) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(cart.HMACSHA256([]byte(clientSecret), []byte(id+"."+ts+"."+body))))
	return h
}

// Every scope store/order/* sends (BigCommerce's webhook events page):
// an order's events name it in data.id, a transaction's in data.order_id
// (a number in older pages, a string since November 2025), and events
// Autosync does not act on (order metafields, scopes BigCommerce adds
// later) are acknowledged and ignored, never refused: a refused delivery
// is retried for 48 hours and then the whole store/order/* hook is
// deactivated.
func TestVerifyOrderScopes(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name, body string
		topic      cart.Topic
		resource   string
		err        error
	}{
		{"created", `{"scope":"store/order/created","store_id":"1025646","data":{"type":"order","id":250},"hash":"x","created_at":1561479335,"producer":"stores/abc"}`, cart.TopicOrders, "250", nil},
		{"statusUpdated", `{"scope":"store/order/statusUpdated","data":{"type":"order","id":250,"status":{"previous_status_id":0,"new_status_id":11}}}`, cart.TopicOrders, "250", nil},
		{"refund", `{"scope":"store/order/refund/created","data":{"type":"order","id":250,"refund":{"refund_id":3}}}`, cart.TopicOrders, "250", nil},
		{"transaction created, string order id", `{"scope":"store/order/transaction/created","store_id":"1025646","channel_id":null,"data":{"type":"transaction","order_id":"250","transaction_id":"176342342","transaction_status":"complete","transaction_type":"capture"},"hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","created_at":1561479335,"producer":"stores/abc"}`, cart.TopicOrders, "250", nil},
		{"transaction updated, numeric order id", `{"scope":"store/order/transaction/updated","store_id":"1025646","channel_id":null,"data":{"type":"transaction","order_id":250,"transaction_id":"176342342"},"hash":"x","created_at":1561479335,"producer":"stores/abc"}`, cart.TopicOrders, "250", nil},
		{"order metafield", `{"scope":"store/order/metafield/created","store_id":"1001197568","data":{"metafield_id":14,"resource_id":"270"},"hash":"x","created_at":1683315012,"producer":"stores/abc"}`, "", "", nil},
		{"unknown order scope", `{"scope":"store/order/somethingNew","data":{"whatever":1}}`, "", "", nil},
		{"transaction without order id", `{"scope":"store/order/transaction/created","data":{"type":"transaction","transaction_id":"1"}}`, "", "", cart.ErrWebhookPayload},
		{"order without id", `{"scope":"store/order/updated","data":{"type":"order"}}`, "", "", cart.ErrWebhookPayload},
		{"product", `{"scope":"store/product/updated","data":{"type":"product","id":205}}`, cart.TopicProducts, "205", nil},
		{"product inventory", `{"scope":"store/product/inventory/updated","data":{"type":"product","id":167}}`, "", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Driver.Webhooks.Verify(signedBC("msg-1", now, tc.body), []byte(tc.body), []byte(clientSecret), now)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Verify = %+v, %v; want %v", d, err, tc.err)
				}
				return
			}
			if err != nil || d.ID != "msg-1" || d.Topic != tc.topic || d.ResourceID != tc.resource {
				t.Fatalf("Verify = %+v, %v; want topic %q resource %q", d, err, tc.topic, tc.resource)
			}
		})
	}
}

// FuzzVerifyBody fuzzes the body of correctly signed deliveries, so the
// parser behind the signature is reached: a delivery is accepted with a
// valid resource id or no topic, or refused as a bad payload.
func FuzzVerifyBody(f *testing.F) {
	f.Add(`{"scope":"store/order/created","data":{"type":"order","id":250}}`)
	f.Add(`{"scope":"store/order/transaction/created","data":{"type":"transaction","order_id":"250","transaction_id":"1"}}`)
	f.Add(`{"scope":"store/order/transaction/updated","data":{"type":"transaction","order_id":250}}`)
	f.Add(`{"scope":"store/order/metafield/created","data":{"metafield_id":14,"resource_id":"270"}}`)
	f.Add(`{"scope":"store/product/updated","data":{"id":"x y"}}`)
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, body string) {
		d, err := Driver.Webhooks.Verify(signedBC("msg-1", now, body), []byte(body), []byte(clientSecret), now)
		switch {
		case err != nil && !errors.Is(err, cart.ErrWebhookPayload):
			t.Fatalf("a signed delivery refused with %v", err)
		case err == nil && d.Topic != "" && !cart.ValidWebhookID(d.ResourceID):
			t.Fatalf("accepted %+v", d)
		case err == nil && d.Topic == "" && d.ResourceID != "":
			t.Fatalf("an ignored delivery names a resource: %+v", d)
		}
	})
}
