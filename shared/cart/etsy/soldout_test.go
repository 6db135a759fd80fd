package etsy

import (
	"slices"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
)

// sellOut sells every unit of the SKUs' listing in one order, as buyers
// on Etsy would: Etsy makes the listing sold_out.
func sellOut(t *testing.T, sim *etsysim.Server, sku string) {
	t.Helper()
	l := listingOf(t, sim, sku)
	inv, _ := sim.Inventory(l.ID)
	var lines []cart.Line
	for _, p := range inv.Products {
		if o := p.Offerings[0]; o.IsEnabled && o.Quantity > 0 {
			lines = append(lines, cart.Line{SKU: p.SKU, Quantity: o.Quantity})
		}
	}
	if _, err := sim.PlaceOrder(lines); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, sim, sku); got != "sold_out" {
		t.Fatalf("listing of %s %s after selling out; want sold_out", sku, got)
	}
}

// writeWhileSoldOut writes quantities to a sold-out listing as an
// earlier write-back (or another app) did: Etsy keeps them and leaves
// the listing sold_out (etsy/open-api#247).
func writeWhileSoldOut(t *testing.T, c *Client, sim *etsysim.Server, link map[string]cart.Link, q map[string]int) {
	t.Helper()
	var sku string
	for sku = range q {
		break
	}
	id, _ := cart.ParseID(link[sku].ProductID)
	inv, err := c.inventory(t.Context(), id, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.putInventory(t.Context(), id, apply(inv, id, q).body); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, sim, sku); got != "sold_out" {
		t.Fatalf("listing %s after an inventory update; want still sold_out", got)
	}
}

func updatesFor(link map[string]cart.Link, q map[string]int, policy string) []cart.StockUpdate {
	var ups []cart.StockUpdate
	for _, sku := range append([]string{"CAP"}, mugs...) {
		if n, ok := q[sku]; ok {
			ups = append(ups, cart.StockUpdate{SKU: sku, Link: link[sku], Quantity: n, ZeroStock: policy})
		}
	}
	return ups
}

// TestSoldOutListingRestocked: a listing Etsy made sold_out (its last
// unit sold) that gets stock again in Autosync is written and renewed
// (updateListing state=active), then written once more, since renewing
// sets its quantity to 1 (the published spec on state): it ends active,
// selling exactly the quantities pushed.
func TestSoldOutListingRestocked(t *testing.T) {
	const (
		inventoryPath = "/v3/application/listings/{id}/inventory"
		listingPath   = "/v3/application/shops/27182818/listings/{id}"
	)
	tests := []struct {
		name   string
		sold   string         // a SKU of the listing sold out
		before map[string]int // written while sold out, if any
		push   map[string]int
		want   []string // requests after the push
	}{
		{"one product", "CAP", nil, map[string]int{"CAP": 5},
			[]string{"GET " + inventoryPath, "PUT " + inventoryPath, "PATCH " + listingPath, "PUT " + inventoryPath}},
		{"three colors, one back", "MUG-RED", nil, map[string]int{"MUG-BLUE": 0, "MUG-RED": 4, "MUG-GREEN": 0},
			[]string{"GET " + inventoryPath, "PUT " + inventoryPath, "PATCH " + listingPath, "PUT " + inventoryPath}},
		{"three colors, two back", "MUG-RED", nil, map[string]int{"MUG-BLUE": 3, "MUG-RED": 0, "MUG-GREEN": 9},
			[]string{"GET " + inventoryPath, "PUT " + inventoryPath, "PATCH " + listingPath, "PUT " + inventoryPath}},
		// Etsy already holds the quantities (written while it was sold
		// out), so nothing is written before the renewal.
		{"stock already written", "MUG-RED", map[string]int{"MUG-BLUE": 2, "MUG-RED": 0, "MUG-GREEN": 7},
			map[string]int{"MUG-BLUE": 2, "MUG-RED": 0, "MUG-GREEN": 7},
			[]string{"GET " + inventoryPath, "PATCH " + listingPath, "PUT " + inventoryPath}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c, rec, link := zeroSim(t)
			sellOut(t, sim, tt.sold)
			if tt.before != nil {
				writeWhileSoldOut(t, c, sim, link, tt.before)
			}
			id := link[tt.sold].ProductID
			n := rec.count()
			res, err := c.SetStock(t.Context(), updatesFor(link, tt.push, ""))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil || r.Listing != cart.ListingReactivated {
					t.Errorf("%s: %v %q; want reactivated", r.SKU, r.Err, r.Listing)
				}
			}
			want := strings.ReplaceAll(strings.Join(tt.want, "|"), "{id}", id)
			if got := strings.Join(rec.since(n), "|"); got != want {
				t.Errorf("requests\n%s\nwant\n%s", got, want)
			}
			if got := stateOf(t, sim, tt.sold); got != "active" {
				t.Fatalf("listing %s; want active", got)
			}
			offered := sim.Quantities()
			for sku, q := range tt.push {
				if offered[sku] != q {
					t.Errorf("Etsy offers %d of %s; want %d (offers %v)", offered[sku], sku, q, offered)
				}
			}
			if ws := c.WriteStats(); ws.Reactivated != 1 || ws.Deactivated != 0 {
				t.Errorf("write stats %+v", ws)
			}
			if st := sim.Stats(); st.InventoryRejected != 0 || st.StateRejected != 0 {
				t.Errorf("Etsy refused %d inventory and %d state updates", st.InventoryRejected, st.StateRejected)
			}
		})
	}
}

