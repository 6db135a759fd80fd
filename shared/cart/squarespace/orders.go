package squarespace

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

const ordersPath = "/" + APIVersion + "/commerce/orders"

// fulfillmentStatuses are the statuses q asks for: CANCELED for a
// cancelled query, else q.Statuses (nil means DefaultStatuses).
func fulfillmentStatuses(q cart.OrderQuery) ([]string, error) {
	return cart.QueryStatuses(q, DefaultStatuses, []string{StatusCanceled},
		"a Squarespace fulfillment status (PENDING, FULFILLED or CANCELED)", func(s string) (string, bool) {
			n := strings.ToUpper(strings.TrimSpace(s))
			return n, slices.Contains(Statuses(), n)
		})
}

var _ cart.OrderSource = (*Client)(nil)

// Orders returns one page of the orders q asks for, oldest modification
// first.
//
// The first page is asked for with modifiedAfter and modifiedBefore (q's
// window) and, when q selects one status, fulfillmentStatus; every later
// page with the cursor alone, as Squarespace requires. The API filters by
// one status at most, so a query for two asks for all and keeps those
// selected. Orders outside [UpdatedFrom, UpdatedTo) are left out, so q's
// window must be the same for every page of a query.
//
// It waits out Squarespace's rate limit; when the wait would outlast ctx's
// deadline it returns a *cart.RateLimitedError instead. A refused key is
// cart.ErrAuth; other failures are *cart.Error.
func (c *Client) Orders(ctx context.Context, q cart.OrderQuery) (cart.OrderPage, error) {
	statuses, err := fulfillmentStatuses(q)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("squarespace: listing orders: %w", err)
	}
	if q.Cursor == "" && q.EmptyWindow() {
		return cart.OrderPage{}, nil
	}
	orders, next, err := readPage(ctx, c, ordersPath, q.Cursor, q.UpdatedFrom, q.UpdatedTo, parseOrders,
		func(v url.Values) {
			if len(statuses) == 1 {
				v.Set("fulfillmentStatus", statuses[0])
			}
		},
		func(o cart.Order) bool {
			return slices.Contains(statuses, o.CartStatus) && inWindow(o.UpdatedAt, q.UpdatedFrom, q.UpdatedTo)
		})
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("squarespace: listing orders: %w", err)
	}
	return cart.OrderPage{Orders: orders, Next: next}, nil
}

var _ cart.OrderFetcher = (*Client)(nil)

// Order returns one order by its id, for a webhook's order.create or
// order.update. An unknown id is a *cart.Error wrapping cart.ErrNotFound.
func (c *Client) Order(ctx context.Context, id string) (cart.Order, error) {
	if !idRE.MatchString(id) {
		return cart.Order{}, fmt.Errorf("squarespace: reading order %q: %w", id, &cart.Error{Message: "not a Squarespace order id", Err: cart.ErrNotFound})
	}
	body, err := c.get(ctx, ordersPath+"/"+id, nil)
	if err != nil {
		return cart.Order{}, fmt.Errorf("squarespace: reading order %s: %w", id, err)
	}
	o, err := parseOrder(body)
	if err != nil {
		return cart.Order{}, fmt.Errorf("squarespace: reading order %s: %w", id, err)
	}
	return o, nil
}

const productsPath = "/" + ProductsAPIVersion + "/commerce/products"

var _ cart.ListingSource = (*Client)(nil)

// Listings returns one page of listings, one per variant that has a SKU,
// for the physical products modified in q's window (v2 Products API, with
// type=PHYSICAL on the first page and the cursor alone after it). A zero
// window asks for every physical product.
//
// Link holds the product and variant ids: the variant id is what a stock
// adjustment addresses. Quantity is the variant's stock; nil when its stock
// is unlimited. Price is the base price (a sale price is temporary). Images
// are the product's image URLs, first to last, shared by its variants.
// Name is the product's name, followed by the variant's attribute values.
func (c *Client) Listings(ctx context.Context, q cart.ListingQuery) (cart.ListingPage, error) {
	if q.Cursor == "" && q.EmptyWindow() {
		return cart.ListingPage{}, nil
	}
	listings, next, err := readPage(ctx, c, productsPath, q.Cursor, q.UpdatedFrom, q.UpdatedTo, parseProducts,
		func(v url.Values) { v.Set("type", "PHYSICAL") },
		func(l cart.Listing) bool { return inWindow(l.UpdatedAt, q.UpdatedFrom, q.UpdatedTo) })
	if err != nil {
		return cart.ListingPage{}, fmt.Errorf("squarespace: listing products: %w", err)
	}
	return cart.ListingPage{Listings: listings, Next: next}, nil
}

// readPage reads the page of the list at path that cursor points at: the
// first page (cursor "") with q's window and what first sets, every later
// one with the cursor alone, as Squarespace requires. It keeps the items
// keep accepts and returns them with the next page's cursor.
func readPage[T any](ctx context.Context, c *Client, path, cursor string, from, to time.Time,
	parse func([]byte) ([]T, string, error), first func(url.Values), keep func(T) bool) ([]T, string, error) {
	v := url.Values{}
	if cursor != "" {
		v.Set("cursor", cursor)
	} else {
		if !from.IsZero() || !to.IsZero() {
			windowParams(v, from, to, c.clock.Now())
		}
		first(v)
	}
	body, err := c.get(ctx, path, v)
	if err != nil {
		return nil, "", err
	}
	items, next, err := parse(body)
	if err != nil {
		return nil, "", err
	}
	if next != "" && next == cursor {
		return nil, "", malformed("the same cursor twice")
	}
	kept := items[:0]
	for _, it := range items {
		if keep(it) {
			kept = append(kept, it)
		}
	}
	return kept, next, nil
}
