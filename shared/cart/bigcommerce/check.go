package bigcommerce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// CheckCredentials reads the store's first order (GET /v2/orders?limit=1,
// answered 204 when the store has none) with the client's token: nil when
// BigCommerce accepts it, cart.ErrAuth (with BigCommerce's reason) when it
// refuses it, another error when BigCommerce could not be asked. The read
// needs the Orders scope every import needs, so a token that authenticates
// but cannot import is refused too.
func (c *Client) CheckCredentials(ctx context.Context) error {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/v2/orders", query: url.Values{"limit": {"1"}}})
	if err != nil {
		return fmt.Errorf("bigcommerce: checking the access token: %w", err)
	}
	if resp.status != http.StatusOK && resp.status != http.StatusNoContent {
		return fmt.Errorf("bigcommerce: checking the access token: %w", failure(resp))
	}
	return nil
}
