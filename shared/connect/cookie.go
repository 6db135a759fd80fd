package connect

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
)

// ErrNoState: the callback came without the state cookie, so it was not
// started from Autosync's Add channel in this browser (the merchant
// installed the app from the cart's marketplace, the cookie expired, or
// someone else started it).
var ErrNoState = errors.New("callback without an authorization started here")

// ErrOtherBrowser: the callback names a state its browser's cookie does
// not carry: the authorization was started in another browser (whoever
// started it sent the cart's link to someone else), so completing it here
// would connect this store to the starter's account.
var ErrOtherBrowser = errors.New("authorization started in another browser")

// stateCookieName is the state cookie's name: __Host- prefixed (Secure,
// no Domain, so no sibling host can plant it) when Autosync is served over
// https; the plain name only on a loopback http address (make dev), where
// browsers refuse Secure cookies.
func (s *Service) stateCookieName() string {
	if strings.HasPrefix(s.BaseURL, "https://") {
		return "__Host-autosync_connect"
	}
	return "autosync_connect"
}

func (s *Service) secure() bool { return strings.HasPrefix(s.BaseURL, "https://") }

// StateCookie is the cookie binding an authorization to the browser that
// starts it, set on the answer to the connect (or re-authorize) call for
// every cart: the callback completes only in a browser carrying it, so a
// link to the cart's consent page sent to someone else connects nothing.
// For a cart whose callback carries no state (cart.Connect.StateCookie) it
// is also how the callback finds its state. It lives as long as the state,
// SameSite=Lax so it rides the cart's top-level redirect back. __Host-
// cookies must have Path=/, so over https the path is / and the prefix's
// guarantees win; locally the path narrows it to the cart's callback and
// return. nil for a cart that cannot be connected.
func (s *Service) StateCookie(c catalog.Cart, state string) *http.Cookie {
	if _, ok := lookupConnect(c); !ok {
		return nil
	}
	ck := &http.Cookie{Name: s.stateCookieName(), Value: state, Path: "/oauth/" + string(c),
		MaxAge: int(StateTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure()}
	if ck.Secure {
		ck.Path = "/"
	}
	if state == "" {
		ck.MaxAge = -1
	}
	return ck
}

// ClearStateCookie removes the state cookie once its callback came.
func (s *Service) ClearStateCookie(c catalog.Cart) *http.Cookie { return s.StateCookie(c, "") }

// browserState is the state the request's cookie carries, "" for none.
func (s *Service) browserState(h http.Header) string {
	r := http.Request{Header: h}
	ck, err := r.Cookie(s.stateCookieName())
	if err != nil {
		return ""
	}
	return ck.Value
}

// callbackState reads the state of a callback: the cart's own, or, for a
// cart whose callback carries none, the state cookie.
func (s *Service) callbackState(_ context.Context, cn *cart.Connect, cb cart.Callback) (string, error) {
	if !cn.StateCookie {
		return cn.State(cb), nil
	}
	if v := s.browserState(cb.Header); v != "" {
		return v, nil
	}
	return "", ErrNoState
}

// sameBrowser refuses a state the request's cookie does not carry, before
// the state is read or consumed: a browser that did not start the
// authorization can neither complete it nor spend it.
// A request naming no state is one no browser started either (and its
// answer keeps the cookie of whatever authorization is under way).
func (s *Service) sameBrowser(h http.Header, state string) error {
	ck := s.browserState(h)
	if ck == "" || state == "" {
		return ErrNoState
	}
	if subtle.ConstantTimeCompare([]byte(ck), []byte(state)) != 1 {
		return ErrOtherBrowser
	}
	return nil
}

func lookupConnect(c catalog.Cart) (*cart.Connect, bool) {
	d, ok := carts.Lookup(c)
	if !ok || d.Connect == nil {
		return nil, false
	}
	return d.Connect, true
}

// Connectable says whether merchants can connect c here: the cart has a
// Connect and, when it grants to a registered app, the app is configured.
func (s *Service) Connectable(ctx context.Context, c catalog.Cart) bool {
	_, _, err := s.connectOf(ctx, c)
	return err == nil
}
