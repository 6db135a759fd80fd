package shopifysim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// A second location: inventoryQuantity sums the locations, inventoryLevel
// reads one, and a write at one leaves the other alone.
func TestAddLocation(t *testing.T) {
	s := New(Options{StartEmpty: true, Plan: Plan{MaximumAvailable: 1e6, RestoreRate: 1e6}})
	p := s.AddProduct(NewProduct{Title: "Mug", Variants: []NewVariant{{SKU: "A-1", Available: 5}, {SKU: "B-1", Available: 2}}})
	primary := s.PrimaryLocation().GID
	wh := s.AddLocation("Warehouse", map[string]int{"A-1": 7, "NOT-SOLD": 3})
	if wh.GID == primary || wh.Name != "Warehouse" {
		t.Fatalf("new location %+v; primary %s", wh, primary)
	}
	if got := s.QuantitiesAt(wh.GID); len(got) != 1 || got["A-1"] != 7 {
		t.Errorf("QuantitiesAt(warehouse) = %v; want only A-1: 7", got)
	}
	if got := s.QuantitiesAt("gid://shopify/Location/1"); got != nil {
		t.Errorf("QuantitiesAt(unknown) = %v; want nil", got)
	}
	if s.PrimaryLocation().GID != primary {
		t.Error("adding a location moved the primary one")
	}

	url := serve(t, s)
	// read returns each variant's inventoryQuantity and the data, which
	// hold A-1's (a) and B-1's (b) levels at loc; the warehouse does not
	// stock B-1.
	read := func(loc string) (map[string]int, json.RawMessage) {
		t.Helper()
		q := fmt.Sprintf(`query($p: ID!, $a: ID!, $b: ID!) {
  p: product(id: $p) { variants(first: 2) { nodes { sku inventoryQuantity } } }
  a: inventoryItem(id: $a) { inventoryLevel(locationId: %q) { quantities(names: ["available"]) { quantity } } }
  b: inventoryItem(id: $b) { inventoryLevel(locationId: %q) { quantities(names: ["available"]) { quantity } } }
}`, loc, loc)
		_, r, raw := post(t, url, DefaultAccessToken, q, map[string]any{"p": p.GID, "a": p.Variants[0].InventoryItemGID, "b": p.Variants[1].InventoryItemGID})
		if r.Errors != nil {
			t.Fatalf("%s", raw)
		}
		var d struct {
			P struct {
				Variants struct {
					Nodes []struct {
						SKU               string `json:"sku"`
						InventoryQuantity int    `json:"inventoryQuantity"`
					} `json:"nodes"`
				} `json:"variants"`
			} `json:"p"`
		}
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatal(err)
		}
		total := map[string]int{}
		for _, n := range d.P.Variants.Nodes {
			total[n.SKU] = n.InventoryQuantity
		}
		return total, r.Data
	}
	total, data := read(primary)
	if total["A-1"] != 5+7 || total["B-1"] != 2 {
		t.Errorf("inventoryQuantity %v; want A-1 5+7, B-1 2", total)
	}
	if want := `"a":{"inventoryLevel":{"quantities":[{"quantity":5}]}},"b":{"inventoryLevel":{"quantities":[{"quantity":2}]}}`; !strings.Contains(string(data), want) {
		t.Errorf("at the primary location: %s; want %s", data, want)
	}
	_, data = read(wh.GID)
	if want := `"a":{"inventoryLevel":{"quantities":[{"quantity":7}]}},"b":{"inventoryLevel":null}`; !strings.Contains(string(data), want) {
		t.Errorf("at the warehouse: %s; want %s", data, want)
	}

	// A write at the warehouse moves only the warehouse's level.
	vars := setInput("available", false, qty(p.Variants[0].InventoryItemGID, wh.GID, 4, 7))
	if _, d, raw := mutate(t, url, vars); len(d.codes()) != 0 {
		t.Fatalf("set at the warehouse: %s", raw)
	}
	if a, w := s.Quantities()["A-1"], s.QuantitiesAt(wh.GID)["A-1"]; a != 5 || w != 4 {
		t.Errorf("after setting the warehouse to 4: primary %d, warehouse %d", a, w)
	}
}

// Units removed from an order stay in LineItem.quantity and leave
// currentQuantity, and go back to available; cancelling or fulfilling the
// order afterwards moves only the units still on it.
func TestRemoveUnits(t *testing.T) {
	tests := []struct {
		name   string
		finish func(s *Server, id string) error
		avail  int // A-1 available at the end, relative to the start
		onHand int // likewise on hand
	}{
		{"left open", nil, -2, 0},
		{"then cancelled", (*Server).CancelOrder, 0, 0},
		{"then fulfilled", (*Server).FulfillOrder, -2, -2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{SKUs: []string{"A-1", "B-1"}})
			s.Seed(0, 1)
			level := func() (int, int) {
				for _, p := range s.Products() {
					for _, v := range p.Variants {
						if v.SKU == "A-1" {
							return v.Available, v.OnHand
						}
					}
				}
				t.Fatal("no A-1")
				return 0, 0
			}
			avail0, hand0 := level()
			id := s.CreateOrder([]cart.Line{{SKU: "A-1", Quantity: 3}, {SKU: "B-1", Quantity: 1}})
			if err := s.RemoveUnits(id, "A-1", 1); err != nil {
				t.Fatal(err)
			}
			if err := s.RemoveUnits(id, "B-1", 1); err != nil {
				t.Fatal(err)
			}
			if err := s.RemoveUnits(id, "A-1", 3); err == nil {
				t.Error("removed 3 of the 2 units left")
			}
			o, _ := s.Order(id)
			if want := []cart.Line{{SKU: "A-1", Quantity: 2}}; !slices.Equal(o.Lines, want) {
				t.Errorf("Order lines %v; want %v", o.Lines, want)
			}
			url := serve(t, s)
			_, r, raw := post(t, url, DefaultAccessToken, `query($id: ID!) { order(id: $id) { lineItems(first: 5) { nodes { sku quantity currentQuantity } } } }`,
				map[string]any{"id": o.GID})
			want := `{"order":{"lineItems":{"nodes":[{"sku":"A-1","quantity":3,"currentQuantity":2},{"sku":"B-1","quantity":1,"currentQuantity":0}]}}}`
			if string(r.Data) != want {
				t.Errorf("got %s; want data %s", raw, want)
			}
			if tt.finish != nil {
				if err := tt.finish(s, id); err != nil {
					t.Fatal(err)
				}
				if err := s.RemoveUnits(id, "A-1", 1); err == nil {
					t.Error("removed units from a finished order")
				}
			}
			if a, h := level(); a != avail0+tt.avail || h != hand0+tt.onHand {
				t.Errorf("A-1 available %d, on hand %d; want %d, %d", a, h, avail0+tt.avail, hand0+tt.onHand)
			}
		})
	}
	if err := New(Options{}).RemoveUnits("404", "A-1", 1); err == nil {
		t.Error("removed units from a missing order")
	}
}
