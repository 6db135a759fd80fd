// Package shopify is the Shopify connector: it reads a shop's orders and
// product listings and writes inventory back through the GraphQL Admin API
// (REST is legacy, per Shopify since October 2024), pacing itself to the shop's cost-based
// rate limit and retrying what Shopify says to retry.
package shopify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/pattern"
)

// DefaultAPIVersion is the Admin API version used when Config names none:
// the newest stable version. Shopify supports a version (YYYY-MM, released
// on the 1st of that month) for 12 months; TestAPIVersionSupported fails
// when fewer than three are left, and docs/api-versions.md says how to move.
const DefaultAPIVersion = "2026-10"

// Config locates a shop and holds its access token.
type Config struct {
	// Shop is the shop's permanent domain, "name.myshopify.com".
	Shop string
	// BaseURL replaces https://{Shop}, for a simulator in tests.
	BaseURL string
	// AccessToken is the Admin API access token. It is sent only in the
	// X-Shopify-Access-Token header, never logged or put in an error.
	AccessToken string
	// APIVersion is the Admin API version; empty means DefaultAPIVersion.
	APIVersion string
	// HTTPClient sends the requests; nil means a client with default
	// transport. Redirects are never followed, whatever the client says,
	// because they would carry the token to another host.
	HTTPClient *http.Client
}

// String leaves the token out, in case a Config is ever printed.
func (c Config) String() string {
	return fmt.Sprintf("shopify.Config{Shop: %q, BaseURL: %q, APIVersion: %q}", c.Shop, c.BaseURL, c.APIVersion)
}

var (
	shopRE    = pattern.New(`^[a-z0-9][a-z0-9-]{0,59}\.myshopify\.com$`)
	versionRE = pattern.New(`^(\d{4}-(01|04|07|10)|unstable)$`)
)

// Client reads one shop's orders and listings and writes its stock. It is
// safe for concurrent use, but its
// pacing assumes it is the only client of that shop's bucket in this process.
type Client struct {
	shop     string
	endpoint string
	token    string
	hc       *http.Client
	bucket   costBucket
	retry    retryPolicy
	now      func() time.Time
	loc      cart.Cache // the primary location's global id
	writes   cart.Tally[WriteStats]
}

var _ cart.OrderSource = (*Client)(nil)

// New validates cfg and returns a client for the shop.
func New(cfg Config) (*Client, error) {
	shop := strings.ToLower(strings.TrimSpace(cfg.Shop))
	if !shopRE.MatchString(shop) {
		return nil, fmt.Errorf("shopify: shop %q is not a name.myshopify.com domain", cfg.Shop)
	}
	if cfg.AccessToken == "" {
		return nil, errors.New("shopify: no access token")
	}
	version := cfg.APIVersion
	if version == "" {
		version = DefaultAPIVersion
	}
	if !versionRE.MatchString(version) {
		return nil, fmt.Errorf("shopify: API version %q is not of the form YYYY-MM", version)
	}
	base := "https://" + shop
	if cfg.BaseURL != "" {
		u, ok := cart.BaseURL(cfg.BaseURL)
		if !ok {
			return nil, fmt.Errorf("shopify: base URL %q is not an http(s) URL", cfg.BaseURL)
		}
		base = strings.TrimSuffix(u.String(), "/")
	}
	hc := cart.HTTPClient(cfg.HTTPClient)
	return &Client{
		shop:     shop,
		endpoint: base + "/admin/api/" + version + "/graphql.json",
		token:    cfg.AccessToken,
		hc:       hc,
		retry:    defaultRetry,
		now:      time.Now,
	}, nil
}

// String names the shop and leaves the token out.
func (c *Client) String() string { return "shopify.Client{" + c.shop + "}" }

// Orders returns one page of the orders q asks for, oldest update first.
// It waits out Shopify's rate limit; when the wait would outlast ctx's
// deadline it returns a *cart.RateLimitedError instead. A refused token is
// cart.ErrAuth; other failures are *cart.Error.
func (c *Client) Orders(ctx context.Context, q cart.OrderQuery) (cart.OrderPage, error) {
	if q.EmptyWindow() {
		return cart.OrderPage{}, nil // an empty window holds no orders
	}
	search, err := searchQuery(q)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("shopify: listing orders: %w", err)
	}
	vars := map[string]any{"first": pageSize, "query": search, "lines": linesPerOrder}
	page, err := queryPage(ctx, c, ordersDoc, vars, q.Cursor, ordersQueryCost, parseOrders)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("shopify: listing orders: %w", err)
	}
	for _, m := range page.moreLines {
		lines, err := c.remainingLines(ctx, m)
		if err != nil {
			return cart.OrderPage{}, fmt.Errorf("shopify: reading the lines of order %s: %w", page.orders[m.index].Number, err)
		}
		page.orders[m.index].Lines = append(page.orders[m.index].Lines, lines...)
	}
	return cart.OrderPage{Orders: page.orders, Next: page.next}, nil
}

// remainingLines pages through the lines of an order that had more than
// linesPerOrder, after the first page's cursor.
func (c *Client) remainingLines(ctx context.Context, m moreLines) ([]cart.Line, error) {
	var lines []cart.Line
	after := m.after
	for {
		data, err := c.query(ctx, orderLinesDoc, map[string]any{"id": m.gid, "after": after}, orderLinesQueryCost)
		if err != nil {
			return nil, err
		}
		more, next, err := parseOrderLines(data)
		if err != nil {
			return nil, err
		}
		lines = append(lines, more...)
		if next == "" {
			return lines, nil
		}
		if next == after {
			return nil, &cart.Error{Message: "Shopify repeated a page of order lines"}
		}
		after = next
	}
}
