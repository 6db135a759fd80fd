package etsy

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// Scopes are what the app asks the shop owner for: listings to import
// products and write stock, receipts to import orders, the shop to find it.
const Scopes = "listings_r listings_w transactions_r shops_r"

// AuthorizeURL is Etsy's consent page (developers.etsy.com, Authentication).
const AuthorizeURL = "https://www.etsy.com/oauth/connect"

// connect is Etsy's OAuth 2.0 authorization code grant with PKCE (S256).
// The shop is the authorizing user's: nothing is asked of the merchant.
var connect = &cart.Connect{
	AuthorizeURL: authorizeURL,
	State:        func(cb cart.Callback) string { return cb.Query.Get("state") },
	Exchange:     exchangeCode,
	StoreKey:     "shop_id",
	// Etsy grants to the app registered in Your Apps (keystring and
	// shared secret).
	AppCredentials: true,
}

// CodeVerifier is the PKCE verifier of the authorization that carries
// state: derived on our side from the app's shared secret and the
// single-use state, so it never leaves the server except to Etsy's token
// endpoint, and needs no storage beside the state. 43 base64url
// characters, the shortest RFC 7636 allows, from 256 bits.
func CodeVerifier(sharedSecret, state string) string {
	return base64.RawURLEncoding.EncodeToString(cart.HMACSHA256([]byte(sharedSecret), []byte("etsy-pkce:"+state)))
}

// CodeChallenge is RFC 7636's S256 challenge of a verifier.
func CodeChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func authorizeURL(req cart.ConnectRequest) (string, error) {
	if req.App.ClientID == "" || req.State == "" {
		return "", fmt.Errorf("etsy authorize URL needs the app's keystring and a state")
	}
	base := AuthorizeURL
	if req.App.APIBase != "" {
		base = strings.TrimRight(req.App.APIBase, "/") + "/oauth/connect"
	}
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {req.App.ClientID},
		"redirect_uri":          {req.CallbackURL},
		"scope":                 {Scopes},
		"state":                 {req.State},
		"code_challenge":        {CodeChallenge(CodeVerifier(req.App.ClientSecret, req.State))},
		"code_challenge_method": {"S256"},
	}
	return base + "?" + q.Encode(), nil
}

// exchangeCode trades the code and verifier for the owner's tokens, then
// finds the shop with getMe.
func exchangeCode(ctx context.Context, cb cart.Callback, req cart.ConnectRequest, client *http.Client) (cart.Config, cart.Credentials, error) {
	q := cb.Query
	if q.Get("error") != "" {
		return nil, nil, fmt.Errorf("etsy authorization declined: %w", cart.ErrCallback)
	}
	code, state := q.Get("code"), q.Get("state")
	if code == "" || len(code) > 512 || state == "" {
		return nil, nil, fmt.Errorf("etsy callback without a code: %w", cart.ErrCallback)
	}
	if client == nil {
		client = &http.Client{Timeout: 20 * time.Second}
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {req.App.ClientID},
		"redirect_uri":  {req.CallbackURL},
		"code":          {code},
		"code_verifier": {CodeVerifier(req.App.ClientSecret, state)},
	}
	// A used code or a wrong verifier is refused with 400 invalid_grant.
	raw, err := cart.PostCode(ctx, client, "Etsy", req.App.Base(DefaultBaseURL)+tokenPath, "application/x-www-form-urlencoded", []byte(form.Encode()), func(hr *http.Request) {
		hr.Header.Set("x-api-key", req.App.ClientID+":"+req.App.ClientSecret)
	})
	if err != nil {
		return nil, nil, err
	}
	t, _, ok := parseTokens(raw, time.Now())
	if !ok || t.Refresh == "" {
		return nil, nil, fmt.Errorf("etsy token response without tokens: %w", cart.ErrCallback)
	}
	shop, err := shopOf(ctx, client, req.App, t.Access)
	if err != nil {
		return nil, nil, err
	}
	creds := cart.Credentials{"api_key": req.App.ClientID, "shared_secret": req.App.ClientSecret, "token": t.Access, "refresh_token": t.Refresh}
	if !t.Expiry.IsZero() {
		creds["token_expiry"] = t.Expiry.UTC().Format(time.RFC3339)
	}
	return cart.Config{"shop_id": shop}, creds, nil
}

// shopOf is the authorizing user's shop, from getMe (GET /users/me).
func shopOf(ctx context.Context, client *http.Client, app cart.App, access string) (string, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, app.Base(DefaultBaseURL)+APIPath+"/users/me", nil)
	if err != nil {
		return "", err
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("x-api-key", app.ClientID+":"+app.ClientSecret)
	hr.Header.Set("Authorization", "Bearer "+access)
	resp, err := client.Do(hr)
	if err != nil {
		return "", fmt.Errorf("etsy getMe: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return "", fmt.Errorf("read etsy getMe: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", &cart.Error{Status: resp.StatusCode, Temporary: resp.StatusCode >= 500 || resp.StatusCode == 429, Message: "Etsy did not say which shop was authorized; try again."}
	}
	var me struct {
		ShopID json.Number `json:"shop_id"`
	}
	if err := json.Unmarshal(raw, &me); err != nil {
		return "", fmt.Errorf("etsy getMe answer: %w", cart.ErrCallback)
	}
	if _, ok := cart.ParseID(me.ShopID.String()); !ok {
		return "", &cart.Error{Status: http.StatusOK, Message: "The Etsy account that authorized Autosync has no shop."}
	}
	return me.ShopID.String(), nil
}
