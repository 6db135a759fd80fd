package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/connect"
)

const (
	bcClientID     = "bc_test_client"
	bcClientSecret = "bc_test_app_secret"
	bcStore        = "abc123"
)

// jarBrowser is a browser with cookies that follows no redirects.
func (e *connectEnv) jarBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// startIn starts a connect (or a re-authorization) from the page in browser
// and returns the authorize URL and the response's cookies.
func (e *connectEnv) startIn(browser *http.Client, account, path string, body any) (string, []*http.Cookie) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.api.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	tok, err := e.tokens.Issue(account, auth.ScopeMerchant, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := browser.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		e.t.Fatalf("%s: %d", path, resp.StatusCode)
	}
	return out.AuthorizeURL, resp.Cookies()
}

// get is browser arriving at u; it returns the status, Location and body.
func get(t *testing.T, browser *http.Client, u string) (int, string, string) {
	t.Helper()
	resp, err := browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), b.String()
}

var bcConnect = map[string]string{"cart": "bigcommerce", "name": "My BC"}

// TestConnectBigCommerce: the app install tied to the account by the state
// cookie, the store's channel active; the callback without the cookie, with
// a used or forged one, refused; load and uninstall callbacks verified;
// uninstall disconnects and re-authorizing restores.
func TestConnectBigCommerce(t *testing.T) {
	e := newConnectEnv(t)
	e.browser = e.jarBrowser()
	authURL, cks := e.startIn(e.browser, acctA, "/v1/channels/connect", bcConnect)
	if !strings.HasPrefix(authURL, e.bcSrv.URL+"/app/"+bcClientID+"/install") {
		t.Fatalf("authorize URL %s", authURL)
	}
	if len(cks) != 1 {
		t.Fatalf("cookies %+v", cks)
	}
	ck := cks[0]
	// httptest serves http://127.0.0.1: the plain name, not Secure.
	if ck.Name != "autosync_connect" || ck.Path != "/oauth/bigcommerce" || ck.MaxAge != 600 || !ck.HttpOnly ||
		ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Value == "" {
		t.Fatalf("state cookie %+v", ck)
	}
	cb := e.consent(authURL)
	u, _ := url.Parse(cb)
	if !strings.HasPrefix(cb, e.api.URL+"/oauth/bigcommerce/callback?") || u.Query().Get("context") != "stores/"+bcStore || u.Query().Get("code") == "" {
		t.Fatalf("the cart sent the browser to %s", cb)
	}
	// Another browser (no cookie) with the same callback gets the page
	// saying where to start, and nothing is created.
	if code, _, body := get(t, e.jarBrowser(), cb); code != http.StatusBadRequest || !strings.Contains(body, "Add channel") {
		t.Fatalf("callback without the cookie: %d %s", code, body)
	}
	code, loc, _ := get(t, e.browser, cb)
	chs := e.channels(acctA)
	if code != http.StatusSeeOther || len(chs) != 1 || loc != "/#channel="+chs[0].ID {
		t.Fatalf("callback: %d %q; channels %+v", code, loc, chs)
	}
	ch := chs[0]
	if ch.Status != "active" || ch.Name != "My BC" || ch.Type != "bigcommerce" {
		t.Fatalf("channel %+v", ch)
	}
	if len(e.channels(acctB)) != 0 {
		t.Fatal("another account sees the channel")
	}
	// The cookie was cleared; replaying it by hand is refused (state used).
	if code, _, body := get(t, e.browser, cb); code != http.StatusBadRequest || !strings.Contains(body, "Add channel") {
		t.Fatalf("replay after the cookie was cleared: %d %s", code, body)
	}
	replay := e.jarBrowser()
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: ck.Value, Path: ck.Path}})
	if code, _, _ := get(t, replay, cb); code != http.StatusBadRequest {
		t.Fatalf("replayed state: %d", code)
	}
	if n := len(e.channels(acctA)); n != 1 {
		t.Fatalf("%d channels after replays", n)
	}
	code, b := e.do("PUT", "/v1/sync", acctA, map[string]any{"tasks": []change{{ch.ID, catalog.ImportOrders, true}}})
	if code != http.StatusOK {
		t.Fatalf("tick import_orders: %d %s", code, b)
	}

	// Load and uninstall callbacks: forged, expired and foreign payloads
	// are refused; the store's own load opens the page.
	events := e.api.URL + "/oauth/bigcommerce/events/"
	sign := func(secret string, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	now := time.Now()
	good := jwt.MapClaims{"aud": bcClientID, "iss": "bc", "sub": "stores/" + bcStore, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range good {
			c[kk] = vv
		}
		c[k] = v
		return c
	}
	for name, tok := range map[string]string{
		"wrong secret": sign("not-the-secret", good),
		"expired":      sign(bcClientSecret, with("exp", now.Add(-time.Hour).Unix())),
		"no expiry":    sign(bcClientSecret, with("exp", nil)),
		"another app":  sign(bcClientSecret, with("aud", "other_app")),
		"another iss":  sign(bcClientSecret, with("iss", "evil")),
		"bad sub":      sign(bcClientSecret, with("sub", "users/1")),
		"none alg":     strings.Split(sign(bcClientSecret, good), ".")[0] + "." + strings.Split(sign(bcClientSecret, good), ".")[1] + ".",
		"missing":      "",
	} {
		if code, _, _ := get(t, http.DefaultClient, events+"uninstall?signed_payload_jwt="+url.QueryEscape(tok)); code != http.StatusUnauthorized {
			t.Errorf("%s uninstall: status %d, want 401", name, code)
		}
	}
	if chs := e.channels(acctA); chs[0].Status != "active" {
		t.Fatalf("a refused uninstall changed the channel: %+v", chs[0])
	}
	if code, loc, _ := get(t, e.browser, events+"load?signed_payload_jwt="+url.QueryEscape(e.bc.SignedPayload(now))); code != http.StatusSeeOther || loc != "/" {
		t.Fatalf("load: %d %q", code, loc)
	}

	// The merchant uninstalls the app: the channel is disconnected.
	if st, err := e.bc.Uninstall(context.Background(), nil, e.api.URL+"/oauth/bigcommerce/events", bcStore); err != nil || st != http.StatusOK {
		t.Fatalf("uninstall: %d %v", st, err)
	}
	e.uninstalled(ch.ID)

	// Re-authorize: the install again, the same channel back with its schedule.
	authURL, cks = e.startIn(e.browser, acctA, "/v1/channels/"+ch.ID+"/reauthorize", nil)
	if len(cks) != 1 || cks[0].Name != "autosync_connect" {
		t.Fatalf("re-authorize cookies %+v", cks)
	}
	if code, loc, _ := get(t, e.browser, e.consent(authURL)); code != http.StatusSeeOther || loc != "/#channel="+ch.ID {
		t.Fatalf("re-authorization callback: %d %q", code, loc)
	}
	chs = e.channels(acctA)
	if len(chs) != 1 || chs[0].Status != "active" || chs[0].Name != "My BC" {
		t.Fatalf("after re-authorization: %+v", chs)
	}
	if s, ok := e.schedule(acctA, ch.ID, catalog.ImportOrders); !ok || !s.Enabled {
		t.Fatalf("schedule not resumed: %+v %v", s, ok)
	}
}

