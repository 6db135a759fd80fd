package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/autosync/autosync/shared/clock"
)

// Contended reports whether err is a conditional write lost to a
// concurrent writer that is worth another read-modify-write: attempt
// (from 0) is below limit and ctx is live. It first waits a short jittered
// backoff, doubling with each attempt up to about 100 ms, so writers
// contending for the same items (three carts' imports committing stock to
// the same SKUs) spread out instead of colliding again and again.
func Contended(ctx context.Context, err error, attempt, limit int) bool {
	if !errors.Is(err, ErrConditionFailed) || attempt >= limit {
		return false
	}
	return clock.Sleep(ctx, ContentionDelay(attempt)) == nil
}

// ContentionDelay is the wait before retry attempt (from 0) of a write
// that collided with a concurrent writer: random below a bound that starts
// at 1 ms and doubles with each attempt up to 128 ms. Adapters use it for
// collisions their backend reports apart from a failed condition.
func ContentionDelay(attempt int) time.Duration {
	return time.Duration(rand.Int64N(int64(time.Millisecond) << min(max(attempt, 0), 7)))
}
