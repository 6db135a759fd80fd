package cart

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/clock"
)

// RetryAfter parses a Retry-After header: delta-seconds (hosts send
// integers; a decimal is accepted) or an HTTP date, capped at limit so an
// absurd value cannot overflow or stall a run. Zero means absent or unusable.
func RetryAfter(h string, now time.Time, limit time.Duration) time.Duration {
	d, _ := retryAfter(h, now, limit)
	return d
}

// RetryAfterWithin is RetryAfter for a cart whose delta-seconds above limit
// are better ignored than believed: they give zero. (A date past limit is
// still capped.)
func RetryAfterWithin(h string, now time.Time, limit time.Duration) time.Duration {
	d, over := retryAfter(h, now, limit)
	if over {
		return 0
	}
	return d
}

// retryAfter is the one Retry-After parser; over says delta-seconds
// exceeded limit.
func retryAfter(h string, now time.Time, limit time.Duration) (d time.Duration, over bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(h, 64); err == nil {
		if s <= 0 || math.IsNaN(s) {
			return 0, false
		}
		return min(time.Duration(math.Min(s, limit.Seconds())*float64(time.Second)), limit), s > limit.Seconds()
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(t.Sub(now), 0), limit), false
	}
	return 0, false
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

// Temporary is a failure worth retrying (a 5xx, a dropped connection, a
// timeout), with a message a merchant may read. Connectors retry it and,
// when their attempts run out, report CartError.
type Temporary struct {
	Status  int // 0 when no answer came
	Message string
	Err     error
}

func (t *Temporary) Error() string { return t.Message }

// CartError is the failure to report once retries are spent.
func (t *Temporary) CartError() *Error {
	return &Error{Status: t.Status, Temporary: true, Message: t.Message, Err: t.Err}
}

// Backoff is the wait before retry n (from 1): base doubled for each
// retry, capped at limit, then jittered.
func Backoff(n int, base, limit time.Duration) time.Duration {
	return Jitter(min(base<<min(n-1, 16), limit))
}

// Jitter spreads d over its upper half, so that clients failing together
// do not retry together.
func Jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(half+1)
}

// TransportError classifies a failure to get any answer from the cart
// (named for the merchant). A caller that gave up gets its own context
// error back: that is not the cart's failure. Only the cause of a
// *url.Error is kept; the URL adds nothing a merchant needs.
func TransportError(ctx context.Context, err error, cartName string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return &Temporary{Message: cartName + " did not answer in time", Err: err}
	}
	return &Temporary{Message: "the connection to " + cartName + " was interrupted", Err: err}
}

// Retry says how hard a connector tries. Tests shorten the durations.
type Retry struct {
	Attempts       int           // tries for a temporary failure, the first included
	BaseBackoff    time.Duration // first backoff; doubles per retry
	MaxBackoff     time.Duration
	AttemptTimeout time.Duration // one request, from sending to the last byte
	// MinThrottleWait and MaxThrottleWait bound the waits after a cart's
	// "slow down" that names no wait of its own (each connector says
	// which); see ThrottleWait.
	MinThrottleWait time.Duration
	MaxThrottleWait time.Duration
}

// Backoff is the wait before retry n (from 1) of a temporary failure.
func (r Retry) Backoff(n int) time.Duration { return Backoff(n, r.BaseBackoff, r.MaxBackoff) }

// ThrottleWait is the wait after the n-th throttle in a row (from 0):
// MinThrottleWait doubled n times, capped at MaxThrottleWait.
func (r Retry) ThrottleWait(n int) time.Duration {
	return min(r.MinThrottleWait<<min(max(n, 0), 16), r.MaxThrottleWait)
}

// StandardRetry is the policy every connector starts from: 4 tries, the
// backoff doubling from 500 ms to 8 s. The cart names how long one request
// may take and its waits after a "slow down" that names none.
func StandardRetry(attemptTimeout, minThrottleWait, maxThrottleWait time.Duration) Retry {
	return Retry{
		Attempts:        4,
		BaseBackoff:     500 * time.Millisecond,
		MaxBackoff:      8 * time.Second,
		AttemptTimeout:  attemptTimeout,
		MinThrottleWait: minThrottleWait,
		MaxThrottleWait: maxThrottleWait,
	}
}
