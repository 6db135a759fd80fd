package bigcommercesim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/autosync/autosync/shared/cart"
)

// The documents' own request examples pass the schema check (whatever the
// simulator then makes of their ids).
func TestSchemaAcceptsPublishedExamples(t *testing.T) {
	f := newFixture(t, Options{StoreHash: "abc123"})
	for _, op := range []struct{ method, path string }{
		{http.MethodPut, "/v3/inventory/adjustments/absolute"},
		{http.MethodPost, "/v3/hooks"},
	} {
		var exs map[string][]byte
		for _, s := range Specs() {
			if e, err := s.RequestExamples(op.method, op.path); err == nil {
				exs = e
			}
		}
		if len(exs) == 0 {
			t.Fatalf("%s %s: no published request example", op.method, op.path)
		}
		for name, ex := range exs {
			var body any
			json.Unmarshal(ex, &body)
			before := f.sim.Stats().SchemaRefused
			resp, b := f.do(t, op.method, op.path, body, token)
			if f.sim.Stats().SchemaRefused != before {
				t.Errorf("%s %s example %q refused by the schema: %d %s", op.method, op.path, name, resp.StatusCode, b)
			}
		}
	}
}

// What the schema refuses is refused with BigCommerce's 422 problem
// document naming the field, and changes nothing.
func TestSchemaRefusesWhatThePublishedSchemaRefuses(t *testing.T) {
	f := newFixture(t, Options{StoreHash: "abc123"})
	sku := f.sim.Variants()[0].SKU
	before := f.sim.Quantities()[sku]
	for _, tc := range []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"quantity as text", http.MethodPut, "/v3/inventory/adjustments/absolute",
			map[string]any{"reason": "r", "items": []any{map[string]any{"location_id": 1, "sku": sku, "quantity": "5"}}}, "items.0.quantity"},
		{"item not an object", http.MethodPut, "/v3/inventory/adjustments/absolute",
			map[string]any{"reason": "r", "items": []any{7}}, "items.0"},
		{"hook active as text", http.MethodPost, "/v3/hooks",
			map[string]any{"scope": "store/order/*", "destination": "https://hooks.example/x", "is_active": "yes"}, "is_active"},
		{"hook headers not strings", http.MethodPut, "/v3/hooks/1",
			map[string]any{"headers": []any{1}}, "headers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := f.do(t, tc.method, tc.path, tc.body, token)
			var p struct {
				Status int               `json:"status"`
				Title  string            `json:"title"`
				Errors map[string]string `json:"errors"`
			}
			json.Unmarshal(b, &p)
			if resp.StatusCode != http.StatusUnprocessableEntity || resp.Header.Get("Content-Type") != "application/problem+json" || p.Status != 422 {
				t.Fatalf("%d %s %s; want 422 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
			named := false
			for k := range p.Errors {
				named = named || strings.HasPrefix(k, tc.field)
			}
			if !named {
				t.Errorf("errors %v do not name %s", p.Errors, tc.field)
			}
		})
	}
	if got := f.sim.Quantities()[sku]; got != before {
		t.Errorf("stock of %s moved from %d to %d", sku, before, got)
	}
}

// The simulator's deliveries verify with the official Standard Webhooks
// library, keyed as BigCommerce's docs say: base64 of the client secret.
func TestWebhookSignatureVerifiesWithStandardWebhooksLibrary(t *testing.T) {
	f := hookFixture(t, Options{StoreHash: "abc123"})
	rc := newReceiver(t, nil)
	f.hook(t, "store/order/*", rc.URL, nil)
	f.sim.CreateOrder([]cart.Line{{SKU: f.sim.Variants()[0].SKU, Quantity: 1}})
	a := rc.Next(t)
	lib, err := standardwebhooks.NewWebhook(base64.StdEncoding.EncodeToString([]byte(hookSecret)))
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.Verify(a.Body, a.Header); err != nil {
		t.Fatalf("the Standard Webhooks library rejects the delivery: %v\n%v", err, a.Header)
	}
	other, _ := standardwebhooks.NewWebhookRaw([]byte("another-secret"))
	if other.Verify(a.Body, a.Header) == nil {
		t.Fatal("verified with another secret")
	}
}
