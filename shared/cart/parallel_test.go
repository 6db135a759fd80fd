package cart

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestParallel(t *testing.T) {
	var mu sync.Mutex
	done := map[int]bool{}
	var running, most atomic.Int32
	err := Parallel(t.Context(), 50, 4, func(ctx context.Context, i int) error {
		if r := running.Add(1); r > most.Load() {
			most.Store(r)
		}
		defer running.Add(-1)
		mu.Lock()
		done[i] = true
		mu.Unlock()
		return nil
	})
	if err != nil || len(done) != 50 {
		t.Fatalf("got %v after %d jobs", err, len(done))
	}
	if most.Load() > 4 {
		t.Errorf("%d jobs at once, want at most 4", most.Load())
	}
	if err := Parallel(t.Context(), 0, 4, nil); err != nil {
		t.Errorf("no jobs: %v", err)
	}
}

// The first error stops the jobs not yet started and is returned.
func TestParallelFirstError(t *testing.T) {
	boom := errors.New("boom")
	var ran atomic.Int32
	err := Parallel(t.Context(), 100, 1, func(ctx context.Context, i int) error {
		ran.Add(1)
		if i == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || ran.Load() != 3 {
		t.Errorf("got %v after %d jobs; want boom after 3", err, ran.Load())
	}
}

// A caller that gives up between jobs gets its context's error, not a
// success for jobs that never ran.
func TestParallelCallerGivesUp(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var ran atomic.Int32
	err := Parallel(ctx, 10, 1, func(ctx context.Context, i int) error {
		ran.Add(1)
		if i == 0 {
			cancel() // the job itself succeeds
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || ran.Load() != 1 {
		t.Errorf("got %v after %d jobs; want context.Canceled after 1", err, ran.Load())
	}
}
