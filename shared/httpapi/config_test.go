package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/autosync/autosync/shared/identity"
)

// The page asks for its sign-in settings before it has a token.
func TestConfigRoute(t *testing.T) {
	e := newEnv(t)
	get := func() (int, map[string]*identity.Config) {
		rec := e.serve(req{method: "GET", path: "/v1/config", contentType: "-"})
		var body map[string]*identity.Config
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
		}
		return rec.Code, body
	}
	if code, body := get(); code != http.StatusOK || body["sign_in"] != nil {
		t.Fatalf("no sign-in configured: %d %v, want 200 and sign_in null", code, body)
	}

	e.app.API.SignIn = identity.SignIn{DomainURL: "https://autosync.auth.us-east-1.amazoncognito.com", ClientID: "abc123", RedirectURL: "https://api.example/"}
	e.h = e.app.API.Handler()
	code, body := get()
	if code != http.StatusOK || body["sign_in"] == nil {
		t.Fatalf("sign-in configured: %d %v", code, body)
	}
	if c := body["sign_in"]; c.ClientID != "abc123" || c.AuthorizeURL != "https://autosync.auth.us-east-1.amazoncognito.com/oauth2/authorize" {
		t.Errorf("sign_in = %+v", c)
	}
	if rec := e.serve(req{method: "POST", path: "/v1/config", body: "{}"}); rec.Code < 400 || rec.Code >= 500 {
		t.Errorf("POST /v1/config: %d, want a 4xx", rec.Code)
	}
}
