package shopify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

// updatesFor makes one update per simulated variant with a SKU, setting
// quantity(i) for the i-th, linked as Import Products would link it.
func updatesFor(sim *shopifysim.Server, quantity func(i int) int) []cart.StockUpdate {
	var out []cart.StockUpdate
	for _, p := range sim.Products() {
		for _, v := range p.Variants {
			if v.SKU == "" {
				continue
			}
			out = append(out, cart.StockUpdate{
				SKU:      v.SKU,
				Link:     cart.Link{ProductID: p.GID, VariantID: v.GID, InventoryItemID: v.InventoryItemGID},
				Quantity: quantity(len(out)),
			})
		}
	}
	return out
}

func checkSet(t *testing.T, sim *shopifysim.Server, updates []cart.StockUpdate, results []cart.StockResult, failed ...string) {
	t.Helper()
	if len(results) != len(updates) {
		t.Fatalf("%d results for %d updates", len(results), len(updates))
	}
	q := sim.Quantities()
	for i, r := range results {
		u := updates[i]
		if r.SKU != u.SKU {
			t.Errorf("result %d is for %s; want %s", i, r.SKU, u.SKU)
		}
		if slices.Contains(failed, u.SKU) {
			if r.Err == nil {
				t.Errorf("%s succeeded; want a failure", u.SKU)
			}
			continue
		}
		if r.Err != nil {
			t.Errorf("%s: %v", u.SKU, r.Err)
		}
		if q[u.SKU] != u.Quantity {
			t.Errorf("%s is %d in the shop; pushed %d", u.SKU, q[u.SKU], u.Quantity)
		}
	}
}

func TestSetStock(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{})
	sim.Seed(0, 1)
	updates := updatesFor(sim, func(i int) int { return 1000 + i })
	results, err := c.SetStock(t.Context(), updates)
	if err != nil {
		t.Fatal(err)
	}
	checkSet(t, sim, updates, results)
	if ws := c.WriteStats(); ws != (WriteStats{Mutations: 1, Reads: 1, LocationQueries: 1}) {
		t.Errorf("write stats %+v; want one read and one mutation after one location query", ws)
	}
	// The location is cached; quantities of zero are set too.
	updates = updatesFor(sim, func(int) int { return 0 })
	results, err = c.SetStock(t.Context(), updates)
	if err != nil {
		t.Fatal(err)
	}
	checkSet(t, sim, updates, results)
	st := sim.Stats()
	if st.Mutations != 2 || st.Queries != 3 || st.Fields["location"] != 1 {
		t.Errorf("simulator saw %+v", st)
	}
	if c.MaxBatch() != 250 {
		t.Errorf("MaxBatch = %d", c.MaxBatch())
	}

	// Another app changes a quantity in the shop before the push reads it:
	// listings show it, and the next push, based on what it read, puts
	// Autosync's back (a change before the read is Autosync's to correct).
	sku := updates[3].SKU
	sim.SetQuantity(sku, 999)
	var listed *int
	for _, l := range carttest.Listings(t, c, cart.ListingQuery{}) {
		if l.SKU == sku {
			listed = l.Quantity
		}
	}
	if listed == nil || *listed != 999 {
		t.Errorf("listing quantity %v after the shop's change; want 999", listed)
	}
	results, err = c.SetStock(t.Context(), updates[3:4])
	if err != nil || results[0].Err != nil || sim.Quantities()[sku] != 0 {
		t.Errorf("re-push: %v %v; shop has %d", results, err, sim.Quantities()[sku])
	}
}

