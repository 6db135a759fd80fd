package shopifysim

import (
	"slices"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// TestChangeFromQuantity: 2026-10's compare-and-swap. The key must be
// there (null skips the check); a stale value is refused with
// CHANGE_FROM_QUANTITY_STALE and nothing is set.
func TestChangeFromQuantity(t *testing.T) {
	s := New(Options{SKUs: []string{"A-1"}})
	s.Seed(0, 1)
	s.SetQuantity("A-1", 10)
	url := serve(t, s)
	loc := s.PrimaryLocation().GID
	item := s.Products()[0].Variants[0].InventoryItemGID

	_, d, raw := mutate(t, url, setInput("available", false, qty(item, loc, 3)))
	if got := d.codes(); !slices.Equal(got, []string{"COMPARE_QUANTITY_REQUIRED@input.quantities.0.changeFromQuantity"}) {
		t.Errorf("no changeFromQuantity: %s", raw)
	}
	_, d, raw = mutate(t, url, setInput("available", false, qty(item, loc, 3, 9)))
	if got := d.codes(); !slices.Equal(got, []string{"CHANGE_FROM_QUANTITY_STALE@input.quantities.0.changeFromQuantity"}) ||
		d.InventorySetQuantities.Group != nil || d.InventorySetQuantities.UserErrors[0].Message != "The changeFromQuantity value does not match persisted value." {
		t.Errorf("stale: %s", raw)
	}
	if q := s.Quantities()["A-1"]; q != 10 {
		t.Errorf("a refused compare set A-1 to %d", q)
	}
	if _, d, raw = mutate(t, url, setInput("available", false, qty(item, loc, 3, 10))); len(d.codes()) != 0 || s.Quantities()["A-1"] != 3 {
		t.Errorf("fresh: %s", raw)
	}
	if _, d, raw = mutate(t, url, setInput("available", true, qty(item, loc, 4))); len(d.codes()) != 0 || s.Quantities()["A-1"] != 4 {
		t.Errorf("null skips the check: %s", raw)
	}
}

// TestIdempotentKey: a request re-sent with its key is answered as the
// first time and applied once; the key with other parameters, or after a
// failure, is refused with Shopify's codes.
func TestIdempotentKey(t *testing.T) {
	s := New(Options{SKUs: []string{"A-1"}})
	s.Seed(0, 1)
	s.SetQuantity("A-1", 10)
	url := serve(t, s)
	loc := s.PrimaryLocation().GID
	item := s.Products()[0].Variants[0].InventoryItemGID

	first := setInput("available", false, qty(item, loc, 8, 10))
	_, d1, raw1 := mutate(t, url, first)
	s.CreateOrder([]cart.Line{{SKU: "A-1", Quantity: 1}}) // 8 → 7
	_, d2, raw2 := mutate(t, url, first)
	if d1.InventorySetQuantities.Group == nil || d2.InventorySetQuantities.Group == nil ||
		d1.InventorySetQuantities.Group.ID != d2.InventorySetQuantities.Group.ID {
		t.Errorf("a re-sent request was not answered as the first:\n%s\n%s", raw1, raw2)
	}
	if q := s.Quantities()["A-1"]; q != 7 {
		t.Errorf("A-1 is %d; a re-sent request must not be applied again (want 7)", q)
	}

	other := setInput("available", false, qty(item, loc, 5, 7))
	other["key"] = first["key"]
	if _, d, raw := mutate(t, url, other); !slices.Equal(d.codes(), []string{"IDEMPOTENCY_KEY_PARAMETER_MISMATCH@"}) {
		t.Errorf("same key, other input: %s", raw)
	}
	failed := setInput("available", false, qty(item, loc, 5, 99))
	mutate(t, url, failed)
	if _, d, raw := mutate(t, url, failed); !slices.Equal(d.codes(), []string{"IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED@"}) {
		t.Errorf("retry of a failure: %s", raw)
	}
	if q := s.Quantities()["A-1"]; q != 7 {
		t.Errorf("refused requests changed A-1 to %d", q)
	}
}

// TestBeforeMutation: the hook runs between a read and a write, outside the
// simulator's locks, so a test can sell there.
func TestBeforeMutation(t *testing.T) {
	s := New(Options{SKUs: []string{"A-1"}})
	s.Seed(0, 1)
	s.SetQuantity("A-1", 10)
	url := serve(t, s)
	loc := s.PrimaryLocation().GID
	item := s.Products()[0].Variants[0].InventoryItemGID
	var seen [][]string
	s.SetBeforeMutation(func(fields []string) {
		seen = append(seen, fields)
		s.CreateOrder([]cart.Line{{SKU: "A-1", Quantity: 1}})
	})
	post(t, url, DefaultAccessToken, `{ location { id } }`, nil)
	_, d, raw := mutate(t, url, setInput("available", false, qty(item, loc, 5, 10)))
	if !slices.Equal(d.codes(), []string{"CHANGE_FROM_QUANTITY_STALE@input.quantities.0.changeFromQuantity"}) {
		t.Errorf("the sale in the hook did not make the compare stale: %s", raw)
	}
	if len(seen) != 1 || !slices.Equal(seen[0], []string{"inventorySetQuantities"}) {
		t.Errorf("hook saw %v; want one mutation and no query", seen)
	}
	s.SetBeforeMutation(nil)
	if _, d, _ = mutate(t, url, setInput("available", false, qty(item, loc, 5, 9))); len(d.codes()) != 0 || s.Quantities()["A-1"] != 5 {
		t.Errorf("after removing the hook: %v %v", d.codes(), s.Quantities())
	}
}

// TestIdempotentDirectiveRequired: 2026-10 refuses inventorySetQuantities
// without @idempotent, and answers what removed fields were.
func TestIdempotentDirectiveRequired(t *testing.T) {
	s := New(Options{SKUs: []string{"A-1"}})
	s.Seed(0, 1)
	url := serve(t, s)
	before := s.Quantities()
	for name, doc := range map[string]string{
		"no directive":    `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }`,
		"other directive": `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) @skip(if: false) { userErrors { code } } }`,
	} {
		vars := setInput("available", true, qty(s.Products()[0].Variants[0].InventoryItemGID, s.PrimaryLocation().GID, 1))
		delete(vars, "key")
		_, r, raw := post(t, url, DefaultAccessToken, doc, vars)
		if r.Errors == nil || r.Data != nil {
			t.Errorf("%s: %s", name, raw)
		}
		if name == "no directive" && !strings.Contains(string(raw), "requires an idempotency key") {
			t.Errorf("%s: %s", name, raw)
		}
	}
	if s.Stats().Mutations != 0 || !slices.Equal(sortedKeys(before), sortedKeys(s.Quantities())) || s.Quantities()["A-1"] != before["A-1"] {
		t.Errorf("a refused document ran: %+v", s.Stats())
	}
}
