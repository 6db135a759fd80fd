package ui

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/autosync/autosync/shared/browsertest"
)

// hostedSignIn stands for the user pool's hosted page: it remembers the
// PKCE challenge of each sign-in and gives the token only for its verifier.
type hostedSignIn struct {
	mu        sync.Mutex
	authorize url.Values // the last authorize request's query
	tokenForm url.Values // the last token request's form
	// refreshForm is the last refresh_token grant's form.
	refreshForm url.Values
	origin      string // the Origin the token request came with
}

func (h *hostedSignIn) routes(mux *http.ServeMux, base func() string) {
	mux.HandleFunc("GET /v1/config", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"sign_in": map[string]string{
			"authorize_url": base() + "/hosted/oauth2/authorize", "token_url": base() + "/hosted/oauth2/token",
			"logout_url": base() + "/hosted/logout", "client_id": "page-client", "redirect_uri": base() + "/",
			"scope": "openid email autosync/merchant", "code_challenge_method": "S256",
		}})
	})
	mux.HandleFunc("GET /hosted/oauth2/authorize", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.authorize = r.URL.Query()
		h.mu.Unlock()
		q := r.URL.Query()
		back := q.Get("redirect_uri") + "?" + url.Values{"code": {"the-code"}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back, http.StatusFound)
	})
	mux.HandleFunc("POST /hosted/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.PostForm.Get("grant_type") == "refresh_token" {
			h.refreshForm = r.PostForm
			if r.PostForm.Get("refresh_token") != "the-refresh" || r.PostForm.Get("client_id") != "page-client" {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"access_token": "test-token-2", "id_token": "id", "token_type": "Bearer", "expires_in": 3600})
			return
		}
		h.tokenForm, h.origin = r.PostForm, r.Header.Get("Origin")
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if r.PostForm.Get("code") != "the-code" || r.PostForm.Get("grant_type") != "authorization_code" ||
			h.authorize == nil || base64.RawURLEncoding.EncodeToString(sum[:]) != h.authorize.Get("code_challenge") {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"access_token": "test-token", "refresh_token": "the-refresh", "id_token": "id", "token_type": "Bearer", "expires_in": 3600})
	})
}

