package etsy

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
)

func TestListings(t *testing.T) {
	sim, c := newSim(t, etsysim.Options{SKUs: []string{"MUG-BLUE", "MUG-RED", "TEE-S", "TEE-M", "TEE-L", "CAP-BLACK", "POSTER-A2", "SOCKS-3PK"}})
	// The window is ignored: Etsy cannot filter listings by modification.
	q := cart.ListingQuery{UpdatedFrom: time.Now().Add(24 * time.Hour), UpdatedTo: time.Now().Add(48 * time.Hour)}
	got := carttest.Listings(t, c, q)
	qty, prices := sim.Quantities(), sim.Prices()
	var skus []string
	for _, l := range got {
		skus = append(skus, l.SKU)
	}
	if want := sorted(keys(qty)); !slices.Equal(sorted(skus), want) {
		t.Fatalf("listed SKUs %v; want %v", skus, want)
	}
	listings := map[string]etsysim.Listing{}
	for _, l := range sim.Listings() {
		listings[l.ID] = l
	}
	for _, l := range got {
		sl, ok := listings[l.Link.ProductID]
		if !ok || !slices.Contains(sl.SKUs, l.SKU) || sl.State != "active" {
			t.Errorf("%s: linked to listing %q (%+v)", l.SKU, l.Link.ProductID, sl)
			continue
		}
		inv, _ := sim.Inventory(l.Link.ProductID)
		var pid string
		for _, p := range inv.Products {
			if p.SKU == l.SKU {
				pid = fmt.Sprint(p.ID)
				break
			}
		}
		if l.Link.VariantID != pid || l.Link.InventoryItemID != "" {
			t.Errorf("%s: link %+v; want variant %s", l.SKU, l.Link, pid)
		}
		if !strings.HasPrefix(l.Name, sl.Title) || strings.Contains(l.Name, "&#39;") {
			t.Errorf("%s: name %q; want the unescaped title %q first", l.SKU, l.Name, sl.Title)
		}
		if len(sl.SKUs) > 1 && !strings.Contains(l.Name, " – ") {
			t.Errorf("%s: variation name missing from %q", l.SKU, l.Name)
		}
		if l.Price != prices[l.SKU] || l.Quantity == nil || *l.Quantity != qty[l.SKU] {
			t.Errorf("%s: price %s quantity %v; want %s %d", l.SKU, l.Price, l.Quantity, prices[l.SKU], qty[l.SKU])
		}
		if len(l.Images) != sl.Images || len(l.Images) == 0 || !strings.HasPrefix(l.Images[0], "https://i.etsystatic.com/") {
			t.Errorf("%s: images %v; want %d", l.SKU, l.Images, sl.Images)
		}
		if l.UpdatedAt.IsZero() {
			t.Errorf("%s: no update time", l.SKU)
		}
	}
	st := sim.Stats()
	if n := st.ByEndpoint["GET /shops/{shop_id}/listings"]; n != 2 || st.Requests != 2 {
		t.Errorf("%d requests (%d listing pages); want one page of active and one of sold-out listings and nothing else", st.Requests, n)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestListingsPagingKeepsUpWithRemovals deactivates listings already read
// while the import pages on: the listings after them move up, and the
// client must read from earlier rather than skip them.
func TestListingsPagingKeepsUpWithRemovals(t *testing.T) {
	skus := make([]string, 450)
	for i := range skus {
		skus[i] = fmt.Sprintf("ITEM%04d", i)
	}
	sim, c := newSim(t, etsysim.Options{SKUs: skus, SKUsPerListing: 1})
	var q cart.ListingQuery
	seen := map[string]bool{}
	removed := map[string]bool{}
	for pages := 0; ; pages++ {
		p, err := c.Listings(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for k, l := range p.Listings {
			seen[l.SKU] = true
			if k < 3 && pages < 3 {
				sim.DeactivateListing(l.Link.ProductID)
				removed[l.SKU] = true
			}
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	for _, sku := range skus {
		if !seen[sku] && !removed[sku] {
			t.Errorf("%s was skipped", sku)
		}
	}
	if len(removed) != 9 {
		t.Errorf("%d listings deactivated", len(removed))
	}
}

func TestListingsWithoutInventory(t *testing.T) {
	// A listing that comes without its inventory association gets one
	// getListingInventory; one without an inventory record is skipped.
	pages := map[string]string{
		"/v3/application/shops/27182818/listings": `{"count":2,"results":[
			{"listing_id":11,"title":"Caf&eacute; Cup","state":"active","updated_timestamp":1767225600,"images":[
				{"listing_image_id":2,"rank":2,"url_fullxfull":"https://i.etsystatic.com/b.jpg"},
				{"listing_image_id":1,"rank":1,"url_fullxfull":"https://i.etsystatic.com/a.jpg"},
				{"listing_image_id":3,"rank":3,"url_fullxfull":"javascript:alert(1)"}],"inventory":null},
			{"listing_id":12,"title":"Gone","state":"active","images":[],"inventory":null}]}`,
		"/v3/application/listings/11/inventory": `{"products":[
			{"product_id":5,"sku":"CUP-1","is_deleted":false,"offerings":[{"offering_id":6,"quantity":4,"is_enabled":true,"is_deleted":false,"price":{"amount":1250,"divisor":100,"currency_code":"EUR"}}],"property_values":[]},
			{"product_id":7,"sku":"","is_deleted":false,"offerings":[{"offering_id":8,"quantity":1,"is_enabled":true,"is_deleted":false,"price":{"amount":100,"divisor":100,"currency_code":"EUR"}}],"property_values":[]}],
			"price_on_property":[],"quantity_on_property":[],"sku_on_property":[]}`,
	}
	stub := stubHandler(pages)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("state") == "sold_out" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"count":0,"results":[]}`))
			return
		}
		stub.ServeHTTP(w, r)
	})
	c := newClient(t, serve(t, h), Config{APIKey: apiKey, SharedSecret: secret, Token: token})
	got := carttest.Listings(t, c, cart.ListingQuery{})
	if len(got) != 1 {
		t.Fatalf("listings %+v", got)
	}
	l := got[0]
	if l.SKU != "CUP-1" || l.Name != "Café Cup" || l.Price != "12.50" || *l.Quantity != 4 ||
		!slices.Equal(l.Images, []string{"https://i.etsystatic.com/a.jpg", "https://i.etsystatic.com/b.jpg"}) ||
		l.Link != (cart.Link{ProductID: "11", VariantID: "5"}) {
		t.Errorf("listing %+v", l)
	}
}

func TestToListingsSharedSKU(t *testing.T) {
	sku := "MUG"
	mk := func(pid int64, qty int, color int64) productJSON {
		return productJSON{ProductID: pid, SKU: &sku, Offerings: []offeringJSON{{Quantity: qty, IsEnabled: true, Price: &money{Amount: 900, Divisor: 100}}},
			PropertyValues: []propValueJSON{{PropertyID: 200, ValueIDs: []int64{color}, Values: []string{fmt.Sprint("C", color)}}}}
	}
	products := []productJSON{mk(1, 3, 1), mk(2, 3, 2)}
	shared := toListings(&listingJSON{ListingID: 9, Title: "Mug", Inventory: &inventoryJSON{Products: products}})
	varied := toListings(&listingJSON{ListingID: 9, Title: "Mug", Inventory: &inventoryJSON{Products: []productJSON{mk(1, 3, 1), mk(2, 5, 2)}, onProperty: onProperty{QuantityOnProperty: []int64{200}}}})
	if len(shared) != 1 || *shared[0].Quantity != 3 {
		t.Errorf("one quantity shared by a SKU's variations: %+v", shared)
	}
	if len(varied) != 1 || *varied[0].Quantity != 8 {
		t.Errorf("quantities varying under one SKU add up: %+v", varied)
	}
}
