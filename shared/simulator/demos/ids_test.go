package demos

import (
	"slices"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/simulator"
)

// TestSkipIDsAcrossRestarts, for every demo simulator: a restarted
// simulator is seeded with the same orders and, without SkipIDs, hands the
// next order the id it gave a different order before the restart. With
// SkipIDs the seeded orders keep their ids and new orders take ids never
// handed out.
func TestSkipIDsAcrossRestarts(t *testing.T) {
	type seeded interface{ Importable() []string }
	skus := []string{"MUG-BLUE", "TEE-M"}
	line := []cart.Line{{SKU: "MUG-BLUE", Quantity: 1}}
	for _, demo := range All() {
		t.Run(string(demo.Cart), func(t *testing.T) {
			start := func() simulator.Simulator {
				s := demo.New(skus)
				if c, ok := s.(interface{ Close() }); ok {
					t.Cleanup(c.Close)
				}
				return s
			}
			first := start()
			if _, ok := first.(simulator.IDSkipper); !ok {
				t.Fatalf("the %s simulator cannot skip ids, so a restarted demo would reuse them", demo.Cart)
			}
			im, ok := first.(seeded)
			if !ok {
				t.Fatalf("the %s simulator does not list its seeded orders", demo.Cart)
			}
			before := im.Importable()
			a := first.CreateOrder(line)
			if a == "" {
				t.Fatal("the simulator refused the order")
			}
			if again := start().CreateOrder(line); again != a {
				t.Fatalf("precondition: a restarted simulator repeats order ids; got %s, then %s", a, again)
			}

			second := start()
			second.(simulator.IDSkipper).SkipIDs(1_000_000)
			if got := second.(seeded).Importable(); !slices.Equal(got, before) {
				t.Fatalf("SkipIDs changed the seeded orders: %v, then %v", before, got)
			}
			b := second.CreateOrder(line)
			if b == a || slices.Contains(before, b) {
				t.Fatalf("after SkipIDs the new order took id %s (before the restart: %s; seeded: %v)", b, a, before)
			}
			if c := second.CreateOrder(line); c == b || c == a {
				t.Fatalf("ids repeat after SkipIDs: %s, %s, %s", a, b, c)
			}
		})
	}
}
