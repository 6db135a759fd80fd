package settings

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/store/boltstore"
)

// fakeScheduler records calls and fails on demand.
type fakeScheduler struct {
	mu    sync.Mutex
	s     map[string]schedule.Schedule
	calls int
	fail  error
}

func newFake() *fakeScheduler { return &fakeScheduler{s: map[string]schedule.Schedule{}} }

func (f *fakeScheduler) Put(_ context.Context, s schedule.Schedule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return f.fail
	}
	if err := schedule.Validate(s); err != nil {
		return err
	}
	f.s[s.Name] = s
	return nil
}

func (f *fakeScheduler) Delete(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return f.fail
	}
	delete(f.s, name)
	return nil
}

func (f *fakeScheduler) Get(_ context.Context, name string) (schedule.Schedule, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.s[name]
	if !ok {
		return s, schedule.ErrNotFound
	}
	return s, nil
}

func (f *fakeScheduler) List(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	var out []string
	for n := range f.s {
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

func (f *fakeScheduler) setFail(err error) { f.mu.Lock(); f.fail = err; f.mu.Unlock() }
func (f *fakeScheduler) count() int        { f.mu.Lock(); defer f.mu.Unlock(); return f.calls }
func (f *fakeScheduler) snapshot() map[string]schedule.Schedule {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]schedule.Schedule{}
	for k, v := range f.s {
		out[k] = v
	}
	return out
}

type fixture struct {
	svc   *Service
	sched *fakeScheduler
	runs  *runs.Repo
	st    store.Store
	now   time.Time
	shop  channels.Channel
	etsy  channels.Channel
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, newFake())
}

func newFixtureWith(t testing.TB, sched schedule.Scheduler) *fixture {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, _ := seal.NewAESGCM(make([]byte, 32))
	f := &fixture{st: st, now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	f.sched, _ = sched.(*fakeScheduler)
	now := func() time.Time { return f.now }
	chs := &channels.Repo{Store: st, Sealer: sealer, Now: now}
	f.runs = &runs.Repo{Store: st, Now: now}
	f.svc = &Service{Store: st, Channels: chs, Runs: f.runs, Scheduler: sched, Now: now,
		WebhookBaseURL: "https://hooks.example/",
		Log:            slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	// Connected through Shopify's authorization, which stores the app's
	// client secret that Shopify signs webhooks with.
	f.shop, err = chs.Create(ctx, "acct", channels.Channel{Type: catalog.Shopify, Name: "Shop"}, cart.Credentials{"access_token": "x", "client_secret": "shpss_fixture"})
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Second)
	f.etsy, _ = chs.Create(ctx, "acct", channels.Channel{Type: catalog.Etsy, Name: "Etsy"}, cart.Credentials{"k": "x"})
	return f
}

func (f *fixture) state(t *testing.T, ch string, task catalog.Task) TaskState {
	t.Helper()
	st, err := f.svc.TaskState(context.Background(), "acct", ch, task)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestUpdateEnablesAndDisables(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}, {f.shop.ID, catalog.InstasyncOrders, true}})
	if err != nil {
		t.Fatal(err)
	}
	st := f.state(t, f.shop.ID, catalog.ImportOrders)
	if !st.Enabled || st.Indicator != "autosync" || st.Interval != catalog.Every1h || st.NextRunAt == nil {
		t.Fatalf("import_orders state %+v", st)
	}
	if want := f.now.Add(time.Hour); !st.NextRunAt.Equal(want) {
		t.Fatalf("next_run_at %v, want %v", st.NextRunAt, want)
	}
	if st := f.state(t, f.shop.ID, catalog.InstasyncOrders); st.Indicator != "instasync" || st.NextRunAt != nil {
		t.Fatalf("instasync state %+v", st)
	}
	name := schedule.Name("acct", f.shop.ID, catalog.ImportOrders)
	s, ok := f.sched.snapshot()[name]
	if !ok || !s.Enabled || s.Interval != catalog.Every1h {
		t.Fatalf("schedule %+v present=%v", s, ok)
	}
	in, err := runs.ParseInput(s.Input)
	if err != nil || in.AccountID != "acct" || in.ChannelID != f.shop.ID || in.Task != catalog.ImportOrders || in.Trigger != runs.Schedule {
		t.Fatalf("schedule input %s: %v", s.Input, err)
	}
	if len(f.sched.snapshot()) != 1 {
		t.Fatalf("instasync must not create a schedule: %v", f.sched.snapshot())
	}

	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, false}}); err != nil {
		t.Fatal(err)
	}
	if st := f.state(t, f.shop.ID, catalog.ImportOrders); st.Enabled || st.Indicator != "none" || st.NextRunAt != nil {
		t.Fatalf("after disable %+v", st)
	}
	if len(f.sched.snapshot()) != 0 {
		t.Fatalf("schedule left after disable: %v", f.sched.snapshot())
	}
}

