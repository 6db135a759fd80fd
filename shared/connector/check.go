package connector

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
)

// CredentialChecker is a connector that can check its credentials with the
// cheapest read its cart offers.
type CredentialChecker interface {
	CheckCredentials(ctx context.Context) error
}

// CheckTimeout bounds a credential check: it runs while the merchant waits.
const CheckTimeout = 20 * time.Second

// CheckError says why credentials could not be accepted. Message is
// merchant-readable: the cart's own reason, never internal text.
type CheckError struct {
	// Refused: the cart refused the credentials; sending the same again
	// will not help. Otherwise the cart could not be asked (an outage, a
	// rate limit, a timeout) and the merchant may try again.
	Refused bool
	Message string
	Err     error
}

func (e *CheckError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *CheckError) Unwrap() error { return e.Err }

// CheckCredentials asks the cart whether it accepts creds for the channel
// (its type and config; it need not exist yet), before they are stored. It
// returns the credentials to store: creds with any tokens the check renewed
// (Etsy rotates its refresh token on every renewal, and the old one may
// stop working at once). A cart that refuses them is a *CheckError with
// Refused set; one that cannot be asked is a *CheckError without. A
// connector that cannot check, and a Factory with SkipCredentialCheck,
// accept creds as they are.
func (f Factory) CheckCredentials(ctx context.Context, ch channels.Channel, creds cart.Credentials) (cart.Credentials, error) {
	if f.SkipCredentialCheck {
		return creds, nil
	}
	var mu sync.Mutex
	renewed := cart.Credentials{}
	// Renewed tokens are kept for the caller, not merged into whatever is
	// stored for the channel: the credentials being checked replace it.
	f.SaveCredentials = func(_ context.Context, _, _ string, upd cart.Credentials) error {
		mu.Lock()
		defer mu.Unlock()
		maps.Copy(renewed, upd)
		return nil
	}
	// Nor are the stored ones read back: a refusal of these credentials'
	// refresh token is theirs, whatever the channel holds now.
	f.LoadCredentials = nil
	c, err := f.Connector(ch, creds)
	if err != nil {
		return nil, fmt.Errorf("build %s connector to check credentials: %w", ch.Type, err)
	}
	chk, ok := c.(CredentialChecker)
	if !ok {
		return creds, nil
	}
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	if err := chk.CheckCredentials(ctx); err != nil {
		return nil, classifyCheck(ch.Type, err)
	}
	mu.Lock()
	defer mu.Unlock()
	out := maps.Clone(creds)
	maps.Copy(out, renewed)
	return out, nil
}

// classifyCheck turns a failed check into a *CheckError with a message for
// the merchant.
func classifyCheck(t catalog.Cart, err error) *CheckError {
	name := carts.Label(t)
	var ce *cart.Error
	var rl *cart.RateLimitedError
	reason := ""
	if errors.As(err, &ce) {
		reason = ce.Message
	}
	switch {
	case errors.Is(err, cart.ErrAuth):
		msg := name + " refused these credentials."
		if reason != "" {
			msg = name + " refused these credentials: " + reason
		}
		return &CheckError{Refused: true, Message: msg, Err: err}
	case errors.As(err, &rl):
		return &CheckError{Message: name + " is rate-limiting requests, so the credentials could not be checked. Nothing was saved; try again in a minute.", Err: err}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &CheckError{Message: name + " did not answer in time, so the credentials could not be checked. Nothing was saved; try again.", Err: err}
	case ce != nil && !ce.Temporary && ce.Status >= 400 && ce.Status < 500:
		// A final refusal of the read (the store or seller the config names
		// is not the credentials'): the cart's reason says what is wrong.
		msg := name + " refused the check of these credentials."
		if reason != "" {
			msg = name + " refused the check of these credentials: " + reason
		}
		return &CheckError{Refused: true, Message: msg, Err: err}
	case ce != nil:
		msg := name + " could not be reached to check the credentials"
		if reason != "" {
			msg += " (" + reason + ")"
		}
		return &CheckError{Message: msg + ". Nothing was saved; try again in a few minutes.", Err: err}
	}
	return &CheckError{Message: name + " could not be asked to check the credentials. Nothing was saved; try again in a few minutes.", Err: err}
}
