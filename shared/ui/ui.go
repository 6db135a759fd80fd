// Package ui serves the Sync page: the static page merchants use to tick sync
// tasks per channel (the Sync modal) and watch recent runs (Activity). The
// page is plain HTML, CSS and JavaScript embedded in the binary; it needs no
// build step, loads nothing from other origins and talks only to the public
// HTTP API (shared/httpapi) with the merchant's bearer token.
//
// Mount [Handler] for "GET /" and for everything under [Prefix]; the API's
// own routes (/v1/, /webhooks/, /dev/) stay more specific:
//
//	mux.Handle("/{$}", ui.Handler())
//	mux.Handle(ui.Prefix, ui.Handler())
//
// The page refers to its assets and to the API with relative URLs, so it also
// works behind a path prefix such as an API Gateway stage (".../prod/").
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Prefix is the path under which the page's assets are served.
const Prefix = "/ui/"

// ContentSecurityPolicy is sent with every response of [Handler]: scripts and
// styles only from this origin (no inline script or style), API calls only to
// this origin, no plugins, no forms, no base rewriting, and framing only by
// pages of the same origin.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; " +
	"frame-ancestors 'self'; require-trusted-types-for 'script'; trusted-types 'none'"

// Cache policies. Assets requested with their current content hash (?v=...)
// never change, so browsers keep them for a year; the page itself and assets
// asked for without the current hash are revalidated (ETag) on every load.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

//go:embed static
var files embed.FS

type asset struct {
	name        string // file name, for http.ServeContent
	contentType string
	body        []byte
	version     string // first 16 hex digits of the SHA-256 of body
	etag        string
}

// site is the page and its assets, built on first use: hashing them is
// work a cold start of a function that serves no page need not pay.
type site struct {
	page   *asset            // index.html with versioned asset URLs filled in
	assets map[string]*asset // by path under Prefix
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

var loadSite = sync.OnceValue(func() *site {
	st := &site{assets: map[string]*asset{}}
	for _, name := range []string{"app.js", "app.css", "icon.svg"} {
		st.assets[name] = newAsset(name, mustRead(name))
	}
	// The page names each asset with its version so that a deploy is seen at
	// once and an unchanged asset is never fetched again.
	var pairs []string
	for name, a := range st.assets {
		pairs = append(pairs, "{{"+name+"}}", strings.TrimPrefix(Prefix, "/")+name+"?v="+a.version)
	}
	html := strings.NewReplacer(pairs...).Replace(string(mustRead("index.html")))
	if strings.Contains(html, "{{") {
		panic("ui: index.html names an asset that is not embedded")
	}
	st.page = newAsset("index.html", []byte(html))
	return st
})

func mustRead(name string) []byte {
	b, err := files.ReadFile("static/" + name)
	if err != nil {
		panic(fmt.Sprintf("ui: embedded %s: %v", name, err))
	}
	return b
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	v := hex.EncodeToString(sum[:8])
	ct := contentTypes[name[strings.LastIndexByte(name, '.'):]]
	if ct == "" {
		panic("ui: no content type for " + name)
	}
	return &asset{name: name, contentType: ct, body: body, version: v, etag: `"` + v + `"`}
}

// AssetURL returns the versioned path of an embedded asset ("app.js" →
// "/ui/app.js?v=..."), or "" when there is no such asset.
func AssetURL(name string) string {
	a, ok := loadSite().assets[name]
	if !ok {
		return ""
	}
	return Prefix + name + "?v=" + a.version
}

// Handler serves the Sync page at "/" and its assets under [Prefix], for GET
// and HEAD, with a strict Content-Security-Policy. Other methods on those
// paths get 405; every other path gets 404.
//
// signInOrigins are origins the page may also call: the hosted sign-in
// page's (identity.SignIn.DomainURL), whose token endpoint the page posts
// the authorization code to. Empty strings are ignored; anything that is
// not an http(s) origin panics, as a misconfiguration at start.
func Handler(signInOrigins ...string) http.Handler {
	csp := ContentSecurityPolicy
	var extra []string
	for _, o := range signInOrigins {
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.TrimSuffix(u.Path, "/") != "" ||
			u.RawQuery != "" || u.User != nil || strings.ContainsAny(u.Host, " ;,'\"") {
			panic(fmt.Sprintf("ui: sign-in origin %q is not an http(s) origin", o))
		}
		extra = append(extra, u.Scheme+"://"+u.Host)
	}
	if len(extra) > 0 {
		csp = strings.Replace(csp, "connect-src 'self'", "connect-src 'self' "+strings.Join(extra, " "), 1)
	}
	return handler{csp: csp}
}

type handler struct{ csp string }

func (hd handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", hd.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Referrer-Policy", "no-referrer")

	var a *asset
	switch p := r.URL.Path; {
	case p == "/":
		a = loadSite().page
	case strings.HasPrefix(p, Prefix):
		a = loadSite().assets[p[len(Prefix):]]
	}
	if a == nil {
		h.Set("Cache-Control", "no-store")
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		h.Set("Cache-Control", "no-store")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	if a != loadSite().page && r.URL.Query().Get("v") == a.version {
		h.Set("Cache-Control", cacheImmutable)
	} else {
		h.Set("Cache-Control", cacheRevalidate)
	}
	// ServeContent answers HEAD, If-None-Match (304) and Range.
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}
