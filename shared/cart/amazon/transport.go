package amazon

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// operation is an SP-API operation with its default usage plan (Amazon's
// usage-plan table for each operation).
type operation struct {
	name  string
	rate  float64 // requests per second
	burst int
}

var (
	opSearchOrders   = operation{"searchOrders", 0.0056, 20}
	opInventory      = operation{"getInventorySummaries", 2, 2}
	opSearchListings = operation{"searchListingsItems", 5, 5}
	opPatchListing   = operation{"patchListingsItem", 5, 5}
	// Feeds 2021-06-30 (feeds.go): the documented plans, getFeedDocument's
	// and cancelFeed's from the model.
	opCreateFeedDocument = operation{"createFeedDocument", 0.5, 15}
	opCreateFeed         = operation{"createFeed", 0.0083, 15}
	opGetFeed            = operation{"getFeed", 2, 15}
	opGetFeedDocument    = operation{"getFeedDocument", 0.0222, 10}
	opCancelFeed         = operation{"cancelFeed", 2, 15}
	operations           = []operation{opSearchOrders, opInventory, opSearchListings, opPatchListing,
		opCreateFeedDocument, opCreateFeed, opGetFeed, opGetFeedDocument, opCancelFeed}
)

// retryPolicy says how hard to try. Tests shorten the durations.
type retryPolicy struct {
	// MinThrottleWait is the extra wait after the second 429 in a row,
	// doubling for each further one up to MaxThrottleWait; the first 429
	// only empties the bucket model, so the next request waits one refill.
	cart.Retry
}

var defaultRetry = retryPolicy{
	Retry: cart.StandardRetry(60*time.Second, time.Second, time.Minute),
}

// maxResponse bounds what is read of one response. A page of 100 orders is
// a few hundred kilobytes.
const maxResponse = 16 << 20

// bucket is the client's model of one operation's token bucket on Amazon's
// side: it starts full (burst), refills at rate and is debited one token
// per request before it is sent; a debt means waiting until the refill
// repays it, so the request arrives when Amazon has the token. Concurrent
// callers each reserve their own token, so they are spaced, not bunched.
// A 429 empties the model. The rate follows x-amzn-RateLimit-Limit; the
// header says nothing of the burst, which stays the documented one.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	init   bool
	tokens float64 // at time at; negative while reservations are owed
	at     time.Time
}

// maxWait bounds computed waits, so absurd rates cannot overflow them.
const maxWait = 24 * time.Hour

func (b *bucket) refill(now time.Time) {
	if !b.init {
		b.init, b.tokens, b.at = true, b.burst, now
	}
	if now.After(b.at) {
		b.tokens = math.Min(b.burst, b.tokens+b.rate*now.Sub(b.at).Seconds())
		b.at = now
	}
}

// interval is the time one token takes to refill.
func (b *bucket) interval() time.Duration {
	return min(time.Duration(float64(time.Second)/b.rate), maxWait)
}

// margin is added to computed waits to absorb rounding and reordering on
// the way: 1% of a refill, at most 100 ms.
func (b *bucket) margin() time.Duration { return min(b.interval()/100, 100*time.Millisecond) }

// reserve debits a token and says when the request may be sent.
func (b *bucket) reserve(now time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	b.tokens--
	if b.tokens >= 0 {
		return now
	}
	s := -b.tokens / b.rate
	if s >= maxWait.Seconds() {
		return now.Add(maxWait)
	}
	return now.Add(time.Duration(math.Ceil(s*float64(time.Second))) + b.margin())
}

// release returns a reservation whose request was not sent.
func (b *bucket) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = math.Min(b.burst, b.tokens+1)
}

// empty records a 429: Amazon has no token left now.
func (b *bucket) empty(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	b.tokens = math.Min(b.tokens, 0)
}

// observe takes the rate Amazon says applies.
func (b *bucket) observe(now time.Time, rate float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if rate == b.rate {
		return
	}
	b.refill(now)
	b.rate = rate
}

