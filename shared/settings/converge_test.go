package settings

import (
	"context"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/store"
)

// Repair makes every schedule record agree with its channel's status, both
// ways: an active channel's paused schedule is resumed (a status reset that
// never resumed its tasks, as a restart of make dev did), and a
// needs_reauth channel's running schedule is paused (a crash between the
// status change and its records).
func TestRepairConvergesPausedWithChannelStatus(t *testing.T) {
	ctx := context.Background()
	name := func(f *fixture) string { return schedule.Name("acct", f.shop.ID, catalog.ImportOrders) }
	tests := []struct {
		name       string
		status     channels.Status // the channel's status, changed without touching records
		wantPaused bool
	}{
		{"active channel with paused schedule resumes", channels.Active, false},
		{"needs_reauth channel with running schedule pauses", channels.NeedsReauth, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}, {f.shop.ID, catalog.WriteInventory, false}}); err != nil {
				t.Fatal(err)
			}
			if !tc.wantPaused {
				// Paused the proper way first, so the record is paused and applied.
				if err := f.svc.NeedsReauth(ctx, "acct", f.shop.ID, "token revoked"); err != nil {
					t.Fatal(err)
				}
				if f.sched.snapshot()[name(f)].Enabled {
					t.Fatal("precondition: schedule not paused")
				}
			}
			// The status changes behind the records' back.
			if _, err := f.svc.Channels.SetStatus(ctx, "acct", f.shop.ID, tc.status, "why"); err != nil {
				t.Fatal(err)
			}
			// The local scheduler forgets everything on a restart: repair restores too.
			_ = f.sched.Delete(ctx, name(f))

			rep, err := f.svc.Repair(ctx)
			if err != nil || rep.Converged != 1 {
				t.Fatalf("repair %+v %v, want one record converged", rep, err)
			}
			s, ok := f.sched.snapshot()[name(f)]
			if !ok || s.Enabled == tc.wantPaused {
				t.Fatalf("schedule %+v present=%v, want enabled=%v", s, ok, !tc.wantPaused)
			}
			d, err := store.GetDoc[record](ctx, f.st, schedPKOf(name(f)), name(f))
			if err != nil || d.Value.Paused != tc.wantPaused || d.Value.pending() {
				t.Fatalf("record %+v %v", d.Value, err)
			}
			st := f.state(t, f.shop.ID, catalog.ImportOrders)
			if (st.NextRunAt == nil) != tc.wantPaused || st.Paused != tc.wantPaused {
				t.Fatalf("modal state %+v, want paused=%v", st, tc.wantPaused)
			}
			if tc.wantPaused && st.PausedReason == "" {
				t.Fatal("a paused task must say why")
			}
			// Converged: a second repair changes nothing.
			if rep, err := f.svc.Repair(ctx); err != nil || rep != (RepairReport{}) {
				t.Fatalf("second repair %+v %v", rep, err)
			}
		})
	}
}

// A record whose setting was unticked (or whose channel is gone) while the
// record still wants a schedule is made unwanted, and its schedule deleted.
func TestRepairConvergesWantWithSetting(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}}); err != nil {
		t.Fatal(err)
	}
	name := schedule.Name("acct", f.shop.ID, catalog.ImportOrders)
	if err := f.st.Delete(ctx, store.AccountPK("acct"), settingSK(f.shop.ID, catalog.ImportOrders), store.NoCond); err != nil {
		t.Fatal(err)
	}
	rep, err := f.svc.Repair(ctx)
	if err != nil || rep.Converged != 1 {
		t.Fatalf("repair %+v %v", rep, err)
	}
	if _, ok := f.sched.snapshot()[name]; ok {
		t.Fatal("schedule of an unticked task survived repair")
	}
}
