package inventory

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/store/boltstore"
)

func intp(n int) *int { return &n }

func TestTargetAndSyncState(t *testing.T) {
	p := Product{SKU: "A", Stock: map[string]Stock{
		"w1":  {OnHand: 10, Committed: 3},
		"w2":  {OnHand: 2, Committed: 5}, // oversold here: counts as 0, not −3
		"fba": {OnHand: 100},
	}, Channels: map[string]ChannelState{"ch": {LastPushed: intp(7)}}}
	tests := []struct {
		name   string
		pol    Policy
		target int
		needs  bool
	}{
		{"one warehouse", Policy{Warehouses: []string{"w1"}}, 7, false},
		{"never below zero per warehouse", Policy{Warehouses: []string{"w1", "w2"}}, 7, false},
		{"reserve", Policy{Warehouses: []string{"w1"}, Reserve: 2}, 5, true},
		{"reserve beyond stock", Policy{Warehouses: []string{"w1"}, Reserve: 50}, 0, true},
		{"max export", Policy{Warehouses: []string{"w1"}, MaxExport: intp(4)}, 4, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.pol.SyncState(p, "ch")
			if s.Target != tc.target || s.NeedsSync != tc.needs || !s.Linked {
				t.Fatalf("%+v, want target %d needs %v", s, tc.target, tc.needs)
			}
		})
	}
	if s := DefaultPolicy().SyncState(p, "other"); s.Linked || s.NeedsSync {
		t.Fatal("an unlinked channel never needs sync")
	}
	cs := p.Channels["ch"]
	cs.SuspendedAt = intp(5)
	p.Channels["ch"] = cs
	pol := Policy{Warehouses: []string{"w1"}, Reserve: 2}
	if s := pol.SyncState(p, "ch"); !s.Suspended || s.NeedsSync {
		t.Fatalf("suspended at the current target: %+v", s)
	}
	pol.Reserve = 1
	if s := pol.SyncState(p, "ch"); s.Suspended || !s.NeedsSync {
		t.Fatalf("a new target lifts the suspension: %+v", s)
	}
}

func TestImportListingAndCommit(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := &Repo{Store: st, Now: time.Now}
	ctx := context.Background()
	// An order line commits a SKU we have never seen: it is created.
	ops, err := r.CommitOps(ctx, "a", DefaultWarehouse, nil, []cart.Line{{SKU: "NEW", Quantity: 2}, {SKU: "NEW", Quantity: 1}})
	if err != nil || len(ops) != 2 { // the product and its change item
		t.Fatalf("%d ops %v", len(ops), err)
	}
	if err := st.Transact(ctx, ops); err != nil {
		t.Fatal(err)
	}
	// Importing its listing keeps the commitment and takes the cart's quantity as what is left to sell.
	out, err := r.ImportListing(ctx, "a", "ch", cart.Listing{SKU: "NEW", Name: "Mug", Quantity: intp(9), Link: cart.Link{VariantID: "1"}})
	if err != nil || out != Created {
		t.Fatalf("%v %v", out, err)
	}
	p, _, _ := r.Get(ctx, "a", "NEW")
	if s := p.Stock[DefaultWarehouse]; s.OnHand != 12 || s.Committed != 3 || s.Available() != 9 || p.Name != "Mug" {
		t.Fatalf("%+v %q", s, p.Name)
	}
	if DefaultPolicy().SyncState(p, "ch").NeedsSync {
		t.Fatal("a freshly imported product matches the cart")
	}
	// A second channel links it without changing details.
	if out, _ := r.ImportListing(ctx, "a", "ch2", cart.Listing{SKU: "NEW", Name: "Other name", Quantity: intp(4)}); out != Linked {
		t.Fatalf("second channel %v", out)
	}
	if out, _ := r.ImportListing(ctx, "a", "ch2", cart.Listing{SKU: "NEW", Name: "Other name", Quantity: intp(4)}); out != Unchanged {
		t.Fatalf("repeat %v", out)
	}
	p, _, _ = r.Get(ctx, "a", "NEW")
	if p.Name != "Mug" || !DefaultPolicy().SyncState(p, "ch2").NeedsSync {
		t.Fatalf("linked product %+v", p)
	}
	for _, bad := range []string{"", " padded", "tab\tsku", string(make([]byte, 101))} {
		if _, err := r.ImportListing(ctx, "a", "ch", cart.Listing{SKU: bad}); err == nil {
			t.Errorf("SKU %q accepted", bad)
		}
	}
	if _, err := r.SetOnHand(ctx, "a", "NEW", DefaultWarehouse, -1); err == nil {
		t.Fatal("negative on hand accepted")
	}
	if _, err := r.SetOnHand(ctx, "a", "MISSING", DefaultWarehouse, 1); err != ErrNotFound {
		t.Fatalf("missing product: %v", err)
	}
}

