package amazonsim

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
)

// maxFormBody bounds a token request.
const maxFormBody = 64 << 10

// lwaError answers as Login with Amazon does: {"error","error_description"}.
func lwaError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// lwaToken is POST /auth/o2/token (Login with Amazon): the refresh-token
// grant, and the authorization_code grant of the website authorization
// workflow (codeGrant).
func (s *Server) lwaToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.TokenRequests++
	fault := s.faults.LWAErrors > 0
	if fault {
		s.faults.LWAErrors--
		s.stats.Faults.LWAErrors++
	}
	s.mu.Unlock()
	if fault {
		lwaError(w, http.StatusInternalServerError, "server_error", "The authorization server encountered an unexpected error.")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		lwaError(w, http.StatusBadRequest, "invalid_request", "The request is missing a required parameter or is otherwise malformed.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		lwaError(w, http.StatusBadRequest, "invalid_request", "The request is missing a required parameter or is otherwise malformed.")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "refresh_token" && f.Get("grant_type") != "authorization_code" {
		lwaError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	if !same(f.Get("client_id"), s.opts.ClientID) || !same(f.Get("client_secret"), s.opts.ClientSecret) {
		lwaError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	if f.Get("grant_type") == "authorization_code" {
		s.codeGrant(w, f)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refresh == "" || !same(f.Get("refresh_token"), s.refresh) {
		lwaError(w, http.StatusBadRequest, "invalid_grant", "The request has an invalid grant parameter : refresh_token")
		return
	}
	now := s.now()
	for k, exp := range s.access {
		if !now.Before(exp) {
			delete(s.access, k)
		}
	}
	tok := "Atza|" + strings.ReplaceAll(s.uuid(), "-", "") + strconv.FormatUint(s.rnd.Uint64(), 36)
	s.access[tok] = now.Add(s.opts.AccessTokenTTL)
	s.stats.TokensIssued++
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  tok,
		"refresh_token": s.refresh,
		"token_type":    "bearer",
		"expires_in":    int(s.opts.AccessTokenTTL.Seconds()),
	})
}

func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
