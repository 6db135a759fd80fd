package simulator

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestReadConsent(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	for _, tt := range []struct {
		name, contentType, body string
		ok                      bool
	}{
		{"allowed", form, "decision=allow&state=s1", true},
		{"allowed, charset", form + "; charset=UTF-8", "decision=allow&state=s1", true},
		{"denied", form, "decision=deny&state=s1", false},
		{"no decision", form, "state=s1", false},
		{"JSON", "application/json", `{"decision":"allow"}`, false},
		{"no content type", "", "decision=allow", false},
		{"malformed", form, "decision=allow&state=%zz", false},
		{"too large", form, "decision=allow&pad=" + strings.Repeat("a", 17<<10), false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/consent", strings.NewReader(tt.body))
		if tt.contentType != "" {
			r.Header.Set("Content-Type", tt.contentType)
		}
		w := httptest.NewRecorder()
		got, ok := ReadConsent(w, r)
		if ok != tt.ok {
			t.Errorf("%s: ok = %v; want %v (%d %s)", tt.name, ok, tt.ok, w.Code, w.Body)
			continue
		}
		if ok && got.Get("state") != "s1" {
			t.Errorf("%s: form %v", tt.name, got)
		}
		if !ok && w.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d; want 400", tt.name, w.Code)
		}
	}
}

// The consent flow's shared steps: a refused request is 400 with the
// cart's reason and no page; an accepted one is the page; the Allow is
// checked again; the browser goes back with the redirect's own query kept.
func TestConsentFlow(t *testing.T) {
	check := func(v url.Values) (map[string]string, string) {
		if !WebURL(v.Get("redirect_uri")) {
			return nil, "redirect_uri is not a URL"
		}
		return map[string]string{"redirect_uri": v.Get("redirect_uri")}, ""
	}
	page := func(p map[string]string) Consent { return Consent{Title: "T", Hidden: p, Button: "Allow"} }

	rec := httptest.NewRecorder()
	ServeConsent(rec, httptest.NewRequest("GET", "/c?redirect_uri=ftp://x", nil), check, page)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "redirect_uri is not a URL") {
		t.Fatalf("refused page: %d %q", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	ServeConsent(rec, httptest.NewRequest("GET", "/c?redirect_uri=https://app.example/cb", nil), check, page)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "https://app.example/cb") {
		t.Fatalf("page: %d %q", rec.Code, rec.Body)
	}

	allow := func(form string) (*httptest.ResponseRecorder, map[string]string, bool) {
		r := httptest.NewRequest("POST", "/c", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		p, ok := Consented(rec, r, check)
		return rec, p, ok
	}
	if rec, _, ok := allow("decision=allow&redirect_uri=javascript:x"); ok || rec.Code != 400 || !strings.Contains(rec.Body.String(), "authorization refused: redirect_uri") {
		t.Fatalf("refused allow: %v %d %q", ok, rec.Code, rec.Body)
	}
	_, p, ok := allow("decision=allow&redirect_uri=https://app.example/cb%3Fkeep%3D1")
	if !ok || p["redirect_uri"] != "https://app.example/cb?keep=1" {
		t.Fatalf("allow: %v %v", ok, p)
	}
	rec = httptest.NewRecorder()
	SendBack(rec, httptest.NewRequest("POST", "/c", nil), p["redirect_uri"], url.Values{"code": {"abc"}})
	if loc := rec.Header().Get("Location"); rec.Code != 302 || loc != "https://app.example/cb?code=abc&keep=1" {
		t.Fatalf("sent back: %d %q", rec.Code, loc)
	}
	for s, want := range map[string]bool{"https://a.example/x": true, "http://127.0.0.1:8080/": true, "/relative": false, "https://": false, "mailto:a@b": false, "%zz": false} {
		if WebURL(s) != want {
			t.Errorf("WebURL(%q) = %v", s, !want)
		}
	}
}
