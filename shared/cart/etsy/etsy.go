// Package etsy is the Etsy connector: it reads a shop's receipts (orders)
// and active and sold-out listings and writes inventory back through the Open API v3
// (Etsy's Open API v3), pacing itself to Etsy's per-second and per-day limits.
//
// # Credentials
//
// Every request carries x-api-key "keystring:shared_secret" (required by
// Etsy since February 2026) and Authorization: Bearer with the shop owner's
// OAuth access token; the endpoints used are all private. Etsy refuses
// either with 401 or 403, which the client reports as cart.ErrAuth.
//
// Etsy access tokens expire after an hour. Given Config.RefreshToken the
// client renews them itself (POST /v3/public/oauth/token, the
// refresh_token grant): before a request when the token is within five
// minutes of its expiry (Config.TokenExpiry, then Etsy's expires_in), and
// once per request when Etsy answers 401 for the token, retrying that
// request once. A refresh may rotate the refresh token, so the new pair
// goes to Config.OnTokens to be saved before it is used; if that fails the
// call fails. Concurrent requests wait for one refresh. Clients of one
// shop in other runs renew the same tokens: when Etsy refuses the refresh
// token, the client reads the saved tokens (Config.LoadTokens) and, if
// another client renewed meanwhile, adopts them. A refused refresh
// (revoked or expired refresh token, 90 days after it was issued) is
// cart.ErrAuth: the shop owner must connect the shop again. Without a
// refresh token the access token is used until Etsy refuses it. Tokens
// never appear in errors. See oauth.go for what is assumed of Etsy there.
//
// # Orders
//
// Receipts are orders. Import asks getShopReceipts for was_paid=true,
// was_shipped=false, was_canceled=false (paid, awaiting shipment) modified in the query's
// window; q.Cancelled asks for was_canceled=true instead. Support may
// replace the default filter with tokens from Statuses ("was_paid:true",
// "was_shipped:false", ...): each is one of Etsy's boolean receipt filters,
// at most one value per filter; a filter not named is not applied. A
// receipt maps to our buckets by its own fields, whatever was asked:
//
//	status canceled or fully refunded  → cancelled
//	is_shipped                         → shipped
//	otherwise                          → awaiting_fulfillment
//
// Lines are the receipt's transactions (sku, quantity); a transaction
// without a SKU gives a line with an empty SKU. Number is the receipt id,
// which is the order number Etsy shows.
//
// Etsy pages receipts by offset. Offsets drift: an order that ships or is
// canceled during an import leaves the filter, every later order moves up
// one place, and the order at the page boundary would be skipped for good
// (its modification time stays inside the window the next run starts
// after). So pages are keyset pages: sorted by update time ascending, each
// page asks for receipts modified at or after the second of the last
// receipt read and leaves out those already returned from that second,
// whose ids the cursor keeps. Receipts can only leave the window during a
// run (a change moves them past its fixed upper bound), so nothing before
// that second can be unread. The lower bound is sent one second early and
// the window is also applied to what comes back, so the result does not
// depend on whether Etsy's min_/max_last_modified are inclusive. Only when
// a whole page shares one second does the cursor step by offset within it.
//
// # Listings
//
// Import Products reads every active listing, then every sold-out one
// (Etsy's state for a listing whose last unit sold: its SKUs stay linked),
// with getListingsByShop, one state a request, including the Images and
// Inventory associations, so one request brings up to 100 listings with
// their products, SKUs, offerings and image URLs.
// Etsy has no modified-since filter for listings (sort_on works only with
// search options), so ListingQuery's window is ignored and every call
// pages through the whole shop: that is why the task is manual-only
// ("once") for Etsy. A listing that comes without an inventory gets one
// getListingInventory; one without an inventory record is skipped.
//
// Each distinct SKU of a listing is one cart.Listing, with Link.ProductID
// the listing id and Link.VariantID the product id. Product ids change on
// every inventory update (etsy/open-api#523), so write-back finds products
// by SKU within the listing and uses only the listing id. Titles come
// HTML-escaped (#446) and are unescaped. Offset paging drifts here too: if
// the shop's count of listings in the state drops between pages the next page
// starts that much earlier (re-reading some listings, which is harmless,
// rather than skipping any).
//
// # Write-back
//
// Etsy has no batch inventory endpoint: updateListingInventory replaces
// one listing's whole inventory, every product and offering with its price,
// quantity, enabled flag and property values. SetStock groups updates by
// listing and, per listing, reads the inventory (GET) and sends it back
// (PUT) with only the quantities of the updated SKUs' offerings changed,
// and every other field the request schema requires as Etsy sent it
// (readiness_state_id on each offering, readiness_state_on_property).
// See SetStock for the request count and the rules that make Etsy refuse
// an update.
//
// Etsy refuses an inventory whose every offering is at 0. When an update
// would do that the listing is made inactive instead (updateListing,
// state inactive: it sells nothing) and the SKUs count as written at 0,
// with StockResult.Listing "deactivated"; when stock returns for a listing
// this client deactivated (StockUpdate.Deactivated) the inventory is
// written first and the listing made active again ("reactivated"). The
// channel's zero_stock policy "suspend" (StockUpdate.ZeroStock) keeps the
// refusal instead. A listing Etsy made sold_out (its last unit sold on
// Etsy) is off sale the same way: it is never made inactive, and stock
// returning renews it (state active, which Etsy charges its listing fee
// for and which sets the quantity to 1, so the inventory is written again
// after).
//
// # Rate limits
//
// Etsy allows 10 requests a second and 10,000 a day by default, per OAuth
// token (Etsy's rate limits page); raised apps get more. The client paces requests
// a little under the per-second limit Etsy reports in x-limit-per-second
// (golang.org/x/time/rate), waits out per-second 429s however many come,
// and waits for the daily window only when it frees quota soon. A wait
// that would pass the caller's deadline, or a daily quota that frees later
// than that, returns *cart.RateLimitedError: never a failed run.
package etsy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/clock"
	"github.com/autosync/autosync/shared/pattern"
)

