package squarespace

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/autosync/autosync/shared/cart"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
)

// updatesFor returns one update per simulator SKU, in catalog order.
func updatesFor(sim *squarespacesim.Server, quantity func(i int) int) []cart.StockUpdate {
	links := sim.Links()
	var out []cart.StockUpdate
	for i, sku := range sim.SKUs() {
		out = append(out, cart.StockUpdate{SKU: sku, Link: links[sku], Quantity: quantity(i)})
	}
	return out
}

// checkSet checks that every update but the failed SKUs succeeded and is
// the simulator's quantity, and that the failed ones kept before.
func checkSet(t *testing.T, sim *squarespacesim.Server, updates []cart.StockUpdate, results []cart.StockResult, before map[string]int, failed ...string) {
	t.Helper()
	if len(results) != len(updates) {
		t.Fatalf("%d results for %d updates", len(results), len(updates))
	}
	q := sim.Quantities()
	for i, u := range updates {
		r := results[i]
		if r.SKU != u.SKU {
			t.Errorf("result %d is for %s, update for %s", i, r.SKU, u.SKU)
		}
		if slices.Contains(failed, u.SKU) {
			var ce *cart.Error
			if !errors.As(r.Err, &ce) || ce.Message == "" {
				t.Errorf("%s: err = %v; want a *cart.Error", u.SKU, r.Err)
			}
			if q[u.SKU] != before[u.SKU] {
				t.Errorf("%s failed but changed from %d to %d", u.SKU, before[u.SKU], q[u.SKU])
			}
			continue
		}
		if r.Err != nil {
			t.Errorf("%s: %v", u.SKU, r.Err)
		}
		if q[u.SKU] != u.Quantity {
			t.Errorf("%s is %d in the site; pushed %d", u.SKU, q[u.SKU], u.Quantity)
		}
	}
}

func TestSetStock(t *testing.T) {
	sim, c := newSim(t, squarespacesim.Options{})
	updates := updatesFor(sim, func(i int) int { return 100 + i })
	if len(updates) != 60 || c.MaxBatch() != 50 {
		t.Fatalf("%d updates, MaxBatch %d", len(updates), c.MaxBatch())
	}
	results, err := c.SetStock(t.Context(), updates) // longer than a batch: split
	if err != nil {
		t.Fatal(err)
	}
	checkSet(t, sim, updates, results, nil)
	st := sim.Stats()
	if ws := c.WriteStats(); ws.Requests != 2 || st.Applied != 2 || st.Operations != 60 {
		t.Errorf("write stats %+v; simulator applied %d requests, %d operations", ws, st.Applied, st.Operations)
	}
	if k := st.AdjustmentKeys; len(k) != 2 || k[0] == k[1] || !keyOK(k[0]) || !keyOK(k[1]) {
		t.Errorf("keys %v", k)
	}
}

func keyOK(k string) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	return !strings.ContainsFunc(k, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}

