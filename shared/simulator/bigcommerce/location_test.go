package bigcommercesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

// locationItemsOf reads GET /v3/inventory/locations/{loc}/items with query,
// keyed by SKU, and the answer's status.
func locationItemsOf(t *testing.T, f *fixture, loc int64, query string) (int, map[string]locationItemJSON) {
	t.Helper()
	resp, b := f.get(t, fmt.Sprintf("/v3/inventory/locations/%d/items?%s", loc, query))
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	var page struct {
		Data []locationItemJSON `json:"data"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	out := map[string]locationItemJSON{}
	for _, it := range page.Data {
		out[it.Identity.SKU] = it
	}
	return resp.StatusCode, out
}

// Stock is kept per location: the catalog's inventory_level is the default
// location's, an adjustment changes only the location it names, and the
// location items endpoint answers each location's own stock.
func TestStockPerLocation(t *testing.T) {
	f := newFixture(t, Options{Locations: []int64{3, 2, 3, 0}})
	if got := fmt.Sprint(f.sim.Locations()); got != "[1 2 3]" {
		t.Fatalf("locations %s; want [1 2 3]", got)
	}
	vs := f.sim.Variants()
	v := vs[0]
	for _, tt := range []struct {
		name    string
		loc     int64
		qty     int
		applied bool
	}{
		{"default location", LocationID, 11, true},
		{"second location", 2, 22, true},
		{"third location", 3, 33, true},
		{"unknown location", 9, 99, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := map[int64]map[string]int{}
			for _, l := range f.sim.Locations() {
				before[l] = f.sim.QuantitiesAt(l)
			}
			resp, b := f.do(t, http.MethodPut, "/v3/inventory/adjustments/absolute", map[string]any{
				"reason": "test", "items": []any{map[string]any{"location_id": tt.loc, "variant_id": v.VariantID, "quantity": tt.qty}},
			}, token)
			if applied := resp.StatusCode == http.StatusOK; applied != tt.applied {
				t.Fatalf("status %d %s; applied should be %v", resp.StatusCode, b, tt.applied)
			}
			for _, l := range f.sim.Locations() {
				want := before[l][v.SKU]
				if tt.applied && l == tt.loc {
					want = tt.qty
				}
				if got := f.sim.QuantitiesAt(l)[v.SKU]; got != want {
					t.Errorf("location %d holds %d; want %d", l, got, want)
				}
				status, items := locationItemsOf(t, f, l, "sku:in="+v.SKU)
				if it, ok := items[v.SKU]; status != 200 || !ok || it.TotalInventoryOnhand != want || it.AvailableToSell != want {
					t.Errorf("location %d items: %d %+v; want %d", l, status, it, want)
				}
			}
		})
	}
	if status, _ := locationItemsOf(t, f, 9, ""); status != http.StatusNotFound {
		t.Errorf("unknown location: %d; want 404", status)
	}
	if f.sim.QuantitiesAt(9) != nil || f.sim.SetQuantityAt(9, v.SKU, 1) {
		t.Error("location 9 does not exist")
	}

	// The catalog reports the default location's stock only.
	f.sim.SetQuantityAt(2, v.SKU, 500)
	resp, b := f.get(t, "/v3/catalog/products/"+strconv.FormatInt(v.ProductID, 10)+"?include=variants")
	var p struct {
		Data struct {
			InventoryLevel int `json:"inventory_level"`
			Variants       []struct {
				ID             int64 `json:"id"`
				InventoryLevel int   `json:"inventory_level"`
			} `json:"variants"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &p); err != nil || resp.StatusCode != 200 {
		t.Fatalf("product: %d %v", resp.StatusCode, err)
	}
	for _, pv := range p.Data.Variants {
		if pv.ID == v.VariantID && pv.InventoryLevel != f.sim.Quantities()[v.SKU] {
			t.Errorf("variant inventory_level %d; the default location holds %d", pv.InventoryLevel, f.sim.Quantities()[v.SKU])
		}
	}
}

// The location items endpoint filters by product_id:in, variant_id:in and
// sku:in, each a comma-separated list.
func TestLocationItemsFilters(t *testing.T) {
	f := newFixture(t, Options{Locations: []int64{2}})
	vs := f.sim.Variants()
	a, b := vs[0], vs[len(vs)-1]
	bySKU := map[string]Variant{}
	for _, v := range vs {
		bySKU[v.SKU] = v
	}
	ofProducts := func(ids ...int64) []string {
		var out []string
		for _, v := range vs {
			for _, id := range ids {
				if v.ProductID == id {
					out = append(out, v.SKU)
				}
			}
		}
		return out
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{fmt.Sprintf("product_id:in=%d,%d", a.ProductID, b.ProductID), ofProducts(a.ProductID, b.ProductID)},
		{fmt.Sprintf("variant_id:in=%d,%d", a.VariantID, b.VariantID), []string{a.SKU, b.SKU}},
		{"sku:in=" + a.SKU + "," + b.SKU, []string{a.SKU, b.SKU}},
		{"product_id:in=999999", nil},
		{"limit=1000", func() []string {
			var all []string
			for _, v := range vs {
				all = append(all, v.SKU)
			}
			return all
		}()},
	} {
		t.Run(tt.query, func(t *testing.T) {
			_, items := locationItemsOf(t, f, 2, tt.query)
			if len(items) != len(tt.want) {
				t.Fatalf("%d items; want %d", len(items), len(tt.want))
			}
			for _, sku := range tt.want {
				it, ok := items[sku]
				v := bySKU[sku]
				if !ok || it.Identity.VariantID != v.VariantID || it.Identity.ProductID != v.ProductID || it.TotalInventoryOnhand != 0 {
					t.Errorf("%s: %+v (a new location holds none)", sku, it)
				}
			}
		})
	}
}
