package runner

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/runs"
)

// A merchant's Sync once waiting behind the account's cap of long runs
// for longer than a queued run may wait is kept alive by its re-queues:
// the sweep leaves it queued, it says why it waits, and it runs once a
// slot frees instead of being closed as never started.
func TestRunWaitingAtTheCapOutlivesTheSweep(t *testing.T) {
	f := newFixture(t, 5)
	const limit = 8
	f.r.AccountCap = limit
	// The fake sleep moves the fake clock: each re-queue is CapDelay later.
	f.r.Sleep = func(_ context.Context, d time.Duration) error { f.clk.Add(d); return nil }
	ctx := context.Background()

	// Eight long runs (first imports of big catalogs) fill the cap; their
	// heartbeats keep their leases while the manual run waits.
	var busy []*runs.Keeper
	for i := range limit {
		l, err := f.r.Runs.Acquire(ctx, "acct", fmt.Sprintf("busy%d", i), catalog.ImportProducts, fmt.Sprintf("run_busy%d", i), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		busy = append(busy, f.r.Runs.Keep(l, time.Minute))
	}
	queued, _, err := f.r.Runs.QueueManual(ctx, "acct", f.ch.ID, catalog.ImportOrders)
	if err != nil {
		t.Fatal(err)
	}
	in := f.input(runs.Manual)
	in.RunID = queued.ID

	start := f.clk.Now()
	lastSweep := start
	for f.clk.Now().Sub(start) < runs.DefaultQueuedFor+5*time.Minute {
		for _, k := range busy {
			if err := k.Renew(ctx); err != nil {
				t.Fatal(err)
			}
		}
		sent := len(f.disp.ins)
		got, err := f.r.Handle(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != runs.Queued || len(f.disp.ins) != sent+1 || f.disp.ins[sent].RunID != queued.ID {
			t.Fatalf("after %s at the cap: run %s (%v), dispatched %+v",
				f.clk.Now().Sub(start), got.Status, got.Error, f.disp.ins[sent:])
		}
		in = f.disp.ins[sent]
		// The repair's sweep runs every few minutes meanwhile.
		if f.clk.Now().Sub(lastSweep) >= time.Minute {
			lastSweep = f.clk.Now()
			if _, err := f.r.Runs.Sweep(ctx, runs.SweepOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}

	stored, err := f.r.Runs.Get(ctx, "acct", queued.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != runs.Queued || stored.Note != capNote(limit) {
		t.Fatalf("waiting run stored as %s, note %q; want queued, %q", stored.Status, stored.Note, capNote(limit))
	}

	// One long run ends: the manual run's next dispatch starts it.
	if err := busy[0].Release(ctx); err != nil {
		t.Fatal(err)
	}
	final, err := f.r.Handle(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if final.ID != queued.ID || final.Status != runs.Succeeded || final.Counts.Created != 5 || final.Note != "" {
		t.Fatalf("the waiting run, a slot free: %+v", final)
	}
	if got, err := f.r.Runs.Get(ctx, "acct", queued.ID); err != nil || got.Status != runs.Succeeded || got.Note != "" {
		t.Fatalf("stored %+v %v", got, err)
	}
}
