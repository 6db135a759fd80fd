package squarespace

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// TestConnectedTokenRenewed: a connected site's 30-minute access token is
// renewed with the refresh token and the new tokens saved; once the owner
// disconnects the app, the renewal is refused as an authorization problem.
func TestConnectedTokenRenewed(t *testing.T) {
	clk := newFakeClock()
	// The owner allows; the code is exchanged as the callback does.
	sim, base, creds, _ := connectedSite(t, clk)

	var saved []cart.Credentials
	conn, err := Driver.New(cart.Build{Config: cart.Config{"api_base": base}, Credentials: creds,
		SaveCredentials: func(_ context.Context, c cart.Credentials) error { saved = append(saved, c); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*Client)
	onClock(c, clk)
	ctx := context.Background()
	if err := c.CheckCredentials(ctx); err != nil || len(saved) != 0 {
		t.Fatalf("fresh token: %v, %d saves", err, len(saved))
	}
	clk.Add(31 * time.Minute)
	if err := c.CheckCredentials(ctx); err != nil {
		t.Fatalf("after the access token expired: %v", err)
	}
	if len(saved) != 1 || saved[0]["api_key"] == "" || saved[0]["api_key"] == creds["api_key"] || saved[0]["refresh_token"] == creds["refresh_token"] {
		t.Fatalf("saved %d renewals", len(saved))
	}

	// Uninstalled while the access token still had time: the 401 leads to
	// one renewal, which Squarespace refuses with invalid_grant.
	sim.RevokeTokens()
	if err := c.CheckCredentials(ctx); !errors.Is(err, cart.ErrRevoked) || !errors.Is(err, cart.ErrAuth) {
		t.Fatalf("after the app was disconnected: %v; want cart.ErrRevoked (invalid_grant), also cart.ErrAuth", err)
	}
	clk.Add(31 * time.Minute)
	if err := c.CheckCredentials(ctx); !errors.Is(err, cart.ErrRevoked) || !errors.Is(err, cart.ErrAuth) {
		t.Fatalf("after the app was disconnected, token due: %v; want cart.ErrRevoked (invalid_grant), also cart.ErrAuth", err)
	}
}
