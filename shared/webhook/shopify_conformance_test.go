package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
)

// Shopify signs a webhook with X-Shopify-Hmac-SHA256: the base64 of the
// HMAC-SHA256 of the raw body, keyed with the app's client secret. These
// tests sign independently of the verifier (crypto/hmac here, and a
// known answer), so a verifier that shares a mistake with the code that
// signs in other tests cannot pass.

// TestShopifyKnownAnswer: HMAC-SHA256("secret", "foo") in base64 is
// dzukRpPHVT1u4g9h6l0nV6mk9KRNKEGuTpW1LkzWLbQ= (the value a public Shopify
// webhook-signing script documents for those inputs; openssl dgst -sha256
// -hmac secret -binary | base64 agrees). "foo" is no delivery, so a right
// signature gives ErrPayload, a wrong one ErrSignature.
func TestShopifyKnownAnswer(t *testing.T) {
	h := http.Header{}
	h.Set("X-Shopify-Hmac-SHA256", "dzukRpPHVT1u4g9h6l0nV6mk9KRNKEGuTpW1LkzWLbQ=")
	h.Set("X-Shopify-Topic", "orders/create")
	h.Set("X-Shopify-Event-Id", "ev-1")
	if _, err := Verify(catalog.Shopify, h, []byte("foo"), []byte("secret"), time.Now()); !errors.Is(err, ErrPayload) {
		t.Errorf("known signature: %v; want it accepted and the body refused (ErrPayload)", err)
	}
	h.Set("X-Shopify-Hmac-SHA256", "ezukRpPHVT1u4g9h6l0nV6mk9KRNKEGuTpW1LkzWLbQ=")
	if _, err := Verify(catalog.Shopify, h, []byte("foo"), []byte("secret"), time.Now()); !errors.Is(err, ErrSignature) {
		t.Errorf("altered signature: %v; want ErrSignature", err)
	}
}

// TestShopifyIndependentSigner signs an orders/create body the way
// Shopify's docs describe, with crypto/hmac, and checks the verifier takes
// exactly those bytes: not a re-encoding of them, not another secret.
func TestShopifyIndependentSigner(t *testing.T) {
	secret := []byte("hush-client-secret")
	// Raw bytes as sent: spacing and a trailing newline are signed too.
	body := []byte("{\"id\": 820982911946154508, \"name\": \"#9999\", \"line_items\": [{\"sku\": \"IPOD2008PINK\", \"quantity\": 1}]}\n")
	sign := func(key, msg []byte) string {
		m := hmac.New(sha256.New, key)
		m.Write(msg)
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	headers := func(sig string) http.Header {
		h := http.Header{}
		h.Set("X-Shopify-Hmac-SHA256", sig)
		h.Set("X-Shopify-Topic", "orders/create")
		h.Set("X-Shopify-Shop-Domain", "example.myshopify.com")
		h.Set("X-Shopify-API-Version", "2026-10")
		h.Set("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
		h.Set("X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5")
		return h
	}
	d, err := Verify(catalog.Shopify, headers(sign(secret, body)), body, secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d.Topic != cart.TopicOrders || d.ResourceID != "820982911946154508" || d.ID != "98880550-7158-44d4-b7cd-2c97c8a091b5" {
		t.Errorf("delivery %+v", d)
	}
	compact := []byte(`{"id":820982911946154508,"name":"#9999","line_items":[{"sku":"IPOD2008PINK","quantity":1}]}`)
	for name, sig := range map[string]string{
		"signature of a re-encoding": sign(secret, compact),
		"another secret":             sign([]byte("other"), body),
		"hex, not base64":            func() string { m := hmac.New(sha256.New, secret); m.Write(body); return string(m.Sum(nil)) }(),
		"empty":                      "",
	} {
		if _, err := Verify(catalog.Shopify, headers(sig), body, secret, time.Now()); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v; want ErrSignature", name, err)
		}
	}
}
