package runner

import (
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/inventory"
)

// TestEtsySoldOutListingRenewed: a listing whose last units sell on Etsy
// goes sold_out there. Write-back at 0 leaves it so (no inactive request,
// nothing failed or suspended); when stock returns in Autosync the
// write-back renews it, active with exactly the quantities Autosync has
// (not the quantity 1 a renewal sets).
func TestEtsySoldOutListingRenewed(t *testing.T) {
	f, sim := etsyFixture(t, "CAP", "MUG-BLUE", "MUG-RED", "MUG-GREEN")
	mugs := []string{"MUG-BLUE", "MUG-RED", "MUG-GREEN"}
	var lines []cart.Line
	for _, sku := range mugs {
		if q := sim.Quantities()[sku]; q > 0 {
			lines = append(lines, cart.Line{SKU: sku, Quantity: q})
		}
	}
	if _, err := sim.PlaceOrder(lines); err != nil {
		t.Fatal(err)
	}
	if got := listingState(sim, "MUG-RED"); got != "sold_out" {
		t.Fatalf("listing %s after its last units sold; want sold_out", got)
	}
	// The sale reaches Autosync (its orders come from elsewhere here).
	zeroMugs(t, f, mugs)
	if got := listingState(sim, "MUG-RED"); got != "sold_out" {
		t.Errorf("listing %s; want left sold_out", got)
	}
	if st := sim.Stats(); st.StateChanges != 0 || st.StateRejected != 0 {
		t.Errorf("%d state changes, %d refused; want none", st.StateChanges, st.StateRejected)
	}
	for _, sku := range mugs {
		if cv := f.channelView(t, sku); cv.State != inventory.StateDeactivated || cv.Suspended || cv.NeedsSync {
			t.Errorf("%s at 0: %+v", sku, cv)
		}
	}

	// Renewed, active, with Autosync's quantities (not the 1 a renewal sets).
	restockMugRed(t, f, sim, mugs)
}
