// Package amazon is the Amazon Selling Partner API connector:
// seller-fulfilled (MFN) orders through Orders 2026-01-01 searchOrders
// (Orders v0 is deprecated), Amazon-fulfilled (FBA) orders shipped in the
// last 30 days through the same operation, FBA stock through FBA Inventory
// getInventorySummaries, listings through Listings Items
// searchListingsItems and merchant-fulfilled quantities written back on
// the fulfillment_availability attribute, through patchListingsItem for a
// small push and one JSON_LISTINGS_FEED (Feeds API) for a large one.
//
// Each call goes to the SP-API host of the channel's selling region,
// chosen by its marketplace (package region: North America, Europe, Far
// East), or to that region's sandbox host when Config.Sandbox is set; a
// region that does not serve the marketplace is refused by New.
//
// Auth is Login with Amazon: the refresh token is exchanged for an access
// token (about an hour), cached until shortly before it expires and sent in
// x-amz-access-token; no SigV4 (Amazon dropped it in 2023). Every
// operation is paced to its own token bucket (the documented usage plans; the rate
// adapts to x-amzn-RateLimit-Limit), a 429 QuotaExceeded is waited out,
// never a failure, and a wait that would outlast the caller's deadline
// returns *cart.RateLimitedError.
//
// Order statuses are the Orders 2026-01-01 fulfillment statuses (Statuses);
// the Orders v0 and Seller Central spellings merchants know ("Unshipped",
// "PartiallyShipped", "Canceled") are accepted for them. They map to our
// filters as follows: Unshipped, PartiallyShipped, Pending and
// PendingAvailability are awaiting fulfillment (the rest of a partially
// shipped order is still to ship); Shipped is shipped; Cancelled and
// Unfulfillable are cancelled.
//
// Decisions the stored specs leave open, and limits to know:
//   - searchOrders' lastUpdatedBefore must be at least two minutes before
//     the request, so a window's end is clamped to now − 2 min 5 s. The
//     executor's window overlap (5 minutes) re-reads what the clamp leaves
//     out; an overlap under 2 minutes would lose orders.
//   - Next tokens are short-lived. The cursor carries the window's bounds,
//     the token and the position reached (the latest update time handed
//     out and the order ids at that time), so an expired token (400) is
//     recovered by searching again from that position, skipping the ids
//     already handed out: no duplicates, nothing lost, provided Amazon
//     returns orders oldest update first. When a page shows otherwise, the
//     connector restarts from the window's start instead (duplicates, which
//     the executor's upsert absorbs, rather than losses).
//   - Import Products pages searchListingsItems (20 a page, oldest update
//     first). The catalog keeps Import Products manual-only for Amazon because
//     the complete path is a report (GET_MERCHANT_LISTINGS_ALL_DATA), slow
//     to produce; the search is what this connector uses, and since one
//     search pages through at most 1000 items, it searches again from the
//     last update time reached every 1000 items.
//   - Write-back below Config.FeedThreshold SKUs a call (default 100)
//     spends one patchListingsItem per SKU (Amazon has no batch listings
//     call), paced at 5/s with up to 5 in flight; ACCEPTED is Amazon
//     accepting the quantity for processing, the closest to a
//     confirmation the call gives. At or above it, the call sends one
//     JSON_LISTINGS_FEED (up to MaxFeedBatch PATCH messages) and waits
//     for its processing report inside the call; feeds.go says how, what
//     a continuation does with a feed still processing, and which of its
//     facts are guesses.
//   - FBA inventory next tokens live 30 s; an expired one restarts the
//     listing from the first page (setting quantities again is harmless).
package amazon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/amazon/region"
	"github.com/autosync/autosync/shared/clock"
	"github.com/autosync/autosync/shared/pattern"
)

// DefaultLWAEndpoint is Login with Amazon's token URL. It is one host for
// every region: Amazon's "Connect to the SP-API" page sends the token
// request to api.amazon.com whatever the seller's marketplace.
const DefaultLWAEndpoint = "https://api.amazon.com/auth/o2/token"

