package woocommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/autosync/autosync/shared/cart"
)

// connect is WooCommerce's app authentication endpoint
// (/wc-auth/v1/authorize): the store's admin approves, and the store posts
// REST API keys it generated to our callback_url, with our state as
// user_id, then sends the browser to return_url.
var connect = &cart.Connect{
	Fields: []cart.Field{{
		Name: "store_url", Label: "Store address (https://shop.example.com)",
		Check: checkStoreURL,
	}},
	AuthorizeURL: authorizeURL,
	State: func(cb cart.Callback) string {
		var b struct {
			UserID json.RawMessage `json:"user_id"`
		}
		if cb.Method != http.MethodPost || json.Unmarshal(cb.Body, &b) != nil {
			return ""
		}
		// WooCommerce posts user_id back as it was sent, a string.
		var s string
		if json.Unmarshal(b.UserID, &s) != nil {
			return ""
		}
		return s
	},
	Exchange: exchangeKeys,
	StoreKey: "store_url",
}

func checkStoreURL(v string) (string, string) {
	const msg = "Enter the store's https address, like https://shop.example.com."
	v = strings.TrimSpace(v)
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || len(v) > 256 {
		return "", msg
	}
	return "https://" + strings.ToLower(u.Host) + strings.TrimRight(u.Path, "/"), ""
}

func authorizeURL(req cart.ConnectRequest) (string, error) {
	base, msg := checkStoreURL(req.Fields["store_url"])
	if msg != "" {
		return "", fmt.Errorf("store url %q", req.Fields["store_url"])
	}
	base = req.App.Base(base)
	name := req.App.ClientID
	if name == "" {
		name = "Autosync"
	}
	q := url.Values{
		"app_name":     {name},
		"scope":        {"read_write"},
		"user_id":      {req.State},
		"return_url":   {req.ReturnURL},
		"callback_url": {req.CallbackURL},
	}
	return base + "/wc-auth/v1/authorize?" + q.Encode(), nil
}

// exchangeKeys reads the keys the store posted. WooCommerce signs nothing:
// the single-use state (user_id) is what binds the keys to the merchant's
// request, and the keys are proven by a read before they are kept.
func exchangeKeys(_ context.Context, cb cart.Callback, req cart.ConnectRequest, _ *http.Client) (cart.Config, cart.Credentials, error) {
	var b struct {
		ConsumerKey    string `json:"consumer_key"`
		ConsumerSecret string `json:"consumer_secret"`
		KeyPermissions string `json:"key_permissions"`
	}
	if err := json.Unmarshal(cb.Body, &b); err != nil {
		return nil, nil, fmt.Errorf("woocommerce keys body: %w", cart.ErrCallback)
	}
	if b.KeyPermissions != "read_write" {
		return nil, nil, fmt.Errorf("woocommerce keys with %q permissions: %w", b.KeyPermissions, cart.ErrCallback)
	}
	if !strings.HasPrefix(b.ConsumerKey, "ck_") || !strings.HasPrefix(b.ConsumerSecret, "cs_") || len(b.ConsumerKey) > 128 || len(b.ConsumerSecret) > 128 {
		return nil, nil, fmt.Errorf("woocommerce keys malformed: %w", cart.ErrCallback)
	}
	return cart.Config{"store_url": req.Fields["store_url"]},
		cart.Credentials{"consumer_key": b.ConsumerKey, "consumer_secret": b.ConsumerSecret}, nil
}