// TestRetriedPushChangesStockOnce is the acceptance test: the
// simulator applies a push and drops the connection before answering; a
// sale happens on the site; the connector retries the same request with the
// same Idempotency-Key. Squarespace answers from the first execution, so
// the sale is not undone. A later push of the same quantities is a new
// push, with a new key, and is applied.
func TestRetriedPushChangesStockOnce(t *testing.T) {
	sim := squarespacesim.New(squarespacesim.Options{APIKey: apiKey, PerMinute: -1})
	var seen atomic.Int32
	sold := make(chan struct{})
	var keys []string
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != adjustmentsPath {
			sim.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		n := seen.Add(1)
		if n == 2 {
			<-sold // the retry arrives after the sale
		}
		sim.ServeHTTP(w, r)
		if n == 1 {
			// The push was applied and the connection dropped; a customer
			// buys two units before the connector retries.
			sim.CreateOrder([]cart.Line{{SKU: "SKU-0001", Quantity: 2}})
			close(sold)
		}
	})
	c := newClient(t, serve(t, h), apiKey)
	updates := updatesFor(sim, func(i int) int { return 20 + i })[:10]
	sim.SetFaults(squarespacesim.Faults{DropAfterApply: 1})

	results, err := c.SetStock(t.Context(), updates)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s: %v", r.SKU, r.Err)
		}
	}
	st := sim.Stats()
	if st.Faults.DropAfterApply != 1 {
		t.Fatal("the connection was not dropped")
	}
	if len(st.AdjustmentKeys) != 2 || st.AdjustmentKeys[0] != st.AdjustmentKeys[1] {
		t.Fatalf("the simulator saw keys %v; want the same key twice", st.AdjustmentKeys)
	}
	if st.Applied != 1 || st.Replayed != 1 || st.Operations != len(updates) {
		t.Errorf("applied %d, replayed %d, %d operations: the push was not applied exactly once", st.Applied, st.Replayed, st.Operations)
	}
	if ws := c.WriteStats(); ws.Requests != 2 || ws.Retries != 1 || ws.Resends != 0 {
		t.Errorf("write stats %+v", ws)
	}
	q := sim.Quantities()
	if q["SKU-0001"] != 20-2 {
		t.Errorf("SKU-0001 is %d; pushed 20 and 2 sold since: the retry applied the push again", q["SKU-0001"])
	}
	for _, u := range updates[1:] {
		if q[u.SKU] != u.Quantity {
			t.Errorf("%s is %d; pushed %d", u.SKU, q[u.SKU], u.Quantity)
		}
	}

	// The next push of the same quantities is a new push: a new key, and
	// applied, which puts the sold units back as the caller asked.
	if _, err := c.SetStock(t.Context(), updates); err != nil {
		t.Fatal(err)
	}
	st = sim.Stats()
	if len(st.AdjustmentKeys) != 3 || st.AdjustmentKeys[2] == st.AdjustmentKeys[0] || st.Applied != 2 {
		t.Errorf("second push: keys %v, applied %d", st.AdjustmentKeys, st.Applied)
	}
	if q := sim.Quantities()["SKU-0001"]; q != 20 {
		t.Errorf("after the second push SKU-0001 is %d", q)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 3 || keys[0] != keys[1] || keys[1] == keys[2] {
		t.Errorf("keys on the wire: %v", keys)
	}
}

// TestRetriesReuseTheKey: every retry of a batch after a 5xx, a drop or a
// timeout carries the key of its first attempt.
func TestRetriesReuseTheKey(t *testing.T) {
	// In a bubble: the attempt timeout is fake time, so a loaded machine
	// cannot make a healthy attempt time out too.
	synctest.Test(t, func(t *testing.T) {
		for _, f := range []squarespacesim.Faults{
			{ServerErrors: 3},
			{Drop: 1, ServerErrors: 1},
			{Slow: 2, Delay: 300 * time.Millisecond},
		} {
			sim := squarespacesim.New(squarespacesim.Options{APIKey: apiKey, PerMinute: -1})
			rec := &recorder{h: sim}
			c := inMemoryClient(t, rec)
			c.retry.AttemptTimeout = 100 * time.Millisecond
			updates := updatesFor(sim, func(i int) int { return i })[:5]
			sim.SetFaults(f)
			results, err := c.SetStock(t.Context(), updates)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			checkSet(t, sim, updates, results, nil)
			var keys []string
			for _, r := range rec.requests() {
				keys = append(keys, r.Header.Get("Idempotency-Key"))
			}
			if len(keys) < 2 || slices.Compact(slices.Clone(keys))[0] != keys[0] || len(slices.Compact(slices.Clone(keys))) != 1 {
				t.Errorf("%+v: keys %v", f, keys)
			}
			if st := sim.Stats(); st.Applied != 1 {
				t.Errorf("%+v: applied %d times", f, st.Applied)
			}
		}
	})
}

