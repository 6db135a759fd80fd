package etsy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/clock"
)

// runConnector is the Etsy client one run of the channel builds, through
// the driver, from what store holds now, reading it back with load (nil:
// Build.LoadCredentials is nil).
func runConnector(t *testing.T, url string, clk *clock.Fake, store *carttest.CredStore, load func(context.Context) (cart.Credentials, error)) *Client {
	t.Helper()
	b := cart.Build{Config: cart.Config{"shop_id": fmt.Sprint(shopID), "api_base": url}, Credentials: store.Creds(),
		SaveCredentials: store.Save, LoadCredentials: load}
	conn, err := Driver.New(b)
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*Client)
	c.now, c.sleep, c.retry = clk.Now, clk.Sleep, fastRetry
	return c
}

// TestRefreshRotatedByAnotherRun: two runs of one channel renew an
// access token due within five minutes of its hour; see
// carttest.RunRotation.
func TestRefreshRotatedByAnotherRun(t *testing.T) {
	carttest.RunRotation(t, 56*time.Minute, func(t *testing.T) carttest.Rotation[*Client] {
		clk := startClock()
		sim := newOAuthSim(clk)
		sim.Seed(20, 3)
		url := serve(t, sim)
		store := carttest.NewCredStore(cart.Credentials{"api_key": apiKey, "shared_secret": secret, "token": token,
			"refresh_token": refreshToken, "token_expiry": clk.Now().Add(time.Hour).Format(time.RFC3339)})
		return carttest.Rotation[*Client]{
			Clock: clk,
			Store: store,
			Run: func(load func(context.Context) (cart.Credentials, error)) *Client {
				return runConnector(t, url, clk, store, load)
			},
			Request: func(ctx context.Context, c *Client) error {
				_, err := c.Orders(ctx, everything())
				return err
			},
			Revoke:    sim.RevokeRefreshTokens,
			Refreshes: func() int { return sim.Stats().TokenRefreshes },
			// The store holds the pair that works now.
			Renewed: func(t *testing.T, after cart.Credentials, _, _ *Client) {
				if after["token"] != sim.AccessToken() || after["refresh_token"] != sim.RefreshToken() || after["refresh_token"] == refreshToken {
					t.Errorf("stored tokens are not the working pair")
				}
				if exp, err := time.Parse(time.RFC3339, after["token_expiry"]); err != nil || exp.Before(clk.Now().Add(55*time.Minute)) {
					t.Errorf("stored expiry %q; want about an hour from now", after["token_expiry"])
				}
			},
		}
	})
}
