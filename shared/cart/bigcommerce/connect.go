package bigcommerce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/autosync/autosync/shared/cart"
)

// Scopes are the OAuth scopes the app is registered with: orders and
// products to import, inventory to write stock, webhooks to subscribe.
const Scopes = "store_v2_orders_read_only store_v2_products_read_only store_inventory store_v2_information_read_only"

// LoginBase is BigCommerce's login service: the app's install page and the
// token endpoint.
const LoginBase = "https://login.bigcommerce.com"

// connect is BigCommerce's single-click app install: the merchant installs
// the app from its install page, BigCommerce calls the auth callback with
// code, scope and context=stores/{hash}, and the code is exchanged for a
// non-expiring store token. The install carries no state of Autosync's, so
// the state rides in a cookie (StateCookie).
var connect = &cart.Connect{
	AuthorizeURL: func(req cart.ConnectRequest) (string, error) {
		if req.App.ClientID == "" || strings.ContainsAny(req.App.ClientID, "/?#") {
			return "", fmt.Errorf("client id %q", req.App.ClientID)
		}
		u := req.App.Base(LoginBase) + "/app/" + url.PathEscape(req.App.ClientID) + "/install"
		if req.App.APIBase != "" {
			// The simulator stands for every app registration, so it is
			// told the auth callback BigCommerce reads from the app's.
			u += "?" + url.Values{"redirect_uri": {req.CallbackURL}}.Encode()
		}
		return u, nil
	},
	Exchange:       exchangeCode,
	Notice:         notice,
	StoreKey:       "store_hash",
	AppCredentials: true,
	StateCookie:    true,
}

// storeOfContext reads "stores/{hash}".
func storeOfContext(c string) (string, bool) {
	h, ok := strings.CutPrefix(c, "stores/")
	return h, ok && storeHash.MatchString(h)
}

func exchangeCode(ctx context.Context, cb cart.Callback, req cart.ConnectRequest, client *http.Client) (cart.Config, cart.Credentials, error) {
	q := cb.Query
	code, scope := q.Get("code"), q.Get("scope")
	hash, ok := storeOfContext(q.Get("context"))
	if !ok {
		return nil, nil, fmt.Errorf("bigcommerce callback context %q: %w", q.Get("context"), cart.ErrCallback)
	}
	if code == "" || len(code) > 256 || len(scope) > 2048 {
		return nil, nil, fmt.Errorf("bigcommerce callback without a code: %w", cart.ErrCallback)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Context     string `json:"context"`
	}
	// A used, expired or foreign code is refused with a 4xx.
	if err := cart.PostCodeJSON(ctx, client, "BigCommerce", req.App.Base(LoginBase)+"/oauth2/token", map[string]string{
		"client_id": req.App.ClientID, "client_secret": req.App.ClientSecret, "code": code, "scope": scope,
		"grant_type": "authorization_code", "redirect_uri": req.CallbackURL, "context": "stores/" + hash,
	}, &tok); err != nil {
		return nil, nil, err
	}
	if tok.AccessToken == "" {
		return nil, nil, fmt.Errorf("bigcommerce token response without a token: %w", cart.ErrCallback)
	}
	if got, ok := storeOfContext(tok.Context); !ok || got != hash {
		return nil, nil, fmt.Errorf("bigcommerce token for another store: %w", cart.ErrCallback)
	}
	return cart.Config{"store_hash": hash},
		// client_secret: the app's secret BigCommerce signs webhooks with.
		cart.Credentials{"access_token": tok.AccessToken, "client_secret": req.App.ClientSecret}, nil
}

// payloadLeeway tolerates clock skew on the signed payload's times.
const payloadLeeway = time.Minute

// VerifyPayload checks a signed_payload_jwt as BigCommerce signs the load,
// uninstall and remove-user callbacks: HS256 with the app's client secret,
// aud the client id, iss "bc", not expired, sub stores/{hash}. It returns
// the store hash.
func VerifyPayload(token string, app cart.App, now time.Time) (string, error) {
	if app.ClientSecret == "" || token == "" || len(token) > 8<<10 {
		return "", cart.ErrWebhookSignature
	}
	p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(app.ClientID), jwt.WithIssuer("bc"),
		jwt.WithExpirationRequired(), jwt.WithLeeway(payloadLeeway), jwt.WithTimeFunc(func() time.Time { return now }))
	var claims jwt.RegisteredClaims
	if _, err := p.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return []byte(app.ClientSecret), nil }); err != nil {
		return "", fmt.Errorf("bigcommerce signed payload: %v: %w", err, cart.ErrWebhookSignature)
	}
	hash, ok := storeOfContext(claims.Subject)
	if !ok {
		return "", fmt.Errorf("bigcommerce signed payload sub %q: %w", claims.Subject, cart.ErrWebhookPayload)
	}
	return hash, nil
}

// now is the clock notices are verified with; tests replace it.
var now = time.Now

// notice verifies BigCommerce's load and uninstall callbacks: GET requests
// whose query (the body here) carries signed_payload_jwt; which callback it
// was is the URL's, passed in cart.NoticeCallbackHeader.
func notice(h http.Header, body []byte, app cart.App) (cart.Notice, error) {
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return cart.Notice{}, fmt.Errorf("bigcommerce callback query: %w", cart.ErrWebhookPayload)
	}
	hash, err := VerifyPayload(q.Get("signed_payload_jwt"), app, now())
	if err != nil {
		return cart.Notice{}, err
	}
	n := cart.Notice{Store: hash, Topic: h.Get(cart.NoticeCallbackHeader), Kind: cart.NoticeOther}
	switch n.Topic {
	case "uninstall":
		n.Kind = cart.NoticeUninstalled
	case "load":
		n.Kind = cart.NoticeOpened
	}
	return n, nil
}