func TestSetStockFailSKUInBatchOf50(t *testing.T) {
	var skus []string
	for i := range 50 {
		skus = append(skus, fmt.Sprintf("SKU-%02d", i))
	}
	sim, c := newSim(t, shopifysim.Options{SKUs: skus})
	sim.Seed(0, 1)
	sim.FailSKU("SKU-17", 1)
	updates := updatesFor(sim, func(i int) int { return 7 + i })
	if len(updates) != 50 {
		t.Fatalf("%d updates", len(updates))
	}
	before := sim.Quantities()["SKU-17"]
	results, err := c.SetStock(t.Context(), updates)
	if err != nil {
		t.Fatal(err)
	}
	checkSet(t, sim, updates, results, "SKU-17")
	if q := sim.Quantities()["SKU-17"]; q != before {
		t.Errorf("the failed SKU changed from %d to %d", before, q)
	}
	var failed error
	for _, r := range results {
		if r.SKU == "SKU-17" {
			failed = r.Err
		}
	}
	var ce *cart.Error
	var ue *UserError
	if !errors.As(failed, &ce) || ce.Temporary || !errors.As(failed, &ue) || ue.Code != "NON_MUTABLE_INVENTORY_ITEM" ||
		!strings.HasPrefix(ce.Message, "The specified inventory item is not allowed to be adjusted via API.") ||
		!strings.HasSuffix(ce.Message, "(NON_MUTABLE_INVENTORY_ITEM)") {
		t.Errorf("failed SKU's error = %#v", failed)
	}
	if ws := c.WriteStats(); ws.Mutations != 2 || ws.Resends != 1 {
		t.Errorf("write stats %+v; want the batch and one re-send without the failed SKU", ws)
	}
	if st := sim.Stats(); st.Mutations != 2 || st.Requests != 4 {
		t.Errorf("simulator saw %d mutations in %d requests; want 2 in 4 (with the location query and the read)", st.Mutations, st.Requests)
	}
}

func TestSetStockRefusals(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{SKUs: []string{"A-1", "B-1", "C-1", "D-1"}})
	sim.Seed(0, 1)
	updates := updatesFor(sim, func(i int) int { return 5 + i })
	ix := map[string]int{}
	for i, u := range updates {
		ix[u.SKU] = i
	}
	// A negative quantity, an item the shop does not have, an item given
	// by its legacy number, and one with no link at all.
	updates[ix["A-1"]].Quantity = -2
	updates[ix["B-1"]].Link.InventoryItemID = "gid://shopify/InventoryItem/404"
	updates[ix["C-1"]].Link.InventoryItemID = strings.TrimPrefix(updates[ix["C-1"]].Link.InventoryItemID, "gid://shopify/InventoryItem/")
	updates[ix["D-1"]].Quantity = 2_000_000_000 // past Shopify's limit: refused before sending
	updates = append(updates, cart.StockUpdate{SKU: "UNLINKED", Quantity: 1})
	results, err := c.SetStock(t.Context(), updates)
	if err != nil {
		t.Fatal(err)
	}
	checkSet(t, sim, updates, results, "A-1", "B-1", "D-1", "UNLINKED")
	codes := map[string]string{}
	for _, r := range results {
		var ue *UserError
		if errors.As(r.Err, &ue) {
			codes[r.SKU] = ue.Code
		}
	}
	if codes["A-1"] != "INVALID_QUANTITY_NEGATIVE" || codes["B-1"] != "INVALID_INVENTORY_ITEM" || codes["D-1"] != "INVALID_QUANTITY_TOO_HIGH" || len(codes) != 3 {
		t.Errorf("codes %v", codes)
	}
	var ce *cart.Error
	if r := results[len(results)-1]; !errors.As(r.Err, &ce) || !strings.Contains(ce.Message, "no Shopify inventory item") {
		t.Errorf("unlinked SKU: %v", r.Err)
	}
	// The simulator reports every bad quantity at once: one re-send.
	if ws := c.WriteStats(); ws.Mutations != 2 || ws.Resends != 1 {
		t.Errorf("write stats %+v", ws)
	}

	// Nothing linked: no request at all.
	before := sim.Stats().Requests
	results, err = c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "X", Link: cart.Link{InventoryItemID: "gid://shopify/Product/1"}}})
	if err != nil || len(results) != 1 || results[0].Err == nil || sim.Stats().Requests != before {
		t.Errorf("unlinked only: %v, %v, %d requests", results, err, sim.Stats().Requests-before)
	}
}

