package devserver

import (
	"net/url"
	"testing"

	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

// TestDemoAmazonFBA walks issue 5's Amazon acceptance on the local stack:
// FBA orders land under shipped+FBA, the FBA warehouse holds Amazon's
// fulfillable quantities, FBA stock reaches no cart, and a stock change
// reaches Amazon's seller-fulfilled listings.
func TestDemoAmazonFBA(t *testing.T) {
	c, srv := startDemo(t, 1)
	var chans struct{ Channels []struct{ ID, Type string } }
	c.do("GET", "/v1/channels", nil, &chans)
	ids := map[string]string{}
	for _, ch := range chans.Channels {
		ids[ch.Type] = ch.ID
	}
	amz := ids["amazon"]
	if amz == "" {
		t.Fatal("demo has no Amazon channel")
	}
	simAny, _ := srv.Simulator(amz)
	sim := simAny.(*amazonsim.Server)

	c.runOnce("import_products", amz, ids["shopify"])
	c.runOnce("import_fba_inventory", amz)
	c.runOnce("import_fba_orders", amz)
	c.runOnce("import_orders", amz)

	var fba struct {
		Orders []struct {
			ExternalID string `json:"external_id"`
		}
	}
	c.do("GET", "/v1/orders?filter=shipped&tag=FBA&limit=200&channel_id="+url.QueryEscape(amz), nil, &fba)
	if want := len(sim.FBAOrders()); len(fba.Orders) != want || want == 0 {
		t.Fatalf("%d FBA orders under shipped+FBA, simulator has %d", len(fba.Orders), want)
	}
	fbaWH := "fba_" + amz
	for sku, q := range sim.FBAQuantities() {
		var p product
		found := false
		for _, pr := range c.products("") {
			if pr.SKU == sku {
				p, found = pr, true
			}
		}
		if !found {
			t.Fatalf("FBA SKU %s not in the catalog", sku)
		}
		got := -1
		for _, s := range p.Inventory {
			if s.WarehouseID == fbaWH {
				got = s.OnHand
			}
		}
		if got != q {
			t.Errorf("FBA warehouse holds %d of %s, Amazon says %d", got, sku, q)
		}
	}

	// A stock change reaches Amazon (seller-fulfilled) and Shopify; the
	// FBA units of the same SKU reach neither.
	sku := ""
	for s, q := range sim.FBAQuantities() {
		if q > 0 && (sku == "" || s < sku) {
			sku = s
		}
	}
	if sku == "" {
		t.Fatal("the demo's Amazon has no FBA stock")
	}
	var mug product
	if code := c.do("PUT", "/v1/products/"+url.PathEscape(sku)+"/inventory", map[string]any{"warehouse_id": "wh_default", "on_hand": 40}, &mug); code != 200 {
		t.Fatalf("set stock: %d", code)
	}
	c.runOnce("write_inventory", amz, ids["shopify"])
	want := 0
	for _, s := range mug.Inventory {
		if s.WarehouseID == "wh_default" {
			want = s.Available
		}
	}
	if got := c.cartQuantities(amz)[sku]; got != want {
		t.Errorf("Amazon MFN shows %s %d, want %d (FBA stock excluded)", sku, got, want)
	}
	if got := c.cartQuantities(ids["shopify"])[sku]; got != want {
		t.Errorf("Shopify shows %s %d, want %d (FBA stock excluded)", sku, got, want)
	}
}
