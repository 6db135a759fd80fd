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
	d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 7)))
	return clock.Sleep(ctx, d) == nil
}
