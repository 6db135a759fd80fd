package shopify

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

// supportEnds is the first day a Shopify API version is no longer
// supported: a version YYYY-MM is released on the 1st of that month and
// supported for 12 months.
func supportEnds(version string) (time.Time, error) {
	released, err := time.Parse("2006-01", version)
	if err != nil {
		return time.Time{}, err
	}
	return released.AddDate(1, 0, 0), nil
}

// minSupportLeft is how much support the pinned version must have left:
// time to move (docs/api-versions.md) before Shopify falls back to another.
const minSupportLeft = 3 // months

func supportedLongEnough(version string, now time.Time) (bool, time.Time, error) {
	ends, err := supportEnds(version)
	if err != nil {
		return false, time.Time{}, err
	}
	return !now.AddDate(0, minSupportLeft, 0).After(ends), ends, nil
}

// TestAPIVersionSupported fails once the pinned version has less than
// three months of Shopify's support left, counted from today.
func TestAPIVersionSupported(t *testing.T) {
	ok, ends, err := supportedLongEnough(DefaultAPIVersion, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Errorf("Shopify supports Admin API %s until %s, less than %d months from now: move to a newer version (docs/api-versions.md)",
			DefaultAPIVersion, ends.Format(time.DateOnly), minSupportLeft)
	}
}

func TestSupportedLongEnough(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		version string
		now     string
		want    bool
	}{
		{"2026-10", "2026-12-06", true},
		{"2025-07", "2026-12-06", false}, // support ended 2026-07-01
		{"2026-01", "2026-10-01", true},  // exactly three months left
		{"2026-01", "2026-10-02", false},
		{"2026-04", "2026-12-06", true},
	}
	for _, tt := range tests {
		got, _, err := supportedLongEnough(tt.version, day(tt.now))
		if err != nil || got != tt.want {
			t.Errorf("%s on %s: %v, %v; want %v", tt.version, tt.now, got, err, tt.want)
		}
	}
	if _, _, err := supportedLongEnough("unstable", time.Now()); err == nil {
		t.Error("unstable has no support window")
	}
}

// exchange is one request to the simulator and its answer.
type exchange struct {
	query string
	vars  map[string]any
	resp  string
}

// tap records every exchange with the handler behind it.
type tap struct {
	next http.Handler
	mu   sync.Mutex
	log  []exchange
}

func (t *tap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	rec := httptest.NewRecorder()
	t.next.ServeHTTP(rec, r)
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	json.Unmarshal(b, &req)
	t.mu.Lock()
	t.log = append(t.log, exchange{req.Query, req.Variables, rec.Body.String()})
	t.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (t *tap) mutations() []exchange {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []exchange
	for _, e := range t.log {
		if strings.Contains(e.query, "inventorySetQuantities") {
			out = append(out, e)
		}
	}
	return out
}

// TestSetStockKeepsASaleMadeDuringThePush is the write-back's done-when: a
// sale Shopify takes between the connector's read and its write is never
// overwritten. The first mutation meets the sale and is refused as
// CHANGE_FROM_QUANTITY_STALE; the connector reads again and pushes its
// quantity less what the shop sold since its read, under a new idempotency
// key; the SKU next to it is pushed as intended.
func TestSetStockKeepsASaleMadeDuringThePush(t *testing.T) {
	sim := shopifysim.New(shopifysim.Options{AccessToken: token, Plan: roomy, SKUs: []string{"A-1", "B-1"}})
	sim.Seed(0, 1)
	sim.SetQuantity("A-1", 10)
	sim.SetQuantity("B-1", 4)
	tp := &tap{next: sim}
	c := newClient(t, serve(t, tp), token)

	const intendedA, intendedB, sold = 7, 6, 2
	updates := updatesFor(sim, func(i int) int { return []int{intendedA, intendedB}[i] })
	sales := 0
	sim.SetBeforeMutation(func([]string) {
		if sales == 0 { // the sale lands after the read, before the first write
			sales++
			sim.CreateOrder([]cart.Line{{SKU: "A-1", Quantity: sold}})
		}
	})
	results, err := c.SetStock(t.Context(), updates)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s: %v", r.SKU, r.Err)
		}
	}

	muts := tp.mutations()
	if len(muts) != 2 {
		t.Fatalf("%d mutations; want the refused one and its recomputed re-send", len(muts))
	}
	// The mismatch, as Shopify reports it.
	if !strings.Contains(muts[0].resp, `"code":"CHANGE_FROM_QUANTITY_STALE"`) || !strings.Contains(muts[0].resp, `"changeFromQuantity"`) {
		t.Errorf("first answer %s; want CHANGE_FROM_QUANTITY_STALE on A-1's changeFromQuantity", muts[0].resp)
	}
	sent := func(e exchange, k int) map[string]any {
		return e.vars["input"].(map[string]any)["quantities"].([]any)[k].(map[string]any)
	}
	if q := sent(muts[0], 0); q["changeFromQuantity"] != float64(10) || q["quantity"] != float64(intendedA) {
		t.Errorf("first push of A-1 %v; want %d from 10", q, intendedA)
	}
	// The retry: based on the fresh 8, A-1 pushed as 7 − (10 − 8) = 5.
	if q := sent(muts[1], 0); q["changeFromQuantity"] != float64(10-sold) || q["quantity"] != float64(intendedA-sold) {
		t.Errorf("re-send of A-1 %v; want %d from %d", q, intendedA-sold, 10-sold)
	}
	if muts[0].vars["key"] == muts[1].vars["key"] || muts[1].vars["key"] == "" {
		t.Errorf("keys %v and %v: a recomputed push needs a key of its own", muts[0].vars["key"], muts[1].vars["key"])
	}
	q := sim.Quantities()
	if q["A-1"] != intendedA-sold {
		t.Errorf("A-1 is %d in the shop; want %d: the sale of %d must not be overwritten", q["A-1"], intendedA-sold, sold)
	}
	if q["B-1"] != intendedB {
		t.Errorf("B-1 is %d; want %d", q["B-1"], intendedB)
	}
	if results[0].Retries != 1 || results[1].Retries != 0 {
		t.Errorf("retries %d, %d; want 1 for A-1, 0 for B-1", results[0].Retries, results[1].Retries)
	}
	if ws := c.WriteStats(); ws.StaleRetries != 1 || ws.Mutations != 2 || ws.Reads != 2 || ws.Resends != 1 {
		t.Errorf("write stats %+v", ws)
	}
}

