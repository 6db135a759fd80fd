package etsy

import (
	"net/url"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// TestCodeChallenge is RFC 7636 Appendix B's S256 example.
func TestCodeChallenge(t *testing.T) {
	if got := CodeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("challenge %q", got)
	}
}

func TestCodeVerifier(t *testing.T) {
	v := CodeVerifier("secret", "state-1")
	if len(v) != 43 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		t.Fatalf("verifier %q is not 43 unreserved characters", v)
	}
	if v == CodeVerifier("secret", "state-2") || v == CodeVerifier("other", "state-1") {
		t.Fatal("verifier does not depend on the state and the secret")
	}
}

func TestAuthorizeURL(t *testing.T) {
	req := cart.ConnectRequest{State: "st", CallbackURL: "https://autosync.example/oauth/etsy/callback", App: cart.App{ClientID: "key", ClientSecret: "sec"}}
	s, err := authorizeURL(req)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(s)
	if u.Scheme+"://"+u.Host+u.Path != AuthorizeURL {
		t.Fatalf("authorize at %s", s)
	}
	q := u.Query()
	if q.Get("code_challenge") != CodeChallenge(CodeVerifier("sec", "st")) || q.Get("code_challenge_method") != "S256" ||
		q.Get("client_id") != "key" || q.Get("state") != "st" || q.Get("scope") != Scopes || q.Get("redirect_uri") != req.CallbackURL {
		t.Fatalf("query %v", q)
	}
	req.App.ClientID = ""
	if _, err := authorizeURL(req); err == nil {
		t.Fatal("an authorize URL without the app's keystring")
	}
}
