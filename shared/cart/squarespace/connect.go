package squarespace

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// Squarespace's OAuth provider (developers.squarespace.com, "Accessing
// Squarespace APIs using OAuth 2.0").
const (
	ProviderBase  = "https://login.squarespace.com"
	authorizePath = "/api/1/login/oauth/provider/authorize"
	tokensPath    = "/api/1/login/oauth/provider/tokens"
)

// Scopes the app asks for, comma separated as Squarespace takes them:
// orders to import them (and subscribe to their notifications),
// inventory to write stock, products to import the catalog.
const Scopes = "website.orders.read,website.inventory,website.products.read"

// connect is Squarespace's authorization code grant with offline access
// (a refresh token); the access token is the channel's bearer credential,
// which the Webhook Subscriptions API requires.
var connect = &cart.Connect{
	AuthorizeURL: authorizeURL,
	State:        func(cb cart.Callback) string { return cb.Query.Get("state") },
	Exchange:     exchangeCode,
	// Squarespace grants to the OAuth client registered in Developer Apps.
	AppCredentials: true,
	// The website the token belongs to (GET /1.0/authorization/website):
	// a site connected twice is one channel, and a re-authorization must
	// come back with the same site.
	StoreKey: "website_id",
}

// sitePath is the Authorization API's "Retrieve basic site information".
const sitePath = "/1.0/authorization/website"

func authorizeURL(req cart.ConnectRequest) (string, error) {
	if req.App.ClientID == "" || req.State == "" {
		return "", fmt.Errorf("squarespace authorize URL needs the app's client id and a state")
	}
	q := url.Values{
		"client_id":    {req.App.ClientID},
		"redirect_uri": {req.CallbackURL},
		"scope":        {Scopes},
		"state":        {req.State},
		"access_type":  {"offline"},
	}
	return req.App.Base(ProviderBase) + authorizePath + "?" + q.Encode(), nil
}

// exchangeCode trades the code for tokens at the provider, the app
// authenticating with HTTP Basic.
func exchangeCode(ctx context.Context, cb cart.Callback, req cart.ConnectRequest, client *http.Client) (cart.Config, cart.Credentials, error) {
	q := cb.Query
	code := q.Get("code")
	if q.Get("error") != "" || code == "" || len(code) > 512 {
		return nil, nil, fmt.Errorf("squarespace callback without a code: %w", cart.ErrCallback)
	}
	body, _ := json.Marshal(map[string]string{"grant_type": "authorization_code", "code": code, "redirect_uri": req.CallbackURL})
	raw, err := cart.PostCode(ctx, client, "Squarespace", req.App.Base(ProviderBase)+tokensPath, "application/json", body, func(hr *http.Request) {
		hr.SetBasicAuth(req.App.ClientID, req.App.ClientSecret)
		hr.Header.Set("User-Agent", DefaultUserAgent)
	})
	if err != nil {
		return nil, nil, err
	}
	creds, ok := parseTokens(raw)
	if !ok {
		return nil, nil, fmt.Errorf("squarespace token response without a token: %w", cart.ErrCallback)
	}
	// The app's client credentials renew the token (refresh.go).
	creds["client_id"], creds["client_secret"] = req.App.ClientID, req.App.ClientSecret
	site, err := websiteID(ctx, client, req.App.Base(DefaultBaseURL)+sitePath, creds["api_key"])
	if err != nil {
		return nil, nil, err
	}
	return cart.Config{"website_id": site}, creds, nil
}

// websiteID asks which website the new token belongs to.
func websiteID(ctx context.Context, client *http.Client, u, token string) (string, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("User-Agent", DefaultUserAgent)
	r.Header.Set("Accept", "application/json")
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(r)
	if err != nil {
		return "", &cart.Error{Temporary: true, Message: "Squarespace did not answer which website the authorization is for; try again"}
	}
	defer resp.Body.Close()
	var v struct {
		ID string `json:"id"`
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &v) != nil || !printable(v.ID) || len(v.ID) > 64 {
		return "", &cart.Error{Status: resp.StatusCode, Message: "Squarespace did not say which website the authorization is for"}
	}
	return v.ID, nil
}

// parseTokens reads the provider's answer into the channel's credentials:
// the access token as api_key (the bearer every request carries), the
// refresh token and the access token's expiry.
func parseTokens(raw []byte) (cart.Credentials, bool) {
	var t struct {
		AccessToken  string  `json:"access_token"`
		RefreshToken string  `json:"refresh_token"`
		ExpiresAt    float64 `json:"access_token_expires_at"`
	}
	if json.Unmarshal(raw, &t) != nil || !printable(t.AccessToken) || (t.RefreshToken != "" && !printable(t.RefreshToken)) {
		return nil, false
	}
	creds := cart.Credentials{"api_key": t.AccessToken}
	if t.RefreshToken != "" {
		creds["refresh_token"] = t.RefreshToken
	}
	if t.ExpiresAt > 0 && t.ExpiresAt < 1e11 && !math.IsNaN(t.ExpiresAt) {
		creds["token_expiry"] = time.UnixMilli(int64(t.ExpiresAt * 1000)).UTC().Format(time.RFC3339)
	}
	return creds, true
}

// printable: a token goes into a header, so printable ASCII, no spaces.
func printable(s string) bool {
	if s == "" || len(s) > 2048 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
