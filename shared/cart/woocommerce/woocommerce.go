// Package woocommerce is the WooCommerce connector: it reads a store's
// orders and products through the REST API v3 (/wp-json/wc/v3, WooCommerce REST API docs)
// and writes stock back with the batch endpoints.
//
// # Orders and statuses
//
// Import asks for status=processing (paid, awaiting fulfilment);
// support may set other WooCommerce status slugs per channel
// (cart.OrderQuery.Statuses, validated against Statuses for the admin
// route). Cancels are read with status=cancelled,refunded,failed. Statuses
// map to our buckets by StatusFilter:
//
//	processing, on-hold, pending (and any  → awaiting_fulfillment
//	  other status support chose to import)
//	completed                               → shipped
//	cancelled, refunded, failed, trash      → cancelled
//
// Only processing is imported by default: pending orders are unpaid and
// on-hold ones await payment confirmation. If support adds on-hold, those
// orders commit stock, as WooCommerce itself has already reduced it.
//
// # Paging without drift
//
// WooCommerce pages by offset (page, per_page ≤ 100). Offsets drift: an
// order on an earlier page that is modified during the import leaves the
// window (its date_modified_gmt moves past the fixed upper bound) and every
// later order moves up one place, so the order at the page boundary would be
// skipped — lost, since its own modification time stays inside the window
// the next run starts after. Sorting by modified ascending and fixing the
// window's upper bound (modified_before) is not enough on its own.
//
// So pages are keyset pages: each request asks for orders modified at or
// after the last second already read (modified_after, dates_are_gmt=true,
// orderby=modified, order=asc, which WooCommerce sorts by "modified ID"),
// leaving out (exclude=) the orders of that second already returned. An
// order that leaves the window can then move nothing: orders before that
// second are outside the query, and the ones of that second are excluded
// by id. Every order a request returns is new. The cursor holds the second
// and those ids (one or two, usually). Only when more than 100 orders
// share one second does the cursor fall back to an offset within that
// second, re-reading the last order returned: if it is gone, orders
// already read left the window and the page is read again from further
// back. The page number WooCommerce's Link header offers is not used.
//
// With the upper bound fixed (the executor's watermark, taken before
// reading), orders can leave the window during a run but never enter it;
// the ones that leave are read by the next run, whose window starts where
// this one ends. Duplicates are possible and harmless (imports upsert);
// gaps are not.
//
// # Rate limits
//
// WooCommerce core has no rate limit; hosts and WAFs add one. The client
// sends as fast as the store answers unless Config.RequestsPerSecond paces
// it, and always honours 429 and Retry-After. A wait that would outlast
// the caller's deadline returns *cart.RateLimitedError instead.
package woocommerce

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/pattern"
)

// APIVersion is the REST API namespace the connector speaks. WooCommerce
// versions by namespace (wc/v1, wc/v2, wc/v3), each kept while the plugin
// supports it; moving is a change here, checked by the conformance tests
// against the published reference (docs/api-versions.md).
const APIVersion = "wc/v3"

// APIPath is where the REST API lives under the store URL.
const APIPath = "/wp-json/" + APIVersion

// Config locates a store and holds its REST API keys.
type Config struct {
	// BaseURL is the store's URL, "https://shop.example" (or a WordPress
	// installed in a folder, "https://example.com/shop"). It must be https,
	// except on a loopback host where a simulator serves plain http.
	BaseURL string
	// ConsumerKey and ConsumerSecret are a Read/Write REST API key. They
	// are sent only as HTTP Basic credentials (or, see QueryStringAuth, as
	// query parameters), never logged or put in an error.
	ConsumerKey, ConsumerSecret string
	// QueryStringAuth sends the keys as consumer_key/consumer_secret query
	// parameters, for hosts that drop the Authorization header. The client
	// switches to it by itself when the store answers as if no keys had
	// arrived.
	QueryStringAuth bool
	// RequestsPerSecond paces requests to a host's known limit; 0 sends as
	// fast as the store answers.
	RequestsPerSecond float64
	// HTTPClient sends the requests; nil means a client with default
	// transport. Redirects are never followed, whatever the client says,
	// because they would carry the keys to another URL.
	HTTPClient *http.Client
}

