package shopify

import (
	"testing"

	"github.com/autosync/autosync/shared/cart/carttest"
)

// TestLive runs the read-only contract against a real shop (a development
// store made in a Shopify Partners account): set AUTOSYNC_LIVE_SHOPIFY_SHOP
// (name.myshopify.com) and AUTOSYNC_LIVE_SHOPIFY_TOKEN (a custom app's
// Admin API access token with read/write orders, products and inventory).
func TestLive(t *testing.T) {
	env := carttest.LiveEnv(t, "Shopify", []string{"AUTOSYNC_LIVE_SHOPIFY_SHOP", "AUTOSYNC_LIVE_SHOPIFY_TOKEN"})
	c, err := New(Config{Shop: env["AUTOSYNC_LIVE_SHOPIFY_SHOP"], AccessToken: env["AUTOSYNC_LIVE_SHOPIFY_TOKEN"]})
	if err != nil {
		t.Fatal(err)
	}
	carttest.Live(t, c)
}
