package etsysim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/simulator"
)

// codeTTL is how long an authorization code works (Etsy's: not stated;
// OAuth recommends minutes).
const codeTTL = 5 * time.Minute

// grant is an authorization code waiting for the token request, bound to
// the PKCE challenge and redirect_uri it was issued for.
type grant struct {
	challenge, redirect string
	expires             time.Time
}

type codes struct {
	mu sync.Mutex
	m  map[string]grant
}

// authorizeParams checks an authorization request as Etsy's /oauth/connect
// does: a code grant for a known keystring with an S256 challenge.
func (s *Server) authorizeParams(q url.Values) (map[string]string, string) {
	p := map[string]string{}
	for _, k := range []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"} {
		p[k] = q.Get(k)
	}
	switch {
	case p["response_type"] != "code":
		return nil, "response_type must be code"
	case subtle.ConstantTimeCompare([]byte(p["client_id"]), []byte(s.apiKey)) != 1:
		return nil, "client_id is not a known API keystring"
	case p["state"] == "":
		return nil, "state is required"
	case p["code_challenge_method"] != "S256" || len(p["code_challenge"]) != 43:
		return nil, "code_challenge with code_challenge_method S256 is required"
	}
	if !simulator.WebURL(p["redirect_uri"]) {
		return nil, "redirect_uri is not a URL"
	}
	return p, ""
}

func (s *Server) consentRoutes() {
	s.mux.HandleFunc("GET /oauth/connect", func(w http.ResponseWriter, r *http.Request) {
		simulator.ServeConsent(w, r, s.authorizeParams, func(p map[string]string) simulator.Consent {
			return simulator.Consent{Title: "Grant access", Heading: "An app would like to connect to your Etsy account",
				Detail: "It asks for: " + p["scope"], Action: "/oauth/connect", Hidden: p, Button: "Allow Access"}
		})
	})
	s.mux.HandleFunc("POST /oauth/connect", s.allow)
	s.route("GET /users/me", func(w http.ResponseWriter, r *http.Request) {
		s.oauth.mu.Lock()
		user := s.oauth.userID
		s.oauth.mu.Unlock()
		id, _ := strconv.ParseInt(user, 10, 64)
		writeJSON(w, http.StatusOK, map[string]int64{"user_id": id, "shop_id": s.shopID})
	})
}

// allow is the owner pressing Allow: a code, and the browser sent back
// with it and the state.
func (s *Server) allow(w http.ResponseWriter, r *http.Request) {
	p, ok := simulator.Consented(w, r, s.authorizeParams)
	if !ok {
		return
	}
	code := rand32()
	s.codes.mu.Lock()
	if s.codes.m == nil {
		s.codes.m = map[string]grant{}
	}
	s.codes.m[code] = grant{challenge: p["code_challenge"], redirect: p["redirect_uri"], expires: s.now().Add(codeTTL)}
	s.codes.mu.Unlock()
	simulator.SendBack(w, r, p["redirect_uri"], url.Values{"code": {code}, "state": {p["state"]}})
}

// codeGrant is the authorization_code grant: the code once, with the
// redirect_uri it was issued for and the verifier of its challenge. A new
// grant makes a fresh pair of tokens the shop's working ones.
func (s *Server) codeGrant(w http.ResponseWriter, form url.Values, refuse func(int, string, string)) {
	code := form.Get("code")
	s.codes.mu.Lock()
	g, ok := s.codes.m[code]
	delete(s.codes.m, code) // a code is tried once, right or wrong
	s.codes.mu.Unlock()
	sum := sha256.Sum256([]byte(form.Get("code_verifier")))
	switch {
	case !ok || !s.now().Before(g.expires):
		refuse(http.StatusBadRequest, "invalid_grant", "code is invalid or expired")
		return
	case g.redirect != form.Get("redirect_uri"):
		refuse(http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
		return
	case subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.challenge)) != 1:
		refuse(http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	now := s.now()
	o := &s.oauth
	o.mu.Lock()
	access, refresh := o.newToken("access"), o.newToken("refresh")
	o.access[access] = o.expiry(now, o.ttl)
	o.current = access
	if o.refresh != "" {
		o.retired[o.refresh] = true
	}
	o.refresh, o.refreshExp = refresh, o.expiry(now, o.refreshTTL)
	ttl := o.ttl
	o.mu.Unlock()
	body := map[string]any{"access_token": access, "token_type": "Bearer", "refresh_token": refresh}
	if ttl > 0 {
		body["expires_in"] = int64(ttl / time.Second)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, body)
}

// Revoke plays the owner removing the app's access: every access token
// and the refresh token stop working.
func (s *Server) Revoke() {
	s.ExpireAccessTokens()
	s.RevokeRefreshTokens()
}

func rand32() string { return rand.Text() }

// RemoveApp is the shop owner removing the app under Etsy's "Apps you've
// connected": its tokens are revoked, and Etsy tells the app nothing.
func (s *Server) RemoveApp() { s.Revoke() }
