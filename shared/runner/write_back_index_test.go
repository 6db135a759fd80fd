package runner

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/store"
)

// productReads counts what write-back reads of the catalog: queries of the
// product items and reads of one product.
type productReads struct {
	store.Store
	mu      sync.Mutex
	queries int
	gets    int
}

func (s *productReads) Query(ctx context.Context, q store.Query) (store.Page, error) {
	if q.Prefix == "PROD#" {
		s.mu.Lock()
		s.queries++
		s.mu.Unlock()
	}
	return s.Store.Query(ctx, q)
}

func (s *productReads) Get(ctx context.Context, pk, sk string) (store.Item, error) {
	if strings.HasPrefix(sk, "PROD#") {
		s.mu.Lock()
		s.gets++
		s.mu.Unlock()
	}
	return s.Store.Get(ctx, pk, sk)
}

// take returns the counts since the last call.
func (s *productReads) take() (queries, gets int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	queries, gets = s.queries, s.gets
	s.queries, s.gets = 0, 0
	return queries, gets
}

// indexFixture is a channel with skus imported at quantity 5 and, the
// change log's margin later, one write-back run done (which reads the
// whole catalog, having no watermark). A run reads the changes logged
// since the previous run started, less the margin.
func indexFixture(t *testing.T, skus ...string) (*fixture, *productReads) {
	t.Helper()
	f := newFixture(t, 0)
	reads := &productReads{Store: f.inv.Store}
	f.inv.Store = reads
	for _, sku := range skus {
		f.shelf.add(sku, 5)
	}
	f.runTask(t, catalog.ImportProducts)
	f.clk.Add(inventory.ChangeMargin)
	reads.take()
	if run := f.runTask(t, catalog.WriteInventory); run.Status != runs.Succeeded || run.Counts.Pushed != 0 {
		t.Fatalf("first write-back %+v", run)
	}
	if q, _ := reads.take(); q == 0 {
		t.Fatal("the first write-back did not read the catalog")
	}
	return f, reads
}

func (f *fixture) setOnHand(t *testing.T, sku string, q int) {
	t.Helper()
	if _, err := f.inv.SetOnHand(context.Background(), "acct", sku, inventory.DefaultWarehouse, q); err != nil {
		t.Fatal(err)
	}
}

// A write-back run reads only what changed: nothing when nothing did, the
// changed SKUs otherwise, never the catalog.
func TestWriteBackReadsOnlyChanges(t *testing.T) {
	f, reads := indexFixture(t, "A", "B", "C", "D", "E", "F")
	run := f.runTask(t, catalog.WriteInventory)
	if q, g := reads.take(); run.Counts.Pushed != 0 || q != 0 || g != 0 {
		t.Fatalf("idle run: pushed %d, %d catalog queries, %d product reads; want none", run.Counts.Pushed, q, g)
	}
	f.setOnHand(t, "B", 8)
	f.setOnHand(t, "E", 2)
	reads.take()
	run = f.runTask(t, catalog.WriteInventory)
	// Each changed product is read, and read again by its confirmation.
	if q, g := reads.take(); run.Counts.Pushed != 2 || q != 0 || g != 4 {
		t.Fatalf("two changes: pushed %d, %d catalog queries, %d product reads; want 2, 0, 4", run.Counts.Pushed, q, g)
	}
	if b, e := f.shelf.quantity("B"), f.shelf.quantity("E"); b != 8 || e != 2 {
		t.Fatalf("cart B=%d E=%d", b, e)
	}
	// Changes within the margin before the previous run's start are read
	// again, and not pushed again; past it, nothing is read.
	f.clk.Add(inventory.ChangeMargin)
	run = f.runTask(t, catalog.WriteInventory)
	if q, g := reads.take(); run.Counts.Pushed != 0 || q != 0 || g != 2 {
		t.Fatalf("run after: pushed %d, %d catalog queries, %d product reads; want 0, 0, 2", run.Counts.Pushed, q, g)
	}
	run = f.runTask(t, catalog.WriteInventory)
	if q, g := reads.take(); run.Counts.Pushed != 0 || q != 0 || g != 0 {
		t.Fatalf("past the margin: pushed %d, %d catalog queries, %d product reads", run.Counts.Pushed, q, g)
	}
	if len(f.needsSync(t, false)) != 0 {
		t.Fatalf("left in Needs Sync: %v", f.needsSync(t, false))
	}
}