// DefaultBaseURL is Etsy's API host; paths start with APIPath.
const DefaultBaseURL = "https://api.etsy.com"

// APIVersion is the Etsy Open API version the connector speaks. Etsy
// versions its API by path prefix only (no version header or date): moving
// to another version is changing this constant, the request and response
// types, and the copy of the published OpenAPI document in testdata that
// the conformance tests check every request against (docs/api-versions.md).
const APIVersion = "v3"

// APIPath is the prefix of every endpoint the connector calls, and
// tokenPath the OAuth token endpoint, both of APIVersion.
const (
	APIPath   = "/" + APIVersion + "/application"
	tokenPath = "/" + APIVersion + "/public/oauth/token"
)

// Config locates a shop and holds the app's key and the shop owner's token.
type Config struct {
	// BaseURL replaces DefaultBaseURL, for a simulator in tests. It must be
	// https, except on a loopback host.
	BaseURL string
	// APIKey is the app's keystring and SharedSecret its shared secret;
	// they are sent as x-api-key "APIKey:SharedSecret". An APIKey already
	// of that form may come without SharedSecret.
	APIKey, SharedSecret string
	// Token is the shop owner's OAuth 2.0 access token ("12345678.abc...").
	// It may be empty when RefreshToken is set: the first request then
	// gets one.
	Token string
	// RefreshToken is the shop owner's OAuth 2.0 refresh token; empty
	// means the client never refreshes Token.
	RefreshToken string
	// TokenExpiry is when Token expires; zero means unknown, and then only
	// Etsy's 401 leads to a refresh. Only used with RefreshToken.
	TokenExpiry time.Time
	// OnTokens receives the tokens after each refresh, to save them in
	// place of Token, RefreshToken and TokenExpiry: the old refresh token
	// may no longer work. It runs before the new access token is used, one
	// call at a time, with the request's context, and must not use the
	// client. If it fails the request fails, wrapping its error, and the
	// next request offers it the same tokens again. Nil means the tokens
	// are kept only by this client.
	OnTokens func(ctx context.Context, t Tokens) error
	// LoadTokens reads the tokens OnTokens saved last, by this client or
	// another of the same shop (each run builds its own client). When
	// Etsy refuses the refresh token, another client may have used it
	// first: then the client adopts the saved tokens, renewing them once
	// if they are due too. Nil means a refusal is final.
	LoadTokens func(ctx context.Context) (Tokens, error)
	// ShopID is the shop's numeric id.
	ShopID string
	// HTTPClient sends the requests; nil means a client with default
	// transport. Redirects are never followed, whatever the client says,
	// because they would carry the credentials to another host.
	HTTPClient *http.Client
}

// String leaves the secrets out, in case a Config is ever printed.
func (c Config) String() string {
	return fmt.Sprintf("etsy.Config{BaseURL: %q, ShopID: %q}", c.BaseURL, c.ShopID)
}

// GoString keeps %#v from printing the secrets too.
func (c Config) GoString() string { return c.String() }

