package etsysim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// OAuth defaults, used when Options leave a field empty.
const (
	DefaultRefreshToken = "12345678.etsysim_oauth_refresh_token"
	// DefaultAccessTokenTTL is how long an access token works: Etsy's
	// expires_in is 3600.
	DefaultAccessTokenTTL = time.Hour
	// DefaultRefreshTokenTTL is how long a refresh token works, unless a
	// refresh rotates it first: Etsy's are good for 90 days.
	DefaultRefreshTokenTTL = 90 * 24 * time.Hour
)

// tokenPattern is Etsy's OAuth token endpoint.
const tokenPattern = "POST /v3/public/oauth/token"

// oauth is the shop owner's tokens. Access tokens stay good until their
// own expiry even after a refresh issues a newer one; a refresh token
// works once: the refresh that uses it issues the next and retires it.
type oauth struct {
	mu         sync.Mutex
	userID     string               // tokens are "<user_id>.<random>"
	access     map[string]time.Time // access token → expiry (zero: never)
	current    string               // the newest access token
	refresh    string               // the one refresh token that works; "" when revoked
	refreshExp time.Time            // zero: never
	retired    map[string]bool      // refresh tokens used or revoked
	ttl        time.Duration        // access tokens; <= 0 never expire
	refreshTTL time.Duration        // refresh tokens; <= 0 never expire
}

func (o *oauth) init(opts Options, access string, now time.Time) {
	o.ttl, o.refreshTTL = opts.AccessTokenTTL, opts.RefreshTokenTTL
	if o.ttl == 0 {
		o.ttl = DefaultAccessTokenTTL
	}
	if o.refreshTTL == 0 {
		o.refreshTTL = DefaultRefreshTokenTTL
	}
	o.userID, _, _ = strings.Cut(access, ".")
	if o.userID == "" || o.userID == access {
		o.userID, _, _ = strings.Cut(DefaultToken, ".")
	}
	o.access = map[string]time.Time{access: o.expiry(now, o.ttl)}
	o.current = access
	o.refresh = opts.RefreshToken
	if o.refresh == "" {
		o.refresh = DefaultRefreshToken
	}
	o.refreshExp = o.expiry(now, o.refreshTTL)
	o.retired = map[string]bool{}
}

func (o *oauth) expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}

func expired(exp, now time.Time) bool { return !exp.IsZero() && !now.Before(exp) }

// check says whether tok is a live access token: "" when it is, else
// why not, in Etsy's words where known.
func (o *oauth) check(tok string, now time.Time) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, exp := range o.access {
		if subtle.ConstantTimeCompare([]byte(tok), []byte(k)) == 1 {
			if expired(exp, now) {
				return "invalid_token: access token is expired"
			}
			return ""
		}
	}
	return "invalid_token: access token is invalid or expired"
}

func (o *oauth) newToken(kind string) string {
	return o.userID + ".etsysim_" + kind + "_" + rand.Text()
}

// AccessToken returns the newest access token the shop issued.
func (s *Server) AccessToken() string {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	return s.oauth.current
}

// RefreshToken returns the refresh token that works now; "" after
// RevokeRefreshTokens until a refresh token is set again.
func (s *Server) RefreshToken() string {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	return s.oauth.refresh
}

// ExpireAccessTokens makes every access token issued so far expired, as if
// its hour had passed: requests with one get 401 invalid_token.
func (s *Server) ExpireAccessTokens() {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	now := s.now()
	for k, exp := range s.oauth.access {
		if exp.IsZero() || now.Before(exp) {
			s.oauth.access[k] = now
		}
	}
}

// RevokeRefreshTokens revokes the refresh token, as when the shop owner
// revokes the app or changes their password (etsy/open-api#519): a refresh
// is answered 400 invalid_grant. Access tokens keep working until they
// expire.
func (s *Server) RevokeRefreshTokens() {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	if s.oauth.refresh != "" {
		s.oauth.retired[s.oauth.refresh] = true
	}
	s.oauth.refresh = ""
}

