package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// retryPolicy says how hard to try. Tests shorten the durations.
type retryPolicy struct {
	// MinThrottleWait is the least wait after THROTTLED, doubling for each
	// THROTTLED in a row; it matters when Shopify throttles although the
	// bucket it reports holds enough points (other limits, incidents).
	cart.Retry
}

var defaultRetry = retryPolicy{
	Retry: cart.StandardRetry(30*time.Second, 250*time.Millisecond, 30*time.Second),
}

// maxResponse bounds what is read of one response. A page of orders is a
// few hundred kilobytes at most.
const maxResponse = 16 << 20

// costBucket is the client's model of the shop's leaky bucket, reset from
// the throttleStatus of every response. Before a query is sent the model is
// debited its requested cost; if that leaves a debt, the caller waits until
// restoration repays it, so the query arrives when Shopify has the points.
// The model is conservative: it takes each status as current when the
// response arrives, though the server measured it earlier, so Shopify always
// holds at least what the model says. A plain token-bucket rate limiter
// (x/time/rate) was not used because the state is Shopify's, not ours: it
// must be overwritten from each response, and requested costs are refunded.
type costBucket struct {
	mu    sync.Mutex
	known bool // no response seen yet: send and learn
	max   float64
	rate  float64 // points per second
	avail float64 // at time at; negative while reserved points are owed
	at    time.Time
}

// paceMargin is added to each reservation to absorb rounding: Shopify
// reports whole points.
const paceMargin = 1

func (b *costBucket) level(now time.Time) float64 {
	return math.Min(b.max, b.avail+b.rate*now.Sub(b.at).Seconds())
}

// reserve debits cost and says how long to wait before sending.
func (b *costBucket) reserve(now time.Time, cost float64) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known {
		return 0
	}
	cost = math.Min(cost+paceMargin, b.max)
	b.avail, b.at = b.level(now)-cost, now
	return b.timeFor(-b.avail)
}

// maxWait bounds computed waits, so absurd statuses cannot overflow them.
const maxWait = 24 * time.Hour

// timeFor is how long restoring points takes.
func (b *costBucket) timeFor(points float64) time.Duration {
	if points <= 0 {
		return 0
	}
	s := points / b.rate
	if s >= maxWait.Seconds() {
		return maxWait
	}
	return time.Duration(math.Ceil(s * float64(time.Second)))
}

// release returns a reservation whose query was not sent or not answered.
func (b *costBucket) release(cost float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.known {
		b.avail += math.Min(cost+paceMargin, b.max)
	}
}

func (b *costBucket) observe(now time.Time, ts throttleStatus) {
	if ts.RestoreRate <= 0 || ts.MaximumAvailable <= 0 || ts.CurrentlyAvailable < 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.known = true
	b.max, b.rate = ts.MaximumAvailable, ts.RestoreRate
	b.avail, b.at = ts.CurrentlyAvailable, now
}

// wait says how long until cost points are available, without reserving.
func (b *costBucket) wait(now time.Time, cost float64) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known {
		return 0
	}
	return b.timeFor(math.Min(cost+paceMargin, b.max) - b.level(now))
}

// throttleLimit bounds a Retry-After: a larger one is ignored.
const throttleLimit = time.Hour

