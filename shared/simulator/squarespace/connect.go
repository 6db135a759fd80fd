package squarespacesim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/simulator"
)

// The app the site's OAuth provider knows when Options names none.
const (
	DefaultClientID     = "sqsp_simulator_client_id"
	DefaultClientSecret = "sqsp_simulator_client_secret"
)

// Lifetimes of what the provider issues: Squarespace's access tokens last
// 30 minutes, refresh tokens (access_type=offline) 7 days.
const (
	accessTTL  = 30 * time.Minute
	refreshTTL = 7 * 24 * time.Hour
	codeTTL    = 5 * time.Minute
)

// provider is the site's OAuth provider: codes waiting for the token
// request and the tokens it issued.
type provider struct {
	mu       sync.Mutex
	codes    map[string]providerCode
	access   map[string]time.Time // token -> expiry
	refresh  map[string]time.Time
	clientID string
	secret   string
}

type providerCode struct {
	redirect string
	expires  time.Time
}

const (
	authorizePath = "/api/1/login/oauth/provider/authorize"
	tokensPath    = "/api/1/login/oauth/provider/tokens"
)

func (s *Server) providerRoutes(opts Options) {
	s.prov.clientID, s.prov.secret = opts.ClientID, opts.ClientSecret
	if s.prov.clientID == "" {
		s.prov.clientID = DefaultClientID
	}
	if s.prov.secret == "" {
		s.prov.secret = DefaultClientSecret
	}
	s.mux.HandleFunc("GET "+authorizePath, func(w http.ResponseWriter, r *http.Request) {
		simulator.ServeConsent(w, r, s.authorizeParams, func(p map[string]string) simulator.Consent {
			return simulator.Consent{Title: "Connect to Squarespace", Heading: "Allow this app to access your site?",
				Detail: "It asks for: " + p["scope"], Action: authorizePath, Hidden: p, Button: "Allow"}
		})
	})
	s.mux.HandleFunc("POST "+authorizePath, s.providerAllow)
	s.mux.HandleFunc("POST "+tokensPath, s.providerTokens)
}

func (s *Server) authorizeParams(q url.Values) (map[string]string, string) {
	p := map[string]string{}
	for _, k := range []string{"client_id", "redirect_uri", "scope", "state", "access_type"} {
		p[k] = q.Get(k)
	}
	switch {
	case subtle.ConstantTimeCompare([]byte(p["client_id"]), []byte(s.prov.clientID)) != 1:
		return nil, "unknown client_id"
	case p["state"] == "":
		return nil, "state is required"
	case p["scope"] == "":
		return nil, "scope is required"
	}
	if !simulator.WebURL(p["redirect_uri"]) {
		return nil, "redirect_uri is not a URL"
	}
	return p, ""
}

func (s *Server) providerAllow(w http.ResponseWriter, r *http.Request) {
	p, ok := simulator.Consented(w, r, s.authorizeParams)
	if !ok {
		return
	}
	code := rand.Text()
	s.prov.mu.Lock()
	if s.prov.codes == nil {
		s.prov.codes = map[string]providerCode{}
	}
	s.prov.codes[code] = providerCode{redirect: p["redirect_uri"], expires: s.now().Add(codeTTL)}
	s.prov.mu.Unlock()
	simulator.SendBack(w, r, p["redirect_uri"], url.Values{"code": {code}, "state": {p["state"]}})
}

// providerTokens is the token endpoint: the app authenticates with Basic
// client_id:client_secret and posts JSON, for the authorization_code and
// refresh_token grants.
func (s *Server) providerTokens(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	refuse := func(status int, code, msg string) {
		writeJSON(w, status, map[string]string{"error": code, "error_description": msg})
	}
	id, secret, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(id), []byte(s.prov.clientID)) != 1 || subtle.ConstantTimeCompare([]byte(secret), []byte(s.prov.secret)) != 1 {
		refuse(http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	var in struct {
		GrantType    string `json:"grant_type"`
		Code         string `json:"code"`
		RedirectURI  string `json:"redirect_uri"`
		RefreshToken string `json:"refresh_token"`
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" || json.NewDecoder(r.Body).Decode(&in) != nil {
		refuse(http.StatusBadRequest, "invalid_request", "a JSON body is required")
		return
	}
	now := s.now()
	p := &s.prov
	p.mu.Lock()
	defer p.mu.Unlock()
	switch in.GrantType {
	case "authorization_code":
		c, found := p.codes[in.Code]
		delete(p.codes, in.Code)
		if !found || !now.Before(c.expires) || c.redirect != in.RedirectURI {
			refuse(http.StatusBadRequest, "invalid_grant", "the code is invalid, expired or for another redirect_uri")
			return
		}
	case "refresh_token":
		exp, found := p.refresh[in.RefreshToken]
		delete(p.refresh, in.RefreshToken)
		if !found || !now.Before(exp) {
			refuse(http.StatusBadRequest, "invalid_grant", "the refresh token is invalid or expired")
			return
		}
	default:
		refuse(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
		return
	}
	if p.access == nil {
		p.access, p.refresh = map[string]time.Time{}, map[string]time.Time{}
	}
	access, refresh := "sqsp_oauth_"+rand.Text(), "sqsp_refresh_"+rand.Text()
	p.access[access], p.refresh[refresh] = now.Add(accessTTL), now.Add(refreshTTL)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "bearer", "access_token": access, "refresh_token": refresh,
		"access_token_expires_at":  float64(now.Add(accessTTL).UnixMilli()) / 1000,
		"refresh_token_expires_at": float64(now.Add(refreshTTL).UnixMilli()) / 1000,
	})
}

// issued reports whether tok is a live access token the provider issued.
func (s *Server) issued(tok string, now time.Time) bool {
	s.prov.mu.Lock()
	defer s.prov.mu.Unlock()
	exp, ok := s.prov.access[tok]
	return ok && now.Before(exp)
}

// RevokeTokens plays the site owner disconnecting the app: every token
// the provider issued stops working.
func (s *Server) RevokeTokens() {
	s.prov.mu.Lock()
	defer s.prov.mu.Unlock()
	s.prov.access, s.prov.refresh = nil, nil
}

// RemoveApp is the site owner uninstalling the extension: its tokens stop
// working, and extension.uninstall, with the extension's client id, goes
// to the site's subscriptions to it (Squarespace's only notice).
func (s *Server) RemoveApp() {
	s.RevokeTokens()
	s.prov.mu.Lock()
	client := s.prov.clientID
	s.prov.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.send(topicExtensionUninstall, notificationData{ClientID: client}, s.stamp())
}