// SetRefreshToken makes tok the refresh token that works, as a new
// authorization of the app would, with a full lifetime.
func (s *Server) SetRefreshToken(tok string) {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	delete(s.oauth.retired, tok)
	s.oauth.refresh = tok
	s.oauth.refreshExp = s.oauth.expiry(s.now(), s.oauth.refreshTTL)
}

// maxFormBody bounds a token request.
const maxFormBody = 64 << 10

// oauthError answers as an OAuth server does: {"error","error_description"}.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// oauthToken is POST /v3/public/oauth/token: the authorization_code grant
// (codeGrant) and the refresh_token grant. It
// rotates the refresh token, as Etsy does (etsy/open-api#353). It counts
// against neither rate limit: Etsy does not document that it does.
func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) {
	s.ctl.Lock()
	s.stats.Requests++
	s.stats.ByEndpoint[tokenPattern]++
	fault := s.faults.TokenErrors > 0
	if fault {
		s.faults.TokenErrors--
		s.stats.Faults.TokenErrors++
	}
	s.ctl.Unlock()
	refuse := func(status int, code, description string) {
		s.ctl.Lock()
		s.stats.TokenRefused++
		s.ctl.Unlock()
		oauthError(w, status, code, description)
	}
	if fault {
		// Etsy's token endpoint answers this now and then (#549).
		writeError(w, http.StatusInternalServerError, "Server Error")
		return
	}
	form, ok := readForm(w, r)
	if !ok {
		refuse(http.StatusBadRequest, "invalid_request", "the request must be a form (application/x-www-form-urlencoded) or a JSON object")
		return
	}
	switch {
	case form.Get("grant_type") == "":
		refuse(http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	case form.Get("grant_type") != "refresh_token" && form.Get("grant_type") != "authorization_code":
		refuse(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
		return
	case form.Get("client_id") == "":
		refuse(http.StatusBadRequest, "invalid_request", "client_id is required")
		return
	case subtle.ConstantTimeCompare([]byte(form.Get("client_id")), []byte(s.apiKey)) != 1:
		refuse(http.StatusUnauthorized, "invalid_client", "client_id is not a known API keystring")
		return
	case form.Get("grant_type") == "authorization_code":
		s.codeGrant(w, form, refuse)
		return
	case form.Get("refresh_token") == "":
		refuse(http.StatusBadRequest, "invalid_request", "refresh_token is required")
		return
	}
	tok := form.Get("refresh_token")
	now := s.now()
	o := &s.oauth
	o.mu.Lock()
	switch {
	case o.refresh == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(o.refresh)) != 1:
		desc := "refresh_token is invalid (no such token)"
		if o.retired[tok] {
			desc = "refresh_token is revoked"
		}
		o.mu.Unlock()
		refuse(http.StatusBadRequest, "invalid_grant", desc)
		return
	case expired(o.refreshExp, now):
		o.mu.Unlock()
		refuse(http.StatusBadRequest, "invalid_grant", "refresh_token is expired")
		return
	}
	for k, exp := range o.access {
		if expired(exp, now) {
			delete(o.access, k)
		}
	}
	access, refresh := o.newToken("access"), o.newToken("refresh")
	o.access[access] = o.expiry(now, o.ttl)
	o.current = access
	o.retired[o.refresh] = true
	o.refresh, o.refreshExp = refresh, o.expiry(now, o.refreshTTL)
	ttl := o.ttl
	o.mu.Unlock()

	s.ctl.Lock()
	s.stats.TokenRefreshes++
	s.ctl.Unlock()
	body := map[string]any{"access_token": access, "token_type": "Bearer", "refresh_token": refresh}
	if ttl > 0 {
		body["expires_in"] = int64(ttl / time.Second)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, body)
}

// readForm reads a token request's parameters from a form or, as Etsy
// also accepts (etsy/open-api#549), a JSON object of strings.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBody))
	if err != nil {
		return nil, false
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		v, err := url.ParseQuery(string(raw))
		return v, err == nil
	case "application/json":
		var m map[string]string
		if json.Unmarshal(raw, &m) != nil {
			return nil, false
		}
		v := url.Values{}
		for k, x := range m {
			v.Set(k, x)
		}
		return v, true
	}
	return nil, false
}
