package amazon

import (
	"testing"

	"github.com/autosync/autosync/shared/cart/carttest"
)

// sandboxEndpoint is SP-API's North America sandbox, which answers with
// static examples and changes nothing.
const sandboxEndpoint = "https://sandbox.sellingpartnerapi-na.amazon.com"

// TestLive runs the read-only contract against SP-API (its sandbox unless
// AUTOSYNC_LIVE_AMAZON_ENDPOINT says otherwise): set
// AUTOSYNC_LIVE_AMAZON_CLIENT_ID, AUTOSYNC_LIVE_AMAZON_CLIENT_SECRET and
// AUTOSYNC_LIVE_AMAZON_REFRESH_TOKEN (a self-authorized private app's LWA
// credentials), AUTOSYNC_LIVE_AMAZON_SELLER_ID and
// AUTOSYNC_LIVE_AMAZON_MARKETPLACE_ID.
func TestLive(t *testing.T) {
	env := carttest.LiveEnv(t, "Amazon SP-API", []string{
		"AUTOSYNC_LIVE_AMAZON_CLIENT_ID", "AUTOSYNC_LIVE_AMAZON_CLIENT_SECRET", "AUTOSYNC_LIVE_AMAZON_REFRESH_TOKEN",
		"AUTOSYNC_LIVE_AMAZON_SELLER_ID", "AUTOSYNC_LIVE_AMAZON_MARKETPLACE_ID",
	}, "AUTOSYNC_LIVE_AMAZON_ENDPOINT")
	endpoint := env["AUTOSYNC_LIVE_AMAZON_ENDPOINT"]
	if endpoint == "" {
		endpoint = sandboxEndpoint
	}
	c, err := New(Config{
		Endpoint:      endpoint,
		ClientID:      env["AUTOSYNC_LIVE_AMAZON_CLIENT_ID"],
		ClientSecret:  env["AUTOSYNC_LIVE_AMAZON_CLIENT_SECRET"],
		RefreshToken:  env["AUTOSYNC_LIVE_AMAZON_REFRESH_TOKEN"],
		SellerID:      env["AUTOSYNC_LIVE_AMAZON_SELLER_ID"],
		MarketplaceID: env["AUTOSYNC_LIVE_AMAZON_MARKETPLACE_ID"],
	})
	if err != nil {
		t.Fatal(err)
	}
	carttest.Live(t, c)
}
