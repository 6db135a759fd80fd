// Package clock holds the one way Autosync waits (a timer that gives up
// when the caller's context ends) and the fake clock tests and simulators
// set by hand.
package clock

import (
	"context"
	"sync"
	"time"
)

// Sleep waits d unless ctx ends first, and then returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Fake is a clock set by hand, for tests and simulators; safe for
// concurrent use. Its Sleep moves it forward instead of waiting, so a
// one-minute back-off takes no real time.
type Fake struct {
	mu    sync.Mutex
	t     time.Time
	step  time.Duration
	slept time.Duration
}

// NewFake returns a fake clock showing t.
func NewFake(t time.Time) *Fake { return &Fake{t: t} }

// Now reads the clock (after moving it forward by the step, if one is
// set).
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// Step makes every reading move the clock forward by d first, so that no
// two readings are equal: ids and records stamped from it are strictly
// ordered without the test pausing between them. Zero (the default)
// stops it.
func (c *Fake) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.step = max(d, 0)
}

// Add moves the clock forward by d (a negative d is ignored: time does
// not run backwards).
func (c *Fake) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.t = c.t.Add(d)
	}
}

// Sleep moves the clock forward by d, unless ctx has ended. Concurrent
// sleepers each move it: simulated time can run ahead of the waits a
// caller asked for, never behind, so a rate limit is never overrun
// because of it.
func (c *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.t = c.t.Add(d)
		c.slept += d
	}
	return nil
}

// Slept is the total time Sleep has moved the clock.
func (c *Fake) Slept() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slept
}
