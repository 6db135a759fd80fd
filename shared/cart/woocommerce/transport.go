package woocommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	Retry: cart.StandardRetry(60*time.Second, time.Second, time.Minute), // WordPress on shared hosting is slow
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
	e.Message = cart.Clip(strings.TrimSpace(e.Message), 300)
	return e, true
}

// keysNotSeen is a 401 that says the request ran without credentials: the
// host dropped the Authorization header.
type keysNotSeen struct{ err *cart.Error }

func (k keysNotSeen) Error() string { return k.err.Error() }

// get sends a GET and returns the reply.
func (c *Client) get(ctx context.Context, path string, q url.Values) (*reply, error) {
	return c.do(ctx, http.MethodGet, path, q, nil)
}

// do sends one API request, retrying temporary failures with capped
// exponential backoff and waiting out 429s for as long as ctx allows. Stock
// writes set absolute quantities, so a retried write is harmless.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte) (*reply, error) {
	return c.send(ctx, method, path, q, body, true)
}

// send is do (cart.Do); a call that is not idempotent (creating a webhook)
// returns a temporary failure instead of retrying it, since the first try
// may have taken effect. 429s and unseen keys are retried whatever the
// call: the store did not act on those.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, body []byte, idempotent bool) (*reply, error) {
	l := &cart.Loop{Cart: "WooCommerce", Client: c.hc, Retry: c.retry.Retry, MaxResponse: maxResponse, Now: c.now}
	var queryAuth, fellBack bool
	call := cart.Call[*reply]{
		Build: func(ctx context.Context, _ cart.Attempt) (*http.Request, error) {
			queryAuth = c.queryAuth.Load()
			return c.request(ctx, method, path, q, body, queryAuth)
		},
		Classify: func(r *cart.Response) (*reply, error) { return c.classify(r, queryAuth) },
		Throttle: func(t *cart.Throttled, n int) (time.Duration, error) {
			if t.After > 0 {
				return t.After, nil
			}
			return c.retry.ThrottleWait(n), nil
		},
		Recover: func(ctx context.Context, err error) (bool, error) {
			var nk keysNotSeen
			if errors.As(err, &nk) && !fellBack {
				// The store saw no keys although they were sent: the host
				// dropped the Authorization header. WooCommerce's
				// documented fallback is the query string; it sticks if it
				// works.
				fellBack = true
				c.queryAuth.Store(true)
				return true, nil
			}
			if fellBack && errors.Is(err, cart.ErrAuth) {
				c.queryAuth.Store(false) // the fallback did not help either
			}
			if errors.As(err, &nk) {
				return false, nk.err
			}
			return false, err
		},
		Once: !idempotent,
	}
	if c.limiter != nil {
		// The configured request rate.
		call.Pacer = cart.PacerFunc(func(ctx context.Context) error {
			r := c.limiter.Reserve()
			return l.Pace(ctx, r.Delay(), r.Cancel)
		})
	}
	return cart.Do(ctx, l, call)
}

// request builds one try's request, with the keys in the query string when
// queryAuth says the host drops the Authorization header.
func (c *Client) request(ctx context.Context, method, path string, q url.Values, body []byte, queryAuth bool) (*http.Request, error) {
	params := url.Values{}
	for k, v := range q {
		params[k] = v
	}
	if queryAuth {
		params.Set("consumer_key", c.key)
		params.Set("consumer_secret", c.secret)
	}
	req, err := cart.JSONRequest(ctx, method, c.api+path, params, body, "autosync")
	if err != nil {
		return nil, fmt.Errorf("building the request for %s", path) // the URL may hold the keys
	}
	if !queryAuth {
		req.SetBasicAuth(c.key, c.secret)
	}
	return req, nil
}