func TestSchedulerCallsPerUpdate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	all := []Change{{f.shop.ID, catalog.ImportOrders, true}, {f.shop.ID, catalog.WriteInventory, true}, {f.shop.ID, catalog.ImportProducts, false}}
	if _, err := f.svc.Update(ctx, "acct", all); err != nil {
		t.Fatal(err)
	}
	if got := f.sched.count(); got != 2 {
		t.Fatalf("first update: %d scheduler calls, want 2 (one per changed task)", got)
	}
	if _, err := f.svc.Update(ctx, "acct", all); err != nil {
		t.Fatal(err)
	}
	if got := f.sched.count(); got != 2 {
		t.Fatalf("no-op update made %d more scheduler calls", got-2)
	}
	all[0].Enabled = false
	if _, err := f.svc.Update(ctx, "acct", all); err != nil {
		t.Fatal(err)
	}
	if got := f.sched.count(); got != 3 {
		t.Fatalf("one change: %d calls total, want 3", got)
	}
}

func TestUpdateAllOrNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.svc.Update(ctx, "acct", []Change{
		{f.shop.ID, catalog.ImportOrders, true},              // fine
		{f.etsy.ID, catalog.ImportProducts, true},            // once only on Etsy
		{"ch_nope", catalog.ImportOrders, true},              // unknown channel
		{f.shop.ID, catalog.Task("import_everything"), true}, // unknown task
		{f.shop.ID, catalog.ImportFBAOrders, true},           // not offered
		{f.shop.ID, catalog.ImportOrders, false},             // duplicate
	})
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v, want *InvalidError", err)
	}
	if len(inv.Problems) != 5 {
		t.Fatalf("problems %+v, want 5", inv.Problems)
	}
	for _, p := range inv.Problems {
		if p.Message == "" || p.Index == 0 {
			t.Errorf("problem %+v", p)
		}
	}
	if f.sched.count() != 0 || f.state(t, f.shop.ID, catalog.ImportOrders).Enabled {
		t.Fatal("a refused update changed something")
	}
}

func TestConvergesAfterSchedulerErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.sched.setFail(errors.New("ThrottlingException"))
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}, {f.shop.ID, catalog.WriteInventory, true}}); err != nil {
		t.Fatalf("a Scheduler outage must not fail the save: %v", err)
	}
	if st := f.state(t, f.shop.ID, catalog.ImportOrders); !st.Enabled || st.NextRunAt != nil {
		t.Fatalf("pending task should be enabled without next_run_at: %+v", st)
	}
	if _, err := f.svc.Repair(ctx); err == nil {
		t.Fatal("repair during the outage should report failure")
	}
	f.sched.setFail(nil)
	rep, err := f.svc.Repair(ctx)
	if err != nil || rep.Applied != 2 {
		t.Fatalf("repair %+v %v", rep, err)
	}
	if len(f.sched.snapshot()) != 2 || f.state(t, f.shop.ID, catalog.ImportOrders).NextRunAt == nil {
		t.Fatalf("not converged: %v", f.sched.snapshot())
	}
	// Disable during an outage, then repair: the schedule goes.
	f.sched.setFail(errors.New("503"))
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.WriteInventory, false}}); err != nil {
		t.Fatal(err)
	}
	f.sched.setFail(nil)
	if _, err := f.svc.Repair(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.sched.snapshot()[schedule.Name("acct", f.shop.ID, catalog.WriteInventory)]; ok || len(f.sched.snapshot()) != 1 {
		t.Fatalf("disabled schedule survived: %v", f.sched.snapshot())
	}
}