// query runs one GraphQL query and returns its data. requested is the
// query's requested cost, for pacing. It retries temporary failures with
// capped exponential backoff and waits out throttling for as long as ctx
// allows (cart.Do).
func (c *Client) query(ctx context.Context, doc string, vars map[string]any, requested float64) (json.RawMessage, error) {
	body, err := json.Marshal(map[string]any{"query": doc, "variables": vars})
	if err != nil {
		return nil, fmt.Errorf("encoding the query: %w", err)
	}
	return cart.Do(ctx, c.loop(), cart.Call[json.RawMessage]{
		Pacer: cart.PacerFunc(func(ctx context.Context) error {
			return c.loop().Pace(ctx, c.bucket.reserve(c.now(), requested), func() { c.bucket.release(requested) })
		}),
		Build: func(ctx context.Context, _ cart.Attempt) (*http.Request, error) {
			req, err := cart.JSONRequest(ctx, http.MethodPost, c.endpoint, nil, body, "autosync")
			if err != nil {
				return nil, fmt.Errorf("building the request: %w", err)
			}
			req.Header.Set("X-Shopify-Access-Token", c.token)
			return req, nil
		},
		Classify: c.classify,
		Throttle: func(t *cart.Throttled, n int) (time.Duration, error) {
			return max(t.After, c.bucket.wait(c.now(), requested), c.retry.ThrottleWait(n)), nil
		},
		// Whether Shopify charged the failed query is unknown; the next
		// response's status corrects the model either way.
		Temporary: func(*cart.Temporary) { c.bucket.release(requested) },
	})
}

// queryPage runs a paged query (doc with vars, from after cursor when it
// is not "") and parses its data.
func queryPage[P any](ctx context.Context, c *Client, doc string, vars map[string]any, cursor string, cost float64, parse func(json.RawMessage) (P, error)) (P, error) {
	if cursor != "" {
		vars["after"] = cursor
	}
	data, err := c.query(ctx, doc, vars, cost)
	if err != nil {
		var none P
		return none, err
	}
	return parse(data)
}

// loop is the client's part of every request.
func (c *Client) loop() *cart.Loop {
	return &cart.Loop{Cart: "Shopify", Client: c.hc, Retry: c.retry.Retry, MaxResponse: maxResponse, Now: c.now}
}

// classify reads one answer: data, *cart.Throttled, *cart.Temporary, or a
// final *cart.Error (possibly wrapping cart.ErrAuth).
func (c *Client) classify(resp *cart.Response) (json.RawMessage, error) {
	raw := resp.Body
	switch s := resp.Status; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		msg := "Shopify refused the access token"
		if r, err := decodeResponse(raw); err == nil && len(r.Errors) > 0 {
			msg += ": " + r.Errors.message()
		}
		return nil, &cart.Error{Status: s, Message: msg, Err: cart.ErrAuth}
	case s == http.StatusTooManyRequests:
		return nil, &cart.Throttled{After: cart.RetryAfterWithin(resp.Header.Get("Retry-After"), resp.Received, throttleLimit)}
	case s >= 500:
		return nil, &cart.Temporary{Status: s, Message: fmt.Sprintf("Shopify is temporarily unavailable (HTTP %d)", s)}
	case s != http.StatusOK:
		msg := fmt.Sprintf("Shopify answered HTTP %d", s)
		if r, err := decodeResponse(raw); err == nil && len(r.Errors) > 0 {
			msg += ": " + r.Errors.message()
		}
		return nil, &cart.Error{Status: s, Message: msg}
	}

	r, err := decodeResponse(raw)
	if err != nil {
		return nil, &cart.Temporary{Status: resp.Status, Message: "Shopify sent a response that could not be read", Err: err}
	}
	if r.Extensions.Cost != nil {
		c.bucket.observe(resp.Received, r.Extensions.Cost.ThrottleStatus)
	}
	switch {
	case r.Errors.has("THROTTLED"):
		return nil, &cart.Throttled{}
	case r.Errors.has("INTERNAL_SERVER_ERROR"):
		return nil, &cart.Temporary{Status: resp.Status, Message: "Shopify had an internal error: " + r.Errors.message()}
	case r.Errors.has("ACCESS_DENIED"):
		// The token works but lacks a scope (read_orders): the merchant
		// must authorize the app again.
		return nil, &cart.Error{Status: resp.Status, Message: r.Errors.message(), Err: cart.ErrAuth}
	case len(r.Errors) > 0:
		return nil, &cart.Error{Status: resp.Status, Message: r.Errors.message()}
	case len(r.Data) == 0 || string(r.Data) == "null":
		return nil, &cart.Error{Status: resp.Status, Message: "Shopify sent no data"}
	}
	return r.Data, nil
}