func TestSetStockRefusals(t *testing.T) {
	tests := []struct {
		name     string
		prepare  func(sim *squarespacesim.Server, updates []cart.StockUpdate)
		failed   []string
		requests int // adjustment requests
		resends  int
	}{
		{"one refused", func(sim *squarespacesim.Server, _ []cart.StockUpdate) { sim.FailSKU("SKU-0004", 1) },
			[]string{"SKU-0004"}, 2, 1},
		{"two refused, named one at a time", func(sim *squarespacesim.Server, _ []cart.StockUpdate) {
			sim.FailSKU("SKU-0002", 1)
			sim.FailSKU("SKU-0009", 1)
		}, []string{"SKU-0002", "SKU-0009"}, 3, 2},
		{"unknown variant", func(_ *squarespacesim.Server, u []cart.StockUpdate) {
			u[5].Link.VariantID = "0000dead-beef-4000-a000-000000000000"
		},
			[]string{"SKU-0006"}, 2, 1},
		{"no variant id: no request", func(_ *squarespacesim.Server, u []cart.StockUpdate) { u[0].Link = cart.Link{} },
			[]string{"SKU-0001"}, 1, 0},
		{"negative quantity: no request", func(_ *squarespacesim.Server, u []cart.StockUpdate) { u[1].Quantity = -1 },
			[]string{"SKU-0002"}, 1, 0},
		{"same variant twice", func(_ *squarespacesim.Server, u []cart.StockUpdate) { u[3].Link = u[2].Link },
			[]string{"SKU-0004"}, 1, 0},
		{"every one refused", func(sim *squarespacesim.Server, _ []cart.StockUpdate) { sim.FailSKU("SKU-0001", 1) },
			[]string{"SKU-0001"}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c := newSim(t, squarespacesim.Options{})
			updates := updatesFor(sim, func(i int) int { return 70 + i })[:10]
			if tt.name == "every one refused" {
				updates = updates[:1]
			}
			tt.prepare(sim, updates)
			before := sim.Quantities()
			results, err := c.SetStock(t.Context(), updates)
			if err != nil {
				t.Fatal(err)
			}
			checkSet(t, sim, updates, results, before, tt.failed...)
			ws := c.WriteStats()
			if ws.Requests != tt.requests || ws.Resends != tt.resends {
				t.Errorf("write stats %+v; want %d requests, %d resends", ws, tt.requests, tt.resends)
			}
			for i, r := range results {
				var ae *APIError
				if slices.Contains(tt.failed, updates[i].SKU) && tt.resends > 0 && errors.As(r.Err, &ae) {
					if ae.Status != 400 || ae.Type != "INVALID_REQUEST_ERROR" || ae.ContextID == "" {
						t.Errorf("%s: APIError %+v", r.SKU, ae)
					}
				}
			}
			keys := sim.Stats().AdjustmentKeys
			if len(slices.Compact(slices.Sorted(slices.Values(keys)))) != len(keys) {
				t.Errorf("a key was used for two different bodies: %v", keys)
			}
		})
	}
}