// parseRate reads x-amzn-RateLimit-Limit ("0.0056", "5.0"); ok is false
// when it is absent or unusable.
func parseRate(h http.Header) (float64, bool) {
	v := h.Get("x-amzn-RateLimit-Limit")
	if v == "" {
		return 0, false
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(r) || r < 1e-4 || r > 1000 {
		return 0, false
	}
	return r, true
}

// loop is the client's part of every request. Deadlines are judged by the
// wall clock: tests simulate now and sleep, not their contexts' deadlines.
func (c *Client) loop() *cart.Loop {
	return &cart.Loop{Cart: "Amazon", Client: c.hc, Retry: c.retry.Retry, MaxResponse: maxResponse,
		Now: c.now, DeadlineNow: time.Now, Sleep: c.sleepFn}
}

// refused is a 401 or 403: the access token, or the application's access
// to the seller, was refused.
type refused struct {
	status  int
	message string
}

func (r *refused) Error() string { return r.message }

// response is a final answer: 2xx, or a 4xx other than 401, 403 and 429.
type response struct {
	status int
	body   []byte
}

func (r *response) ok() bool { return r.status >= 200 && r.status < 300 }

// request is one SP-API call; path is below the endpoint.
type request struct {
	op     operation
	method string
	path   string
	query  url.Values
	body   []byte
}

// do sends r until it gets a final answer (cart.Do). It paces r's
// operation, gets an access token, waits out 429s for as long as ctx allows
// (then returns a *cart.RateLimitedError), fetches a new access token once
// if the one it sent is refused, and retries temporary failures with
// capped exponential backoff. Every call it retries is harmless to repeat:
// searches, patches that set an absolute quantity, createFeedDocument (an unused
// document at worst) and createFeed (a second feed of the same absolute
// quantities at worst, see feeds.go).
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	l := c.loop()
	b := c.buckets[r.op.name]
	var token string
	reauthorized := false
	return cart.Do(ctx, l, cart.Call[*response]{
		Pacer: bucketPacer{b, func(ctx context.Context) error {
			// The wait is measured just before sleeping, so concurrent
			// callers spaced by their reservations do not add up their
			// waits.
			at := b.reserve(c.now())
			if err := l.Pace(ctx, at.Sub(c.now()), b.release); err != nil {
				return err
			}
			var err error
			if token, err = c.accessToken(ctx); err != nil {
				b.release()
			}
			return err
		}},
		Build: func(ctx context.Context, _ cart.Attempt) (*http.Request, error) {
			req, err := cart.JSONRequest(ctx, r.method, c.endpoint+r.path, r.query, r.body, userAgent)
			if err != nil {
				return nil, fmt.Errorf("building the request: %w", err)
			}
			req.Header.Set("x-amz-access-token", token)
			return req, nil
		},
		Classify: classify,
		Throttle: func(_ *cart.Throttled, n int) (time.Duration, error) {
			// The first 429 only empties the bucket model, so the next
			// request waits one refill; more in a row back off.
			b.empty(c.now())
			if n == 0 {
				return 0, nil
			}
			return cart.Jitter(c.retry.ThrottleWait(n - 1)), nil
		},
		Recover: func(ctx context.Context, err error) (bool, error) {
			var ref *refused
			switch {
			case !errors.As(err, &ref):
				return false, err
			case !reauthorized:
				// The token may have been revoked or expired early: one
				// more try with a fresh one.
				reauthorized = true
				c.invalidate(token)
				return true, nil
			}
			return false, &cart.Error{Status: ref.status, Message: ref.message, Err: cart.ErrAuth}
		},
	})
}

// bucketPacer paces by an operation's bucket and follows the rate each
// answer reports.
type bucketPacer struct {
	b    *bucket
	wait cart.PacerFunc
}

func (p bucketPacer) Wait(ctx context.Context) error { return p.wait(ctx) }

func (p bucketPacer) Observe(r *cart.Response) {
	if rate, ok := parseRate(r.Header); ok {
		p.b.observe(r.Received, rate)
	}
}

// classify reads one answer: a final response, *cart.Throttled, *refused,
// *cart.Temporary, or an error to return.
func classify(resp *cart.Response) (*response, error) {
	switch s, raw := resp.Status, resp.Body; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return nil, &refused{status: s, message: cart.Reason("Amazon refused access to the seller's account", apiMessage(raw))}
	case s == http.StatusTooManyRequests:
		return nil, &cart.Throttled{}
	case s >= 500:
		return nil, &cart.Temporary{Status: s, Message: cart.Reason(fmt.Sprintf("Amazon is temporarily unavailable (HTTP %d)", s), apiMessage(raw))}
	case s < 200 || (s >= 300 && s < 400):
		return nil, &cart.Error{Status: s, Message: fmt.Sprintf("Amazon answered HTTP %d", s)}
	}
	return &response{status: resp.Status, body: resp.Body}, nil
}

// userAgent follows Amazon's recommended form (AppId/Version (Language=…)).
const userAgent = "autosync/1.0 (Language=Go)"

// transportError classifies a failure to get any answer (cart.TransportError).
func (c *Client) transportError(ctx context.Context, err error) error {
	return cart.TransportError(ctx, err, "Amazon")
}

