package woocommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// retryPolicy says how hard to try. Tests shorten the durations.
type retryPolicy struct {
	// MinThrottleWait is the wait after a 429 without a usable
	// Retry-After, doubling for each 429 in a row up to MaxThrottleWait.
	cart.Retry
}

var defaultRetry = retryPolicy{
	Retry: cart.Retry{
		Attempts:        4,
		BaseBackoff:     500 * time.Millisecond,
		MaxBackoff:      8 * time.Second,
		AttemptTimeout:  60 * time.Second, // WordPress on shared hosting is slow
		MinThrottleWait: time.Second,
		MaxThrottleWait: time.Minute,
	},
}

// maxResponse bounds what is read of one response. A page of 100 full
// orders is well under a megabyte.
const maxResponse = 16 << 20

// reply is a successful response.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// wpError is the body WordPress sends with an error status.
type wpError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Data    struct {
		Status wcInt `json:"status"`
	} `json:"data"`
}

// decodeError reads a WordPress error body; ok is false for anything else
// (an HTML page from a proxy, a WAF's text).
func decodeError(body []byte) (e wpError, ok bool) {
	if json.Unmarshal(body, &e) != nil || e.Code == "" {
		return wpError{}, false
	}
	e.Message = clip(strings.TrimSpace(e.Message), 300)
	return e, true
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// temporary is a failure worth retrying (cart.Temporary).
type temporary = cart.Temporary

// throttled is a 429; after is the store's Retry-After, if usable.
type throttled struct{ after time.Duration }

func (throttled) Error() string { return "rate limited" }

// keysNotSeen is a 401 that says the request ran without credentials: the
// host dropped the Authorization header.
type keysNotSeen struct{ err *cart.Error }

func (k keysNotSeen) Error() string { return k.err.Error() }

// errStop ends a wait that would outlast the caller's deadline.
var errStop = cart.ErrPastDeadline

// sleep waits d unless ctx ends first or would end before d has passed.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	return cart.Sleep(ctx, d, c.now())
}

func rateLimited(err error, wait time.Duration) error { return cart.RateLimited(err, wait) }

// pace waits for the configured request rate, if any.
func (c *Client) pace(ctx context.Context) error {
	if c.limiter == nil {
		return ctx.Err()
	}
	r := c.limiter.Reserve()
	wait := r.Delay()
	if err := c.sleep(ctx, wait); err != nil {
		r.Cancel()
		return rateLimited(err, wait)
	}
	return nil
}

// do sends one API request, retrying temporary failures with capped
// exponential backoff and waiting out 429s for as long as ctx allows. Stock
// writes set absolute quantities, so a retried write is harmless.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte) (*reply, error) {
	return c.send(ctx, method, path, q, body, true)
}

// send is do; a call that is not idempotent (creating a webhook) returns a
// temporary failure instead of retrying it, since the first try may have
// taken effect. 429s and unseen keys are retried whatever the call: the
// store did not act on those.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, body []byte, idempotent bool) (*reply, error) {
	failures, throttles := 0, 0
	fellBack := false
	for {
		if err := c.pace(ctx); err != nil {
			return nil, err
		}
		rep, err := c.attempt(ctx, method, path, q, body)
		var tmp *temporary
		var thr throttled
		var nk keysNotSeen
		switch {
		case err == nil:
			return rep, nil
		case errors.As(err, &thr):
			wait := thr.after
			if wait <= 0 {
				wait = c.retry.ThrottleWait(throttles)
			}
			throttles++
			if err := c.sleep(ctx, wait); err != nil {
				return nil, rateLimited(err, wait)
			}
		case errors.As(err, &nk) && !fellBack:
			// The store saw no keys although they were sent: the host
			// dropped the Authorization header. WooCommerce's documented
			// fallback is the query string; it sticks if it works.
			fellBack = true
			c.queryAuth.Store(true)
		case errors.As(err, &tmp):
			failures++
			if failures >= c.retry.Attempts || !idempotent {
				return nil, tmp.CartError()
			}
			if err := c.sleep(ctx, c.retry.Backoff(failures)); err != nil {
				if errors.Is(err, errStop) {
					return nil, tmp.CartError()
				}
				return nil, err
			}
		default:
			if fellBack && errors.Is(err, cart.ErrAuth) {
				c.queryAuth.Store(false) // the fallback did not help either
			}
			if errors.As(err, &nk) {
				return nil, nk.err
			}
			return nil, err
		}
	}
}

