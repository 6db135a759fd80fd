package cart

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/autosync/autosync/shared/clock"
)

// Loop is what a connector's requests share: the cart's name, its HTTP
// client, its retry policy and its clocks. Do runs one request through it.
type Loop struct {
	// Cart names the cart in merchant-facing messages ("Shopify").
	Cart string
	// Doing, when set, prefixes the failures the loop itself reports (no
	// answer, an answer too large) with what was being done ("uploading
	// the feed document").
	Doing  string
	Client *http.Client
	Retry  Retry
	// MaxResponse bounds what is read of one response; 0 means 16 MiB.
	MaxResponse int64
	// Now is the time pacing and Response.Received go by; nil: time.Now.
	Now func() time.Time
	// DeadlineNow is the time a context's deadline is judged against; nil:
	// Now. A connector whose tests simulate Now while deadlines stay on
	// the wall clock (Amazon) sets time.Now.
	DeadlineNow func() time.Time
	// Sleep waits d unless ctx ends first; nil: clock.Sleep.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultMaxResponse bounds one response when a Loop names no bound. A
// page of any cart's orders is well under it.
const DefaultMaxResponse = 16 << 20

func (l *Loop) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}

// Wait waits d unless ctx ends first. A wait that would end after ctx's
// deadline returns ErrPastDeadline at once.
func (l *Loop) Wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	now := l.now
	if l.DeadlineNow != nil {
		now = l.DeadlineNow
	}
	if deadline, ok := ctx.Deadline(); ok && now().Add(d).After(deadline) {
		return ErrPastDeadline
	}
	if l.Sleep == nil {
		return clock.Sleep(ctx, d)
	}
	return l.Sleep(ctx, d)
}

// Pace waits d for a request's turn. A wait past ctx's deadline returns
// *RateLimitedError; release (if not nil) then gives the turn back.
func (l *Loop) Pace(ctx context.Context, d time.Duration, release func()) error {
	if err := l.Wait(ctx, d); err != nil {
		if release != nil {
			release()
		}
		return RateLimited(err, d)
	}
	return nil
}

// Pacer keeps a connector's requests within the cart's rate limit; each
// cart has its own model (a cost bucket, a fixed window, token buckets per
// operation, ...). Wait blocks until the next request may go, returning
// *RateLimitedError when that would outlast ctx (Loop.Pace does both).
type Pacer interface {
	Wait(ctx context.Context) error
}

// Observer is a Pacer that learns the cart's rate state from each
// response (its headers) before the response is classified.
type Observer interface {
	Observe(r *Response)
}

// PacerFunc is a Pacer written as a function.
type PacerFunc func(ctx context.Context) error

func (f PacerFunc) Wait(ctx context.Context) error { return f(ctx) }

// Response is one answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Received is when the body had been read (Loop.Now).
	Received time.Time
	// Request is the request that was answered (for relative Locations).
	Request *http.Request
}

// Location is the response's Location header resolved against the request.
func (r *Response) Location() (*url.URL, error) {
	return (&http.Response{Header: r.Header, Request: r.Request}).Location()
}

// Throttled is a cart's "slow down" (a 429, a THROTTLED error). The call's
// Throttle hook turns it into a wait.
type Throttled struct {
	// After is the cart's own word on the wait (a Retry-After, a window's
	// reset); 0 when it said nothing.
	After time.Duration
	// Known says the cart reported its rate state with the refusal, so
	// After holds even when 0 (BigCommerce's window headers).
	Known bool
	// Daily says a daily quota is spent, not a per-second one (Etsy).
	Daily bool
}

func (*Throttled) Error() string { return "rate limited" }

// Attempt says where a call stands when its next try is sent.
type Attempt struct {
	Failures  int // temporary failures so far
	Throttles int // throttles so far
}

// Call is one request through a Loop, with the hooks where carts differ.
type Call[T any] struct {
	// Pacer, when set, waits for the request's turn before every try.
	Pacer Pacer
	// Build makes one try's request; ctx carries the try's timeout. An
	// error ends the call.
	Build func(ctx context.Context, a Attempt) (*http.Request, error)
	// Classify reads an answer: a result, or an error that is
	// *Temporary (retried with backoff), *Throttled (waited out), or
	// anything else (Recover, then returned).
	Classify func(r *Response) (T, error)
	// Throttle says how long to wait after the n-th throttle in a row
	// (from 0); an error ends the call. Nil: the longer of the cart's
	// After and Retry.ThrottleWait(n).
	Throttle func(t *Throttled, n int) (time.Duration, error)
	// Temporary, when set, is told of each temporary failure before the
	// loop decides to retry it.
	Temporary func(t *Temporary)
	// Recover handles any other error: retry sends the request again at
	// once (a renewed token, a fallback); otherwise err is returned.
	Recover func(ctx context.Context, err error) (retry bool, _ error)
	// Once marks a request that is not safe to repeat: a temporary
	// failure, whose effect is unknown, is returned, not retried.
	Once bool
}

