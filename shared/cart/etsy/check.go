package etsy

import (
	"context"
	"fmt"
	"net/url"
)

// CheckCredentials reads one receipt of the configured shop
// (getShopReceipts, limit 1) with the client's key and token: nil when
// Etsy accepts them, cart.ErrAuth (with Etsy's reason) when it refuses
// them, another error when Etsy could not be asked. Reading the shop's
// receipts proves the token is the shop owner's and carries
// transactions_r, which every import needs. An expired access token is
// renewed with the refresh token as on any request, and the new pair goes
// to Config.OnTokens.
func (c *Client) CheckCredentials(ctx context.Context) error {
	if _, err := c.get(ctx, "/shops/"+c.shopID+"/receipts", url.Values{"limit": {"1"}}); err != nil {
		return fmt.Errorf("etsy: checking the shop's authorization: %w", err)
	}
	return nil
}
