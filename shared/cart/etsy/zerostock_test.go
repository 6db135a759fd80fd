package etsy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
)

// zeroSim is a shop with one listing of three mugs (quantity varies by
// color) and a cap alone, and a client whose requests are recorded.
func zeroSim(t *testing.T) (*etsysim.Server, *Client, *recorder, map[string]cart.Link) {
	t.Helper()
	sim := etsysim.New(etsysim.Options{APIKey: apiKey, SharedSecret: secret, Token: token, ShopID: shopID,
		QPS: roomyQPS, QPD: roomyQPD, SKUs: []string{"CAP", "MUG-BLUE", "MUG-RED", "MUG-GREEN"}})
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	rec := &recorder{next: http.DefaultTransport}
	c := newClient(t, ts.URL, Config{APIKey: apiKey, SharedSecret: secret, Token: token, HTTPClient: &http.Client{Transport: rec}})
	return sim, c, rec, links(t, c)
}

var mugs = []string{"MUG-BLUE", "MUG-RED", "MUG-GREEN"}

func mugUpdates(link map[string]cart.Link, q []int, deactivated bool, policy string) []cart.StockUpdate {
	ups := make([]cart.StockUpdate, len(mugs))
	for i, sku := range mugs {
		ups[i] = cart.StockUpdate{SKU: sku, Link: link[sku], Quantity: q[i], Deactivated: deactivated, ZeroStock: policy}
	}
	return ups
}

func stateOf(t *testing.T, sim *etsysim.Server, sku string) string {
	t.Helper()
	return listingOf(t, sim, sku).State
}

