package squarespacesim

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
)

// The reference page's own adjustment example passes the description.
func TestSchemaAcceptsDocumentedExample(t *testing.T) {
	s, base := serve(t, Options{})
	exs, err := Spec().RequestExamples(http.MethodPost, "/1.0/commerce/inventory/adjustments")
	if err != nil || len(exs) == 0 {
		t.Fatalf("examples: %v", err)
	}
	for name, ex := range exs {
		call(t, http.MethodPost, base+"/1.0/commerce/inventory/adjustments", ex, map[string]string{"Idempotency-Key": "example-" + name})
		if n := s.Stats().SchemaRefused; n != 0 {
			t.Errorf("example %q refused by the description", name)
		}
	}
}

// What the description refuses is answered 400 INVALID_REQUEST_ERROR with
// the fields in details, and changes nothing.
func TestSchemaRefusesWhatTheDescriptionRefuses(t *testing.T) {
	s, base := serve(t, Options{OAuthToken: "oauth-token"})
	s.Seed(3, 1)
	before := maps.Clone(s.Quantities())
	links := s.Links()
	var variant string
	for _, l := range links {
		variant = l.VariantID
		break
	}
	for _, tc := range []struct {
		name, path, body, field string
		headers                 map[string]string
	}{
		{"finite as text", "/1.0/commerce/inventory/adjustments", `{"setFiniteOperations":[{"variantId":"` + variant + `","quantity":"4"}]}`, "setFiniteOperations.0.quantity", map[string]string{"Idempotency-Key": "k1"}},
		{"the third-party shape", "/1.0/commerce/inventory/adjustments", `{"increments":[{"variantId":"` + variant + `","quantity":4}]}`, "body", map[string]string{"Idempotency-Key": "k2"}},
		{"unknown topic", "/1.0/webhook_subscriptions", `{"endpointUrl":"https://hooks.example/sq","topics":["product.create"]}`, "topics.0", map[string]string{"Authorization": "Bearer oauth-token"}},
		{"topics not a list", "/1.0/webhook_subscriptions", `{"endpointUrl":"https://hooks.example/sq","topics":"order.create"}`, "topics", map[string]string{"Authorization": "Bearer oauth-token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, http.MethodPost, base+tc.path, []byte(tc.body), tc.headers)
			var e struct {
				Type    string            `json:"type"`
				Details map[string]string `json:"details"`
			}
			json.Unmarshal(a.body, &e)
			if a.status != http.StatusBadRequest || e.Type != "INVALID_REQUEST_ERROR" {
				t.Fatalf("%d %s; want 400 INVALID_REQUEST_ERROR", a.status, a.body)
			}
			named := false
			for k := range e.Details {
				named = named || strings.HasPrefix(k, tc.field)
			}
			if !named {
				t.Errorf("details %v do not name %s", e.Details, tc.field)
			}
		})
	}
	if !maps.Equal(before, s.Quantities()) {
		t.Errorf("stock moved: %v -> %v", before, s.Quantities())
	}
	if len(s.WebhookSubscriptions()) != 0 {
		t.Errorf("subscriptions made: %v", s.WebhookSubscriptions())
	}
}
