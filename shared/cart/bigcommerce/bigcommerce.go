// Package bigcommerce is the BigCommerce connector: it reads a store's
// orders through the V2 Orders API, its listings through the V3 Catalog API
// (their stock, at a location other than the default, through the V3
// Inventory API's location items) and writes stock back through V3
// Inventory absolute adjustments at the channel's location
// (BigCommerce's API reference), pacing itself to the store's fixed-window rate limit and
// retrying what BigCommerce says to retry.
//
// Order statuses map to our filters as follows (ids from GET
// /v2/order_statuses):
//
//   - Cancelled (5), Refunded (4) and Declined (6) are cancelled: none of
//     them will be fulfilled, so an order we hold as awaiting fulfillment
//     must release its stock; an order we hold as shipped stays shipped
//     (the executor only cancels orders still awaiting fulfillment). The
//     closed-orders query (q.Cancelled) asks for all three, and for Shipped (2) and Completed (10), so shipments release stock.
//   - Shipped (2) and Completed (10) are shipped.
//   - Disputed (13) and Partially Refunded (14) can come before or after
//     shipping: shipped when items_shipped has reached items_total, else
//     awaiting fulfillment.
//   - Everything else is awaiting fulfillment, notably the importable
//     Awaiting Fulfillment (11), Awaiting Shipment (9) and Awaiting Pickup
//     (8), and Partially Shipped (3): the rest of it is still to be
//     shipped, as Shopify's partially fulfilled orders are.
package bigcommerce

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
	"github.com/autosync/autosync/shared/pattern"
)

// DefaultBaseURL is BigCommerce's API host.
const DefaultBaseURL = "https://api.bigcommerce.com"

// The API versions the connector speaks, as path segments below
// /stores/{store_hash}/. BigCommerce versions by path, not by date: V2 is
// where orders still live, V3 holds the catalog, inventory and webhooks.
// Moving either is a change here, checked by the conformance tests against
// the published documents in testdata/openapi (docs/api-versions.md).
const (
	OrdersAPI  = "v2"
	CatalogAPI = "v3"
)

// Config locates a store and holds its access token.
type Config struct {
	// StoreHash is the store's permanent hash, as in /stores/{store_hash}/.
	StoreHash string
	// BaseURL replaces DefaultBaseURL, for a simulator in tests.
	BaseURL string
	// AccessToken is the API account's token. It is sent only in the
	// X-Auth-Token header, never logged or put in an error.
	AccessToken string
	// LocationID is the inventory location stock is written to and, when
	// it is not the default, read from (the catalog reports the default
	// location's stock only); 0 means 1, the store's default location.
	LocationID int
	// HTTPClient sends the requests; nil means a client with default
	// transport. Redirects are never followed, whatever the client says,
	// because they would carry the token to another host.
	HTTPClient *http.Client
}

// String leaves the token out, in case a Config is ever printed.
func (c Config) String() string {
	return fmt.Sprintf("bigcommerce.Config{StoreHash: %q, BaseURL: %q, LocationID: %d}", c.StoreHash, c.BaseURL, c.LocationID)
}

var storeHashRE = pattern.New(`^[a-z0-9]{1,64}$`)

// Client talks to one store. It is safe for concurrent use; its pacing
// assumes it is the only client of that store in this process.
type Client struct {
	hash     string
	base     string // .../stores/{store_hash}
	token    string
	location int64
	hc       *http.Client
	pacer    pacer
	retry    retryPolicy
	now      func() time.Time
}

// New validates cfg and returns a client for the store.
func New(cfg Config) (*Client, error) {
	hash := strings.ToLower(strings.TrimSpace(cfg.StoreHash))
	if !storeHashRE.MatchString(hash) {
		return nil, fmt.Errorf("bigcommerce: store hash %q is not a BigCommerce store hash", cfg.StoreHash)
	}
	if cfg.AccessToken == "" {
		return nil, errors.New("bigcommerce: no access token")
	}
	if cfg.LocationID < 0 {
		return nil, fmt.Errorf("bigcommerce: location id %d is not a location", cfg.LocationID)
	}
	base := DefaultBaseURL
	if cfg.BaseURL != "" {
		u, ok := cart.BaseURL(cfg.BaseURL)
		if !ok {
			return nil, fmt.Errorf("bigcommerce: base URL %q is not an http(s) URL", cfg.BaseURL)
		}
		base = strings.TrimSuffix(u.String(), "/")
	}
	location := int64(cfg.LocationID)
	if location == 0 {
		location = 1
	}
	hc := cart.HTTPClient(cfg.HTTPClient)
	c := &Client{
		hash:     hash,
		base:     base + "/stores/" + hash,
		token:    cfg.AccessToken,
		location: location,
		hc:       hc,
		retry:    defaultRetry,
		now:      time.Now,
	}
	c.pacer.margin = c.retry.paceMargin
	return c, nil
}

