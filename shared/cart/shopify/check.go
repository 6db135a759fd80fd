package shopify

import (
	"context"
	"fmt"
)

// checkDoc is the cheapest read that proves the token: one order id. It
// needs read_orders, the scope every import needs, so a token that
// authenticates but cannot import is refused too. Requested cost: 2 for
// the connection + 1 for the order.
const checkDoc = `query CheckCredentials { orders(first: 1) { nodes { id } } }`

// CheckCredentials reads one order id with the client's token: nil when
// Shopify accepts it, cart.ErrAuth (with Shopify's reason) when it
// refuses it, another error when Shopify could not be asked.
func (c *Client) CheckCredentials(ctx context.Context) error {
	if _, err := c.query(ctx, checkDoc, nil, 3); err != nil {
		return fmt.Errorf("shopify: checking the access token: %w", err)
	}
	return nil
}
