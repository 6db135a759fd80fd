package amazon

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// refreshMargin is how long before its expiry an access token is replaced,
// so a request never carries one that expires on the way.
const refreshMargin = time.Minute

// maxTokenResponse bounds an LWA answer.
const maxTokenResponse = 64 << 10

// accessToken returns a live access token, fetching one when the cached
// one is missing or about to expire.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	return c.lwa.Get(c.now(), func() (string, time.Time, error) {
		token, ttl, err := c.fetchToken(ctx)
		// Stop using it shortly before Amazon does.
		return token, c.now().Add(ttl - min(refreshMargin, ttl/2)), err
	})
}

// invalidate drops token from the cache if it is still the current one.
func (c *Client) invalidate(token string) { c.lwa.Drop(token) }

// fetchToken exchanges the refresh token for an access token (cart.Do),
// retrying temporary failures (5xx, 429, no answer). A refused grant or
// client is cart.ErrAuth.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {c.creds.refreshToken},
		"client_id":     {c.creds.clientID},
		"client_secret": {c.creds.clientSecret},
	}
	type grant struct {
		token string
		ttl   time.Duration
	}
	l := c.loop()
	l.Cart, l.MaxResponse = "Login with Amazon", maxTokenResponse
	g, err := cart.Do(ctx, l, cart.Call[grant]{
		Build: func(ctx context.Context, _ cart.Attempt) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.lwaURL, strings.NewReader(form.Encode()))
			if err != nil {
				return nil, fmt.Errorf("building the token request: %w", err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
			req.Header.Set("Accept", "application/json")
			req.Header.Set("User-Agent", userAgent)
			return req, nil
		},
		Classify: func(r *cart.Response) (grant, error) {
			token, ttl, err := lwaAnswer(r.Status, r.Body)
			return grant{token, ttl}, err
		},
	})
	return g.token, g.ttl, err
}

// lwaAnswer reads Login with Amazon's answer: the token and how long it
// lives, a *cart.Temporary, or a *cart.Error.
func lwaAnswer(s int, raw []byte) (string, time.Duration, error) {
	switch {
	case s == http.StatusTooManyRequests || s >= 500:
		return "", 0, &cart.Temporary{Status: s, Message: fmt.Sprintf("Login with Amazon is temporarily unavailable (HTTP %d)", s)}
	case s != http.StatusOK:
		code, desc := parseLWAError(raw)
		msg := fmt.Sprintf("Login with Amazon answered HTTP %d", s)
		if code != "" {
			msg = cart.Reason("Login with Amazon refused the authorization ("+code+")", desc)
		}
		e := &cart.Error{Status: s, Message: msg}
		switch code {
		case "invalid_grant", "invalid_client", "unauthorized_client", "access_denied":
			e.Err = cart.ErrAuth // the seller must authorize the application again
		default:
			if s == http.StatusUnauthorized || s == http.StatusForbidden {
				e.Err = cart.ErrAuth
			}
		}
		return "", 0, e
	}
	token, ttl, err := parseLWAToken(raw)
	if err != nil {
		return "", 0, &cart.Temporary{Status: s, Message: "Login with Amazon sent an answer that could not be read", Err: err}
	}
	return token, ttl, nil
}
