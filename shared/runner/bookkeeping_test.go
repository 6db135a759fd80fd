package runner

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/store"
)

// wruStore prices the writes made through it as DynamoDB bills them: per
// started KB of the larger of the item before and after, twice inside a
// transaction (condition checks included), by the kind its sort key starts
// with (RUN, LEASE, LR, CP; the active-runs index is "ACTIVE").
type wruStore struct {
	store.Store
	mu   sync.Mutex
	wru  map[string]int
	size map[string]int // the largest item written, by kind
}

// itemBytes approximates DynamoDB's size of a stored item: its attribute
// names (pk, sk, v, data, ttl) and values, a number taken as 8 bytes.
func itemBytes(it store.Item) int {
	n := len("pk") + len(it.PK) + len("sk") + len(it.SK) + len("v") + 8 + len("data") + len(it.Data)
	if !it.ExpiresAt.IsZero() {
		n += len("ttl") + 8
	}
	return n
}

func kindOf(pk, sk string) string {
	if strings.HasPrefix(pk, "RUNS#ACTIVE#") {
		return "ACTIVE"
	}
	kind, _, _ := strings.Cut(sk, "#")
	return kind
}

func (s *wruStore) bill(ctx context.Context, op store.Op, transact bool) {
	before := 0
	if cur, err := s.Store.Get(ctx, op.Item.PK, op.Item.SK); err == nil {
		before = itemBytes(cur)
	}
	after := 0
	if op.Kind == store.OpPut {
		after = itemBytes(op.Item)
	}
	units := (max(before, after, 1) + 1023) / 1024
	if transact {
		units *= 2
	}
	k := kindOf(op.Item.PK, op.Item.SK)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wru == nil {
		s.wru, s.size = map[string]int{}, map[string]int{}
	}
	s.wru[k] += units
	s.size[k] = max(s.size[k], after)
}

func (s *wruStore) Put(ctx context.Context, it store.Item, c store.Cond) (store.Item, error) {
	s.bill(ctx, store.Put(it, c), false)
	return s.Store.Put(ctx, it, c)
}

func (s *wruStore) Delete(ctx context.Context, pk, sk string, c store.Cond) error {
	s.bill(ctx, store.Delete(pk, sk, c), false)
	return s.Store.Delete(ctx, pk, sk, c)
}

func (s *wruStore) Transact(ctx context.Context, ops []store.Op) error {
	for _, op := range ops {
		s.bill(ctx, op, true)
	}
	return s.Store.Transact(ctx, ops)
}

func (s *wruStore) take() (total int, byKind map[string]int, size map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.wru {
		total += n
	}
	byKind, size = s.wru, s.size
	s.wru, s.size = nil, nil
	return total, byKind, size
}

// The bookkeeping every run pays is most of an idle merchant's bill (about
// 10,000 runs a month), so its write units are pinned here: an empty
// scheduled run takes the lease with its record in it, and on finishing
// releases the lease with its finished record in it — two single-item
// writes of one unit each, no run item, no index entry.
func TestEmptyScheduledRunWriteUnits(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	ws := &wruStore{Store: f.r.Runs.Store}
	f.r.Runs.Store = ws
	if run, err := f.r.Handle(ctx, f.input(runs.Schedule)); err != nil || run.Status != runs.Succeeded {
		t.Fatalf("first run %+v %v", run, err)
	}
	f.clk.Add(time.Hour)
	ws.take()
	run, err := f.r.Handle(ctx, f.input(runs.Schedule))
	if err != nil || run.Status != runs.Succeeded || run.Counts.Fetched != 0 {
		t.Fatalf("empty run %+v %v", run, err)
	}
	total, byKind, size := ws.take()
	t.Logf("empty scheduled run: %d WRU %v; largest items %v bytes", total, byKind, size)
	if total > wantEmptyRunWRU {
		t.Errorf("an empty scheduled run costs %d WRU (%v), want at most %d", total, byKind, wantEmptyRunWRU)
	}
	if size["LEASE"] > 1024 {
		t.Errorf("the lease item is %d bytes: each write of it costs 2 WRU", size["LEASE"])
	}
	// What the writes saved must still be there: the task's last run is
	// the run, finished, with its times; it has no item of its own (a
	// quiet scheduled run is not kept in the history), and nothing is
	// left in the active index.
	last, err := f.r.Runs.LastRuns(ctx, "acct")
	got := last[f.ch.ID][catalog.ImportOrders]
	if err != nil || got.ID != run.ID || got.Status != runs.Succeeded || got.StartedAt == nil || got.FinishedAt == nil || got.Invocations != 1 {
		t.Fatalf("last run %+v %v, want %s succeeded", got, err, run.ID)
	}
	if _, err := f.r.Runs.Get(ctx, "acct", run.ID); !errors.Is(err, runs.ErrNotFound) {
		t.Fatalf("the quiet run was stored as its own item: %v", err)
	}
	if rep, err := f.r.Runs.Sweep(ctx, runs.SweepOptions{}); err != nil || rep != (runs.SweepReport{}) {
		t.Fatalf("sweep after the run: %+v %v (the run left the active index)", rep, err)
	}
	if _, err := f.r.Runs.Acquire(ctx, "acct", f.ch.ID, catalog.ImportOrders, "run_next", time.Minute); err != nil {
		var busy *runs.BusyError
		if errors.As(err, &busy) {
			t.Fatalf("the run kept its lease: %v", err)
		}
		t.Fatal(err)
	}
}

