package amazon

import (
	"context"
	"fmt"
	"net/url"

	"github.com/autosync/autosync/shared/cart"
)

const inventoryPath = "/fba/inventory/" + FBAInventoryVersion + "/summaries"

var _ cart.FBAInventorySource = (*Client)(nil)

// FBAInventory returns one page of Amazon's FBA stock in the channel's
// marketplace: the fulfillable quantity of each seller SKU. cursor is the
// previous page's Next ("" for the first page).
func (c *Client) FBAInventory(ctx context.Context, cursor string) (cart.FBAStockPage, error) {
	page, err := c.fbaInventory(ctx, cursor)
	if err != nil {
		return cart.FBAStockPage{}, fmt.Errorf("amazon: listing FBA inventory: %w", err)
	}
	return page, nil
}

func (c *Client) fbaInventory(ctx context.Context, raw string) (cart.FBAStockPage, error) {
	cur, err := decodeCursor(raw)
	if err != nil {
		return cart.FBAStockPage{}, &cart.Error{Message: err.Error()}
	}
	cur.F = true
	// An expired token starts the listing again: setting the quantities of
	// the first pages again is harmless.
	resp, err := c.page(ctx, &cur, opInventory, inventoryPath, "nextToken", func() url.Values {
		return url.Values{
			"details":         {"true"},
			"granularityType": {"Marketplace"},
			"granularityId":   {c.market},
			"marketplaceIds":  {c.market},
		}
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
