package httpapi_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/connect"
)

// TestConnectBoundToTheStartingBrowser is the login-CSRF (OAuth state
// fixation) case: account A starts connecting a store and sends the
// authorize URL to the store's owner, who allows it in their own browser.
// The callback must not complete in any browser but the one that started
// the authorization (its state cookie): another browser, or one holding
// another authorization's cookie, is refused, creates nothing in either
// account and leaves the state for the starting browser, where the same
// callback then completes.
func TestConnectBoundToTheStartingBrowser(t *testing.T) {
	carts := []struct {
		body  map[string]string
		setup func(e *connectEnv)
		// stateless: the callback carries no state of Autosync's
		// (BigCommerce), so a cookie is the state and cannot be another's.
		stateless bool
	}{
		{shopifyConnect, func(*connectEnv) {}, false},
		{bcConnect, func(*connectEnv) {}, true},
		{etsyConnect, func(e *connectEnv) { e.withEtsy() }, false},
		{squarespaceConnect, func(e *connectEnv) { e.withSquarespace() }, false},
		{amazonConnect, func(e *connectEnv) { e.withAmazon() }, false},
	}
	for _, c := range carts {
		t.Run(c.body["cart"], func(t *testing.T) {
			e := newConnectEnv(t)
			c.setup(e)
			starter := e.jarBrowser()
			authURL, _ := e.startIn(starter, acctA, "/v1/channels/connect", c.body)
			cb := e.consentIn(starter, authURL)
			if !strings.HasPrefix(cb, e.api.URL+"/oauth/"+c.body["cart"]+"/callback?") {
				t.Fatalf("the cart sent the browser to %s", cb)
			}
			other := e.jarBrowser() // holds another authorization's cookie
			e.startIn(other, acctB, "/v1/channels/connect", c.body)
			refusals := []struct {
				name    string
				browser *http.Client
			}{
				{"a browser without the cookie", e.jarBrowser()},
				{"no cookies at all", &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}},
			}
			if !c.stateless {
				refusals = append(refusals, struct {
					name    string
					browser *http.Client
				}{"another authorization's cookie", other})
			}
			for _, r := range refusals {
				code, loc, body := get(t, r.browser, cb)
				if code != http.StatusBadRequest || loc != "" || !strings.Contains(body, "in this browser") {
					t.Fatalf("%s: %d %q %s; want 400 asking to start in this browser", r.name, code, loc, body)
				}
				if a, b := e.channels(acctA), e.channels(acctB); len(a)+len(b) != 0 {
					t.Fatalf("%s created channels: %+v %+v", r.name, a, b)
				}
			}
			// Made-up callbacks the starting browser is led to (a link on
			// another site) spend nothing either: no query (BigCommerce's
			// cookie alone names the state), a code the cart never issued.
			for _, bad := range []string{
				e.api.URL + "/oauth/" + c.body["cart"] + "/callback",
				setQuery(setQuery(cb, "code", "made-up"), "spapi_oauth_code", "made-up"),
			} {
				if code, _, _ := get(t, starter, bad); code != http.StatusBadRequest {
					t.Fatalf("made-up callback %s: %d", bad, code)
				}
			}
			// The refusals left the state: the starting browser completes.
			code, loc, _ := get(t, starter, cb)
			chs := e.channels(acctA)
			if code != http.StatusSeeOther || len(chs) != 1 || loc != "/#channel="+chs[0].ID {
				t.Fatalf("the starting browser: %d %q; channels %+v", code, loc, chs)
			}
			if n := len(e.channels(acctB)); n != 0 {
				t.Fatalf("%d channels in the other account", n)
			}

			// Re-authorizing is bound the same way.
			authURL, _ = e.startIn(starter, acctA, "/v1/channels/"+chs[0].ID+"/reauthorize", nil)
			cb = e.consentIn(starter, authURL)
			if code, _, body := get(t, e.jarBrowser(), cb); code != http.StatusBadRequest || !strings.Contains(body, "in this browser") {
				t.Fatalf("re-authorization in another browser: %d %s", code, body)
			}
			if code, loc, _ := get(t, starter, cb); code != http.StatusSeeOther || loc != "/#channel="+chs[0].ID {
				t.Fatalf("re-authorization in the starting browser: %d %q", code, loc)
			}
		})
	}
}

