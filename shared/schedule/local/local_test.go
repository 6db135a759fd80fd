package local

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/clock"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/schedule/scheduletest"
)

// wait is generous: waits end on a channel, the timeout only bounds a bug.
const wait = 10 * time.Second

func TestContract(t *testing.T) {
	scheduletest.Run(t, func(t *testing.T) schedule.Scheduler {
		s := New(func(context.Context, string, []byte) {}, 1, nil)
		s.Start(t.Context())
		t.Cleanup(s.Stop)
		return s
	})
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func sched(name string, iv catalog.Interval, enabled bool) schedule.Schedule {
	return schedule.Schedule{
		Name:     name,
		Interval: iv,
		Enabled:  enabled,
		Input:    json.RawMessage(`{"account_id":"a","channel_id":"c","task":"import_orders","trigger":"schedule","name":"` + name + `"}`),
	}
}

// recorder counts firings per name and signals each finished firing.
type recorder struct {
	mu    sync.Mutex
	count map[string]int
	input map[string]string
	idle  map[string]chan struct{}
}

func newRecorder(names ...string) *recorder {
	r := &recorder{count: map[string]int{}, input: map[string]string{}, idle: map[string]chan struct{}{}}
	for _, n := range names {
		r.idle[n] = make(chan struct{}, 100)
	}
	return r
}

func (r *recorder) fire(_ context.Context, name string, input []byte) {
	r.mu.Lock()
	r.count[name]++
	r.input[name] = string(input)
	r.mu.Unlock()
}

func (r *recorder) onIdle(name string) { r.idle[name] <- struct{}{} }

func (r *recorder) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.count {
		out[k] = v
	}
	return out
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func put(t *testing.T, s *Scheduler, sch schedule.Schedule) {
	t.Helper()
	if err := s.Put(t.Context(), sch); err != nil {
		t.Fatalf("Put(%s): %v", sch.Name, err)
	}
}

func wantNext(t *testing.T, s *Scheduler, name string, want time.Time) {
	t.Helper()
	got, ok := s.NextRun(name)
	if !ok || !got.Equal(want) {
		t.Fatalf("NextRun(%s) = %v, %v; want t0+%v", name, got.Sub(t0), ok, want.Sub(t0))
	}
}

func wantNoNext(t *testing.T, s *Scheduler, name string) {
	t.Helper()
	if got, ok := s.NextRun(name); ok {
		t.Fatalf("NextRun(%s) = t0+%v; want none", name, got.Sub(t0))
	}
}

// TestAnchor pins when schedules fall due, with speed applied, without
// running the loop.
func TestAnchor(t *testing.T) {
	c := clock.NewFake(t0)
	s := New(func(context.Context, string, []byte) {}, 600, c.Now)

	put(t, s, sched("as.a", catalog.Every1h, true))
	wantNext(t, s, "as.a", t0.Add(6*time.Second)) // 1h at speed 600

	// Same interval: the anchor holds, whatever else changes.
	c.Add(2 * time.Second)
	changed := sched("as.a", catalog.Every1h, true)
	changed.Input = json.RawMessage(`{"changed":true}`)
	put(t, s, changed)
	wantNext(t, s, "as.a", t0.Add(6*time.Second))

	// Paused: no next run. Resumed later: back on the same grid (t0+6s,
	// t0+12s, ...), strictly after now.
	put(t, s, sched("as.a", catalog.Every1h, false))
	wantNoNext(t, s, "as.a")
	c.Add(10 * time.Second) // t0+12s, exactly on the grid
	put(t, s, sched("as.a", catalog.Every1h, true))
	wantNext(t, s, "as.a", t0.Add(18*time.Second))

	// A new interval starts counting now.
	put(t, s, sched("as.a", catalog.Every10m, true))
	wantNext(t, s, "as.a", t0.Add(13*time.Second)) // 10m at speed 600 is 1s

	// Each interval at speed 600.
	for iv, want := range map[catalog.Interval]time.Duration{
		catalog.Every10m: time.Second, catalog.Every1h: 6 * time.Second,
		catalog.Every6h: 36 * time.Second, catalog.Every1d: 144 * time.Second,
	} {
		name := "as.iv." + string(iv)
		put(t, s, sched(name, iv, true))
		wantNext(t, s, name, c.Now().Add(want))
	}

	if err := s.Delete(t.Context(), "as.a"); err != nil {
		t.Fatal(err)
	}
	wantNoNext(t, s, "as.a")
	wantNoNext(t, s, "as.never")
}

// TestFiresOnGrid: a due schedule fires once per turn on its anchor's grid,
// missed turns are not replayed, and the input is delivered.
func TestFiresOnGrid(t *testing.T) {
	c := clock.NewFake(t0)
	r := newRecorder("as.a")
	s := New(r.fire, 600, c.Now)
	s.idle = r.onIdle
	s.Start(t.Context())
	defer s.Stop()

	a := sched("as.a", catalog.Every10m, true) // every 1s of clock time
	put(t, s, a)

	c.Add(time.Second)
	s.poke()
	waitFor(t, r.idle["as.a"], "first firing")
	wantNext(t, s, "as.a", t0.Add(2*time.Second))

	// 3.5 turns later: one firing, not three, and still on the grid.
	c.Add(3500 * time.Millisecond)
	s.poke()
	waitFor(t, r.idle["as.a"], "second firing")
	wantNext(t, s, "as.a", t0.Add(5*time.Second))

	s.Stop()
	if got := r.counts()["as.a"]; got != 2 {
		t.Fatalf("fired %d times, want 2", got)
	}
	if r.input["as.a"] != string(a.Input) {
		t.Fatalf("input %s, want %s", r.input["as.a"], a.Input)
	}
}

// TestPausedAndDeleted: paused schedules never fire; deleted ones stop.
// Schedules due together are considered in one pass of the loop, so an
// enabled schedule's firing proves the pass that skipped the others ran.
func TestPausedAndDeleted(t *testing.T) {
	c := clock.NewFake(t0)
	r := newRecorder("as.on", "as.paused", "as.deleted")
	s := New(r.fire, 600, c.Now)
	s.idle = r.onIdle
	s.Start(t.Context())

	put(t, s, sched("as.on", catalog.Every10m, true))
	put(t, s, sched("as.paused", catalog.Every10m, false))
	put(t, s, sched("as.deleted", catalog.Every10m, true))

	c.Add(time.Second)
	s.poke()
	waitFor(t, r.idle["as.on"], "as.on firing")
	waitFor(t, r.idle["as.deleted"], "as.deleted firing")

	if err := s.Delete(t.Context(), "as.deleted"); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Second)
	s.poke()
	waitFor(t, r.idle["as.on"], "as.on second firing")

	s.Stop() // waits for every firing, so the counts are final
	want := map[string]int{"as.on": 2, "as.deleted": 1}
	got := r.counts()
	if len(got) != len(want) || got["as.on"] != 2 || got["as.deleted"] != 1 {
		t.Fatalf("firings %v, want %v", got, want)
	}
}

