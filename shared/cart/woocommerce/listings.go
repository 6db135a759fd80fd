package woocommerce

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/autosync/autosync/shared/cart"
)

var _ cart.ListingSource = (*Client)(nil)

// Listings returns one page of listings: one per SKU, for each simple
// product with a SKU and each variation of a variable product with a SKU of
// its own, from the products modified in [UpdatedFrom, UpdatedTo) (paged
// as orders are). Grouped and external products hold no stock and are left
// out. A page costs one products request plus one variations request per
// variable product on it (more for products of over 100 variations).
//
// A variation's change does not always touch its parent's modification
// time, so an incremental read may miss a changed variation; a new
// variation does touch it.
func (c *Client) Listings(ctx context.Context, q cart.ListingQuery) (cart.ListingPage, error) {
	if q.EmptyWindow() {
		return cart.ListingPage{}, nil
	}
	products, next, err := readPage(ctx, c, "/products", q.UpdatedFrom, q.UpdatedTo, q.Cursor,
		url.Values{"_fields": {productFields}}, parseProducts)
	if err != nil {
		return cart.ListingPage{}, fmt.Errorf("woocommerce: listing products: %w", err)
	}
	page := cart.ListingPage{Next: next}
	seen := map[string]bool{}
	for _, p := range products {
		ls, err := c.listingsOf(ctx, p)
		if err != nil {
			return cart.ListingPage{}, fmt.Errorf("woocommerce: %w", err)
		}
		page.Listings = addNew(page.Listings, seen, ls)
	}
	return page, nil
}

// listingsOf maps one product to its listings: a simple product's one, or
// one per variation of a variable product that has a SKU of its own (read
// from WooCommerce); grouped and external products have none.
func (c *Client) listingsOf(ctx context.Context, p wcProduct) ([]cart.Listing, error) {
	switch p.Type {
	case "simple":
		if l, ok := simpleListing(p); ok {
			return []cart.Listing{l}, nil
		}
	case "variable":
		if len(p.Variations) == 0 {
			return nil, nil
		}
		vs, err := c.variations(ctx, p.ID.N)
		if err != nil {
			return nil, fmt.Errorf("listing the variations of product %d: %w", p.ID.N, err)
		}
		var out []cart.Listing
		for _, v := range vs {
			if l, ok := variationListing(p, v); ok {
				out = append(out, l)
			}
		}
		return out, nil
	}
	return nil, nil
}

// addNew appends the listings of SKUs not seen yet: a SKU is unique in a
// store, so the first is kept.
func addNew(out []cart.Listing, seen map[string]bool, ls []cart.Listing) []cart.Listing {
	for _, l := range ls {
		if !seen[l.SKU] {
			seen[l.SKU] = true
			out = append(out, l)
		}
	}
	return out
}

// variations reads every variation of a product, following the Link
// header's next page (its number only).
func (c *Client) variations(ctx context.Context, product int64) ([]wcVariation, error) {
	var all []wcVariation
	path := "/products/" + strconv.FormatInt(product, 10) + "/variations"
	for page := 1; ; {
		params := url.Values{
			"per_page": {strconv.Itoa(perPage)},
			"page":     {strconv.Itoa(page)},
			"orderby":  {"id"},
			"order":    {"asc"},
			"_fields":  {variationFields},
		}
		rep, err := c.get(ctx, path, params)
		if err != nil {
			return nil, err
		}
		vs, err := parseVariations(rep.body)
		if err != nil {
			return nil, err
		}
		all = append(all, vs...)
		next, ok := nextPage(rep.header, page)
		if !ok || len(vs) == 0 || page >= 1000 {
			return all, nil
		}
		page = next
	}
}
