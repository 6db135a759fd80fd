package shopify

import (
	"fmt"
	"slices"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

// listingOf returns the listing of sku from a full listing read.
func listingOf(t *testing.T, c *Client, sku string) cart.Listing {
	t.Helper()
	for _, l := range carttest.Listings(t, c, cart.ListingQuery{}) {
		if l.SKU == sku {
			if l.Quantity == nil {
				t.Fatalf("%s has no quantity", sku)
			}
			return l
		}
	}
	t.Fatalf("no listing for %s", sku)
	return cart.Listing{}
}

// Stock is read where it is written: at the primary location. A shop with
// a second location sells the sum of both (inventoryQuantity); importing
// that sum and then writing it, less a sale, to the primary location alone
// would hand the shop the other location's units a second time.
func TestStockReadAtWriteLocation(t *testing.T) {
	tests := []struct {
		name               string
		primary, warehouse int // available; warehouse < 0: no second location
	}{
		{"one location", 7, -1},
		{"primary and warehouse", 5, 5},
		{"warehouse holds more", 2, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const sku = "MUG-BLUE"
			sim, c := newSim(t, shopifysim.Options{StartEmpty: true, SKUs: []string{sku}})
			sim.AddProduct(shopifysim.NewProduct{Title: "Mug", Variants: []shopifysim.NewVariant{{SKU: sku, Available: tt.primary}}})
			primary := sim.PrimaryLocation().GID
			var warehouse string
			if tt.warehouse >= 0 {
				warehouse = sim.AddLocation("Warehouse", map[string]int{sku: tt.warehouse}).GID
			}

			l := listingOf(t, c, sku)
			if *l.Quantity != tt.primary {
				t.Fatalf("imported %d; want the primary location's %d", *l.Quantity, tt.primary)
			}
			pl, err := c.ProductListings(t.Context(), l.Link.ProductID)
			if err != nil || len(pl) != 1 || pl[0].Quantity == nil || *pl[0].Quantity != tt.primary {
				t.Fatalf("ProductListings = %+v, %v; want quantity %d", pl, err, tt.primary)
			}

			// One unit sold elsewhere: Autosync pushes what it imported less one.
			push := *l.Quantity - 1
			res, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: sku, Link: l.Link, Quantity: push}})
			if err != nil || res[0].Err != nil {
				t.Fatalf("SetStock: %v %+v", err, res)
			}
			if got := sim.QuantitiesAt(primary)[sku]; got != push {
				t.Errorf("primary location holds %d after pushing %d", got, push)
			}
			if warehouse != "" {
				if got := sim.QuantitiesAt(warehouse)[sku]; got != tt.warehouse {
					t.Errorf("warehouse holds %d; the push must leave its %d alone", got, tt.warehouse)
				}
			}
			if got := *listingOf(t, c, sku).Quantity; got != push {
				t.Errorf("read back %d after pushing %d", got, push)
			}

			// A sale in the shop, which Shopify takes from the primary
			// location, shows in the next read.
			sim.CreateOrder([]cart.Line{{SKU: sku, Quantity: 1}})
			if got := *listingOf(t, c, sku).Quantity; got != push-1 {
				t.Errorf("read %d after a sale of 1 from %d", got, push)
			}
		})
	}
}

// Order lines carry the units still ordered: units an edit removed or a
// refund took back never leave, so they must not commit stock.
func TestOrderLinesCurrentQuantity(t *testing.T) {
	many := make([]cart.Line, linesPerOrder+2) // past the first page of lines
	for i := range many {
		many[i] = cart.Line{SKU: fmt.Sprintf("L-%02d", i), Quantity: 2}
	}
	type removal struct {
		sku string
		n   int
	}
	tests := []struct {
		name   string
		lines  []cart.Line
		remove []removal
		want   []cart.Line
	}{
		{"nothing removed", []cart.Line{{SKU: "A-1", Quantity: 3}}, nil, []cart.Line{{SKU: "A-1", Quantity: 3}}},
		{"one unit removed", []cart.Line{{SKU: "A-1", Quantity: 3}, {SKU: "B-1", Quantity: 2}},
			[]removal{{"A-1", 1}}, []cart.Line{{SKU: "A-1", Quantity: 2}, {SKU: "B-1", Quantity: 2}}},
		{"a whole line removed", []cart.Line{{SKU: "A-1", Quantity: 3}, {SKU: "B-1", Quantity: 2}},
			[]removal{{"B-1", 2}}, []cart.Line{{SKU: "A-1", Quantity: 3}}},
		{"on a later page of lines", many, []removal{{"L-11", 1}, {"L-10", 2}},
			append(slices.Clone(many[:10]), cart.Line{SKU: "L-11", Quantity: 1})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var skus []string
			for _, l := range tt.lines {
				skus = append(skus, l.SKU)
			}
			sim, c := newSim(t, shopifysim.Options{StartEmpty: true, SKUs: skus})
			sim.Seed(0, 1)
			id := sim.CreateOrder(tt.lines)
			for _, r := range tt.remove {
				if err := sim.RemoveUnits(id, r.sku, r.n); err != nil {
					t.Fatal(err)
				}
			}
			got := carttest.Orders(t, c, everything())
			if len(got) != 1 || !slices.Equal(got[0].Lines, tt.want) {
				t.Errorf("Orders: %+v; want lines %v", got, tt.want)
			}
			one, err := c.Order(t.Context(), id)
			if err != nil || !slices.Equal(one.Lines, tt.want) {
				t.Errorf("Order: lines %v, %v; want %v", one.Lines, err, tt.want)
			}
		})
	}
}
