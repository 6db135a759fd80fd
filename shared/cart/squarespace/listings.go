package squarespace

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

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
