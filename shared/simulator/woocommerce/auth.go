package woocommercesim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/simulator"
)

// keyring holds the REST API keys the app authentication endpoint
// generated, beside the configured pair, and whether those were revoked.
type keyring struct {
	mu      sync.Mutex
	issued  map[string]apiKey // by consumer key
	revoked bool
	next    int
}

// apiKey is one row of woocommerce_api_keys: its secret and permissions.
type apiKey struct {
	secret      string
	permissions string // read, write or read_write
}

// Key permissions, as WooCommerce stores them (and wc-auth's scope names
// them).
const (
	PermRead      = "read"
	PermWrite     = "write"
	PermReadWrite = "read_write"
)

func (s *Server) authRoutes() {
	s.mux.HandleFunc("GET /wc-auth/v1/authorize", s.authPage)
	s.mux.HandleFunc("POST /wc-auth/v1/authorize", s.authApprove)
}

// lookupKey reports whether the store has key, whether secret is its
// secret, and the key's permissions.
func (s *Server) lookupKey(key, secret string) (known, secretOK bool, permissions string) {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	if !s.keys.revoked && subtle.ConstantTimeCompare([]byte(key), s.key) == 1 {
		return true, subtle.ConstantTimeCompare([]byte(secret), s.secret) == 1, s.perms
	}
	k, ok := s.keys.issued[key]
	return ok, ok && subtle.ConstantTimeCompare([]byte(secret), []byte(k.secret)) == 1, k.permissions
}

// RevokeKeys deletes every REST API key, as a store admin revoking the
// app's access under WooCommerce > Settings > Advanced > REST API does.
func (s *Server) RevokeKeys() {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	s.keys.revoked = true
	s.keys.issued = nil
}

func authParams(q url.Values) (map[string]string, string) {
	p := map[string]string{}
	for _, k := range []string{"app_name", "scope", "user_id", "return_url", "callback_url"} {
		p[k] = q.Get(k)
		if p[k] == "" {
			return nil, "Missing parameter " + k
		}
	}
	if p["scope"] != "read" && p["scope"] != "write" && p["scope"] != "read_write" {
		return nil, "Invalid scope " + p["scope"]
	}
	for _, k := range []string{"return_url", "callback_url"} {
		if !simulator.WebURL(p[k]) {
			return nil, "The " + k + " is not a valid URL"
		}
	}
	return p, ""
}

func (s *Server) authPage(w http.ResponseWriter, r *http.Request) {
	simulator.ServeConsent(w, r, authParams, func(p map[string]string) simulator.Consent {
		return simulator.Consent{Title: p["app_name"] + " would like to connect to your store", Heading: p["app_name"] + " would like to Read/Write access",
			Action: "/wc-auth/v1/authorize", Hidden: p, Button: "Allow"}
	})
}

// authApprove generates keys, posts them to callback_url and, when the
// app accepted them, sends the browser to return_url.
func (s *Server) authApprove(w http.ResponseWriter, r *http.Request) {
	p, ok := simulator.Consented(w, r, authParams)
	if !ok {
		return
	}
	key, secret := "ck_"+randomHex(20), "cs_"+randomHex(20)
	s.keys.mu.Lock()
	if s.keys.issued == nil {
		s.keys.issued = map[string]apiKey{}
	}
	s.keys.issued[key] = apiKey{secret: secret, permissions: p["scope"]}
	s.keys.next++
	keyID := s.keys.next
	s.keys.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"key_id": keyID, "user_id": p["user_id"], "consumer_key": key,
		"consumer_secret": secret, "key_permissions": p["scope"]})
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p["callback_url"], bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		// WC_Auth: the keys are deleted when the app refuses them.
		s.keys.mu.Lock()
		delete(s.keys.issued, key)
		s.keys.mu.Unlock()
		http.Error(w, "Error: An error occurred in the request and at the time were unable to send the consumer data", http.StatusUnauthorized)
		return
	}
	simulator.SendBack(w, r, p["return_url"], url.Values{"success": {"1"}, "user_id": {p["user_id"]}})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RemoveApp is the store owner revoking the app's API keys (WooCommerce →
// Settings → Advanced → REST API); WooCommerce tells the app nothing.
func (s *Server) RemoveApp() { s.RevokeKeys() }
