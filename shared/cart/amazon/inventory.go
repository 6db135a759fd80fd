package amazon

import (
	"context"
	"fmt"
	"net/http"
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
	for {
		params := url.Values{
			"details":         {"true"},
			"granularityType": {"Marketplace"},
			"granularityId":   {c.market},
			"marketplaceIds":  {c.market},
		}
		if cur.T != "" {
			params.Set("nextToken", cur.T)
		}
		resp, err := c.do(ctx, request{op: opInventory, method: http.MethodGet, path: inventoryPath, query: params})
		if err != nil {
			return cart.FBAStockPage{}, err
		}
		if resp.status == http.StatusBadRequest && cur.T != "" && cur.R < maxRestarts {
			// The token lives 30 s: start the listing again. Setting the
			// quantities of the first pages again is harmless.
			cur.restart()
			continue
		}
		cur.R = 0
		if !resp.ok() {
			return cart.FBAStockPage{}, failure(resp)
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
}
