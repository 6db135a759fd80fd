package webhook

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
)

func b64mac(key []byte, msg string) string {
	return base64.StdEncoding.EncodeToString(hmacSHA256(key, []byte(msg)))
}

// The Standard Webhooks libraries' published test vector.
func TestStandardWebhooksVector(t *testing.T) {
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	_, err := Verify(catalog.BigCommerce, h, []byte(`{"test": 2432232314}`), []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), time.Unix(1614265330, 0))
	if err != nil {
		t.Fatalf("published vector rejected: %v", err)
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("shh-client-secret")
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	hexSecret := hex.EncodeToString([]byte("squarespace-key"))

	shopBody := `{"id":450789469,"name":"#1001"}`
	shop := func(mut func(http.Header)) http.Header {
		h := http.Header{}
		h.Set("X-Shopify-Hmac-Sha256", b64mac(secret, shopBody))
		h.Set("X-Shopify-Topic", "orders/create")
		h.Set("X-Shopify-Webhook-Id", "wh-1")
		h.Set("X-Shopify-Event-Id", "ev-1")
		if mut != nil {
			mut(h)
		}
		return h
	}
	bcBody := `{"scope":"store/order/created","store_id":"1","data":{"type":"order","id":250},"hash":"x"}`
	bc := func(id, stamp, body string) http.Header {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", stamp)
		h.Set("webhook-signature", "v1,bogus v1,"+b64mac(secret, id+"."+stamp+"."+body))
		return h
	}
	wooBody := `{"id":727,"status":"processing"}`
	woo := http.Header{}
	woo.Set("X-WC-Webhook-Signature", b64mac(secret, wooBody))
	woo.Set("X-WC-Webhook-Topic", "product.updated")
	woo.Set("X-WC-Webhook-Delivery-ID", "d-9")
	sqBody := `{"id":"n-1","websiteId":"w","subscriptionId":"s","topic":"order.create","createdOn":"2026-01-01T00:00:00Z","data":{"orderId":"5f1a"}}`
	sqKey, _ := hex.DecodeString(hexSecret)
	sq := http.Header{}
	sq.Set("Squarespace-Signature", hex.EncodeToString(hmacSHA256(sqKey, []byte(sqBody))))
	// Squarespace's documented extension.uninstall example, signed.
	sqGone := `{"id":"5c2ba184b63ed3cb411ce2b1","websiteId":"5f3c3d55ac435e1a051f77b3","subscriptionId":"5f3c2155d947844beedda991","topic":"extension.uninstall","createdOn":"2020-04-22T22:18+00:00","data":{"clientId":"A125dfPqdKJDqPAcJQgLo3A5mwcKIq2G"}}`
	sqGoneH := http.Header{}
	sqGoneH.Set("Squarespace-Signature", hex.EncodeToString(hmacSHA256(sqKey, []byte(sqGone))))

	tests := []struct {
		name   string
		cart   catalog.Cart
		h      http.Header
		body   string
		secret []byte
		want   Delivery
		err    error
	}{
		{"shopify ok", catalog.Shopify, shop(nil), shopBody, secret, Delivery{ID: "ev-1", Topic: cart.TopicOrders, ResourceID: "450789469"}, nil},
		{"shopify product", catalog.Shopify, shop(func(h http.Header) { h.Set("X-Shopify-Topic", "products/update") }), shopBody, secret, Delivery{ID: "ev-1", Topic: cart.TopicProducts, ResourceID: "450789469"}, nil},
		{"shopify other topic", catalog.Shopify, shop(func(h http.Header) { h.Set("X-Shopify-Topic", "app/uninstalled") }), shopBody, secret, Delivery{ID: "ev-1"}, nil},
		{"shopify tampered", catalog.Shopify, shop(nil), `{"id":450789470,"name":"#1001"}`, secret, Delivery{}, ErrSignature},
		{"shopify wrong secret", catalog.Shopify, shop(nil), shopBody, []byte("other"), Delivery{}, ErrSignature},
		{"shopify no signature", catalog.Shopify, shop(func(h http.Header) { h.Del("X-Shopify-Hmac-Sha256") }), shopBody, secret, Delivery{}, ErrSignature},
		{"shopify no secret", catalog.Shopify, shop(nil), shopBody, nil, Delivery{}, ErrSignature},
		{"shopify no id", catalog.Shopify, func() http.Header {
			h := shop(nil)
			h.Set("X-Shopify-Hmac-Sha256", b64mac(secret, `{"name":"x"}`))
			return h
		}(), `{"name":"x"}`, secret, Delivery{}, ErrPayload},
		{"bigcommerce ok", catalog.BigCommerce, bc("m-1", ts, bcBody), bcBody, secret, Delivery{ID: "m-1", Topic: cart.TopicOrders, ResourceID: "250"}, nil},
		{"bigcommerce replayed late", catalog.BigCommerce, bc("m-1", strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), bcBody), bcBody, secret, Delivery{}, ErrSignature},
		{"bigcommerce future", catalog.BigCommerce, bc("m-1", strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10), bcBody), bcBody, secret, Delivery{}, ErrSignature},
		{"bigcommerce id swapped", catalog.BigCommerce, func() http.Header { h := bc("m-1", ts, bcBody); h.Set("webhook-id", "m-2"); return h }(), bcBody, secret, Delivery{}, ErrSignature},
		{"bigcommerce no timestamp", catalog.BigCommerce, bc("m-1", "", bcBody), bcBody, secret, Delivery{}, ErrSignature},
		{"woocommerce ok", catalog.WooCommerce, woo, wooBody, secret, Delivery{ID: "d-9:" + bodyHash(wooBody), Topic: cart.TopicProducts, ResourceID: "727"}, nil},
		{"woocommerce ping", catalog.WooCommerce, http.Header{}, "webhook_id=12", secret, Delivery{Ping: true}, nil},
		{"woocommerce unsigned", catalog.WooCommerce, http.Header{"X-Wc-Webhook-Topic": {"order.created"}}, wooBody, secret, Delivery{}, ErrSignature},
		{"squarespace ok", catalog.Squarespace, sq, sqBody, []byte(hexSecret), Delivery{ID: "n-1", Topic: cart.TopicOrders, ResourceID: "5f1a"}, nil},
		{"squarespace non-hex secret", catalog.Squarespace, sq, sqBody, []byte("zz"), Delivery{}, ErrSignature},
		{"squarespace uninstall", catalog.Squarespace, sqGoneH, sqGone, []byte(hexSecret), Delivery{ID: "5c2ba184b63ed3cb411ce2b1", Uninstalled: true}, nil},
		{"squarespace uninstall unsigned", catalog.Squarespace, http.Header{}, sqGone, []byte(hexSecret), Delivery{}, ErrSignature},
		{"etsy", catalog.Etsy, http.Header{}, "{}", secret, Delivery{}, ErrCart},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Verify(tc.cart, tc.h, []byte(tc.body), tc.secret, now)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || d != tc.want {
				t.Fatalf("got %+v %v, want %+v", d, err, tc.want)
			}
		})
	}
}

