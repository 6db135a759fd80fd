package settings

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/store"
)

// countingStore counts what a repair asks of the store.
type countingStore struct {
	store.Store
	gets, queries, items, writes atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, pk, sk string) (store.Item, error) {
	c.gets.Add(1)
	it, err := c.Store.Get(ctx, pk, sk)
	if err == nil {
		c.items.Add(1)
	}
	return it, err
}

func (c *countingStore) Query(ctx context.Context, q store.Query) (store.Page, error) {
	c.queries.Add(1)
	p, err := c.Store.Query(ctx, q)
	c.items.Add(int64(len(p.Items)))
	return p, err
}

func (c *countingStore) Put(ctx context.Context, it store.Item, cond store.Cond) (store.Item, error) {
	c.writes.Add(1)
	return c.Store.Put(ctx, it, cond)
}

func (c *countingStore) Delete(ctx context.Context, pk, sk string, cond store.Cond) error {
	c.writes.Add(1)
	return c.Store.Delete(ctx, pk, sk, cond)
}

func (c *countingStore) Transact(ctx context.Context, ops []store.Op) error {
	c.writes.Add(int64(len(ops)))
	return c.Store.Transact(ctx, ops)
}

func (c *countingStore) reset() {
	c.gets.Store(0)
	c.queries.Store(0)
	c.items.Store(0)
	c.writes.Store(0)
}

// pagedScheduler is a fake Scheduler with a Pager over sorted names, as
// EventBridge Scheduler is paged (100 names a page), counting its calls.
type pagedScheduler struct {
	mu                         sync.Mutex
	s                          map[string]schedule.Schedule
	names                      []string // sorted; rebuilt on change
	dirty                      bool
	puts, deletes, gets, pages atomic.Int64
}

func newPaged() *pagedScheduler { return &pagedScheduler{s: map[string]schedule.Schedule{}} }

func (f *pagedScheduler) Put(_ context.Context, s schedule.Schedule) error {
	f.puts.Add(1)
	if err := schedule.Validate(s); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.s[s.Name]; !ok {
		f.dirty = true
	}
	f.s[s.Name] = s
	return nil
}

func (f *pagedScheduler) Delete(_ context.Context, name string) error {
	f.deletes.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.s[name]; ok {
		delete(f.s, name)
		f.dirty = true
	}
	return nil
}

func (f *pagedScheduler) Get(_ context.Context, name string) (schedule.Schedule, error) {
	f.gets.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.s[name]
	if !ok {
		return s, schedule.ErrNotFound
	}
	return s, nil
}

func (f *pagedScheduler) sorted() []string {
	if f.dirty || f.names == nil {
		f.names = f.names[:0]
		for n := range f.s {
			f.names = append(f.names, n)
		}
		slices.Sort(f.names)
		f.dirty = false
	}
	return f.names
}

func (f *pagedScheduler) List(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sorted()), nil
}

func (f *pagedScheduler) ListPage(_ context.Context, token string, limit int) ([]string, string, error) {
	f.pages.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	names := f.sorted()
	i, found := slices.BinarySearch(names, token)
	if found {
		i++
	}
	end := min(i+limit, len(names))
	page := slices.Clone(names[i:end])
	next := ""
	if end < len(names) {
		next = page[len(page)-1]
	}
	return page, next, nil
}

func (f *pagedScheduler) calls() int64 {
	return f.puts.Load() + f.deletes.Load() + f.gets.Load() + f.pages.Load()
}

func (f *pagedScheduler) has(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.s[name]
	return ok
}

// benchTasks are the autosync tasks every seeded channel ticks: with five
// channels a merchant has 20 schedules, near the 21 a merchant averages in
// the figures (2.1 million schedules for 100,000 merchants).
var benchTasks = []catalog.Task{catalog.ImportOrders, catalog.WriteInventory, catalog.ImportProducts, catalog.ImportProductImages}

const benchChannels = 5

