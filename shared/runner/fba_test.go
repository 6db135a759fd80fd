package runner

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runs"
)

// fbaStock is what the fake holds at FBA: A, FBA-ONLY and B, two a page,
// at the quantities fbaQty overrides, each changed at fbaAt (zero: long
// ago), or nothing once fbaEmpty. Like Amazon's, a listing with a since holds only what changed
// since then, and a cursor keeps the since its listing began with.
func (s *fakeShelf) FBAInventory(ctx context.Context, since time.Time, cursor string) (cart.FBAStockPage, error) {
	s.mu.Lock()
	s.fbaCalls++
	call, hook := s.fbaCalls, s.fbaHook
	s.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, call); err != nil {
			return cart.FBAStockPage{}, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	off := 0
	if cursor != "" {
		at, n, _ := strings.Cut(cursor, "|")
		since = time.Time{}
		if at != "" {
			var err error
			if since, err = time.Parse(time.RFC3339Nano, at); err != nil {
				return cart.FBAStockPage{}, err
			}
		}
		off, _ = strconv.Atoi(n)
	}
	s.fbaSince = append(s.fbaSince, since)
	var match []cart.FBAStock
	for _, it := range append([]cart.FBAStock{{SKU: "A", Fulfillable: 40}, {SKU: "FBA-ONLY", Fulfillable: 7}, {SKU: "B", Fulfillable: 0}}, s.fbaExtra...) {
		if q, ok := s.fbaQty[it.SKU]; ok {
			it.Fulfillable = q
		}
		if !s.fbaEmpty && !s.fbaGone[it.SKU] && (since.IsZero() || !s.fbaAt[it.SKU].Before(since)) {
			match = append(match, it)
		}
	}
	page := cart.FBAStockPage{Items: match[min(off, len(match)):min(off+2, len(match))]}
	if off+2 < len(match) {
		at := ""
		if !since.IsZero() {
			at = since.Format(time.RFC3339Nano)
		}
		page.Next = at + "|" + strconv.Itoa(off+2)
	}
	return page, nil
}

// setFBA changes sku's quantity at FBA, dated at.
func (s *fakeShelf) setFBA(sku string, q int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fbaQty == nil {
		s.fbaQty, s.fbaAt = map[string]int{}, map[string]time.Time{}
	}
	s.fbaQty[sku], s.fbaAt[sku] = q, at
}

// fbaAsked returns the since of each FBA inventory request since the last
// call, and forgets them.
func (s *fakeShelf) fbaAsked() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.fbaSince
	s.fbaSince = nil
	return out
}

func (s *fakeShelf) FBAOrders(_ context.Context, q cart.OrderQuery) (cart.OrderPage, error) {
	at := q.UpdatedTo.Add(-time.Hour)
	return cart.OrderPage{Orders: []cart.Order{
		{ExternalID: "111-FBA", Filter: cart.Shipped, UpdatedAt: at, Lines: []cart.Line{{SKU: "A", Quantity: 2}}},
	}}, nil
}

// useAmazon makes the fixture's channel an Amazon one running tasks.
func (f *fixture) useAmazon(t testing.TB, tasks ...catalog.Task) {
	t.Helper()
	ch, err := f.r.Channels.Create(context.Background(), "acct", channels.Channel{Type: catalog.Amazon, Name: "Amazon"}, cart.Credentials{"refresh_token": "x"})
	if err != nil {
		t.Fatal(err)
	}
	f.ch = ch
	run := map[catalog.Task]bool{}
	for _, task := range tasks {
		run[task] = true
	}
	f.r.Implemented = map[catalog.Cart]map[catalog.Task]bool{catalog.Amazon: run}
}