// scriptedSite accepts adjustments of at most limit operations that do not
// touch a refused variant, and refuses the others with a message that
// names no variant: the case where the connector must split.
func scriptedSite(limit int, refused string, applied *sync.Map) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var a adjustment
		if json.Unmarshal(body, &a) != nil || r.Header.Get("Idempotency-Key") == "" {
			w.WriteHeader(500)
			return
		}
		bad := len(a.SetFinite) > limit || slices.ContainsFunc(a.SetFinite, func(o finiteOperation) bool { return o.VariantID == refused })
		if bad {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"type":"INVALID_REQUEST_ERROR","subtype":null,"message":"The request could not be processed.","details":null,"contextId":"CTX1"}`)
			return
		}
		for _, o := range a.SetFinite {
			applied.Store(o.VariantID, o.Quantity)
		}
		w.WriteHeader(204)
	})
}

func stubUpdates(n int) []cart.StockUpdate {
	out := make([]cart.StockUpdate, n)
	for i := range out {
		out[i] = cart.StockUpdate{SKU: fmt.Sprintf("S%02d", i), Link: cart.Link{ProductID: "p", VariantID: fmt.Sprintf("v-%02d", i)}, Quantity: i}
	}
	return out
}

func TestSetStockSplitsUnnamedRefusals(t *testing.T) {
	tests := []struct {
		name    string
		limit   int
		refused string
		failed  []int
	}{
		{"one bad variant, not named", 50, "v-13", []int{13}},
		{"a lower operation limit than 50", 20, "", nil},
		{"both", 20, "v-40", []int{40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var applied sync.Map
			c := newClient(t, serve(t, scriptedSite(tt.limit, tt.refused, &applied)), apiKey)
			updates := stubUpdates(50)
			results, err := c.SetStock(t.Context(), updates)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range results {
				q, ok := applied.Load(updates[i].Link.VariantID)
				if slices.Contains(tt.failed, i) {
					if r.Err == nil || ok {
						t.Errorf("%s: err %v, applied %v", r.SKU, r.Err, ok)
					}
				} else if r.Err != nil || !ok || q != updates[i].Quantity {
					t.Errorf("%s: err %v, applied %v %v", r.SKU, r.Err, ok, q)
				}
			}
			if ws := c.WriteStats(); ws.Splits == 0 || ws.Requests > 2*50 {
				t.Errorf("write stats %+v", ws)
			}
		})
	}
}

func TestSetStockFailures(t *testing.T) {
	// Whole-call failures give no results.
	_, c := newSim(t, squarespacesim.Options{})
	updates := stubUpdates(3)
	sim, c2 := newSim(t, squarespacesim.Options{})
	updates2 := updatesFor(sim, func(int) int { return 1 })[:3]
	sim.SetFaults(squarespacesim.Faults{ServerErrors: 4})
	results, err := c2.SetStock(t.Context(), updates2)
	var ce *cart.Error
	if results != nil || !errors.As(err, &ce) || !ce.Temporary {
		t.Errorf("5xx past the retries: %v, %v", results, err)
	}
	if st := sim.Stats(); st.Applied != 0 {
		t.Errorf("applied %d", st.Applied)
	}
	// Unknown variant ids of a site that has none of them.
	results, err = c.SetStock(t.Context(), updates)
	if err != nil || len(results) != 3 || results[0].Err == nil {
		t.Errorf("unknown variants: %v, %v", results, err)
	}
	// Nothing to send.
	if results, err := c.SetStock(t.Context(), nil); err != nil || len(results) != 0 {
		t.Errorf("empty: %v, %v", results, err)
	}
}

func TestSetStockConcurrent(t *testing.T) {
	sim, c := newSim(t, squarespacesim.Options{SKUs: skus(400)})
	updates := updatesFor(sim, func(i int) int { return i % 37 })
	var wg sync.WaitGroup
	all := make([]cart.StockResult, len(updates))
	errs := make(chan error, 8)
	for lo := 0; lo < len(updates); lo += c.MaxBatch() {
		hi := min(lo+c.MaxBatch(), len(updates))
		wg.Go(func() {
			results, err := c.SetStock(t.Context(), updates[lo:hi])
			if err != nil {
				errs <- err
				return
			}
			copy(all[lo:hi], results)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkSet(t, sim, updates, all, nil)
	if ws := c.WriteStats(); ws.Requests != 8 {
		t.Errorf("write stats %+v", ws)
	}
}

func TestIdempotencyKey(t *testing.T) {
	n1, n2 := []byte("0123456789abcdef"), []byte("fedcba9876543210")
	b1, b2 := []byte(`{"setFiniteOperations":[{"variantId":"a","quantity":1}]}`), []byte(`{"setFiniteOperations":[{"variantId":"a","quantity":2}]}`)
	k := idempotencyKey(n1, b1)
	switch {
	case !keyOK(k) || len(k) != 57:
		t.Errorf("key %q", k)
	case idempotencyKey(n1, b1) != k:
		t.Error("the same push and body gave two keys")
	case idempotencyKey(n2, b1) == k:
		t.Error("two pushes of the same body share a key")
	case idempotencyKey(n1, b2) == k:
		t.Error("two bodies of one push share a key")
	}
}

func TestMentions(t *testing.T) {
	tests := []struct {
		text, id string
		want     bool
	}{
		{"Variant 7eb25f50-4a0a-4e86-ac7c-cc1d49347bb4 was not found.", "7eb25f50-4a0a-4e86-ac7c-cc1d49347bb4", true},
		{"variant v-1 refused", "v-1", true},
		{"variant v-12 refused", "v-1", false},
		{"variant xv-1 refused", "v-1", false},
		{"v-1", "v-1", true},
		{"(v-1)", "v-1", true},
		{"", "v-1", false},
		{"anything", "", false},
	}
	for _, tt := range tests {
		if got := mentions(tt.text, tt.id); got != tt.want {
			t.Errorf("mentions(%q, %q) = %v", tt.text, tt.id, got)
		}
	}
}
