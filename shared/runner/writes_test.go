package runner

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
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
	amazon, err := f.r.Channels.Create(ctx, "acct", channels.Channel{Type: catalog.Amazon, Name: "Amazon"}, cart.Credentials{"refresh_token": "x"})
	if err != nil {
		t.Fatal(err)
	}
	f.ch = amazon
	f.r.Implemented = map[catalog.Cart]map[catalog.Task]bool{catalog.Amazon: {catalog.ImportFBAInventory: true}}

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
