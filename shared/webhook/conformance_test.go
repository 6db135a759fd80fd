package webhook

// Signatures made by someone other than this package: BigCommerce's by the
// official Standard Webhooks Go library (BigCommerce's docs tell receivers
// to verify with those libraries, keyed with base64 of the app's client
// secret); WooCommerce's and Squarespace's computed here, step by step,
// from the algorithm each cart documents, without this package's helpers.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
)

func TestConformanceBigCommerceStandardWebhooksLibrary(t *testing.T) {
	const clientSecret = "bc-app-client-secret-8f2c"
	body := []byte(`{"created_at":1800000000,"store_id":"1025646","producer":"stores/abc123","scope":"store/order/created","hash":"3f9ea420af83450d7ef9f78b08c8af25b2213637","data":{"type":"order","id":250}}`)
	now := time.Unix(1_800_000_000, 0)

	// Keyed the way BigCommerce's docs key it: base64 of the client secret.
	lib, err := standardwebhooks.NewWebhook(base64.StdEncoding.EncodeToString([]byte(clientSecret)))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := lib.Sign("msg_2Kx9", now, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_2Kx9")
	h.Set("webhook-timestamp", "1800000000")
	h.Set("webhook-signature", sig)
	// The library accepts its own signature (so the headers are right) ...
	if err := lib.VerifyIgnoringTimestamp(body, h); err != nil {
		t.Fatalf("library rejects its own signature: %v", err)
	}
	// ... and so does ours, keyed with the raw client secret.
	d, err := Verify(catalog.BigCommerce, h, body, []byte(clientSecret), now)
	if err != nil {
		t.Fatalf("library-signed delivery rejected: %v", err)
	}
	if d.ID != "msg_2Kx9" || d.Topic != cart.TopicOrders || d.ResourceID != "250" {
		t.Fatalf("delivery = %+v", d)
	}
	// The whsec_ form of the same key is the library's own encoding.
	if _, err := Verify(catalog.BigCommerce, h, body, []byte("whsec_"+base64.StdEncoding.EncodeToString([]byte(clientSecret))), now); err != nil {
		t.Fatalf("whsec_ secret: %v", err)
	}

	// What the library refuses, we refuse.
	refused := []struct {
		name   string
		body   []byte
		secret string
		at     time.Time
	}{
		{"body changed", []byte(strings.Replace(string(body), `"id":250`, `"id":251`, 1)), clientSecret, now},
		{"other secret", body, "another-secret", now},
		{"too old", body, clientSecret, now.Add(Tolerance + time.Second)},
		{"too new", body, clientSecret, now.Add(-Tolerance - time.Second)},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			other, err := standardwebhooks.NewWebhookRaw([]byte(tc.secret))
			if err != nil {
				t.Fatal(err)
			}
			libErr := other.VerifyIgnoringTimestamp(tc.body, h)
			if tc.at.Equal(now) && libErr == nil {
				t.Fatal("the library accepts it: the case is wrong")
			}
			if _, err := Verify(catalog.BigCommerce, h, tc.body, []byte(tc.secret), tc.at); !errors.Is(err, ErrSignature) {
				t.Fatalf("Verify = %v, want ErrSignature", err)
			}
		})
	}
}

// The library's published test vector, verified by the library itself and
// by us, so both agree on the same bytes.
func TestConformanceStandardWebhooksPublishedVector(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"test": 2432232314}`)
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	lib, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.VerifyIgnoringTimestamp(body, h); err != nil {
		t.Fatalf("library: %v", err)
	}
	if _, err := Verify(catalog.BigCommerce, h, body, []byte(secret), time.Unix(1614265330, 0)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

// WooCommerce's docs: "X-WC-Webhook-Signature - a base64 encoded
// HMAC-SHA256 hash of the payload", keyed with the webhook's secret.
func TestConformanceWooCommerceDocumentedSignature(t *testing.T) {
	const secret = "wc-webhook-secret"
	body := []byte(`{"id":727,"parent_id":0,"status":"processing","line_items":[{"id":315,"sku":"MUG-BLUE","quantity":2}]}`)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	sig := base64.StdEncoding.EncodeToString(m.Sum(nil))

	h := http.Header{}
	h.Set("X-WC-Webhook-Signature", sig)
	h.Set("X-WC-Webhook-Topic", "order.created")
	h.Set("X-WC-Webhook-Resource", "order")
	h.Set("X-WC-Webhook-Event", "created")
	h.Set("X-WC-Webhook-Delivery-ID", "41")
	h.Set("X-WC-Webhook-ID", "7")
	d, err := Verify(catalog.WooCommerce, h, body, []byte(secret), time.Now())
	if err != nil {
		t.Fatalf("documented signature rejected: %v", err)
	}
	if d.Topic != cart.TopicOrders || d.ResourceID != "727" {
		t.Fatalf("delivery = %+v", d)
	}
	// Hex of the same MAC is not the documented encoding.
	h.Set("X-WC-Webhook-Signature", hex.EncodeToString(m.Sum(nil)))
	if _, err := Verify(catalog.WooCommerce, h, body, []byte(secret), time.Now()); !errors.Is(err, ErrSignature) {
		t.Fatalf("hex signature: %v, want ErrSignature", err)
	}
}

// Squarespace's docs ("Verifying notifications"): Squarespace-Signature is
// HMAC-SHA256(hexToBytes(secret), raw body), hex; the secret is the one
// published in the rotate-secret reference example (upper-case hex).
func TestConformanceSquarespaceDocumentedSignature(t *testing.T) {
	const secret = "F3F9B981C78E7A6187E42853F6CE2804177E98206164779423B02DEC981ACD6B"
	body := []byte(`{"id":"5f6a7b8c9d0e1f2a3b4c5d6e","websiteId":"5e1a2b3c4d5e6f7a8b9c0d1e","subscriptionId":"7c8d9e0f1a2b3c4d5e6f7a8b","topic":"order.create","createdOn":"2026-01-02T03:04:05.000Z","data":{"orderId":"585d498fdee9f31a60284a37"}}`)
	key, err := hex.DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write(body)
	h := http.Header{}
	h.Set("Squarespace-Signature", hex.EncodeToString(m.Sum(nil)))
	d, err := Verify(catalog.Squarespace, h, body, []byte(secret), time.Now())
	if err != nil {
		t.Fatalf("documented signature rejected: %v", err)
	}
	// Hex is hex in either case.
	h.Set("Squarespace-Signature", strings.ToUpper(hex.EncodeToString(m.Sum(nil))))
	if _, err := Verify(catalog.Squarespace, h, body, []byte(strings.ToLower(secret)), time.Now()); err != nil {
		t.Fatalf("upper-case signature, lower-case secret: %v", err)
	}
	if d.ID != "5f6a7b8c9d0e1f2a3b4c5d6e" || d.Topic != cart.TopicOrders || d.ResourceID != "585d498fdee9f31a60284a37" {
		t.Fatalf("delivery = %+v", d)
	}
	// Keyed with the secret's text instead of its bytes: the mistake the
	// docs warn about.
	wrong := hmac.New(sha256.New, []byte(secret))
	wrong.Write(body)
	h.Set("Squarespace-Signature", hex.EncodeToString(wrong.Sum(nil)))
	if _, err := Verify(catalog.Squarespace, h, body, []byte(secret), time.Now()); !errors.Is(err, ErrSignature) {
		t.Fatalf("text-keyed signature: %v, want ErrSignature", err)
	}
}