// A crash between the settings transaction and the Scheduler call leaves a
// pending record; repair creates the schedule. A schedule that vanished
// from the Scheduler is restored, and one no record wants is deleted.
func TestRepairAfterCrashAndDrift(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Simulate the crash: write what Update writes, skip the apply.
	set := setting{Enabled: true, UpdatedAt: f.now}
	op, name, err := f.svc.recordOp(ctx, f.shop, catalog.ImportOrders, set)
	if err != nil {
		t.Fatal(err)
	}
	it, _ := store.NewDoc(store.AccountPK("acct"), settingSK(f.shop.ID, catalog.ImportOrders), set, time.Time{})
	if err := f.st.Transact(ctx, append([]store.Op{store.Put(it, store.MustBeNew)}, op...)); err != nil {
		t.Fatal(err)
	}
	if len(f.sched.snapshot()) != 0 {
		t.Fatal("precondition")
	}
	if rep, err := f.svc.Repair(ctx); err != nil || rep.Applied != 1 {
		t.Fatalf("repair %+v %v", rep, err)
	}
	if _, ok := f.sched.snapshot()[name]; !ok {
		t.Fatal("repair did not create the schedule")
	}
	// Drift: someone deleted it by hand, and an orphan appeared.
	_ = f.sched.Delete(ctx, name)
	orphan := schedule.Schedule{Name: "as.ghost.ch_x.import_orders", Interval: catalog.Every1h, Enabled: true, Input: []byte(`{}`)}
	_ = f.sched.Put(ctx, orphan)
	rep, err := f.svc.Repair(ctx)
	if err != nil || rep.Restored != 1 || rep.Orphans != 1 {
		t.Fatalf("repair %+v %v", rep, err)
	}
	got := f.sched.snapshot()
	if _, ok := got[name]; !ok || len(got) != 1 {
		t.Fatalf("after repair: %v", got)
	}
	// Converged: another repair does nothing.
	before := f.sched.count()
	if rep, err := f.svc.Repair(ctx); err != nil || rep != (RepairReport{}) {
		t.Fatalf("second repair %+v %v", rep, err)
	}
	if f.sched.count() != before {
		t.Fatal("converged repair called the Scheduler beyond List")
	}
}

func TestReauthPausesAndResumes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}}); err != nil {
		t.Fatal(err)
	}
	name := schedule.Name("acct", f.shop.ID, catalog.ImportOrders)
	if err := f.svc.NeedsReauth(ctx, "acct", f.shop.ID, "token revoked"); err != nil {
		t.Fatal(err)
	}
	if s := f.sched.snapshot()[name]; s.Enabled {
		t.Fatal("schedule not paused")
	}
	st := f.state(t, f.shop.ID, catalog.ImportOrders)
	if !st.Enabled || st.NextRunAt != nil {
		t.Fatalf("paused task should stay ticked with no next run: %+v", st)
	}
	if _, err := f.svc.Channels.UpdateCredentials(ctx, "acct", f.shop.ID, cart.Credentials{"access_token": "new"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetChannelActive(ctx, "acct", f.shop.ID); err != nil {
		t.Fatal(err)
	}
	if s := f.sched.snapshot()[name]; !s.Enabled {
		t.Fatal("schedule not resumed")
	}
}

func TestSetInterval(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetInterval(ctx, "acct", f.shop.ID, catalog.ImportProducts, catalog.Every10m); !errors.Is(err, ErrIntervalNotAllowed) {
		t.Fatalf("10m for import_products: %v", err)
	}
	st, err := f.svc.SetInterval(ctx, "acct", f.shop.ID, catalog.ImportOrders, catalog.Every6h)
	if err != nil || st.Interval != catalog.Every6h {
		t.Fatalf("%+v %v", st, err)
	}
	if s := f.sched.snapshot()[schedule.Name("acct", f.shop.ID, catalog.ImportOrders)]; s.Interval != catalog.Every6h {
		t.Fatalf("schedule interval %s", s.Interval)
	}
	// Record runs of 30 minutes: 10m must be refused, 1h allowed (30m ≤ 1h/2).
	for i := 0; i < 5; i++ {
		run := f.runs.NewRun("acct", f.shop.ID, catalog.ImportOrders, runs.Schedule, runs.Succeeded)
		start, end := f.now, f.now.Add(30*time.Minute)
		run.StartedAt, run.FinishedAt = &start, &end
		if err := f.runs.Create(ctx, run); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Millisecond)
	}
	_, err = f.svc.SetInterval(ctx, "acct", f.shop.ID, catalog.ImportOrders, catalog.Every10m)
	var ge *GuardError
	if !errors.Is(err, ErrTooSlow) || !errors.As(err, &ge) || ge.Message == "" {
		t.Fatalf("10m with 30m runs: %v", err)
	}
	if _, err := f.svc.SetInterval(ctx, "acct", f.shop.ID, catalog.ImportOrders, catalog.Every1h); err != nil {
		t.Fatalf("1h with 30m runs: %v", err)
	}
	if _, err := f.svc.SetInterval(ctx, "acct", "ch_missing", catalog.ImportOrders, catalog.Every1h); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing channel: %v", err)
	}
}

