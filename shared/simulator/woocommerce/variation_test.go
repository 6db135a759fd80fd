package woocommercesim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
)

// WooCommerce's product.updated fires for a variation
// (woocommerce_update_product_variation) with the body of
// /products/{variation id}, which the products controller answers for a
// variation as for any product: type "variation", with parent_id.
func TestVariationAsAProduct(t *testing.T) {
	s, api := hookStart(t, Options{})
	rc := newReceiver(t, nil)
	createWebhook(t, api, "product.updated", rc.URL)
	const sku = "VAR-01-B"
	link, ok := s.Links()[sku]
	if !ok || link.VariantID == "" {
		t.Fatalf("no variation %s: %+v", sku, link)
	}
	type body struct {
		ID       int64  `json:"id"`
		Type     string `json:"type"`
		ParentID int64  `json:"parent_id"`
		SKU      string `json:"sku"`
		Price    string `json:"price"`
	}
	r := call(t, "GET", api+"/products/"+link.VariantID, "basic", nil)
	var got body
	r.json(t, &got)
	if r.status != http.StatusOK || strconv.FormatInt(got.ID, 10) != link.VariantID || got.Type != "variation" ||
		strconv.FormatInt(got.ParentID, 10) != link.ProductID || got.SKU != sku || got.Price == "" {
		t.Fatalf("GET /products/%s = %d %+v", link.VariantID, r.status, got)
	}
	r = call(t, "GET", api+"/products/"+link.ProductID, "basic", nil)
	var parent body
	r.json(t, &parent)
	if parent.Type != "variable" || parent.ParentID != 0 {
		t.Errorf("parent %+v", parent)
	}

	if !s.TouchProduct(sku) {
		t.Fatal("TouchProduct")
	}
	a := rc.Next(t)
	var delivered body
	if err := json.Unmarshal(a.Body, &delivered); err != nil {
		t.Fatal(err)
	}
	if d := verify(t, a, hookSecret); d.ResourceID != link.VariantID || delivered.Type != "variation" ||
		strconv.FormatInt(delivered.ParentID, 10) != link.ProductID || delivered.SKU != sku {
		t.Errorf("variation update delivered %+v %s", d, a.Body)
	}
}
