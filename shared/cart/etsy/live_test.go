package etsy

import (
	"context"
	"testing"

	"github.com/autosync/autosync/shared/cart/carttest"
)

// TestLive runs the read-only contract against a real shop (a test shop
// of your Etsy developer account, with an app's keys): set
// AUTOSYNC_LIVE_ETSY_API_KEY (the keystring), AUTOSYNC_LIVE_ETSY_SHARED_SECRET,
// AUTOSYNC_LIVE_ETSY_SHOP_ID and AUTOSYNC_LIVE_ETSY_TOKEN (an OAuth access
// token with transactions_r, listings_r and listings_w; it lasts an hour).
// AUTOSYNC_LIVE_ETSY_REFRESH_TOKEN lets the connector renew it; Etsy then
// issues new tokens, which this test does not print or keep.
func TestLive(t *testing.T) {
	env := carttest.LiveEnv(t, "Etsy", []string{
		"AUTOSYNC_LIVE_ETSY_API_KEY", "AUTOSYNC_LIVE_ETSY_SHARED_SECRET", "AUTOSYNC_LIVE_ETSY_SHOP_ID", "AUTOSYNC_LIVE_ETSY_TOKEN",
	}, "AUTOSYNC_LIVE_ETSY_REFRESH_TOKEN")
	c, err := New(Config{
		APIKey:       env["AUTOSYNC_LIVE_ETSY_API_KEY"],
		SharedSecret: env["AUTOSYNC_LIVE_ETSY_SHARED_SECRET"],
		ShopID:       env["AUTOSYNC_LIVE_ETSY_SHOP_ID"],
		Token:        env["AUTOSYNC_LIVE_ETSY_TOKEN"],
		RefreshToken: env["AUTOSYNC_LIVE_ETSY_REFRESH_TOKEN"],
		OnTokens: func(context.Context, Tokens) error {
			t.Log("Etsy renewed the tokens; set AUTOSYNC_LIVE_ETSY_TOKEN afresh for the next run")
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	carttest.Live(t, c)
}
