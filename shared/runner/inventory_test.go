package runner

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
)

// fakeShelf is a cart's catalog: listings to import and stock to write.
type fakeShelf struct {
	mu       sync.Mutex
	listings []cart.Listing
	qty      map[string]int
	fail     map[string]int // SKU → failures left
	retries  map[string]int // SKU → compare-and-swap retries to report
	batches  int
	maxBatch int
	// beforeConfirm runs after a batch is applied, before SetStock returns.
	afterApply func()
	// fbaQty overrides the FBA quantities FBAInventory reports, by SKU,
	// and fbaAt dates their change (zero: long ago).
	fbaQty map[string]int
	fbaAt  map[string]time.Time
	// fbaEmpty: Amazon holds nothing at FBA; fbaGone: not these SKUs.
	fbaEmpty bool
	fbaGone  map[string]bool
	fbaExtra []cart.FBAStock // listed after the three
	// fbaSince records the since of each FBA inventory request; fbaHook,
	// when set, runs before each (call counts from 1).
	fbaSince []time.Time
	fbaCalls int
	fbaHook  func(ctx context.Context, call int) error
}

func newShelf() *fakeShelf {
	return &fakeShelf{qty: map[string]int{}, fail: map[string]int{}, maxBatch: 4}
}

func (s *fakeShelf) add(sku string, qty int, images ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := qty
	s.listings = append(s.listings, cart.Listing{SKU: sku, Name: "Product " + sku, Price: "9.99", Images: images,
		Link: cart.Link{ProductID: "p" + sku, VariantID: "v" + sku}, Quantity: &q, UpdatedAt: time.Now()})
	s.qty[sku] = qty
}

func (s *fakeShelf) Listings(_ context.Context, q cart.ListingQuery) (cart.ListingPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start, _ := strconv.Atoi(q.Cursor)
	end := min(start+3, len(s.listings))
	p := cart.ListingPage{Listings: append([]cart.Listing(nil), s.listings[start:end]...)}
	if end < len(s.listings) {
		p.Next = strconv.Itoa(end)
	}
	return p, nil
}

func (s *fakeShelf) MaxBatch() int { return s.maxBatch }

func (s *fakeShelf) SetStock(_ context.Context, ups []cart.StockUpdate) ([]cart.StockResult, error) {
	s.mu.Lock()
	s.batches++
	out := make([]cart.StockResult, len(ups))
	for i, u := range ups {
		out[i].SKU = u.SKU
		if s.fail[u.SKU] > 0 {
			s.fail[u.SKU]--
			out[i].Err = &cart.Error{Status: 422, Message: "variant is tracked by product"}
			continue
		}
		s.qty[u.SKU] = u.Quantity
		out[i].Retries = s.retries[u.SKU]
	}
	hook := s.afterApply
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return out, nil
}

func (s *fakeShelf) quantity(sku string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.qty[sku] }

func (f *fixture) runTask(t *testing.T, task catalog.Task) runs.Run {
	t.Helper()
	return f.runTaskAs(t, task, runs.Manual)
}

func (f *fixture) runTaskAs(t *testing.T, task catalog.Task, trig runs.Trigger) runs.Run {
	t.Helper()
	f.clk.Add(time.Second)
	run, err := f.r.Handle(context.Background(), runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: task, Trigger: trig})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func (f *fixture) needsSync(t *testing.T, suspended bool) []string {
	t.Helper()
	pols, _ := f.inv.Policies(context.Background(), "acct")
	list, _, err := f.inv.List(context.Background(), "acct", inventory.ListFilter{NeedsSync: !suspended, SyncSuspended: suspended, Limit: 1000}, pols)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range list {
		out = append(out, p.SKU)
	}
	sort.Strings(out)
	return out
}

