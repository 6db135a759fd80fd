package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/store"
)

// countingStore counts the product items written and read through it, and
// every item written by the kind its sort key starts with (CP, LEASE, RUN...).
type countingStore struct {
	store.Store
	mu                    sync.Mutex
	prodWrites, prodReads int
	kinds                 map[string]int
}

func (s *countingStore) wrote(sk string) {
	if s.kinds == nil {
		s.kinds = map[string]int{}
	}
	kind, _, _ := strings.Cut(sk, "#")
	s.kinds[kind]++
}

func isProd(sk string) bool { return strings.HasPrefix(sk, "PROD#") }

func (s *countingStore) Get(ctx context.Context, pk, sk string) (store.Item, error) {
	if isProd(sk) {
		s.mu.Lock()
		s.prodReads++
		s.mu.Unlock()
	}
	return s.Store.Get(ctx, pk, sk)
}

func (s *countingStore) Put(ctx context.Context, it store.Item, c store.Cond) (store.Item, error) {
	s.mu.Lock()
	s.wrote(it.SK)
	if isProd(it.SK) {
		s.prodWrites++
	}
	s.mu.Unlock()
	return s.Store.Put(ctx, it, c)
}

func (s *countingStore) Transact(ctx context.Context, ops []store.Op) error {
	s.mu.Lock()
	for _, op := range ops {
		if op.Kind != store.OpCheck {
			s.wrote(op.Item.SK)
		}
		if op.Kind != store.OpCheck && isProd(op.Item.SK) {
			s.prodWrites++
		}
	}
	s.mu.Unlock()
	return s.Store.Transact(ctx, ops)
}

func (s *countingStore) Query(ctx context.Context, q store.Query) (store.Page, error) {
	p, err := s.Store.Query(ctx, q)
	s.mu.Lock()
	for _, it := range p.Items {
		if isProd(it.SK) {
			s.prodReads++
		}
	}
	s.mu.Unlock()
	return p, err
}

func (s *countingStore) reset() (writes, reads int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writes, reads = s.prodWrites, s.prodReads
	s.prodWrites, s.prodReads, s.kinds = 0, 0, nil
	return writes, reads
}

func (s *countingStore) kind(k string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kinds[k]
}

// An FBA import over everything that finds Amazon's quantities as stored
// writes no product.
func TestFBAUnchangedWritesNothing(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	cs := &countingStore{Store: f.inv.Store}
	f.inv.Store = cs
	f.useAmazon(t, catalog.ImportFBAInventory)

	run := f.runTask(t, catalog.ImportFBAInventory)
	if w, _ := cs.reset(); run.Status != runs.Succeeded || w != 3 || run.Counts.Created != 3 {
		t.Fatalf("first import: %d product writes, run %+v", w, run)
	}
	f.clk.Add(fbaFullEvery) // the daily pass over everything
	run = f.runTask(t, catalog.ImportFBAInventory)
	if w, _ := cs.reset(); run.Status != runs.Succeeded || w != 0 || run.Counts.Unchanged != 3 {
		t.Fatalf("identical import: %d product writes, run %+v", w, run)
	}
	p, _, _ := f.inv.Get(ctx, "acct", "B")
	if s, ok := p.Stock[FBAWarehouse(f.ch.ID)]; !ok || s.OnHand != 0 {
		t.Fatalf("B's FBA stock %+v", p.Stock)
	}
}

// A run whose pass finds one page writes its checkpoint once: the window it
// opens is committed with that page, not before it.
func TestOnePagePassCommitsOnce(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	cs := &countingStore{Store: f.r.Runs.Store}
	f.r.Runs.Store = cs
	for i, want := range []int{3, 0} {
		run, err := f.r.Handle(ctx, f.input(runs.Schedule))
		if err != nil || run.Status != runs.Succeeded || run.Counts.Created != want {
			t.Fatalf("run %d: %+v %v", i, run, err)
		}
		if n := cs.kind("CP"); n != 1 {
			t.Fatalf("run %d wrote its checkpoint %d times, want 1", i, n)
		}
		cs.reset()
		f.clk.Add(time.Minute)
	}
}

