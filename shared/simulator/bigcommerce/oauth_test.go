package bigcommercesim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestInstallGrant: the install page grants a code for the app's client id
// only; the code is exchanged once, with the app's secret, for a token the
// store's API accepts; removing the app revokes it and calls the uninstall
// callback with a payload signed with the secret.
func TestInstallGrant(t *testing.T) {
	s := New(Options{ClientID: "cid", ClientSecret: "csecret", StoreHash: "st1"})
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()
	nofollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cb := "https://app.example/oauth/bigcommerce/callback"

	if resp, err := http.Get(srv.URL + "/app/other/install?redirect_uri=" + url.QueryEscape(cb)); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("install of another app: %v %v", resp, err)
	}
	resp, err := nofollow.PostForm(srv.URL+"/app/cid/install", url.Values{"decision": {"allow"}, "redirect_uri": {cb}})
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("allow: %v %v", resp, err)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if !strings.HasPrefix(loc.String(), cb+"?") || q.Get("context") != "stores/st1" || q.Get("scope") != Scope || q.Get("code") == "" {
		t.Fatalf("callback %s", loc)
	}
	exchange := func(secret, code string) (int, map[string]any) {
		body, _ := json.Marshal(map[string]string{"client_id": "cid", "client_secret": secret, "code": code, "scope": Scope,
			"grant_type": "authorization_code", "redirect_uri": cb, "context": "stores/st1"})
		resp, err := http.Post(srv.URL+"/oauth2/token", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, _ := exchange("wrong", q.Get("code")); code != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", code)
	}
	code, tok := exchange("csecret", q.Get("code"))
	if code != http.StatusOK || tok["context"] != "stores/st1" || tok["access_token"] == "" {
		t.Fatalf("exchange: %d %v", code, tok)
	}
	if code, _ := exchange("csecret", q.Get("code")); code != http.StatusBadRequest {
		t.Fatalf("code reused: %d", code)
	}
	apiGet := func() int {
		req, _ := http.NewRequest("GET", srv.URL+"/stores/st1/v2/order_statuses", nil)
		req.Header.Set("X-Auth-Token", tok["access_token"].(string))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := apiGet(); st != http.StatusOK {
		t.Fatalf("API with the issued token: %d", st)
	}

	var got url.Values
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/events/uninstall" {
			got = r.URL.Query()
		}
	}))
	defer app.Close()
	if st, err := s.Uninstall(context.Background(), nil, app.URL+"/events", "st1"); err != nil || st != http.StatusOK {
		t.Fatalf("uninstall: %d %v", st, err)
	}
	if st := apiGet(); st != http.StatusUnauthorized {
		t.Fatalf("API after uninstall: %d", st)
	}
	var claims jwt.RegisteredClaims
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience("cid"), jwt.WithIssuer("bc"), jwt.WithExpirationRequired()).
		ParseWithClaims(got.Get("signed_payload_jwt"), &claims, func(*jwt.Token) (any, error) { return []byte("csecret"), nil })
	if err != nil || claims.Subject != "stores/st1" || claims.ExpiresAt.Before(time.Now()) {
		t.Fatalf("uninstall payload: %v %+v", err, claims)
	}
}