// seedApplied writes, for accounts merchants, benchChannels channels each
// with every benchTasks task ticked, its schedule record applied and its
// schedule at the Scheduler: a converged installation. It writes in
// batches, as a restore would, not through Update (which would cost a
// Scheduler call and three transactions per schedule). It returns the
// schedule names.
func seedApplied(tb testing.TB, svc *Service, sched *pagedScheduler, merchants int) []string {
	tb.Helper()
	ctx := context.Background()
	anchor := svc.now()
	var names []string
	var batch []store.Op
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := svc.Store.Transact(ctx, batch); err != nil {
			tb.Fatal(err)
		}
		batch = batch[:0]
	}
	add := func(pk, sk string, v any) {
		it, err := store.NewDoc(pk, sk, v, time.Time{})
		if err != nil {
			tb.Fatal(err)
		}
		batch = append(batch, store.Put(it, store.NoCond))
		if len(batch) == store.MaxTransactItems {
			flush()
		}
	}
	for m := range merchants {
		account := fmt.Sprintf("m%06d", m)
		for c := range benchChannels {
			ch, err := svc.Channels.Create(ctx, account, channels.Channel{Type: catalog.Shopify, Name: fmt.Sprintf("Shop %d", c)}, cart.Credentials{"access_token": "x"})
			if err != nil {
				tb.Fatal(err)
			}
			for _, task := range benchTasks {
				set := setting{Enabled: true, UpdatedAt: anchor}
				add(store.AccountPK(account), settingSK(ch.ID, task), set)
				r := desired(record{}, ch, task, set)
				r.Gen, r.AppliedGen, r.Anchor, r.AppliedInterval = 1, 1, anchor, r.Interval
				name := r.name()
				add(schedPKOf(name), name, r)
				in := fmt.Appendf(nil, `{"account_id":%q,"channel_id":%q,"task":%q,"trigger":"schedule"}`, account, ch.ID, task)
				sched.s[name] = schedule.Schedule{Name: name, Interval: r.Interval, Enabled: true, Input: in}
				names = append(names, name)
			}
		}
	}
	flush()
	sched.dirty = true
	return names
}

// makePending bumps the generation of each named record (as a save whose
// Scheduler call failed leaves it) and queues it.
func makePending(tb testing.TB, svc *Service, names []string) {
	tb.Helper()
	ctx := context.Background()
	for _, n := range names {
		d, err := svc.getRecord(ctx, n, true)
		if err != nil {
			tb.Fatal(err)
		}
		r := d.Value
		r.Gen++
		if err := svc.putRecord(ctx, n, r, d.Version); err != nil {
			tb.Fatal(err)
		}
	}
}

func scaleFixture(t testing.TB, merchants int, lim RepairLimits) (*fixture, *countingStore, *pagedScheduler, []string) {
	sched := newPaged()
	f := newFixtureWith(t, sched)
	cs := &countingStore{Store: f.st}
	f.svc.Store, f.svc.Channels.Store = cs, cs
	f.svc.RepairLimits = lim
	names := seedApplied(t, f.svc, sched, merchants)
	return f, cs, sched, names
}

// A pass reads the queue, a bounded slice of the records and a bounded
// number of list pages: with 2,000 schedules and limits of 100 records
// and one page, it reads a small fraction of them, and applies exactly the
// pending ones.
func TestRepairReadsWhatIsPendingNotEverything(t *testing.T) {
	ctx := context.Background()
	lim := RepairLimits{Pending: 1000, Sweep: 100, ListPages: 1, Migrate: 1000, Workers: 4}
	f, cs, sched, names := scaleFixture(t, 100, lim) // 100 merchants × 20 = 2,000 schedules
	pending := []string{names[7], names[1234], names[1999]}
	makePending(t, f.svc, pending)
	cs.reset()
	before := sched.calls()
	rep, stats, err := f.svc.repair(ctx)
	if err != nil || rep.Applied != len(pending) || rep.Restored != 0 || rep.Orphans != 0 {
		t.Fatalf("repair %+v %v", rep, err)
	}
	if stats.Queued != len(pending) || stats.Swept != lim.Sweep || stats.Listed != 100 {
		t.Fatalf("stats %+v", stats)
	}
	// Per swept record: it, its channel and its setting; per listed name:
	// its record; per pending record: marker, record, channel, setting and
	// the applier's read; and the cursor.
	maxItems := int64(3*lim.Sweep + 100*lim.ListPages + 5*len(pending) + 1)
	if got := cs.items.Load(); got > maxItems || got >= int64(len(names)) {
		t.Fatalf("one pass read %d items, want at most %d of %d", got, maxItems, len(names))
	}
	// Scheduler: one Put per pending record, one page, a Get per swept
	// wanted record not on that page.
	if got := sched.calls() - before; got > int64(len(pending)+1+lim.Sweep) {
		t.Fatalf("%d Scheduler calls", got)
	}
	for _, n := range pending {
		d, err := f.svc.getRecord(ctx, n, false)
		if err != nil || d.Value.pending() {
			t.Fatalf("record %s %+v %v", n, d.Value, err)
		}
	}
	for sh := range schedShards {
		if p, err := f.st.Query(ctx, store.Query{PK: schedQueuePK(sh)}); err != nil || len(p.Items) != 0 {
			t.Fatalf("queue %d holds %d markers after applying: %v", sh, len(p.Items), err)
		}
	}
}

