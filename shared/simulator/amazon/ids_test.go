package amazonsim

import (
	"slices"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// A restarted simulator is seeded with the same orders and, without
// SkipIDs, hands the next order the id it gave a different order before
// the restart. With SkipIDs the seeded orders keep their ids and the new
// order takes one never handed out.
func TestSkipIDsAcrossRestarts(t *testing.T) {
	start := func() *Server {
		s := New(Options{SKUs: []string{"MUG-BLUE", "TEE-M"}})
		s.Seed(20, 7)
		return s
	}
	line := []cart.Line{{SKU: "MUG-BLUE", Quantity: 1}}
	first := start()
	seeded := first.Importable()
	a := first.CreateOrder(line)

	if again := start().CreateOrder(line); again != a {
		t.Fatalf("precondition: a restarted simulator repeats order ids; got %s, then %s", a, again)
	}

	second := start()
	if got := second.Importable(); !slices.Equal(got, seeded) {
		t.Fatalf("seeding is not repeatable: %v, then %v", seeded, got)
	}
	second.SkipIDs(1_000_000)
	if got := second.Importable(); !slices.Equal(got, seeded) {
		t.Fatalf("SkipIDs changed the seeded orders: %v, then %v", seeded, got)
	}
	b := second.CreateOrder(line)
	if b == a || slices.Contains(seeded, b) {
		t.Fatalf("after SkipIDs the new order took id %s (before the restart: %s; seeded: %v)", b, a, seeded)
	}
	if c := second.CreateOrder(line); c == b || c == a {
		t.Fatalf("ids repeat after SkipIDs: %s, %s, %s", a, b, c)
	}
}