// Do sends c until it gets a final answer: it paces each try, retries
// temporary failures with the Retry policy's capped exponential backoff
// (Attempts tries at most; a backoff past ctx's deadline ends with the
// failure), and waits out throttling for as long as ctx allows, returning
// *RateLimitedError at once when a wait would outlast ctx's deadline.
func Do[T any](ctx context.Context, l *Loop, c Call[T]) (T, error) {
	var zero T
	var a Attempt
	for {
		if c.Pacer != nil {
			if err := c.Pacer.Wait(ctx); err != nil {
				return zero, err
			}
		}
		v, err := send(ctx, l, c, a)
		if err == nil {
			return v, nil
		}
		var thr *Throttled
		var tmp *Temporary
		switch {
		case errors.As(err, &thr):
			wait := max(thr.After, l.Retry.ThrottleWait(a.Throttles))
			if c.Throttle != nil {
				wait, err = c.Throttle(thr, a.Throttles)
				if err != nil {
					return zero, err
				}
			}
			a.Throttles++
			if err := l.Wait(ctx, wait); err != nil {
				return zero, RateLimited(err, wait)
			}
		case errors.As(err, &tmp):
			if c.Temporary != nil {
				c.Temporary(tmp)
			}
			a.Failures++
			if a.Failures >= l.Retry.Attempts || c.Once {
				return zero, tmp.CartError()
			}
			if err := l.Wait(ctx, l.Retry.Backoff(a.Failures)); err != nil {
				if errors.Is(err, ErrPastDeadline) {
					return zero, tmp.CartError()
				}
				return zero, err
			}
		case c.Recover != nil:
			retry, err := c.Recover(ctx, err)
			if !retry {
				return zero, err
			}
		default:
			return zero, err
		}
	}
}

// send makes one try: build, send, read (bounded), observe, classify.
func send[T any](ctx context.Context, l *Loop, c Call[T], a Attempt) (T, error) {
	var zero T
	actx, cancel := context.WithTimeout(ctx, l.Retry.AttemptTimeout)
	defer cancel()
	req, err := c.Build(actx, a)
	if err != nil {
		return zero, err
	}
	resp, err := l.Client.Do(req)
	if err != nil {
		return zero, l.doing(TransportError(ctx, err, l.Cart))
	}
	defer resp.Body.Close()
	limit := l.MaxResponse
	if limit <= 0 {
		limit = DefaultMaxResponse
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return zero, l.doing(TransportError(ctx, err, l.Cart))
	}
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw, Received: l.now(), Request: req}
	if o, ok := c.Pacer.(Observer); ok {
		o.Observe(r)
	}
	if int64(len(raw)) > limit {
		return zero, l.doing(&Error{Status: resp.StatusCode, Message: l.Cart + " sent a response too large to read"})
	}
	return c.Classify(r)
}

// doing prefixes the message of a failure the loop reports with l.Doing.
func (l *Loop) doing(err error) error {
	if l.Doing == "" {
		return err
	}
	switch e := err.(type) {
	case *Temporary:
		e.Message = l.Doing + ": " + e.Message
	case *Error:
		e.Message = l.Doing + ": " + e.Message
	}
	return err
}

// Reason appends a cart's own message to a prefix, when it gave one.
func Reason(prefix, message string) string {
	if message == "" {
		return prefix
	}
	return prefix + ": " + message
}

// NewRequest builds a request for u with q as its query (if any) and body
// (nil: none). Its error is http.NewRequest's, which quotes the URL: a
// caller whose query holds secrets reports its own.
func NewRequest(ctx context.Context, method, u string, q url.Values, body []byte) (*http.Request, error) {
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	return http.NewRequestWithContext(ctx, method, u, rd)
}

// JSONRequest is NewRequest for a cart's JSON API: it asks for JSON, says
// a body is JSON, and names the caller userAgent.
func JSONRequest(ctx context.Context, method, u string, q url.Values, body []byte, userAgent string) (*http.Request, error) {
	req, err := NewRequest(ctx, method, u, q, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", userAgent)
	return req, nil
}
