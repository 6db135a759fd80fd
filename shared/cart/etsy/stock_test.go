package etsy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
)

// stubHandler answers GETs of the given paths with the given bodies and
// everything else 404.
func stubHandler(pages map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		w.Header().Set("Content-Type", "application/json")
		if !ok || r.Method != http.MethodGet {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"Not found"}`))
			return
		}
		w.Write([]byte(body))
	})
}

// links imports the shop's listings and returns their links by SKU, as
// Import Products stores them.
func links(t *testing.T, c *Client) map[string]cart.Link {
	t.Helper()
	out := map[string]cart.Link{}
	for _, l := range carttest.Listings(t, c, cart.ListingQuery{}) {
		out[l.SKU] = l.Link
	}
	return out
}

// listingOf returns the sim's listing holding sku.
func listingOf(t *testing.T, sim *etsysim.Server, sku string) etsysim.Listing {
	t.Helper()
	for _, l := range sim.Listings() {
		if slices.Contains(l.SKUs, sku) {
			return l
		}
	}
	t.Fatalf("no listing sells %s", sku)
	return etsysim.Listing{}
}

func inventories(sim *etsysim.Server) map[string]etsysim.Inventory {
	out := map[string]etsysim.Inventory{}
	for _, l := range sim.Listings() {
		out[l.ID], _ = sim.Inventory(l.ID)
	}
	return out
}

// TestSetStockKeepsEverythingElse pushes quantities for some SKUs of some
// listings and checks that every other field of every product and
// offering, and the listings' *_on_property settings, stay as they were.
func TestSetStockKeepsEverythingElse(t *testing.T) {
	sim, c := newSim(t, etsysim.Options{})
	link := links(t, c)
	beforeInv, beforePrices, beforeQty := inventories(sim), sim.Prices(), sim.Quantities()
	want := map[string]int{}
	var ups []cart.StockUpdate
	for i, sku := range sorted(keys(link)) {
		if i%3 == 2 {
			continue // every third SKU is left alone
		}
		q := beforeQty[sku] + 10 + i
		want[sku] = q
		ups = append(ups, cart.StockUpdate{SKU: sku, Link: link[sku], Quantity: q})
	}
	results, err := c.SetStock(t.Context(), ups)
	if err != nil {
		t.Fatal(err)
	}
	// Listings whose variations share one quantity cannot take different
	// quantities for their SKUs: those updates fail, without a request.
	shared := map[string]bool{}
	for id, inv := range beforeInv {
		if len(inv.Products) > 1 && len(inv.QuantityOnProperty) == 0 {
			shared[id] = true
		}
	}
	if len(shared) == 0 {
		t.Fatal("the catalog has no listing whose variations share a quantity")
	}
	for _, r := range results {
		if shared[link[r.SKU].ProductID] != (r.Err != nil) {
			t.Errorf("%s: %v", r.SKU, r.Err)
		}
	}
	if st := sim.Stats(); st.InventoryRejected != 0 {
		t.Errorf("Etsy refused %d updates", st.InventoryRejected)
	}
	qty := sim.Quantities()
	for sku, q := range beforeQty {
		w, pushed := want[sku]
		if !pushed || shared[link[sku].ProductID] {
			w = q
		}
		if qty[sku] != w {
			t.Errorf("%s: quantity %d; want %d", sku, qty[sku], w)
		}
	}
	if got := sim.Prices(); !mapsEqual(got, beforePrices) {
		t.Errorf("prices changed:\n got %v\nwant %v", got, beforePrices)
	}
	for id, after := range inventories(sim) {
		before := beforeInv[id]
		if !slices.Equal(after.PriceOnProperty, before.PriceOnProperty) || !slices.Equal(after.QuantityOnProperty, before.QuantityOnProperty) ||
			!slices.Equal(after.SKUOnProperty, before.SKUOnProperty) || len(after.Products) != len(before.Products) {
			t.Errorf("listing %s: inventory shape changed:\n got %+v\nwant %+v", id, after, before)
			continue
		}
		for k, ap := range after.Products {
			bp := before.Products[k]
			if ap.SKU != bp.SKU || !propsEqual(ap.PropertyValues, bp.PropertyValues) || len(ap.Offerings) != len(bp.Offerings) {
				t.Errorf("listing %s product %d: %+v; was %+v", id, k, ap, bp)
				continue
			}
			for j, ao := range ap.Offerings {
				bo := bp.Offerings[j]
				wq := bo.Quantity
				if q, ok := want[ap.SKU]; ok && !shared[id] {
					wq = q
				}
				if ao.Price != bo.Price || ao.IsEnabled != bo.IsEnabled || ao.Quantity != wq {
					t.Errorf("listing %s product %s offering %d: %+v; want price %s enabled %v quantity %d", id, ap.SKU, j, ao, bo.Price, bo.IsEnabled, wq)
				}
			}
		}
	}
	// The disabled offering of a variation without a SKU came through.
	found := false
	for _, inv := range inventories(sim) {
		for _, p := range inv.Products {
			if p.SKU == "" && len(p.PropertyValues) > 0 && !p.Offerings[0].IsEnabled {
				found = true
			}
		}
	}
	if !found {
		t.Error("the catalog has no disabled SKU-less variation to keep")
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func propsEqual(a, b []etsysim.PropertyValue) bool {
	return slices.EqualFunc(a, b, func(x, y etsysim.PropertyValue) bool {
		return x.PropertyID == y.PropertyID && x.PropertyName == y.PropertyName && x.ScaleID == y.ScaleID &&
			slices.Equal(x.ValueIDs, y.ValueIDs) && slices.Equal(x.Values, y.Values)
	})
}

func TestSetStockRequests(t *testing.T) {
	skus := make([]string, 30)
	for i := range skus {
		skus[i] = fmt.Sprintf("SKU-%02d", i)
	}
	sim, c := newSim(t, etsysim.Options{SKUs: skus, SKUsPerListing: 3})
	link := links(t, c)
	before := sim.Stats()
	ups := make([]cart.StockUpdate, len(skus))
	for i, sku := range skus {
		ups[i] = cart.StockUpdate{SKU: sku, Link: link[sku], Quantity: 100 + i}
	}
	results, err := c.SetStock(t.Context(), ups)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s: %v", r.SKU, r.Err)
		}
	}
	st := sim.Stats()
	gets := st.ByEndpoint["GET /listings/{listing_id}/inventory"] - before.ByEndpoint["GET /listings/{listing_id}/inventory"]
	puts := st.ByEndpoint["PUT /listings/{listing_id}/inventory"] - before.ByEndpoint["PUT /listings/{listing_id}/inventory"]
	if gets != 10 || puts != 10 || st.Requests-before.Requests != 20 {
		t.Errorf("%d GETs, %d PUTs, %d requests for 30 SKUs in 10 listings; want 10, 10, 20", gets, puts, st.Requests-before.Requests)
	}
	// Pushing the same quantities again reads and writes nothing new.
	if _, err := c.SetStock(t.Context(), ups); err != nil {
		t.Fatal(err)
	}
	st2 := sim.Stats()
	if n := st2.ByEndpoint["PUT /listings/{listing_id}/inventory"] - st.ByEndpoint["PUT /listings/{listing_id}/inventory"]; n != 0 {
		t.Errorf("%d PUTs for quantities Etsy already holds", n)
	}
	if ws := c.WriteStats(); ws.Reads != 20 || ws.Writes != 10 || ws.Unchanged != 10 || ws.Resends != 0 {
		t.Errorf("write stats %+v", ws)
	}
}

// TestSetStockKeepsNewPrice changes a price on Etsy after the import: the
// write-back reads the inventory right before writing, so the new price
// stays.
func TestSetStockKeepsNewPrice(t *testing.T) {
	sim, c := newSim(t, etsysim.Options{})
	link := links(t, c)
	sim.SetPrice("SKU-0002", 4321)
	res, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "SKU-0002", Link: link["SKU-0002"], Quantity: 77}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	if p, q := sim.Prices()["SKU-0002"], sim.Quantities()["SKU-0002"]; p != "43.21" || q != 77 {
		t.Errorf("price %s quantity %d; want 43.21 and 77", p, q)
	}
}

func TestSetStockPerSKUFailures(t *testing.T) {
	sim, c := newSim(t, etsysim.Options{})
	link := links(t, c)
	before := sim.Quantities()
	// SKU-0002..0004 share a listing (Primary color); SKU-0005..0006
	// another (Size), SKU-0007..0010 a third; SKU-0001 is alone.
	if l := listingOf(t, sim, "SKU-0003"); !slices.Equal(l.SKUs, []string{"SKU-0002", "SKU-0003", "SKU-0004"}) {
		t.Fatalf("catalog changed: %+v", l)
	}
	sim.FailSKU("SKU-0003", 100)
	ups := []cart.StockUpdate{
		{SKU: "SKU-0001", Link: link["SKU-0001"], Quantity: 0, ZeroStock: cart.ZeroStockSuspend}, // all of a listing to 0, not deactivated
		{SKU: "SKU-0002", Link: link["SKU-0002"], Quantity: 11},                                  // set
		{SKU: "SKU-0003", Link: link["SKU-0003"], Quantity: 12},                                  // Etsy refuses
		{SKU: "SKU-0004", Link: link["SKU-0004"], Quantity: 1500},                                // set as 999
		{SKU: "SKU-0005", Link: link["SKU-0005"], Quantity: 15},                                  // set
		{SKU: "SKU-0006", Link: cart.Link{}, Quantity: 16},                                       // no link
		{SKU: "NOT-THERE", Link: link["SKU-0005"], Quantity: 17},                                 // not in the listing
		{SKU: "SKU-0007", Link: cart.Link{ProductID: "99999999999"}, Quantity: 18},               // listing gone
		{SKU: "SKU-0008", Link: link["SKU-0008"], Quantity: -1},                                  // negative
		{SKU: "SKU-0009", Link: link["SKU-0009"], Quantity: before["SKU-0009"]},                  // unchanged
		{SKU: "SKU-0010", Link: cart.Link{ProductID: link["SKU-0010"].ProductID}, Quantity: 20},  // no variant id: SKUs suffice
	}
	results, err := c.SetStock(t.Context(), ups)
	if err != nil {
		t.Fatal(err)
	}
	wantErr := map[string]string{
		"SKU-0001":  "one must stay in stock",
		"SKU-0003":  "Unable to update the inventory of the product with SKU SKU-0003",
		"SKU-0006":  "import the channel's products first",
		"NOT-THERE": "no longer has a product with SKU NOT-THERE",
		"SKU-0007":  "Could not find a listing",
		"SKU-0008":  "negative",
	}
	for i, r := range results {
		if r.SKU != ups[i].SKU {
			t.Fatalf("result %d is for %s; want %s", i, r.SKU, ups[i].SKU)
		}
		msg, fails := wantErr[r.SKU]
		var ce *cart.Error
		switch {
		case fails && (!errors.As(r.Err, &ce) || !strings.Contains(ce.Message, msg)):
			t.Errorf("%s: %v; want a *cart.Error saying %q", r.SKU, r.Err, msg)
		case !fails && r.Err != nil:
			t.Errorf("%s: %v", r.SKU, r.Err)
		}
	}
	if !errors.Is(results[7].Err, cart.ErrNotFound) || !errors.Is(results[6].Err, cart.ErrNotFound) {
		t.Errorf("missing listing and SKU are not cart.ErrNotFound: %v, %v", results[7].Err, results[6].Err)
	}
	q := sim.Quantities()
	want := map[string]int{"SKU-0001": before["SKU-0001"], "SKU-0002": 11, "SKU-0003": before["SKU-0003"], "SKU-0004": 999,
		"SKU-0005": 15, "SKU-0006": before["SKU-0006"], "SKU-0009": before["SKU-0009"], "SKU-0010": 20}
	for sku, w := range want {
		if q[sku] != w {
			t.Errorf("%s: %d in Etsy; want %d", sku, q[sku], w)
		}
	}
	if ws := c.WriteStats(); ws.Resends != 3 {
		// SKU-0002..0004's listing was refused whole, then sent one SKU at
		// a time.
		t.Errorf("write stats %+v; want 3 resends", ws)
	}
}

func TestSetStockSharedQuantity(t *testing.T) {
	sim, c := newSim(t, etsysim.Options{SKUs: []string{"A-1", "B-1", "B-2", "B-3", "C-1", "C-2", "D-1", "D-2", "D-3", "D-4", "E-1", "D-S", "D-M", "D-L"}})
	l := listingOf(t, sim, "D-M")
	inv, _ := sim.Inventory(l.ID)
	if len(inv.QuantityOnProperty) != 0 || len(inv.Products) != 3 {
		t.Fatalf("D-* is not a shared-quantity listing: %+v", inv)
	}
	link := links(t, c)
	before := sim.Quantities()["D-S"]
	res, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "D-M", Link: link["D-M"], Quantity: before + 1}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "share one quantity") {
		t.Errorf("D-M alone: %v", res[0].Err)
	}
	// All of them to the same quantity is fine.
	var ups []cart.StockUpdate
	for _, sku := range []string{"D-S", "D-M", "D-L"} {
		ups = append(ups, cart.StockUpdate{SKU: sku, Link: link[sku], Quantity: 42})
	}
	res, err = c.SetStock(t.Context(), ups)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || sim.Quantities()[r.SKU] != 42 {
			t.Errorf("%s: %v, %d in Etsy", r.SKU, r.Err, sim.Quantities()[r.SKU])
		}
	}
	if st := sim.Stats(); st.InventoryRejected != 0 {
		t.Errorf("%d PUTs refused: the client should have known", st.InventoryRejected)
	}
}

func TestSetStockFailuresOfTheCall(t *testing.T) {
	tests := []struct {
		name   string
		faults etsysim.Faults
		ctx    func(context.Context) (context.Context, context.CancelFunc)
		check  func(error) bool
	}{
		{"storm waited out", etsysim.Faults{RateLimitStorm: 6}, nil, func(err error) bool { return err == nil }},
		{"5xx retried", etsysim.Faults{ServerErrors: 2}, nil, func(err error) bool { return err == nil }},
		{"5xx past retries", etsysim.Faults{ServerErrors: 100}, nil, func(err error) bool {
			var ce *cart.Error
			return errors.As(err, &ce) && ce.Temporary
		}},
		{"rate limit past the deadline", etsysim.Faults{RateLimitStorm: 10_000},
			func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(ctx, 300*time.Millisecond)
			},
			func(err error) bool {
				var rl *cart.RateLimitedError
				return errors.As(err, &rl)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c := newSim(t, etsysim.Options{})
			c.retry.MinThrottleWait, c.retry.MaxThrottleWait = 20*time.Millisecond, 100*time.Millisecond
			link := links(t, c)
			var ups []cart.StockUpdate
			for _, sku := range []string{"SKU-0002", "SKU-0003", "SKU-0010", "SKU-0020"} {
				ups = append(ups, cart.StockUpdate{SKU: sku, Link: link[sku], Quantity: 50})
			}
			sim.SetFaults(tt.faults)
			ctx := t.Context()
			if tt.ctx != nil {
				var cancel context.CancelFunc
				ctx, cancel = tt.ctx(ctx)
				defer cancel()
			}
			res, err := c.SetStock(ctx, ups)
			if !tt.check(err) {
				t.Fatalf("err = %v", err)
			}
			if err == nil {
				for _, r := range res {
					if r.Err != nil || sim.Quantities()[r.SKU] != 50 {
						t.Errorf("%s: %v", r.SKU, r.Err)
					}
				}
			} else if res != nil {
				t.Errorf("results %v with error %v", res, err)
			}
		})
	}
}

// TestPutBodyFollowsTheSchema checks the request body a write sends: the
// schema's fields only, price a decimal number.
func TestPutBodyFollowsTheSchema(t *testing.T) {
	var mu sync.Mutex
	var sent string
	inv := `{"products":[{"product_id":5,"sku":"CUP-1","is_deleted":false,"offerings":[{"offering_id":6,"quantity":4,"is_enabled":true,"is_deleted":false,"price":{"amount":1999,"divisor":100,"currency_code":"USD"},"readiness_state_id":77},{"offering_id":9,"quantity":1,"is_enabled":true,"is_deleted":true,"price":{"amount":1,"divisor":100,"currency_code":"USD"}}],
		"property_values":[{"property_id":100,"property_name":"Size","scale_id":327,"scale_name":"US/Canada","value_ids":[44],"values":["S"]}]},
		{"product_id":7,"sku":"CUP-2","is_deleted":true,"offerings":[],"property_values":[]}],
		"price_on_property":[],"quantity_on_property":[100],"sku_on_property":[100],"readiness_state_on_property":[100]}`
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPut {
			w.Write([]byte(inv))
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		sent = string(b)
		mu.Unlock()
		w.Write([]byte(strings.ReplaceAll(inv, `"quantity":4`, `"quantity":8`)))
	})
	c := newClient(t, serve(t, h), Config{APIKey: apiKey, SharedSecret: secret, Token: token})
	res, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "CUP-1", Link: cart.Link{ProductID: "3"}, Quantity: 8}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	want := `{"products":[{"sku":"CUP-1","property_values":[{"property_id":100,"property_name":"Size","scale_id":327,"value_ids":[44],"values":["S"]}],` +
		`"offerings":[{"price":19.99,"quantity":8,"is_enabled":true,"readiness_state_id":77}]}],"price_on_property":[],"quantity_on_property":[100],"sku_on_property":[100],"readiness_state_on_property":[100]}`
	if sent != want {
		t.Errorf("sent\n%s\nwant\n%s", sent, want)
	}
}

// TestSetStockUnreadableInventory: an inventory the client cannot read
// fails that listing's SKUs only.
func TestSetStockUnreadableInventory(t *testing.T) {
	good := `{"products":[{"product_id":5,"sku":"B","offerings":[{"offering_id":6,"quantity":4,"is_enabled":true,"price":{"amount":500,"divisor":100,"currency_code":"USD"}}],"property_values":[]}],"price_on_property":[],"quantity_on_property":[],"sku_on_property":[]}`
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/v3/application/listings/3/inventory":
			w.Write([]byte(`{"products":[{"sku":"A","offerings":[{"quantity":1,"is_enabled":true,"price":null}]}]}`))
		case r.Method == http.MethodPut:
			w.Write([]byte(strings.Replace(good, `"quantity":4`, `"quantity":9`, 1)))
		default:
			w.Write([]byte(good))
		}
	})
	c := newClient(t, serve(t, h), Config{APIKey: apiKey, SharedSecret: secret, Token: token})
	res, err := c.SetStock(t.Context(), []cart.StockUpdate{
		{SKU: "A", Link: cart.Link{ProductID: "3"}, Quantity: 2},
		{SKU: "B", Link: cart.Link{ProductID: "4"}, Quantity: 9},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "could not read") || res[1].Err != nil {
		t.Errorf("results %+v", res)
	}
}
