package bigcommerce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// retryPolicy says how hard to try. Tests shorten the durations.
type retryPolicy struct {
	// MinThrottleWait is the least wait after a 429 that carries no rate
	// headers (platform overload, as BigCommerce documents it) and after a second 429 in a
	// row, doubling for each one in a row up to MaxThrottleWait.
	cart.Retry

	// paceMargin is added to a window's reset before the pacer counts on
	// a fresh quota, for clock skew between BigCommerce and us.
	paceMargin time.Duration
}

var defaultRetry = retryPolicy{
	Retry:      cart.StandardRetry(60*time.Second, time.Second, 30*time.Second),
	paceMargin: 20 * time.Millisecond,
}

// maxResponse bounds what is read of one response. A page of 250 orders
// with their line items is well under a megabyte.
const maxResponse = 16 << 20

// Rate limit header names (BigCommerce's API rate limits page); Go canonicalizes them, and
// BigCommerce treats them case-insensitively.
const (
	hdrWindow = "X-Rate-Limit-Time-Window-Ms"
	hdrReset  = "X-Rate-Limit-Time-Reset-Ms"
	hdrQuota  = "X-Rate-Limit-Requests-Quota"
	hdrLeft   = "X-Rate-Limit-Requests-Left"
)

// rateStatus is what one response's rate headers say about the store's
// fixed window.
type rateStatus struct {
	quota   int           // requests per window
	left    int           // requests left in the current window
	window  time.Duration // window length
	resetIn time.Duration // until the current window ends
}

// maxRateDuration bounds header durations, so absurd values cannot stall a
// run for longer than a Lambda invocation could wait anyway.
const maxRateDuration = time.Hour

// parseRate reads the rate headers. ok is false when they are absent or
// unusable: an unlimited store, or a 429 from platform overload.
func parseRate(h http.Header) (rs rateStatus, ok bool) {
	num := func(name string, max int64) (int64, bool) {
		v := h.Get(name)
		if v == "" {
			return 0, false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > max {
			return 0, false
		}
		return n, true
	}
	quota, ok1 := num(hdrQuota, 1_000_000)
	left, ok2 := num(hdrLeft, 1_000_000)
	reset, ok3 := num(hdrReset, maxRateDuration.Milliseconds())
	if !ok1 || !ok2 || !ok3 || quota == 0 {
		return rateStatus{}, false
	}
	window, ok := num(hdrWindow, maxRateDuration.Milliseconds())
	if !ok || window == 0 {
		window = 30_000 // the documented window when the header is missing
	}
	rs = rateStatus{
		quota:   int(quota),
		left:    int(min(left, quota)),
		window:  time.Duration(window) * time.Millisecond,
		resetIn: time.Duration(reset) * time.Millisecond,
	}
	rs.resetIn = min(rs.resetIn, rs.window)
	return rs, true
}

// pacer spreads requests over BigCommerce's fixed window. Each response's
// headers say how many requests the window has left and when it resets;
// the pacer sends the next request after (time to reset) / (requests
// left), so the window's quota is spent evenly and to the end, and never
// exceeded: the store's quota is shared by every app, and a burst that
// empties it would make the merchant's other apps see 429s. A reset is
// measured from when the response arrived, later than BigCommerce measured
// it, so the pacer's window always ends after the real one.
//
// It assumes it is the only client of the store in this process; several
// goroutines sharing one Client are paced together, but a response
// reporting the window before another goroutine's request counted can let
// one request too many through, and that 429 is waited out.
type pacer struct {
	mu     sync.Mutex
	known  bool // a response with rate headers was seen
	quota  int
	window time.Duration
	left   int       // requests left in the window, less reservations
	reset  time.Time // when the window ends
	next   time.Time // earliest time for the next request
	margin time.Duration
}

// observe takes the store's word for the window.
func (p *pacer) observe(now time.Time, rs rateStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.known = true
	p.quota, p.window, p.left = rs.quota, rs.window, rs.left
	p.reset = now.Add(rs.resetIn)
}

// reserve books the next request and says how long to wait before sending.
func (p *pacer) reserve(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.known {
		return 0 // nothing known yet: send, and learn from the answer
	}
	at := now
	if p.next.After(at) {
		at = p.next
	}
	if !at.Before(p.reset.Add(p.margin)) {
		// The window will have ended: a new one opens with this request.
		p.left, p.reset = p.quota, at.Add(p.window)
	}
	if p.left <= 0 {
		at = p.reset.Add(p.margin)
		p.left, p.reset = p.quota, at.Add(p.window)
	}
	spacing := p.reset.Sub(at) / time.Duration(p.left)
	p.left--
	p.next = at.Add(spacing)
	return at.Sub(now)
}

// release returns a reservation whose request was not sent.
func (p *pacer) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.known {
		p.left++
	}
}

