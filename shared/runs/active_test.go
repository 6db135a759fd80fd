package runs

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/clock"
	"github.com/autosync/autosync/shared/store/boltstore"
)

func newFakeRepo(t *testing.T) (*Repo, *clock.Fake) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := clock.NewFake(time.Now().UTC())
	return &Repo{Store: st, Now: c.Now}, c
}

// startRun records a running run holding its task's lease, stored, as the
// executor leaves a run that has something to show (its first commit).
func startRun(t *testing.T, r *Repo, account, channel string, task catalog.Task, ttl time.Duration) (Run, Lease) {
	t.Helper()
	ctx := context.Background()
	run, l, err := r.Start(ctx, r.NewRun(account, channel, task, Schedule, Queued), ttl)
	if err != nil {
		t.Fatal(err)
	}
	if l, err = r.Record(ctx, l, run); err != nil {
		t.Fatal(err)
	}
	return run, l
}

func mustStatus(t *testing.T, r *Repo, account, runID string, want Status) Run {
	t.Helper()
	got, err := r.Get(context.Background(), account, runID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != want {
		t.Fatalf("run %s is %s; want %s", runID, got.Status, want)
	}
	return got
}

// Finding 1 and 2: a crashed run's task is free once its short lease
// expires, and taking the expired lease over closes the dead run instead of
// leaving it "running" for ever.
func TestTakeoverInterruptsDeadRun(t *testing.T) {
	r, c := newFakeRepo(t)
	ctx := context.Background()
	dead, stale := startRun(t, r, "a", "c", catalog.ImportOrders, time.Minute)
	var busy *BusyError
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_next", time.Minute); !errors.As(err, &busy) {
		t.Fatalf("live lease: %v", err)
	}
	c.Add(61 * time.Second) // the worker died: nobody renewed
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_next", time.Minute); err != nil {
		t.Fatalf("expired lease not free: %v", err)
	}
	got := mustStatus(t, r, "a", dead.ID, Interrupted)
	if got.Error == nil || got.Error.Message != MsgInterrupted || got.FinishedAt == nil {
		t.Fatalf("interrupted run %+v", got)
	}
	if _, err := r.Commit(ctx, stale, time.Minute, Checkpoint{}, dead); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("the dead run could still write: %v", err)
	}
}

// A heartbeat keeps a long run's short lease; a renewal after another run
// took over reports the loss.
func TestHeartbeatKeepsShortLease(t *testing.T) {
	r, c := newFakeRepo(t)
	ctx := context.Background()
	_, l := startRun(t, r, "a", "c", catalog.ImportOrders, time.Minute)
	k := r.Keep(l, time.Minute)
	ticks := make(chan time.Time)
	lost := make(chan struct{})
	hbCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { k.Heartbeat(hbCtx, ticks, func() { close(lost) }); close(done) }()
	for i := 0; i < 5; i++ { // five minutes of work on a one-minute lease
		c.Add(40 * time.Second)
		ticks <- c.Now()
		ticks <- c.Now() // the second send returns once the first renewal is done
	}
	var busy *BusyError
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_other", time.Minute); !errors.As(err, &busy) {
		t.Fatalf("a renewed lease was taken: %v", err)
	}
	stop()
	<-done

	// Stop renewing: the lease lapses, another run takes the task, and
	// the old holder's next renewal says so.
	c.Add(2 * time.Minute)
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_other", time.Minute); err != nil {
		t.Fatal(err)
	}
	go k.Heartbeat(ctx, ticks, func() { close(lost) })
	ticks <- c.Now()
	<-lost
	if err := k.Commit(ctx, Checkpoint{}, Run{ID: l.RunID, AccountID: "a"}); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("commit after loss: %v", err)
	}
}