// A stock change that lands during a run, between its read of a product
// and the confirmation of its push, is pushed by the next run: the
// product's own (A) and one the run never read (B).
func TestWriteBackChangeDuringRunPushedNext(t *testing.T) {
	f, reads := indexFixture(t, "A", "B", "C")
	f.setOnHand(t, "A", 8)
	f.shelf.afterApply = func() {
		f.shelf.afterApply = nil
		f.clk.Add(time.Second)
		f.setOnHand(t, "A", 6)
		f.setOnHand(t, "B", 3)
	}
	run := f.runTask(t, catalog.WriteInventory)
	if a, b := f.shelf.quantity("A"), f.shelf.quantity("B"); run.Counts.Pushed != 1 || a != 8 || b != 5 {
		t.Fatalf("run: pushed %d, cart A=%d B=%d; want A alone at 8", run.Counts.Pushed, a, b)
	}
	if q, _ := reads.take(); q != 0 {
		t.Fatalf("%d catalog queries; the run read the change log", q)
	}
	if got := f.needsSync(t, false); strings.Join(got, ",") != "A,B" {
		t.Fatalf("Needs Sync %v, want A and B", got)
	}
	reads.take()
	f.clk.Add(inventory.ChangeMargin) // the changes are older than the margin, not than the run's start
	run = f.runTask(t, catalog.WriteInventory)
	if a, b := f.shelf.quantity("A"), f.shelf.quantity("B"); run.Counts.Pushed != 2 || a != 6 || b != 3 {
		t.Fatalf("next run: pushed %d, cart A=%d B=%d; want A=6 B=3", run.Counts.Pushed, a, b)
	}
	if q, _ := reads.take(); q != 0 {
		t.Fatalf("%d catalog queries; the runs read the change log", q)
	}
}

// A changed policy moves every target: the next run reads the catalog and
// pushes every SKU, then goes back to the change log.
func TestWriteBackPolicyChangePushesEverySKU(t *testing.T) {
	f, reads := indexFixture(t, "A", "B", "C")
	ctx := context.Background()
	cap3 := 3
	for _, tc := range []struct {
		name string
		pol  inventory.Policy
		want int
	}{
		{"reserve", inventory.Policy{Warehouses: []string{inventory.DefaultWarehouse}, Reserve: 1}, 4},
		{"max export", inventory.Policy{Warehouses: []string{inventory.DefaultWarehouse}, Reserve: 1, MaxExport: &cap3}, 3},
		{"back to the default", inventory.DefaultPolicy(), 5},
	} {
		if err := f.inv.SetPolicy(ctx, "acct", f.ch.ID, tc.pol); err != nil {
			t.Fatal(err)
		}
		run := f.runTask(t, catalog.WriteInventory)
		q, _ := reads.take()
		if run.Status != runs.Succeeded || run.Counts.Pushed != 3 || q == 0 {
			t.Fatalf("%s: %s, pushed %d, %d catalog queries; want all 3 pushed from a catalog read", tc.name, run.Status, run.Counts.Pushed, q)
		}
		for _, sku := range []string{"A", "B", "C"} {
			if got := f.shelf.quantity(sku); got != tc.want {
				t.Fatalf("%s: cart %s=%d, want %d", tc.name, sku, got, tc.want)
			}
		}
		f.clk.Add(inventory.ChangeMargin)
		run = f.runTask(t, catalog.WriteInventory)
		if q, _ := reads.take(); run.Counts.Pushed != 0 || q != 0 {
			t.Fatalf("%s: the run after pushed %d with %d catalog queries", tc.name, run.Counts.Pushed, q)
		}
	}
}

