package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/store"
)

// heldPK holds, until its state would have expired, what a cart granted
// server to server (WooCommerce posts the keys it made to the callback),
// waiting for the browser that started the authorization to come back to
// the return URL with its state cookie. The post carries no browser, so it
// creates nothing by itself.
const heldPK = "OAUTHHELD"

type held struct {
	Pending pending     `json:"pending"`
	Config  cart.Config `json:"config"`
	// Sealed are the credentials, sealed as a channel's are, bound to the
	// state.
	Sealed    []byte    `json:"sealed"`
	ExpiresAt time.Time `json:"expires_at"`
}

func heldAAD(c catalog.Cart, state string) string { return "oauth-held/" + string(c) + "/" + state }

// Receive handles a cart's server-to-server callback (a POST): the state it
// names is consumed, the grant verified and the credentials proven with a
// cheap read (so the cart learns at once that keys it made are refused),
// and the grant held against the state. The channel is made only by
// Confirm, when the browser that started the authorization returns.
func (s *Service) Receive(ctx context.Context, c catalog.Cart, cb cart.Callback) error {
	cn, app, err := s.connectOf(ctx, c)
	if err != nil {
		return err
	}
	if cb.Method != http.MethodPost || cn.StateCookie {
		return fmt.Errorf("%s callback by %s server to server: %w", c, cb.Method, cart.ErrCallback)
	}
	// The post proves nothing until its grant is checked (WooCommerce
	// signs nothing), so the state is read, the grant verified and proven,
	// and only then the state consumed: a post of made-up keys naming
	// someone's state cannot spend it.
	state := cn.State(cb)
	d, err := s.peek(ctx, c, state)
	if err != nil {
		return err
	}
	p := d.Value
	cfg, creds, err := s.grant(ctx, c, cn, app, p, cb)
	if err != nil {
		return err
	}
	creds, err = s.Connectors.CheckCredentials(ctx, channels.Channel{ID: p.Channel, AccountID: p.Account, Type: c, Name: p.Name, Config: cfg}, creds)
	if err != nil {
		return err
	}
	if err := s.take(ctx, state, d.Version); err != nil {
		return err
	}
	plain, err := json.Marshal(creds)
	if err != nil {
		return fmt.Errorf("encode held credentials: %w", err)
	}
	sealed, err := s.Channels.Sealer.Seal(ctx, plain, heldAAD(c, state))
	if err != nil {
		return fmt.Errorf("seal held credentials: %w", err)
	}
	it, err := store.NewDoc(heldPK, state, held{Pending: p, Config: cfg, Sealed: sealed, ExpiresAt: p.ExpiresAt}, p.ExpiresAt)
	if err != nil {
		return err
	}
	if _, err := s.Store.Put(ctx, it, store.MustBeNew); errors.Is(err, store.ErrConditionFailed) {
		return ErrState
	} else if err != nil {
		return fmt.Errorf("hold the %s grant: %w", c, err)
	}
	return nil
}

// Confirm is the browser returning after a server-to-server grant, naming
// state: the browser must carry that state's cookie (ErrOtherBrowser,
// changing nothing, otherwise); the grant Receive held is then taken once
// and the channel created or restored. ErrState when nothing is held (the
// cart posted nothing, it was taken, or the state's time passed).
func (s *Service) Confirm(ctx context.Context, c catalog.Cart, state string, h http.Header) (channels.Channel, error) {
	cn, _, err := s.connectOf(ctx, c)
	if err != nil {
		return channels.Channel{}, err
	}
	if err := s.sameBrowser(h, state); err != nil {
		return channels.Channel{}, err
	}
	if len(state) > 128 {
		return channels.Channel{}, ErrState
	}
	d, err := store.GetDoc[held](ctx, s.Store, heldPK, state)
	if errors.Is(err, store.ErrNotFound) {
		return channels.Channel{}, ErrState
	}
	if err != nil {
		return channels.Channel{}, fmt.Errorf("read the held grant: %w", err)
	}
	if err := s.Store.Delete(ctx, heldPK, state, store.AtVersion(d.Version)); errors.Is(err, store.ErrConditionFailed) || errors.Is(err, store.ErrNotFound) {
		return channels.Channel{}, ErrState
	} else if err != nil {
		return channels.Channel{}, fmt.Errorf("take the held grant: %w", err)
	}
	g := d.Value
	if g.Pending.Cart != c || !s.now().Before(g.ExpiresAt) {
		return channels.Channel{}, ErrState
	}
	plain, err := s.Channels.Sealer.Open(ctx, g.Sealed, heldAAD(c, state))
	if err != nil {
		return channels.Channel{}, fmt.Errorf("open held credentials: %w", err)
	}
	var creds cart.Credentials
	if err := json.Unmarshal(plain, &creds); err != nil {
		return channels.Channel{}, fmt.Errorf("decode held credentials: %w", err)
	}
	return s.finish(ctx, c, cn, g.Pending, state, g.Config, creds, true)
}
