package etsy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/autosync/autosync/shared/cart"
)

// retryPolicy says how hard to try. Tests shorten the durations.
type retryPolicy struct {
	// MinThrottleWait is the wait after a per-second 429 (which carries
	// no retry-after), doubling for each 429 in a row up to
	// MaxThrottleWait: the first retry lands in the next second, a storm
	// backs off.
	cart.Retry

	// maxQuotaWait is the longest the client waits for the daily window
	// to free quota; a longer wait returns *cart.RateLimitedError so the
	// run saves its place and continues later.
	maxQuotaWait time.Duration
	// unknownQuotaWait is the RetryAfter given when Etsy says nothing of
	// when the daily window frees and this client sent nothing in it.
	unknownQuotaWait time.Duration
}

var defaultRetry = retryPolicy{
	Retry:            cart.StandardRetry(30*time.Second, 250*time.Millisecond, 30*time.Second),
	maxQuotaWait:     2 * time.Minute,
	unknownQuotaWait: time.Hour,
}

// maxResponse bounds what is read of one response. A page of 100 receipts
// or listings with their associations is a few hundred kilobytes.
const maxResponse = 16 << 20

// defaultQPS is Etsy's default per-second limit, used until a response
// says otherwise (Etsy's documented default).
const defaultQPS = 10

// paceFactor keeps requests a little under the per-second limit. Etsy
// counts requests per second; requests spaced exactly 1/QPS apart can land
// QPS+1 in one second when their arrival jitters, and that one is refused.
// At 0.96, QPS+1 requests span 1.04 s, so jitter under 40 ms is absorbed.
const paceFactor = 0.96

// limiter is the client's view of Etsy's two limits.
type limiter struct {
	qps *rate.Limiter
	now func() time.Time

	mu        sync.Mutex
	perSecond int       // x-limit-per-second last seen; 0 before any
	perDay    int       // x-limit-per-day last seen
	remaining int       // x-remaining-today last seen; -1 before any
	paused    time.Time // after a 429, no request leaves before this
	log       dayLog
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{qps: rate.NewLimiter(rate.Limit(defaultQPS*paceFactor), 1), now: now, remaining: -1}
}

// dayLog counts this client's requests per minute over the last day, to
// say when the daily window frees quota if Etsy does not.
type dayLog struct {
	counts [24 * 60]int32
	last   int64 // minute of the last record
}

func (d *dayLog) record(t time.Time) {
	m := t.Unix() / 60
	if m > d.last {
		for k := d.last + 1; k <= m && k <= d.last+int64(len(d.counts)); k++ {
			d.counts[k%int64(len(d.counts))] = 0
		}
		d.last = m
	}
	if m > d.last-int64(len(d.counts)) {
		d.counts[m%int64(len(d.counts))]++
	}
}

// frees says when the oldest minute of requests still inside the 24-hour
// window leaves it; ok is false when the log holds none.
func (d *dayLog) frees(now time.Time) (time.Time, bool) {
	cur := now.Unix() / 60
	n := int64(len(d.counts))
	for m := max(cur-n+1, d.last-n+1); m <= min(cur, d.last); m++ {
		if d.counts[m%n] > 0 {
			return time.Unix((m+1)*60, 0).Add(24 * time.Hour), true
		}
	}
	return time.Time{}, false
}

func (l *limiter) sent(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log.record(t)
}

// observe reads the rate headers of a response that was not a 429.
func (l *limiter) observe(h http.Header) {
	perSecond, err1 := strconv.Atoi(strings.TrimSpace(h.Get("x-limit-per-second")))
	perDay, err2 := strconv.Atoi(strings.TrimSpace(h.Get("x-limit-per-day")))
	remaining, err3 := strconv.Atoi(strings.TrimSpace(h.Get("x-remaining-today")))
	l.mu.Lock()
	defer l.mu.Unlock()
	if err1 == nil && perSecond > 0 && perSecond <= 100_000 && perSecond != l.perSecond {
		l.perSecond = perSecond
		l.qps.SetLimit(rate.Limit(float64(perSecond) * paceFactor))
	}
	if err2 == nil && perDay > 0 {
		l.perDay = perDay
	}
	if err3 == nil && remaining >= 0 {
		l.remaining = remaining
	}
}

// pause keeps every request of the client back until t.
func (l *limiter) pause(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.paused) {
		l.paused = t
	}
}

func (l *limiter) pausedUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.paused
}

// quotaFrees estimates when the daily window frees quota, when Etsy gave
// no retry-after.
func (l *limiter) quotaFrees(now time.Time, unknown time.Duration) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.log.frees(now); ok && t.After(now) {
		return t.Sub(now)
	}
	return unknown
}

// loop is the client's part of every request.
func (c *Client) loop() *cart.Loop {
	return &cart.Loop{Cart: "Etsy", Client: c.hc, Retry: c.retry.Retry, MaxResponse: maxResponse, Now: c.now}
}

// pace waits out a pause after a 429, then for the client's place in the
// per-second pacing.
func (c *Client) pace(ctx context.Context, l *cart.Loop) error {
	if d := c.lim.pausedUntil().Sub(c.now()); d > 0 {
		if d > max(c.retry.maxQuotaWait, c.retry.MaxThrottleWait) {
			// The daily quota is spent until then: say so at once.
			return &cart.RateLimitedError{RetryAfter: d}
		}
		if err := l.Pace(ctx, d, nil); err != nil {
			return err
		}
	}
	r := c.lim.qps.Reserve()
	return l.Pace(ctx, r.Delay(), r.Cancel)
}