// A run skipped because its task is running writes its record once.
func TestSkippedRunWriteUnits(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	ws := &wruStore{Store: f.r.Runs.Store}
	f.r.Runs.Store = ws
	l, err := f.r.Runs.Acquire(ctx, "acct", f.ch.ID, catalog.ImportOrders, "run_other", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ws.take()
	run, err := f.r.Handle(ctx, f.input(runs.Schedule))
	if err != nil || run.Status != runs.Skipped {
		t.Fatalf("run %+v %v", run, err)
	}
	total, byKind, _ := ws.take()
	t.Logf("skipped run: %d WRU %v", total, byKind)
	if total > wantSkippedRunWRU {
		t.Errorf("a skipped run costs %d WRU (%v), want at most %d", total, byKind, wantSkippedRunWRU)
	}
	if got, err := f.r.Runs.Get(ctx, "acct", run.ID); err != nil || got.Status != runs.Skipped || got.SkipReason != runs.SkipAlreadyRunning {
		t.Fatalf("stored run %+v %v", got, err)
	}
	last, _ := f.r.Runs.LastRuns(ctx, "acct")
	if last[f.ch.ID][catalog.ImportOrders].ID != run.ID {
		t.Fatalf("last run %+v, want the skipped %s", last[f.ch.ID][catalog.ImportOrders], run.ID)
	}
	if rep, err := f.r.Runs.Sweep(ctx, runs.SweepOptions{}); err != nil || rep.Interrupted+rep.Dropped != 0 {
		t.Fatalf("sweep: %+v %v", rep, err)
	}
	_ = f.r.Runs.Release(ctx, l)
}

// A webhook import (no lease) records itself running in the index of
// active runs, points the task's last run at it, and records its end.
func TestWebhookRunBookkeepingWriteUnits(t *testing.T) {
	f := newFixture(t, 1)
	f.r.Implemented = map[catalog.Cart]map[catalog.Task]bool{catalog.Shopify: {catalog.InstasyncOrders: true}}
	ctx := context.Background()
	ws := &wruStore{Store: f.r.Runs.Store}
	f.r.Runs.Store = ws
	run, err := f.r.Handle(ctx, runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: catalog.InstasyncOrders, Trigger: runs.Webhook, ResourceID: "1000"})
	if err != nil || run.Status != runs.Succeeded || run.Counts.Created != 1 {
		t.Fatalf("webhook run %+v %v", run, err)
	}
	total, byKind, _ := ws.take()
	t.Logf("webhook run bookkeeping: %d WRU %v", total, byKind)
	if total > wantWebhookRunWRU {
		t.Errorf("a webhook run's bookkeeping costs %d WRU (%v), want at most %d", total, byKind, wantWebhookRunWRU)
	}
	last, _ := f.r.Runs.LastRuns(ctx, "acct")
	if got := last[f.ch.ID][catalog.InstasyncOrders]; got.ID != run.ID || got.Status != runs.Succeeded {
		t.Fatalf("last run %+v, want %s", got, run.ID)
	}
	if rep, err := f.r.Runs.Sweep(ctx, runs.SweepOptions{}); err != nil || rep != (runs.SweepReport{}) {
		t.Fatalf("sweep after the run: %+v %v", rep, err)
	}
}

// The pinned bookkeeping; before these writes were merged and taken out of
// transactions they were 13, 10 and 10 WRU, and an empty run 6 WRU before
// its record moved into its lease.
const (
	wantEmptyRunWRU   = 2
	wantSkippedRunWRU = 2
	wantWebhookRunWRU = 5
)
