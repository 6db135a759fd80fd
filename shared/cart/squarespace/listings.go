package squarespace

import (
	"context"
	"fmt"
	"net/url"

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
	v := url.Values{}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	} else {
		if emptyWindow(q.UpdatedFrom, q.UpdatedTo) {
			return cart.ListingPage{}, nil
		}
		if !q.UpdatedFrom.IsZero() || !q.UpdatedTo.IsZero() {
			windowParams(v, q.UpdatedFrom, q.UpdatedTo, c.clock.Now())
		}
		v.Set("type", "PHYSICAL")
	}
	body, err := c.get(ctx, productsPath, v)
	if err != nil {
		return cart.ListingPage{}, fmt.Errorf("squarespace: listing products: %w", err)
	}
	listings, next, err := parseProducts(body)
	if err != nil {
		return cart.ListingPage{}, fmt.Errorf("squarespace: listing products: %w", err)
	}
	if next != "" && next == q.Cursor {
		return cart.ListingPage{}, fmt.Errorf("squarespace: listing products: %w", malformed("the same cursor twice"))
	}
	kept := listings[:0]
	for _, l := range listings {
		if inWindow(l.UpdatedAt, q.UpdatedFrom, q.UpdatedTo) {
			kept = append(kept, l)
		}
	}
	return cart.ListingPage{Listings: kept, Next: next}, nil
}