// A schedule the Scheduler lost, and one no record wants, are found within
// ceil(records/Sweep) and ceil(schedules/(ListPages×100)) passes: the
// sweeps resume where the previous pass stopped.
func TestRepairSweepFindsDriftWithinBoundedPasses(t *testing.T) {
	ctx := context.Background()
	lim := RepairLimits{Pending: 1000, Sweep: 200, ListPages: 2, Migrate: 1000, Workers: 4}
	f, _, sched, names := scaleFixture(t, 50, lim) // 1,000 schedules
	lost := names[len(names)/2]
	_ = sched.Delete(ctx, lost)
	orphan := schedule.Name("ghost", "ch_gone", catalog.ImportOrders)
	_ = sched.Put(ctx, schedule.Schedule{Name: orphan, Interval: catalog.Every1h, Enabled: true, Input: []byte(`{}`)})

	// A full cycle of either sweep from wherever the cursors are.
	k := max((len(names)+lim.Sweep-1)/lim.Sweep, (len(names)+1+lim.ListPages*100-1)/(lim.ListPages*100)) + 1
	var total RepairReport
	for i := range k {
		rep, err := f.svc.Repair(ctx)
		if err != nil {
			t.Fatalf("pass %d: %v", i, err)
		}
		total.Restored += rep.Restored
		total.Orphans += rep.Orphans
		total.Applied += rep.Applied
	}
	if total.Restored != 1 || total.Orphans != 1 || !sched.has(lost) || sched.has(orphan) {
		t.Fatalf("after %d passes: %+v, lost present %v, orphan present %v", k, total, sched.has(lost), sched.has(orphan))
	}
	if len(sched.s) != len(names) {
		t.Fatalf("%d schedules, want %d", len(sched.s), len(names))
	}
	st, err := store.GetDoc[sweepState](ctx, f.st, sweepPK, sweepSK)
	if err != nil || st.Value.LastListCycle < 0 || st.Value.CycleStarted.IsZero() {
		t.Fatalf("cursor %+v %v", st.Value, err)
	}
}

// Records written before sharding (one "SCHED" partition) are moved to
// their shards by repair, or by the next change to them, and a pending one
// is applied; nothing is left in the old partition.
func TestLegacyRecordsMove(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	mk := func(task catalog.Task, pending bool) string {
		r := desired(record{}, f.shop, task, setting{Enabled: true})
		r.Gen, r.AppliedGen = 1, 1
		if pending {
			r.AppliedGen = 0
		} else {
			r.AppliedInterval, r.Anchor = r.Interval, f.now
			in := fmt.Appendf(nil, `{"account_id":"acct","channel_id":%q,"task":%q,"trigger":"schedule"}`, f.shop.ID, task)
			_ = f.sched.Put(ctx, schedule.Schedule{Name: r.name(), Interval: r.Interval, Enabled: true, Input: in})
		}
		it, _ := store.NewDoc(store.AccountPK("acct"), settingSK(f.shop.ID, task), setting{Enabled: true}, time.Time{})
		if _, err := f.st.Put(ctx, it, store.NoCond); err != nil {
			t.Fatal(err)
		}
		if _, err := store.PutDoc(ctx, f.st, legacySchedPK, r.name(), r, store.MustBeNew); err != nil {
			t.Fatal(err)
		}
		return r.name()
	}
	applied := mk(catalog.ImportOrders, false)
	pending := mk(catalog.WriteInventory, true)
	lazy := mk(catalog.ImportProducts, false)

	// A change to one moves it on the spot.
	if _, err := f.svc.SetInterval(ctx, "acct", f.shop.ID, catalog.ImportProducts, catalog.Every1d); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Get(ctx, legacySchedPK, lazy); err == nil {
		t.Fatal("a changed legacy record stayed in the old partition")
	}
	if s := f.sched.snapshot()[lazy]; s.Interval != catalog.Every1d {
		t.Fatalf("changed legacy record's schedule %+v", s)
	}
	// A copy written to the old partition after the move (an old version
	// of the code still running during a deploy) is dropped: the shard's
	// record stands.
	stale := desired(record{}, f.shop, catalog.ImportProducts, setting{Enabled: false})
	if _, err := store.PutDoc(ctx, f.st, legacySchedPK, lazy, stale, store.MustBeNew); err != nil {
		t.Fatal(err)
	}
	// Repair moves the rest and applies the pending one.
	rep, err := f.svc.Repair(ctx)
	if err != nil || rep.Applied != 1 || rep.Restored != 0 || rep.Orphans != 0 {
		t.Fatalf("repair %+v %v", rep, err)
	}
	if p, err := f.st.Query(ctx, store.Query{PK: legacySchedPK}); err != nil || len(p.Items) != 0 {
		t.Fatalf("old partition holds %d records: %v", len(p.Items), err)
	}
	for _, n := range []string{applied, pending, lazy} {
		d, err := store.GetDoc[record](ctx, f.st, schedPKOf(n), n)
		if err != nil || d.Value.pending() || !d.Value.Want {
			t.Fatalf("%s in its shard: %+v %v", n, d.Value, err)
		}
		if _, ok := f.sched.snapshot()[n]; !ok {
			t.Fatalf("%s has no schedule", n)
		}
	}
	if rep, err := f.svc.Repair(ctx); err != nil || rep != (RepairReport{}) {
		t.Fatalf("second repair %+v %v", rep, err)
	}
}