func TestFBA(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	f.useAmazon(t, catalog.ImportProducts, catalog.ImportFBAInventory, catalog.ImportFBAOrders, catalog.WriteInventory)
	f.shelf.add("A", 5)
	f.runTask(t, catalog.ImportProducts)
	run := f.runTask(t, catalog.ImportFBAInventory)
	if run.Status != runs.Succeeded || run.Counts.Fetched != 3 {
		t.Fatalf("fba inventory %+v", run)
	}
	wh := FBAWarehouse(f.ch.ID)
	whs, _ := f.inv.Warehouses(ctx, "acct")
	if len(whs) != 2 || whs[1].ID != wh || whs[1].Kind != inventory.KindFBA {
		t.Fatalf("warehouses %+v", whs)
	}
	p, _, _ := f.inv.Get(ctx, "acct", "A")
	if p.Stock[wh].OnHand != 40 || p.Stock[inventory.DefaultWarehouse].OnHand != 5 {
		t.Fatalf("stock %+v", p.Stock)
	}
	// FBA stock never reaches a cart: A still matches what was pushed.
	if got := f.needsSync(t, false); len(got) != 0 {
		t.Fatalf("FBA stock put %v in Needs Sync", got)
	}
	if err := f.inv.SetPolicy(ctx, "acct", f.ch.ID, inventory.Policy{Warehouses: []string{inventory.DefaultWarehouse, wh}}); err == nil {
		t.Fatal("a policy may not feed a channel from the FBA warehouse")
	}

	run = f.runTask(t, catalog.ImportFBAOrders)
	if run.Status != runs.Succeeded || run.Counts.Created != 1 {
		t.Fatalf("fba orders %+v", run)
	}
	list, _, _ := f.r.Orders.List(ctx, "acct", orders.Filter{Filter: cart.Shipped, Tag: "FBA"})
	if len(list) != 1 || list[0].ExternalID != "111-FBA" {
		t.Fatalf("FBA orders %+v", list)
	}
	p, _, _ = f.inv.Get(ctx, "acct", "A")
	if p.Stock[inventory.DefaultWarehouse].Committed != 0 || p.Stock[wh].Committed != 0 {
		t.Fatalf("an FBA order committed stock: %+v", p.Stock)
	}
}

// A pass over everything that finds Amazon's quantities as stored reads
// the catalog once and no product on its own, and writes none; a changed
// quantity is read and written.
func TestFBAUnchangedQuantitiesCostNoReads(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	reads := &productReads{Store: f.inv.Store}
	f.inv.Store = reads
	f.useAmazon(t, catalog.ImportProducts, catalog.ImportFBAInventory)
	f.shelf.add("A", 5)
	f.runTask(t, catalog.ImportProducts)
	if run := f.runTask(t, catalog.ImportFBAInventory); run.Status != runs.Succeeded || run.Counts.Created != 2 || run.Counts.Updated != 1 {
		t.Fatalf("first run %+v", run.Counts)
	}
	reads.take()
	f.clk.Add(fbaFullEvery)
	run := f.runTask(t, catalog.ImportFBAInventory)
	if q, g := reads.take(); run.Status != runs.Succeeded || run.Counts.Unchanged != 3 || run.Counts.Updated != 0 || g != 0 || q == 0 {
		t.Fatalf("unchanged run %+v: %d catalog queries, %d product reads; want 3 unchanged from the catalog alone", run.Counts, q, g)
	}
	f.clk.Add(fbaFullEvery)
	f.shelf.fbaQty = map[string]int{"A": 35, "B": -2}
	run = f.runTask(t, catalog.ImportFBAInventory)
	if _, g := reads.take(); run.Counts.Updated != 1 || run.Counts.Unchanged != 2 || g != 1 {
		t.Fatalf("changed run %+v, %d product reads; want A alone read and updated (B's -2 is 0, as stored)", run.Counts, g)
	}
	if p, _, _ := f.inv.Get(ctx, "acct", "A"); p.Stock[FBAWarehouse(f.ch.ID)].OnHand != 35 {
		t.Fatalf("A's FBA stock %+v", p.Stock)
	}
}
