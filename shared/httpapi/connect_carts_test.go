package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/connect"
)

// withApp adds a cart's app, pointed at sim, to the environment.
func (e *connectEnv) withApp(c catalog.Cart, app cart.App, sim http.Handler) string {
	e.t.Helper()
	srv := httptest.NewServer(sim)
	e.t.Cleanup(srv.Close)
	app.APIBase = srv.URL
	e.app.API.Connect.Apps.(connect.StaticApps)[c] = app
	return srv.URL
}

// connectFlow is the done-when for one cart through the API alone: the
// authorize URL followed, the cart's consent form allowed, the channel
// active with a task ticked; the replayed callback refused; the access
// revoked at the cart, the channel re-authorized with its schedule
// resumed. It returns the channel.
func (e *connectEnv) connectFlow(body map[string]string, revoke func()) channelJSON {
	t := e.t
	t.Helper()
	cb := e.consent(e.start(acctA, body))
	if !strings.HasPrefix(cb, e.api.URL+"/oauth/"+body["cart"]+"/callback?") {
		t.Fatalf("the cart sent the browser to %s", cb)
	}
	code, loc := e.callback(cb)
	chs := e.channels(acctA)
	if code != http.StatusSeeOther || len(chs) != 1 || loc != "/#channel="+chs[0].ID {
		t.Fatalf("callback: %d %q; channels %+v", code, loc, chs)
	}
	ch := chs[0]
	if ch.Status != "active" || ch.Name != body["name"] || string(ch.Type) != body["cart"] {
		t.Fatalf("channel %+v", ch)
	}
	if len(e.channels(acctB)) != 0 {
		t.Fatal("another account sees the channel")
	}
	code, b := e.do("PUT", "/v1/sync", acctA, map[string]any{"tasks": []change{{ch.ID, catalog.ImportOrders, true}}})
	var m modalJSON
	_ = json.Unmarshal(b, &m)
	if io, ok := m.task(ch.ID, catalog.ImportOrders); code != http.StatusOK || !ok || !io.Available || !io.Enabled {
		t.Fatalf("tick import_orders: %d %s", code, b)
	}
	if s, ok := e.schedule(acctA, ch.ID, catalog.ImportOrders); !ok || !s.Enabled {
		t.Fatalf("schedule after ticking: %+v %v", s, ok)
	}
	e.carryState(cb)
	if code, _ := e.callback(cb); code != http.StatusBadRequest {
		t.Fatalf("replayed callback: %d", code)
	}
	if n := len(e.channels(acctA)); n != 1 {
		t.Fatalf("%d channels after a replay", n)
	}

	e.reauthorizes(ch, body["name"], revoke)
	return ch
}

// reauthorizes revokes the access at the cart, pauses the channel as the
// executor would on finding out, and re-authorizes it through the API:
// active again, under its name, with its schedule resumed. Another
// account cannot re-authorize it.
func (e *connectEnv) reauthorizes(ch channelJSON, name string, revoke func()) {
	t := e.t
	t.Helper()
	revoke()
	if err := e.app.Settings.NeedsReauth(context.Background(), acctA, ch.ID, ""); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.schedule(acctA, ch.ID, catalog.ImportOrders); s.Enabled {
		t.Fatal("schedule still enabled while the channel needs re-authorization")
	}
	if code, _ := e.do("POST", "/v1/channels/"+ch.ID+"/reauthorize", acctB, nil); code != http.StatusNotFound {
		t.Fatalf("another account re-authorizes the channel: %d", code)
	}
	if code, loc := e.callback(e.consent(e.reauthorizeURL(ch.ID))); code != http.StatusSeeOther || loc != "/#channel="+ch.ID {
		t.Fatalf("re-authorization callback: %d %q", code, loc)
	}
	chs := e.channels(acctA)
	if len(chs) != 1 || chs[0].Status != "active" || chs[0].Name != name {
		t.Fatalf("after re-authorization: %+v", chs)
	}
	if s, ok := e.schedule(acctA, ch.ID, catalog.ImportOrders); !ok || !s.Enabled {
		t.Fatalf("schedule not resumed: %+v %v", s, ok)
	}
}

// reauthorizeURL asks the API to re-authorize the channel and returns the
// cart's authorize URL.
func (e *connectEnv) reauthorizeURL(channel string) string {
	e.t.Helper()
	u, _ := e.startIn(e.browser, acctA, "/v1/channels/"+channel+"/reauthorize", nil)
	return u
}

// uninstalled checks the channel disconnected by its cart's uninstall:
// with a reason, its schedule deleted.
func (e *connectEnv) uninstalled(channel string) {
	e.t.Helper()
	chs := e.channels(acctA)
	if len(chs) != 1 || chs[0].Status != "disconnected" || chs[0].StatusReason == "" {
		e.t.Fatalf("after uninstall: %+v", chs)
	}
	if _, ok := e.schedule(acctA, channel, catalog.ImportOrders); ok {
		e.t.Fatal("schedule kept after uninstall")
	}
}

// refusesStates: a callback with a forged or expired state, another code,
// or one the tamper cases spoil, is refused and creates nothing.
func (e *connectEnv) refusesStates(body map[string]string, tampers map[string]func(cb string) string) {
	t := e.t
	t.Helper()
	cases := map[string]func() string{
		"forged state": func() string { return setQuery(e.consent(e.start(acctA, body)), "state", "forged-state") },
		"expired state": func() string {
			cb := e.consent(e.start(acctA, body))
			e.clock.Advance(connect.StateTTL + time.Second)
			return cb
		},
		// A code the cart refuses spends nothing (see
		// TestConnectBoundToTheStartingBrowser); a used state is refused
		// in connectFlow.
		"another code": func() string {
			return setQuery(setQuery(e.consent(e.start(acctA, body)), "code", "not-the-code"), "spapi_oauth_code", "not-the-code")
		},
		"no query": func() string { return e.api.URL + "/oauth/" + body["cart"] + "/callback" },
	}
	for name, f := range tampers {
		cases[name] = func() string { return f(e.consent(e.start(acctA, body))) }
	}
	for name, cb := range cases {
		t.Run(name, func(t *testing.T) {
			if code, loc := e.callback(cb()); code != http.StatusBadRequest {
				t.Fatalf("status %d (location %q), want 400", code, loc)
			}
			if chs := e.channels(acctA); len(chs) != 0 {
				t.Fatalf("channels created: %+v", chs)
			}
		})
	}
}

// setQuery is u with its query parameter key set to val.
func setQuery(u, key, val string) string {
	return editQuery(u, func(q url.Values) { q.Set(key, val) })
}

// editQuery is u with its query edited.
func editQuery(u string, edit func(url.Values)) string {
	parsed, _ := url.Parse(u)
	q := parsed.Query()
	edit(q)
	parsed.RawQuery = q.Encode()
	return parsed.String()
}

// declined is a callback the cart sends when the owner declines: an error
// instead of the code.
func declined(cb string) string {
	return editQuery(cb, func(q url.Values) {
		q.Del("code")
		q.Set("error", "access_denied")
	})
}
