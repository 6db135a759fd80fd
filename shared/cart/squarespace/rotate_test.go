package squarespace

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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
// Orders and a verify_channel, say) renew an access token due within two
// minutes of its 30; the second's renewal is refused with invalid_grant
// and the tokens the first saved are adopted, or renewed again if due
// too, rather than the site being reported uninstalled. See
// carttest.RunRotation.
func TestRenewalRotatedByAnotherRun(t *testing.T) {
	carttest.RunRotation(t, 29*time.Minute, func(t *testing.T) carttest.Rotation[*Client] {
		clk := newFakeClock()
		sim, base, creds, refreshes := connectedSite(t, clk)
		store := carttest.NewCredStore(creds)
		return carttest.Rotation[*Client]{
			Clock: clk,
			Store: store,
			Run: func(load func(context.Context) (cart.Credentials, error)) *Client {
				return siteRun(t, base, clk, store, load)
			},
			Request:   func(ctx context.Context, c *Client) error { return c.CheckCredentials(ctx) },
			Revoke:    sim.RevokeTokens,
			Refreshes: func() int { return int(refreshes.Load()) },
			Renewed: func(t *testing.T, after cart.Credentials, _, second *Client) {
				if after["refresh_token"] == creds["refresh_token"] || after["api_key"] == creds["api_key"] || after["client_id"] != "cid" {
					t.Error("the store does not hold the renewed tokens with the rest")
				}
				if second.accessToken() != after["api_key"] {
					t.Error("the second run does not use the stored access token")
				}
			},
			Continued: func(t *testing.T, after cart.Credentials, first, _ *Client) {
				if first.accessToken() != after["api_key"] {
					t.Error("the first run does not use the stored access token")
				}
			},
		}
	})
}