// TestConnectBigCommerceRefusesForgedExpiredState: a state cookie that is
// forged or expired creates nothing.
func TestConnectBigCommerceRefusesForgedExpiredState(t *testing.T) {
	for _, c := range []string{"forged", "expired"} {
		t.Run(c, func(t *testing.T) {
			e := newConnectEnv(t)
			e.browser = e.jarBrowser()
			authURL, _ := e.startIn(e.browser, acctA, "/v1/channels/connect", bcConnect)
			cb := e.consent(authURL)
			u, _ := url.Parse(cb)
			switch c {
			case "forged":
				e.browser.Jar.SetCookies(u, []*http.Cookie{{Name: "autosync_connect", Value: "forged-state", Path: "/oauth/bigcommerce"}})
			case "expired":
				e.clock.Advance(connect.StateTTL + time.Second)
			}
			if code, loc, _ := get(t, e.browser, cb); code != http.StatusBadRequest {
				t.Fatalf("status %d (location %q), want 400", code, loc)
			}
			if chs := e.channels(acctA); len(chs) != 0 {
				t.Fatalf("channels created: %+v", chs)
			}
		})
	}
}

// TestCartsListsConnectable: GET /v1/carts lists the carts Add channel
// offers (a Connect and, when needed, a configured app) with their fields.
func TestCartsListsConnectable(t *testing.T) {
	e := newConnectEnv(t)
	code, b := e.do("GET", "/v1/carts", acctA, nil)
	var out struct {
		Carts []struct {
			Cart, Label string
			Fields      []struct{ Name, Label string }
		}
	}
	if code != http.StatusOK || json.Unmarshal(b, &out) != nil {
		t.Fatalf("carts: %d %s", code, b)
	}
	got := map[string][]string{}
	for _, c := range out.Carts {
		var fs []string
		for _, f := range c.Fields {
			if f.Label == "" {
				t.Errorf("%s field %s has no label", c.Cart, f.Name)
			}
			fs = append(fs, f.Name)
		}
		got[c.Cart] = fs
		if c.Label == "" {
			t.Errorf("%s has no label", c.Cart)
		}
	}
	if len(got["shopify"]) != 1 || got["shopify"][0] != "shop_domain" || len(got["bigcommerce"]) != 0 {
		t.Fatalf("connectable carts %v", got)
	}
	if _, ok := got["woocommerce"]; !ok {
		t.Fatalf("woocommerce missing: %v", got)
	}
	if code, _ := e.do("GET", "/v1/carts", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("without a token: %d", code)
	}
}