// String leaves the keys out, in case a Config is ever printed.
func (c Config) String() string {
	return fmt.Sprintf("woocommerce.Config{BaseURL: %q}", c.BaseURL)
}

// Client talks to one store. It is safe for concurrent use.
type Client struct {
	base      string // store URL, no trailing slash
	api       string // base + APIPath
	host      string
	key       string
	secret    string
	queryAuth atomic.Bool
	limiter   *rate.Limiter
	hc        *http.Client
	retry     retryPolicy
	now       func() time.Time
}

var keyRE = pattern.New(`^[\x21-\x7e]{1,200}$`)

// New validates cfg and returns a client for the store.
func New(cfg Config) (*Client, error) {
	// WooCommerce accepts API keys over plain http only with OAuth 1.0a
	// signatures.
	u, err := cart.HTTPSBaseURL(strings.TrimSpace(cfg.BaseURL))
	if err != nil {
		return nil, fmt.Errorf("woocommerce: store URL %q %w", cfg.BaseURL, err)
	}
	if !keyRE.MatchString(cfg.ConsumerKey) || !keyRE.MatchString(cfg.ConsumerSecret) {
		return nil, errors.New("woocommerce: a consumer key and a consumer secret are required")
	}
	if cfg.RequestsPerSecond < 0 {
		return nil, errors.New("woocommerce: RequestsPerSecond cannot be negative")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	base := u.String()
	hc := cart.HTTPClient(cfg.HTTPClient)
	c := &Client{
		base:   base,
		api:    base + APIPath,
		host:   u.Host,
		key:    cfg.ConsumerKey,
		secret: cfg.ConsumerSecret,
		hc:     hc,
		retry:  defaultRetry,
		now:    time.Now,
	}
	c.queryAuth.Store(cfg.QueryStringAuth)
	if cfg.RequestsPerSecond > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), 1)
	}
	return c, nil
}

// String names the store and leaves the keys out.
func (c *Client) String() string { return "woocommerce.Client{" + c.base + "}" }

// Order statuses of WooCommerce core, as the REST API spells them.
const (
	StatusPending    = "pending"
	StatusProcessing = "processing"
	StatusOnHold     = "on-hold"
	StatusCompleted  = "completed"
	StatusCancelled  = "cancelled"
	StatusRefunded   = "refunded"
	StatusFailed     = "failed"
)

// Statuses returns the order status slugs support may choose to import
// (the core statuses; "trash", "checkout-draft" and "any" are left out).
func Statuses() []string {
	return []string{StatusPending, StatusProcessing, StatusOnHold, StatusCompleted, StatusCancelled, StatusRefunded, StatusFailed}
}

// DefaultStatuses is the default import filter: processing (paid, awaiting fulfilment).
func DefaultStatuses() []string { return []string{StatusProcessing} }

// cancelStatuses are read by a cancelled query: the orders that left
// awaiting fulfillment, cancelled or completed (shipped).
var cancelStatuses = []string{StatusCancelled, StatusRefunded, StatusFailed, StatusCompleted}

// StatusFilter maps a WooCommerce order status to our bucket (see the
// package documentation).
func StatusFilter(status string) cart.Filter {
	switch normalizeStatus(status) {
	case StatusCompleted:
		return cart.Shipped
	case StatusCancelled, StatusRefunded, StatusFailed, "trash":
		return cart.Cancelled
	}
	return cart.AwaitingFulfillment
}

// statusRE is a post status slug: WordPress keeps them in a 20-character
// column. Plugins register statuses of their own, which the store accepts
// in the status parameter, so the connector does not insist on core ones.
var statusRE = pattern.New(`^[a-z0-9_-]{1,20}$`)

func normalizeStatus(s string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "wc-")
}

// statusParam builds the status parameter for q.
func statusParam(q cart.OrderQuery) (string, error) {
	out, err := cart.QueryStatuses(q, DefaultStatuses, cancelStatuses,
		"a WooCommerce status such as processing", func(s string) (string, bool) {
			n := normalizeStatus(s)
			return n, statusRE.MatchString(n)
		})
	return strings.Join(out, ","), err
}
