package bigcommerce

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	bcsim "github.com/autosync/autosync/shared/simulator/bigcommerce"
	"github.com/autosync/autosync/shared/testkit"
)

const locationItemsEndpoint = "GET /v3/inventory/locations/{location_id}/items"

// With a location configured, Import Products reads the stock at that
// location and a push writes there, leaving the other location alone; at
// the default location the catalog's inventory_level is the stock and no
// other request is made.
func TestStockAtConfiguredLocation(t *testing.T) {
	tests := []struct {
		name     string
		location int   // Config.LocationID
		at       int64 // the location read and written
		other    int64 // the location left alone
		extra    bool  // location items are read
	}{
		{"unset is the default location", 0, 1, 2, false},
		{"the default location", 1, 1, 2, false},
		{"a second location", 2, 2, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var skus []string
			for i := range 600 { // more than one page of products
				skus = append(skus, fmt.Sprintf("LOC-%04d", i))
			}
			sim := bcsim.New(bcsim.Options{AccessToken: token, StoreHash: hash, SKUs: skus, Limit: roomy, Locations: []int64{2}})
			t.Cleanup(sim.Close)
			vs := sim.Variants()
			for i, v := range vs {
				sim.SetQuantityAt(1, v.SKU, 100+i)
				sim.SetQuantityAt(2, v.SKU, 5000+i)
			}
			c, err := New(Config{StoreHash: hash, BaseURL: serve(t, sim), AccessToken: token, LocationID: tt.location})
			if err != nil {
				t.Fatal(err)
			}
			c.retry, c.pacer.margin = fastRetry, fastRetry.paceMargin

			want := sim.QuantitiesAt(tt.at)
			got := carttest.Listings(t, c, cart.ListingQuery{})
			if len(got) != len(vs) {
				t.Fatalf("%d listings; the store has %d variants", len(got), len(vs))
			}
			for _, l := range got {
				if l.Quantity == nil || *l.Quantity != want[l.SKU] {
					t.Errorf("%s: quantity %v; location %d holds %d", l.SKU, qty(l.Quantity), tt.at, want[l.SKU])
				}
			}
			pages := sim.Stats().ByEndpoint["GET /v3/catalog/products"]
			if n := sim.Stats().ByEndpoint[locationItemsEndpoint]; (n > 0) != tt.extra || n > pages {
				t.Errorf("%d location item requests for %d product pages; want some: %v, at most one a page", n, pages, tt.extra)
			}

			// The product webhook's fetch reads the same stock, for a
			// product tracked by product and one tracked by variant.
			fetched := map[string]bool{}
			for _, v := range vs {
				if fetched[v.TrackedBy] {
					continue
				}
				fetched[v.TrackedBy] = true
				ls, err := c.ProductListings(t.Context(), strconv.FormatInt(v.ProductID, 10))
				if err != nil || len(ls) == 0 {
					t.Fatalf("product %d: %v %v", v.ProductID, ls, err)
				}
				for _, l := range ls {
					if l.Quantity == nil || *l.Quantity != want[l.SKU] {
						t.Errorf("fetched %s (by %s): quantity %v; location %d holds %d", l.SKU, v.TrackedBy, qty(l.Quantity), tt.at, want[l.SKU])
					}
				}
			}
			if len(fetched) != 2 {
				t.Fatalf("the catalog lacks a product tracked by product or by variant: %v", fetched)
			}

			other := sim.QuantitiesAt(tt.other)
			ups := linked(sim)
			res, err := c.SetStock(t.Context(), ups)
			if err != nil {
				t.Fatal(err)
			}
			at := sim.QuantitiesAt(tt.at)
			for i, u := range ups {
				if res[i].Err != nil || at[u.SKU] != u.Quantity {
					t.Errorf("%s: %v; location %d holds %d, want %d", u.SKU, res[i].Err, tt.at, at[u.SKU], u.Quantity)
				}
			}
			if fmt.Sprint(sim.QuantitiesAt(tt.other)) != fmt.Sprint(other) {
				t.Errorf("the push changed location %d", tt.other)
			}
		})
	}
}

func qty(q *int) string {
	if q == nil {
		return "nil"
	}
	return strconv.Itoa(*q)
}