// requests lists the recorded method and path of each request after the
// first n, query left out.
func (r *recorder) since(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, q := range r.reqs[n:] {
		u := q.url[strings.Index(q.url, "/v3/"):]
		u, _, _ = strings.Cut(u, "?")
		out = append(out, q.method+" "+u)
	}
	return out
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

func TestZeroStockDeactivatesAndReactivates(t *testing.T) {
	sim, c, rec, link := zeroSim(t)
	ctx := t.Context()
	listing := link["MUG-BLUE"].ProductID

	// Every mug to 0: the listing goes inactive instead of an all-zero
	// inventory Etsy would refuse.
	n := rec.count()
	res, err := c.SetStock(ctx, mugUpdates(link, []int{0, 0, 0}, false, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || r.Listing != cart.ListingDeactivated {
			t.Errorf("%s: %v %q; want deactivated", r.SKU, r.Err, r.Listing)
		}
	}
	if got := stateOf(t, sim, "MUG-BLUE"); got != "inactive" {
		t.Fatalf("listing %s; want inactive", got)
	}
	want := []string{"GET /v3/application/listings/" + listing + "/inventory", "PATCH /v3/application/shops/27182818/listings/" + listing}
	if got := rec.since(n); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("requests %v; want %v", got, want)
	}
	for _, sku := range mugs {
		if q, offered := sim.Quantities()[sku]; offered {
			t.Errorf("%s still offered: %d", sku, q)
		}
	}
	if _, err := sim.PlaceOrder([]cart.Line{{SKU: "MUG-RED", Quantity: 1}}); err == nil {
		t.Error("the inactive listing sold")
	}
	if st := sim.Stats(); st.InventoryRejected != 0 {
		t.Errorf("%d inventory updates refused", st.InventoryRejected)
	}

	// Still 0: the listing is already inactive, nothing is written.
	n = rec.count()
	if res, err = c.SetStock(ctx, mugUpdates(link, []int{0, 0, 0}, true, "")); err != nil || res[0].Listing != cart.ListingDeactivated {
		t.Fatal(err, res)
	}
	if got := rec.since(n); len(got) != 1 {
		t.Errorf("requests %v; want the one read", got)
	}

	// Stock returns for one mug: the inventory is written first, every
	// quantity as asked (the others at 0, not what Etsy kept), then the
	// listing is activated.
	n = rec.count()
	res, err = c.SetStock(ctx, mugUpdates(link, []int{0, 4, 0}, true, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || r.Listing != cart.ListingReactivated {
			t.Errorf("%s: %v %q; want reactivated", r.SKU, r.Err, r.Listing)
		}
	}
	want = []string{"GET /v3/application/listings/" + listing + "/inventory", "PUT /v3/application/listings/" + listing + "/inventory",
		"PATCH /v3/application/shops/27182818/listings/" + listing}
	if got := rec.since(n); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("requests %v; want %v", got, want)
	}
	if got := stateOf(t, sim, "MUG-BLUE"); got != "active" {
		t.Fatalf("listing %s; want active", got)
	}
	q := sim.Quantities()
	if q["MUG-BLUE"] != 0 || q["MUG-RED"] != 4 || q["MUG-GREEN"] != 0 {
		t.Errorf("offered %v; want MUG-RED 4 and the others 0", q)
	}
	inv, _ := sim.Inventory(listing)
	for _, p := range inv.Products {
		if p.Offerings[0].ReadinessStateID == 0 {
			t.Errorf("%s lost its readiness state", p.SKU)
		}
	}
	if ws := c.WriteStats(); ws.Deactivated != 1 || ws.Reactivated != 1 {
		t.Errorf("write stats %+v", ws)
	}
}

// A listing the merchant made inactive stays inactive: only a listing
// Autosync deactivated is reactivated.
func TestZeroStockLeavesAMerchantsInactiveListing(t *testing.T) {
	sim, c, rec, link := zeroSim(t)
	sim.DeactivateListing(link["MUG-BLUE"].ProductID)
	res, err := c.SetStock(t.Context(), mugUpdates(link, []int{2, 2, 2}, false, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || r.Listing != "" {
			t.Errorf("%s: %v %q", r.SKU, r.Err, r.Listing)
		}
	}
	if got := stateOf(t, sim, "MUG-BLUE"); got != "inactive" {
		t.Errorf("listing %s; want it left inactive", got)
	}
	// Every mug to 0 on it: nothing is sent (it sells nothing) and it is
	// not reported as deactivated by Autosync, so stock coming back
	// later does not activate it.
	n := rec.count()
	res, err = c.SetStock(t.Context(), mugUpdates(link, []int{0, 0, 0}, false, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || r.Listing != "" {
			t.Errorf("%s: %v %q", r.SKU, r.Err, r.Listing)
		}
	}
	if got := rec.since(n); len(got) != 1 || !strings.HasPrefix(got[0], "GET ") {
		t.Errorf("requests %v; want the one read", got)
	}
}

// With zero_stock "suspend" the old behaviour stays: the update is
// refused with the reason and the listing keeps selling.
func TestZeroStockSuspendPolicy(t *testing.T) {
	sim, c, _, link := zeroSim(t)
	res, err := c.SetStock(t.Context(), mugUpdates(link, []int{0, 0, 0}, false, cart.ZeroStockSuspend))
	if err != nil {
		t.Fatal(err)
	}
	// Each SKU is sent alone: all but the last reach 0, the last is
	// refused and keeps selling what Etsy holds.
	for i, r := range res {
		refused := r.Err != nil && strings.Contains(r.Err.Error(), "one must stay in stock")
		if refused != (i == len(res)-1) || r.Listing != "" {
			t.Errorf("%s: %v %q", r.SKU, r.Err, r.Listing)
		}
	}
	if got := stateOf(t, sim, "MUG-BLUE"); got != "active" {
		t.Errorf("listing %s; want active", got)
	}
	if q := sim.Quantities(); q["MUG-GREEN"] == 0 {
		t.Error("the refused SKU's stock is gone")
	}
	if ws := c.WriteStats(); ws.Deactivated != 0 {
		t.Errorf("write stats %+v", ws)
	}
}

// An all-zero update of a listing of one SKU deactivates it too, and a
// refused deactivation fails the SKUs with Etsy's reason.
func TestZeroStockOneSKUAndRefusal(t *testing.T) {
	sim, c, _, link := zeroSim(t)
	res, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "CAP", Link: link["CAP"], Quantity: 0}})
	if err != nil || res[0].Err != nil || res[0].Listing != cart.ListingDeactivated {
		t.Fatal(err, res)
	}
	if got := stateOf(t, sim, "CAP"); got != "inactive" {
		t.Errorf("listing %s", got)
	}
	// The listing's stock is gone by the time it is reactivated (sold
	// elsewhere and set to 0 on Etsy): Etsy refuses to activate it.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"Listing cannot be activated"}`))
			return
		}
		sim.ServeHTTP(w, r)
	})
	c2 := newClient(t, serve(t, h), Config{APIKey: apiKey, SharedSecret: secret, Token: token})
	res, err = c2.SetStock(t.Context(), []cart.StockUpdate{{SKU: "CAP", Link: link["CAP"], Quantity: 3, Deactivated: true}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "Listing cannot be activated") || res[0].Listing != "" {
		t.Errorf("%v %q; want Etsy's refusal", res[0].Err, res[0].Listing)
	}
}
