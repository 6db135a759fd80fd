// Package squarespace is the Squarespace connector: it reads a site's
// orders and physical products and writes stock back through the Commerce
// APIs (developers.squarespace.com), pacing itself to the documented 300 requests per
// minute and waiting out the one-minute cool-down that follows a 429. For
// instasync it reads one order by id and manages the webhook subscription
// that signals new and changed orders (instasync.go).
//
// Wire rules the connector keeps:
//   - Every request carries the API key as a bearer token and a
//     User-Agent describing the app (Squarespace rejects requests without
//     one and throttles generic ones harder).
//   - A list's first page is asked for with its filters (modifiedAfter
//     and modifiedBefore together, fulfillmentStatus or type); every later
//     page with the cursor alone, which Squarespace requires.
//   - Stock adjustments carry an Idempotency-Key; a retry of the same
//     request reuses it, so a retried push is applied once (see SetStock).
package squarespace

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/pattern"
)

// Defaults used when Config leaves a field empty.
const (
	DefaultBaseURL   = "https://api.squarespace.com"
	DefaultUserAgent = "Autosync/1.0 (+support contact)"
)

// The API versions the connector speaks, as path segments. Squarespace
// versions each API separately by path: Orders, Inventory and Webhook
// Subscriptions are at 1.0; Products is at v2 (its 1.0 is the older
// version). Moving one is a change here, checked by the conformance tests
// (docs/api-versions.md).
const (
	APIVersion         = "1.0"
	ProductsAPIVersion = "v2"
)

// Config locates a site's API and holds its key.
type Config struct {
	// BaseURL replaces DefaultBaseURL, for a simulator in tests. Plain
	// http is accepted for loopback hosts only, so the key never crosses
	// a network in the clear.
	BaseURL string
	// APIKey is the site's API key (or an OAuth access token). It is sent
	// only in the Authorization header, never logged or put in an error.
	// Subscribe and Unsubscribe need an OAuth token: the Webhook
	// Subscriptions API refuses API keys.
	APIKey string
	// UserAgent identifies the app to Squarespace; empty means
	// DefaultUserAgent.
	UserAgent string
	// HTTPClient sends the requests; nil means a client with the default
	// transport. Redirects are never followed, whatever the client says,
	// because they would carry the key to another host.
	HTTPClient *http.Client
	// OAuth, when set, renews APIKey (then an OAuth access token) before
	// it expires.
	OAuth *OAuth
}

// String leaves the key out, in case a Config is ever printed.
func (c Config) String() string {
	return fmt.Sprintf("squarespace.Config{BaseURL: %q, UserAgent: %q}", c.BaseURL, c.UserAgent)
}

// Client reads one site's orders and listings and writes its stock. It is
// safe for concurrent use. Clients of the same site (base URL and key) in
// one process share one pacer, so together they keep to the site's limit.
type Client struct {
	base   string
	key    string
	ua     string
	hc     *http.Client
	pace   *pacer
	retry  retryPolicy
	clock  timeSource
	writes cart.Tally[WriteStats]
	oauth  *oauthTokens // nil: the key is used as it is
}

// New validates cfg and returns a client for the site.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("squarespace: no API key")
	}
	if strings.ContainsAny(cfg.APIKey, "\r\n") {
		return nil, errors.New("squarespace: the API key contains a line break")
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	if strings.ContainsFunc(ua, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, fmt.Errorf("squarespace: user agent %q contains a control character", ua)
	}
	base := DefaultBaseURL
	if cfg.BaseURL != "" {
		u, err := cart.HTTPSBaseURL(cfg.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("squarespace: base URL %q %w", cfg.BaseURL, err)
		}
		base = strings.TrimSuffix(u.String(), "/")
	}
	hc := cart.HTTPClient(cfg.HTTPClient)
	var ot *oauthTokens
	if cfg.OAuth != nil {
		ot = &oauthTokens{conf: *cfg.OAuth, access: cfg.APIKey}
	}
	return &Client{
		oauth: ot,
		base:  base,
		key:   cfg.APIKey,
		ua:    ua,
		hc:    hc,
		pace:  sharedPacer(base, cfg.APIKey, time.Now()),
		retry: defaultRetry,
		clock: realClock{},
	}, nil
}

// String names the site's API and leaves the key out.
func (c *Client) String() string { return "squarespace.Client{" + c.base + "}" }

// Fulfillment statuses of a Squarespace order, as the API spells them.
const (
	StatusPending   = "PENDING"
	StatusFulfilled = "FULFILLED"
	StatusCanceled  = "CANCELED"
)

// Statuses returns the fulfillment statuses support may choose to import
// (cart.OrderQuery.Statuses); DefaultStatuses is a subset.
func Statuses() []string { return []string{StatusPending, StatusFulfilled, StatusCanceled} }

// DefaultStatuses is the default import filter: PENDING (paid, not yet fulfilled).
func DefaultStatuses() []string { return []string{StatusPending} }

// StatusFilter maps a fulfillment status to our bucket; an unknown status
// is awaiting fulfillment, the state Squarespace starts an order in.
func StatusFilter(status string) cart.Filter {
	switch strings.ToUpper(status) {
	case StatusFulfilled:
		return cart.Shipped
	case StatusCanceled:
		return cart.Cancelled
	}
	return cart.AwaitingFulfillment
}

// idRE is a Squarespace resource id as the connector accepts it: hex
// object ids and UUIDs, with room for other opaque forms, never anything
// that would need escaping in a path or a JSON body.
var idRE = pattern.New(`^[A-Za-z0-9_-]{1,64}$`)
