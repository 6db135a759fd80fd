// Package local is the in-process schedule.Scheduler for make dev and
// single-machine installs: it keeps schedules in memory and calls the task
// executor itself, optionally faster than real time so a demo shows hourly
// tasks running within seconds.
//
// Schedules are not persisted: the store's schedule records are the source
// of truth, and the process re-Puts them at start (the same repair path that
// makes EventBridge schedules converge).
package local

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/schedule"
)

// minPeriod bounds how often one schedule can fire, whatever the speed, so a
// huge -speed cannot turn the loop into a spin.
const minPeriod = time.Millisecond

// Scheduler fires schedules in-process. Its zero value is not usable; call
// New. Put, Delete, Get, List and NextRun work whether or not it is started.
type Scheduler struct {
	fire  func(ctx context.Context, name string, input []byte)
	speed float64
	now   func() time.Time

	// wake nudges the loop to recompute its timer after a change.
	wake chan struct{}

	mu      sync.Mutex
	entries map[string]*entry
	// running holds the names with a firing in flight. It is keyed by name,
	// not entry, so a schedule deleted and put again mid-firing still
	// cannot fire twice at once.
	running map[string]bool
	started bool
	cancel  context.CancelFunc
	done    chan struct{} // closed when the loop exits
	firings sync.WaitGroup

	// idle, when set (by tests), is called after a firing has returned
	// and the schedule may fire again.
	idle func(name string)
}

type entry struct {
	s schedule.Schedule
	// period is the interval divided by the speed: real time between firings.
	period time.Duration
	// anchor is when the interval started counting; firings fall on
	// anchor + k·period.
	anchor time.Time
	// next is the next firing, on the anchor's grid, in real time.
	next time.Time
}

var _ schedule.Scheduler = (*Scheduler)(nil)

// New returns a stopped scheduler that calls fire with a schedule's name and
// input each time it is due. speed scales time: at 600 an interval of 1h
// fires every 6s; speed <= 0 means real time. now is the clock (nil means
// time.Now); the timers themselves always run in real time.
func New(fire func(ctx context.Context, name string, input []byte), speed float64, now func() time.Time) *Scheduler {
	if speed <= 0 {
		speed = 1
	}
	if now == nil {
		now = time.Now
	}
	// Compared by the wall clock: the monotonic reading time.Now carries
	// stops while the machine sleeps, so a firing due meanwhile would wait
	// for the sleep's length again after waking (see maxWait).
	wall := func() time.Time { return now().Round(0) }
	return &Scheduler{
		fire:    fire,
		speed:   speed,
		now:     wall,
		wake:    make(chan struct{}, 1),
		entries: make(map[string]*entry),
		running: make(map[string]bool),
	}
}

// Start begins firing due schedules in a background goroutine until ctx is
// done or Stop is called. Firings get a context derived from ctx. Starting a
// started scheduler does nothing.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.started = true
	s.done = make(chan struct{})
	go s.loop(ctx)
}

// Stop stops firing and waits for firings in flight to return; their
// context is cancelled first so they can cut short. It may be called more
// than once, and on a scheduler never started; Start may follow it.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
	// Only the loop starts firings, and it has exited.
	s.firings.Wait()
	s.mu.Lock()
	if s.done == done {
		s.started, s.cancel, s.done = false, nil, nil
	}
	s.mu.Unlock()
}

// Put creates or replaces the schedule. Replacing it with the same interval
// keeps its place in time, so editing its input or pausing and resuming it
// does not postpone the next run; a new interval starts counting now.
func (s *Scheduler) Put(_ context.Context, sch schedule.Schedule) error {
	if err := schedule.Validate(sch); err != nil {
		return err
	}
	sch.Input = slices.Clone(sch.Input)
	now := s.now()

	s.mu.Lock()
	e, ok := s.entries[sch.Name]
	switch {
	case !ok || e.s.Interval != sch.Interval:
		period := s.period(sch.Interval)
		e = &entry{period: period, anchor: now, next: now.Add(period)}
		s.entries[sch.Name] = e
	case !e.s.Enabled && sch.Enabled:
		// While paused the loop did not advance next; resume on the grid.
		e.next = nextAfter(e.anchor, e.period, now)
	}
	e.s = sch
	s.mu.Unlock()

	s.poke()
	return nil
}

// Delete removes the schedule; a firing in flight finishes, none follows.
func (s *Scheduler) Delete(_ context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.entries, name)
	s.mu.Unlock()
	s.poke()
	return nil
}

