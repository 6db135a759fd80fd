package ui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func serve(t *testing.T, method, target string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkSecurityHeaders(t *testing.T, res *http.Response) {
	t.Helper()
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
	}
}

func TestPage(t *testing.T) {
	res := serve(t, http.MethodGet, "/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", res.StatusCode)
	}
	checkSecurityHeaders(t, res)
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("page Cache-Control = %q, want no-cache", cc)
	}
	html := body(t, res)
	for _, want := range []string{`data-testid="sync-button"`, `data-testid="sync-modal"`, `data-testid="activity"`, `role="dialog"`, `aria-modal="true"`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// No inline script or style, no other origin: the CSP would block them.
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).MatchString(html) {
		t.Error("page has an inline script")
	}
	if strings.Contains(html, "style=") || strings.Contains(html, "<style") {
		t.Error("page has inline style")
	}
	if regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).MatchString(html) {
		t.Error("page loads something from another origin")
	}
	// Every asset is named with its current version, relative to the page.
	for _, name := range []string{"app.js", "app.css", "icon.svg"} {
		want := strings.TrimPrefix(AssetURL(name), "/")
		if !strings.Contains(html, `"`+want+`"`) {
			t.Errorf("page does not refer to %s", want)
		}
	}
}

func TestAssets(t *testing.T) {
	for name, ct := range map[string]string{
		"app.js":   "text/javascript; charset=utf-8",
		"app.css":  "text/css; charset=utf-8",
		"icon.svg": "image/svg+xml",
	} {
		url := AssetURL(name)
		if !strings.HasPrefix(url, Prefix+name+"?v=") {
			t.Fatalf("AssetURL(%q) = %q", name, url)
		}
		res := serve(t, http.MethodGet, url, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", url, res.StatusCode)
		}
		checkSecurityHeaders(t, res)
		if got := res.Header.Get("Content-Type"); got != ct {
			t.Errorf("%s Content-Type = %q, want %q", name, got, ct)
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s with its version: Cache-Control = %q", name, got)
		}
		etag := res.Header.Get("ETag")
		if etag == "" || len(body(t, res)) == 0 {
			t.Errorf("%s: no ETag or empty body", name)
		}

		// Without (or with a stale) version the asset is revalidated, never kept.
		for _, u := range []string{Prefix + name, Prefix + name + "?v=old"} {
			res := serve(t, http.MethodGet, u, nil)
			if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-cache" {
				t.Errorf("GET %s = %d, Cache-Control %q; want 200 no-cache", u, res.StatusCode, res.Header.Get("Cache-Control"))
			}
		}

		res = serve(t, http.MethodGet, url, http.Header{"If-None-Match": {etag}})
		if res.StatusCode != http.StatusNotModified {
			t.Errorf("conditional GET %s = %d, want 304", name, res.StatusCode)
		}
	}
	// The JavaScript documents its test hooks.
	res := serve(t, http.MethodGet, AssetURL("app.js"), nil)
	js := body(t, res)
	for _, hook := range []string{"sync-button", "sync-modal", "task-<channel_id>-<task>", "indicator-<channel_id>-<task>",
		"sync-once-<channel_id>-<task>", "save-settings", "activity", "run-<run_id>", "progress-<run_id>",
		"reauth-banner-<channel_id>", "problem-<channel_id>-<task>"} {
		if !strings.Contains(js, hook) {
			t.Errorf("app.js does not document the hook %s", hook)
		}
	}
}

func TestHead(t *testing.T) {
	for _, target := range []string{"/", AssetURL("app.js")} {
		get := serve(t, http.MethodGet, target, nil)
		head := serve(t, http.MethodHead, target, nil)
		if head.StatusCode != http.StatusOK {
			t.Fatalf("HEAD %s = %d", target, head.StatusCode)
		}
		if b := body(t, head); b != "" {
			t.Errorf("HEAD %s has a body of %d bytes", target, len(b))
		}
		for _, h := range []string{"Content-Type", "Content-Length", "Content-Security-Policy", "Cache-Control", "ETag"} {
			if head.Header.Get(h) == "" || head.Header.Get(h) != get.Header.Get(h) {
				t.Errorf("HEAD %s %s = %q, GET has %q", target, h, head.Header.Get(h), get.Header.Get(h))
			}
		}
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	for _, target := range []string{"/index.html", "/ui/", "/ui/missing.js", "/ui/../ui/app.js", "/ui/static/app.js",
		"/app.js", "/v1/sync", "/ui/app.js/x", "/favicon.ico"} {
		res := serve(t, http.MethodGet, target, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", target, res.StatusCode)
		}
		checkSecurityHeaders(t, res)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("GET %s 404 Content-Type = %q", target, ct)
		}
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		res := serve(t, m, "/", nil)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s / = %d Allow %q, want 405 GET, HEAD", m, res.StatusCode, res.Header.Get("Allow"))
		}
	}
	if res := serve(t, http.MethodPost, "/nothing", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("POST /nothing = %d, want 404", res.StatusCode)
	}
}

// The handler works when mounted as the local server mounts it, beside API routes.
func TestMounted(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/{$}", Handler())
	mux.Handle(Prefix, Handler())
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for target, want := range map[string]int{"/": 200, AssetURL("app.css"): 200, "/v1/sync": http.StatusTeapot, "/ui/nope": 404} {
		res, err := http.Get(srv.URL + target)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", target, res.StatusCode, want)
		}
	}
}