func TestSweepClosesStaleRuns(t *testing.T) {
	r, c := newFakeRepo(t)
	ctx := context.Background()
	crashed, _ := startRun(t, r, "a", "c1", catalog.ImportOrders, time.Minute)
	working, wl := startRun(t, r, "b", "c2", catalog.ImportOrders, time.Minute)
	lost := r.NewRun("a", "c1", catalog.ImportProducts, Manual, Queued)
	done := r.NewRun("a", "c3", catalog.ImportOrders, Manual, Queued)
	for _, run := range []Run{lost, done} {
		if err := r.Create(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	c.Add(20 * time.Minute)
	fresh := r.NewRun("b", "c2", catalog.ImportProducts, Manual, Queued)
	if err := r.Create(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	done.Status = Succeeded
	if err := r.Save(ctx, done); err != nil {
		t.Fatal(err)
	}
	// The working run renewed its lease; the crashed one did not.
	k := r.Keep(wl, time.Minute)
	if err := k.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := r.Sweep(ctx, SweepOptions{QueuedFor: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Interrupted != 1 || rep.Expired != 1 || rep.Live != 2 {
		t.Fatalf("sweep %+v", rep)
	}
	mustStatus(t, r, "a", crashed.ID, Interrupted)
	if got := mustStatus(t, r, "a", lost.ID, Interrupted); got.Error.Message != MsgNeverStarted {
		t.Fatalf("never-started message %q", got.Error.Message)
	}
	mustStatus(t, r, "b", working.ID, Running)
	mustStatus(t, r, "b", fresh.ID, Queued)
	mustStatus(t, r, "a", done.ID, Succeeded)
	// The crashed run's task is free; the working run's is not.
	if _, err := r.Acquire(ctx, "a", "c1", catalog.ImportOrders, "run_x", time.Minute); err != nil {
		t.Fatalf("crashed task still held: %v", err)
	}
	var busy *BusyError
	if _, err := r.Acquire(ctx, "b", "c2", catalog.ImportOrders, "run_y", time.Minute); !errors.As(err, &busy) {
		t.Fatalf("working task taken: %v", err)
	}
	// A second sweep finds nothing more to do: closed runs left the index.
	rep, err = r.Sweep(ctx, SweepOptions{QueuedFor: 15 * time.Minute})
	if err != nil || rep.Interrupted+rep.Expired+rep.Dropped != 0 || rep.Live != 2 {
		t.Fatalf("second sweep %+v %v", rep, err)
	}
	// At start-up every run of the previous process is dead, whatever its lease says.
	rep, err = r.Sweep(ctx, SweepOptions{DeadBefore: c.Now().Add(time.Nanosecond)})
	if err != nil || rep.Interrupted != 1 || rep.Expired != 1 {
		t.Fatalf("start-up sweep %+v %v", rep, err)
	}
	mustStatus(t, r, "b", working.ID, Interrupted)
	if _, err := r.Acquire(ctx, "b", "c2", catalog.ImportOrders, "run_y", time.Minute); err != nil {
		t.Fatalf("dead process's task still held: %v", err)
	}
	if err := k.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("the swept run could renew: %v", err)
	}
}

// The sweep reads the active index, not history: thousands of finished
// runs cost it nothing.
func TestSweepReadsOnlyActiveRuns(t *testing.T) {
	r, _ := newFakeRepo(t)
	ctx := context.Background()
	for i := 0; i < 300; i++ {
		run := r.NewRun("a", "c", catalog.ImportOrders, Schedule, Queued)
		if err := r.Create(ctx, run); err != nil {
			t.Fatal(err)
		}
		run.Status = Succeeded
		if err := r.Save(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := r.Sweep(ctx, SweepOptions{})
	if err != nil || rep != (SweepReport{}) {
		t.Fatalf("sweep over history %+v %v", rep, err)
	}
}

// Presses of Sync once that race all get the one run queued: the losers of
// the conditional write read again and return the winner's run.
func TestQueueManualConcurrentPresses(t *testing.T) {
	r, _ := newFakeRepo(t)
	const presses = 8
	var wg sync.WaitGroup
	ids := make([]string, presses)
	made := make([]bool, presses)
	errs := make([]error, presses)
	for i := range presses {
		wg.Go(func() {
			run, created, err := r.QueueManual(t.Context(), "a", "c", catalog.ImportOrders)
			ids[i], made[i], errs[i] = run.ID, created, err
		})
	}
	wg.Wait()
	created := 0
	for i := range presses {
		if errs[i] != nil {
			t.Fatalf("press %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("press %d got run %s, press 0 got %s", i, ids[i], ids[0])
		}
		if made[i] {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d presses say they queued the run, want 1", created)
	}
}

func TestQueueManualReturnsTheQueuedRun(t *testing.T) {
	r, _ := newFakeRepo(t)
	ctx := context.Background()
	first, created, err := r.QueueManual(ctx, "a", "c", catalog.ImportOrders)
	if err != nil || !created {
		t.Fatal(created, err)
	}
	for i := 0; i < 3; i++ {
		again, created, err := r.QueueManual(ctx, "a", "c", catalog.ImportOrders)
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("second request: %s created=%v %v", again.ID, created, err)
		}
	}
	other, created, err := r.QueueManual(ctx, "a", "c", catalog.ImportProducts)
	if err != nil || !created || other.ID == first.ID {
		t.Fatal("another task shared the queued run")
	}
	first.Status = Running
	if err := r.Save(ctx, first); err != nil {
		t.Fatal(err)
	}
	next, created, err := r.QueueManual(ctx, "a", "c", catalog.ImportOrders)
	if err != nil || !created || next.ID == first.ID {
		t.Fatalf("after start: %s created=%v %v", next.ID, created, err)
	}
}

// A run's first invocation delivered twice finds the lease its other
// delivery keeps renewed and leaves the run to it; Lambda's retry after
// that delivery died finds the lease unrenewed for over half its time and
// takes over. A continuation always takes its run's lease over.
func TestAcquireFirstTellsADuplicateFromARetry(t *testing.T) {
	r, clk := newFakeRepo(t)
	ctx := context.Background()
	const ttl = time.Minute
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_1", ttl); err != nil {
		t.Fatal(err)
	}
	clk.Add(ttl / 3) // as the working delivery renews it
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_1", ttl); err != nil {
		t.Fatal(err)
	}
	var busy *BusyError
	if _, err := r.AcquireFirst(ctx, "a", "c", catalog.ImportOrders, "run_1", ttl); !errors.As(err, &busy) || busy.Holder != "run_1" {
		t.Fatalf("a duplicate delivery took the working run's lease: %v", err)
	}
	clk.Add(ttl/2 + time.Second) // no renewal since: its holder is gone
	if _, err := r.AcquireFirst(ctx, "a", "c", catalog.ImportOrders, "run_1", ttl); err != nil {
		t.Fatalf("the retry after the holder died: %v", err)
	}
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_1", ttl); err != nil {
		t.Fatalf("a continuation: %v", err)
	}
	if _, err := r.AcquireFirst(ctx, "a", "c", catalog.ImportOrders, "run_2", ttl); !errors.As(err, &busy) || busy.Holder != "run_1" {
		t.Fatalf("another run took a live lease: %v", err)
	}
}
