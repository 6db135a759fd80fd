package woocommerce

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/webhook/webhooktest"
)

// WooCommerce's product.updated fires for a variation too
// (woocommerce_update_product_variation), its body being
// /wc/v3/products/{variation id}: type "variation", with parent_id. The
// webhook names the variation, so ProductListings of a variation id reads
// its parent and returns the parent's listings, the variation's among them.
func TestProductListingsOfAVariation(t *testing.T) {
	sim, c := hookSim(t)
	rc := webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/woocommerce/ch1", IsPing: func(r *http.Request) bool { return r.Header.Get("X-WC-Webhook-Topic") == "" }})
	if _, err := c.Subscribe(t.Context(), cart.TopicProducts, rc.URL, hookSecret); err != nil {
		t.Fatal(err)
	}
	const sku = "VAR-02-C"
	link, ok := sim.Links()[sku]
	if !ok || link.VariantID == "" {
		t.Fatalf("no variation %s in the simulator: %+v", sku, link)
	}
	want, err := c.ProductListings(t.Context(), link.ProductID)
	if err != nil {
		t.Fatal(err)
	}

	if !sim.TouchProduct(sku) {
		t.Fatal("TouchProduct")
	}
	a := rc.Next(t)
	d, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(hookSecret), time.Now())
	if err != nil || d.Topic != cart.TopicProducts || d.ResourceID != link.VariantID || a.Header.Get("X-WC-Webhook-Topic") != "product.updated" {
		t.Fatalf("variation delivery %+v %v: %s", d, err, a.Body)
	}
	got, err := c.ProductListings(t.Context(), d.ResourceID)
	if err != nil {
		t.Fatalf("ProductListings(variation %s): %v", d.ResourceID, err)
	}
	found := false
	for _, l := range got {
		found = found || (l.SKU == sku && l.Link == link)
	}
	if !found {
		t.Errorf("ProductListings(variation %s) = %+v; want %s among them", d.ResourceID, got, sku)
	}
	// The touch changed only the variation's modification time.
	for i := range want {
		if i < len(got) && got[i].SKU == sku {
			want[i].UpdatedAt = got[i].UpdatedAt
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ProductListings(variation) = %+v\nthe parent's are %+v", got, want)
	}
}

// A variation the answer gives no parent for, or whose parent is gone, is
// an error, not an empty import.
func TestProductListingsOfAVariationRefused(t *testing.T) {
	tests := []struct {
		name    string
		product map[string]string // path -> body
		want    error
	}{
		{"no parent", map[string]string{"/products/5": `{"id":5,"type":"variation","parent_id":0,"sku":"V-1"}`}, cart.ErrMalformed},
		{"itself as parent", map[string]string{"/products/5": `{"id":5,"type":"variation","parent_id":5,"sku":"V-1"}`}, cart.ErrMalformed},
		{"parent gone", map[string]string{"/products/5": `{"id":5,"type":"variation","parent_id":4,"sku":"V-1"}`}, cart.ErrNotFound},
		{"parent answer is another product", map[string]string{"/products/5": `{"id":5,"type":"variation","parent_id":4}`, "/products/4": `{"id":3,"type":"variable"}`}, cart.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for path, body := range tc.product {
					if strings.HasSuffix(r.URL.Path, path) {
						w.Header().Set("Content-Type", "application/json")
						w.Write([]byte(body))
						return
					}
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				w.Write([]byte(`{"code":"woocommerce_rest_product_invalid_id","message":"Invalid ID.","data":{"status":404}}`))
			})), Config{})
			ls, err := c.ProductListings(t.Context(), "5")
			if !errors.Is(err, tc.want) || ls != nil {
				t.Fatalf("ProductListings = %+v, %v; want %v", ls, err, tc.want)
			}
		})
	}
}
