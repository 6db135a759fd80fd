package runs

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/clock"
	"github.com/autosync/autosync/shared/store/boltstore"
)

func newRepo(t *testing.T) *Repo {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Repo{Store: st, Now: time.Now}
}

func TestLeaseFencing(t *testing.T) {
	r := newRepo(t)
	ctx := context.Background()
	l1, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var busy *BusyError
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_2", time.Minute); !errors.As(err, &busy) || busy.Holder != "run_1" {
		t.Fatalf("second run: %v", err)
	}
	// Another task of the same channel is independent.
	if _, err := r.Acquire(ctx, "a", "c", catalog.WriteInventory, "run_3", time.Minute); err != nil {
		t.Fatalf("other task: %v", err)
	}
	run := r.NewRun("a", "c", catalog.ImportOrders, Schedule, Running)
	l1, err = r.Commit(ctx, l1, time.Minute, Checkpoint{State: map[string]string{"k": "1"}}, run)
	if err != nil {
		t.Fatal(err)
	}
	// The same run (a continuation) takes its own lease over.
	l1b, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_1", time.Minute)
	if err != nil {
		t.Fatalf("continuation: %v", err)
	}
	// The stale holder of the old token can write nothing.
	if _, err := r.Commit(ctx, l1, time.Minute, Checkpoint{State: map[string]string{"k": "stale"}}, run); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("stale commit: %v", err)
	}
	cp, _ := r.Checkpoint(ctx, "a", "c", catalog.ImportOrders)
	if cp.State["k"] != "1" {
		t.Fatalf("stale commit changed the checkpoint: %v", cp.State)
	}
	if err := r.Release(ctx, l1); err != nil { // stale release is a no-op
		t.Fatal(err)
	}
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_2", time.Minute); !errors.As(err, &busy) {
		t.Fatal("a stale release freed the lease")
	}
	if err := r.Release(ctx, l1b); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_2", time.Minute); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestExpiredLeaseIsFree(t *testing.T) {
	r := newRepo(t)
	clk := clock.NewFake(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	r.Now = clk.Now
	ctx := context.Background()
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "crashed", time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute - time.Millisecond)
	var busy *BusyError
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "next", time.Minute); !errors.As(err, &busy) {
		t.Fatalf("a lease a millisecond before it expires: %v; want *BusyError", err)
	}
	clk.Add(time.Millisecond)
	if _, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "next", time.Minute); err != nil {
		t.Fatalf("expired lease not freed: %v", err)
	}
}

func TestListAndLastRuns(t *testing.T) {
	r := newRepo(t)
	clk := clock.NewFake(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	r.Now = clk.Now
	ctx := context.Background()
	var ids []string
	for i := 0; i < 30; i++ {
		task := catalog.ImportOrders
		if i%3 == 0 {
			task = catalog.WriteInventory
		}
		run := r.NewRun("a", "c", task, Manual, Queued)
		if err := r.Create(ctx, run); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.ID)
		clk.Add(time.Millisecond) // distinct millisecond ids, so order is by time
	}
	if err := r.Create(ctx, r.NewRun("b", "c", catalog.ImportOrders, Manual, Queued)); err != nil {
		t.Fatal(err)
	}
	seen, cursor := 0, ""
	prev := "~"
	for {
		page, next, err := r.List(ctx, "a", Filter{Task: catalog.ImportOrders, Limit: 7, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, run := range page {
			if run.Task != catalog.ImportOrders || run.ID >= prev {
				t.Fatalf("run %s (%s) out of order or filter", run.ID, run.Task)
			}
			prev = run.ID
			seen++
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if seen != 20 {
		t.Fatalf("listed %d import_orders runs, want 20", seen)
	}
	last, err := r.LastRuns(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if last["c"][catalog.ImportOrders].ID != ids[29] || last["c"][catalog.WriteInventory].ID != ids[27] {
		t.Fatalf("last runs %v", last)
	}
	if _, err := r.Get(ctx, "b", ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatal("another account's run was readable")
	}
}

func TestParseInput(t *testing.T) {
	for _, good := range []string{`{"account_id":"a","channel_id":"c","task":"import_orders","trigger":"schedule"}`,
		`{"action":"verify_channel","account_id":"a","channel_id":"c"}`} {
		if _, err := ParseInput([]byte(good)); err != nil {
			t.Fatalf("%s: %v", good, err)
		}
	}
	for _, bad := range []string{``, `[]`, `{"action":"x"}`, `{"account_id":"a","channel_id":"c","task":"import_orders"}`,
		`{"action":"verify_channel","account_id":"a"}`, `{"action":"verify_channel","channel_id":"c"}`,
		`{"action":"verify_channel","account_id":"a","channel_id":"c","task":"import_orders"}`,
		`{"account_id":"a","channel_id":"c","task":"nope","trigger":"manual"}`} {
		if _, err := ParseInput([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func FuzzParseInput(f *testing.F) {
	f.Add([]byte(`{"account_id":"a","channel_id":"c","task":"import_orders","trigger":"continuation","run_id":"run_1"}`))
	f.Add([]byte(`{"action":"repair_schedules"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := ParseInput(b)
		if err == nil && (in.Action == ActionRun || in.Action == ActionVerifyChannel) && (in.AccountID == "" || in.ChannelID == "") {
			t.Fatalf("accepted %s", b)
		}
	})
}

// A released lease keeps its token climbing: a stalled run whose token
// predates the release cannot match a later holder's.
func TestReleaseKeepsFencing(t *testing.T) {
	r := newRepo(t)
	ctx := context.Background()
	a, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Release(ctx, a); err != nil {
		t.Fatal(err)
	}
	b, err := r.Acquire(ctx, "a", "c", catalog.ImportOrders, "run_b", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if b.Token <= a.Token {
		t.Fatalf("token went from %d to %d", a.Token, b.Token)
	}
	if _, err := r.Commit(ctx, a, time.Minute, Checkpoint{}, r.NewRun("a", "c", catalog.ImportOrders, Schedule, Running)); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("zombie commit: %v", err)
	}
}