// A phase finished just before the invocation runs out of time is committed
// on the way out, so the continuation does not read its page again (were it
// always the page that used the time up, the run would never progress).
func TestPhaseEndCommittedOnContinue(t *testing.T) {
	f := newFixture(t, 3)
	f.r.Reserve = time.Millisecond
	f.cart.hook = func(ctx context.Context, call int) error {
		if call == 2 { // the cancel phase's first page outlasts the invocation
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	run, err := f.r.Handle(ctx, f.input(runs.Schedule))
	if err != nil || run.Status != runs.Running || len(f.disp.ins) != 1 {
		t.Fatalf("first invocation %+v %v, dispatched %+v", run, err, f.disp.ins)
	}
	cp, err := f.r.Runs.Checkpoint(context.Background(), "acct", f.ch.ID, catalog.ImportOrders)
	if err != nil || cp.Window == nil || cp.Window.Phase != phaseCancel {
		t.Fatalf("checkpoint %+v %v, want the window in its cancel phase", cp.Window, err)
	}
	f.cart.hook = nil
	final, err := f.r.Handle(context.Background(), f.disp.ins[0])
	if err != nil || final.Status != runs.Succeeded || final.Counts.Created != 3 {
		t.Fatalf("continued run %+v %v", final, err)
	}
	if f.cart.calls != 3 { // import page, slow cancel page, cancel page again
		t.Fatalf("cart read %d pages, want 3", f.cart.calls)
	}
}

// A pass of several pages read within the commit interval writes its
// checkpoint once, at its end: committing each page cost a three-item
// transaction (6 WRU) per page. A pass slower than the interval commits as
// it goes (TestDeadRunIsInterruptedAndItsTaskFreeWithinALease), and one
// out of time commits before handing over (TestPhaseEndCommittedOnContinue).
func TestFastPassCommitsOnce(t *testing.T) {
	f := newFixture(t, 30) // five pages of 7, then the cancel phase
	ctx := context.Background()
	cs := &countingStore{Store: f.r.Runs.Store}
	f.r.Runs.Store = cs
	run, err := f.r.Handle(ctx, f.input(runs.Schedule))
	if err != nil || run.Status != runs.Succeeded || run.Counts.Created != 30 {
		t.Fatalf("run %+v %v", run, err)
	}
	if f.cart.calls < 5 {
		t.Fatalf("the cart served %d pages, want several", f.cart.calls)
	}
	if n := cs.kind("CP"); n != 1 {
		t.Fatalf("the pass wrote its checkpoint %d times, want 1", n)
	}
	cp, err := f.r.Runs.Checkpoint(ctx, "acct", f.ch.ID, catalog.ImportOrders)
	if err != nil || cp.Window != nil || cp.Watermark.IsZero() {
		t.Fatalf("checkpoint %+v %v", cp, err)
	}
}

// A manual run, which a merchant watches, commits its progress every page.
func TestManualPassCommitsEveryPage(t *testing.T) {
	f := newFixture(t, 30)
	ctx := context.Background()
	cs := &countingStore{Store: f.r.Runs.Store}
	f.r.Runs.Store = cs
	run, err := f.r.Handle(ctx, f.input(runs.Manual))
	if err != nil || run.Status != runs.Succeeded || run.Counts.Created != 30 {
		t.Fatalf("run %+v %v", run, err)
	}
	// Five import pages: four commits between them, one at the end (the
	// cancel phase's single page rides with it).
	if n := cs.kind("CP"); n != 5 {
		t.Fatalf("the manual pass wrote its checkpoint %d times, want 5", n)
	}
}

// submitShelf is a cart that processes every push later, as Amazon does a
// feed: a ticket per push, results once the test says it is done.
type submitShelf struct {
	shelf   *fakeShelf
	mu      sync.Mutex
	pushes  map[string][]cart.StockUpdate
	state   map[string]string // ticket → "" (processing), "done" or "error"
	order   []string          // tickets in submission order
	asked   int
	setCall int
}

func (s *submitShelf) SubmitStock(_ context.Context, ups []cart.StockUpdate) ([]cart.StockResult, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := fmt.Sprintf("ticket-%d", len(s.order)+1)
	s.order = append(s.order, t)
	s.pushes[t] = slices.Clone(ups)
	return nil, t, nil
}

func (s *submitShelf) StockResults(ctx context.Context, t string) ([]cart.StockResult, bool, error) {
	s.mu.Lock()
	s.asked++
	ups, ok := s.pushes[t]
	st := s.state[t]
	s.mu.Unlock()
	switch {
	case !ok || st == "error":
		return nil, false, &cart.Error{Temporary: true, Message: "the feed failed"}
	case st == "done":
		res, err := s.shelf.SetStock(ctx, ups)
		return res, err == nil, err
	}
	return nil, false, nil
}

// skus is the SKUs of the n-th submission (from 1).
func (s *submitShelf) skus(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, u := range s.pushes[s.order[n-1]] {
		out = append(out, u.SKU)
	}
	slices.Sort(out)
	return out
}

func (s *submitShelf) submissions() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.order) }

func (s *submitShelf) set(n int, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state[s.order[n-1]] = state
}

type submitConnectors struct {
	fakeConnectors
	sub *submitShelf
}

func (c submitConnectors) Connector(ch channels.Channel, cr cart.Credentials) (cart.Connector, error) {
	con, err := c.fakeConnectors.Connector(ch, cr)
	return submitConnector{con.(fakeConnector), c.sub}, err
}