func TestPolicyValidation(t *testing.T) {
	st, _ := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	defer st.Close()
	r := &Repo{Store: st, Now: time.Now}
	ctx := context.Background()
	for _, p := range []Policy{
		{},
		{Warehouses: []string{"nope"}},
		{Warehouses: []string{DefaultWarehouse, DefaultWarehouse}},
		{Warehouses: []string{DefaultWarehouse}, Reserve: -1},
		{Warehouses: []string{DefaultWarehouse}, MaxExport: intp(-5)},
		{Warehouses: []string{DefaultWarehouse}, ZeroStock: "delete"},
		{Warehouses: []string{DefaultWarehouse}, ZeroStock: "Deactivate"},
	} {
		if err := r.SetPolicy(ctx, "a", "ch", p); err == nil {
			t.Errorf("policy %+v accepted", p)
		}
	}
	if err := r.SetPolicy(ctx, "a", "ch", Policy{Warehouses: []string{DefaultWarehouse}, Reserve: 3}); err != nil {
		t.Fatal(err)
	}
	pols, _ := r.Policies(ctx, "a")
	if pols.For("ch").Reserve != 3 || pols.For("other").Warehouses[0] != DefaultWarehouse {
		t.Fatalf("%+v", pols)
	}
	if z := pols.For("ch").ZeroStockPolicy(); z != ZeroStockDeactivate {
		t.Errorf("default zero_stock %q", z)
	}
	if err := r.SetPolicy(ctx, "a", "ch", Policy{Warehouses: []string{DefaultWarehouse}, ZeroStock: ZeroStockSuspend}); err != nil {
		t.Fatal(err)
	}
	if p, _ := r.Policy(ctx, "a", "ch"); p.ZeroStockPolicy() != ZeroStockSuspend {
		t.Errorf("zero_stock %q", p.ZeroStock)
	}
	whs, _ := r.Warehouses(ctx, "a")
	if len(whs) != 1 || whs[0].ID != DefaultWarehouse {
		t.Fatalf("%+v", whs)
	}
}

// A write that deactivated the SKU's listing marks it on the channel, and
// the products view says so; the next ordinary write clears the mark.
func TestConfirmPushListingState(t *testing.T) {
	st, _ := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	defer st.Close()
	r := &Repo{Store: st, Now: time.Now}
	ctx := context.Background()
	q := 4
	if _, err := r.ImportListing(ctx, "a", "ch", cart.Listing{SKU: "S", Link: cart.Link{ProductID: "1"}, Quantity: &q}); err != nil {
		t.Fatal(err)
	}
	state := func() (bool, string) {
		p, _, err := r.Get(ctx, "a", "S")
		if err != nil {
			t.Fatal(err)
		}
		return p.Channels["ch"].Deactivated, ViewOf(p, Policies{}).Channels[0].State
	}
	if _, err := r.SetOnHand(ctx, "a", "S", DefaultWarehouse, 0); err != nil {
		t.Fatal(err)
	}
	if _, s := state(); s != StateNeedsSync {
		t.Errorf("state %q before the push", s)
	}
	if err := r.ConfirmPushListing(ctx, "a", "ch", "S", 0, cart.ListingDeactivated); err != nil {
		t.Fatal(err)
	}
	if d, s := state(); !d || s != StateDeactivated {
		t.Errorf("after deactivation: %v %q", d, s)
	}
	if err := r.ConfirmPushListing(ctx, "a", "ch", "S", 3, cart.ListingReactivated); err != nil {
		t.Fatal(err)
	}
	if d, s := state(); d || s != StateNeedsSync {
		t.Errorf("after reactivation: %v %q", d, s)
	}
}