// String names the store and leaves the token out.
func (c *Client) String() string { return "bigcommerce.Client{" + c.hash + "}" }

// statusNames are BigCommerce's order statuses (GET /v2/order_statuses).
var statusNames = map[int]string{
	0: "Incomplete", 1: "Pending", 2: "Shipped", 3: "Partially Shipped", 4: "Refunded",
	5: "Cancelled", 6: "Declined", 7: "Awaiting Payment", 8: "Awaiting Pickup",
	9: "Awaiting Shipment", 10: "Completed", 11: "Awaiting Fulfillment",
	12: "Manual Verification Required", 13: "Disputed", 14: "Partially Refunded",
}

// Statuses returns BigCommerce's order statuses, id (as a string, the form
// cart.OrderQuery.Statuses takes) to name, for validating a channel's
// order-status setting.
func Statuses() map[string]string {
	out := make(map[string]string, len(statusNames))
	for id, name := range statusNames {
		out[strconv.Itoa(id)] = name
	}
	return out
}

// DefaultStatuses are the statuses imported by default (paid, not yet shipped):
// Awaiting Fulfillment, Awaiting Shipment, Awaiting Pickup.
func DefaultStatuses() []string { return []string{"11", "9", "8"} }

// cancelledStatuses are asked for by a cancelled query; see the package
// comment.
var cancelledStatuses = []int{5, 4, 6, 2, 10} // and shipped, completed: orders that left awaiting fulfillment

// filterFor maps a status to our filter; see the package comment.
func filterFor(status int, shipped, total flexInt) cart.Filter {
	switch status {
	case 4, 5, 6:
		return cart.Cancelled
	case 2, 10:
		return cart.Shipped
	case 13, 14:
		if total.set && shipped.set && total.n > 0 && shipped.n >= total.n {
			return cart.Shipped
		}
	}
	return cart.AwaitingFulfillment
}

// Page sizes: the most each endpoint returns.
const (
	ordersPageSize   = 250 // the V2 orders limit's maximum; not in the published OAS
	productsPageSize = 250
	linesPageSize    = 250
)

// statusesFor returns the status ids q asks for, in order, once each.
func statusesFor(q cart.OrderQuery) ([]int, error) {
	return cart.QueryStatuses(q, DefaultStatuses, cancelledStatuses,
		"a BigCommerce order status id (0 to 14)", func(s string) (int, bool) {
			id, err := strconv.Atoi(strings.TrimSpace(s))
			_, known := statusNames[id]
			return id, err == nil && known
		})
}

// orderCursor is where a query stands: the statuses it pages through in
// turn (fixed when the query starts), the one it is on, and the highest
// order id already returned in that status.
type orderCursor struct {
	statuses []int
	index    int
	after    int64
}

const orderCursorVersion = "o1"

func (c orderCursor) String() string {
	ss := make([]string, len(c.statuses))
	for i, s := range c.statuses {
		ss[i] = strconv.Itoa(s)
	}
	return orderCursorVersion + "." + strings.Join(ss, ",") + "." + strconv.Itoa(c.index) + "." + strconv.FormatInt(c.after, 10)
}

func parseOrderCursor(s string) (orderCursor, error) {
	bad := &cart.Error{Message: "the saved BigCommerce order page is not valid; the import must start over"}
	parts := strings.Split(s, ".")
	if len(parts) != 4 || parts[0] != orderCursorVersion {
		return orderCursor{}, bad
	}
	var c orderCursor
	for _, f := range strings.Split(parts[1], ",") {
		id, err := strconv.Atoi(f)
		if _, known := statusNames[id]; err != nil || !known || slices.Contains(c.statuses, id) {
			return orderCursor{}, bad
		}
		c.statuses = append(c.statuses, id)
	}
	index, err := strconv.Atoi(parts[2])
	if err != nil || index < 0 || index >= len(c.statuses) {
		return orderCursor{}, bad
	}
	after, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || after < 0 {
		return orderCursor{}, bad
	}
	c.index, c.after = index, after
	return c, nil
}

// v2Time formats a time as ISO-8601 with an explicit offset.
func v2Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-07:00") }