// attempt sends one request and classifies the outcome: a reply, throttled,
// keysNotSeen, *temporary, or a final error (*cart.Error, possibly wrapping
// cart.ErrAuth or cart.ErrNotFound).
func (c *Client) attempt(ctx context.Context, method, path string, q url.Values, body []byte) (*reply, error) {
	actx, cancel := context.WithTimeout(ctx, c.retry.AttemptTimeout)
	defer cancel()
	queryAuth := c.queryAuth.Load()
	params := url.Values{}
	for k, v := range q {
		params[k] = v
	}
	if queryAuth {
		params.Set("consumer_key", c.key)
		params.Set("consumer_secret", c.secret)
	}
	u := c.api + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("building the request for %s", path) // the URL may hold the keys
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "autosync")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !queryAuth {
		req.SetBasicAuth(c.key, c.secret)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	if len(raw) > maxResponse {
		return nil, &cart.Error{Status: resp.StatusCode, Message: "WooCommerce sent a response too large to read"}
	}

	s := resp.StatusCode
	wpe, isWP := decodeError(raw)
	reason := func(prefix string) string {
		if isWP && wpe.Message != "" {
			return prefix + ": " + wpe.Message
		}
		return prefix
	}
	switch {
	case s == http.StatusOK || s == http.StatusCreated:
		if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '[' && t[0] != '{' {
			// A caching plugin's or a maintenance page's HTML. (The
			// parsers check the rest.)
			return nil, &temporary{Status: s, Message: "WooCommerce sent a response that could not be read"}
		}
		return &reply{status: s, header: resp.Header, body: raw}, nil
	case s == http.StatusTooManyRequests:
		return nil, throttled{after: retryAfter(resp.Header.Get("Retry-After"), c.now())}
	case s == http.StatusUnauthorized && isWP && strings.HasPrefix(wpe.Code, "woocommerce_rest_cannot_") && !queryAuth:
		return nil, keysNotSeen{&cart.Error{Status: s, Message: reason("WooCommerce did not receive the API keys"), Err: cart.ErrAuth}}
	case s == http.StatusUnauthorized:
		return nil, &cart.Error{Status: s, Message: reason("WooCommerce refused the API keys"), Err: cart.ErrAuth}
	case s == http.StatusForbidden:
		return nil, &cart.Error{Status: s, Message: reason("the API keys lack permission (a Read/Write key of a shop manager is needed)"), Err: cart.ErrAuth}
	case s >= 300 && s < 400:
		msg := fmt.Sprintf("WooCommerce answered HTTP %d instead of the API", s)
		if loc, err := resp.Location(); err == nil {
			msg = fmt.Sprintf("the store redirected the API to %s://%s; set the store URL to that address", loc.Scheme, loc.Host)
		}
		return nil, &cart.Error{Status: s, Message: msg}
	case s == http.StatusNotFound && (!isWP || wpe.Code == "rest_no_route"):
		return nil, &cart.Error{Status: s, Message: "the WooCommerce REST API was not found at " + c.base + " (is WooCommerce active, with pretty permalinks?)"}
	case s == http.StatusNotFound || isWP && strings.HasSuffix(wpe.Code, "_invalid_id"):
		return nil, &cart.Error{Status: s, Message: reason("WooCommerce has no such resource"), Err: cart.ErrNotFound}
	case s >= 500:
		return nil, &temporary{Status: s, Message: reason(fmt.Sprintf("WooCommerce is temporarily unavailable (HTTP %d)", s))}
	}
	return nil, &cart.Error{Status: s, Message: reason(fmt.Sprintf("WooCommerce answered HTTP %d", s))}
}

// transportError classifies a failure to get any answer (cart.TransportError).
func (c *Client) transportError(ctx context.Context, err error) error {
	return cart.TransportError(ctx, err, "WooCommerce")
}

// maxRetryAfter bounds a Retry-After, so an absurd one cannot overflow.
const maxRetryAfter = 24 * time.Hour

// retryAfter parses Retry-After: delta-seconds (hosts send integers; a
// decimal is accepted) or an HTTP date. Zero means absent or unusable.
func retryAfter(h string, now time.Time) time.Duration {
	return cart.RetryAfter(h, now, maxRetryAfter)
}

// getJSON sends a GET and returns the reply.
func (c *Client) get(ctx context.Context, path string, q url.Values) (*reply, error) {
	return c.do(ctx, http.MethodGet, path, q, nil)
}

// totalHeader reads X-WP-Total; ok is false when it is absent or absurd.
func totalHeader(h http.Header) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-WP-Total")))
	return n, err == nil && n >= 0
}

// parseLinks reads RFC 8288 Link header values into rel → target. Targets
// may hold commas (status=a,b), so values are scanned, not split.
func parseLinks(values []string) map[string]string {
	out := map[string]string{}
	for _, v := range values {
		for {
			v = strings.TrimLeft(v, " \t,")
			if v == "" || v[0] != '<' {
				break
			}
			end := strings.IndexByte(v, '>')
			if end < 0 {
				break
			}
			target := v[1:end]
			v = v[end+1:]
			// Parameters up to the next comma outside quotes.
			var rels []string
			for {
				v = strings.TrimLeft(v, " \t")
				if v == "" || v[0] != ';' {
					break
				}
				v = strings.TrimLeft(v[1:], " \t")
				eq := strings.IndexAny(v, "=;,")
				if eq < 0 || v[eq] != '=' {
					// A parameter without a value.
					if eq < 0 {
						v = ""
					} else {
						v = v[eq:]
					}
					continue
				}
				name := strings.ToLower(strings.TrimSpace(v[:eq]))
				v = strings.TrimLeft(v[eq+1:], " \t")
				var val string
				if strings.HasPrefix(v, `"`) {
					q := strings.IndexByte(v[1:], '"')
					if q < 0 {
						val, v = v[1:], ""
					} else {
						val, v = v[1:q+1], v[q+2:]
					}
				} else {
					e := strings.IndexAny(v, ";,")
					if e < 0 {
						e = len(v)
					}
					val, v = strings.TrimSpace(v[:e]), v[e:]
				}
				if name == "rel" {
					rels = append(rels, strings.Fields(strings.ToLower(val))...)
				}
			}
			for _, r := range rels {
				if _, dup := out[r]; !dup {
					out[r] = target
				}
			}
			if v == "" || v[0] != ',' {
				break
			}
		}
	}
	return out
}

// nextPage reads the page number of a Link rel=next. Only the number is
// taken: the target itself is built from the site's configured URL, which
// may not be the URL the merchant gave, and is never followed.
func nextPage(h http.Header, current int) (int, bool) {
	next, ok := parseLinks(h.Values("Link"))["next"]
	if !ok {
		return 0, false
	}
	u, err := url.Parse(next)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(u.Query().Get("page"))
	if err != nil || n <= current {
		return 0, false
	}
	return n, true
}