// TestSoldOutListingAtZero: every variation of a listing Etsy already
// made sold_out going to 0 sends nothing but the read: the listing sells
// nothing already, so it is not made inactive (and an all-zero inventory,
// which Etsy refuses, is not sent), whatever the zero-stock policy. The
// SKUs count as written, their listing off sale, so stock coming back
// renews it.
func TestSoldOutListingAtZero(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		before map[string]int // written while sold out, if any
	}{
		{"sold out by a sale", "", nil},
		{"stock written while sold out", "", map[string]int{"MUG-BLUE": 2, "MUG-RED": 0, "MUG-GREEN": 7}},
		{"suspend policy", cart.ZeroStockSuspend, map[string]int{"MUG-BLUE": 2, "MUG-RED": 0, "MUG-GREEN": 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c, rec, link := zeroSim(t)
			sellOut(t, sim, "MUG-RED")
			if tt.before != nil {
				writeWhileSoldOut(t, c, sim, link, tt.before)
			}
			n := rec.count()
			res, err := c.SetStock(t.Context(), updatesFor(link, map[string]int{"MUG-BLUE": 0, "MUG-RED": 0, "MUG-GREEN": 0}, tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil || r.Listing != cart.ListingDeactivated {
					t.Errorf("%s: %v %q; want written, listing off sale", r.SKU, r.Err, r.Listing)
				}
			}
			if got := rec.since(n); len(got) != 1 || !strings.HasPrefix(got[0], "GET ") {
				t.Errorf("requests %v; want the one read", got)
			}
			if got := stateOf(t, sim, "MUG-RED"); got != "sold_out" {
				t.Errorf("listing %s; want left sold_out", got)
			}
			if st := sim.Stats(); st.StateChanges != 0 || st.InventoryRejected != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestListingsIncludeSoldOut: Import Products reads sold-out listings
// too (getListingsByShop state=sold_out after state=active), so their
// SKUs stay linked while Etsy has none to sell.
func TestListingsIncludeSoldOut(t *testing.T) {
	sim, c, _, _ := zeroSim(t)
	sellOut(t, sim, "CAP")
	sellOut(t, sim, "MUG-BLUE")
	got := carttest.Listings(t, c, cart.ListingQuery{})
	var skus []string
	for _, l := range got {
		skus = append(skus, l.SKU)
		if l.Quantity == nil || *l.Quantity != 0 {
			t.Errorf("%s: quantity %v; want 0", l.SKU, l.Quantity)
		}
		if sl := listingOf(t, sim, l.SKU); l.Link.ProductID != sl.ID {
			t.Errorf("%s linked to %s; want %s", l.SKU, l.Link.ProductID, sl.ID)
		}
	}
	if want := []string{"CAP", "MUG-BLUE", "MUG-GREEN", "MUG-RED"}; !slices.Equal(sorted(skus), want) {
		t.Errorf("imported %v; want %v", skus, want)
	}
	// A cursor naming no state read is refused, not read as one.
	if _, err := c.Listings(t.Context(), cart.ListingQuery{Cursor: listingCursor{S: len(listedStates)}.encode()}); err == nil {
		t.Error("a cursor past the last state was taken")
	}
}
