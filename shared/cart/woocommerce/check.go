package woocommerce

import (
	"context"
	"fmt"
	"net/url"
)

// CheckCredentials reads one product id (GET /products?per_page=1) with
// the client's keys: nil when WooCommerce accepts them, cart.ErrAuth (with
// WooCommerce's reason) when it refuses them, another error when the store
// could not be asked.
func (c *Client) CheckCredentials(ctx context.Context) error {
	if _, err := c.get(ctx, "/products", url.Values{"per_page": {"1"}, "_fields": {"id"}}); err != nil {
		return fmt.Errorf("woocommerce: checking the API keys: %w", err)
	}
	return nil
}