func TestRemoveChannel(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}, {f.shop.ID, catalog.WriteInventory, true}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RemoveChannel(ctx, "acct", f.shop.ID); err != nil {
		t.Fatal(err)
	}
	if len(f.sched.snapshot()) != 0 {
		t.Fatalf("schedules left: %v", f.sched.snapshot())
	}
	if _, err := f.svc.Channels.Get(ctx, "acct", f.shop.ID); !errors.Is(err, channels.ErrNotFound) {
		t.Fatalf("channel still there: %v", err)
	}
	if rep, err := f.svc.Repair(ctx); err != nil || rep != (RepairReport{}) {
		t.Fatalf("repair after removal %+v %v", rep, err)
	}
}

// interleavedScheduler runs a function once, inside the first Delete,
// before the Delete takes effect: a slow applier overtaken by a newer one.
type interleavedScheduler struct {
	*fakeScheduler
	once      sync.Once
	meanwhile func()
}

func (s *interleavedScheduler) Delete(ctx context.Context, name string) error {
	s.once.Do(s.meanwhile)
	return s.fakeScheduler.Delete(ctx, name)
}

// TestStaleApplierDoesNotClobber: a disable whose Scheduler call lands
// after a later enable has been applied must not leave the merchant's
// enabled task without a schedule.
func TestStaleApplierDoesNotClobber(t *testing.T) {
	sched := &interleavedScheduler{fakeScheduler: newFake()}
	f := newFixtureWith(t, sched)
	f.sched = sched.fakeScheduler
	ctx := context.Background()
	on := []Change{{f.shop.ID, catalog.ImportOrders, true}}
	off := []Change{{f.shop.ID, catalog.ImportOrders, false}}
	sched.meanwhile = func() {
		if _, err := f.svc.Update(ctx, "acct", on); err != nil {
			t.Error(err)
		}
	}
	for _, c := range [][]Change{on, off} {
		if _, err := f.svc.Update(ctx, "acct", c); err != nil {
			t.Fatal(err)
		}
	}
	name := schedule.Name("acct", f.shop.ID, catalog.ImportOrders)
	st := f.state(t, f.shop.ID, catalog.ImportOrders)
	s, ok := f.sched.snapshot()[name]
	if !st.Enabled || st.NextRunAt == nil || !ok || !s.Enabled {
		t.Fatalf("task %+v, schedule %+v (present %v)", st, s, ok)
	}
	// Off and on again reuses the record: its generation keeps climbing.
	for _, c := range [][]Change{off, on} {
		if _, err := f.svc.Update(ctx, "acct", c); err != nil {
			t.Fatal(err)
		}
	}
	d, err := store.GetDoc[record](ctx, f.st, schedPKOf(name), name)
	if err != nil || d.Value.Gen != 5 || d.Value.pending() || !d.Value.Want {
		t.Fatalf("record %+v: %v", d.Value, err)
	}
	if _, ok := f.sched.snapshot()[name]; !ok {
		t.Fatal("schedule missing after off and on")
	}
}
