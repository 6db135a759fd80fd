package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/app"
	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/connect"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/schedule/local"
	"github.com/autosync/autosync/shared/seal"
	bigcommercesim "github.com/autosync/autosync/shared/simulator/bigcommerce"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
	woocommercesim "github.com/autosync/autosync/shared/simulator/woocommerce"
	"github.com/autosync/autosync/shared/store/boltstore"
)

// manualClock moves only when told: state expiry without sleeping.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// connectEnv is the real assembly served over HTTP, with the Shopify
// simulator as the cart every shop is at, and no credential check skipped.
type connectEnv struct {
	t      *testing.T
	app    *app.App
	api    *httptest.Server
	sim    *shopifysim.Server
	simSrv *httptest.Server
	woo    *woocommercesim.Server
	wooSrv *httptest.Server
	bc     *bigcommercesim.Server
	bcSrv  *httptest.Server
	sched  *local.Scheduler
	clock  *manualClock
	tokens auth.HS256
	// browser keeps cookies and follows no redirects: each hop is checked.
	browser *http.Client
}

const (
	simClientID     = "autosync_test_client"
	simClientSecret = "shpss_test_app_secret"
	testShop        = "my-shop.myshopify.com"
)

func newConnectEnv(t *testing.T) *connectEnv {
	t.Helper()
	st, err := boltstore.Open(t.TempDir() + "/db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	sealer, err := seal.NewAESGCM(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &connectEnv{t: t, clock: &manualClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		tokens: auth.HS256{Secret: []byte("0123456789abcdef0123456789abcdef")}}
	// The merchant's browser: it starts authorizations (keeping their state
	// cookie) and arrives at the callbacks.
	e.browser = e.jarBrowser()
	e.sim = shopifysim.New(shopifysim.Options{ClientID: simClientID, ClientSecret: simClientSecret, Shop: testShop, SKUs: []string{"MUG"}})
	t.Cleanup(e.sim.Close)
	e.simSrv = httptest.NewServer(e.sim)
	t.Cleanup(e.simSrv.Close)
	e.woo = woocommercesim.New(woocommercesim.Options{SKUs: []string{"MUG"}})
	t.Cleanup(e.woo.Close)
	e.wooSrv = httptest.NewServer(e.woo)
	t.Cleanup(e.wooSrv.Close)
	e.bc = bigcommercesim.New(bigcommercesim.Options{ClientID: bcClientID, ClientSecret: bcClientSecret, StoreHash: bcStore, SKUs: []string{"MUG"}})
	t.Cleanup(e.bc.Close)
	e.bcSrv = httptest.NewServer(e.bc)
	t.Cleanup(e.bcSrv.Close)
	var h http.Handler
	e.api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(e.api.Close)
	e.sched = local.New(func(context.Context, string, []byte) {}, 1, e.clock.Now)
	e.app = app.New(app.Deps{
		Store: st, Sealer: sealer, Scheduler: e.sched, Dispatch: &recDispatcher{},
		Connectors: connector.Factory{AllowLoopbackBase: true},
		Auth:       e.tokens,
		Log:        slog.New(slog.NewTextHandler(testWriter{t}, nil)),
		Now:        e.clock.Now, WebhookBaseURL: e.api.URL,
		Apps: connect.StaticApps{
			catalog.Shopify:     {ClientID: simClientID, ClientSecret: simClientSecret, APIBase: e.simSrv.URL},
			catalog.WooCommerce: {ClientID: "Autosync", APIBase: e.wooSrv.URL},
			catalog.BigCommerce: {ClientID: bcClientID, ClientSecret: bcClientSecret, APIBase: e.bcSrv.URL},
		},
	})
	h = e.app.API.Handler()
	return e
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (e *connectEnv) do(method, path, account string, body any) (int, []byte) {
	e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, e.api.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if account != "" {
		tok, err := e.tokens.Issue(account, auth.ScopeMerchant, time.Hour)
		if err != nil {
			e.t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// consent opens the cart's authorize URL, submits its consent form with
// Allow and returns where the cart sends the browser (our callback).
func (e *connectEnv) consent(authorizeURL string) string {
	e.t.Helper()
	return e.consentIn(e.browser, authorizeURL)
}

// consentIn is consent in the browser br.
func (e *connectEnv) consentIn(br *http.Client, authorizeURL string) string {
	e.t.Helper()
	resp, err := br.Get(authorizeURL)
	if err != nil {
		e.t.Fatal(err)
	}
	var page bytes.Buffer
	_, _ = page.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(page.String(), "Allow") {
		e.t.Fatalf("consent page: %d %s", resp.StatusCode, page.String())
	}
	form := url.Values{"decision": {"allow"}}
	for _, m := range hiddenInput.FindAllStringSubmatch(page.String(), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	u, _ := url.Parse(authorizeURL)
	resp, err = br.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("allow: status %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// carryState puts the cookie of the state cb names back into e.browser
// (the cookie is cleared once a callback takes its state up), so a
// replayed callback is refused for its used state, not a missing cookie.
func (e *connectEnv) carryState(cb string) {
	e.t.Helper()
	u, err := url.Parse(cb)
	if err != nil {
		e.t.Fatal(err)
	}
	cart := strings.Split(strings.TrimPrefix(u.Path, "/oauth/"), "/")[0]
	e.browser.Jar.SetCookies(u, []*http.Cookie{{Name: "autosync_connect", Value: u.Query().Get("state"), Path: "/oauth/" + cart}})
}

// callback is the browser arriving at our callback.
func (e *connectEnv) callback(u string) (int, string) {
	e.t.Helper()
	resp, err := e.browser.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// start starts connecting from the page in e.browser, which keeps the
// state cookie, and returns the cart's authorize URL.
func (e *connectEnv) start(account string, body map[string]string) string {
	e.t.Helper()
	u, _ := e.startIn(e.browser, account, "/v1/channels/connect", body)
	if u == "" {
		e.t.Fatal("connect: no authorize URL")
	}
	return u
}

func (e *connectEnv) channels(account string) []channelJSON {
	e.t.Helper()
	code, b := e.do("GET", "/v1/channels", account, nil)
	var out struct {
		Channels []channelJSON `json:"channels"`
	}
	if code != http.StatusOK || json.Unmarshal(b, &out) != nil {
		e.t.Fatalf("channels: %d %s", code, b)
	}
	return out.Channels
}

func (e *connectEnv) schedule(account, channel string, task catalog.Task) (schedule.Schedule, bool) {
	s, err := e.sched.Get(context.Background(), schedule.Name(account, channel, task))
	if errors.Is(err, schedule.ErrNotFound) {
		return s, false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return s, true
}

var shopifyConnect = map[string]string{"cart": "shopify", "name": "My Shop", "shop_domain": testShop}

// TestConnectShopify is the done-when through the API alone: connect,
// consent, the channel active with its tasks; revoked, re-authorized with
// its schedule resumed; uninstalled, disconnected with its data kept.
func TestConnectShopify(t *testing.T) {
	e := newConnectEnv(t)
	cb := e.consent(e.start(acctA, shopifyConnect))
	if !strings.HasPrefix(cb, e.api.URL+"/oauth/shopify/callback?") {
		t.Fatalf("the cart sent the browser to %s", cb)
	}
	code, loc := e.callback(cb)
	chs := e.channels(acctA)
	if code != http.StatusSeeOther || len(chs) != 1 || loc != "/#channel="+chs[0].ID {
		t.Fatalf("callback: %d %q; channels %+v", code, loc, chs)
	}
	ch := chs[0]
	if ch.Status != "active" || ch.Name != "My Shop" || ch.Type != "shopify" {
		t.Fatalf("channel %+v", ch)
	}
	if len(e.channels(acctB)) != 0 {
		t.Fatal("another account sees the channel")
	}
	// Its tasks are available, and one ticked gets a schedule.
	code, b := e.do("PUT", "/v1/sync", acctA, map[string]any{"tasks": []change{{ch.ID, catalog.ImportOrders, true}, {ch.ID, catalog.InstasyncOrders, true}}})
	var m modalJSON
	_ = json.Unmarshal(b, &m)
	if io, ok := m.task(ch.ID, catalog.ImportOrders); code != http.StatusOK || !ok || !io.Available || !io.Enabled {
		t.Fatalf("tick import_orders: %d %s", code, b)
	}
	if s, ok := e.schedule(acctA, ch.ID, catalog.ImportOrders); !ok || !s.Enabled {
		t.Fatalf("schedule after ticking: %+v %v", s, ok)
	}
	nsubs := len(e.sim.WebhookSubscriptions())
	if nsubs == 0 {
		t.Fatal("no webhook subscription after ticking instasync")
	}

	// The same callback again, even with the state's cookie put back, is
	// refused (the state was used) and creates nothing.
	e.carryState(cb)
	if code, _, body := get(t, e.browser, cb); code != http.StatusBadRequest || !strings.Contains(body, "already used") {
		t.Fatalf("replayed callback: %d %s", code, body)
	}
	if n := len(e.channels(acctA)); n != 1 {
		t.Fatalf("%d channels after a replay", n)
	}

	// The merchant revokes the token at Shopify; the executor finds out.
	e.reauthorizes(ch, "My Shop", e.sim.RevokeTokens)

	// Rename.
	if code, b := e.do("PATCH", "/v1/channels/"+ch.ID, acctA, map[string]string{"name": "  Main shop "}); code != http.StatusOK || !strings.Contains(string(b), `"name":"Main shop"`) {
		t.Fatalf("rename: %d %s", code, b)
	}
	if code, _ := e.do("PATCH", "/v1/channels/"+ch.ID, acctA, map[string]string{"name": "bad\x00"}); code != http.StatusUnprocessableEntity {
		t.Fatalf("rename to a bad name: %d", code)
	}
	if code, _ := e.do("PATCH", "/v1/channels/"+ch.ID, acctB, map[string]string{"name": "theirs"}); code != http.StatusNotFound {
		t.Fatalf("rename by another account: %d", code)
	}

	// A forged uninstall is refused; the shop's own disconnects.
	forged, _ := http.NewRequest("POST", e.api.URL+"/oauth/shopify/events", strings.NewReader(`{}`))
	forged.Header.Set("X-Shopify-Topic", "app/uninstalled")
	forged.Header.Set("X-Shopify-Shop-Domain", testShop)
	forged.Header.Set("X-Shopify-Hmac-Sha256", "AAAA")
	if resp, err := http.DefaultClient.Do(forged); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged uninstall: %v %v", resp, err)
	}
	if st, err := e.sim.Uninstall(context.Background(), nil, e.api.URL+"/oauth/shopify/events", testShop); err != nil || st != http.StatusOK {
		t.Fatalf("uninstall: %d %v", st, err)
	}
	e.uninstalled(ch.ID)
	// Settings are kept: re-authorizing brings the schedule back.
	if code, _ := e.callback(e.consent(e.reauthorizeURL(ch.ID))); code != http.StatusSeeOther {
		t.Fatalf("reconnect after uninstall: %d", code)
	}
	if s, ok := e.schedule(acctA, ch.ID, catalog.ImportOrders); !ok || !s.Enabled {
		t.Fatalf("schedule after reconnecting: %+v %v", s, ok)
	}
	// The cart dropped the subscription with the app; reconnecting made it again.
	if subs := e.sim.WebhookSubscriptions(); len(subs) != nsubs || !strings.HasSuffix(subs[0].CallbackURL, "/webhooks/shopify/"+ch.ID) {
		t.Fatalf("webhook subscriptions after reconnecting: %+v", subs)
	}

	// Compliance webhooks are acknowledged.
	for _, topic := range []string{"customers/data_request", "customers/redact", "shop/redact"} {
		if st, err := e.sim.SendAppWebhook(context.Background(), nil, e.api.URL+"/oauth/shopify/events", topic, testShop, map[string]any{"shop_domain": testShop}); err != nil || st != http.StatusOK {
			t.Errorf("%s: %d %v", topic, st, err)
		}
	}

	// Delete removes schedules and keeps nothing scheduled.
	if code, _ := e.do("DELETE", "/v1/channels/"+ch.ID, acctA, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if _, ok := e.schedule(acctA, ch.ID, catalog.ImportOrders); ok {
		t.Fatal("schedule kept after delete")
	}
}

// TestConnectRefusesForgedReplayedExpiredState: a callback whose state is
// unknown, used, expired or whose signature is wrong creates nothing.
func TestConnectRefusesForgedReplayedExpiredState(t *testing.T) {
	e := newConnectEnv(t)
	tamper := setQuery
	cases := []struct {
		name string
		cb   func() string
	}{
		{"unknown state", func() string {
			return tamper(e.consent(e.start(acctA, shopifyConnect)), "state", "forged-state")
		}},
		{"wrong hmac", func() string {
			return tamper(e.consent(e.start(acctA, shopifyConnect)), "hmac", strings.Repeat("ab", 32))
		}},
		{"another shop", func() string {
			// Signed by the cart, but for a shop the merchant did not ask for.
			cb := e.consent(e.start(acctA, shopifyConnect))
			u, _ := url.Parse(cb)
			q := u.Query()
			q.Set("shop", "other.myshopify.com")
			q.Set("hmac", e.sim.SignQuery(q))
			u.RawQuery = q.Encode()
			return u.String()
		}},
		{"expired", func() string {
			cb := e.consent(e.start(acctA, shopifyConnect))
			e.clock.Advance(connect.StateTTL + time.Second)
			return cb
		}},
		{"malformed query", func() string { return e.api.URL + "/oauth/shopify/callback?state=%zz" }},
		{"no query", func() string { return e.api.URL + "/oauth/shopify/callback" }},
		{"unknown cart", func() string { return e.api.URL + "/oauth/nope/callback?state=x" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if code, loc := e.callback(c.cb()); code != http.StatusBadRequest {
				t.Fatalf("status %d (location %q), want 400", code, loc)
			}
			if chs := e.channels(acctA); len(chs) != 0 {
				t.Fatalf("channels created: %+v", chs)
			}
		})
	}
}

func TestConnectRefusesBadInput(t *testing.T) {
	e := newConnectEnv(t)
	for _, body := range []map[string]string{
		{"cart": "shopify", "name": "S", "shop_domain": "evil.example.com"},
		{"cart": "shopify", "name": "", "shop_domain": testShop},
		{"cart": "shopify", "name": "S"},
		{"cart": "shopify", "name": "S", "shop_domain": testShop, "extra": "x"},
		{"cart": "nope", "name": "S", "shop_domain": testShop},
		{"cart": "etsy", "name": "S"},
	} {
		if code, b := e.do("POST", "/v1/channels/connect", acctA, body); code != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d %s", body, code, b)
		}
	}
	if code, _ := e.do("POST", "/v1/channels/connect", "", shopifyConnect); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d", code)
	}
}

var wooConnect = map[string]string{"cart": "woocommerce", "name": "My Woo", "store_url": "https://Shop.Example.com/"}

// wooConnect connects a WooCommerce store in e.browser: the store posts
// the keys to the callback, then the browser returns and confirms.
func (e *connectEnv) wooConnect(account string, body map[string]string) {
	e.t.Helper()
	if code, loc := e.callback(e.consent(e.start(account, body))); code != http.StatusSeeOther {
		e.t.Fatalf("woocommerce return: %d %q", code, loc)
	}
}

// TestConnectWooCommerce: the store's app authentication endpoint posts
// the keys it generated to our callback, server to server, which holds
// them; the browser that started the authorization returns to the page
// and the channel is made then.
func TestConnectWooCommerce(t *testing.T) {
	e := newConnectEnv(t)
	ret := e.consent(e.start(acctA, wooConnect))
	if !strings.HasPrefix(ret, e.api.URL+"/oauth/woocommerce/return?") || !strings.Contains(ret, "success=1") {
		t.Fatalf("the store sent the browser to %s", ret)
	}
	// The post alone, which carries no browser, made no channel.
	if chs := e.channels(acctA); len(chs) != 0 {
		t.Fatalf("channels before the browser returned: %+v", chs)
	}
	// The browser comes back to the page with the channel selected.
	code, loc := e.callback(ret)
	chs := e.channels(acctA)
	if len(chs) != 1 || chs[0].Status != "active" || chs[0].Type != "woocommerce" || chs[0].Name != "My Woo" {
		t.Fatalf("channels %+v", chs)
	}
	if code != http.StatusSeeOther || loc != "/#channel="+chs[0].ID {
		t.Fatalf("return: %d %q", code, loc)
	}
	// Reloading the return selects the channel again and makes no other.
	if code, loc := e.callback(ret); code != http.StatusSeeOther || loc != "/#channel="+chs[0].ID || len(e.channels(acctA)) != 1 {
		t.Fatalf("reloaded return: %d %q", code, loc)
	}
	ch := chs[0]
	code, b := e.do("PUT", "/v1/sync", acctA, map[string]any{"tasks": []change{{ch.ID, catalog.ImportOrders, true}, {ch.ID, catalog.InstasyncOrders, true}}})
	if code != http.StatusOK {
		t.Fatalf("tick: %d %s", code, b)
	}

	// A post with a state we never issued, or one already used, creates
	// nothing.
	for _, body := range []string{
		`{"key_id":9,"user_id":"forged","consumer_key":"ck_x","consumer_secret":"cs_x","key_permissions":"read_write"}`,
		`{"user_id":1}`, `not json`,
	} {
		resp, err := http.Post(e.api.URL+"/oauth/woocommerce/callback", "application/json", strings.NewReader(body))
		if err != nil || resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("forged keys %s: %v %v", body, resp, err)
		}
	}
	if n := len(e.channels(acctA)); n != 1 {
		t.Fatalf("%d channels after forged posts", n)
	}

	// The admin deletes the keys; the channel is re-authorized with new ones.
	e.woo.RevokeKeys()
	if err := e.app.Settings.NeedsReauth(context.Background(), acctA, ch.ID, ""); err != nil {
		t.Fatal(err)
	}
	if code, loc := e.callback(e.consent(e.reauthorizeURL(ch.ID))); code != http.StatusSeeOther || loc != "/#channel="+ch.ID {
		t.Fatalf("re-authorization return: %d %q", code, loc)
	}
	chs = e.channels(acctA)
	if len(chs) != 1 || chs[0].Status != "active" {
		t.Fatalf("after re-authorization: %+v", chs)
	}
	if s, ok := e.schedule(acctA, ch.ID, catalog.ImportOrders); !ok || !s.Enabled {
		t.Fatalf("schedule not resumed: %+v %v", s, ok)
	}
}

func TestConnectWooCommerceExpiredState(t *testing.T) {
	e := newConnectEnv(t)
	u := e.start(acctA, wooConnect)
	e.clock.Advance(connect.StateTTL)
	resp, err := e.browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	form := url.Values{"decision": {"allow"}}
	pu, _ := url.Parse(u)
	for k, v := range pu.Query() {
		form.Set(k, v[0])
	}
	resp, err = e.browser.PostForm(pu.Scheme+"://"+pu.Host+pu.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The store reports the app refused the keys (and deletes them).
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("store's answer after an expired state: %d", resp.StatusCode)
	}
	if n := len(e.channels(acctA)); n != 0 {
		t.Fatalf("%d channels after an expired state", n)
	}
}

// TestConnectSameStoreTwice: connecting a store the account already has a
// channel for re-authorizes that channel, keeping its settings, instead
// of adding a second channel that would import every order again. Another
// account connecting the same store gets its own channel.
func TestConnectSameStoreTwice(t *testing.T) {
	e := newConnectEnv(t)
	e.wooConnect(acctA, wooConnect)
	first := e.channels(acctA)
	if len(first) != 1 {
		t.Fatalf("channels %+v", first)
	}
	if code, b := e.do("PUT", "/v1/sync", acctA, map[string]any{"tasks": []change{{first[0].ID, catalog.ImportOrders, true}}}); code != http.StatusOK {
		t.Fatalf("tick: %d %s", code, b)
	}
	again := map[string]string{"cart": "woocommerce", "name": "Woo again", "store_url": "https://shop.example.com"}
	e.wooConnect(acctA, again)
	chs := e.channels(acctA)
	if len(chs) != 1 || chs[0].ID != first[0].ID || chs[0].Status != "active" {
		t.Fatalf("after connecting the same store again: %+v; want the one channel %s", chs, first[0].ID)
	}
	if s, ok := e.schedule(acctA, first[0].ID, catalog.ImportOrders); !ok || !s.Enabled {
		t.Fatalf("the channel's schedule after connecting again: %+v %v", s, ok)
	}
	e.wooConnect(acctB, wooConnect)
	if chs := e.channels(acctB); len(chs) != 1 || chs[0].ID == first[0].ID {
		t.Fatalf("the other account's channels: %+v", chs)
	}
}

// TestVerifyRecordsTheCartsAnswer: asking the cart now records what a run
// would: nothing for accepted credentials or a cart that cannot answer,
// needs_reauth for refused ones, disconnected for an authorization the
// cart no longer holds.
func TestVerifyRecordsTheCartsAnswer(t *testing.T) {
	e := newConnectEnv(t)
	ctx := context.Background()
	e.wooConnect(acctA, wooConnect)
	if code, _ := e.callback(e.consent(e.start(acctA, shopifyConnect))); code != http.StatusSeeOther {
		t.Fatalf("shopify callback: %d", code)
	}
	ids := map[string]string{}
	for _, ch := range e.channels(acctA) {
		ids[ch.Type] = ch.ID
	}
	verify := func(cart string) (string, error) {
		t.Helper()
		ch, err := e.app.API.Connect.Verify(ctx, acctA, ids[cart])
		if err != nil {
			return "", err
		}
		return string(ch.Status), nil
	}
	if got, err := verify("woocommerce"); err != nil || got != "active" {
		t.Fatalf("accepted: %q %v", got, err)
	}
	e.woo.SetFaults(woocommercesim.Faults{ServerErrors: 100})
	if got, err := verify("woocommerce"); err == nil {
		t.Fatalf("a cart that cannot answer: %q, want an error", got)
	}
	e.woo.SetFaults(woocommercesim.Faults{})
	if chs := e.channels(acctA); chs[0].Status != "active" || chs[1].Status != "active" {
		t.Fatalf("after an unanswered check: %+v", chs)
	}
	e.sim.RevokeTokens()
	if got, err := verify("shopify"); err != nil || got != "needs_reauth" {
		t.Fatalf("refused token: %q %v; want needs_reauth", got, err)
	}
	e.woo.RevokeKeys()
	if got, err := verify("woocommerce"); err != nil || got != "disconnected" {
		t.Fatalf("revoked keys: %q %v; want disconnected", got, err)
	}
	if _, err := e.app.API.Connect.Verify(ctx, acctB, ids["woocommerce"]); err == nil {
		t.Fatal("another account's channel was verified")
	}
}

// TestConnectReturnRefusesGarbage: the page a cart sends the browser back
// to after completing server to server selects only the channel its own
// completed state names; anything else is a plain page that changes
// nothing.
func TestConnectReturnRefusesGarbage(t *testing.T) {
	e := newConnectEnv(t)
	ret := e.consent(e.start(acctA, wooConnect))
	u, _ := url.Parse(ret)
	state := u.Query().Get("user_id")
	if code, _ := e.callback(ret); code != http.StatusSeeOther {
		t.Fatalf("return: %d", code)
	}
	before := len(e.channels(acctA))
	for _, tt := range []struct {
		name, path string
		status     int
	}{
		{"declined", "/oauth/woocommerce/return?success=0&user_id=" + url.QueryEscape(state), http.StatusOK},
		{"forged state", "/oauth/woocommerce/return?success=1&user_id=forged", http.StatusBadRequest},
		{"no state", "/oauth/woocommerce/return?success=1", http.StatusBadRequest},
		{"another cart", "/oauth/shopify/return?success=1&user_id=" + url.QueryEscape(state), http.StatusBadRequest},
		{"long state", "/oauth/woocommerce/return?user_id=" + strings.Repeat("a", 200), http.StatusBadRequest},
		{"bad query", "/oauth/woocommerce/return?user_id=%zz", http.StatusBadRequest},
		{"unknown cart", "/oauth/nosuchcart/return?user_id=" + url.QueryEscape(state), http.StatusBadRequest},
	} {
		code, loc := e.callback(e.api.URL + tt.path)
		if code != tt.status || loc != "" {
			t.Errorf("%s: %d %q; want %d and no redirect", tt.name, code, loc, tt.status)
		}
	}
	if n := len(e.channels(acctA)); n != before {
		t.Fatalf("%d channels, want %d", n, before)
	}
	// After the state's time the link no longer selects the channel.
	e.clock.Advance(connect.StateTTL + time.Second)
	if code, _ := e.callback(ret); code != http.StatusBadRequest {
		t.Errorf("an expired return: %d", code)
	}
}

// Removing a channel whose cart cannot be reached to remove its webhook
// subscriptions answers 503 with the reason and keeps the channel (its
// credentials are how the subscription gets removed); once the cart
// answers, the removal goes through and nothing is left at the cart.
func TestDeleteChannelWaitsForItsCart(t *testing.T) {
	e := newConnectEnv(t)
	ch := e.connectFlow(shopifyConnect, e.sim.RevokeTokens)
	if code, b := e.do("PUT", "/v1/sync", acctA, map[string]any{"tasks": []change{{ch.ID, catalog.InstasyncOrders, true}}}); code != http.StatusOK {
		t.Fatalf("tick instasync: %d %s", code, b)
	}
	if n := len(e.sim.WebhookSubscriptions()); n == 0 {
		t.Fatal("no webhook subscription to remove")
	}
	e.sim.SetFaults(shopifysim.Faults{ServerErrors: 1000})
	code, b := e.do("DELETE", "/v1/channels/"+ch.ID, acctA, nil)
	if code != http.StatusServiceUnavailable || !strings.Contains(string(b), "cart_unreachable") || !strings.Contains(string(b), "try again") {
		t.Fatalf("delete while the cart is down: %d %s", code, b)
	}
	if chs := e.channels(acctA); len(chs) != 1 || chs[0].ID != ch.ID {
		t.Fatalf("the channel was not kept: %+v", chs)
	}
	e.sim.SetFaults(shopifysim.Faults{})
	if code, b := e.do("DELETE", "/v1/channels/"+ch.ID, acctA, nil); code != http.StatusNoContent {
		t.Fatalf("delete once the cart answers: %d %s", code, b)
	}
	if subs := e.sim.WebhookSubscriptions(); len(subs) != 0 {
		t.Fatalf("subscriptions left at the cart: %+v", subs)
	}
}
