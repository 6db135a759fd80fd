package amazon

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// CheckCredentials exchanges the refresh token for an access token (Login
// with Amazon) and reads one of the seller's listings
// (searchListingsItems, pageSize 1): nil when Amazon accepts the app's
// client and the seller's authorization, cart.ErrAuth (with Amazon's
// reason) when it refuses them, another error when Amazon could not be
// asked. The listings read names the seller id, so a refresh token of
// another seller is refused too.
func (c *Client) CheckCredentials(ctx context.Context) error {
	params := url.Values{"marketplaceIds": {c.market}, "includedData": {"summaries"}, "pageSize": {"1"}}
	resp, err := c.do(ctx, request{op: opSearchListings, method: http.MethodGet, path: c.listingsPath(), query: params})
	if err != nil {
		return fmt.Errorf("amazon: checking the seller's authorization: %w", err)
	}
	if !resp.ok() {
		return fmt.Errorf("amazon: checking the seller's authorization: %w", failure(resp))
	}
	return nil
}