// classify reads one answer: a reply, *cart.Throttled, keysNotSeen,
// *cart.Temporary, or a final error (*cart.Error, possibly wrapping
// cart.ErrAuth or cart.ErrNotFound).
func (c *Client) classify(resp *cart.Response, queryAuth bool) (*reply, error) {
	s, raw := resp.Status, resp.Body
	wpe, isWP := decodeError(raw)
	reason := func(prefix string) string {
		if isWP {
			return cart.Reason(prefix, wpe.Message)
		}
		return prefix
	}
	switch {
	case s == http.StatusOK || s == http.StatusCreated:
		if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '[' && t[0] != '{' {
			// A caching plugin's or a maintenance page's HTML. (The
			// parsers check the rest.)
			return nil, &cart.Temporary{Status: s, Message: "WooCommerce sent a response that could not be read"}
		}
		return &reply{status: s, header: resp.Header, body: raw}, nil
	case s == http.StatusTooManyRequests:
		return nil, &cart.Throttled{After: cart.RetryAfter(resp.Header.Get("Retry-After"), resp.Received, maxRetryAfter)}
	case s == http.StatusUnauthorized && isWP && strings.HasPrefix(wpe.Code, "woocommerce_rest_cannot_") && !queryAuth:
		// Refused as a visitor: no keys reached WordPress (a host dropped
		// the Authorization header), or keys it does not have, which
		// WC_REST_Authentication answers the same way. The query string
		// tells the two apart (Recover).
		return nil, keysNotSeen{&cart.Error{Status: s, Message: reason("WooCommerce did not receive the API keys"), Err: cart.ErrAuth}}
	case s == http.StatusUnauthorized && isWP && strings.HasPrefix(wpe.Code, "woocommerce_rest_cannot_"):
		// Keys sent in the query string, which hosts pass on, and still
		// refused as a visitor: WooCommerce looked the key up and has no
		// such key (deleted or revoked under WooCommerce → Settings →
		// Advanced → REST API).
		return nil, &cart.Error{Status: s, Message: reason("WooCommerce no longer has these API keys"), Err: cart.ErrRevoked}
	case s == http.StatusUnauthorized && isWP && wpe.Code == "woocommerce_rest_authentication_error":
		return nil, authError(s, wpe.Message)
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
		return nil, &cart.Temporary{Status: s, Message: reason(fmt.Sprintf("WooCommerce is temporarily unavailable (HTTP %d)", s))}
	}
	return nil, &cart.Error{Status: s, Message: reason(fmt.Sprintf("WooCommerce answered HTTP %d", s))}
}

// authError reads a woocommerce_rest_authentication_error, which
// WC_REST_Authentication answers for every refusal of the keys, told apart
// only by its message: keys the store does not hold are the app's access
// revoked; a key lacking the read or write permission (check_permissions)
// needs a new key, as do a stale OAuth timestamp or nonce and anything a
// plugin says under the same code. A store in another language translates
// the messages: they are then shown as they are and only pause the
// channel, the cautious side (a deleted key over HTTPS is told by its code
// anyway, see classify).
func authError(status int, message string) error {
	switch message {
	case "Consumer key is invalid.", "Consumer secret is invalid.",
		"Invalid signature - provided signature does not match.":
		return &cart.Error{Status: status, Message: cart.Reason("WooCommerce no longer has these API keys", message), Err: cart.ErrRevoked}
	case "The API key provided does not have write permissions.":
		return &cart.Error{Status: status, Message: "The API key is read-only: create a key with Read/Write permissions.", Err: cart.ErrAuth}
	case "The API key provided does not have read permissions.":
		return &cart.Error{Status: status, Message: "The API key is write-only: create a key with Read/Write permissions.", Err: cart.ErrAuth}
	}
	return &cart.Error{Status: status, Message: cart.Reason("WooCommerce refused the API keys", message), Err: cart.ErrAuth}
}

// maxRetryAfter bounds a Retry-After, so an absurd one cannot overflow.
const maxRetryAfter = 24 * time.Hour

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
