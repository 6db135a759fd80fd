package woocommerce

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/clock"
	woosim "github.com/autosync/autosync/shared/simulator/woocommerce"
)

func TestListings(t *testing.T) {
	skus := []string{"MUG-BLUE", "MUG-RED", "TEE-S", "TEE-M", "TEE-L", "CAP-BLACK", "POSTER-A2", "SOCKS-3PK"}
	sim, c := newSim(t, woosim.Options{SKUs: skus})
	got := carttest.Listings(t, c, cart.ListingQuery{})
	bySKU := map[string]cart.Listing{}
	for _, l := range got {
		if _, dup := bySKU[l.SKU]; dup {
			t.Errorf("SKU %s listed twice", l.SKU)
		}
		bySKU[l.SKU] = l
	}
	if g := slices.Sorted(maps.Keys(bySKU)); !slices.Equal(g, sorted(skus)) {
		t.Fatalf("listed %v; want %v", g, sorted(skus))
	}
	links, qty := sim.Links(), sim.Quantities()
	for sku, l := range bySKU {
		if l.Link != links[sku] {
			t.Errorf("%s: link %+v; want %+v", sku, l.Link, links[sku])
		}
		if l.Quantity == nil || *l.Quantity != qty[sku] {
			t.Errorf("%s: quantity %v; want %d", sku, l.Quantity, qty[sku])
		}
		if l.Name == "" || l.Price == "" || len(l.Images) == 0 || l.UpdatedAt.IsZero() {
			t.Errorf("%s: listing %+v lacks details", sku, l)
		}
		for _, img := range l.Images {
			if !strings.HasPrefix(img, "https://") {
				t.Errorf("%s: image %q", sku, img)
			}
		}
	}
	// Variations: their own image first, then the parent's; name with the
	// option; linked by product and variation.
	tee := bySKU["TEE-M"]
	if tee.Link.VariantID == "" || tee.Name != "Tee - M" || len(tee.Images) != 2 || !strings.Contains(tee.Images[0], "tee-m") {
		t.Errorf("TEE-M = %+v", tee)
	}
	if cap := bySKU["CAP-BLACK"]; cap.Link.VariantID != "" || cap.Name != "Cap Black" {
		t.Errorf("CAP-BLACK = %+v", cap)
	}
	st := sim.Stats()
	if n := st.ByEndpoint["GET /products/{id}/variations"]; n != 2 {
		t.Errorf("%d variations requests; want one per variable product (2)", n)
	}
	if n := st.ByEndpoint["GET /products"]; n != 1 {
		t.Errorf("%d products requests; want 1", n)
	}
}

func TestListingsPagingAndWindow(t *testing.T) {
	clk := clock.NewFake(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC))
	var skus []string
	for i := range 230 {
		skus = append(skus, fmt.Sprintf("P%04d", i))
	}
	for i := range 120 { // 20 variable products of six variations
		skus = append(skus, fmt.Sprintf("V%02d-%d", i/6, i%6))
	}
	sim, c := newSim(t, woosim.Options{SKUs: skus, Now: clk.Now})
	got := carttest.Listings(t, c, cart.ListingQuery{})
	if len(got) != len(skus) {
		t.Fatalf("listed %d SKUs; want %d", len(got), len(skus))
	}
	// Only what changed since.
	clk.Add(time.Hour)
	from := clk.Now()
	sim.TouchProduct("P0007")
	sim.TouchProduct("V03-2")
	clk.Add(time.Second)
	got = carttest.Listings(t, c, cart.ListingQuery{UpdatedFrom: from, UpdatedTo: clk.Now()})
	var names []string
	for _, l := range got {
		names = append(names, l.SKU)
	}
	// A touched variation's parent is listed with all its variations.
	want := []string{"P0007", "V03-0", "V03-1", "V03-2", "V03-3", "V03-4", "V03-5"}
	if !slices.Equal(sorted(names), want) {
		t.Errorf("changed listings = %v; want %v", sorted(names), want)
	}
}

