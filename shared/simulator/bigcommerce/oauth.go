package bigcommercesim

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/autosync/autosync/shared/simulator"
)

// Scope is what the simulated app is registered for.
const Scope = "store_v2_orders_read_only store_v2_products_read_only store_inventory store_v2_information_read_only"

func (s *Server) oauthRoutes() {
	s.mux.HandleFunc("GET /app/{client_id}/install", s.installPage)
	s.mux.HandleFunc("POST /app/{client_id}/install", s.installAllow)
	s.mux.HandleFunc("POST /oauth2/token", s.token2)
}

// tokenAccepted says whether tok is a live X-Auth-Token.
func (s *Server) tokenAccepted(tok string) bool { return s.grants.Accepted(tok, s.token) }

// RevokeTokens makes every access token stop working, as removing the app
// from the store does.
func (s *Server) RevokeTokens() { s.grants.Revoke() }

// installParams checks an install for the app r's path names: the app's
// client id, and the app's registered auth callback URL. The real
// BigCommerce knows the callback from the app's registration; the
// simulator stands for every app registration, so the install URL names
// it (redirect_uri).
func (s *Server) installParams(r *http.Request) simulator.Params {
	return func(v url.Values) (map[string]string, string) {
		redirect := v.Get("redirect_uri")
		switch {
		case r.PathValue("client_id") != s.clientID:
			return nil, "This app does not exist."
		case !simulator.WebURL(redirect):
			return nil, "The app has no valid auth callback URL."
		}
		return map[string]string{"redirect_uri": redirect}, ""
	}
}

// installPage is the consent screen: a plain form with an Allow button.
func (s *Server) installPage(w http.ResponseWriter, r *http.Request) {
	simulator.ServeConsent(w, r, s.installParams(r), func(p map[string]string) simulator.Consent {
		return simulator.Consent{Title: "Install app", Heading: "Install app on store " + s.hash, Detail: "The app asks for: " + Scope,
			Hidden: p, Button: "Allow"}
	})
}

// installAllow grants: a code, and the browser sent to the auth callback
// with code, scope and context.
func (s *Server) installAllow(w http.ResponseWriter, r *http.Request) {
	p, ok := simulator.Consented(w, r, s.installParams(r))
	if !ok {
		return
	}
	code := s.grants.Code(s.hash)
	simulator.SendBack(w, r, p["redirect_uri"], url.Values{"code": {code}, "scope": {Scope}, "context": {"stores/" + s.hash}})
}

// token2 exchanges a code, once, for a store access token
// (POST https://login.bigcommerce.com/oauth2/token, JSON or form).
func (s *Server) token2(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	var in struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Code         string `json:"code"`
		Context      string `json:"context"`
		GrantType    string `json:"grant_type"`
		RedirectURI  string `json:"redirect_uri"`
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, "application/json", map[string]string{"error": "invalid_request"})
			return
		}
	} else {
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, "application/json", map[string]string{"error": "invalid_request"})
			return
		}
		f := r.PostForm
		in.ClientID, in.ClientSecret, in.Code, in.Context, in.GrantType, in.RedirectURI = f.Get("client_id"), f.Get("client_secret"), f.Get("code"), f.Get("context"), f.Get("grant_type"), f.Get("redirect_uri")
	}
	if in.ClientID != s.clientID || !hmac.Equal([]byte(in.ClientSecret), s.clientSecret) {
		writeJSON(w, http.StatusUnauthorized, "application/json", map[string]string{"error": "Invalid client id or secret"})
		return
	}
	if in.GrantType != "authorization_code" || in.Context != "stores/"+s.hash || in.RedirectURI == "" {
		writeJSON(w, http.StatusBadRequest, "application/json", map[string]string{"error": "invalid_request"})
		return
	}
	tok, _, ok := s.grants.Redeem(in.Code, "")
	if !ok {
		writeJSON(w, http.StatusBadRequest, "application/json", map[string]string{"error": "Invalid verification code"})
		return
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"access_token": tok, "scope": Scope, "context": "stores/" + s.hash,
		"user":  map[string]any{"id": 1, "username": "merchant", "email": "merchant@example.com"},
		"owner": map[string]any{"id": 1, "username": "merchant", "email": "merchant@example.com"},
	})
}

// SignedPayload is the signed_payload_jwt BigCommerce sends to the load,
// uninstall and remove-user callbacks: HS256 with the app's secret.
func (s *Server) SignedPayload(now time.Time) string {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"aud": s.clientID, "iss": "bc", "iat": now.Unix(), "nbf": now.Unix() - 5, "exp": now.Add(24 * time.Hour).Unix(),
		"jti": simulator.Random(8), "sub": "stores/" + s.hash,
		"user":  map[string]any{"id": 1, "email": "merchant@example.com", "locale": "en-US"},
		"owner": map[string]any{"id": 1, "email": "merchant@example.com"},
		"url":   "/", "channel_id": nil,
	})
	signed, _ := t.SignedString(s.clientSecret)
	return signed
}

// Uninstall removes the app from the store as a merchant does: every token
// stops working, the app's webhooks go with it, and BigCommerce calls the
// app's uninstall callback (GET target/uninstall?signed_payload_jwt=...).
// It returns the status the app answered.
func (s *Server) Uninstall(ctx context.Context, client *http.Client, target, store string) (int, error) {
	if store != s.hash {
		return 0, fmt.Errorf("uninstall from store %q: this is %q", store, s.hash)
	}
	s.RevokeTokens()
	s.hooks.mu.Lock()
	s.hooks.list = nil
	s.hooks.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"/uninstall?"+url.Values{"signed_payload_jwt": {s.SignedPayload(s.now())}}.Encode(), nil)
	if err != nil {
		return 0, err
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("send uninstall callback: %w", err)
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
