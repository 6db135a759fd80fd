package identity

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const (
	domain   = "https://autosync-123456789012.auth.us-east-1.amazoncognito.com"
	client   = "1example23456789"
	redirect = "https://abc123.execute-api.us-east-1.amazonaws.com/"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSignInFromEnv(t *testing.T) {
	full := map[string]string{EnvDomainURL: domain, EnvClientID: client, EnvRedirectURL: redirect}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range full {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for _, c := range []struct {
		name    string
		env     map[string]string
		want    SignIn
		wantErr string
	}{
		{name: "all set", env: full, want: SignIn{domain, client, redirect}},
		{name: "none set: sign-in elsewhere", env: map[string]string{}, want: SignIn{}},
		{name: "client missing", env: with(EnvClientID, ""), wantErr: "AUTH_CLIENT_ID unset"},
		{name: "two missing, named in order", env: map[string]string{EnvClientID: client}, wantErr: "AUTH_DOMAIN_URL, AUTH_REDIRECT_URL unset"},
		{name: "http domain", env: with(EnvDomainURL, "http://x.auth.us-east-1.amazoncognito.com"), wantErr: "AUTH_DOMAIN_URL is not an https URL"},
		{name: "domain with a path", env: with(EnvDomainURL, domain+"/oauth2"), wantErr: "must be an origin"},
		{name: "domain with trailing slash", env: with(EnvDomainURL, domain+"/"), want: SignIn{domain + "/", client, redirect}},
		{name: "relative redirect", env: with(EnvRedirectURL, "/"), wantErr: "AUTH_REDIRECT_URL is not an https URL"},
		{name: "redirect with credentials", env: with(EnvRedirectURL, "https://u:p@example.com/"), wantErr: "AUTH_REDIRECT_URL is not an https URL"},
		{name: "client id smuggling a parameter", env: with(EnvClientID, "x&redirect_uri=https://evil"), wantErr: "not a client id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := SignInFromEnv(env(c.env))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v; want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

func TestAuthorizeURL(t *testing.T) {
	s := SignIn{domain + "/", client, redirect}
	raw, err := s.AuthorizeURL("st4te", "ch4llenge")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != domain+"/oauth2/authorize" {
		t.Errorf("endpoint %s; want %s/oauth2/authorize", got, domain)
	}
	q := u.Query()
	for k, want := range map[string]string{
		"response_type": "code", "client_id": client, "redirect_uri": redirect,
		"scope": "openid email autosync/merchant", "state": "st4te",
		"code_challenge": "ch4llenge", "code_challenge_method": "S256",
	} {
		if q.Get(k) != want {
			t.Errorf("%s=%q; want %q", k, q.Get(k), want)
		}
	}
	if _, err := s.AuthorizeURL("", "c"); err == nil {
		t.Error("no state: want an error")
	}
	if _, err := (SignIn{}).AuthorizeURL("s", "c"); err == nil {
		t.Error("no sign-in configured: want an error")
	}
}

func TestConfigHandler(t *testing.T) {
	for _, c := range []struct {
		name   string
		s      SignIn
		method string
		status int
		want   string
	}{
		{"configured", SignIn{domain, client, redirect}, http.MethodGet, http.StatusOK,
			`{"sign_in":{"authorize_url":"` + domain + `/oauth2/authorize","token_url":"` + domain + `/oauth2/token","logout_url":"` + domain + `/logout",` +
				`"client_id":"` + client + `","redirect_uri":"` + redirect + `","scope":"openid email autosync/merchant","code_challenge_method":"S256"}}`},
		{"sign-in elsewhere", SignIn{}, http.MethodGet, http.StatusOK, `{"sign_in":null}`},
		{"POST refused", SignIn{domain, client, redirect}, http.MethodPost, http.StatusMethodNotAllowed,
			`{"error":{"code":"method_not_allowed","message":"Use GET."}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			ConfigHandler(c.s).ServeHTTP(rec, httptest.NewRequest(c.method, "/v1/config", nil))
			if rec.Code != c.status {
				t.Fatalf("status %d; want %d", rec.Code, c.status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var got, want any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			_ = json.Unmarshal([]byte(c.want), &want)
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("body %s; want %s", g, w)
			}
		})
	}
}