// Config locates a seller's SP-API and holds its LWA credentials.
type Config struct {
	// Endpoint is the SP-API base URL; empty means the host of the
	// marketplace's region (region.Region.Endpoint), or its sandbox host
	// when Sandbox is set. Tests and make dev point it at a simulator.
	Endpoint string
	// Region is the selling region the channel was configured with ("na",
	// "eu", "fe"); empty means the marketplace's. A region that does not
	// serve MarketplaceID is refused.
	Region string
	// Sandbox sends the calls to the region's SP-API sandbox host.
	Sandbox bool
	// LWAEndpoint is the Login with Amazon token URL; empty means
	// DefaultLWAEndpoint.
	LWAEndpoint string
	// ClientID and ClientSecret are the application's LWA credentials;
	// RefreshToken the seller's authorization of it. They are sent only to
	// LWAEndpoint, never logged or put in an error.
	ClientID, ClientSecret, RefreshToken string
	// SellerID is the merchant token (listings paths); MarketplaceID the
	// marketplace the channel sells in (ATVPDKIKX0DER for amazon.com,
	// A1F83G8C2ARO7P for amazon.co.uk): it chooses the region's host.
	SellerID, MarketplaceID string
	// HTTPClient sends the requests; nil means a client with default
	// transport. Redirects are never followed, whatever the client says,
	// because they would carry the access token to another host.
	HTTPClient *http.Client
	// Now is the clock for pacing and token lifetimes; nil means time.Now.
	Now func() time.Time
	// Sleep waits d, or until ctx ends; nil means a timer. Tests inject a
	// clock's Sleep, with Now, to run searchOrders' 178.6 s spacing in no
	// time. Deadlines are checked before sleeping, against ctx's deadline
	// on the wall clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// FeedThreshold is the smallest SetStock call sent as one
	// JSON_LISTINGS_FEED instead of a patchListingsItem per SKU: 0 means
	// DefaultFeedThreshold, a negative value turns feeds off (MaxBatch is
	// then MaxPatchBatch). At most MaxFeedThreshold, so that a call below
	// it stays short at 5 patches/s.
	FeedThreshold int
}

// String leaves the secrets out, in case a Config is ever printed.
func (c Config) String() string {
	return fmt.Sprintf("amazon.Config{Endpoint: %q, LWAEndpoint: %q, Region: %q, Sandbox: %v, SellerID: %q, MarketplaceID: %q}",
		c.Endpoint, c.LWAEndpoint, c.Region, c.Sandbox, c.SellerID, c.MarketplaceID)
}

var (
	sellerIDRE    = pattern.New(`^[A-Z0-9]{5,32}$`)
	marketplaceRE = pattern.New(`^[A-Z0-9]{5,32}$`)
)

// Client talks to one seller's SP-API in one marketplace. It is safe for
// concurrent use; its pacing assumes it is the only client of that
// seller's usage plans in this process.
type Client struct {
	endpoint string
	region   region.Region
	lwaURL   string
	creds    credentials
	seller   string
	market   string
	hc       *http.Client
	now      func() time.Time
	sleepFn  func(ctx context.Context, d time.Duration) error
	retry    retryPolicy
	feedPoll feedPolicy
	// feedAt is the smallest call sent as a feed; 0: feeds are off.
	feedAt  int
	lwa     cart.Cache // the LWA access token
	buckets map[string]*bucket
}

// credentials are the LWA secrets; their String hides them.
type credentials struct{ clientID, clientSecret, refreshToken string }

func (credentials) String() string { return "amazon.credentials{…}" }

