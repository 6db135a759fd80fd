package bigcommerce

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	bcsim "github.com/autosync/autosync/shared/simulator/bigcommerce"
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