// TestSignInThroughHostedPageInBrowser: without a token the page goes to
// the hosted sign-in page with a PKCE challenge and a state, and back
// exchanges the code with its verifier at the token URL, keeps the access
// token in sessionStorage and loads the channels; the code leaves the
// address bar. A return with the wrong state is refused.
func TestSignInThroughHostedPageInBrowser(t *testing.T) {
	browsertest.Chromium(t) // skip before starting anything
	api := newFakeAPI("test-token")
	hosted := &hostedSignIn{}
	mux := http.NewServeMux()
	var srv *httptest.Server
	hosted.routes(mux, func() string { return srv.URL })
	mux.Handle("/v1/", api)
	mux.Handle("/{$}", Handler())
	mux.Handle(Prefix, Handler())
	srv = httptest.NewServer(mux)
	defer srv.Close()

	ctx := browsertest.Start(t, 2*time.Minute)
	b := browser{t, ctx}
	problems := browsertest.Problems(ctx, false)

	b.do("open without a token", chromedp.Navigate(srv.URL+"/"))
	waitFor(b, `!!document.querySelector('[data-testid="channel-shop1"]')`)
	hosted.mu.Lock()
	az, form, origin := hosted.authorize, hosted.tokenForm, hosted.origin
	hosted.mu.Unlock()
	if az.Get("response_type") != "code" || az.Get("client_id") != "page-client" || az.Get("redirect_uri") != srv.URL+"/" ||
		az.Get("code_challenge_method") != "S256" || len(az.Get("state")) < 32 || len(az.Get("code_challenge")) != 43 ||
		!strings.Contains(az.Get("scope"), "autosync/merchant") {
		t.Errorf("authorize request %v", az)
	}
	if form.Get("client_id") != "page-client" || form.Get("redirect_uri") != srv.URL+"/" || len(form.Get("code_verifier")) < 43 {
		t.Errorf("token request %v", form)
	}
	if origin != srv.URL {
		t.Errorf("token request from origin %q", origin)
	}
	if got := evalIn[string](b, `sessionStorage.getItem("autosync.token")`); got != "test-token" {
		t.Errorf("sessionStorage token = %q", got)
	}
	if href := evalIn[string](b, `location.href`); strings.Contains(href, "code=") || strings.Contains(href, "state=") {
		t.Errorf("the code is still in the address bar: %s", href)
	}
	if got := evalIn[string](b, `sessionStorage.getItem("autosync.signin") || ""`); got != "" {
		t.Errorf("the PKCE verifier was kept: %q", got)
	}

	// The access token expires (the API now takes only a newer one): the
	// page renews it with the refresh token and the request goes through;
	// no "session expired".
	api.mu.Lock()
	api.token = "test-token-2"
	api.mu.Unlock()
	b.do("use the page after the access token expired",
		chromedp.Click(tid("sync-button")),
		chromedp.WaitVisible(tid("save-settings")))
	waitFor(b, `!!document.querySelector('[data-testid^="task-"]')`)
	if got := evalIn[string](b, `sessionStorage.getItem("autosync.token")`); got != "test-token-2" {
		t.Errorf("sessionStorage token after renewal = %q", got)
	}
	if got := b.text("notice"); strings.Contains(got, "expired") {
		t.Errorf("notice after renewal reads %q", got)
	}
	hosted.mu.Lock()
	rf := hosted.refreshForm
	hosted.mu.Unlock()
	if rf.Get("client_id") != "page-client" || rf.Get("refresh_token") != "the-refresh" {
		t.Errorf("refresh request %v", rf)
	}
	// A refresh token the pool no longer honours ends the session as before.
	api.mu.Lock()
	api.token = "test-token-3"
	api.mu.Unlock()
	b.do("close the modal and refresh once more",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="sync-modal"]').close()`),
		chromedp.Evaluate[chromedp.Void](`sessionStorage.setItem("autosync.refresh", "revoked")`),
		chromedp.Navigate(srv.URL+"/"))
	waitFor(b, `(document.querySelector('[data-testid="notice"]')||{}).textContent.includes('expired')`)
	if got := evalIn[string](b, `sessionStorage.getItem("autosync.refresh") || ""`); got != "" {
		t.Errorf("the refused refresh token was kept: %q", got)
	}

	// Where the deployment signs merchants in, a link carrying a token is
	// refused: it could be another account's, and the tab would act for it.
	b.do("open a link that carries a token",
		chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`),
		chromedp.Navigate(srv.URL+"/#token=attackers-token"))
	waitFor(b, `(document.querySelector('[data-testid="notice"]')||{}).textContent.includes('does not accept a sign-in from a link')`)
	if got := evalIn[string](b, `sessionStorage.getItem("autosync.token") || ""`); got == "attackers-token" {
		t.Errorf("the page took the token from the link")
	}
	if href := evalIn[string](b, `location.href`); strings.Contains(href, "attackers-token") {
		t.Errorf("the token is still in the address bar: %s", href)
	}

	// A return the page did not start (another state) is refused.
	b.do("forged return",
		chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`),
		chromedp.Navigate(srv.URL+"/?code=the-code&state=forged"),
		chromedp.WaitVisible(tid("notice")))
	if got := b.text("notice"); !strings.Contains(got, "could not be completed") {
		t.Errorf("notice after a forged return reads %q", got)
	}
	if got := evalIn[string](b, `sessionStorage.getItem("autosync.token") || ""`); got != "" {
		t.Errorf("a forged return signed in: %q", got)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("console problems: %v", p)
	}
}

// TestHandlerAllowsSignInOrigin: the CSP lets the page post to the hosted
// page's token endpoint, and only there.
func TestHandlerAllowsSignInOrigin(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler("https://pool.auth.eu-west-1.amazoncognito.com", "").ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' https://pool.auth.eu-west-1.amazoncognito.com;") {
		t.Errorf("CSP %q", csp)
	}
	rec = httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Get("Content-Security-Policy"); got != ContentSecurityPolicy {
		t.Errorf("CSP without sign-in %q", got)
	}
	for _, bad := range []string{"javascript:alert(1)", "https://x.example/path", "https://x.example; script-src *", "pool.example"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handler(%q) accepted it", bad)
				}
			}()
			Handler(bad)
		}()
	}
}
