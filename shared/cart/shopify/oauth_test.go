package shopify

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// TestCallbackHMAC: the examples published with Shopify's OAuth
// verification (query, secret "hush", hmac), as Shopify client libraries
// document them.
func TestCallbackHMAC(t *testing.T) {
	for _, c := range []struct{ query, hmac string }{
		{"code=0907a61c0c8d55e99db179b68161bc00&hmac=700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173",
			"700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"},
		{"code=0907a61c0c8d55e99db179b68161bc00&hmac=4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20&shop=some-shop.myshopify.com&timestamp=1337178173",
			"4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20"},
	} {
		q, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		if got := CallbackHMAC(q, "hush"); got != c.hmac {
			t.Errorf("%s: hmac %s, want %s", c.query, got, c.hmac)
		}
		if got := CallbackHMAC(q, "other"); got == c.hmac {
			t.Error("another secret gives the same hmac")
		}
	}
}

func TestShopDomainField(t *testing.T) {
	check := connect.Fields[0].Check
	for in, want := range map[string]string{
		"my-shop.myshopify.com":           "my-shop.myshopify.com",
		" https://My-Shop.myshopify.com/": "my-shop.myshopify.com",
		"evil.example.com":                "",
		"my-shop.myshopify.com.evil.com":  "",
		"":                                "",
		"a/b.myshopify.com":               "",
	} {
		got, msg := check(in)
		if got != want || (want == "") != (msg != "") {
			t.Errorf("%q: %q %q, want %q", in, got, msg, want)
		}
	}
}

func TestAuthorizeURL(t *testing.T) {
	u, err := authorizeURL(cart.ConnectRequest{Fields: map[string]string{"shop_domain": "my-shop.myshopify.com"},
		State: "st", CallbackURL: "https://autosync.example/oauth/shopify/callback", App: cart.App{ClientID: "cid"}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := url.Parse(u)
	q := p.Query()
	if p.Host != "my-shop.myshopify.com" || p.Path != "/admin/oauth/authorize" || q.Get("client_id") != "cid" ||
		q.Get("state") != "st" || q.Get("redirect_uri") != "https://autosync.example/oauth/shopify/callback" ||
		q.Get("scope") != Scopes || q.Has("grant_options[]") {
		t.Fatalf("authorize URL %s", u)
	}
	if _, err := authorizeURL(cart.ConnectRequest{Fields: map[string]string{"shop_domain": "evil.com"}}); err == nil {
		t.Fatal("authorize URL for a shop outside myshopify.com")
	}
}

func TestNotice(t *testing.T) {
	app := cart.App{ClientSecret: "secret"}
	body := []byte(`{"id":1}`)
	sign := func(b []byte, key string) http.Header {
		h := http.Header{}
		h.Set("X-Shopify-Hmac-Sha256", b64(cart.HMACSHA256([]byte(key), b)))
		h.Set("X-Shopify-Shop-Domain", "my-shop.myshopify.com")
		return h
	}
	for topic, want := range map[string]cart.NoticeKind{
		"app/uninstalled": cart.NoticeUninstalled, "customers/data_request": cart.NoticeCompliance,
		"customers/redact": cart.NoticeCompliance, "shop/redact": cart.NoticeCompliance, "shop/update": cart.NoticeOther,
	} {
		h := sign(body, "secret")
		h.Set("X-Shopify-Topic", topic)
		n, err := notice(h, body, app)
		if err != nil || n.Kind != want || n.Store != "my-shop.myshopify.com" {
			t.Errorf("%s: %+v %v", topic, n, err)
		}
	}
	h := sign(body, "wrong")
	h.Set("X-Shopify-Topic", "app/uninstalled")
	if _, err := notice(h, body, app); err == nil {
		t.Error("a notice signed with another secret was accepted")
	}
	h = sign(body, "secret")
	h.Set("X-Shopify-Shop-Domain", "evil.example.com")
	if _, err := notice(h, body, app); err == nil || !strings.Contains(err.Error(), "evil") {
		t.Errorf("a notice for a shop outside myshopify.com: %v", err)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// FuzzExchangeCallback: whatever query a callback carries, only one
// signed with the app's secret for the shop asked for gets as far as the
// token exchange (which this target never reaches: no client is served).
func FuzzExchangeCallback(f *testing.F) {
	f.Add("code=abc&hmac=00&shop=my-shop.myshopify.com&state=s&timestamp=1")
	f.Add("hmac=zz&shop=other.myshopify.com")
	f.Add("")
	req := cart.ConnectRequest{Fields: map[string]string{"shop_domain": "my-shop.myshopify.com"}, App: cart.App{ClientID: "cid", ClientSecret: "hush", APIBase: "http://127.0.0.1:1"}}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		_, _, err = exchangeCode(t.Context(), cart.Callback{Method: http.MethodGet, Query: q}, req, nil)
		if err == nil {
			t.Fatalf("a callback was accepted without a token exchange: %q", raw)
		}
		if q.Get("hmac") != CallbackHMAC(q, "hush") && !errors.Is(err, cart.ErrCallback) {
			t.Fatalf("unsigned callback refused with %v, not ErrCallback", err)
		}
	})
}
