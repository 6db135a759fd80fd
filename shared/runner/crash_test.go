package runner

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/runs"
)

// manualTicks makes the heartbeat tick only when the test says so.
func (f *fixture) manualTicks() chan time.Time {
	ch := make(chan time.Time)
	f.r.Ticker = func(time.Duration) (<-chan time.Time, func()) { return ch, func() {} }
	return ch
}

// blockPage makes the cart's call-th page wait until the returned func is
// called; entered is closed when the page is reached.
func (f *fixture) blockPage(call int) (entered chan struct{}, release func()) {
	entered, gate := make(chan struct{}), make(chan struct{})
	f.cart.hook = func(ctx context.Context, c int) error {
		if c == call {
			close(entered)
			<-gate
		}
		return nil
	}
	return entered, func() { close(gate) }
}

// Findings 1 and 2: a run whose worker died (here: frozen, its heartbeat
// silent) blocks its task only for the short lease; the next run takes over,
// closes the dead one as interrupted and resumes from its checkpoint.
func TestDeadRunIsInterruptedAndItsTaskFreeWithinALease(t *testing.T) {
	f := newFixture(t, 30)
	f.r.LeaseTTL = time.Minute
	f.manualTicks() // never ticks: the worker is dead
	entered, release := f.blockPage(3)
	// Each page takes a commit interval of work, so each is committed.
	f.r.CommitEvery = 10 * time.Second
	block := f.cart.hook
	f.cart.hook = func(ctx context.Context, c int) error { f.clk.Add(f.r.CommitEvery); return block(ctx, c) }
	ctx := context.Background()
	frozen := make(chan runs.Run)
	go func() {
		run, err := f.r.Handle(ctx, f.input(runs.Schedule))
		if err != nil {
			t.Error(err)
		}
		frozen <- run
	}()
	<-entered
	f.cart.hook = nil
	f.clk.Add(30 * time.Second)
	if early, _ := f.r.Handle(ctx, f.input(runs.Manual)); early.Status != runs.Skipped {
		t.Fatalf("within the lease: %s", early.Status)
	}
	f.clk.Add(31 * time.Second) // a minute without a renewal
	next, err := f.r.Handle(ctx, f.input(runs.Manual))
	if err != nil {
		t.Fatal(err)
	}
	if next.Status != runs.Succeeded {
		t.Fatalf("a minute after the crash the task is still blocked: %s/%s", next.Status, next.SkipReason)
	}
	list, _, _ := f.r.Runs.List(ctx, "acct", runs.Filter{Task: catalog.ImportOrders, Limit: 10})
	dead := list[len(list)-1]
	if dead.Status != runs.Interrupted || dead.Error == nil || dead.Error.Message != runs.MsgInterrupted {
		t.Fatalf("dead run left as %+v", dead)
	}
	// It resumed from the dead run's checkpoint (two pages of 7 were
	// committed): it fetched only what was left.
	if next.Counts.Fetched != 30-14 || next.Counts.Created != 16 {
		t.Fatalf("next run did not resume from the checkpoint: %+v", next.Counts)
	}
	// The frozen worker wakes: it can write nothing and stays interrupted.
	release()
	if zombie := <-frozen; zombie.Status != runs.Interrupted {
		t.Fatalf("woken run %s", zombie.Status)
	}
	if n := f.countOrders(t); n != 30 {
		t.Fatalf("%d orders, want 30", n)
	}
	if len(f.disp.ins) != 0 {
		t.Fatalf("the dead run dispatched %+v", f.disp.ins)
	}
}

// A live run longer than its lease keeps it through the heartbeat.
func TestHeartbeatKeepsALongRunsLease(t *testing.T) {
	f := newFixture(t, 30)
	f.r.LeaseTTL = time.Minute
	ticks := f.manualTicks()
	entered, release := f.blockPage(2)
	ctx := context.Background()
	done := make(chan runs.Run)
	go func() {
		run, _ := f.r.Handle(ctx, f.input(runs.Schedule))
		done <- run
	}()
	<-entered
	for i := 0; i < 6; i++ { // four minutes on a one-minute lease
		f.clk.Add(40 * time.Second)
		ticks <- f.clk.Now()
		ticks <- f.clk.Now() // returns once the previous renewal is done
	}
	if other, _ := f.r.Handle(ctx, f.input(runs.Manual)); other.Status != runs.Skipped || other.SkipReason != runs.SkipAlreadyRunning {
		t.Fatalf("a live run's task was taken: %s", other.Status)
	}
	release()
	if run := <-done; run.Status != runs.Succeeded || run.Counts.Created != 30 {
		t.Fatalf("long run %+v", run)
	}
}