// failure turns a final non-2xx answer into a *cart.Error with Amazon's
// message; 404 also wraps cart.ErrNotFound.
func failure(resp *response) error {
	e := &cart.Error{Status: resp.status, Message: cart.Reason(fmt.Sprintf("Amazon answered HTTP %d", resp.status), apiMessage(resp.body))}
	if resp.status == http.StatusNotFound {
		e.Err = cart.ErrNotFound
	}
	return e
}

// page sends the request for the page cur is at, with cur's token as
// tokenParam when it has one. When Amazon refuses the token (it lives
// 30 s) the search starts again from the position reached, with query
// made anew, at most maxRestarts times in a row. It returns Amazon's
// answer to a request it took.
func (c *Client) page(ctx context.Context, cur *cursor, op operation, path, tokenParam string, query func() url.Values) (*response, error) {
	for {
		params := query()
		if cur.T != "" {
			params.Set(tokenParam, cur.T)
		}
		resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: path, query: params})
		if err != nil {
			return nil, err
		}
		if resp.status == http.StatusBadRequest && cur.T != "" && cur.R < maxRestarts {
			cur.restart()
			continue
		}
		cur.R = 0
		if !resp.ok() {
			return nil, failure(resp)
		}
		return resp, nil
	}
}

// Login with Amazon: the access token every request carries.

// refreshMargin is how long before its expiry an access token is replaced,
// so a request never carries one that expires on the way.
const refreshMargin = time.Minute

// maxTokenResponse bounds an LWA answer.
const maxTokenResponse = 64 << 10

// accessToken returns a live access token, fetching one when the cached
// one is missing or about to expire.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	return c.lwa.Get(c.now(), func() (string, time.Time, error) {
		token, ttl, err := c.fetchToken(ctx)
		// Stop using it shortly before Amazon does.
		return token, c.now().Add(ttl - min(refreshMargin, ttl/2)), err
	})
}

// invalidate drops token from the cache if it is still the current one.
func (c *Client) invalidate(token string) { c.lwa.Drop(token) }

// fetchToken exchanges the refresh token for an access token (cart.Do),
// retrying temporary failures (5xx, 429, no answer). A refused grant or
// client is cart.ErrAuth.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {c.creds.refreshToken},
		"client_id":     {c.creds.clientID},
		"client_secret": {c.creds.clientSecret},
	}
	type grant struct {
		token string
		ttl   time.Duration
	}
	l := c.loop()
	l.Cart, l.MaxResponse = "Login with Amazon", maxTokenResponse
	g, err := cart.Do(ctx, l, cart.Call[grant]{
		Build: func(ctx context.Context, _ cart.Attempt) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.lwaURL, strings.NewReader(form.Encode()))
			if err != nil {
				return nil, fmt.Errorf("building the token request: %w", err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
			req.Header.Set("Accept", "application/json")
			req.Header.Set("User-Agent", userAgent)
			return req, nil
		},
		Classify: func(r *cart.Response) (grant, error) {
			token, ttl, err := lwaAnswer(r.Status, r.Body)
			return grant{token, ttl}, err
		},
	})
	return g.token, g.ttl, err
}

// lwaAnswer reads Login with Amazon's answer: the token and how long it
// lives, a *cart.Temporary, or a *cart.Error.
func lwaAnswer(s int, raw []byte) (string, time.Duration, error) {
	switch {
	case s == http.StatusTooManyRequests || s >= 500:
		return "", 0, &cart.Temporary{Status: s, Message: fmt.Sprintf("Login with Amazon is temporarily unavailable (HTTP %d)", s)}
	case s != http.StatusOK:
		code, desc := parseLWAError(raw)
		msg := fmt.Sprintf("Login with Amazon answered HTTP %d", s)
		if code != "" {
			msg = cart.Reason("Login with Amazon refused the authorization ("+code+")", desc)
		}
		e := &cart.Error{Status: s, Message: msg}
		switch code {
		case "invalid_grant":
			e.Err = cart.ErrRevoked // the seller removed the application's authorization
		case "invalid_client", "unauthorized_client", "access_denied":
			e.Err = cart.ErrAuth // the seller must authorize the application again
		default:
			if s == http.StatusUnauthorized || s == http.StatusForbidden {
				e.Err = cart.ErrAuth
			}
		}
		return "", 0, e
	}
	token, ttl, err := parseLWAToken(raw)
	if err != nil {
		return "", 0, &cart.Temporary{Status: s, Message: "Login with Amazon sent an answer that could not be read", Err: err}
	}
	return token, ttl, nil
}
