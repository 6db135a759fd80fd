package shopify

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/autosync/autosync/shared/cart"
)

// Scopes are the access scopes the app asks for: orders and products to
// import, inventory and locations to write stock.
const Scopes = "read_orders,read_products,read_inventory,write_inventory,read_locations"

// connect is Shopify's authorization-code grant for an app installed on
// one shop, with an offline (non-expiring) access token.
var connect = &cart.Connect{
	Fields: []cart.Field{{
		Name: "shop_domain", Label: "Shop domain (example.myshopify.com)",
		Check: func(v string) (string, string) {
			v = strings.ToLower(strings.TrimSpace(v))
			v = strings.TrimPrefix(strings.TrimPrefix(v, "https://"), "http://")
			v = strings.TrimSuffix(v, "/")
			if !shopDomain.MatchString(v) {
				return "", "Enter the store's myshopify.com domain, like example.myshopify.com."
			}
			return v, ""
		},
	}},
	AuthorizeURL: authorizeURL,
	State:        func(cb cart.Callback) string { return cb.Query.Get("state") },
	Exchange:     exchangeCode,
	Notice:       notice,
	StoreKey:     "shop",
	// Shopify grants to the app registered in the Partner Dashboard.
	AppCredentials: true,
}

func authorizeURL(req cart.ConnectRequest) (string, error) {
	shop := req.Fields["shop_domain"]
	if !shopDomain.MatchString(shop) {
		return "", fmt.Errorf("shop domain %q", shop)
	}
	q := url.Values{
		"client_id":    {req.App.ClientID},
		"scope":        {Scopes},
		"redirect_uri": {req.CallbackURL},
		"state":        {req.State},
	}
	// Offline access: no grant_options[]=per-user.
	return req.App.Base("https://"+shop) + "/admin/oauth/authorize?" + q.Encode() + "&shop=" + url.QueryEscape(shop), nil
}

// CallbackHMAC is Shopify's signature of a callback's query: hex
// HMAC-SHA256, with the app's secret, of the parameters other than hmac
// (and the legacy signature), sorted by name, as name=value joined by &.
func CallbackHMAC(q url.Values, secret string) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "hmac" && k != "signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strings.Join(q[k], ","))
	}
	return hex.EncodeToString(cart.HMACSHA256([]byte(secret), []byte(b.String())))
}

func exchangeCode(ctx context.Context, cb cart.Callback, req cart.ConnectRequest, client *http.Client) (cart.Config, cart.Credentials, error) {
	q := cb.Query
	got, err := hex.DecodeString(q.Get("hmac"))
	want, _ := hex.DecodeString(CallbackHMAC(q, req.App.ClientSecret))
	if err != nil || len(got) == 0 || !hmac.Equal(got, want) {
		return nil, nil, fmt.Errorf("shopify callback hmac: %w", cart.ErrCallback)
	}
	shop := q.Get("shop")
	if !shopDomain.MatchString(shop) || shop != req.Fields["shop_domain"] {
		return nil, nil, fmt.Errorf("shopify callback for another shop: %w", cart.ErrCallback)
	}
	code := q.Get("code")
	if code == "" || len(code) > 256 {
		return nil, nil, fmt.Errorf("shopify callback without a code: %w", cart.ErrCallback)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	// A used or expired code is refused with 400: the grant is not
	// Shopify's any more.
	if err := cart.PostCodeJSON(ctx, client, "Shopify", req.App.Base("https://"+shop)+"/admin/oauth/access_token",
		map[string]string{"client_id": req.App.ClientID, "client_secret": req.App.ClientSecret, "code": code}, &tok); err != nil {
		return nil, nil, err
	}
	if tok.AccessToken == "" {
		return nil, nil, fmt.Errorf("shopify token response without a token: %w", cart.ErrCallback)
	}
	return cart.Config{"shop": shop},
		// client_secret: the app's secret Shopify signs webhooks with.
		cart.Credentials{"access_token": tok.AccessToken, "client_secret": req.App.ClientSecret}, nil
}

// notice verifies an app webhook (app/uninstalled and the mandatory
// compliance topics), signed like every Shopify webhook with the app's
// secret.
func notice(h http.Header, body []byte, app cart.App) (cart.Notice, error) {
	if app.ClientSecret == "" || !cart.EqualBase64(h.Get("X-Shopify-Hmac-Sha256"), cart.HMACSHA256([]byte(app.ClientSecret), body)) {
		return cart.Notice{}, cart.ErrWebhookSignature
	}
	n := cart.Notice{Topic: h.Get("X-Shopify-Topic"), Store: h.Get("X-Shopify-Shop-Domain"), Kind: cart.NoticeOther}
	switch n.Topic {
	case "app/uninstalled":
		n.Kind = cart.NoticeUninstalled
	case "customers/data_request", "customers/redact", "shop/redact":
		n.Kind = cart.NoticeCompliance
	}
	if n.Store != "" && !shopDomain.MatchString(n.Store) {
		return cart.Notice{}, fmt.Errorf("shop %q: %w", n.Store, cart.ErrWebhookPayload)
	}
	return n, nil
}
