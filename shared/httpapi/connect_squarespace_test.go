package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
)

var squarespaceConnect = map[string]string{"cart": "squarespace", "name": "My Site"}

func (e *connectEnv) withSquarespace() *squarespacesim.Server {
	sim := squarespacesim.New(squarespacesim.Options{ClientID: "sqsp_cid", ClientSecret: "sqsp_secret", SKUs: []string{"MUG"}, Now: e.clock.Now})
	e.t.Cleanup(sim.Close)
	e.withApp(catalog.Squarespace, cart.App{ClientID: "sqsp_cid", ClientSecret: "sqsp_secret"}, sim)
	return sim
}

// TestConnectSquarespace: Squarespace's code grant with offline access;
// the channel's requests carry the OAuth token.
func TestConnectSquarespace(t *testing.T) {
	e := newConnectEnv(t)
	sim := e.withSquarespace()
	u, _ := url.Parse(e.start(acctA, squarespaceConnect))
	if q := u.Query(); u.Path != "/api/1/login/oauth/provider/authorize" || q.Get("access_type") != "offline" || q.Get("client_id") != "sqsp_cid" {
		t.Fatalf("authorize URL %s", u)
	}
	ch := e.connectFlow(squarespaceConnect, sim.RevokeTokens)
	// Instasync needs the OAuth token: the Webhook Subscriptions API
	// refuses the API key.
	code, b := e.do("PUT", "/v1/sync", acctA, map[string]any{"tasks": []change{{ch.ID, catalog.InstasyncOrders, true}}})
	if code != 200 || len(sim.WebhookSubscriptions()) != 1 {
		t.Fatalf("instasync: %d %s; subscriptions %d", code, b, len(sim.WebhookSubscriptions()))
	}
}

func TestConnectSquarespaceRefuses(t *testing.T) {
	e := newConnectEnv(t)
	e.withSquarespace()
	e.refusesStates(squarespaceConnect, map[string]func(string) string{
		"declined": declined,
	})
}

// A Squarespace channel records its website (website_id, from the
// Authorization API), so connecting the same site again re-authorizes
// that channel rather than making a second one that would import every
// order twice and push stock twice.
func TestConnectSquarespaceSameSiteTwice(t *testing.T) {
	e := newConnectEnv(t)
	sim := e.withSquarespace()
	ch := e.connectFlow(squarespaceConnect, sim.RevokeTokens)
	cb := e.consent(e.start(acctA, squarespaceConnect))
	if code, _ := e.callback(cb); code != http.StatusSeeOther {
		t.Fatalf("second connect: %d", code)
	}
	chs := e.channels(acctA)
	if len(chs) != 1 || chs[0].ID != ch.ID {
		t.Fatalf("the same site connected twice made channels %+v", chs)
	}
}