type submitConnector struct {
	fakeConnector
	sub *submitShelf
}

func (c submitConnector) SubmitStock(ctx context.Context, ups []cart.StockUpdate) ([]cart.StockResult, string, error) {
	return c.sub.SubmitStock(ctx, ups)
}

func (c submitConnector) StockResults(ctx context.Context, t string) ([]cart.StockResult, bool, error) {
	return c.sub.StockResults(ctx, t)
}

// submitFixture has n products whose cart quantity (20) is not
// Autosync's (a reserve of 2 applies), and a cart that processes pushes
// later.
func submitFixture(t *testing.T, n int) (*fixture, *submitShelf, []string) {
	t.Helper()
	f := newFixture(t, 0)
	var skus []string
	for i := range n {
		sku := fmt.Sprintf("SKU-%02d", i)
		skus = append(skus, sku)
		f.shelf.add(sku, 20)
	}
	f.shelf.maxBatch = 100
	if run := f.runTask(t, catalog.ImportProducts); run.Status != runs.Succeeded {
		t.Fatalf("import %+v", run)
	}
	if err := f.inv.SetPolicy(context.Background(), "acct", f.ch.ID, inventory.Policy{Warehouses: []string{inventory.DefaultWarehouse}, Reserve: 2}); err != nil {
		t.Fatal(err)
	}
	sub := &submitShelf{shelf: f.shelf, pushes: map[string][]cart.StockUpdate{}, state: map[string]string{}}
	f.r.Connectors = submitConnectors{fakeConnectors{f.cart, f.shelf}, sub}
	return f, sub, skus
}

// submittedFixture is submitFixture after one scheduled Write Inventory
// run, past the change margin so that the change log of the next run
// will not name the SKUs, has submitted their push.
func submittedFixture(t *testing.T, n int) (*fixture, *submitShelf, []string) {
	t.Helper()
	f, sub, skus := submitFixture(t, n)
	f.clk.Add(inventory.ChangeMargin + time.Minute)
	f.runTaskAs(t, catalog.WriteInventory, runs.Schedule)
	if sub.submissions() != 1 {
		t.Fatalf("%d submissions", sub.submissions())
	}
	return f, sub, skus
}

func hasDetail(run runs.Run, s string) bool {
	return slices.ContainsFunc(run.Detail, func(d string) bool { return strings.Contains(d, s) })
}

func TestWriteBackSubmittedPushWaitsForResults(t *testing.T) {
	f, sub, skus := submitFixture(t, 6)

	// The run submits and confirms nothing, but it is not quiet.
	run := f.runTaskAs(t, catalog.WriteInventory, runs.Schedule)
	if run.Status != runs.Succeeded || run.Counts.Pushed != 0 || run.Quiet() || !hasDetail(run, "6 quantities sent") {
		t.Fatalf("submitting run %+v", run)
	}
	if sub.submissions() != 1 || !slices.Equal(sub.skus(1), skus) || f.shelf.quantity("SKU-00") != 20 || f.shelf.batches != 0 {
		t.Fatalf("%d submissions, first %v; cart SKU-00 %d", sub.submissions(), sub.skus(1), f.shelf.quantity("SKU-00"))
	}
	if got := f.needsSync(t, false); !slices.Equal(got, skus) {
		t.Fatalf("needs sync %v; nothing is confirmed before the results", got)
	}

	// Still processing: left alone, not pushed again, even when one of
	// them changes meanwhile.
	if _, err := f.inv.SetOnHand(context.Background(), "acct", "SKU-01", inventory.DefaultWarehouse, 9); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Hour)
	run = f.runTaskAs(t, catalog.WriteInventory, runs.Schedule)
	if run.Status != runs.Succeeded || run.Counts.Pushed != 0 || run.Counts.Failed != 0 || sub.submissions() != 1 || sub.asked != 1 {
		t.Fatalf("run while processing %+v; %d submissions, %d asks", run, sub.submissions(), sub.asked)
	}

	// Done: applied as an immediate push is, and the SKU that changed in
	// flight is pushed with its new quantity.
	sub.set(1, "done")
	f.shelf.fail["SKU-03"] = 1
	f.clk.Add(time.Hour)
	run = f.runTaskAs(t, catalog.WriteInventory, runs.Schedule)
	if run.Counts.Pushed != 5 || run.Counts.Failed != 1 || !hasDetail(run, "SKU-03: variant is tracked by product") ||
		run.Error == nil || !strings.Contains(run.Error.Message, "refused 1 of 6 quantities") {
		t.Fatalf("run reading the results %+v", run)
	}
	if q := f.shelf.quantity("SKU-00"); q != 18 {
		t.Errorf("SKU-00 in cart %d, want 18", q)
	}
	if sub.submissions() != 2 || !slices.Contains(sub.skus(2), "SKU-01") {
		t.Fatalf("%d submissions; the SKU changed in flight was not pushed again", sub.submissions())
	}
	for _, sku := range sub.skus(2) {
		if sku != "SKU-01" && sku != "SKU-03" {
			t.Errorf("%s pushed again although confirmed", sku)
		}
	}
	if got := f.needsSync(t, false); !slices.Equal(got, sub.skus(2)) {
		t.Errorf("needs sync %v, want the second push's %v", got, sub.skus(2))
	}
}

