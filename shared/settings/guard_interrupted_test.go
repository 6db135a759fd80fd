package settings

import (
	"context"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/runs"
)

// An interrupted run's duration measures a crash (it ends when the sweep
// closes it), not the task's work: the interval guard leaves it out.
func TestIntervalGuardIgnoresInterruptedRuns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}}); err != nil {
		t.Fatal(err)
	}
	for i, status := range []runs.Status{runs.Succeeded, runs.Interrupted, runs.Interrupted, runs.Succeeded} {
		run := f.runs.NewRun("acct", f.shop.ID, catalog.ImportOrders, runs.Schedule, status)
		d := 2 * time.Minute
		if status == runs.Interrupted {
			d = 40 * time.Minute
		}
		start, end := f.now, f.now.Add(d)
		run.StartedAt, run.FinishedAt = &start, &end
		if err := f.runs.Create(ctx, run); err != nil {
			t.Fatal(i, err)
		}
		f.now = f.now.Add(time.Millisecond)
	}
	if _, err := f.svc.SetInterval(ctx, "acct", f.shop.ID, catalog.ImportOrders, catalog.Every10m); err != nil {
		t.Fatalf("10m with 2-minute runs and two crashed ones: %v", err)
	}
}
