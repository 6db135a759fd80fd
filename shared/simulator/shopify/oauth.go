package shopifysim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/autosync/autosync/shared/simulator"
)

// DefaultClientID is the app's client id when Options names none.
const DefaultClientID = "simulator_client_id"

var shopRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,60}\.myshopify\.com$`)

func (s *Server) oauthRoutes() {
	s.mux.HandleFunc("GET /admin/oauth/authorize", s.authorizePage)
	s.mux.HandleFunc("POST /admin/oauth/authorize", s.authorizeAllow)
	s.mux.HandleFunc("POST /admin/oauth/access_token", s.accessToken)
}

func (s *Server) tokenAccepted(tok string) bool { return s.grants.Accepted(tok, s.token) }

// RevokeTokens makes every access token stop working, as a merchant
// revoking the app's access does.
func (s *Server) RevokeTokens() { s.grants.Revoke() }

func (s *Server) authorizeParams(q url.Values) (map[string]string, string) {
	p := map[string]string{}
	for _, k := range []string{"client_id", "scope", "redirect_uri", "state", "shop"} {
		p[k] = q.Get(k)
	}
	switch {
	case p["client_id"] != s.clientID:
		return nil, "Oauth error invalid_request: The client_id is not an app's."
	case !shopRe.MatchString(p["shop"]):
		return nil, "Oauth error invalid_request: The shop is not a myshopify.com domain."
	case p["state"] == "":
		return nil, "Oauth error invalid_request: state is required."
	}
	if !simulator.WebURL(p["redirect_uri"]) {
		return nil, "Oauth error invalid_request: The redirect_uri is not a URL."
	}
	return p, ""
}

// authorizePage is the consent screen: a plain form with an Allow button.
func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request) {
	simulator.ServeConsent(w, r, s.authorizeParams, func(p map[string]string) simulator.Consent {
		return simulator.Consent{Title: "Install app", Heading: "Install app on " + p["shop"], Detail: "The app asks for: " + p["scope"],
			Action: "/admin/oauth/authorize", Hidden: p, Button: "Allow"}
	})
}

// authorizeAllow grants: a code, and the browser sent to redirect_uri with
// the query Shopify signs.
func (s *Server) authorizeAllow(w http.ResponseWriter, r *http.Request) {
	p, ok := simulator.Consented(w, r, s.authorizeParams)
	if !ok {
		return
	}
	code := s.grants.Code(p["shop"])
	q := url.Values{
		"code": {code}, "shop": {p["shop"]}, "state": {p["state"]},
		"timestamp": {strconv.FormatInt(s.now().Unix(), 10)},
		"host":      {base64.RawStdEncoding.EncodeToString([]byte(p["shop"] + "/admin"))},
	}
	q.Set("hmac", s.SignQuery(q))
	u, _ := url.Parse(p["redirect_uri"])
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// SignQuery is the hmac Shopify adds to a callback: hex HMAC-SHA256 with
// the app's secret of the other parameters sorted, name=value joined by &.
func (s *Server) SignQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "hmac" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strings.Join(q[k], ",")
	}
	m := hmac.New(sha256.New, s.clientSecret)
	m.Write([]byte(strings.Join(parts, "&")))
	return hex.EncodeToString(m.Sum(nil))
}

// accessToken exchanges a code, once, for an offline access token.
func (s *Server) accessToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	var in struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Code         string `json:"code"`
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
			return
		}
	} else {
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
			return
		}
		in.ClientID, in.ClientSecret, in.Code = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), r.PostForm.Get("code")
	}
	if in.ClientID != s.clientID || !hmac.Equal([]byte(in.ClientSecret), s.clientSecret) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client"})
		return
	}
	tok, _, ok := s.grants.Redeem(in.Code, "shpat_")
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "The authorization code was not found or was already used"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"access_token": tok, "scope": "read_orders,read_products,read_inventory,write_inventory,read_locations"})
}

// Uninstall removes the app from the shop as a merchant does: every token
// stops working and the app/uninstalled webhook is sent to url, signed
// with the app's secret. It returns the status the app answered.
func (s *Server) Uninstall(ctx context.Context, client *http.Client, target, shop string) (int, error) {
	s.RevokeTokens()
	// Shopify deletes the app's webhook subscriptions with it.
	s.hooks.mu.Lock()
	s.hooks.subs = nil
	s.hooks.mu.Unlock()
	return s.SendAppWebhook(ctx, client, target, "app/uninstalled", shop, map[string]any{"id": 1, "domain": shop, "myshopify_domain": shop})
}

// SendAppWebhook posts an app-level webhook (app/uninstalled, the
// compliance topics) signed as Shopify signs them.
func (s *Server) SendAppWebhook(ctx context.Context, client *http.Client, target, topic, shop string, payload any) (int, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	m := hmac.New(sha256.New, s.clientSecret)
	m.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Shop-Domain", shop)
	req.Header.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	req.Header.Set("X-Shopify-Webhook-Id", simulator.Random(8))
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("send %s: %w", topic, err)
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