// TestNoOverlap: a schedule still firing when it falls due again is not
// fired a second time alongside; it fires again once the first returns.
func TestNoOverlap(t *testing.T) {
	c := clock.NewFake(t0)
	var inflight, maxInflight, slowCount atomic.Int32
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	r := newRecorder("as.slow", "as.pace")
	s := New(func(ctx context.Context, name string, input []byte) {
		if name != "as.slow" {
			r.fire(ctx, name, input)
			return
		}
		slowCount.Add(1)
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := maxInflight.Load(); n > m && !maxInflight.CompareAndSwap(m, n); m = maxInflight.Load() {
		}
		started <- struct{}{}
		<-release
	}, 600, c.Now)
	s.idle = r.onIdle
	s.Start(t.Context())
	defer s.Stop()

	// Same interval and anchor: as.pace marks each pass of the loop.
	put(t, s, sched("as.slow", catalog.Every10m, true))
	put(t, s, sched("as.pace", catalog.Every10m, true))

	c.Add(time.Second)
	s.poke()
	waitFor(t, started, "as.slow to start")
	waitFor(t, r.idle["as.pace"], "pass 1")
	for pass := 2; pass <= 4; pass++ {
		c.Add(time.Second)
		s.poke()
		waitFor(t, r.idle["as.pace"], "a pass while as.slow runs")
	}
	release <- struct{}{}
	waitFor(t, r.idle["as.slow"], "as.slow to finish")

	c.Add(time.Second)
	s.poke()
	waitFor(t, started, "as.slow to start again")
	release <- struct{}{}
	waitFor(t, r.idle["as.slow"], "as.slow to finish again")

	s.Stop()
	if got := slowCount.Load(); got != 2 {
		t.Errorf("as.slow fired %d times, want 2 (no queued turns)", got)
	}
	if got := maxInflight.Load(); got != 1 {
		t.Errorf("as.slow had %d firings at once, want 1", got)
	}
	if got := r.counts()["as.pace"]; got != 5 {
		t.Errorf("as.pace fired %d times, want 5", got)
	}
}