func TestInventoryLifecycle(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		f.shelf.add(fmt.Sprintf("SKU-%02d", i), 20, "https://img.example/"+strconv.Itoa(i)+".jpg")
	}
	// A product we already have keeps its details but gains the link.
	if _, err := f.inv.Update(ctx, "acct", "SKU-00", true, func(p *inventory.Product) error { p.Name = "Ours"; return nil }); err != nil {
		t.Fatal(err)
	}
	run := f.runTask(t, catalog.ImportProducts)
	if run.Status != runs.Succeeded || run.Counts.Created != 9 || run.Counts.Updated != 1 {
		t.Fatalf("import products %+v", run)
	}
	p, _, _ := f.inv.Get(ctx, "acct", "SKU-00")
	if p.Name != "Ours" || p.Channels[f.ch.ID].Link.VariantID != "vSKU-00" {
		t.Fatalf("existing product %+v", p)
	}
	p, _, _ = f.inv.Get(ctx, "acct", "SKU-01")
	if p.Name != "Product SKU-01" || p.Stock[inventory.DefaultWarehouse].OnHand != 20 {
		t.Fatalf("new product %+v", p)
	}
	// SKU-00 had no stock of ours: the cart shows 20, we say 0.
	if got := f.needsSync(t, false); len(got) != 1 || got[0] != "SKU-00" {
		t.Fatalf("needs sync after import: %v", got)
	}
	// An order commits stock; a stock change flags the product.
	f.cart.add(cart.Order{ExternalID: "o1", Filter: cart.AwaitingFulfillment, UpdatedAt: f.clk.Now().Add(-time.Second),
		Lines: []cart.Line{{SKU: "SKU-01", Quantity: 3}, {SKU: "SKU-02", Quantity: 1}}})
	if run := f.runTask(t, catalog.ImportOrders); run.Counts.Created != 1 {
		t.Fatalf("import orders %+v", run)
	}
	p, _, _ = f.inv.Get(ctx, "acct", "SKU-01")
	if s := p.Stock[inventory.DefaultWarehouse]; s.Committed != 3 || s.Available() != 17 {
		t.Fatalf("committed %+v", s)
	}
	if _, err := f.inv.SetOnHand(ctx, "acct", "SKU-03", inventory.DefaultWarehouse, 7); err != nil {
		t.Fatal(err)
	}
	want := []string{"SKU-00", "SKU-01", "SKU-02", "SKU-03"}
	if got := f.needsSync(t, false); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("needs sync %v, want %v", got, want)
	}
	// A reserve applies to every pushed quantity.
	if err := f.inv.SetPolicy(ctx, "acct", f.ch.ID, inventory.Policy{Warehouses: []string{inventory.DefaultWarehouse}, Reserve: 2}); err != nil {
		t.Fatal(err)
	}
	f.shelf.fail["SKU-03"] = 3
	run = f.runTask(t, catalog.WriteInventory)
	if run.Status != runs.Partial || run.Counts.Failed != 1 || run.Error == nil || len(run.Detail) != 1 {
		t.Fatalf("write-back %+v", run)
	}
	if q := f.shelf.quantity("SKU-01"); q != 15 { // 20 − 3 committed − 2 reserve
		t.Fatalf("SKU-01 in cart %d, want 15", q)
	}
	if q := f.shelf.quantity("SKU-00"); q != 0 {
		t.Fatalf("SKU-00 in cart %d, want 0", q)
	}
	// All SKUs needed pushing because of the reserve: 10 pushed, 1 failed.
	if run.Counts.Pushed != 9 || f.shelf.batches != 3 { // ceil(10/4) batches
		t.Fatalf("pushed %d in %d batches", run.Counts.Pushed, f.shelf.batches)
	}
	if got := f.needsSync(t, false); fmt.Sprint(got) != "[SKU-03]" {
		t.Fatalf("needs sync after push %v", got)
	}
	f.runTask(t, catalog.WriteInventory)
	f.runTask(t, catalog.WriteInventory)
	if got := f.needsSync(t, true); fmt.Sprint(got) != "[SKU-03]" {
		t.Fatalf("suspended after 3 failures: %v", got)
	}
	if got := f.needsSync(t, false); len(got) != 0 {
		t.Fatalf("a suspended SKU must leave Needs Sync: %v", got)
	}
	// A new quantity brings it back.
	if _, err := f.inv.SetOnHand(ctx, "acct", "SKU-03", inventory.DefaultWarehouse, 9); err != nil {
		t.Fatal(err)
	}
	if got := f.needsSync(t, false); fmt.Sprint(got) != "[SKU-03]" {
		t.Fatalf("after a change: %v", got)
	}
	if run := f.runTask(t, catalog.WriteInventory); run.Status != runs.Succeeded || f.shelf.quantity("SKU-03") != 7 {
		t.Fatalf("after recovery %+v, cart %d", run, f.shelf.quantity("SKU-03"))
	}
}