func bodyHash(b string) string {
	sum := sha256.Sum256([]byte(b))
	return hex.EncodeToString(sum[:8])
}

func FuzzVerify(f *testing.F) {
	secret := []byte("k")
	f.Add(uint8(0), "X-Shopify-Hmac-Sha256", b64mac(secret, `{"id":1}`), []byte(`{"id":1}`))
	f.Add(uint8(1), "webhook-signature", "v1,abc", []byte(`{"scope":"store/order/created","data":{"id":1}}`))
	f.Add(uint8(2), "X-WC-Webhook-Signature", "", []byte("webhook_id=1"))
	f.Add(uint8(3), "Squarespace-Signature", "00", []byte(`{"id":"a","topic":"order.create","data":{"orderId":1}}`))
	carts := []catalog.Cart{catalog.Shopify, catalog.BigCommerce, catalog.WooCommerce, catalog.Squarespace}
	f.Fuzz(func(t *testing.T, which uint8, header, value string, body []byte) {
		h := http.Header{}
		h.Set(header, value)
		h.Set("X-Shopify-Topic", "orders/create")
		h.Set("X-Shopify-Webhook-Id", "w")
		h.Set("webhook-id", "w")
		h.Set("webhook-timestamp", "1800000000")
		c := carts[int(which)%len(carts)]
		d, err := Verify(c, h, body, []byte("6b"), time.Unix(1_800_000_000, 0))
		if err == nil && !d.Ping && d.Topic != "" && !validID(d.ResourceID) {
			t.Fatalf("accepted a delivery with resource id %q", d.ResourceID)
		}
	})
}
