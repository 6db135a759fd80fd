package squarespace

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
)

// TestConnectedTokenRenewed: a connected site's 30-minute access token is
// renewed with the refresh token and the new tokens saved; once the owner
// disconnects the app, the renewal is refused as an authorization problem.
func TestConnectedTokenRenewed(t *testing.T) {
	clk := newFakeClock()
	sim := squarespacesim.New(squarespacesim.Options{ClientID: "cid", ClientSecret: "sec", SKUs: []string{"MUG"}, Now: clk.Now})
	t.Cleanup(sim.Close)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)

	// The owner allows; the code is exchanged as the callback does.
	const cb = "http://127.0.0.1/oauth/squarespace/callback"
	br := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := br.PostForm(srv.URL+authorizePath, url.Values{"client_id": {"cid"}, "redirect_uri": {cb}, "scope": {Scopes}, "state": {"st"}, "decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	app := cart.App{ClientID: "cid", ClientSecret: "sec", APIBase: srv.URL}
	_, creds, err := exchangeCode(context.Background(), cart.Callback{Query: loc.Query()}, cart.ConnectRequest{CallbackURL: cb, App: app}, nil)
	if err != nil {
		t.Fatal(err)
	}

	var saved []cart.Credentials
	conn, err := Driver.New(cart.Build{Config: cart.Config{"api_base": srv.URL}, Credentials: creds,
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
