package runs

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Keeper holds a working run's lease. The run's checkpoint commits and the
// heartbeat's renewals both advance the lease's token, so they go through
// one Keeper, one at a time. Once the lease is lost every later call fails
// with ErrLeaseLost.
type Keeper struct {
	repo *Repo
	ttl  time.Duration

	mu    sync.Mutex
	lease Lease
	lost  bool
}

// Keep wraps a freshly acquired lease.
func (r *Repo) Keep(l Lease, ttl time.Duration) *Keeper {
	return &Keeper{repo: r, ttl: ttl, lease: l}
}

// Lease is the lease as last renewed.
func (k *Keeper) Lease() Lease {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lease
}

// Lost reports whether the lease was lost.
func (k *Keeper) Lost() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lost
}

// Commit writes the checkpoint and run, fenced by the lease (see Repo.Commit).
func (k *Keeper) Commit(ctx context.Context, cp Checkpoint, run Run) error {
	return k.advance(func(l Lease) (Lease, error) { return k.repo.Commit(ctx, l, k.ttl, cp, run) })
}

// Renew extends the lease by its ttl.
func (k *Keeper) Renew(ctx context.Context) error {
	return k.advance(func(l Lease) (Lease, error) { return k.repo.Renew(ctx, l, k.ttl) })
}

// advance makes a write fenced by the lease, which moves the lease on, one
// at a time; a write that finds the lease taken loses it for good.
func (k *Keeper) advance(write func(Lease) (Lease, error)) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lost {
		return ErrLeaseLost
	}
	l, err := write(k.lease)
	if errors.Is(err, ErrLeaseLost) {
		k.lost = true
	}
	if err != nil {
		return err
	}
	k.lease = l
	return nil
}

// Release gives the lease up, unless it was lost.
func (k *Keeper) Release(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lost {
		return nil
	}
	k.lost = true // nothing may write under it any more
	return k.repo.Release(ctx, k.lease)
}

// Record stores the run if it has no record yet (see Repo.Record).
func (k *Keeper) Record(ctx context.Context, run Run) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	l, err := k.repo.Record(ctx, k.lease, run)
	if err != nil {
		return err
	}
	k.lease = l
	return nil
}

// Finish records the finished run and gives the lease up (see
// Repo.Finish); with the lease lost, it saves the run's record alone.
func (k *Keeper) Finish(ctx context.Context, run Run) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lost {
		return k.repo.Save(ctx, run)
	}
	k.lost = true // nothing may write under it any more
	return k.repo.Finish(ctx, k.lease, run)
}

// Heartbeat renews the lease on every tick until ctx ends, so a long run
// keeps a short lease. When the lease is lost — the token moved on because
// another run or the sweep took the task over — it calls onLost and stops:
// the run must stop writing (its commits are fenced anyway). A renewal that
// fails for another reason (the store briefly down) is retried on the
// next tick; the lease outlives several ticks.
func (k *Keeper) Heartbeat(ctx context.Context, ticks <-chan time.Time, onLost func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			err := k.Renew(ctx)
			if errors.Is(err, ErrLeaseLost) {
				onLost()
				return
			}
		}
	}
}
