package devserver

import (
	"bytes"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
)

var consentInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// follow opens an authorize URL, allows on the cart's consent form and
// arrives at the callback, as a browser does; it returns the callback's
// status and Location.
func follow(t *testing.T, authorizeURL string) (int, string) {
	t.Helper()
	return followIn(t, &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, authorizeURL)
}

// browser keeps cookies and follows no redirects: an authorization
// completes only in the browser that started it (its state cookie).
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// followIn is follow in the browser br, with its cookies.
func followIn(t *testing.T, br *http.Client, authorizeURL string) (int, string) {
	t.Helper()
	resp, err := br.Get(authorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	_, _ = page.ReadFrom(resp.Body)
	resp.Body.Close()
	form := url.Values{"decision": {"allow"}}
	for _, m := range consentInput.FindAllStringSubmatch(page.String(), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	u, _ := url.Parse(authorizeURL)
	resp, err = br.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent: %d (page %s)", resp.StatusCode, page.String())
	}
	resp, err = br.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

type devChannel struct {
	ID, Type, Name, Status string
	StatusReason           string `json:"status_reason"`
}

func (c client) channel(id string) devChannel {
	c.t.Helper()
	var out struct{ Channels []devChannel }
	c.do("GET", "/v1/channels", nil, &out)
	for _, ch := range out.Channels {
		if ch.ID == id {
			return ch
		}
	}
	return devChannel{}
}

// TestConnectShopifyInMakeDev: in make dev a merchant connects a shop
// through the simulator's consent page, the simulator's uninstall notice
// (POST /dev/channels/{id}/uninstall) disconnects it, and re-authorizing
// brings it back.
func TestConnectShopifyInMakeDev(t *testing.T) {
	c, _ := startDemo(t, 1)
	br := browser()
	code, loc := followIn(t, br, startInBrowser(t, c, br, "/v1/channels/connect", map[string]string{"cart": "shopify", "name": "Connected", "shop_domain": "connected.myshopify.com"}))
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/#channel=ch_") {
		t.Fatalf("callback: %d %q", code, loc)
	}
	id := strings.TrimPrefix(loc, "/#channel=")
	if ch := c.channel(id); ch.Status != "active" || ch.Name != "Connected" {
		t.Fatalf("connected channel %+v", ch)
	}
	var m modal
	c.do("PUT", "/v1/sync", map[string]any{"tasks": []map[string]any{{"channel_id": id, "task": catalog.ImportOrders, "enabled": true}}}, &m)
	if !m.task(id, catalog.ImportOrders).Enabled {
		t.Fatal("import orders not enabled on the connected channel")
	}

	if code := c.do("POST", "/dev/channels/"+id+"/uninstall", nil, nil); code != http.StatusOK {
		t.Fatalf("uninstall: %d", code)
	}
	if ch := c.channel(id); ch.Status != "disconnected" {
		t.Fatalf("after uninstall: %+v", ch)
	}
	if code, _ := followIn(t, br, startInBrowser(t, c, br, "/v1/channels/"+id+"/reauthorize", nil)); code != http.StatusSeeOther {
		t.Fatalf("re-authorization callback: %d", code)
	}
	if ch := c.channel(id); ch.Status != "active" {
		t.Fatalf("after re-authorization: %+v", ch)
	}
	c.do("GET", "/v1/sync", nil, &m)
	if ts := m.task(id, catalog.ImportOrders); !ts.Enabled || ts.NextRunAt == nil {
		t.Fatalf("import orders after re-authorization: %+v", ts)
	}
}

// TestDemoShopifyUninstall: the demo account's own Shopify channel is
// disconnected by its simulator's uninstall notice too.
func TestDemoShopifyUninstall(t *testing.T) {
	c, _ := startDemo(t, 1)
	var out struct{ Channels []devChannel }
	c.do("GET", "/v1/channels", nil, &out)
	var id string
	for _, ch := range out.Channels {
		if ch.Type == "shopify" {
			id = ch.ID
		}
	}
	if code := c.do("POST", "/dev/channels/"+id+"/uninstall", nil, nil); code != http.StatusOK {
		t.Fatalf("uninstall: %d", code)
	}
	if ch := c.channel(id); ch.Status != "disconnected" {
		t.Fatalf("after uninstall: %+v", ch)
	}
}
