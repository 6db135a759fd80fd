package amazon

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

const (
	listingsPageSize = 20   // searchListingsItems' maximum pageSize
	listingsCap      = 1000 // items one search pages through (the model's note)
)

func (c *Client) listingsPath() string {
	return "/listings/" + ListingsVersion + "/items/" + url.PathEscape(c.seller)
}

var _ cart.ListingSource = (*Client)(nil)

// Listings returns one page of the seller's listings updated in q's window
// (all when q.UpdatedFrom is zero), oldest update first, with name, price,
// images, ASIN (as Link.ProductID) and merchant-fulfilled quantity. A
// listing Amazon fulfils comes with NotOurs set, its ASIN and no quantity.
func (c *Client) Listings(ctx context.Context, q cart.ListingQuery) (cart.ListingPage, error) {
	page, err := c.listings(ctx, q)
	if err != nil {
		return cart.ListingPage{}, fmt.Errorf("amazon: listing products: %w", err)
	}
	return page, nil
}

func (c *Client) listings(ctx context.Context, q cart.ListingQuery) (cart.ListingPage, error) {
	cur, err := decodeCursor(q.Cursor)
	if err != nil {
		return cart.ListingPage{}, &cart.Error{Message: err.Error()}
	}
	if !cur.F {
		cur = cursor{F: true, S: q.UpdatedFrom.UTC().Truncate(time.Second), B: q.UpdatedTo.UTC()}
		cur.A = cur.S
	}
	for skipped := 0; ; {
		resp, err := c.page(ctx, &cur, opSearchListings, c.listingsPath(), "pageToken", func() url.Values {
			params := url.Values{
				"marketplaceIds": {c.market},
				"includedData":   {"summaries,attributes,offers,fulfillmentAvailability"},
				"pageSize":       {strconv.Itoa(listingsPageSize)},
				"sortBy":         {"lastUpdatedDate"},
				"sortOrder":      {"ASC"},
			}
			if !cur.A.IsZero() {
				params.Set("lastUpdatedAfter", cur.A.Format(time.RFC3339))
			}
			if !cur.B.IsZero() {
				params.Set("lastUpdatedBefore", cur.B.Format(time.RFC3339))
			}
			return params
		})
		if err != nil {
			return cart.ListingPage{}, err
		}
		items, next, err := parseListings(resp.body, c.market)
		if err != nil {
			return cart.ListingPage{}, &cart.Error{Status: resp.status, Message: "Amazon sent listings that could not be read", Err: err}
		}
		page := cart.ListingPage{Listings: make([]cart.Listing, 0, len(items))}
		for _, l := range items {
			if !cur.seen(l.SKU, l.updated) {
				page.Listings = append(page.Listings, l.Listing)
			}
		}
		cur.N += len(items)
		switch {
		case next != "":
			if next == cur.T {
				return cart.ListingPage{}, &cart.Error{Message: "Amazon repeated a page of listings"}
			}
			cur.T = next
			if len(page.Listings) == 0 && len(items) > 0 && skipped < maxSkipped {
				skipped++ // only listings handed out already: read on
				continue
			}
			page.Next = cur.encode()
		case cur.N >= listingsCap:
			// One search pages through 1000 items at most: search again
			// from the last update time reached.
			if cur.U || !cur.P.After(cur.A) {
				return cart.ListingPage{}, &cart.Error{Message: "Amazon's listing search stopped at 1000 items and cannot be continued (more than 1000 listings share one update time, or the results were not in update order)"}
			}
			cur.A, cur.T, cur.N = cur.P, "", 0
			page.Next = cur.encode()
		}
		return page, nil
	}
}

const inventoryPath = "/fba/inventory/" + FBAInventoryVersion + "/summaries"

var _ cart.FBAInventorySource = (*Client)(nil)

// FBAInventory returns one page of Amazon's FBA stock in the channel's
// marketplace: the fulfillable quantity of each seller SKU, every SKU when
// since is zero, else those whose inventory changed since then
// (startDateTime). cursor is the previous page's Next ("" for the first
// page). A cursor carries the since its listing began with, and that one
// is used: a next token is bound to its query, and a cursor saved by a
// version that sent no startDateTime must finish its listing.
func (c *Client) FBAInventory(ctx context.Context, since time.Time, cursor string) (cart.FBAStockPage, error) {
	page, err := c.fbaInventory(ctx, since, cursor)
	if err != nil {
		return cart.FBAStockPage{}, fmt.Errorf("amazon: listing FBA inventory: %w", err)
	}
	return page, nil
}

// inventoryHorizon is how far back startDateTime may reach ("no earlier
// than 18 months prior"), less a day for clocks that disagree.
const inventoryHorizon = 18*30*24*time.Hour - 24*time.Hour

func (c *Client) fbaInventory(ctx context.Context, since time.Time, raw string) (cart.FBAStockPage, error) {
	cur, err := decodeCursor(raw)
	if err != nil {
		return cart.FBAStockPage{}, &cart.Error{Message: err.Error()}
	}
	if !cur.F {
		cur.F = true
		// Whole seconds, rounded down: the window only widens. One older
		// than Amazon takes asks for everything, which it includes.
		if s := since.UTC().Truncate(time.Second); !since.IsZero() && c.now().Sub(s) < inventoryHorizon {
			cur.S, cur.A = s, s
		}
	}
	// An expired token starts the listing again: setting the quantities of
	// the first pages again is harmless.
	resp, err := c.page(ctx, &cur, opInventory, inventoryPath, "nextToken", func() url.Values {
		params := url.Values{
			"details":         {"true"},
			"granularityType": {"Marketplace"},
			"granularityId":   {c.market},
			"marketplaceIds":  {c.market},
		}
		if !cur.A.IsZero() {
			params.Set("startDateTime", cur.A.Format(time.RFC3339))
		}
		return params
	})
	if err != nil {
		return cart.FBAStockPage{}, err
	}
	items, next, err := parseInventory(resp.body)
	if err != nil {
		return cart.FBAStockPage{}, &cart.Error{Status: resp.status, Message: "Amazon sent FBA inventory that could not be read", Err: err}
	}
	page := cart.FBAStockPage{Items: items}
	if next != "" {
		if next == cur.T {
			return cart.FBAStockPage{}, &cart.Error{Message: "Amazon repeated a page of FBA inventory"}
		}
		cur.T = next
		page.Next = cur.encode()
	}
	return page, nil
}