func TestWriteBackDropsFailedSubmissions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state string
		wait  time.Duration
	}{
		{"error", "error", inventory.ChangeMargin + time.Minute},
		{"error a day later", "error", 25 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, sub, skus := submittedFixture(t, 4)
			sub.set(1, tc.state)
			f.clk.Add(tc.wait)
			run := f.runTaskAs(t, catalog.WriteInventory, runs.Schedule)
			if sub.submissions() != 2 || !slices.Equal(sub.skus(2), skus) {
				t.Fatalf("%d submissions; the unknown results' SKUs were not pushed again (%+v)", sub.submissions(), run)
			}
			if !hasDetail(run, "examined again") || run.Counts.Pushed != 0 {
				t.Errorf("run %+v", run)
			}
		})
	}
}

// A push the cart still processes is kept however old it is: only the
// cart knows whether it can still apply (Amazon's feed in progress will;
// one it gave up on it cancelled first), and pushing its SKUs again
// meanwhile could be overwritten by it.
func TestWriteBackKeepsSubmissionsInProgress(t *testing.T) {
	for _, tc := range []struct {
		name string
		wait time.Duration
	}{
		{"past 2 hours", 2*time.Hour + time.Minute},
		{"past a day", 25 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, sub, skus := submittedFixture(t, 4)
			f.clk.Add(tc.wait)
			run := f.runTaskAs(t, catalog.WriteInventory, runs.Schedule)
			if sub.submissions() != 1 || sub.asked != 1 || hasDetail(run, "examined again") || run.Counts.Pushed != 0 || run.Counts.Failed != 0 {
				t.Fatalf("%d submissions, %d asks: a push in progress was dropped or pushed again (%+v)", sub.submissions(), sub.asked, run)
			}
			if got := f.needsSync(t, false); !slices.Equal(got, skus) {
				t.Fatalf("needs sync %v while in flight", got)
			}
			sub.set(1, "done")
			f.clk.Add(time.Minute)
			run = f.runTaskAs(t, catalog.WriteInventory, runs.Schedule)
			if run.Counts.Pushed != len(skus) || sub.submissions() != 1 || f.shelf.quantity(skus[0]) != 18 {
				t.Fatalf("run reading the results %+v; %d submissions, cart %d", run, sub.submissions(), f.shelf.quantity(skus[0]))
			}
			if got := f.needsSync(t, false); len(got) != 0 {
				t.Errorf("needs sync %v once confirmed", got)
			}
		})
	}
}

// A cart that is no longer a submitter (the channel's connector changed)
// leaves no SKU stranded.
func TestWriteBackPendingWithoutSubmitter(t *testing.T) {
	f, sub, skus := submitFixture(t, 3)
	f.clk.Add(inventory.ChangeMargin + time.Minute)
	f.runTaskAs(t, catalog.WriteInventory, runs.Schedule)
	f.r.Connectors = fakeConnectors{f.cart, f.shelf}
	f.clk.Add(inventory.ChangeMargin + time.Minute)
	run := f.runTaskAs(t, catalog.WriteInventory, runs.Schedule)
	if run.Counts.Pushed != len(skus) || sub.asked != 0 {
		t.Fatalf("run %+v, %d asks", run, sub.asked)
	}
	if got := f.needsSync(t, false); len(got) != 0 {
		t.Errorf("needs sync %v", got)
	}
}

// The pending pushes ride in the checkpoint: past maxPending a push waits
// for its results (SetStock) instead of adding another.
func TestWriteBackSubmissionsAreBounded(t *testing.T) {
	f, sub, _ := submitFixture(t, 2*maxPending+2)
	f.shelf.maxBatch = 2
	run := f.runTaskAs(t, catalog.WriteInventory, runs.Schedule)
	if sub.submissions() != maxPending || f.shelf.batches != 1 || run.Counts.Pushed != 2 || run.Progress.Done != 2*maxPending+2 {
		t.Fatalf("%d submissions, %d immediate batches; run %+v", sub.submissions(), f.shelf.batches, run)
	}
	if got := f.needsSync(t, false); len(got) != 2*maxPending {
		t.Errorf("needs sync %v; want the submitted SKUs", got)
	}
}
