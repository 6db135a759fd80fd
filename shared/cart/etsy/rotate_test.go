package etsy

import (
	"context"
	"errors"
	"fmt"
	"maps"
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

// TestRefreshRotatedByAnotherRun: two runs of one channel (Import Orders
// and Write Inventory hold separate leases) each build a client from the
// stored credentials and find the access token due. The first renews it,
// which retires the refresh token both were given; the second's renewal
// with it is refused, and the client reads the stored credentials: the
// tokens the first run saved are adopted, and renewed again if due too,
// instead of the channel being disconnected as revoked. Only a refused
// refresh token that is still the stored one is a revoked grant.
func TestRefreshRotatedByAnotherRun(t *testing.T) {
	tests := []struct {
		name string
		// between the two runs' requests
		gap time.Duration
		// first: the first run renews before the second; load: the
		// second has Build.LoadCredentials; revoke: the owner revoked the
		// grant before the second ran; loadErr: reading the store fails;
		// lateSave: the first run's tokens reach the store only after the
		// second read it first (they renewed at the same moment).
		first, load, revoke, lateSave bool
		loadErr                       error
		// wantSettle: the second run read the store again after a wait.
		wantSettle bool
		// want of the second run: err (nil: success), the simulator's
		// refreshes in all, and whether the second saved tokens.
		wantErr       error
		wantRefreshes int
		secondSaves   bool
	}{
		{name: "adopts the tokens the other run saved", first: true, load: true, wantRefreshes: 1},
		{name: "adopted tokens due too are renewed", first: true, load: true, gap: 56 * time.Minute, wantRefreshes: 2, secondSaves: true},
		{name: "other run's tokens saved late", first: true, load: true, lateSave: true, wantRefreshes: 1, wantSettle: true},
		{name: "revoked grant", load: true, revoke: true, wantErr: cart.ErrRevoked, wantSettle: true},
		{name: "revoked after the other run renewed", first: true, load: true, gap: 56 * time.Minute, revoke: true, wantErr: cart.ErrRevoked, wantRefreshes: 1},
		{name: "without LoadCredentials a refusal stays revoked", first: true, wantErr: cart.ErrRevoked, wantRefreshes: 1},
		{name: "store unreadable", first: true, load: true, loadErr: errors.New("store down"), wantRefreshes: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := startClock()
			start := clk.Now()
			sim := newOAuthSim(clk)
			sim.Seed(20, 3)
			url := serve(t, sim)
			store := carttest.NewCredStore(cart.Credentials{"api_key": apiKey, "shared_secret": secret, "token": token,
				"refresh_token": refreshToken, "token_expiry": start.Add(time.Hour).Format(time.RFC3339)})
			// Both runs start before either renews.
			a := runConnector(t, url, clk, store, store.Load)
			var load func(context.Context) (cart.Credentials, error)
			if tc.load {
				load = store.Load
			}
			if tc.lateSave {
				stale, reads := store.Creds(), 0
				load = func(ctx context.Context) (cart.Credentials, error) {
					if reads++; reads == 1 {
						return stale, nil
					}
					return store.Load(ctx)
				}
			}
			b := runConnector(t, url, clk, store, load)

			clk.Add(56 * time.Minute) // within five minutes of the expiry: due
			if tc.first {
				if _, err := a.Orders(t.Context(), everything()); err != nil {
					t.Fatalf("first run: %v", err)
				}
			}
			clk.Add(tc.gap)
			if tc.revoke {
				sim.RevokeRefreshTokens()
			}
			store.Fail = tc.loadErr
			before, savesBefore := store.Creds(), store.Saves()

			slept := clk.Slept()
			_, err := b.Orders(t.Context(), everything())
			if settled := clk.Slept() > slept; settled != tc.wantSettle {
				t.Errorf("the second run waited to read the store again: %v; want %v", settled, tc.wantSettle)
			}
			switch {
			case tc.loadErr != nil:
				if err == nil || errors.Is(err, cart.ErrAuth) || !errors.Is(err, tc.loadErr) {
					t.Fatalf("second run: %v; want the store's error, not cart.ErrAuth", err)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("second run: %v; want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("second run: %v", err)
			}
			if got := sim.Stats().TokenRefreshes; got != tc.wantRefreshes {
				t.Errorf("%d refreshes; want %d", got, tc.wantRefreshes)
			}
			if saved := store.Saves() > savesBefore; saved != tc.secondSaves {
				t.Errorf("second run saved tokens: %v; want %v", saved, tc.secondSaves)
			}
			after := store.Creds()
			if err != nil {
				if !maps.Equal(after, before) {
					t.Error("a failed renewal changed the stored credentials")
				}
				return
			}
			// The store holds the pair that works now, and the second run
			// uses it without another renewal.
			if after["token"] != sim.AccessToken() || after["refresh_token"] != sim.RefreshToken() || after["refresh_token"] == refreshToken {
				t.Errorf("stored tokens are not the working pair")
			}
			if exp, err := time.Parse(time.RFC3339, after["token_expiry"]); err != nil || exp.Before(clk.Now().Add(55*time.Minute)) {
				t.Errorf("stored expiry %q; want about an hour from now", after["token_expiry"])
			}
			for _, c := range []*Client{b, a} {
				if _, err := c.Orders(t.Context(), everything()); err != nil {
					t.Fatalf("next request: %v", err)
				}
			}
			// The first run's token is due again after a gap; its refresh
			// token is spent, so it adopts the second run's tokens too.
			if got := sim.Stats().TokenRefreshes; got != tc.wantRefreshes {
				t.Errorf("%d refreshes after the next requests; want still %d", got, tc.wantRefreshes)
			}
		})
	}
}