func TestSetStockSplitsLongLists(t *testing.T) {
	var skus []string
	for i := range 600 {
		skus = append(skus, fmt.Sprintf("SKU-%03d", i))
	}
	sim, c := newSim(t, shopifysim.Options{SKUs: skus})
	sim.Seed(0, 1)
	updates := updatesFor(sim, func(i int) int { return i % 17 })
	results, err := c.SetStock(t.Context(), updates)
	if err != nil {
		t.Fatal(err)
	}
	checkSet(t, sim, updates, results)
	if st := sim.Stats(); st.Mutations != 3 {
		t.Errorf("%d mutations for 600 updates; want 3", st.Mutations)
	}
}

func TestSetStockThrottling(t *testing.T) {
	t.Run("storm", func(t *testing.T) {
		sim, c := newSim(t, shopifysim.Options{Plan: shopifysim.Standard})
		sim.Seed(0, 1)
		if _, err := c.primaryLocation(t.Context()); err != nil {
			t.Fatal(err)
		}
		sim.SetFaults(shopifysim.Faults{Throttle: 4})
		updates := updatesFor(sim, func(i int) int { return i })
		results, err := c.SetStock(t.Context(), updates)
		if err != nil {
			t.Fatal(err)
		}
		checkSet(t, sim, updates, results)
		if st := sim.Stats(); st.Faults.Throttle != 4 || st.Mutations != 1 {
			t.Errorf("%d THROTTLED answers, %d mutations", st.Faults.Throttle, st.Mutations)
		}
	})
	t.Run("bucket", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// A bucket that holds one read of a batch and its mutation, and
			// restores them in about 60 ms: the client paces itself after the
			// first, blind answer.
			var skus []string
			for i := range 2000 {
				skus = append(skus, fmt.Sprintf("SKU-%04d", i))
			}
			sim, c := inMemory(t, shopifysim.Options{SKUs: skus, Plan: shopifysim.Plan{MaximumAvailable: 800, RestoreRate: 8000}, StartEmpty: true})
			sim.Seed(0, 1)
			updates := updatesFor(sim, func(i int) int { return i % 5 })
			results, err := c.SetStock(t.Context(), updates)
			if err != nil {
				t.Fatal(err)
			}
			checkSet(t, sim, updates, results)
			if st := sim.Stats(); st.Mutations != 8 || st.Queries != 9 || st.Throttled > 1 {
				t.Errorf("%d mutations and %d queries, throttled %d times; want 8 and 9 (8 reads, 1 location), at most the first blind request", st.Mutations, st.Queries, st.Throttled)
			}
		})
	})
}

func TestSetStockAuth(t *testing.T) {
	sim := shopifysim.New(shopifysim.Options{AccessToken: "the-right-token", SKUs: []string{"A-1"}})
	sim.Seed(0, 1)
	c := newClient(t, serve(t, sim), token)
	results, err := c.SetStock(t.Context(), updatesFor(sim, func(int) int { return 1 }))
	if !errors.Is(err, cart.ErrAuth) || results != nil {
		t.Fatalf("SetStock = %v, %v; want no results and cart.ErrAuth", results, err)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "the-right-token") {
		t.Errorf("error %q shows a token", err)
	}
	if n := sim.Stats().Requests; n != 1 {
		t.Errorf("%d requests; a refused token must not be retried", n)
	}
}