// relocate joins location items to listings by variant id, or for a product
// tracked by product by its product-only item, its base variant's, or its
// only one; a listing without an item gets no quantity, one not tracked
// keeps the catalog's.
func TestRelocate(t *testing.T) {
	item := func(pid, vid int64, n *int) locationItem {
		var it locationItem
		it.Identity.ProductID, it.Identity.VariantID, it.TotalInventoryOnhand = pid, vid, n
		return it
	}
	n := func(v int) *int { return &v }
	listing := func(pid, vid string) cart.Listing {
		return cart.Listing{SKU: pid + "-" + vid, Link: cart.Link{ProductID: pid, VariantID: vid}, Quantity: n(-1)}
	}
	tests := []struct {
		name  string
		track trackedBy
		items []locationItem
		want  []string // quantities of listings 7/70 and 7/71, "nil" for none
	}{
		{"by variant", trackedBy{by: "variant"}, []locationItem{item(7, 71, n(4)), item(7, 70, n(3))}, []string{"3", "4"}},
		{"by variant, one missing at the location", trackedBy{by: "variant"}, []locationItem{item(7, 70, n(3))}, []string{"3", "nil"}},
		{"by variant, no on hand given", trackedBy{by: "variant"}, []locationItem{item(7, 70, nil), item(7, 71, n(0))}, []string{"nil", "0"}},
		{"by variant, another product's item", trackedBy{by: "variant"}, []locationItem{item(8, 70, n(3))}, []string{"3", "nil"}},
		{"by product, named by product", trackedBy{by: "product"}, []locationItem{item(7, 70, n(1)), item(7, 0, n(9))}, []string{"9", "9"}},
		{"by product, the base variant", trackedBy{by: "product", baseVariant: 69}, []locationItem{item(7, 70, n(1)), item(7, 69, n(8))}, []string{"8", "8"}},
		{"by product, the only item", trackedBy{by: "product", baseVariant: 69}, []locationItem{item(7, 70, n(5))}, []string{"5", "5"}},
		{"by product, ambiguous", trackedBy{by: "product"}, []locationItem{item(7, 70, n(1)), item(7, 71, n(2))}, []string{"nil", "nil"}},
		{"by product, none", trackedBy{by: "product"}, nil, []string{"nil", "nil"}},
		{"not tracked", trackedBy{by: "none"}, []locationItem{item(7, 70, n(3))}, []string{"-1", "-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := []cart.Listing{listing("7", "70"), listing("7", "71")}
			relocate(ls, tracking{7: tt.track}, tt.items)
			for i, l := range ls {
				if got := qty(l.Quantity); got != tt.want[i] {
					t.Errorf("%s: %s; want %s", l.SKU, got, tt.want[i])
				}
			}
		})
	}
}

// A location BigCommerce does not have fails the read with a message
// naming the setting, and never reads as a deleted product.
func TestUnknownLocation(t *testing.T) {
	sim, _ := newSim(t, bcsim.Options{})
	c, err := New(Config{StoreHash: hash, BaseURL: serve(t, sim), AccessToken: token, LocationID: 3})
	if err != nil {
		t.Fatal(err)
	}
	c.retry = fastRetry
	_, lerr := c.Listings(t.Context(), cart.ListingQuery{})
	_, perr := c.ProductListings(t.Context(), strconv.FormatInt(sim.Variants()[0].ProductID, 10))
	for _, err := range []error{lerr, perr} {
		var ce *cart.Error
		if !errors.As(err, &ce) || !strings.Contains(ce.Message, "no inventory location 3") || errors.Is(err, cart.ErrNotFound) {
			t.Errorf("error %v; want a *cart.Error naming location 3, not ErrNotFound", err)
		}
	}
}

// The location reads are paced with every other request: many of them
// against a tight window never trip a 429.
func TestLocationReadsArePaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		limit := bcsim.Limit{Requests: 10, Window: 200 * time.Millisecond}
		sim, _ := inMemory(t, bcsim.Options{Limit: limit, Locations: []int64{2}})
		c, err := New(Config{StoreHash: hash, BaseURL: "http://127.0.0.1", AccessToken: token, LocationID: 2, HTTPClient: testkit.Client(sim)})
		if err != nil {
			t.Fatal(err)
		}
		c.retry, c.pacer.margin = fastRetry, fastRetry.paceMargin
		id := strconv.FormatInt(sim.Variants()[0].ProductID, 10)
		start := time.Now()
		for range 20 {
			if _, err := c.ProductListings(t.Context(), id); err != nil {
				t.Fatal(err)
			}
		}
		st := sim.Stats()
		if st.RateLimited != 0 || st.ByEndpoint[locationItemsEndpoint] != 20 {
			t.Errorf("%d 429s, %d location reads; want none, 20", st.RateLimited, st.ByEndpoint[locationItemsEndpoint])
		}
		// 40 requests at 10 per window need three windows after the first.
		if min := 3 * limit.Window; time.Since(start) < min {
			t.Errorf("40 requests took %v; the limit allows no less than %v", time.Since(start), min)
		}
	})
}

// FuzzParseLocationItems feeds arbitrary bodies to the location items
// parser: no panic, and what it accepts holds only storable quantities.
func FuzzParseLocationItems(f *testing.F) {
	f.Add([]byte(`{"data":[{"identity":{"sku":"SM13","variant_id":74,"product_id":111},"available_to_sell":8,"total_inventory_onhand":10,"settings":{"safety_stock":2,"is_in_stock":true,"warning_level":5}}],"meta":{}}`))
	f.Add([]byte(`{"data":[{"identity":{"product_id":123},"total_inventory_onhand":11}],"meta":{"pagination":{"total":2,"count":1,"per_page":1,"current_page":1,"total_pages":2}}}`))
	f.Add([]byte(`{"data":[],"meta":{"pagination":{"current_page":1,"total_pages":0}}}`))
	f.Add([]byte(`{"data":[{"identity":{"variant_id":1},"total_inventory_onhand":-1}]}`))
	f.Add([]byte(`{"status":404,"title":"Location not found."}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, more, err := parseLocationItems(body, 2)
		if err != nil {
			return
		}
		if more && len(items) == 0 {
			t.Error("an empty page says more follow")
		}
		for _, it := range items {
			if q := it.TotalInventoryOnhand; q != nil && (*q < 0 || *q > maxQuantity) {
				t.Errorf("accepted on hand %d", *q)
			}
		}
	})
}