// New validates cfg and returns a client for the seller.
func New(cfg Config) (*Client, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("amazon: no LWA client id and secret")
	}
	if cfg.RefreshToken == "" {
		return nil, errors.New("amazon: no LWA refresh token")
	}
	if !sellerIDRE.MatchString(cfg.SellerID) {
		return nil, fmt.Errorf("amazon: seller id %q is not a merchant token", cfg.SellerID)
	}
	if !marketplaceRE.MatchString(cfg.MarketplaceID) {
		return nil, fmt.Errorf("amazon: marketplace id %q is not a marketplace id", cfg.MarketplaceID)
	}
	reg, err := region.Resolve(cfg.MarketplaceID, cfg.Region)
	if err != nil {
		return nil, fmt.Errorf("amazon: %w", err)
	}
	endpoint, err := baseURL(cfg.Endpoint, reg.Endpoint(cfg.Sandbox), true)
	if err != nil {
		return nil, fmt.Errorf("amazon: endpoint: %w", err)
	}
	lwaURL, err := baseURL(cfg.LWAEndpoint, DefaultLWAEndpoint, false)
	if err != nil {
		return nil, fmt.Errorf("amazon: LWA endpoint: %w", err)
	}
	feedAt := cfg.FeedThreshold
	switch {
	case feedAt == 0:
		feedAt = DefaultFeedThreshold
	case feedAt < 0:
		feedAt = 0
	case feedAt > MaxFeedThreshold:
		return nil, fmt.Errorf("amazon: feed threshold %d is above %d", feedAt, MaxFeedThreshold)
	}
	hc := cart.HTTPClient(cfg.HTTPClient)
	c := &Client{
		endpoint: endpoint,
		region:   reg,
		lwaURL:   lwaURL,
		creds:    credentials{cfg.ClientID, cfg.ClientSecret, cfg.RefreshToken},
		seller:   cfg.SellerID,
		market:   cfg.MarketplaceID,
		hc:       hc,
		now:      cfg.Now,
		sleepFn:  cfg.Sleep,
		retry:    defaultRetry,
		feedPoll: defaultFeedPolicy,
		feedAt:   feedAt,
		buckets:  map[string]*bucket{},
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleepFn == nil {
		c.sleepFn = clock.Sleep
	}
	for _, op := range operations {
		c.buckets[op.name] = &bucket{rate: op.rate, burst: float64(op.burst)}
	}
	return c, nil
}

// baseURL checks an http(s) URL without query, fragment or user info.
func baseURL(raw, def string, trim bool) (string, error) {
	if raw == "" {
		return def, nil
	}
	u, ok := cart.BaseURL(raw)
	if !ok {
		return "", fmt.Errorf("%q is not an http(s) URL", raw)
	}
	s := u.String()
	if trim {
		s = strings.TrimSuffix(s, "/")
	}
	return s, nil
}

// String names the seller and marketplace and leaves the secrets out.
func (c *Client) String() string { return "amazon.Client{" + c.seller + "@" + c.market + "}" }

// Fulfillment statuses of Orders 2026-01-01.
const (
	StatusPendingAvailability = "PENDING_AVAILABILITY"
	StatusPending             = "PENDING"
	StatusUnshipped           = "UNSHIPPED"
	StatusPartiallyShipped    = "PARTIALLY_SHIPPED"
	StatusShipped             = "SHIPPED"
	StatusCancelled           = "CANCELLED"
	StatusUnfulfillable       = "UNFULFILLABLE"
)

var statuses = []string{StatusPendingAvailability, StatusPending, StatusUnshipped, StatusPartiallyShipped,
	StatusShipped, StatusCancelled, StatusUnfulfillable}

// Statuses returns the order statuses cart.OrderQuery.Statuses accepts, in
// the form searchOrders takes them, for validating a channel's
// order-status setting. NormalizeStatus also accepts the Orders v0 and
// Seller Central spellings.
func Statuses() []string { return slices.Clone(statuses) }

// DefaultStatuses is the default import filter: Unshipped and
// PartiallyShipped merchant-fulfilled orders.
func DefaultStatuses() []string { return []string{StatusUnshipped, StatusPartiallyShipped} }

// NormalizeStatus returns the searchOrders form of a status written either
// way ("Unshipped", "PartiallyShipped", "Canceled", "PARTIALLY_SHIPPED",
// ...), case-insensitively; ok is false for anything else.
func NormalizeStatus(s string) (string, bool) {
	key := strings.ToUpper(strings.NewReplacer("_", "", " ", "", "-", "").Replace(strings.TrimSpace(s)))
	if key == "CANCELED" {
		return StatusCancelled, true
	}
	for _, st := range statuses {
		if strings.ReplaceAll(st, "_", "") == key {
			return st, true
		}
	}
	return "", false
}

// filterFor maps a status to our filter; see the package comment.
func filterFor(status string, def cart.Filter) cart.Filter {
	switch status {
	case StatusShipped:
		return cart.Shipped
	case StatusCancelled, StatusUnfulfillable:
		return cart.Cancelled
	case StatusUnshipped, StatusPartiallyShipped, StatusPending, StatusPendingAvailability:
		return cart.AwaitingFulfillment
	}
	return def
}

// statusesFor returns the statuses q asks for, in searchOrders form, once
// each.
func statusesFor(q cart.OrderQuery) ([]string, error) {
	return cart.QueryStatuses(q, DefaultStatuses, []string{StatusCancelled},
		"an Amazon order status ("+strings.Join(statuses, ", ")+")", NormalizeStatus)
}
