package httpapi_test

import (
	"context"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/runs"
)

// startRun marks a queued run running, as the executor does when it takes it.
func (e *env) startRun(account, runID string) {
	e.tb.Helper()
	ctx := context.Background()
	r, err := e.app.Runs.Get(ctx, account, runID)
	if err != nil {
		e.tb.Fatal(err)
	}
	r.Status = runs.Running
	if err := e.app.Runs.Save(ctx, r); err != nil {
		e.tb.Fatal(err)
	}
}

// Finding 9: Sync once for a task that already has a run queued answers
// that run (same id) and queues nothing more, so one account pressing it
// thousands of times builds no backlog ahead of other accounts.
func TestManualRunReturnsTheQueuedOne(t *testing.T) {
	e := newEnv(t)
	a1, a2 := e.newChannel(acctA, "one"), e.newChannel(acctA, "two")
	first := e.runOnce(acctA, runEntry{a1, catalog.ImportOrders})[0]
	for i := 0; i < 50; i++ {
		got := e.runOnce(acctA, runEntry{a1, catalog.ImportOrders}, runEntry{a2, catalog.ImportOrders})
		if got[0].ID != first.ID || got[0].Status != "queued" {
			t.Fatalf("request %d answered run %s (%s), want the queued %s", i, got[0].ID, got[0].Status, first.ID)
		}
	}
	ins := e.disp.inputs()
	if len(ins) != 2 || ins[0].RunID != first.ID {
		t.Fatalf("%d runs dispatched, want 2 (one per task): %+v", len(ins), ins)
	}
	list, _, err := e.app.Runs.List(context.Background(), acctA, runs.Filter{Limit: 100})
	if err != nil || len(list) != 2 {
		t.Fatalf("%d runs recorded, want 2 (%v)", len(list), err)
	}
	// Once the executor has taken it, Sync once queues a new run.
	e.startRun(acctA, first.ID)
	next := e.runOnce(acctA, runEntry{a1, catalog.ImportOrders})[0]
	if next.ID == first.ID || next.Status != "queued" || len(e.disp.inputs()) != 3 {
		t.Fatalf("after start: %+v, %d dispatched", next, len(e.disp.inputs()))
	}
}