// window turns [from, to) into BigCommerce's inclusive whole-second
// bounds: from rounded down (repeating an order is harmless, imports
// upsert); to rounded up less a second, the last second the window holds.
func window(from, to time.Time) (lo, hi time.Time) {
	if !from.IsZero() {
		lo = from.UTC().Truncate(time.Second)
	}
	if !to.IsZero() {
		hi = to.UTC().Truncate(time.Second)
		if hi.Equal(to) {
			hi = hi.Add(-time.Second)
		}
	}
	return lo, hi
}

var _ cart.OrderSource = (*Client)(nil)

// Orders returns one page of the orders q asks for. It pages through each
// status in turn (status_id takes a single value), within a status in
// ascending id order, keyed on the last id returned (min_id) rather than
// on page numbers: an order that leaves the status during the import
// (shipped, cancelled) would otherwise shift later orders onto pages
// already read, and one would be lost. The cursor carries the statuses,
// so a query keeps the statuses it started with.
//
// It waits out BigCommerce's rate limit; when the wait would outlast ctx's
// deadline it returns a *cart.RateLimitedError instead. A refused token is
// cart.ErrAuth; other failures are *cart.Error.
func (c *Client) Orders(ctx context.Context, q cart.OrderQuery) (cart.OrderPage, error) {
	if q.EmptyWindow() {
		return cart.OrderPage{}, nil // an empty window holds no orders
	}
	var cur orderCursor
	var err error
	if q.Cursor != "" {
		cur, err = parseOrderCursor(q.Cursor)
	} else {
		cur.statuses, err = statusesFor(q)
	}
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("bigcommerce: listing orders: %w", err)
	}
	lo, hi := window(q.UpdatedFrom, q.UpdatedTo)
	for {
		status := cur.statuses[cur.index]
		params := url.Values{
			"status_id":             {strconv.Itoa(status)},
			"sort":                  {"id:asc"},
			"limit":                 {strconv.Itoa(ordersPageSize)},
			"include":               {"consignments.line_items"},
			"consignment_structure": {"object"},
		}
		if !lo.IsZero() {
			params.Set("min_date_modified", v2Time(lo))
		}
		if !hi.IsZero() {
			params.Set("max_date_modified", v2Time(hi))
		}
		if cur.after > 0 {
			// min_id is inclusive: the last order read comes back and is
			// dropped. Asking for after+1 would save that one order a
			// page but lose one if BigCommerce read min_id as exclusive.
			params.Set("min_id", strconv.FormatInt(cur.after, 10))
		}
		page, err := c.ordersPage(ctx, params, cur.after, status)
		if err != nil {
			return cart.OrderPage{}, fmt.Errorf("bigcommerce: listing orders in status %d (%s): %w", status, statusNames[status], err)
		}
		var next string
		switch {
		case page.count >= ordersPageSize:
			if page.last <= cur.after {
				return cart.OrderPage{}, fmt.Errorf("bigcommerce: listing orders in status %d: %w", status,
					unreadable(http.StatusOK, cart.Malformed("a full page after order %d held no later order", cur.after)))
			}
			cur.after = page.last
			next = cur.String()
		case cur.index+1 < len(cur.statuses):
			cur.index, cur.after = cur.index+1, 0
			next = cur.String()
		}
		if len(page.orders) > 0 || next == "" {
			return cart.OrderPage{Orders: page.orders, Next: next}, nil
		}
		// This status is done and gave nothing new: go on to the next
		// one rather than hand back an empty page.
		if err := ctx.Err(); err != nil {
			return cart.OrderPage{}, err
		}
	}
}

// ordersPage reads one page of GET /v2/orders and completes the line items
// of orders that did not embed them all.
func (c *Client) ordersPage(ctx context.Context, params url.Values, after int64, status int) (*ordersPage, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/" + OrdersAPI + "/orders", query: params})
	if err != nil {
		return nil, err
	}
	if resp.status != http.StatusOK && resp.status != http.StatusNoContent {
		return nil, failure(resp)
	}
	page, err := parseOrders(resp.body, after, status)
	if err != nil {
		return nil, unreadable(resp.status, err)
	}
	for _, i := range page.more {
		o := &page.orders[i]
		lines, err := c.orderLines(ctx, o.ExternalID)
		if errors.Is(err, cart.ErrNotFound) {
			continue // deleted since the page was read: keep what it said
		}
		if err != nil {
			return nil, fmt.Errorf("reading the line items of order %s: %w", o.ExternalID, err)
		}
		o.Lines = lines
	}
	return page, nil
}

