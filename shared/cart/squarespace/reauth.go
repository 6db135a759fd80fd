package squarespace

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/autosync/autosync/shared/cart"
)

// do sends one API request (send). A connected site's access token refused
// with 401 before it was due to expire is renewed once and the request
// sent again: a site whose extension was uninstalled then refuses the
// renewal with invalid_grant (cart.ErrRevoked), which is how Autosync
// learns of it (Squarespace posts extension.uninstall only to webhook
// subscriptions). A 401 changed nothing at Squarespace, so the resend is
// safe.
func (c *Client) do(ctx context.Context, rq request) (*reply, error) {
	used := c.accessToken()
	rep, err := c.send(ctx, rq)
	var ce *cart.Error
	if err == nil || c.oauth == nil || !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized {
		return rep, err
	}
	renewed, rerr := c.renewRefused(ctx, used)
	switch {
	case rerr != nil && errors.Is(rerr, cart.ErrAuth):
		return nil, fmt.Errorf("squarespace: renewing the refused access token: %w", rerr)
	case rerr != nil || !renewed:
		return nil, err
	}
	return c.send(ctx, rq)
}

// accessToken is the OAuth access token requests carry now.
func (c *Client) accessToken() string {
	if c.oauth == nil {
		return ""
	}
	c.oauth.mu.Lock()
	defer c.oauth.mu.Unlock()
	return c.oauth.access
}

// renewRefused renews the access token used, which Squarespace refused,
// unless another request renewed it meanwhile. renewed is false when the
// site has no refresh token.
func (c *Client) renewRefused(ctx context.Context, used string) (renewed bool, err error) {
	o := c.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.access != used {
		return true, nil
	}
	if o.conf.RefreshToken == "" {
		return false, nil
	}
	if _, err := c.renewLocked(ctx); err != nil {
		return false, err
	}
	return true, nil
}
