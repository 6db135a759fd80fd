package squarespace

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/clock"
)

// Pacing. Squarespace allows 300 requests per minute (its documented limit) and
// answers the request over it with a 429 and a one-minute cool-down in
// which every request is refused: a single 429 costs a minute, so the
// connector must never cause one. It paces at 295 a minute (one request
// every 203 ms), burst 1: any 300 consecutive requests then span at least
// 61 s, so even a strict sliding window over the arrival times sees at
// most 300 in a minute with a second of slack for network jitter. That is
// 98.3% of the bound, which the import benchmark measures.
const (
	requestsPerMinute = 300
	pacedPerMinute    = requestsPerMinute - 5
)

// retryPolicy says how hard to try. Tests shorten the durations.
type retryPolicy struct {
	cart.Retry

	// coolDown is how long a 429 shuts the API (documented: one minute);
	// coolDownMargin is added for clock skew and the time the 429 spent
	// on the wire.
	coolDown       time.Duration
	coolDownMargin time.Duration
	// maxThrottles is how many 429s in a row the connector waits out
	// before giving up with a *cart.RateLimitedError even though its
	// context has time left: something else is spending the site's quota.
	maxThrottles int
}

var defaultRetry = retryPolicy{
	Retry:          cart.StandardRetry(30*time.Second, 0, 0),
	coolDown:       time.Minute,
	coolDownMargin: time.Second,
	maxThrottles:   30,
}

// maxResponse bounds what is read of one response. A page of 50 orders or
// products is well under a megabyte.
const maxResponse = 16 << 20

// timeSource is the time the connector paces, waits and checks deadlines by.
// Tests inject one that advances without sleeping, shared with the
// simulator's, so that a one-minute cool-down takes no real time.
type timeSource interface {
	Now() time.Time
	// Sleep waits d or until ctx ends.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error { return clock.Sleep(ctx, d) }

// pacer spaces one site's requests and holds its cool-down.
type pacer struct {
	mu        sync.Mutex
	lim       *rate.Limiter
	coolUntil time.Time
	used      time.Time
}

func newPacer() *pacer {
	return &pacer{lim: rate.NewLimiter(rate.Every(time.Minute/pacedPerMinute), 1)}
}

// reserve books the next request slot at or after now (and after any
// cool-down), and says how long to wait for it. cancel gives the slot
// back when the request will not be sent.
func (p *pacer) reserve(now time.Time) (wait time.Duration, cancel func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.used = now
	at := now
	if p.coolUntil.After(at) {
		// Book the slot from the cool-down's end, so that clients waiting
		// it out together resume one slot apart, not in a burst.
		at = p.coolUntil
	}
	r := p.lim.ReserveN(at, 1)
	return r.DelayFrom(now), func() { r.CancelAt(now) }
}

// coolDown shuts the pacer until until.
func (p *pacer) coolDown(until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.coolUntil) {
		p.coolUntil = until
	}
}

// pacers holds one pacer per site (base URL and key) in this process, so
// that the connectors built for each run of each task share the site's
// limit. Entries unused for longer than the cool-down hold no state worth
// keeping (a full burst of one, no cool-down) and are swept.
var pacers = struct {
	sync.Mutex
	m map[[32]byte]*pacer
}{m: map[[32]byte]*pacer{}}

const pacerIdle = 5 * time.Minute

func sharedPacer(base, key string, now time.Time) *pacer {
	id := sha256.Sum256([]byte(base + "\x00" + key))
	pacers.Lock()
	defer pacers.Unlock()
	if len(pacers.m) >= 1024 {
		for k, p := range pacers.m {
			p.mu.Lock()
			idle := now.Sub(p.used) > pacerIdle && !p.coolUntil.After(now)
			p.mu.Unlock()
			if idle {
				delete(pacers.m, k)
			}
		}
	}
	p, ok := pacers.m[id]
	if !ok {
		p = newPacer()
		p.used = now
		pacers.m[id] = p
	}
	return p
}

// request is one API call. A retry sends exactly the same request, the
// Idempotency-Key included.
type request struct {
	method string
	path   string
	query  url.Values
	body   []byte
	// idempotencyKey, when set, is sent as the Idempotency-Key header.
	idempotencyKey string
	// once: a request that is not safe to repeat and carries no key (it
	// creates something). A temporary failure, whose outcome is unknown,
	// is returned at once, for the caller to find out what happened.
	once bool
}

// reply is a 2xx answer.
type reply struct {
	status int
	body   []byte
}

// APIError is Squarespace's error object for a request it refused (a 4xx
// other than 401, 403 and 429). Per-SKU stock failures are *cart.Error
// wrapping one, so callers can read the type with errors.As.
type APIError struct {
	Status    int
	Type      string
	Subtype   string
	Message   string // meant for developers; trimmed when shown
	Details   json.RawMessage
	ContextID string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("squarespace: HTTP %d %s", e.Status, e.Type)
	if e.Subtype != "" {
		s += "/" + e.Subtype
	}
	return s + ": " + e.Message
}

// reason is the error's message, trimmed for a merchant, with its type.
func (e *APIError) reason() string {
	msg := strings.Join(strings.Fields(e.Message), " ")
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	msg = cart.Clip(msg, 300)
	if t := strings.Trim(e.Type+"/"+e.Subtype, "/"); t != "" {
		msg += " (" + t + ")"
	}
	return msg
}