func TestSetStock(t *testing.T) {
	sim, c := newSim(t, woosim.Options{})
	links := sim.Links()
	skus := sim.SKUs() // 40 simple, 20 variations of 5 products
	var ups []cart.StockUpdate
	for i, sku := range skus {
		ups = append(ups, cart.StockUpdate{SKU: sku, Link: links[sku], Quantity: 100 + i})
	}
	sim.FailSKU("SKU-0003", 1)
	sim.FailSKU("VAR-02-C", 1)
	res, err := c.SetStock(t.Context(), ups)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(ups) {
		t.Fatalf("%d results for %d updates", len(res), len(ups))
	}
	q := sim.Quantities()
	for i, r := range res {
		sku := ups[i].SKU
		if r.SKU != sku {
			t.Errorf("result %d is for %s; want %s", i, r.SKU, sku)
		}
		failed := sku == "SKU-0003" || sku == "VAR-02-C"
		switch {
		case failed:
			var ce *cart.Error
			if !errors.As(r.Err, &ce) || !strings.Contains(ce.Message, "simulated failure") || !strings.Contains(ce.Message, sku) {
				t.Errorf("%s: err = %v; want the store's per-item reason", sku, r.Err)
			}
			if q[sku] == ups[i].Quantity {
				t.Errorf("%s: failed yet set", sku)
			}
		case r.Err != nil:
			t.Errorf("%s: %v", sku, r.Err)
		case q[sku] != ups[i].Quantity:
			t.Errorf("%s: confirmed but the store has %d, not %d", sku, q[sku], ups[i].Quantity)
		}
	}
	// One request for the simple products, one per variable parent.
	st := sim.Stats()
	if n, v := st.ByEndpoint["POST /products/batch"], st.ByEndpoint["POST /products/{id}/variations/batch"]; n != 1 || v != 5 {
		t.Errorf("requests: %d products batch, %d variations batch; want 1 and 5", n, v)
	}
	// The failed ones succeed when pushed again.
	res, err = c.SetStock(t.Context(), []cart.StockUpdate{ups[2], ups[49]})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	if q := sim.Quantities(); q["SKU-0003"] != ups[2].Quantity || q[ups[49].SKU] != ups[49].Quantity {
		t.Errorf("retry did not set the stock")
	}
}

func TestSetStockBadLinks(t *testing.T) {
	sim, c := newSim(t, woosim.Options{})
	links := sim.Links()
	ups := []cart.StockUpdate{
		{SKU: "SKU-0001", Link: links["SKU-0001"], Quantity: 3},
		{SKU: "UNLINKED", Quantity: 3},
		{SKU: "GONE", Link: cart.Link{ProductID: "999999"}, Quantity: 3},
		{SKU: "GONE-VAR", Link: cart.Link{ProductID: links["VAR-01-A"].ProductID, VariantID: "999998"}, Quantity: 3},
		{SKU: "BAD", Link: cart.Link{ProductID: "abc"}, Quantity: 3},
		{SKU: "SKU-0002", Link: links["SKU-0002"], Quantity: 0},
	}
	res, err := c.SetStock(t.Context(), ups)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		ok := ups[i].SKU == "SKU-0001" || ups[i].SKU == "SKU-0002"
		if ok != (r.Err == nil) {
			t.Errorf("%s: err = %v", ups[i].SKU, r.Err)
		}
		if !ok && !errors.Is(r.Err, cart.ErrNotFound) {
			t.Errorf("%s: err = %v; want cart.ErrNotFound", ups[i].SKU, r.Err)
		}
	}
	if q := sim.Quantities(); q["SKU-0001"] != 3 || q["SKU-0002"] != 0 {
		t.Errorf("quantities %d, %d", q["SKU-0001"], q["SKU-0002"])
	}
	if _, err := c.SetStock(t.Context(), make([]cart.StockUpdate, 101)); err == nil {
		t.Error("101 updates accepted")
	}
	if c.MaxBatch() != 100 {
		t.Errorf("MaxBatch = %d", c.MaxBatch())
	}
}
