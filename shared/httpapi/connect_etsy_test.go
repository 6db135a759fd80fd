package httpapi_test

import (
	"net/url"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
)

var etsyConnect = map[string]string{"cart": "etsy", "name": "My Etsy"}

func (e *connectEnv) withEtsy() *etsysim.Server {
	sim := etsysim.New(etsysim.Options{APIKey: "etsytestkeystring", SharedSecret: "etsytestsecret", ShopID: 777, SKUs: []string{"MUG"}, Now: e.clock.Now})
	e.withApp(catalog.Etsy, cart.App{ClientID: "etsytestkeystring", ClientSecret: "etsytestsecret"}, sim)
	return sim
}

// TestConnectEtsy: Etsy's code grant with PKCE; the shop found by getMe.
func TestConnectEtsy(t *testing.T) {
	e := newConnectEnv(t)
	sim := e.withEtsy()
	u, err := url.Parse(e.start(acctA, etsyConnect))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": "etsytestkeystring", "code_challenge_method": "S256",
		"scope": "listings_r listings_w transactions_r shops_r", "redirect_uri": e.api.URL + "/oauth/etsy/callback"} {
		if q.Get(k) != want {
			t.Errorf("authorize URL %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if len(q.Get("code_challenge")) != 43 || q.Get("state") == "" {
		t.Errorf("authorize URL without a challenge or state: %s", u)
	}
	ch := e.connectFlow(etsyConnect, sim.Revoke)
	got, err := e.app.Channels.Get(t.Context(), acctA, ch.ID)
	if err != nil || got.Config["shop_id"] != "777" {
		t.Fatalf("channel config %+v %v", got.Config, err)
	}
}

func TestConnectEtsyRefuses(t *testing.T) {
	e := newConnectEnv(t)
	e.withEtsy()
	e.refusesStates(etsyConnect, map[string]func(string) string{
		// PKCE: a code issued for our challenge is useless with another
		// verifier; a callback whose state is another authorization's
		// (valid, unused) state brings the wrong verifier.
		"wrong verifier": func(cb string) string {
			other, _ := url.Parse(e.start(acctA, etsyConnect))
			return setQuery(cb, "state", other.Query().Get("state"))
		},
		"declined": declined,
	})
}
