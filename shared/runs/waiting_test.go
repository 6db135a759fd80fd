package runs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/store"
)

// A run waiting at the account's cap is re-queued again and again: the
// sweep judges a queued run by the later of its creation and its last
// recorded re-queue, so only a run whose re-queues stopped is closed.
func TestSweepJudgesQueuedRunByLastRequeue(t *testing.T) {
	const queuedFor = 15 * time.Minute
	for _, tc := range []struct {
		name string
		age  time.Duration // since CreatedAt, at the sweep
		// requeued is how long before the sweep its last re-queue was
		// recorded (0: never re-queued).
		requeued time.Duration
		live     bool
	}{
		{"fresh", time.Minute, 0, true},
		{"never started", queuedFor + time.Second, 0, false},
		{"waiting at the cap", 2 * time.Hour, 4 * time.Minute, true},
		{"re-queued just within the limit", time.Hour, queuedFor - time.Second, true},
		{"re-queues stopped", 2 * time.Hour, queuedFor + time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, c := newFakeRepo(t)
			ctx := context.Background()
			run := r.NewRun("a", "c", catalog.ImportOrders, Manual, Queued)
			if err := r.Create(ctx, run); err != nil {
				t.Fatal(err)
			}
			if tc.requeued > 0 {
				c.Add(tc.age - tc.requeued)
				at := c.Now().UTC()
				run.RequeuedAt = &at
				if err := r.Save(ctx, run); err != nil {
					t.Fatal(err)
				}
				c.Add(tc.requeued)
			} else {
				c.Add(tc.age)
			}
			rep, err := r.Sweep(ctx, SweepOptions{QueuedFor: queuedFor})
			if err != nil {
				t.Fatal(err)
			}
			if tc.live {
				if rep.Live != 1 || rep.Expired != 0 {
					t.Fatalf("sweep %+v, want the waiting run live", rep)
				}
				mustStatus(t, r, "a", run.ID, Queued)
				return
			}
			if rep.Expired != 1 {
				t.Fatalf("sweep %+v, want the run closed as never started", rep)
			}
			if got := mustStatus(t, r, "a", run.ID, Interrupted); got.Error == nil || got.Error.Message != MsgNeverStarted {
				t.Fatalf("closed run %+v", got)
			}
		})
	}
}

// A run re-queued every few seconds records it every RequeueRefresh, not
// on every re-queue, and records the note at once when it changes.
func TestMarkWaitingWritesRarely(t *testing.T) {
	r, c := newFakeRepo(t)
	ctx := context.Background()
	run := r.NewRun("a", "c", catalog.ImportOrders, Manual, Queued)
	if err := r.Create(ctx, run); err != nil {
		t.Fatal(err)
	}
	version := func() int64 {
		t.Helper()
		it, err := r.Store.Get(ctx, store.AccountPK("a"), runSK(run.ID))
		if err != nil {
			t.Fatal(err)
		}
		return it.Version
	}
	const note = "Waiting."
	writes, v := 0, version()
	var firstMark, lastMark time.Time
	for elapsed := time.Duration(0); elapsed <= 3*RequeueRefresh; elapsed += 10 * time.Second {
		// Each re-queue reads the run anew, as the executor does.
		got, err := r.Get(ctx, "a", run.ID)
		if err != nil {
			t.Fatal(err)
		}
		marked, err := r.MarkWaiting(ctx, got, note)
		if err != nil {
			t.Fatal(err)
		}
		if marked.Note != note || marked.Status != Queued {
			t.Fatalf("marked %+v", marked)
		}
		if nv := version(); nv != v {
			writes, v = writes+1, nv
			lastMark = c.Now().UTC()
			if firstMark.IsZero() {
				firstMark = lastMark
			}
		}
		c.Add(10 * time.Second)
	}
	// The note's first write, then one every RequeueRefresh: 4 writes for
	// 91 re-queues.
	if writes != 4 || !firstMark.Equal(run.CreatedAt) {
		t.Fatalf("%d writes over %s of re-queues (first at %s, created %s), want 4",
			writes, 3*RequeueRefresh, firstMark, run.CreatedAt)
	}
	got := mustStatus(t, r, "a", run.ID, Queued)
	if got.Note != note || got.RequeuedAt == nil || !got.RequeuedAt.Equal(lastMark) {
		t.Fatalf("stored %+v, want note %q re-queued at %s", got, note, lastMark)
	}
	// A changed note is written at once.
	if _, err := r.MarkWaiting(ctx, got, "Waiting longer."); err != nil || version() == v {
		t.Fatalf("changed note not written: %v", err)
	}
}

// racingStore starts the run (as another invocation would) right after
// the mark reads it, once.
type racingStore struct {
	store.Store
	repo *Repo
	race func(run Run) Run
	done bool
}

func (s *racingStore) Get(ctx context.Context, pk, sk string) (store.Item, error) {
	it, err := s.Store.Get(ctx, pk, sk)
	if err == nil && !s.done && s.race != nil {
		s.done = true
		run, derr := store.Decode[Run](it)
		if derr != nil {
			return it, derr
		}
		run.AccountID = "a"
		if serr := s.repo.Save(ctx, s.race(run)); serr != nil {
			return it, serr
		}
	}
	return it, err
}

// A mark never overwrites a run that started or ended, whether it did so
// before the caller read it or between the mark's read and its write.
func TestMarkWaitingKeepsAStartedOrFinishedRun(t *testing.T) {
	now := time.Now().UTC()
	for _, tc := range []struct {
		name string
		move func(Run) Run
	}{
		{"started", func(run Run) Run { run.Status, run.StartedAt, run.Invocations = Running, &now, 1; return run }},
		{"succeeded", func(run Run) Run { run.Status, run.StartedAt, run.FinishedAt = Succeeded, &now, &now; return run }},
		{"closed by the sweep", func(run Run) Run {
			run.Status, run.FinishedAt = Interrupted, &now
			run.Error = &RunError{Class: ClassInterrupted, Message: MsgNeverStarted}
			return run
		}},
	} {
		for _, racing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/racing=%v", tc.name, racing), func(t *testing.T) {
				r, _ := newFakeRepo(t)
				ctx := context.Background()
				run := r.NewRun("a", "c", catalog.ImportOrders, Manual, Queued)
				if err := r.Create(ctx, run); err != nil {
					t.Fatal(err)
				}
				moved := tc.move(run)
				if racing {
					r.Store = &racingStore{Store: r.Store, repo: r, race: tc.move}
				} else if err := r.Save(ctx, moved); err != nil {
					t.Fatal(err)
				}
				// The caller's copy is the queued run, without the note.
				got, err := r.MarkWaiting(ctx, run, "Waiting.")
				if err != nil {
					t.Fatal(err)
				}
				stored := mustStatus(t, r, "a", run.ID, moved.Status)
				if got.Status != moved.Status || stored.Note != "" || stored.RequeuedAt != nil {
					t.Fatalf("mark returned %s; stored %+v", got.Status, stored)
				}
			})
		}
	}
}