// A heartbeat that finds the token moved on stops the run: no more pages,
// no continuation, the run closed as interrupted. Whether the run was
// stored (its first page committed: the sweep finds it) or not yet (its
// record rides in its lease: the next run to take the lease closes it).
func TestLostLeaseStopsTheRun(t *testing.T) {
	for _, stored := range []bool{true, false} {
		t.Run(fmt.Sprintf("stored=%v", stored), func(t *testing.T) {
			f := newFixture(t, 30)
			f.r.LeaseTTL = time.Minute
			lostLeaseStopsTheRun(t, f, stored)
		})
	}
}

func lostLeaseStopsTheRun(t *testing.T, f *fixture, stored bool) {
	ticks := f.manualTicks()
	entered, release := f.blockPage(2)
	if stored { // the first page takes a commit interval of work: committed
		block := f.cart.hook
		f.cart.hook = func(ctx context.Context, c int) error { f.clk.Add(f.r.CommitEvery); return block(ctx, c) }
	}
	ctx := context.Background()
	done := make(chan runs.Run)
	go func() {
		run, _ := f.r.Handle(ctx, f.input(runs.Schedule))
		done <- run
	}()
	<-entered
	f.clk.Add(2 * time.Minute) // stalled past its lease
	if stored {
		if rep, err := f.r.Runs.Sweep(ctx, runs.SweepOptions{}); err != nil || rep.Interrupted != 1 {
			t.Fatalf("sweep %+v, %v", rep, err)
		}
	} else if _, err := f.r.Runs.Acquire(ctx, "acct", f.ch.ID, catalog.ImportOrders, "run_next", time.Minute); err != nil {
		t.Fatal(err)
	}
	ticks <- f.clk.Now()
	release()
	run := <-done
	if run.Status != runs.Interrupted || len(f.disp.ins) != 0 {
		t.Fatalf("stalled run %+v, dispatched %+v", run, f.disp.ins)
	}
	if f.cart.calls > 3 {
		t.Fatalf("the run kept reading after losing its lease: %d cart calls", f.cart.calls)
	}
}

// Finding 9 (AWS side): over the account's cap a run stays queued and is
// dispatched again, the same run, after the delay.
func TestAccountCapRequeues(t *testing.T) {
	f := newFixture(t, 5)
	f.r.AccountCap = 1
	var slept []time.Duration
	f.r.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	ctx := context.Background()
	busy, err := f.r.Runs.Acquire(ctx, "acct", f.ch.ID, catalog.WriteInventory, "run_busy", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	run, err := f.r.Handle(ctx, f.input(runs.Manual))
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != runs.Queued || len(f.disp.ins) != 1 || f.disp.ins[0].RunID != run.ID || len(slept) != 1 {
		t.Fatalf("over the cap: %s, dispatched %+v, slept %v", run.Status, f.disp.ins, slept)
	}
	// It is stored queued and indexed, so a lost requeue is closed by the sweep.
	if got, err := f.r.Runs.Get(ctx, "acct", run.ID); err != nil || got.Status != runs.Queued {
		t.Fatalf("stored run over the cap %+v %v", got, err)
	}
	if rep, err := f.r.Runs.Sweep(ctx, runs.SweepOptions{}); err != nil || rep.Live != 1 {
		t.Fatalf("sweep: %+v %v, want the queued run live", rep, err)
	}
	// Another account is not held back by this one.
	other, err := f.r.Channels.Create(ctx, "acct2", channels.Channel{Type: catalog.Shopify, Name: "S2"}, cart.Credentials{"access_token": "t"})
	if err != nil {
		t.Fatal(err)
	}
	if r2, _ := f.r.Handle(ctx, runs.Input{AccountID: "acct2", ChannelID: other.ID, Task: catalog.ImportOrders, Trigger: runs.Manual}); r2.Status != runs.Succeeded {
		t.Fatalf("other account's run %s", r2.Status)
	}
	if err := f.r.Runs.Release(ctx, busy); err != nil {
		t.Fatal(err)
	}
	final, err := f.r.Handle(ctx, f.disp.ins[0])
	if err != nil {
		t.Fatal(err)
	}
	if final.ID != run.ID || final.Status != runs.Succeeded || final.Counts.Created != 5 {
		t.Fatalf("requeued run %+v", final)
	}
}

// An invocation for a run the sweep already closed (a queued run that
// never started, whose invocation comes late) does nothing and is no
// error: Lambda would retry an error for nothing.
func TestLateInvocationOfAClosedRun(t *testing.T) {
	f := newFixture(t, 5)
	ctx := context.Background()
	run, _, err := f.r.Runs.QueueManual(ctx, "acct", f.ch.ID, catalog.ImportOrders)
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Hour)
	if rep, err := f.r.Runs.Sweep(ctx, runs.SweepOptions{}); err != nil || rep.Expired != 1 {
		t.Fatalf("sweep %+v %v", rep, err)
	}
	in := f.input(runs.Manual)
	in.RunID = run.ID
	got, err := f.r.Handle(ctx, in)
	if err != nil || got.Status != runs.Interrupted || f.countOrders(t) != 0 {
		t.Fatalf("late invocation: %s %v, %d orders", got.Status, err, f.countOrders(t))
	}
}