// TestSetStockGivesUpOnAQuantityThatKeepsChanging: a shop that sells before
// every write gets the SKU failed with Shopify's reason after
// maxCASRetries, every sale kept; the next run tries again.
func TestSetStockGivesUpOnAQuantityThatKeepsChanging(t *testing.T) {
	sim := shopifysim.New(shopifysim.Options{AccessToken: token, Plan: roomy, SKUs: []string{"A-1"}})
	sim.Seed(0, 1)
	sim.SetQuantity("A-1", 50)
	c := newClient(t, serve(t, sim), token)
	sim.SetBeforeMutation(func([]string) { sim.CreateOrder([]cart.Line{{SKU: "A-1", Quantity: 1}}) })
	results, err := c.SetStock(t.Context(), updatesFor(sim, func(int) int { return 40 }))
	if err != nil {
		t.Fatal(err)
	}
	var ue *UserError
	if !errors.As(results[0].Err, &ue) || ue.Code != codeStale || results[0].Retries != maxCASRetries {
		t.Errorf("result %+v; want %s after %d retries", results[0], codeStale, maxCASRetries)
	}
	if got, want := sim.Quantities()["A-1"], 50-(maxCASRetries+1); got != want {
		t.Errorf("A-1 is %d; want %d, every sale kept", got, want)
	}
}

func TestIdempotencyKey(t *testing.T) {
	input := func(q, from int) map[string]any {
		return map[string]any{"name": "available", "reason": "correction", "referenceDocumentUri": "gid://autosync/WriteInventoryBack/1",
			"quantities": []map[string]any{{"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": "gid://shopify/Location/1", "quantity": q, "changeFromQuantity": from}}}
	}
	a := idempotencyKey(input(5, 3))
	if a != idempotencyKey(input(5, 3)) {
		t.Error("the same push got two keys")
	}
	if a == idempotencyKey(input(5, 2)) || a == idempotencyKey(input(4, 3)) {
		t.Error("a recomputed push kept the key")
	}
	if strings.TrimSpace(a) == "" || len(a) > 64 {
		t.Errorf("key %q", a)
	}
}

func TestParseLevels(t *testing.T) {
	got, err := parseLevels([]byte(`{"i0":{"inventoryLevel":{"quantities":[{"name":"available","quantity":4}]}},"i1":null,"i2":{"inventoryLevel":null}}`), 3)
	if err != nil || got[0] == nil || *got[0] != 4 || got[1] != nil || got[2] != nil {
		t.Errorf("parseLevels = %v, %v", got, err)
	}
	if _, err := parseLevels([]byte(`{"i0":{"inventoryLevel":null}}`), 2); !errors.Is(err, cart.ErrMalformed) {
		t.Errorf("a missing item: %v; want cart.ErrMalformed", err)
	}
	if _, err := parseLevels([]byte(`[]`), 1); !errors.Is(err, cart.ErrMalformed) {
		t.Errorf("not an object: %v; want cart.ErrMalformed", err)
	}
}

// FuzzParseLevels: whatever Shopify answers to a read, parseLevels
// returns n quantities or cart.ErrMalformed, and never panics.
func FuzzParseLevels(f *testing.F) {
	f.Add([]byte(`{"i0":{"inventoryLevel":{"quantities":[{"name":"available","quantity":4}]}}}`), 1)
	f.Add([]byte(`{"i0":null,"i1":{"inventoryLevel":{"quantities":[]}}}`), 2)
	f.Add([]byte(`{"i0":{"inventoryLevel":{"quantities":[{"name":"available","quantity":1e99}]}}}`), 1)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		n = min(max(n, 0), 300)
		got, err := parseLevels(data, n)
		if err != nil {
			if !errors.Is(err, cart.ErrMalformed) {
				t.Fatalf("error %v is not cart.ErrMalformed", err)
			}
			return
		}
		if len(got) != n {
			t.Fatalf("%d quantities for %d items", len(got), n)
		}
	})
}