// A product newly linked to the channel with a quantity unlike ours is
// pushed, and a failed push is tried again by the next run.
func TestWriteBackNewLinkAndRetry(t *testing.T) {
	f, reads := indexFixture(t, "A")
	ctx := context.Background()
	// D exists with details of its own (so importing its listing only
	// links it), and an order committed one.
	if _, err := f.inv.Update(ctx, "acct", "D", true, func(p *inventory.Product) error {
		p.Name, p.Stock[inventory.DefaultWarehouse] = "Dee", inventory.Stock{OnHand: 9}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ops, err := f.inv.CommitOps(ctx, "acct", inventory.DefaultWarehouse, nil, []cart.Line{{SKU: "D", Quantity: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.inv.Store.Transact(ctx, ops); err != nil {
		t.Fatal(err)
	}
	// D's stock changes fall behind the watermark; its link does not.
	for range 2 {
		f.clk.Add(inventory.ChangeMargin)
		f.runTask(t, catalog.WriteInventory)
	}
	f.shelf.add("D", 2)
	f.shelf.fail["D"] = 1
	f.runTask(t, catalog.ImportProducts)
	run := f.runTask(t, catalog.WriteInventory)
	if run.Counts.Failed != 1 || f.shelf.quantity("D") != 2 {
		t.Fatalf("first push of D: %+v, cart %d", run.Counts, f.shelf.quantity("D"))
	}
	f.clk.Add(inventory.ChangeMargin)
	run = f.runTask(t, catalog.WriteInventory)
	if run.Counts.Pushed != 1 || f.shelf.quantity("D") != 8 {
		t.Fatalf("retry of D: %+v, cart %d; want 8 (9 on hand, 1 committed)", run.Counts, f.shelf.quantity("D"))
	}
	if q, _ := reads.take(); q != 0 {
		t.Fatalf("%d catalog queries", q)
	}
}

// A change the log does not name (written around the inventory package, as
// a bug might) is still pushed by the daily run that reads the catalog.
func TestWriteBackDailyReadOfTheCatalog(t *testing.T) {
	f, reads := indexFixture(t, "A", "B")
	ctx := context.Background()
	it, err := f.inv.Store.Get(ctx, store.AccountPK("acct"), "PROD#B")
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.Decode[inventory.Product](it)
	if err != nil {
		t.Fatal(err)
	}
	p.Stock[inventory.DefaultWarehouse] = inventory.Stock{OnHand: 7}
	nit, err := store.NewDoc(it.PK, it.SK, p, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.inv.Store.Put(ctx, nit, store.AtVersion(it.Version)); err != nil {
		t.Fatal(err)
	}
	if run := f.runTask(t, catalog.WriteInventory); run.Counts.Pushed != 0 {
		t.Fatalf("an unlogged change pushed from the log: %+v", run.Counts)
	}
	f.clk.Add(fullWriteBackEvery)
	reads.take()
	run := f.runTask(t, catalog.WriteInventory)
	if q, _ := reads.take(); run.Counts.Pushed != 1 || f.shelf.quantity("B") != 7 || q == 0 {
		t.Fatalf("daily run: pushed %d, cart B=%d, %d catalog queries", run.Counts.Pushed, f.shelf.quantity("B"), q)
	}
}

// The SKUs of a listing Autosync deactivated are remembered with the
// channel's watermark: when stock returns for one of them long after, a
// run that reads only that SKU's change still writes the whole listing.
func TestWriteBackParkedListingFromTheLog(t *testing.T) {
	f, sim := etsyFixture(t, "CAP", "MUG-BLUE", "MUG-RED", "MUG-GREEN")
	reads := &productReads{Store: f.inv.Store}
	f.inv.Store = reads
	mugs := []string{"MUG-BLUE", "MUG-RED", "MUG-GREEN"}
	f.runTask(t, catalog.WriteInventory) // the first run reads the catalog
	for _, sku := range mugs {
		f.setOnHand(t, sku, 0)
	}
	f.clk.Add(inventory.ChangeMargin)
	if run := f.runTask(t, catalog.WriteInventory); run.Counts.Pushed != 3 || listingState(sim, "MUG-BLUE") != "inactive" {
		t.Fatalf("deactivating run %+v %v, listing %s", run.Counts, run.Detail, listingState(sim, "MUG-BLUE"))
	}
	// Two runs later the mugs' changes are behind the watermark.
	for range 2 {
		f.clk.Add(inventory.ChangeMargin)
		f.runTask(t, catalog.WriteInventory)
	}
	f.setOnHand(t, "MUG-RED", 5)
	reads.take()
	run := f.runTask(t, catalog.WriteInventory)
	if q, _ := reads.take(); run.Status != runs.Succeeded || q != 0 {
		t.Fatalf("run %s %+v, %d catalog queries", run.Status, run.Counts, q)
	}
	if got := listingState(sim, "MUG-RED"); got != "active" {
		t.Fatalf("listing %s; want active", got)
	}
	if q := sim.Quantities(); q["MUG-RED"] != 5 || q["MUG-BLUE"] != 0 || q["MUG-GREEN"] != 0 {
		t.Errorf("Etsy offers %v; want MUG-RED 5, the other mugs 0", q)
	}
	for _, sku := range mugs {
		if cv := f.channelView(t, sku); cv.State != inventory.StateInSync {
			t.Errorf("%s: %+v", sku, cv)
		}
	}
	noOversell(t, f, sim)
}

// A run that finds nothing logged writes no checkpoint; the next one still
// finds what changed after it.
func TestWriteBackIdleRunWritesNoCheckpoint(t *testing.T) {
	f, _ := indexFixture(t, "A", "B")
	before := f.idleRunsKeepCheckpoint(t, catalog.WriteInventory, func(r runs.Run) bool { return r.Counts.Pushed == 0 })
	f.setOnHand(t, "B", 9)
	if run := f.runTask(t, catalog.WriteInventory); run.Counts.Pushed != 1 || f.shelf.quantity("B") != 9 {
		t.Fatalf("run after the idle ones: %+v, cart B=%d", run.Counts, f.shelf.quantity("B"))
	}
	if after := f.checkpointVersion(t, catalog.WriteInventory); after == before {
		t.Fatal("a run that pushed kept the old watermark")
	}
}

// An import pass that finds nothing leaves its checkpoint as it was, for a
// day at most; an order that arrives later is imported all the same.
func TestEmptyImportWritesNoCheckpoint(t *testing.T) {
	f := newFixture(t, 0)
	f.runTask(t, catalog.ImportOrders) // the first pass sets the watermark
	cpVersion := func() int64 { return f.checkpointVersion(t, catalog.ImportOrders) }
	before := f.idleRunsKeepCheckpoint(t, catalog.ImportOrders, func(r runs.Run) bool { return r.Counts.Fetched == 0 })
	f.cart.add(order(1, f.clk.Now().Add(-2*time.Hour), cart.AwaitingFulfillment))
	if run := f.runTask(t, catalog.ImportOrders); run.Counts.Created != 1 {
		t.Fatalf("an order updated during the empty passes: %+v", run.Counts)
	}
	if after := cpVersion(); after == before {
		t.Fatal("a pass that imported kept the old watermark")
	}
	before = cpVersion()
	f.clk.Add(keepWatermarkFor)
	f.runTask(t, catalog.ImportOrders)
	if after := cpVersion(); after == before {
		t.Fatal("a day of empty passes and the watermark has not moved")
	}
}

// A writer whose clock lags the reader's (or whose transaction commits
// late) stamps its change before the previous run started; within
// ChangeMargin the next run still reads it.
func TestWriteBackToleratesLaggingWriterClock(t *testing.T) {
	f, _ := indexFixture(t, "A", "B")
	f.clk.Add(time.Hour)
	f.setOnHand(t, "B", 4)
	// The watermark is this run's start (it pushed B, so it moved on).
	if run := f.runTask(t, catalog.WriteInventory); run.Counts.Pushed != 1 {
		t.Fatalf("run %+v", run.Counts)
	}
	lagging := &inventory.Repo{Store: f.inv.Store, Now: func() time.Time {
		return f.clk.Now().Add(-inventory.ChangeMargin + 10*time.Second)
	}}
	if _, err := lagging.SetOnHand(context.Background(), "acct", "A", inventory.DefaultWarehouse, 2); err != nil {
		t.Fatal(err)
	}
	run := f.runTask(t, catalog.WriteInventory)
	if run.Counts.Pushed != 1 || f.shelf.quantity("A") != 2 {
		t.Fatalf("change stamped before the watermark: %+v, cart A=%d", run.Counts, f.shelf.quantity("A"))
	}
}

// checkpointVersion is the store version of the task's checkpoint item:
// it moves with every write of it.
func (f *fixture) checkpointVersion(t *testing.T, task catalog.Task) int64 {
	t.Helper()
	it, err := f.inv.Store.Get(context.Background(), store.AccountPK("acct"), "CP#"+f.ch.ID+"#"+string(task))
	if err != nil {
		t.Fatal(err)
	}
	return it.Version
}

// idleRunsKeepCheckpoint runs task three times an hour apart, each one
// succeeding with nothing to do (idle says so), and fails if any of them
// wrote the checkpoint. It returns the checkpoint's version.
func (f *fixture) idleRunsKeepCheckpoint(t *testing.T, task catalog.Task, idle func(runs.Run) bool) int64 {
	t.Helper()
	before := f.checkpointVersion(t, task)
	for range 3 {
		f.clk.Add(time.Hour)
		if run := f.runTask(t, task); run.Status != runs.Succeeded || !idle(run) {
			t.Fatalf("idle %s run %+v", task, run)
		}
	}
	if after := f.checkpointVersion(t, task); after != before {
		t.Fatalf("idle %s runs wrote the checkpoint (version %d → %d)", task, before, after)
	}
	return before
}
