package runs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/store"
)

// Start records the run running under its lease; a busy task writes nothing.
func TestStartRecordsRunningUnderLease(t *testing.T) {
	r, _ := newFakeRepo(t)
	ctx := context.Background()
	run, l, err := r.Start(ctx, r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got := mustStatus(t, r, "a", run.ID, Running)
	if got.StartedAt == nil || got.Invocations != 1 || l.RunID != run.ID {
		t.Fatalf("started run %+v, lease %+v", got, l)
	}
	if !r.leaseNamed(ctx, got) {
		t.Fatal("the lease does not name the run")
	}
	if _, err := r.Store.Get(ctx, activeItem(run).PK, activeItem(run).SK); err != nil {
		t.Fatalf("the run is not in the active index: %v", err)
	}

	other := r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued)
	var busy *BusyError
	if _, _, err := r.Start(ctx, other, time.Minute); !errors.As(err, &busy) || busy.Holder != run.ID {
		t.Fatalf("second start: %v", err)
	}
	if _, err := r.Get(ctx, "a", other.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a busy start recorded its run: %v", err)
	}
	if _, err := r.Store.Get(ctx, activeItem(other).PK, activeItem(other).SK); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a busy start indexed its run: %v", err)
	}
}

// Start writes no last-run pointer: the lease names the run, and LastRuns
// takes the newer of the pointer and the lease, falling back to the other
// when the newer was never recorded.
func TestLastRunsReadsLeaseAndPointer(t *testing.T) {
	r, c := newFakeRepo(t)
	ctx := context.Background()
	last := func() string {
		t.Helper()
		m, err := r.LastRuns(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		return m["c"][catalog.ImportOrders].ID
	}
	skipped := r.NewRun("a", "c", catalog.ImportOrders, Schedule, Skipped)
	if err := r.Create(ctx, skipped); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Second)
	run, l, err := r.Start(ctx, r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if ptr, err := store.GetDoc[lastRun](ctx, r.Store, store.AccountPK("a"), lastSK("c", catalog.ImportOrders)); err != nil || ptr.Value.RunID != skipped.ID {
		t.Fatalf("Start wrote the last-run pointer: %+v %v", ptr, err)
	}
	if got := last(); got != run.ID {
		t.Fatalf("last run %s, want the started %s", got, run.ID)
	}
	if err := r.Release(ctx, l); err != nil {
		t.Fatal(err)
	}
	if got := last(); got != run.ID {
		t.Fatalf("after release: last run %s, want %s", got, run.ID)
	}
	c.Add(time.Second)
	later := r.NewRun("a", "c", catalog.ImportOrders, Manual, Skipped)
	if err := r.Create(ctx, later); err != nil {
		t.Fatal(err)
	}
	if got := last(); got != later.ID {
		t.Fatalf("last run %s, want the newer skipped %s", got, later.ID)
	}
	// A writer that died after taking the lease, before recording its run.
	c.Add(time.Second)
	ghost := r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued)
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, ghost.ID, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := last(); got != later.ID {
		t.Fatalf("last run %s, want %s (the lease's run was never recorded)", got, later.ID)
	}
}

// The index entry is written before its run, so the sweep must not take a
// young entry without a run for the leftover of a dead writer: it leaves it
// until a queued run would have been given up, then drops it.
func TestSweepSparesEntryAheadOfItsRun(t *testing.T) {
	r, c := newFakeRepo(t)
	ctx := context.Background()
	run := r.NewRun("a", "c", catalog.ImportOrders, Schedule, Running)
	a := activeItem(run)
	if _, err := r.Store.Put(ctx, a, store.NoCond); err != nil {
		t.Fatal(err)
	}
	rep, err := r.Sweep(ctx, SweepOptions{})
	if err != nil || rep.Dropped != 0 || rep.Live != 1 {
		t.Fatalf("sweep of a young entry: %+v %v", rep, err)
	}
	// Its writer goes on to record the run; the sweep judges it as any.
	if err := r.Create(ctx, run); err != nil {
		t.Fatal(err)
	}
	if rep, err := r.Sweep(ctx, SweepOptions{}); err != nil || rep.Live != 1 {
		t.Fatalf("sweep of the recorded run: %+v %v", rep, err)
	}

	// A writer that died between the entry and the run.
	c.Add(time.Second)
	dead := r.NewRun("a", "c", catalog.ImportProducts, Schedule, Running)
	if _, err := r.Store.Put(ctx, activeItem(dead), store.NoCond); err != nil {
		t.Fatal(err)
	}
	c.Add(DefaultQueuedFor + time.Second)
	rep, err = r.Sweep(ctx, SweepOptions{})
	if err != nil || rep.Dropped != 1 {
		t.Fatalf("sweep of an old entry without its run: %+v %v", rep, err)
	}
	d := activeItem(dead)
	if _, err := r.Store.Get(ctx, d.PK, d.SK); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("entry kept: %v", err)
	}
}

// At start-up (DeadBefore) an entry without its run is dropped however young.
func TestSweepDeadBeforeDropsEntryWithoutRun(t *testing.T) {
	r, c := newFakeRepo(t)
	ctx := context.Background()
	dead := r.NewRun("a", "c", catalog.ImportOrders, Schedule, Running)
	if _, err := r.Store.Put(ctx, activeItem(dead), store.NoCond); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Second)
	rep, err := r.Sweep(ctx, SweepOptions{DeadBefore: c.Now()})
	if err != nil || rep.Dropped != 1 {
		t.Fatalf("sweep: %+v %v", rep, err)
	}
}

// A writer that died after taking the lease, before recording its run,
// leaves the task free once the lease expires and nothing running.
func TestStartAfterWriterDiedBeforeRecord(t *testing.T) {
	r, c := newFakeRepo(t)
	ctx := context.Background()
	ghost := r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued)
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, ghost.ID, time.Minute); err != nil {
		t.Fatal(err)
	}
	c.Add(61 * time.Second)
	run, _, err := r.Start(ctx, r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued), time.Minute)
	if err != nil {
		t.Fatalf("takeover: %v", err)
	}
	mustStatus(t, r, "a", run.ID, Running)
	if _, err := r.Get(ctx, "a", ghost.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the dead writer's run: %v", err)
	}
}
