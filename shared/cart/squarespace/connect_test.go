package squarespace

import (
	"net/url"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

func TestAuthorizeURL(t *testing.T) {
	req := cart.ConnectRequest{State: "st", CallbackURL: "https://autosync.example/oauth/squarespace/callback", App: cart.App{ClientID: "cid", ClientSecret: "sec"}}
	s, err := authorizeURL(req)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(s)
	if u.Scheme+"://"+u.Host+u.Path != ProviderBase+authorizePath {
		t.Fatalf("authorize at %s", s)
	}
	q := u.Query()
	if q.Get("client_id") != "cid" || q.Get("state") != "st" || q.Get("scope") != Scopes || q.Get("access_type") != "offline" || q.Get("redirect_uri") != req.CallbackURL {
		t.Fatalf("query %v", q)
	}
	if strings.Contains(s, "sec") {
		t.Fatal("the client secret is in the authorize URL")
	}
}

func TestParseTokens(t *testing.T) {
	for _, c := range []struct {
		raw    string
		ok     bool
		expiry string
	}{
		{`{"token_type":"bearer","access_token":"a1","refresh_token":"r1","access_token_expires_at":1568998470.956}`, true, "2019-09-20T16:54:30Z"},
		{`{"access_token":"a1"}`, true, ""},
		{`{"access_token":""}`, false, ""},
		{`{"access_token":"a b"}`, false, ""},
		{`{"access_token":"a","refresh_token":"r\n"}`, false, ""},
		{`{"access_token":"a","access_token_expires_at":1e300}`, true, ""},
		{`[]`, false, ""},
	} {
		creds, ok := parseTokens([]byte(c.raw))
		if ok != c.ok || (ok && creds["token_expiry"] != c.expiry) {
			t.Errorf("%s: %v %v", c.raw, creds, ok)
		}
	}
}

func FuzzParseTokens(f *testing.F) {
	f.Add([]byte(`{"access_token":"a1","refresh_token":"r1","access_token_expires_at":1568998470.956}`))
	f.Add([]byte(`{"access_token_expires_at":-1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		creds, ok := parseTokens(raw)
		if ok && !printable(creds["api_key"]) {
			t.Fatalf("unusable token accepted: %q", creds["api_key"])
		}
	})
}
