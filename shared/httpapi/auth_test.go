package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/auth"
)

// every route of Handler, with a body where it takes one.
func everyRoute(f *fixture) []struct{ method, path, body string } {
	return []struct{ method, path, body string }{
		{"GET", "/v1/channels", ""},
		{"POST", "/v1/channels", mustJSON(shopifyBody("S", "t"))},
		{"PUT", "/v1/channels/" + f.a1 + "/credentials", `{"credentials":{"access_token":"t"}}`},
		{"DELETE", "/v1/channels/" + f.a1, ""},
		{"GET", "/v1/sync", ""},
		{"PUT", "/v1/sync", `{"tasks":[]}`},
		{"POST", "/v1/sync/runs", `{"runs":[{"channel_id":"` + f.a1 + `","task":"import_orders"}]}`},
		{"GET", "/v1/sync/runs", ""},
		{"GET", "/v1/sync/runs/" + f.runA, ""},
		{"GET", "/v1/orders", ""},
		{"PUT", "/v1/admin/accounts/" + acctA + "/channels/" + f.a1 + "/tasks/import_orders/interval", `{"interval":"6h"}`},
		{"GET", "/v1/unknown", ""},
	}
}

func TestUnauthenticated(t *testing.T) {
	f := newFixture(t)
	past := auth.HS256{Secret: f.tokens.Secret, Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }}
	expired, err := past.Issue(acctA, auth.ScopeMerchant+" "+auth.ScopeAdmin, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	other := auth.HS256{Secret: []byte("another-secret-another-secret-xx")}
	wrongSig, _ := other.Issue(acctA, auth.ScopeMerchant+" "+auth.ScopeAdmin, time.Hour)
	good := f.token(acctA, auth.ScopeMerchant+" "+auth.ScopeAdmin)
	parts := strings.Split(good, ".")
	// Same claims, signature of the header and claims swapped for another's.
	tampered := parts[0] + "." + parts[1] + "." + strings.Split(wrongSig, ".")[2]
	// Claims edited to name account B, original signature kept.
	claimsB := strings.Replace(mustDecodeSeg(t, parts[1]), acctA, acctB, 1)
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(claimsB)) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	noAccount, _ := f.tokens.Issue("", auth.ScopeMerchant, time.Hour)

	headers := map[string]string{
		"no header":           "",
		"empty bearer":        "Bearer ",
		"malformed":           "Bearer not-a-jwt",
		"two segments":        "Bearer " + parts[0] + "." + parts[1],
		"basic scheme":        "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b")),
		"token without":       good,
		"expired":             "Bearer " + expired,
		"wrong signature":     "Bearer " + wrongSig,
		"tampered signature":  "Bearer " + tampered,
		"forged claims":       "Bearer " + forged,
		"alg none":            "Bearer " + none,
		"no account_id claim": "Bearer " + noAccount,
		"garbage bytes":       "Bearer \x01\x02",
	}
	before := f.snapshot(acctA)
	for name, h := range headers {
		for _, r := range everyRoute(f) {
			hr := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
			hr.Header.Set("Content-Type", "application/json")
			if h != "" {
				hr.Header["Authorization"] = []string{h}
			}
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, hr)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s: %s %s: status %d, want 401: %s", name, r.method, r.path, rec.Code, rec.Body)
				continue
			}
			checkErr(t, rec, http.StatusUnauthorized, "unauthenticated")
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: %s %s: WWW-Authenticate %q", name, r.method, r.path, rec.Header().Get("WWW-Authenticate"))
			}
			if rec.Header().Get("X-Request-Id") == "" {
				t.Errorf("%s: no X-Request-Id", name)
			}
		}
	}
	f.assertUnchanged(before, acctA, "unauthenticated requests")
}

func mustDecodeSeg(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Over a real connection, as a client sees it.
func TestUnauthenticatedOverHTTP(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	for _, h := range []string{"", "Bearer nope"} {
		r, _ := http.NewRequest("GET", srv.URL+"/v1/sync", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error errJSON `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 401 || body.Error.Code != "unauthenticated" || body.Error.Message == "" {
			t.Fatalf("%q: %d %+v %v", h, resp.StatusCode, body, err)
		}
		if resp.Header.Get("WWW-Authenticate") == "" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("headers %v", resp.Header)
		}
	}
}

func TestAdminScope(t *testing.T) {
	f := newFixture(t)
	path := "/v1/admin/accounts/" + acctA + "/channels/" + f.a1 + "/tasks/import_orders/interval"
	for name, tok := range map[string]string{
		"merchant":        f.merchant(acctA),
		"no scope":        f.token(acctA, ""),
		"look-alike":      f.token(acctA, "autosync/admins autosync/admin:read"),
		"merchant of B":   f.merchant(acctB),
		"admin substring": f.token(acctA, "xautosync/admin"),
	} {
		rec := f.serve(req{method: "PUT", path: path, token: tok, body: `{"interval":"6h"}`})
		e := checkErr(t, rec, http.StatusForbidden, "forbidden")
		if !strings.Contains(e.Message, auth.ScopeAdmin) {
			t.Errorf("%s: message %q does not name the scope", name, e.Message)
		}
	}
	// The scope among others is enough.
	f.call("PUT", path, f.token("support", auth.ScopeMerchant+" "+auth.ScopeAdmin), `{"interval":"6h"}`, http.StatusOK, nil)
}

// TestOverTheWire sends an oversized body and a wrong Content-Type through
// a real server, as clients do, and reads the envelope back.
func TestOverTheWire(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	before := f.snapshot(acctA)
	big := `{"tasks":[` + strings.Repeat(" ", 2<<20) + `]}`
	for _, c := range []struct {
		body, ct string
		status   int
		code     string
	}{
		{big, "application/json", 413, "too_large"},
		{`{"tasks":[]}`, "text/plain", 415, "unsupported_media_type"},
		{`{"tasks":[]}]`, "application/json", 400, "malformed"},
	} {
		r, _ := http.NewRequest("PUT", srv.URL+"/v1/sync", strings.NewReader(c.body))
		r.Header.Set("Authorization", "Bearer "+f.merchant(acctA))
		r.Header.Set("Content-Type", c.ct)
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatalf("%d: %v", c.status, err)
		}
		var body struct {
			Error errJSON `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != c.status || body.Error.Code != c.code {
			t.Fatalf("got %d %+v %v, want %d %s", resp.StatusCode, body, err, c.status, c.code)
		}
	}
	f.assertUnchanged(before, acctA, "refused requests over the wire")
}
