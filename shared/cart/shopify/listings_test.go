package shopify

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/clock"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

// simVariants indexes the simulator's variants by SKU with their product.
func simVariants(sim *shopifysim.Server) map[string]struct {
	p shopifysim.Product
	v shopifysim.Variant
} {
	out := map[string]struct {
		p shopifysim.Product
		v shopifysim.Variant
	}{}
	for _, p := range sim.Products() {
		for _, v := range p.Variants {
			if v.SKU != "" {
				out[v.SKU] = struct {
					p shopifysim.Product
					v shopifysim.Variant
				}{p, v}
			}
		}
	}
	return out
}

func TestListingsPaging(t *testing.T) {
	var skus []string
	for i := range 300 {
		skus = append(skus, fmt.Sprintf("SKU-%04d", i))
	}
	sim, c := newSim(t, shopifysim.Options{SKUs: skus})
	sim.Seed(0, 21)
	// A product with more variants and media than the first page holds,
	// and a variant without a SKU, which no listing can carry.
	big := shopifysim.NewProduct{Title: "Big Tee"}
	for i := range 40 {
		big.Variants = append(big.Variants, shopifysim.NewVariant{SKU: fmt.Sprintf("BIG-%02d", i), Title: fmt.Sprintf("Size %d", i), Available: i})
	}
	big.Variants = append(big.Variants, shopifysim.NewVariant{Title: "Sample"})
	for i := range 9 {
		big.Images = append(big.Images, fmt.Sprintf("https://cdn.shopify.com/s/files/big-%d.png", i))
	}
	sim.AddProduct(big)

	got := carttest.Listings(t, c, cart.ListingQuery{})
	want := simVariants(sim)
	if len(got) != len(want) || len(want) != 340 {
		t.Fatalf("got %d listings; want %d (every SKU once)", len(got), len(want))
	}
	seen := map[string]bool{}
	for i, l := range got {
		if seen[l.SKU] {
			t.Fatalf("SKU %s listed twice", l.SKU)
		}
		seen[l.SKU] = true
		w, ok := want[l.SKU]
		if !ok {
			t.Fatalf("listing for unknown SKU %q", l.SKU)
		}
		link := cart.Link{ProductID: w.p.GID, VariantID: w.v.GID, InventoryItemID: w.v.InventoryItemGID}
		if l.Link != link {
			t.Errorf("%s link %+v; want %+v", l.SKU, l.Link, link)
		}
		if !slices.Equal(l.Images, w.p.Images) || len(l.Images) == 0 {
			t.Errorf("%s images %v; want %v", l.SKU, l.Images, w.p.Images)
		}
		if l.Quantity == nil || *l.Quantity != w.v.Available || l.Price != w.v.Price || !l.UpdatedAt.Equal(w.p.UpdatedAt) {
			t.Errorf("%s = %+v; simulator has %+v", l.SKU, l, w.v)
		}
		name := w.p.Title
		if len(w.p.Variants) > 1 {
			name += " - " + w.v.Title
		}
		if l.Name != name {
			t.Errorf("%s name %q; want %q", l.SKU, l.Name, name)
		}
		if i > 0 && l.UpdatedAt.Before(got[i-1].UpdatedAt) {
			t.Errorf("%s updated before the listing before it", l.SKU)
		}
	}
	st := sim.Stats()
	pages := (len(sim.Products()) + productsPageSize - 1) / productsPageSize
	if st.Fields["products"] != pages || st.Fields["product"] != 2 || st.Mutations != 0 {
		t.Errorf("queries %v; want %d pages and two follow-ups (variants and media of the big product)", st.Fields, pages)
	}
}

func TestListingsWindow(t *testing.T) {
	clk := clock.NewFake(time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC))
	sim, c := newSim(t, shopifysim.Options{Now: clk.Now})
	t0 := clk.Now()
	var gids []string
	for i := range 4 {
		p := sim.AddProduct(shopifysim.NewProduct{Title: fmt.Sprintf("P%d", i), Variants: []shopifysim.NewVariant{{SKU: fmt.Sprintf("P-%d", i)}}})
		gids = append(gids, p.GID)
		clk.Add(time.Second)
	}
	products := func(ls []cart.Listing) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Link.ProductID)
		}
		return out
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"from inclusive, to exclusive", t0.Add(time.Second), t0.Add(3 * time.Second), gids[1:3]},
		{"open start", time.Time{}, t0.Add(2 * time.Second), gids[:2]},
		{"open end", t0.Add(2 * time.Second), time.Time{}, gids[2:]},
		{"empty", t0.Add(2 * time.Second), t0.Add(2 * time.Second), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := sim.Stats().Requests
			got := products(carttest.Listings(t, c, cart.ListingQuery{UpdatedFrom: tt.from, UpdatedTo: tt.to}))
			if !slices.Equal(got, tt.want) {
				t.Errorf("window [%v, %v) = %v; want %v", tt.from, tt.to, got, tt.want)
			}
			if tt.want == nil && sim.Stats().Requests != before {
				t.Error("an empty window sent a request")
			}
		})
	}
}

// The pacing constants must be what Shopify charges for the documents.
func TestListingCostConstants(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{})
	p := shopifysim.NewProduct{Title: "Many"}
	for i := range variantsPerProduct + 1 {
		p.Variants = append(p.Variants, shopifysim.NewVariant{SKU: fmt.Sprintf("M-%d", i)})
	}
	for i := range mediaPerProduct + 1 {
		p.Images = append(p.Images, fmt.Sprintf("https://cdn.shopify.com/m-%d.png", i))
	}
	sim.AddProduct(p)
	if _, err := c.Listings(t.Context(), cart.ListingQuery{}); err != nil {
		t.Fatal(err)
	}
	// The constants count each variant's InventoryLevel.quantities list
	// (quantitiesCost), which the simulator charges nothing for; the first
	// read also looks the primary location up.
	lists := productsPageSize*variantsPerProduct + variantsRestPageSize
	want := primaryLocationCost + productsQueryCost + productVariantsQueryCost + productMediaQueryCost - lists*quantitiesCost
	if got := sim.Stats().RequestedCost; got != float64(want) {
		t.Errorf("requested %v points; the constants say %v", got, want)
	}
	if productsQueryCost > 1000 || productMediaQueryCost > 1000 || productVariantsQueryCost > 1000 {
		t.Error("a listing query exceeds Shopify's single-query limit of 1000")
	}
}

func TestListingsAuth(t *testing.T) {
	sim := shopifysim.New(shopifysim.Options{AccessToken: "the-right-token"})
	c := newClient(t, serve(t, sim), token)
	_, err := c.Listings(t.Context(), cart.ListingQuery{})
	var ce *cart.Error
	if !errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized {
		t.Fatalf("err = %v; want cart.ErrAuth", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error %q shows the token", err)
	}
}

func TestListingsThrottleStorm(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{Plan: shopifysim.Standard})
	sim.Seed(0, 2)
	sim.SetFaults(shopifysim.Faults{Throttle: 5})
	got := carttest.Listings(t, c, cart.ListingQuery{})
	if len(got) != 60 || sim.Stats().Faults.Throttle != 5 {
		t.Errorf("%d listings after %d THROTTLED answers", len(got), sim.Stats().Faults.Throttle)
	}
}