// scripted is a Shopify that answers the location query, the reads of
// quantities and mutations from a script, recording the mutations' inputs
// and keys.
type scripted struct {
	mu        sync.Mutex
	locations []string // ids the location query returns, in turn
	mutations []func(input map[string]any) string
	// available answers reads: an item's available quantity, nil for no
	// level; nil means 5 for every item.
	available func(item string) *int
	inputs    []map[string]any
	keys      []string
	reads     int
	served    int
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &req)
	cost := `"extensions":{"cost":{"requestedQueryCost":11,"actualQueryCost":10,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":1990,"restoreRate":100}}}`
	if strings.Contains(req.Query, "PrimaryLocation") {
		id := s.locations[0]
		s.locations = s.locations[1:]
		fmt.Fprintf(w, `{"data":{"location":{"id":%q,"name":"Main","isActive":true}},%s}`, id, cost)
		return
	}
	if strings.Contains(req.Query, "StockLevels") {
		s.reads++
		var parts []string
		for name, v := range req.Variables {
			if name == "location" {
				continue
			}
			n := new(5)
			if s.available != nil {
				n = s.available(v.(string))
			}
			if n == nil {
				parts = append(parts, fmt.Sprintf(`%q:{"inventoryLevel":null}`, name))
				continue
			}
			parts = append(parts, fmt.Sprintf(`%q:{"inventoryLevel":{"quantities":[{"name":"available","quantity":%d}]}}`, name, *n))
		}
		fmt.Fprintf(w, `{"data":{%s},%s}`, strings.Join(parts, ","), cost)
		return
	}
	in, _ := req.Variables["input"].(map[string]any)
	s.inputs = append(s.inputs, in)
	key, _ := req.Variables["key"].(string)
	s.keys = append(s.keys, key)
	body := s.mutations[min(s.served, len(s.mutations)-1)](in)
	s.served++
	fmt.Fprintf(w, `{"data":{"inventorySetQuantities":%s},%s}`, body, cost)
}

const setOK = `{"inventoryAdjustmentGroup":{"id":"gid://shopify/InventoryAdjustmentGroup/1"},"userErrors":[]}`

func stubUpdates(n int) []cart.StockUpdate {
	var out []cart.StockUpdate
	for i := range n {
		out = append(out, cart.StockUpdate{SKU: fmt.Sprintf("S%d", i), Link: cart.Link{InventoryItemID: fmt.Sprintf("gid://shopify/InventoryItem/%d", 100+i)}, Quantity: i})
	}
	return out
}

func TestSetStockWholeBatchError(t *testing.T) {
	s := &scripted{locations: []string{"gid://shopify/Location/1"}, mutations: []func(map[string]any) string{
		func(map[string]any) string {
			return `{"inventoryAdjustmentGroup":null,"userErrors":[{"code":"INVALID_REASON","field":["input","reason"],"message":"The specified reason is invalid."}]}`
		},
	}}
	c := newClient(t, serve(t, s), token)
	results, err := c.SetStock(t.Context(), stubUpdates(3))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		var ue *UserError
		if !errors.As(r.Err, &ue) || ue.Code != "INVALID_REASON" {
			t.Errorf("%s: %v; want the batch's INVALID_REASON", r.SKU, r.Err)
		}
	}
	if s.served != 1 {
		t.Errorf("%d mutations; an error for the whole input is not re-sent", s.served)
	}
	// What was sent: the primary location, available, correction, an
	// Autosync reference, the quantity read as the one to change from, an
	// idempotency key; nothing 2026-04 removed.
	in := s.inputs[0]
	q := in["quantities"].([]any)[2].(map[string]any)
	_, ignore := in["ignoreCompareQuantity"]
	_, compare := q["compareQuantity"]
	if in["name"] != "available" || in["reason"] != "correction" || ignore || compare ||
		!strings.HasPrefix(in["referenceDocumentUri"].(string), "gid://autosync/WriteInventoryBack/") ||
		q["locationId"] != "gid://shopify/Location/1" || q["inventoryItemId"] != "gid://shopify/InventoryItem/102" ||
		q["quantity"] != float64(2) || q["changeFromQuantity"] != float64(5) || s.keys[0] == "" || s.reads != 1 {
		t.Errorf("input %v, key %q, %d reads", in, s.keys[0], s.reads)
	}
}

