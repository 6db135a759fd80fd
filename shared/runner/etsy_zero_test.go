package runner

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
)

// etsyConnectors serve the Etsy connector, against a simulator, for
// listings and stock; orders stay the fake cart's.
type etsyConnectors struct {
	fakeConnectors
	c cart.Connector
}

func (e etsyConnectors) Connector(channels.Channel, cart.Credentials) (cart.Connector, error) {
	return struct {
		cart.Connector
		cart.ListingSource
		cart.StockWriter
		cart.OrderSource
	}{e.c, e.c.(cart.ListingSource), e.c.(cart.StockWriter), e.src}, nil
}

func etsyFixture(t *testing.T, skus ...string) (*fixture, *etsysim.Server) {
	t.Helper()
	f := newFixture(t, 0)
	sim := etsysim.New(etsysim.Options{QPS: 1000, QPD: 1_000_000, SKUs: skus})
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	// Built as the service builds it, through the cart's driver.
	d, ok := carts.Lookup(catalog.Etsy)
	if !ok {
		t.Fatal("no Etsy driver")
	}
	c, err := d.New(cart.Build{
		Config:      cart.Config{"api_base": ts.URL, "shop_id": strconv.FormatInt(sim.ShopID(), 10)},
		Credentials: cart.Credentials{"api_key": etsysim.DefaultAPIKey, "shared_secret": etsysim.DefaultSharedSecret, "token": etsysim.DefaultToken},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.r.Connectors = etsyConnectors{fakeConnectors{f.cart, f.shelf}, c}
	if run := f.runTask(t, catalog.ImportProducts); run.Status != runs.Succeeded {
		t.Fatalf("import products: %s %+v", run.Status, run.Error)
	}
	return f, sim
}

// noOversell fails when Etsy offers more of a SKU than Autosync has.
func noOversell(t *testing.T, f *fixture, sim *etsysim.Server) {
	t.Helper()
	for sku, offered := range sim.Quantities() {
		if sku == "" {
			continue
		}
		p, _, err := f.inv.Get(context.Background(), "acct", sku)
		if err != nil {
			t.Fatal(err)
		}
		if have := inventory.DefaultPolicy().Target(p); offered > have {
			t.Errorf("Etsy offers %d of %s; Autosync has %d", offered, sku, have)
		}
	}
}

func (f *fixture) channelView(t *testing.T, sku string) inventory.ChannelView {
	t.Helper()
	p, _, err := f.inv.Get(context.Background(), "acct", sku)
	if err != nil {
		t.Fatal(err)
	}
	pols, _ := f.inv.Policies(context.Background(), "acct")
	for _, cv := range inventory.ViewOf(p, pols).Channels {
		if cv.ChannelID == f.ch.ID {
			return cv
		}
	}
	t.Fatalf("%s is not on the channel", sku)
	return inventory.ChannelView{}
}

func listingState(sim *etsysim.Server, sku string) string {
	for _, l := range sim.Listings() {
		for _, s := range l.SKUs {
			if s == sku {
				return l.State
			}
		}
	}
	return ""
}

// zeroMugs sets every mug to 0 in Autosync and runs Write Inventory,
// which must push the three.
func zeroMugs(t *testing.T, f *fixture, mugs []string) runs.Run {
	t.Helper()
	for _, sku := range mugs {
		if _, err := f.inv.SetOnHand(context.Background(), "acct", sku, inventory.DefaultWarehouse, 0); err != nil {
			t.Fatal(err)
		}
	}
	run := f.runTask(t, catalog.WriteInventory)
	if run.Status != runs.Succeeded || run.Counts.Failed != 0 || run.Counts.Pushed != 3 {
		t.Fatalf("write inventory at 0: %s %+v %+v %v", run.Status, run.Counts, run.Error, run.Detail)
	}
	return run
}

// restockMugRed gives MUG-RED 5 in Autosync and runs Write Inventory:
// its listing, made unsellable at 0, is active again with exactly
// Autosync's quantities (5, the other mugs 0), says so, and sells.
func restockMugRed(t *testing.T, f *fixture, sim *etsysim.Server, mugs []string) {
	t.Helper()
	if _, err := f.inv.SetOnHand(context.Background(), "acct", "MUG-RED", inventory.DefaultWarehouse, 5); err != nil {
		t.Fatal(err)
	}
	run := f.runTask(t, catalog.WriteInventory)
	if run.Status != runs.Succeeded || run.Counts.Failed != 0 {
		t.Fatalf("write inventory with stock: %s %+v %+v %v", run.Status, run.Counts, run.Error, run.Detail)
	}
	if got := listingState(sim, "MUG-RED"); got != "active" {
		t.Fatalf("listing %s; want active again", got)
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
		t.Errorf("the listing active again does not sell: %v", err)
	}
}

// TestEtsyListingDeactivatedAtZeroAndBack: when every variation of an
// Etsy listing reaches 0 the write-back run makes the listing inactive
// (Etsy refuses an all-zero inventory) and says so; nothing stays
// suspended and Etsy offers nothing Autosync lacks. When stock returns
// the listing is active again with the right quantities, the variations
// still at 0 written as 0.
func TestEtsyListingDeactivatedAtZeroAndBack(t *testing.T) {
	f, sim := etsyFixture(t, "CAP", "MUG-BLUE", "MUG-RED", "MUG-GREEN")
	mugs := []string{"MUG-BLUE", "MUG-RED", "MUG-GREEN"}
	run := zeroMugs(t, f, mugs)
	if got := listingState(sim, "MUG-BLUE"); got != "inactive" {
		t.Fatalf("listing %s; want inactive", got)
	}
	detail := strings.Join(run.Detail, "\n")
	if !strings.Contains(detail, "deactivated for want of stock: 1; reactivated: 0") || !strings.Contains(detail, "deactivated: every variation reached 0") {
		t.Errorf("detail %q", detail)
	}
	for _, sku := range mugs {
		if cv := f.channelView(t, sku); cv.State != inventory.StateDeactivated || cv.Suspended || cv.NeedsSync {
			t.Errorf("%s: %+v", sku, cv)
		}
	}
	if s := f.needsSync(t, true); len(s) != 0 {
		t.Errorf("suspended: %v", s)
	}
	noOversell(t, f, sim)
	if _, err := sim.PlaceOrder([]cart.Line{{SKU: "MUG-RED", Quantity: 1}}); err == nil {
		t.Error("the deactivated listing sold")
	}

	// Nothing to do while it stays at 0.
	if run = f.runTask(t, catalog.WriteInventory); run.Counts.Pushed != 0 || run.Counts.Failed != 0 {
		t.Errorf("second run %+v %v", run.Counts, run.Detail)
	}

	// Stock returns for one mug.
	restockMugRed(t, f, sim, mugs)
}

// With zero_stock "suspend" the channel keeps the behaviour from before
// the policy: Etsy refuses the last SKU and, the third time, it is
// suspended while the listing sells on.
func TestEtsyZeroStockSuspendPolicy(t *testing.T) {
	f, sim := etsyFixture(t, "CAP")
	ctx := context.Background()
	if err := f.inv.SetPolicy(ctx, "acct", f.ch.ID, inventory.Policy{Warehouses: []string{inventory.DefaultWarehouse}, ZeroStock: inventory.ZeroStockSuspend}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.inv.SetOnHand(ctx, "acct", "CAP", inventory.DefaultWarehouse, 0); err != nil {
		t.Fatal(err)
	}
	for range inventory.SuspendAfter {
		if run := f.runTask(t, catalog.WriteInventory); run.Counts.Failed != 1 {
			t.Fatalf("run %+v %v", run.Counts, run.Detail)
		}
	}
	if got := listingState(sim, "CAP"); got != "active" {
		t.Errorf("listing %s; want active", got)
	}
	if s := f.needsSync(t, true); len(s) != 1 {
		t.Errorf("suspended %v; want CAP", s)
	}
}
