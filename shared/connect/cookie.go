package connect

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
)

// ErrNoState: the callback came without the state cookie, so it was not
// started from Autosync's Add channel (the merchant installed the app from
// the cart's marketplace, or the cookie expired).
var ErrNoState = errors.New("callback without an authorization started here")

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

// StateCookie is the cookie carrying state for a cart whose callback
// carries none (cart.Connect.StateCookie), nil for every other cart. It
// is scoped to the cart's callback and lives as long as the state.
// __Host- cookies must have Path=/, so over https the path is / and the
// prefix's guarantees win; locally the path narrows it to the callback.
func (s *Service) StateCookie(c catalog.Cart, state string) *http.Cookie {
	cn, ok := lookupConnect(c)
	if !ok || !cn.StateCookie {
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

// callbackState reads the state of a callback: the cart's own, or, for a
// cart whose callback carries none, the state cookie.
func (s *Service) callbackState(_ context.Context, cn *cart.Connect, cb cart.Callback) (string, error) {
	if !cn.StateCookie {
		return cn.State(cb), nil
	}
	r := http.Request{Header: cb.Header}
	ck, err := r.Cookie(s.stateCookieName())
	if err != nil || ck.Value == "" {
		return "", ErrNoState
	}
	return ck.Value, nil
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