// parseAPIError reads an error object; a body that is not one (an HTML
// gateway page) gives an APIError with only the status.
func parseAPIError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	var o struct {
		Type      *string         `json:"type"`
		Subtype   *string         `json:"subtype"`
		Message   *string         `json:"message"`
		Details   json.RawMessage `json:"details"`
		ContextID *string         `json:"contextId"`
	}
	if json.Unmarshal(body, &o) != nil {
		return e
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	e.Type, e.Subtype, e.Message, e.ContextID = str(o.Type), str(o.Subtype), str(o.Message), str(o.ContextID)
	if len(o.Details) > 0 && string(o.Details) != "null" {
		e.Details = o.Details
	}
	return e
}

// do sends one API request (cart.Do), pacing it, retrying temporary
// failures (the same request, so the same Idempotency-Key) with capped
// exponential backoff, and waiting out 429 cool-downs for as long as ctx
// allows. A refusal is returned as *APIError; a refused key as *cart.Error
// wrapping cart.ErrAuth.
func (c *Client) send(ctx context.Context, rq request) (*reply, error) {
	l := &cart.Loop{Cart: "Squarespace", Client: c.hc, Retry: c.retry.Retry, MaxResponse: maxResponse,
		Now: c.clock.Now, Sleep: c.clock.Sleep}
	return cart.Do(ctx, l, cart.Call[*reply]{
		Pacer: cart.PacerFunc(func(ctx context.Context) error {
			wait, cancel := c.pace.reserve(c.clock.Now())
			return l.Pace(ctx, wait, cancel)
		}),
		Build: func(ctx context.Context, a cart.Attempt) (*http.Request, error) {
			if rq.idempotencyKey != "" {
				c.writes.Add(func(s *WriteStats) { s.Requests++ })
				if a.Failures > 0 {
					c.writes.Add(func(s *WriteStats) { s.Retries++ })
				}
			}
			return c.request(ctx, rq)
		},
		Classify: func(r *cart.Response) (*reply, error) { return classify(r, rq.idempotencyKey != "") },
		Throttle: func(t *cart.Throttled, n int) (time.Duration, error) {
			wait := max(t.After, c.retry.coolDown) + c.retry.coolDownMargin
			if n+1 > c.retry.maxThrottles {
				return 0, &cart.RateLimitedError{RetryAfter: wait}
			}
			// The next pace waits the cool-down out, or gives up with a
			// *cart.RateLimitedError if ctx ends first.
			c.pace.coolDown(c.clock.Now().Add(wait))
			return 0, nil
		},
		Once: rq.once,
	})
}

// request builds one try's request.
func (c *Client) request(ctx context.Context, rq request) (*http.Request, error) {
	req, err := cart.JSONRequest(ctx, rq.method, c.base+rq.path, rq.query, rq.body, c.ua)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	key, err := c.bearer(ctx)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if rq.idempotencyKey != "" {
		// net/http itself may resend a request carrying this header when
		// a kept-alive connection closes under it; the key makes that as
		// safe as the connector's own retries.
		req.Header.Set("Idempotency-Key", rq.idempotencyKey)
	}
	return req, nil
}

// classify reads one answer: a reply, *cart.Throttled, *cart.Temporary,
// *APIError, or a final *cart.Error. keyed says the request carried an
// Idempotency-Key.
func classify(resp *cart.Response, keyed bool) (*reply, error) {
	switch s, raw := resp.Status, resp.Body; {
	case s >= 200 && s < 300:
		return &reply{status: s, body: raw}, nil
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		msg := "Squarespace refused the API key"
		if s == http.StatusForbidden {
			msg = "Squarespace refused the API key the permission this needs"
		}
		return nil, &cart.Error{Status: s, Message: msg, Err: errors.Join(cart.ErrAuth, parseAPIError(s, raw))}
	case s == http.StatusTooManyRequests:
		return nil, &cart.Throttled{After: retryAfter(resp.Header.Get("Retry-After"), resp.Received)}
	case s >= 500 || s == http.StatusRequestTimeout || s == http.StatusConflict && keyed:
		// 409 with an Idempotency-Key: the first request with the key is
		// still being processed; the retry gets its answer.
		msg := fmt.Sprintf("Squarespace is temporarily unavailable (HTTP %d)", s)
		if e := parseAPIError(s, raw); e.ContextID != "" {
			msg += "; Squarespace context id " + e.ContextID
		}
		return nil, &cart.Temporary{Status: s, Message: msg}
	}
	return nil, parseAPIError(resp.Status, resp.Body)
}

// retryAfter parses a Retry-After of seconds or an HTTP date. Squarespace
// documents none; one that is sent is honoured when longer than the
// cool-down, and one of more than an hour is ignored.
func retryAfter(h string, now time.Time) time.Duration {
	return cart.RetryAfterWithin(h, now, time.Hour)
}

// refused turns a refusal of a read into a merchant-safe *cart.Error.
func refused(e *APIError) *cart.Error {
	err := error(e)
	if e.Status == http.StatusNotFound {
		err = errors.Join(cart.ErrNotFound, e)
	}
	return &cart.Error{Status: e.Status, Message: "Squarespace refused the request: " + e.reason(), Err: err}
}

// get sends a GET and maps a refusal to *cart.Error.
func (c *Client) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	rep, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q})
	// do returns a refusal bare; an auth failure wraps one too, and must
	// stay an auth failure.
	if ae, ok := err.(*APIError); ok {
		return nil, refused(ae)
	}
	if err != nil {
		return nil, err
	}
	return rep.body, nil
}
