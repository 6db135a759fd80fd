package cart

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Connect is how a merchant connects a channel through the cart's own
// authorization (an OAuth consent page, a key-generation page) instead of
// pasting tokens. A driver's Connect is nil when the cart cannot be
// connected that way yet.
type Connect struct {
	// Fields are what the merchant enters before being sent to the cart
	// (the shop's domain, the store's address), each checked by Check.
	Fields []Field
	// AuthorizeURL is the cart's consent page for req.
	AuthorizeURL func(req ConnectRequest) (string, error)
	// State reads the state Autosync sent from the cart's callback,
	// without trusting anything else in it yet ("" when there is none).
	State func(cb Callback) string
	// Exchange verifies the callback as the cart signs it (refusing with
	// ErrCallback) and turns it into the channel's config and credentials:
	// an authorization code exchanged for a token, or keys the cart posted.
	// req is the request the state was issued for. A GET callback comes
	// from the merchant's browser and is answered with a redirect to the
	// page; a POST comes from the cart itself (WooCommerce posts the keys
	// it made) and is answered with JSON.
	Exchange func(ctx context.Context, cb Callback, req ConnectRequest, client *http.Client) (Config, Credentials, error)
	// Notice verifies an app-level notification the cart sends (an
	// uninstall, a compliance request) and says what it is; nil for a cart
	// that sends none. It returns ErrWebhookSignature for a bad signature.
	Notice func(h http.Header, body []byte, app App) (Notice, error)
	// StoreKey is the config key naming the store a notice is about
	// (Shopify's "shop"), so a notice finds its channels.
	StoreKey string
	// AppCredentials: the cart grants access to a registered app, so its
	// client id and secret must be configured before merchants can
	// connect. False for a cart whose stores make keys for any app that
	// asks (WooCommerce).
	AppCredentials bool
	// StateCookie: the cart's callback carries no state of Autosync's
	// (BigCommerce's app install), so the state travels in a short-lived
	// cookie set on the merchant's browser when the connect starts and
	// read back on the callback; State is then unused.
	StateCookie bool
}

// Field is one value the merchant enters to connect a cart.
type Field struct {
	Name  string // the request's JSON key ("shop_domain")
	Label string
	// Check returns a merchant-readable problem, "" when v is acceptable.
	// It may normalise (trim, lower-case) through the returned value.
	Check func(v string) (string, string)
}

// App is Autosync's app registered with the cart: its client id and
// secret from configuration, and, only in make dev and tests, the loopback
// address of a simulator that stands for every store of the cart.
type App struct {
	ClientID     string
	ClientSecret string
	APIBase      string
	// AppID is the app's own id where the cart names it apart from its
	// OAuth client (Amazon's SP-API application id, in the consent URL).
	AppID string
}

// Base is the simulator's address (APIBase, without a trailing slash) in
// make dev and tests, and live, the cart's own, otherwise.
func (a App) Base(live string) string {
	if a.APIBase != "" {
		return strings.TrimRight(a.APIBase, "/")
	}
	return live
}

// ConnectRequest is one authorization Autosync starts.
type ConnectRequest struct {
	// Fields are the merchant's values, as Check returned them.
	Fields map[string]string
	// State is the single-use value the cart sends back.
	State string
	// CallbackURL is Autosync's callback for the cart (/oauth/{cart}/callback).
	CallbackURL string
	// ReturnURL is where the cart sends the merchant's browser when it
	// calls back server to server.
	ReturnURL string
	App       App
}

// Callback is the cart's call to Autosync's callback.
type Callback struct {
	Method string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// ErrCallback is a callback that is not the cart's (bad signature, the
// wrong store, missing values).
var ErrCallback = errors.New("callback refused")

// NoticeKind is what an app-level notification asks.
type NoticeKind string

const (
	// NoticeUninstalled: the merchant removed the app or revoked its
	// access; the store's channels are disconnected.
	NoticeUninstalled NoticeKind = "uninstalled"
	// NoticeCompliance: a privacy request (Shopify's customers/data_request,
	// customers/redact, shop/redact). Autosync stores no customer data
	// beyond orders' lines, so it is acknowledged.
	NoticeCompliance NoticeKind = "compliance"
	// NoticeOther: anything else, acknowledged and ignored.
	NoticeOther NoticeKind = "other"
	// NoticeOpened: the merchant opened the app from the cart's control
	// panel (BigCommerce's load callback); their browser is sent to the
	// page.
	NoticeOpened NoticeKind = "opened"
)

// Notice is a verified app-level notification.
type Notice struct {
	Kind NoticeKind
	// Store is the value of the driver's Connect.StoreKey it is about.
	Store string
	// Topic is the cart's name for it, for logs.
	Topic string
}

// NoticeCallbackHeader names, on a notice a cart sent to a named callback
// URL (GET /oauth/{cart}/events/{callback}), which callback it was: set by
// Autosync's router from the URL, never taken from the caller.
const NoticeCallbackHeader = "X-Autosync-Callback"

// BaseURL reads a connector's base URL setting (a simulator's, in tests):
// an absolute http(s) URL with a host and no user info, query or fragment,
// where credentials sent to it stay in headers. ok is false for anything
// else.
func BaseURL(raw string) (u *url.URL, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, false
	}
	return u, true
}

// HTTPSBaseURL is BaseURL for a cart that takes credentials over https
// only: http is refused unless the host is a loopback address (a
// simulator's). The error says which rule raw breaks, after its name.
func HTTPSBaseURL(raw string) (*url.URL, error) {
	u, ok := BaseURL(raw)
	switch {
	case !ok:
		return nil, errors.New("is not an http(s) URL without user info, query or fragment")
	case u.Scheme == "http" && !IsLoopback(u.Hostname()):
		return nil, errors.New("must use https (plain http only to a loopback host)")
	}
	return u, nil
}
