package etsysim

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// sellOut sells every unit of the listing's SKUs, one order, as buyers
// on Etsy would.
func sellOut(t *testing.T, s *Server, l Listing) string {
	t.Helper()
	inv, _ := s.Inventory(l.ID)
	var lines []cart.Line
	for _, p := range inv.Products {
		if q := p.Offerings[0].Quantity; q > 0 && p.Offerings[0].IsEnabled {
			lines = append(lines, cart.Line{SKU: p.SKU, Quantity: q})
		}
	}
	id, err := s.PlaceOrder(lines)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func listingByID(t *testing.T, s *Server, id string) Listing {
	t.Helper()
	for _, l := range s.Listings() {
		if l.ID == id {
			return l
		}
	}
	t.Fatalf("no listing %s", id)
	return Listing{}
}

func quantities(s *Server, id string) []int {
	inv, _ := s.Inventory(id)
	var out []int
	for _, p := range inv.Products {
		for _, o := range p.Offerings {
			out = append(out, o.Quantity)
		}
	}
	return out
}

func byState(t *testing.T, s *Server, state string) []string {
	t.Helper()
	a := call(t, s, "GET", shopPath(s, "/listings?state="+state), "", nil)
	var page struct {
		Count   int
		Results []struct {
			ListingID int64  `json:"listing_id"`
			State     string `json:"state"`
			Quantity  int    `json:"quantity"`
		}
	}
	if a.status != 200 || json.Unmarshal([]byte(a.body), &page) != nil {
		t.Fatalf("state=%s: %d %s", state, a.status, a.body)
	}
	var ids []string
	for _, r := range page.Results {
		if r.State != state {
			t.Errorf("state=%s listed a %s listing", state, r.State)
		}
		ids = append(ids, jsonID(r.ListingID))
	}
	return ids
}

func jsonID(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestSoldOut: a sale of a listing's last unit makes it sold_out (Etsy's
// state for a published listing with nothing left); an inventory update
// alone leaves it sold_out (etsy/open-api#247); updateListing state=active
// renews it with quantity 1, as the published spec says of state.
func TestSoldOut(t *testing.T) {
	tests := []struct {
		name string
		sku  string // one of the listing's SKUs
		skus int    // products in the listing
	}{
		{"one product", "CAP", 1},
		{"three colors", "MUG-RED", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{QPS: 1000, SKUs: []string{"CAP", "MUG-BLUE", "MUG-RED", "MUG-GREEN"}})
			var l Listing
			for _, x := range s.Listings() {
				if slices.Contains(x.SKUs, tt.sku) && len(x.SKUs) == tt.skus {
					l = x
				}
			}
			if l.ID == "" {
				t.Fatalf("no listing of %d products", tt.skus)
			}
			// A sale that leaves stock keeps the listing active.
			if _, err := s.PlaceOrder([]cart.Line{{SKU: l.SKUs[0], Quantity: 1}}); err != nil {
				t.Fatal(err)
			}
			if got := listingByID(t, s, l.ID).State; got != "active" {
				t.Fatalf("after a sale with stock left: %s", got)
			}
			order := sellOut(t, s, l)
			if got := listingByID(t, s, l.ID).State; got != "sold_out" {
				t.Fatalf("after the last unit sold: %s; want sold_out", got)
			}
			for _, sku := range l.SKUs {
				if _, offered := s.Quantities()[sku]; offered {
					t.Errorf("%s still offered", sku)
				}
				if _, err := s.PlaceOrder([]cart.Line{{SKU: sku, Quantity: 1}}); !errors.Is(err, ErrNotOffered) {
					t.Errorf("order for sold-out %s: %v", sku, err)
				}
			}
			if ids := byState(t, s, "sold_out"); strings.Join(ids, ",") != l.ID {
				t.Errorf("state=sold_out lists %v; want [%s]", ids, l.ID)
			}
			for _, id := range byState(t, s, "active") {
				if id == l.ID {
					t.Error("state=active lists the sold-out listing")
				}
			}

			// A cancel gives the stock back to the listing it came from;
			// it does not renew it (a renewal is the seller's, and costs a
			// listing fee).
			if err := s.CancelOrder(order); err != nil {
				t.Fatal(err)
			}
			if got := listingByID(t, s, l.ID).State; got != "sold_out" {
				t.Errorf("after the cancel: %s", got)
			}
			restored := quantities(s, l.ID)
			if sum(restored) == 0 {
				t.Errorf("the cancel gave no stock back: %v", restored)
			}

			// An inventory update alone leaves it sold_out.
			b := validBody(t, s, l.ID)
			for k := range tt.skus {
				offering0(b, k)["quantity"] = 4 + k
			}
			raw, _ := json.Marshal(b)
			if a := call(t, s, "PUT", "/v3/application/listings/"+l.ID+"/inventory", string(raw), nil); a.status != 200 {
				t.Fatalf("inventory update: %d %s", a.status, a.body)
			}
			if got := listingByID(t, s, l.ID).State; got != "sold_out" {
				t.Errorf("after an inventory update: %s; want still sold_out", got)
			}
			if _, offered := s.Quantities()[l.SKUs[0]]; offered {
				t.Error("a sold-out listing's stock is offered")
			}

			// state=active renews it with quantity 1.
			a := patchState(t, s, l.ID, "state=active", formType)
			if a.status != 200 || !strings.Contains(a.body, `"state":"active"`) || !strings.Contains(a.body, `"quantity":1,`) {
				t.Fatalf("activate a sold-out listing: %d %s", a.status, a.body)
			}
			if q := quantities(s, l.ID); sum(q) != 1 {
				t.Errorf("renewed with quantities %v; want the listing's quantity 1", q)
			}
			if _, err := s.PlaceOrder([]cart.Line{{SKU: l.SKUs[0], Quantity: 1}}); err != nil {
				t.Errorf("order after the renewal: %v", err)
			}
			if got := listingByID(t, s, l.ID).State; got != "sold_out" {
				t.Errorf("after selling the renewed unit: %s; want sold_out", got)
			}

			// The spec says nothing of state=inactive on a sold-out
			// listing, and no report says Etsy refuses it: taken.
			if a := patchState(t, s, l.ID, "state=inactive", formType); a.status != 200 || !strings.Contains(a.body, `"state":"inactive"`) {
				t.Errorf("deactivate a sold-out listing: %d %s", a.status, a.body)
			}
		})
	}
}

func sum(q []int) int {
	n := 0
	for _, x := range q {
		n += x
	}
	return n
}