// Get returns the schedule or schedule.ErrNotFound.
func (s *Scheduler) Get(_ context.Context, name string) (schedule.Schedule, error) {
	if err := checkName(name); err != nil {
		return schedule.Schedule{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[name]
	if !ok {
		return schedule.Schedule{}, schedule.ErrNotFound
	}
	out := e.s
	out.Input = slices.Clone(out.Input)
	return out, nil
}

// List returns every schedule's name, sorted.
func (s *Scheduler) List(context.Context) ([]string, error) {
	s.mu.Lock()
	names := make([]string, 0, len(s.entries))
	for n := range s.entries {
		names = append(names, n)
	}
	s.mu.Unlock()
	slices.Sort(names)
	return names, nil
}

// ListPage returns up to limit names after token (the last name of the
// previous page), sorted.
func (s *Scheduler) ListPage(ctx context.Context, token string, limit int) ([]string, string, error) {
	if limit <= 0 {
		limit = 100
	}
	names, _ := s.List(ctx)
	i, _ := slices.BinarySearch(names, token)
	if i < len(names) && names[i] == token {
		i++
	}
	page := names[i:min(i+limit, len(names))]
	next := ""
	if i+limit < len(names) {
		next = page[len(page)-1]
	}
	return page, next, nil
}

var _ schedule.Pager = (*Scheduler)(nil)

// NextRun is when the schedule fires next, in real (clock) time; false for
// a missing or paused schedule, which will not fire.
func (s *Scheduler) NextRun(name string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[name]
	if !ok || !e.s.Enabled {
		return time.Time{}, false
	}
	return e.next, true
}

func (s *Scheduler) period(iv catalog.Interval) time.Duration {
	return max(minPeriod, time.Duration(float64(iv.Duration())/s.speed))
}

// nextAfter is the first point of anchor's grid strictly after now.
func nextAfter(anchor time.Time, period time.Duration, now time.Time) time.Time {
	if now.Before(anchor) {
		return anchor.Add(period)
	}
	k := now.Sub(anchor)/period + 1
	return anchor.Add(k * period)
}

// poke wakes the loop without blocking; one pending wake-up is enough.
func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// maxWait bounds one sleep of the loop. Go's timers run on the monotonic
// clock, which stops while a laptop sleeps: a daily firing due during a
// night's sleep would otherwise come up to a day late. Waking every minute
// to compare with the wall clock costs nothing.
const maxWait = time.Minute

// loop is the single goroutine deciding what is due. Each pass starts the
// due firings, then sleeps until the earliest next firing or a change.
func (s *Scheduler) loop(ctx context.Context) {
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait, ok := s.startDue(ctx)
		var tick <-chan time.Time
		if ok {
			timer.Reset(min(wait, maxWait))
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick:
		}
		timer.Stop()
	}
}

// startDue starts a firing for every enabled schedule that is due and not
// already firing, moves each due schedule to its next grid point, and says
// how long until the earliest next firing (false when nothing is enabled).
//
// A schedule still firing when it falls due again skips that turn rather
// than queueing it: runs do not pile up behind a slow one, and the next
// turn's run picks up from the checkpoint anyway.
func (s *Scheduler) startDue(ctx context.Context) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var earliest time.Time
	for name, e := range s.entries {
		if !e.s.Enabled {
			continue
		}
		if !e.next.After(now) {
			if !s.running[name] {
				s.running[name] = true
				s.firings.Add(1)
				go s.fireOne(ctx, name, slices.Clone(e.s.Input))
			}
			e.next = nextAfter(e.anchor, e.period, now)
		}
		if earliest.IsZero() || e.next.Before(earliest) {
			earliest = e.next
		}
	}
	if earliest.IsZero() {
		return 0, false
	}
	return earliest.Sub(now), true
}

func (s *Scheduler) fireOne(ctx context.Context, name string, input []byte) {
	defer s.firings.Done()
	defer func() {
		s.mu.Lock()
		delete(s.running, name)
		s.mu.Unlock()
		if s.idle != nil {
			s.idle(name)
		}
	}()
	s.fire(ctx, name, input)
}

// checkName refuses a name no schedule can have, as the EventBridge adapter
// does, so code behaves the same under make dev.
func checkName(name string) error {
	return schedule.Validate(schedule.Schedule{Name: name, Interval: catalog.Every1h, Input: json.RawMessage(`{}`)})
}