func TestSetStockOneErrorAtATime(t *testing.T) {
	// A Shopify that reports only the first bad quantity of each request:
	// the client keeps dropping refused items until the rest go through.
	bad := map[string]bool{"gid://shopify/InventoryItem/101": true, "gid://shopify/InventoryItem/103": true}
	s := &scripted{locations: []string{"gid://shopify/Location/1"}, mutations: []func(map[string]any) string{
		func(in map[string]any) string {
			for k, q := range in["quantities"].([]any) {
				if bad[q.(map[string]any)["inventoryItemId"].(string)] {
					return fmt.Sprintf(`{"inventoryAdjustmentGroup":null,"userErrors":[{"code":"INVALID_INVENTORY_ITEM","field":["input","quantities","%d","inventoryItemId"],"message":"The specified inventory item could not be found."}]}`, k)
				}
			}
			return setOK
		},
	}}
	c := newClient(t, serve(t, s), token)
	results, err := c.SetStock(t.Context(), stubUpdates(5))
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r.SKU)
		}
	}
	if !slices.Equal(failed, []string{"S1", "S3"}) || s.served != 3 || c.WriteStats().Resends != 2 {
		t.Errorf("failed %v after %d mutations (%+v)", failed, s.served, c.WriteStats())
	}
	if got := len(s.inputs[2]["quantities"].([]any)); got != 3 {
		t.Errorf("the last re-send carried %d quantities; want 3", got)
	}
}

func TestSetStockRelocates(t *testing.T) {
	// The merchant moved the primary location after the client cached it.
	s := &scripted{locations: []string{"gid://shopify/Location/1", "gid://shopify/Location/2"}, mutations: []func(map[string]any) string{
		func(in map[string]any) string {
			var errs []string
			for k, q := range in["quantities"].([]any) {
				if q.(map[string]any)["locationId"] != "gid://shopify/Location/2" {
					errs = append(errs, fmt.Sprintf(`{"code":"INVALID_LOCATION","field":["input","quantities","%d","locationId"],"message":"The specified location could not be found."}`, k))
				}
			}
			if errs == nil {
				return setOK
			}
			return `{"inventoryAdjustmentGroup":null,"userErrors":[` + strings.Join(errs, ",") + `]}`
		},
	}}
	c := newClient(t, serve(t, s), token)
	results, err := c.SetStock(t.Context(), stubUpdates(4))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s: %v", r.SKU, r.Err)
		}
	}
	if ws := c.WriteStats(); ws != (WriteStats{Mutations: 2, Resends: 1, Reads: 2, LocationQueries: 2}) {
		t.Errorf("write stats %+v", ws)
	}
}

func TestStatuses(t *testing.T) {
	all := Statuses()
	for _, s := range DefaultStatuses() {
		if !slices.Contains(all, s) {
			t.Errorf("default status %s is not in Statuses()", s)
		}
	}
	for _, s := range all {
		if _, err := statusFilter([]string{s}); err != nil {
			t.Errorf("statusFilter(%s): %v", s, err)
		}
	}
	for _, s := range []string{"financial_status:bogus", "status:shipped", "fulfillment_status:paid"} {
		if _, err := statusFilter([]string{s}); err == nil {
			t.Errorf("statusFilter(%s) accepted a value Shopify does not have", s)
		}
	}
}

func TestSetStockConcurrent(t *testing.T) {
	var skus []string
	for i := range 400 {
		skus = append(skus, fmt.Sprintf("SKU-%03d", i))
	}
	sim, c := newSim(t, shopifysim.Options{SKUs: skus})
	sim.Seed(0, 1)
	updates := updatesFor(sim, func(i int) int { return i % 9 })
	var wg sync.WaitGroup
	results := make([][]cart.StockResult, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.SetStock(t.Context(), updates[w*100:(w+1)*100])
			if err != nil {
				t.Error(err)
			}
			results[w] = r
		}()
	}
	// Listings read while the writes go on.
	carttest.Listings(t, c, cart.ListingQuery{})
	wg.Wait()
	checkSet(t, sim, updates, slices.Concat(results...))
	if ws := c.WriteStats(); ws.LocationQueries != 1 || ws.Mutations != 4 || ws.Reads != 4 {
		t.Errorf("write stats %+v; want the location looked up once", ws)
	}
}