// TestConnectWooCommerceBoundToTheStartingBrowser: WooCommerce posts the
// keys server to server, with no browser; they are held, and only the
// browser that started the authorization, returning with its state
// cookie, makes the channel. A return in another browser, or in one
// holding another authorization's cookie, is refused and creates nothing;
// a grant no browser confirmed within the state's life is never made.
func TestConnectWooCommerceBoundToTheStartingBrowser(t *testing.T) {
	cases := []struct {
		name string
		// returnIn is the browser arriving at the return (nil: the starter).
		returnIn func(e *connectEnv) *http.Client
		expire   bool
		refused  string // what the page says; "" when the channel is made
	}{
		{"the starting browser", nil, false, ""},
		{"a browser without the cookie", func(e *connectEnv) *http.Client { return e.jarBrowser() }, false, "in this browser"},
		{"another authorization's cookie", func(e *connectEnv) *http.Client {
			other := e.jarBrowser()
			e.startIn(other, acctB, "/v1/channels/connect", wooConnect)
			return other
		}, false, "in this browser"},
		{"the starting browser after the state's life", nil, true, "did not complete"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newConnectEnv(t)
			starter := e.jarBrowser()
			authURL, _ := e.startIn(starter, acctA, "/v1/channels/connect", wooConnect)
			ret := e.consentIn(starter, authURL) // the store posted the keys
			if !strings.HasPrefix(ret, e.api.URL+"/oauth/woocommerce/return?") {
				t.Fatalf("the store sent the browser to %s", ret)
			}
			br := starter
			if c.returnIn != nil {
				br = c.returnIn(e)
			}
			if c.expire {
				e.clock.Advance(connect.StateTTL + time.Second)
			}
			code, loc, body := get(t, br, ret)
			a, b := e.channels(acctA), e.channels(acctB)
			if c.refused != "" {
				if code != http.StatusBadRequest || loc != "" || !strings.Contains(body, c.refused) || len(a)+len(b) != 0 {
					t.Fatalf("%d %q %s; channels %+v %+v; want 400 saying %q and none", code, loc, body, a, b, c.refused)
				}
				return
			}
			if code != http.StatusSeeOther || len(a) != 1 || len(b) != 0 || loc != "/#channel="+a[0].ID {
				t.Fatalf("%d %q; channels %+v %+v", code, loc, a, b)
			}
		})
	}
	// A refused return leaves the grant for the starting browser.
	e := newConnectEnv(t)
	starter := e.jarBrowser()
	authURL, _ := e.startIn(starter, acctA, "/v1/channels/connect", wooConnect)
	ret := e.consentIn(starter, authURL)
	if code, _, _ := get(t, e.jarBrowser(), ret); code != http.StatusBadRequest {
		t.Fatalf("another browser: %d", code)
	}
	if code, loc, _ := get(t, starter, ret); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/#channel=") {
		t.Fatalf("the starting browser after a refusal: %d %q", code, loc)
	}
}

// TestConnectWooCommercePostCannotSpendState: WooCommerce signs nothing,
// so anyone who learns a state can post made-up keys naming it. They are
// refused before the state is consumed: the store's own post still
// completes the starter's authorization.
func TestConnectWooCommercePostCannotSpendState(t *testing.T) {
	e := newConnectEnv(t)
	authURL := e.start(acctA, wooConnect)
	u, _ := url.Parse(authURL)
	state := u.Query().Get("user_id")
	for _, body := range []string{
		`{"user_id":` + strconv.Quote(state) + `,"consumer_key":"ck_madeup","consumer_secret":"cs_madeup","key_permissions":"read_write"}`,
		`{"user_id":` + strconv.Quote(state) + `,"consumer_key":"ck_madeup","consumer_secret":"cs_madeup","key_permissions":"read"}`,
		`{"user_id":` + strconv.Quote(state) + `}`,
	} {
		resp, err := http.Post(e.api.URL+"/oauth/woocommerce/callback", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("made-up keys %s: %d", body, resp.StatusCode)
		}
	}
	if code, loc := e.callback(e.consent(authURL)); code != http.StatusSeeOther || len(e.channels(acctA)) != 1 {
		t.Fatalf("the store's own post after made-up ones: %d %q", code, loc)
	}
}

// TestConnectWooCommerceConfirmOnce: two returns of one held grant at
// once (a double click) make one channel.
func TestConnectWooCommerceConfirmOnce(t *testing.T) {
	e := newConnectEnv(t)
	ret := e.consent(e.start(acctA, wooConnect))
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.browser.Get(ret)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	if n := len(e.channels(acctA)); n != 1 {
		t.Fatalf("%d channels from one grant (answers %v)", n, codes)
	}
}