// A subscription record left pending before the queue existed is found by
// the one-off indexing walk and applied within two passes.
func TestLegacyPendingSubscriptionIsApplied(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	hooks := &fakeCartHooks{subs: map[string]string{}}
	f.svc.Subscribers = hooks
	key := subKey("acct", f.shop.ID, catalog.InstasyncOrders)
	r := subRecord{Account: "acct", Channel: f.shop.ID, Task: catalog.InstasyncOrders, Want: true, Gen: 1}
	if _, err := store.PutDoc(ctx, f.st, subsPK, key, r, store.MustBeNew); err != nil {
		t.Fatal(err)
	}
	for range 2 { // within two passes: indexed by the first, applied by it or the next
		if _, err := f.svc.Repair(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := hooks.list(); len(got) != 1 {
		t.Fatalf("subscriptions %v", got)
	}
	if p, err := f.st.Query(ctx, store.Query{PK: subsQueuePK}); err != nil || len(p.Items) != 0 {
		t.Fatalf("%d subscription markers left: %v", len(p.Items), err)
	}
}

// Schedule names spread over the shards: none carries much more than its
// share, so a partition's write limit is reached 16 times later.
func TestShardsSpread(t *testing.T) {
	var n [schedShards]int
	const total = 20000
	for i := range total {
		n[shardOf(schedule.Name(fmt.Sprintf("acct%d", i/20), fmt.Sprintf("ch_%d", i%5), benchTasks[i%4]))]++
	}
	for sh, c := range n {
		if c > 2*total/schedShards || c < total/schedShards/2 {
			t.Fatalf("shard %d holds %d of %d: %v", sh, c, total, n)
		}
	}
}

// A save whose Scheduler call fails leaves its record queued, in the same
// transaction; repair applies it and empties the queue. A marker left for
// a record already applied (a crash between an apply and nothing, or an
// index walk racing an apply) is dropped without a Scheduler call.
func TestQueueHoldsExactlyThePending(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.sched.setFail(errors.New("ThrottlingException"))
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}}); err != nil {
		t.Fatal(err)
	}
	name := schedule.Name("acct", f.shop.ID, catalog.ImportOrders)
	queued := func() []string {
		var out []string
		for sh := range schedShards {
			p, err := f.st.Query(ctx, store.Query{PK: schedQueuePK(sh)})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				out = append(out, it.SK)
			}
		}
		return out
	}
	if q := queued(); len(q) != 1 || q[0] != name {
		t.Fatalf("queue after a failed apply: %v", q)
	}
	f.sched.setFail(nil)
	if rep, err := f.svc.Repair(ctx); err != nil || rep.Applied != 1 {
		t.Fatalf("repair %+v %v", rep, err)
	}
	if q := queued(); len(q) != 0 {
		t.Fatalf("queue after repair: %v", q)
	}
	m, _ := markerOp(schedQueuePK(shardOf(name)), name)
	if _, err := f.st.Put(ctx, m.Item, store.NoCond); err != nil {
		t.Fatal(err)
	}
	before := f.sched.count()
	if rep, err := f.svc.Repair(ctx); err != nil || rep != (RepairReport{}) {
		t.Fatalf("repair with a stale marker %+v %v", rep, err)
	}
	if q := queued(); len(q) != 0 || f.sched.count() != before {
		t.Fatalf("queue %v, %d Scheduler calls", q, f.sched.count()-before)
	}
}
