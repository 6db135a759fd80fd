package squarespace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/clock"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
)

// connectedSite serves a simulator on clk and connects a site to it as the
// callback does; refreshes counts the refresh_token grants it grants.
func connectedSite(t *testing.T, clk *clock.Fake) (sim *squarespacesim.Server, base string, creds cart.Credentials, refreshes *atomic.Int64) {
	t.Helper()
	sim = squarespacesim.New(squarespacesim.Options{ClientID: "cid", ClientSecret: "sec", SKUs: []string{"MUG"}, Now: clk.Now})
	t.Cleanup(sim.Close)
	refreshes = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != tokensPath {
			sim.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var grant struct {
			GrantType string `json:"grant_type"`
		}
		_ = json.Unmarshal(body, &grant)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		sim.ServeHTTP(sw, r)
		if grant.GrantType == "refresh_token" && sw.status == http.StatusOK {
			refreshes.Add(1)
		}
	}))
	t.Cleanup(srv.Close)

	const cb = "http://127.0.0.1/oauth/squarespace/callback"
	br := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := br.PostForm(srv.URL+authorizePath, url.Values{"client_id": {"cid"}, "redirect_uri": {cb}, "scope": {Scopes}, "state": {"st"}, "decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	app := cart.App{ClientID: "cid", ClientSecret: "sec", APIBase: srv.URL}
	_, creds, err = exchangeCode(context.Background(), cart.Callback{Query: loc.Query()}, cart.ConnectRequest{CallbackURL: cb, App: app}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sim, srv.URL, creds, refreshes
}

// statusWriter notes the status a handler answers.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// siteRun is the connector one run of the channel builds, through the
// driver, from what store holds now, reading it back with load (nil:
// Build.LoadCredentials is nil).
func siteRun(t *testing.T, base string, clk *clock.Fake, store *carttest.CredStore, load func(context.Context) (cart.Credentials, error)) *Client {
	t.Helper()
	b := cart.Build{Config: cart.Config{"api_base": base}, Credentials: store.Creds(), SaveCredentials: store.Save, LoadCredentials: load}
	conn, err := Driver.New(b)
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*Client)
	onClock(c, clk)
	return c
}

// TestRenewalRotatedByAnotherRun: two runs of one connected site (Import
// Orders and a verify_channel, say) build their connectors from the stored
// credentials and find the access token due. The first renews it, which
// retires the refresh token both hold; the second's renewal is refused
// with invalid_grant, and the connector reads the stored credentials: the
// tokens the first saved are adopted, or renewed again if due too, rather
// than the site being reported uninstalled. Only a refused refresh token
// that is still the stored one is a revoked grant.
func TestRenewalRotatedByAnotherRun(t *testing.T) {
	tests := []struct {
		name string
		gap  time.Duration // between the two runs' checks
		// lateSave: the first run's tokens reach the store only after
		// the second read it first (they renewed at the same moment).
		first, load, revoke, lateSave bool
		loadErr                       error
		// wantSettle: the second run read the store again after a wait.
		wantSettle    bool
		wantErr       error
		wantRefreshes int64
		secondSaves   bool
	}{
		{name: "adopts the tokens the other run saved", first: true, load: true, wantRefreshes: 1},
		{name: "adopted tokens due too are renewed", first: true, load: true, gap: 29 * time.Minute, wantRefreshes: 2, secondSaves: true},
		{name: "other run's tokens saved late", first: true, load: true, lateSave: true, wantRefreshes: 1, wantSettle: true},
		{name: "revoked grant", load: true, revoke: true, wantErr: cart.ErrRevoked, wantSettle: true},
		{name: "revoked after the other run renewed", first: true, load: true, gap: 29 * time.Minute, revoke: true, wantErr: cart.ErrRevoked, wantRefreshes: 1},
		{name: "without LoadCredentials a refusal stays revoked", first: true, wantErr: cart.ErrRevoked, wantRefreshes: 1},
		{name: "store unreadable", first: true, load: true, loadErr: errors.New("store down"), wantRefreshes: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			sim, base, creds, refreshes := connectedSite(t, clk)
			store := carttest.NewCredStore(creds)
			a := siteRun(t, base, clk, store, store.Load)
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
			b := siteRun(t, base, clk, store, load)
			ctx := t.Context()

			clk.Add(29 * time.Minute) // within two minutes of the expiry: due
			if tc.first {
				if err := a.CheckCredentials(ctx); err != nil {
					t.Fatalf("first run: %v", err)
				}
			}
			clk.Add(tc.gap)
			if tc.revoke {
				sim.RevokeTokens()
			}
			store.Fail = tc.loadErr
			before, savesBefore := store.Creds(), store.Saves()

			slept := clk.Slept()
			err := b.CheckCredentials(ctx)
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
			if got := refreshes.Load(); got != tc.wantRefreshes {
				t.Errorf("%d refresh grants; want %d", got, tc.wantRefreshes)
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
			if after["refresh_token"] == creds["refresh_token"] || after["api_key"] == creds["api_key"] || after["client_id"] != "cid" {
				t.Error("the store does not hold the renewed tokens with the rest")
			}
			if b.accessToken() != after["api_key"] {
				t.Error("the second run does not use the stored access token")
			}
			// Both runs go on with the stored tokens; a first run whose
			// token is due again after the gap adopts the second's.
			for _, c := range []*Client{b, a} {
				if err := c.CheckCredentials(ctx); err != nil {
					t.Fatalf("next check: %v", err)
				}
			}
			if got := refreshes.Load(); got != tc.wantRefreshes {
				t.Errorf("%d refresh grants after the next checks; want still %d", got, tc.wantRefreshes)
			}
			if a.accessToken() != after["api_key"] {
				t.Error("the first run does not use the stored access token")
			}
		})
	}
}
