package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
)

// TestEtsySoldOutListingRenewed: a listing whose last units sell on Etsy
// goes sold_out there. Write-back at 0 leaves it so (no inactive request,
// nothing failed or suspended); when stock returns in Autosync the
// write-back renews it, active with exactly the quantities Autosync has
// (not the quantity 1 a renewal sets).
func TestEtsySoldOutListingRenewed(t *testing.T) {
	f, sim := etsyFixture(t, "CAP", "MUG-BLUE", "MUG-RED", "MUG-GREEN")
	ctx := context.Background()
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
	for _, sku := range mugs {
		if _, err := f.inv.SetOnHand(ctx, "acct", sku, inventory.DefaultWarehouse, 0); err != nil {
			t.Fatal(err)
		}
	}
	run := f.runTask(t, catalog.WriteInventory)
	if run.Status != runs.Succeeded || run.Counts.Failed != 0 || run.Counts.Pushed != 3 {
		t.Fatalf("write inventory at 0: %s %+v %+v %v", run.Status, run.Counts, run.Error, run.Detail)
	}
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

	if _, err := f.inv.SetOnHand(ctx, "acct", "MUG-RED", inventory.DefaultWarehouse, 5); err != nil {
		t.Fatal(err)
	}
	run = f.runTask(t, catalog.WriteInventory)
	if run.Status != runs.Succeeded || run.Counts.Failed != 0 {
		t.Fatalf("write inventory with stock: %s %+v %+v %v", run.Status, run.Counts, run.Error, run.Detail)
	}
	if got := listingState(sim, "MUG-RED"); got != "active" {
		t.Fatalf("listing %s; want renewed, active", got)
	}
	if q := sim.Quantities(); q["MUG-RED"] != 5 || q["MUG-BLUE"] != 0 || q["MUG-GREEN"] != 0 {
		t.Errorf("Etsy offers %v; want MUG-RED 5, the other mugs 0", q)
	}
	if detail := strings.Join(run.Detail, "\n"); !strings.Contains(detail, "reactivated: 1") {
		t.Errorf("detail %q", detail)
	}
	for _, sku := range mugs {
		if cv := f.channelView(t, sku); cv.State != inventory.StateInSync {
			t.Errorf("%s: %+v", sku, cv)
		}
	}
	noOversell(t, f, sim)
	if _, err := sim.PlaceOrder([]cart.Line{{SKU: "MUG-RED", Quantity: 1}}); err != nil {
		t.Errorf("the renewed listing does not sell: %v", err)
	}
}
