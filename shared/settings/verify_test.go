package settings

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/schedule"
)

// Repair checks what the Scheduler holds for a wanted, applied record, not
// only that it exists: a schedule left disabled by a stale applier, or
// changed at the console, or delivering to a target a stack update
// replaced, is Put again from the record.
func TestRepairCorrectsScheduleDrift(t *testing.T) {
	cases := []struct {
		name string
		// paused: the channel needs re-authorization, so the record wants
		// the schedule disabled.
		paused bool
		drift  func(s *schedule.Schedule)
	}{
		{"disabled while the channel is active", false, func(s *schedule.Schedule) { s.Enabled = false }},
		{"enabled while the channel is paused", true, func(s *schedule.Schedule) { s.Enabled = true }},
		{"another interval", false, func(s *schedule.Schedule) { s.Interval = catalog.Every1d }},
		{"another input", false, func(s *schedule.Schedule) {
			s.Input = json.RawMessage(`{"account_id":"acct","channel_id":"other","task":"import_orders","trigger":"schedule"}`)
		}},
		{"delivery the adapter reports changed", false, func(s *schedule.Schedule) { s.Drift = "target arn:old" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}}); err != nil {
				t.Fatal(err)
			}
			if c.paused {
				if err := f.svc.NeedsReauth(ctx, "acct", f.shop.ID, "401"); err != nil {
					t.Fatal(err)
				}
			}
			name := schedule.Name("acct", f.shop.ID, catalog.ImportOrders)
			want := f.sched.snapshot()[name]
			drifted := want
			c.drift(&drifted)
			// Straight into the fake, as a stale applier's Put or a
			// console edit lands: no record changes.
			f.sched.mu.Lock()
			f.sched.s[name] = drifted
			f.sched.mu.Unlock()

			rep, err := f.svc.Repair(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := f.sched.snapshot()[name]
			if got.Enabled != want.Enabled || got.Interval != want.Interval || string(got.Input) != string(want.Input) || got.Drift != "" {
				t.Fatalf("after repair enabled=%v interval=%s input=%s drift=%q; want enabled=%v interval=%s input=%s (report %+v)",
					got.Enabled, got.Interval, got.Input, got.Drift, want.Enabled, want.Interval, want.Input, rep)
			}
			if rep.Corrected != 1 {
				t.Fatalf("report %+v, want one corrected", rep)
			}
			// Corrected once: the next pass finds nothing to do.
			if rep, err := f.svc.Repair(ctx); err != nil || rep != (RepairReport{}) {
				t.Fatalf("second repair %+v %v", rep, err)
			}
		})
	}
}
