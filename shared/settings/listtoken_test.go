package settings

import (
	"context"
	"fmt"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/store"
)

// refusingPager refuses one list token, as EventBridge refuses an expired
// NextToken with a ValidationException.
type refusingPager struct {
	*pagedScheduler
	refused string
}

func (r *refusingPager) ListPage(ctx context.Context, token string, limit int) ([]string, string, error) {
	if token != "" && token == r.refused {
		return nil, "", fmt.Errorf("list: %w", schedule.ErrInvalidToken)
	}
	return r.pagedScheduler.ListPage(ctx, token, limit)
}

// A list token the Scheduler no longer accepts is dropped, so the walk of
// its list starts over instead of failing every pass, and schedules no
// record wants are deleted again.
func TestRepairDropsARefusedListToken(t *testing.T) {
	sched := &refusingPager{pagedScheduler: newPaged(), refused: "stale"}
	f := newFixtureWith(t, sched)
	ctx := context.Background()
	orphan := schedule.Name("acct", "ch_gone", catalog.ImportOrders)
	in := runs.Input{AccountID: "acct", ChannelID: "ch_gone", Task: catalog.ImportOrders, Trigger: runs.Schedule}
	if err := sched.Put(ctx, schedule.Schedule{Name: orphan, Interval: catalog.Every1h, Enabled: true, Input: in.JSON()}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.PutDoc(ctx, f.st, sweepPK, sweepSK, sweepState{ListToken: "stale"}, store.NoCond); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		f.svc.Repair(ctx)
	}
	if sched.has(orphan) {
		t.Fatal("orphan schedule survives three passes behind a refused list token")
	}
	cur, err := store.GetDoc[sweepState](ctx, f.st, sweepPK, sweepSK)
	if err != nil || cur.Value.ListToken == "stale" {
		t.Fatalf("cursor %+v %v", cur.Value, err)
	}
}