// Client reads one shop's receipts and listings and writes its stock. It is
// safe for concurrent use; its pacing assumes it is the only client of the
// token in this process.
type Client struct {
	base   string // ".../v3/application"
	shopID string
	apiKey string // "keystring:shared_secret"
	hc     *http.Client
	// OAuth: the token endpoint, the keystring as client_id, the tokens
	// and who saves them.
	tokenURL   string
	clientID   string
	tok        tokenState
	onTokens   func(context.Context, Tokens) error
	loadTokens func(context.Context) (Tokens, error)
	lim        *limiter
	retry      retryPolicy
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error // waits, unless ctx ends
	writes     cart.Tally[WriteStats]
}

var (
	shopIDRE = pattern.New(`^[1-9][0-9]{0,18}$`)
	// credentialRE: printable ASCII without spaces, as header values.
	credentialRE = pattern.New(`^[\x21-\x7e]{1,512}$`)
)

// New validates cfg and returns a client for the shop.
func New(cfg Config) (*Client, error) {
	base := DefaultBaseURL
	if cfg.BaseURL != "" {
		u, err := cart.HTTPSBaseURL(strings.TrimSpace(cfg.BaseURL))
		if err != nil {
			return nil, fmt.Errorf("etsy: base URL %q %w", cfg.BaseURL, err)
		}
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = ""
		base = u.String()
	}
	shop := strings.TrimSpace(cfg.ShopID)
	if !shopIDRE.MatchString(shop) {
		return nil, fmt.Errorf("etsy: shop id %q is not a number", cfg.ShopID)
	}
	key := cfg.APIKey
	if cfg.SharedSecret != "" {
		key += ":" + cfg.SharedSecret
	}
	keystring, secret, ok := strings.Cut(key, ":")
	if !ok || !credentialRE.MatchString(keystring) || !credentialRE.MatchString(secret) || strings.Contains(secret, ":") {
		return nil, errors.New("etsy: an API keystring and its shared secret are required")
	}
	if cfg.RefreshToken != "" && !credentialRE.MatchString(cfg.RefreshToken) {
		return nil, errors.New("etsy: the OAuth refresh token is malformed")
	}
	if !credentialRE.MatchString(cfg.Token) && !(cfg.Token == "" && cfg.RefreshToken != "") {
		return nil, errors.New("etsy: an OAuth access token is required")
	}
	hc := cart.HTTPClient(cfg.HTTPClient)
	c := &Client{
		base:       base + APIPath,
		shopID:     shop,
		apiKey:     key,
		hc:         hc,
		tokenURL:   base + tokenPath,
		clientID:   keystring,
		onTokens:   cfg.OnTokens,
		loadTokens: cfg.LoadTokens,
		retry:      defaultRetry,
		now:        time.Now,
		sleep:      clock.Sleep,
	}
	c.tok.init(cfg.Token, cfg.RefreshToken, cfg.TokenExpiry)
	c.lim = newLimiter(c.now)
	return c, nil
}

// String names the shop and leaves the credentials out.
func (c *Client) String() string { return "etsy.Client{shop " + c.shopID + "}" }

// statusFilters are Etsy's boolean receipt filters, in the order they are
// listed and sent.
var statusFilters = []string{"was_paid", "was_shipped", "was_delivered", "was_canceled"}

// Statuses lists every token cart.OrderQuery.Statuses accepts for Etsy,
// "filter:true" or "filter:false" for each of getShopReceipts' boolean
// filters (was_paid, was_shipped, was_delivered, was_canceled), for
// validating what support sets on a channel. DefaultStatuses is a subset.
func Statuses() []string {
	out := make([]string, 0, 2*len(statusFilters))
	for _, f := range statusFilters {
		out = append(out, f+":true", f+":false")
	}
	return out
}

// DefaultStatuses is the default import filter (paid, not
// shipped, not canceled) in the form cart.OrderQuery.Statuses takes. Each
// token sets one receipt filter; filters not named are not applied, and
// one filter may not be given both values.
func DefaultStatuses() []string {
	return []string{"was_paid:true", "was_shipped:false", "was_canceled:false"}
}

// statusParams turns status tokens into getShopReceipts filters.
func statusParams(statuses []string) (url.Values, error) {
	if len(statuses) == 0 {
		return nil, &cart.Error{Message: "no order statuses are set for this channel"}
	}
	v := url.Values{}
	for _, s := range statuses {
		name, val, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ":")
		if !ok || !slices.Contains(statusFilters, name) || (val != "true" && val != "false") {
			return nil, &cart.Error{Message: fmt.Sprintf("order status %q is not an Etsy receipt filter such as was_paid:true", s)}
		}
		if have := v.Get(name); have != "" && have != val {
			return nil, &cart.Error{Message: fmt.Sprintf("order statuses set %s both true and false", name)}
		}
		v.Set(name, val)
	}
	return v, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
