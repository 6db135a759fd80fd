package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/connector"
)

// checkCredentials asks the channel's cart whether it accepts creds and
// returns the credentials to store. A refusal is 422 with the cart's
// reason; a cart that cannot be asked is 503, to try again.
func (a *API) checkCredentials(ctx context.Context, ch channels.Channel, creds cart.Credentials) (cart.Credentials, error) {
	out, err := a.Connectors.CheckCredentials(ctx, ch, creds)
	var ce *connector.CheckError
	switch {
	case err == nil:
		return out, nil
	case errors.As(err, &ce) && ce.Refused:
		return nil, invalid(ce.Message, map[string]string{"field": "credentials", "message": ce.Message})
	case errors.As(err, &ce):
		p, _ := auth.From(ctx)
		a.Log.WarnContext(ctx, "credential check could not reach the cart", "account", p.AccountID, "channel", ch.ID, "cart", ch.Type, "err", ce.Err)
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "cart_unavailable", Message: ce.Message}
	}
	return nil, err
}