// A change that lands between the push and its confirmation stays in Needs Sync.
func TestChangeDuringPushStaysFlagged(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	f.shelf.add("A", 5)
	f.runTask(t, catalog.ImportProducts)
	if _, err := f.inv.SetOnHand(ctx, "acct", "A", inventory.DefaultWarehouse, 8); err != nil {
		t.Fatal(err)
	}
	f.shelf.afterApply = func() {
		f.shelf.afterApply = nil
		if _, err := f.inv.SetOnHand(ctx, "acct", "A", inventory.DefaultWarehouse, 6); err != nil {
			t.Error(err)
		}
	}
	f.runTask(t, catalog.WriteInventory)
	if q := f.shelf.quantity("A"); q != 8 {
		t.Fatalf("cart got %d", q)
	}
	if got := f.needsSync(t, false); fmt.Sprint(got) != "[A]" {
		t.Fatalf("changed-during-push product left Needs Sync: %v", got)
	}
	f.runTask(t, catalog.WriteInventory)
	if q := f.shelf.quantity("A"); q != 6 || len(f.needsSync(t, false)) != 0 {
		t.Fatalf("second push: cart %d", q)
	}
}

func TestOrderLifecycleCommitsAndReleases(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	at := f.clk.Now()
	f.cart.add(cart.Order{ExternalID: "o1", Filter: cart.AwaitingFulfillment, UpdatedAt: at.Add(-3 * time.Second), Lines: []cart.Line{{SKU: "X", Quantity: 2}}})
	f.cart.add(cart.Order{ExternalID: "o2", Filter: cart.AwaitingFulfillment, UpdatedAt: at.Add(-3 * time.Second), Lines: []cart.Line{{SKU: "X", Quantity: 5}}})
	f.runTask(t, catalog.ImportOrders)
	committed := func() int {
		p, _, err := f.inv.Get(ctx, "acct", "X")
		if err != nil {
			t.Fatal(err)
		}
		return p.Stock[inventory.DefaultWarehouse].Committed
	}
	if c := committed(); c != 7 {
		t.Fatalf("committed %d, want 7", c)
	}
	f.runTask(t, catalog.ImportOrders) // re-import commits nothing twice
	if c := committed(); c != 7 {
		t.Fatalf("re-import: committed %d", c)
	}
	f.clk.Add(time.Minute)
	f.cart.add(cart.Order{ExternalID: "o1", Filter: cart.Shipped, UpdatedAt: f.clk.Now().Add(-2 * time.Second), Lines: []cart.Line{{SKU: "X", Quantity: 2}}})
	f.cart.add(cart.Order{ExternalID: "o2", Filter: cart.Cancelled, UpdatedAt: f.clk.Now().Add(-2 * time.Second), Lines: []cart.Line{{SKU: "X", Quantity: 5}}})
	f.runTask(t, catalog.ImportOrders)
	if c := committed(); c != 0 {
		t.Fatalf("after ship and cancel: committed %d", c)
	}
}