// reply is a successful response.
type reply struct {
	status int
	body   []byte
}

// get sends a GET and returns the reply.
func (c *Client) get(ctx context.Context, path string, q url.Values) (*reply, error) {
	return c.do(ctx, http.MethodGet, path, q, nil)
}

// do sends one API request (cart.Do), retrying temporary failures with
// capped exponential backoff and waiting out 429s for as long as ctx
// allows. With a refresh token it renews the access token when it is about
// to expire, and once when Etsy refuses it. Every request here is safe to
// repeat: reads, and inventory PUTs that replace the inventory with the
// same body.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte) (*reply, error) {
	l := c.loop()
	var (
		access    string
		gen       uint64
		renewed   bool
		throttles int // per-second 429s in a row
	)
	return cart.Do(ctx, l, cart.Call[*reply]{
		Pacer: limiterPacer{c.lim, func(ctx context.Context) error {
			var err error
			if access, gen, err = c.credential(ctx); err != nil {
				return err
			}
			return c.pace(ctx, l)
		}},
		Build: func(ctx context.Context, _ cart.Attempt) (*http.Request, error) {
			return c.request(ctx, method, path, q, body, access)
		},
		Classify: c.classify,
		Throttle: func(t *cart.Throttled, _ int) (time.Duration, error) {
			if t.Daily {
				wait := t.After
				if wait <= 0 {
					wait = c.lim.quotaFrees(c.now(), c.retry.unknownQuotaWait)
				}
				c.lim.pause(c.now().Add(wait))
				if wait > c.retry.maxQuotaWait {
					return 0, &cart.RateLimitedError{RetryAfter: wait}
				}
				return wait, nil
			}
			wait := max(t.After, c.retry.ThrottleWait(throttles))
			throttles++
			c.lim.pause(c.now().Add(wait))
			return wait, nil
		},
		Recover: func(ctx context.Context, err error) (bool, error) {
			var refused *tokenRefused
			if !errors.As(err, &refused) {
				return false, err
			}
			if renewed || !c.canRefresh() {
				return false, refused.err
			}
			renewed = true
			if _, _, err := c.renew(ctx, gen, true); err != nil {
				return false, err
			}
			return true, nil
		},
	})
}

// limiterPacer is the client's pacing, with the rate headers of every
// answer but a 429 read into the limiter.
type limiterPacer struct {
	lim  *limiter
	wait cart.PacerFunc
}

func (p limiterPacer) Wait(ctx context.Context) error { return p.wait(ctx) }

func (p limiterPacer) Observe(r *cart.Response) {
	if r.Status != http.StatusTooManyRequests {
		p.lim.observe(r.Header)
	}
}

// request builds one try's request with the access token.
func (c *Client) request(ctx context.Context, method, path string, q url.Values, body []byte, access string) (*http.Request, error) {
	req, err := cart.JSONRequest(ctx, method, c.base+path, q, body, "autosync")
	if err != nil {
		return nil, fmt.Errorf("building the request for %s: %w", path, err)
	}
	req.Header.Set("x-api-key", c.apiKey)
	req.Header.Set("Authorization", "Bearer "+access)
	if len(body) > 0 && body[0] != '{' {
		// Bodies are JSON objects, except updateListing's, which the spec
		// declares form encoded.
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	c.lim.sent(c.now())
	return req, nil
}

// classify reads one answer: a reply, *cart.Throttled (Daily when the day's
// quota is spent), *cart.Temporary, *tokenRefused (a 401 for the token,
// holding its *cart.Error), or a final *cart.Error (wrapping cart.ErrAuth or
// cart.ErrNotFound where they apply).
func (c *Client) classify(resp *cart.Response) (*reply, error) {
	s, raw := resp.Status, resp.Body
	reason := func(prefix string) string { return cart.Reason(prefix, errorMessage(raw)) }
	switch {
	case s == http.StatusOK || s == http.StatusCreated:
		if !json.Valid(raw) {
			// A proxy's or a maintenance page's HTML.
			return nil, &cart.Temporary{Status: s, Message: "Etsy sent a response that could not be read"}
		}
		return &reply{status: s, body: raw}, nil
	case s == http.StatusTooManyRequests:
		msg := strings.ToLower(errorMessage(raw))
		after := cart.RetryAfter(resp.Header.Get("retry-after"), resp.Received, maxRetryAfter)
		daily := strings.Contains(msg, "daily") || strings.Contains(msg, "per day") ||
			(!strings.Contains(msg, "second") && after > time.Minute)
		return nil, &cart.Throttled{Daily: daily, After: after}
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		e := &cart.Error{Status: s, Message: reason("Etsy refused the app's API key or the shop's authorization"), Err: cart.ErrAuth}
		if s == http.StatusUnauthorized && !blamesKey(errorMessage(raw)) {
			return nil, &tokenRefused{e}
		}
		return nil, e
	case s == http.StatusNotFound:
		return nil, &cart.Error{Status: s, Message: reason("Etsy has no such resource"), Err: cart.ErrNotFound}
	case s >= 300 && s < 400:
		return nil, &cart.Error{Status: s, Message: fmt.Sprintf("Etsy answered HTTP %d instead of the API", s)}
	case s >= 500:
		return nil, &cart.Temporary{Status: s, Message: reason(fmt.Sprintf("Etsy is temporarily unavailable (HTTP %d)", s))}
	}
	return nil, &cart.Error{Status: s, Message: reason(fmt.Sprintf("Etsy refused the request (HTTP %d)", s))}
}

// maxRetryAfter bounds a retry-after, so an absurd one cannot overflow.
const maxRetryAfter = 48 * time.Hour
