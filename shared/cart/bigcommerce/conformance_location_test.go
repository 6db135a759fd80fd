package bigcommerce

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
)

// At a location other than the default, the location items request
// validates against the published Inventory document, and the published
// location item is read for its total_inventory_onhand (the stock an
// absolute adjustment sets, not available_to_sell), joined to the
// published product's variants; at the default location the catalog's
// inventory_level is read and nothing else is asked.
func TestConformanceStockAtLocation(t *testing.T) {
	var published struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(example(t, "GET", "/v3/inventory/locations/2/items", 200), &published); err != nil || len(published.Data) == 0 {
		t.Fatalf("published location items: %v", err)
	}
	exampleItem := published.Data[0]
	onHand, _ := exampleItem["total_inventory_onhand"].(float64)
	available, _ := exampleItem["available_to_sell"].(float64)
	if onHand == available {
		t.Fatalf("the published item's on hand (%v) and available (%v) are equal: the test could not tell them apart", onHand, available)
	}

	tests := []struct {
		name     string
		location int
		tracking string // the published product's inventory_tracking is "none"; set to this
		pages    int    // location item pages served
	}{
		{"by variant at a second location", 2, "variant", 2},
		{"by product at a second location", 2, "product", 1},
		{"by variant at the default location", 1, "variant", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			product, meta := publishedProduct(t)
			product["inventory_tracking"] = tt.tracking
			// A second product on the page, the published one with its ids
			// and SKUs moved, so the request names several products.
			second := cloneJSON(t, product)
			pid := int64(product["id"].(float64))
			second["id"] = pid + 1000
			for _, v := range second["variants"].([]any) {
				v := v.(map[string]any)
				v["id"] = v["id"].(float64) + 1000
				v["product_id"] = pid + 1000
				if sku, _ := v["sku"].(string); sku != "" {
					v["sku"] = sku + "-B"
				}
			}
			// The served items: the published one, renamed for each of the
			// products' variants (by product: for the product alone, as
			// BigCommerce's inventory guide shows a product-tracked item),
			// each variant's on hand a different number.
			var items []any
			want := map[string]int{}
			for k, p := range []map[string]any{product, second} {
				id := p["id"]
				for i, v := range p["variants"].([]any) {
					v := v.(map[string]any)
					sku, _ := v["sku"].(string)
					it := maps.Clone(exampleItem)
					n := int(onHand) + 10*k + i
					it["total_inventory_onhand"] = n
					switch tt.tracking {
					case "variant":
						it["identity"] = map[string]any{"sku": sku, "variant_id": v["id"], "product_id": id}
						if sku != "" {
							want[sku] = n
						}
						items = append(items, it)
					case "product":
						if i == 0 {
							it["identity"] = map[string]any{"product_id": id}
							items = append(items, it)
						}
						if sku != "" {
							want[sku] = int(onHand) + 10*k
						}
					}
				}
				if tt.location == defaultLocation {
					// The catalog's own figures.
					for _, l := range wantListings(t, p) {
						want[l.SKU] = *l.Quantity
					}
				}
			}
			page, _ := json.Marshal(map[string]any{"data": []any{product, second}, "meta": meta})
			one, _ := json.Marshal(map[string]any{"data": product, "meta": map[string]any{}})
			served := 0 // location item pages
			srv, _ := specServer(t, func(r *http.Request, _ []byte) (int, []byte, bool) {
				if r.Method != http.MethodGet || r.URL.Path != "/"+CatalogAPI+"/inventory/locations/"+strconv.Itoa(tt.location)+"/items" {
					return catalogAnswer(r, page, one)
				}
				served++
				// Only the products read: both for a page, one when fetched.
				if got := r.URL.Query().Get("product_id:in"); got != fmt.Sprintf("%d,%d", pid, pid+1000) && got != strconv.FormatInt(pid, 10) {
					t.Errorf("product_id:in=%q; want the products read (%d, %d)", got, pid, pid+1000)
				}
				// The published meta says page 1 of 50 of one item; the
				// served pages split the items in tt.pages.
				n, _ := strconv.Atoi(r.URL.Query().Get("page"))
				per := (len(items) + tt.pages - 1) / tt.pages
				lo, hi := min((n-1)*per, len(items)), min(n*per, len(items))
				b, _ := json.Marshal(map[string]any{"data": items[lo:hi], "meta": map[string]any{"pagination": map[string]any{
					"total": len(items), "count": hi - lo, "per_page": per, "current_page": n, "total_pages": tt.pages,
				}}})
				return http.StatusOK, b, true
			})
			c, err := New(Config{StoreHash: hash, BaseURL: srv.URL, AccessToken: token, LocationID: tt.location})
			if err != nil {
				t.Fatal(err)
			}
			c.retry = fastRetry
			check := func(what string, got []cart.Listing, n int) {
				t.Helper()
				if len(got) != n || len(got) == 0 {
					t.Fatalf("%s: %d listings; want %d", what, len(got), n)
				}
				for _, l := range got {
					if l.Quantity == nil || *l.Quantity != want[l.SKU] {
						t.Errorf("%s: %s quantity %s; want %d", what, l.SKU, qty(l.Quantity), want[l.SKU])
					}
				}
			}
			check("listings", carttest.Listings(t, c, cart.ListingQuery{}), len(want))
			fetched, err := c.ProductListings(t.Context(), strconv.FormatInt(pid, 10))
			if err != nil {
				t.Fatal(err)
			}
			check("fetched product", fetched, len(want)/2)
			if served != 2*tt.pages {
				t.Errorf("%d location item pages read; want %d for each of the two reads: %v", served, tt.pages, srv.Seen())
			}
		})
	}
}

func cloneJSON(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
