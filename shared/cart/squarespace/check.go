package squarespace

import (
	"context"
	"fmt"
)

// CheckCredentials reads the first page of orders with the client's key:
// nil when Squarespace accepts it, cart.ErrAuth (with Squarespace's
// reason) when it refuses it, another error when Squarespace could not be
// asked. The Orders permission it needs is the one every import needs.
func (c *Client) CheckCredentials(ctx context.Context) error {
	if _, err := c.get(ctx, ordersPath, nil); err != nil {
		return fmt.Errorf("squarespace: checking the API key: %w", err)
	}
	return nil
}