// spent records a 429: nothing is left until the reset.
func (p *pacer) spent(now time.Time, resetIn time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.known {
		p.left, p.reset = 0, now.Add(resetIn)
	}
}

// response is a final answer: 2xx, or a 4xx other than 401, 403 and 429.
type response struct {
	status int
	body   []byte
}

// request is one API call; path is below /stores/{store_hash}.
type request struct {
	method string
	path   string
	query  url.Values
	body   []byte
	// once marks a call that is not idempotent (creating a webhook): a
	// temporary failure is returned, not retried, since the first try may
	// have taken effect.
	once bool
}

// do sends r until it gets a final answer (cart.Do). It paces itself to
// the store's window, waits out 429s for as long as ctx allows (then
// returns a *cart.RateLimitedError), and retries temporary failures with
// capped exponential backoff. Every call it retries is idempotent: GETs,
// and absolute inventory adjustments, which set rather than add; a call
// marked once is not retried after a temporary failure. (A 429 is retried
// whatever the call: BigCommerce refused it without acting on it.)
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	l := &cart.Loop{Cart: "BigCommerce", Client: c.hc, Retry: c.retry.Retry, MaxResponse: maxResponse, Now: c.now}
	return cart.Do(ctx, l, cart.Call[*response]{
		Pacer: windowPacer{c, l},
		Build: func(ctx context.Context, _ cart.Attempt) (*http.Request, error) {
			req, err := cart.JSONRequest(ctx, r.method, c.base+r.path, r.query, r.body, "autosync")
			if err != nil {
				return nil, fmt.Errorf("building the request: %w", err)
			}
			// On bodiless requests too: the published documents mark the
			// header required on some GETs (orders.v2
			// /orders/{id}/products).
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Auth-Token", c.token)
			return req, nil
		},
		Classify: c.classify,
		Throttle: func(t *cart.Throttled, n int) (time.Duration, error) {
			var wait time.Duration
			if !t.Known || n > 0 {
				// Overload, or a window that keeps refusing after its
				// reset: back off, longer each time.
				wait = cart.Jitter(c.retry.ThrottleWait(n))
			}
			if t.Known {
				wait = max(wait, t.After+c.retry.paceMargin)
			}
			return wait, nil
		},
		Once: r.once,
	})
}

// windowPacer paces a client's requests by its pacer and teaches the pacer
// from every response's rate headers.
type windowPacer struct {
	c *Client
	l *cart.Loop
}

func (w windowPacer) Wait(ctx context.Context) error {
	return w.l.Pace(ctx, w.c.pacer.reserve(w.c.now()), w.c.pacer.release)
}

func (w windowPacer) Observe(r *cart.Response) {
	if rs, known := parseRate(r.Header); known {
		w.c.pacer.observe(r.Received, rs)
	}
}

// classify reads one answer: a final response, *cart.Throttled,
// *cart.Temporary, or an error to return (*cart.Error, possibly wrapping
// cart.ErrAuth).
func (c *Client) classify(resp *cart.Response) (*response, error) {
	switch s := resp.Status; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return nil, &cart.Error{Status: s, Message: cart.Reason("BigCommerce refused the access token", apiMessage(resp.Body)), Err: cart.ErrAuth}
	case s == http.StatusTooManyRequests:
		rs, known := parseRate(resp.Header)
		if known {
			c.pacer.spent(resp.Received, rs.resetIn)
		}
		return nil, &cart.Throttled{Known: known, After: rs.resetIn}
	case s >= 500:
		return nil, &cart.Temporary{Status: s, Message: fmt.Sprintf("BigCommerce is temporarily unavailable (HTTP %d)", s)}
	case s < 200 || (s >= 300 && s < 400):
		return nil, &cart.Error{Status: s, Message: fmt.Sprintf("BigCommerce answered HTTP %d", s)}
	}
	return &response{status: resp.Status, body: resp.Body}, nil
}

// failure turns a final non-2xx answer into a *cart.Error with
// BigCommerce's message; 404 also wraps cart.ErrNotFound.
func failure(resp *response) error {
	e := &cart.Error{Status: resp.status, Message: cart.Reason(fmt.Sprintf("BigCommerce answered HTTP %d", resp.status), apiMessage(resp.body))}
	if resp.status == http.StatusNotFound {
		e.Err = cart.ErrNotFound
	}
	return e
}
