package amazon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// tokenCache holds the current LWA access token. Its mutex is held while a
// token is fetched, so concurrent callers wait for one fetch.
type tokenCache struct {
	mu      sync.Mutex
	token   string
	expires time.Time // when to stop using it: shortly before Amazon does
}

// refreshMargin is how long before its expiry an access token is replaced,
// so a request never carries one that expires on the way.
const refreshMargin = time.Minute

// maxTokenResponse bounds an LWA answer.
const maxTokenResponse = 64 << 10

// accessToken returns a live access token, fetching one when the cached
// one is missing or about to expire.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.lwa.mu.Lock()
	defer c.lwa.mu.Unlock()
	if c.lwa.token != "" && c.now().Before(c.lwa.expires) {
		return c.lwa.token, nil
	}
	c.lwa.token = ""
	failures := 0
	for {
		token, ttl, err := c.fetchToken(ctx)
		var tmp *temporary
		switch {
		case err == nil:
			margin := min(refreshMargin, ttl/2)
			c.lwa.token, c.lwa.expires = token, c.now().Add(ttl-margin)
			return token, nil
		case errors.As(err, &tmp):
			failures++
			if failures >= c.retry.Attempts {
				return "", tmp.CartError()
			}
			if err := c.sleep(ctx, c.retry.Backoff(failures)); err != nil {
				if errors.Is(err, errStop) {
					return "", tmp.CartError()
				}
				return "", err
			}
		default:
			return "", err
		}
	}
}

// invalidate drops token from the cache if it is still the current one.
func (c *Client) invalidate(token string) {
	c.lwa.mu.Lock()
	defer c.lwa.mu.Unlock()
	if c.lwa.token == token {
		c.lwa.token = ""
	}
}

// fetchToken exchanges the refresh token for an access token. A refused
// grant or client is cart.ErrAuth; 5xx, 429 and transport failures are
// *temporary.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {c.creds.refreshToken},
		"client_id":     {c.creds.clientID},
		"client_secret": {c.creds.clientSecret},
	}
	actx, cancel := context.WithTimeout(ctx, c.retry.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.lwaURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("building the token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", 0, c.lwaTransportError(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return "", 0, c.lwaTransportError(ctx, err)
	}
	s := resp.StatusCode
	switch {
	case s == http.StatusTooManyRequests || s >= 500:
		return "", 0, &temporary{Status: s, Message: fmt.Sprintf("Login with Amazon is temporarily unavailable (HTTP %d)", s)}
	case s != http.StatusOK:
		code, desc := parseLWAError(raw)
		msg := fmt.Sprintf("Login with Amazon answered HTTP %d", s)
		if code != "" {
			msg = "Login with Amazon refused the authorization (" + code + ")"
			if desc != "" {
				msg += ": " + desc
			}
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
		return "", 0, &temporary{Status: s, Message: "Login with Amazon sent an answer that could not be read", Err: err}
	}
	return token, ttl, nil
}

func (c *Client) lwaTransportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return &temporary{Message: "the connection to Login with Amazon was interrupted", Err: err}
}
