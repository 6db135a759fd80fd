package runs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/store"
)

// Start records the run running in its lease item alone: no run item, no
// index entry. A busy task writes nothing.
func TestStartRecordsTheRunInItsLease(t *testing.T) {
	r, _ := newFakeRepo(t)
	ctx := context.Background()
	run, l, err := r.Start(ctx, r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != Running || run.StartedAt == nil || run.Invocations != 1 || l.RunID != run.ID {
		t.Fatalf("started run %+v, lease %+v", run, l)
	}
	if !r.leaseNamed(ctx, run) {
		t.Fatal("the lease does not name the run")
	}
	if got := lastRunOf(t, r, "a", "c", catalog.ImportOrders); got.ID != run.ID || got.Status != Running {
		t.Fatalf("last run %+v; want %s running", got, run.ID)
	}
	if _, err := r.Get(ctx, "a", run.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Start wrote a run item: %v", err)
	}
	if _, err := r.Store.Get(ctx, activeItem(run).PK, activeItem(run).SK); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Start indexed the run: %v", err)
	}

	other := r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued)
	var busy *BusyError
	if _, _, err := r.Start(ctx, other, time.Minute); !errors.As(err, &busy) || busy.Holder != run.ID {
		t.Fatalf("second start: %v", err)
	}
	if got := lastRunOf(t, r, "a", "c", catalog.ImportOrders); got.ID != run.ID {
		t.Fatalf("a busy start replaced the last run: %+v", got)
	}
}

// How a run started by Start ends up stored: a quiet run only in its
// released lease; a run with something to show as its own item (by its
// first commit, by Record, or by Finish), out of the active index once
// finished.
func TestFinishStoresWhatHasSomethingToShow(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		before func(r *Repo, l Lease, run Run) (Lease, error)
		end    func(run *Run)
		stored bool
	}{
		{name: "quiet", end: func(*Run) {}},
		{name: "fetched", end: func(run *Run) { run.Counts.Fetched, run.Counts.Unchanged = 3, 3 }, stored: true},
		{name: "failed", end: func(run *Run) {
			run.Status, run.Error = Failed, &RunError{Class: ClassCart, Message: "no"}
		}, stored: true},
		{name: "committed, then quiet", before: func(r *Repo, l Lease, run Run) (Lease, error) {
			return r.Commit(ctx, l, time.Minute, Checkpoint{}, run)
		}, end: func(*Run) {}, stored: true},
		{name: "recorded, then quiet", before: func(r *Repo, l Lease, run Run) (Lease, error) {
			return r.Record(ctx, l, run)
		}, end: func(*Run) {}, stored: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, c := newFakeRepo(t)
			run, l, err := r.Start(ctx, r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if tc.before != nil {
				if l, err = tc.before(r, l, run); err != nil {
					t.Fatal(err)
				}
				if _, err := r.Store.Get(ctx, activeItem(run).PK, activeItem(run).SK); err != nil {
					t.Fatalf("stored run not indexed: %v", err)
				}
			}
			c.Add(time.Second)
			now := c.Now().UTC()
			run.Status, run.FinishedAt = Succeeded, &now
			tc.end(&run)
			if err := r.Finish(ctx, l, run); err != nil {
				t.Fatal(err)
			}
			got, err := r.Get(ctx, "a", run.ID)
			if tc.stored && (err != nil || got.Status != run.Status || got.Counts != run.Counts) {
				t.Fatalf("stored %+v, %v; want %+v", got, err, run)
			}
			if !tc.stored && !errors.Is(err, ErrNotFound) {
				t.Fatalf("a quiet run got an item: %+v %v", got, err)
			}
			if _, err := r.Store.Get(ctx, activeItem(run).PK, activeItem(run).SK); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("finished run still indexed: %v", err)
			}
			if last := lastRunOf(t, r, "a", "c", catalog.ImportOrders); last.ID != run.ID || last.Status != run.Status || last.FinishedAt == nil {
				t.Fatalf("last run %+v; want %+v", last, run)
			}
			// The lease is free for the next run.
			if _, _, err := r.Start(ctx, r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued), time.Minute); err != nil {
				t.Fatalf("next start: %v", err)
			}
		})
	}
}

func lastRunOf(t *testing.T, r *Repo, account, channel string, task catalog.Task) Run {
	t.Helper()
	m, err := r.LastRuns(context.Background(), account)
	if err != nil {
		t.Fatal(err)
	}
	return m[channel][task]
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
	run.Status = Succeeded
	if err := r.Finish(ctx, l, run); err != nil {
		t.Fatal(err)
	}
	if got := last(); got != run.ID {
		t.Fatalf("after finish: last run %s, want %s", got, run.ID)
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

// A worker that died after taking the lease, before its run was stored,
// leaves the task free once the lease expires; until then its run shows
// running, then interrupted, and the next run to take the lease stores it
// interrupted, so the history says what happened.
func TestStartAfterWriterDiedBeforeRecord(t *testing.T) {
	r, c := newFakeRepo(t)
	ctx := context.Background()
	ghost, _, err := r.Start(ctx, r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := lastRunOf(t, r, "a", "c", catalog.ImportOrders); got.ID != ghost.ID || got.Status != Running {
		t.Fatalf("last run %+v; want %s running", got, ghost.ID)
	}
	c.Add(61 * time.Second)
	if got := lastRunOf(t, r, "a", "c", catalog.ImportOrders); got.ID != ghost.ID || got.Status != Interrupted || got.Error == nil {
		t.Fatalf("last run %+v; want %s interrupted", got, ghost.ID)
	}
	run, _, err := r.Start(ctx, r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued), time.Minute)
	if err != nil {
		t.Fatalf("takeover: %v", err)
	}
	if got := lastRunOf(t, r, "a", "c", catalog.ImportOrders); got.ID != run.ID || got.Status != Running {
		t.Fatalf("last run %+v; want %s running", got, run.ID)
	}
	if got := mustStatus(t, r, "a", ghost.ID, Interrupted); got.Error == nil || got.Error.Message != MsgInterrupted || got.FinishedAt == nil {
		t.Fatalf("the dead worker's run: %+v", got)
	}

	// A lease naming a run that left no record at all (written by a
	// version that stored runs apart from their lease) is just taken.
	c.Add(61 * time.Second)
	old := r.NewRun("a", "c", catalog.ImportProducts, Schedule, Queued)
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportProducts, old.ID, time.Minute); err != nil {
		t.Fatal(err)
	}
	c.Add(61 * time.Second)
	if _, _, err := r.Start(ctx, r.NewRun("a", "c", catalog.ImportProducts, Schedule, Queued), time.Minute); err != nil {
		t.Fatalf("takeover: %v", err)
	}
	if _, err := r.Get(ctx, "a", old.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a run without any record was invented: %v", err)
	}
}
