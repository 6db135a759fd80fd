package cart

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/clock"
)

// RetryAfter parses a Retry-After header: delta-seconds (hosts send
// integers; a decimal is accepted) or an HTTP date, capped at limit so an
// absurd value cannot overflow or stall a run. Zero means absent or unusable.
func RetryAfter(h string, now time.Time, limit time.Duration) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(h, 64); err == nil {
		if s <= 0 || math.IsNaN(s) {
			return 0
		}
		return min(time.Duration(math.Min(s, limit.Seconds())*float64(time.Second)), limit)
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(t.Sub(now), 0), limit)
	}
	return 0
}

// ErrPastDeadline ends a wait that would outlast the caller's deadline:
// the connector gives up at once rather than sleep into a cancelled context.
var ErrPastDeadline = errors.New("wait would pass the deadline")

// Sleep waits d unless ctx ends first. A wait that would end after ctx's
// deadline (judged against now) returns ErrPastDeadline without waiting.
func Sleep(ctx context.Context, d time.Duration, now time.Time) error {
	if d <= 0 {
		return ctx.Err()
	}
	if deadline, ok := ctx.Deadline(); ok && now.Add(d).After(deadline) {
		return ErrPastDeadline
	}
	return clock.Sleep(ctx, d)
}

// RateLimited reports a wait given up for the deadline as the rate-limit
// error the executor continues after; other errors pass through.
func RateLimited(err error, wait time.Duration) error {
	if errors.Is(err, ErrPastDeadline) {
		return &RateLimitedError{RetryAfter: wait}
	}
	return err
}