// TestSpeedRealTime runs on the real clock: at speed 3600 a 10-minute
// interval fires every ~167ms.
func TestSpeedRealTime(t *testing.T) {
	fired := make(chan time.Time, 10)
	s := New(func(context.Context, string, []byte) {
		select {
		case fired <- time.Now():
		default:
		}
	}, 3600, nil)
	period := 10 * time.Minute / 3600

	before := time.Now()
	put(t, s, sched("as.fast", catalog.Every10m, true))
	after := time.Now()
	next, ok := s.NextRun("as.fast")
	if !ok || next.Before(before.Add(period)) || next.After(after.Add(period)) {
		t.Fatalf("NextRun = %v after Put, want Put time + %v", next.Sub(before), period)
	}

	s.Start(t.Context())
	defer s.Stop()
	for i := range 3 {
		select {
		case at := <-fired:
			// Never early: firing k is at or after anchor + k·period.
			if earliest := before.Add(time.Duration(i+1) * period); at.Before(earliest) {
				t.Fatalf("firing %d at %v, before %v", i+1, at.Sub(before), earliest.Sub(before))
			}
		case <-time.After(wait):
			t.Fatalf("firing %d did not come", i+1)
		}
	}
}

// TestStopCancels: Stop cancels the firing's context and waits for it.
func TestStopCancels(t *testing.T) {
	c := clock.NewFake(t0)
	started := make(chan struct{})
	var sawCancel atomic.Bool
	s := New(func(ctx context.Context, _ string, _ []byte) {
		close(started)
		<-ctx.Done()
		sawCancel.Store(true)
	}, 600, c.Now)
	s.Start(t.Context())
	put(t, s, sched("as.a", catalog.Every10m, true))
	c.Add(time.Second)
	s.poke()
	waitFor(t, started, "firing")
	s.Stop()
	if !sawCancel.Load() {
		t.Fatal("Stop returned before the firing saw its context cancelled")
	}
	s.Stop() // again: no-op
}

// TestStartStop: Start twice is harmless, Stop without Start too, and a
// stopped scheduler can be started again.
func TestStartStop(t *testing.T) {
	c := clock.NewFake(t0)
	r := newRecorder("as.a")
	s := New(r.fire, 600, c.Now)
	s.idle = r.onIdle
	s.Stop()
	s.Start(t.Context())
	s.Start(t.Context())
	put(t, s, sched("as.a", catalog.Every10m, true))
	s.Stop()

	c.Add(time.Second)
	s.Start(t.Context())
	s.poke()
	waitFor(t, r.idle["as.a"], "firing after restart")
	s.Stop()
	if got := r.counts()["as.a"]; got != 1 {
		t.Fatalf("fired %d times, want 1", got)
	}
}

// The scheduler compares times by the wall clock, not the monotonic
// reading time.Now carries (it stops while a laptop sleeps), and never
// sleeps longer than maxWait before looking at the clock again: a firing
// due during a night's sleep comes within a minute of waking, not a day
// late.
func TestComparesByTheWallClock(t *testing.T) {
	s := New(func(context.Context, string, []byte) {}, 1, nil)
	if got := s.now().String(); strings.Contains(got, "m=") {
		t.Fatalf("the scheduler's clock carries a monotonic reading: %s", got)
	}
}