// orderLines reads all line items of an order from /v2/orders/{id}/products.
func (c *Client) orderLines(ctx context.Context, id string) ([]cart.Line, error) {
	lines := []cart.Line{}
	for page := 1; ; page++ {
		resp, err := c.do(ctx, request{method: http.MethodGet, path: "/" + OrdersAPI + "/orders/" + id + "/products", query: url.Values{
			"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(linesPageSize)},
		}})
		if err != nil {
			return nil, err
		}
		if resp.status != http.StatusOK && resp.status != http.StatusNoContent {
			return nil, failure(resp)
		}
		more, n, err := parseOrderProducts(resp.body)
		if err != nil {
			return nil, unreadable(resp.status, err)
		}
		lines = append(lines, more...)
		if n < linesPageSize {
			return lines, nil
		}
		if page >= 1000 {
			return nil, unreadable(resp.status, cart.Malformed("order %s has more than %d line items", id, 1000*linesPageSize))
		}
	}
}

var _ cart.OrderFetcher = (*Client)(nil)

// Order returns one order, as an instasync webhook names it. An unknown id
// is a *cart.Error wrapping cart.ErrNotFound.
func (c *Client) Order(ctx context.Context, id string) (cart.Order, error) {
	if _, ok := cart.ParseID(id); !ok {
		return cart.Order{}, fmt.Errorf("bigcommerce: order id %q: %w", id, &cart.Error{Status: http.StatusNotFound, Message: "not a BigCommerce order id", Err: cart.ErrNotFound})
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/" + OrdersAPI + "/orders/" + id, query: url.Values{
		"include": {"consignments.line_items"}, "consignment_structure": {"object"},
	}})
	if err == nil && resp.status != http.StatusOK {
		err = failure(resp)
	}
	if err != nil {
		return cart.Order{}, fmt.Errorf("bigcommerce: reading order %s: %w", id, err)
	}
	o, complete, err := parseOrder(resp.body)
	err = unreadable(resp.status, err)
	if err == nil && !complete {
		o.Lines, err = c.orderLines(ctx, o.ExternalID)
	}
	if err != nil {
		return cart.Order{}, fmt.Errorf("bigcommerce: reading order %s: %w", id, err)
	}
	return o, nil
}

const productCursorVersion = "p1"

var _ cart.ListingSource = (*Client)(nil)

// Listings returns one page of listings: one per variant with a SKU, of the
// products modified in q's window, in ascending product id order, keyed on
// the last product id (id:greater) for the same reason as Orders. A
// listing's quantity is the stock at the client's location: the catalog's
// at the default location, else one more read per page (atLocation).
func (c *Client) Listings(ctx context.Context, q cart.ListingQuery) (cart.ListingPage, error) {
	if q.EmptyWindow() {
		return cart.ListingPage{}, nil
	}
	var after int64
	if q.Cursor != "" {
		v, id, ok := strings.Cut(q.Cursor, ".")
		n, err := strconv.ParseInt(id, 10, 64)
		if !ok || v != productCursorVersion || err != nil || n < 0 {
			return cart.ListingPage{}, fmt.Errorf("bigcommerce: listing products: %w",
				&cart.Error{Message: "the saved BigCommerce product page is not valid; the import must start over"})
		}
		after = n
	}
	params := url.Values{
		"include":   {"variants,images"},
		"sort":      {"id"},
		"direction": {"asc"},
		"limit":     {strconv.Itoa(productsPageSize)},
	}
	if after > 0 {
		params.Set("id:greater", strconv.FormatInt(after, 10))
	}
	lo, hi := window(q.UpdatedFrom, q.UpdatedTo)
	if !lo.IsZero() {
		params.Set("date_modified:min", v2Time(lo))
	}
	if !hi.IsZero() {
		params.Set("date_modified:max", v2Time(hi))
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/" + CatalogAPI + "/catalog/products", query: params})
	if err == nil && resp.status != http.StatusOK {
		err = failure(resp)
	}
	if err != nil {
		return cart.ListingPage{}, fmt.Errorf("bigcommerce: listing products: %w", err)
	}
	page, err := parseProducts(resp.body, productsPageSize)
	if err != nil {
		return cart.ListingPage{}, fmt.Errorf("bigcommerce: listing products: %w", unreadable(resp.status, err))
	}
	if err := c.atLocation(ctx, page.listings, page.tracking); err != nil {
		return cart.ListingPage{}, fmt.Errorf("bigcommerce: listing products: %w", err)
	}
	out := cart.ListingPage{Listings: page.listings}
	if page.more {
		if page.last <= after {
			return cart.ListingPage{}, fmt.Errorf("bigcommerce: listing products: %w",
				unreadable(resp.status, cart.Malformed("a page after product %d held no later product", after)))
		}
		out.Next = productCursorVersion + "." + strconv.FormatInt(page.last, 10)
	}
	return out, nil
}
