// Package connect is how merchants connect, re-authorize and lose channels
// through each cart's own authorization: it issues the single-use state an
// authorization carries, completes the cart's callback into a channel
// (created, or restored with its settings and history), and turns a cart's
// uninstall notice into a disconnected channel. What differs per cart is the
// driver's cart.Connect; nothing here names a cart.
package connect

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/settings"
	"github.com/autosync/autosync/shared/store"
)

// StateTTL is how long an authorization may take before its state expires.
const StateTTL = 10 * time.Minute

// Apps gives Autosync's app credentials for a cart (configuration: the
// Secrets Manager secret in AWS, the simulators' demo app locally).
type Apps interface {
	App(ctx context.Context, c catalog.Cart) (cart.App, bool, error)
}

// StaticApps are app credentials held in memory (make dev, tests).
type StaticApps map[catalog.Cart]cart.App

// App returns the cart's app, if configured.
func (s StaticApps) App(_ context.Context, c catalog.Cart) (cart.App, bool, error) {
	a, ok := s[c]
	return a, ok, nil
}

// Service connects channels.
type Service struct {
	Store      store.Store
	Channels   *channels.Repo
	Settings   *settings.Service
	Connectors connector.Factory
	Apps       Apps
	// BaseURL is Autosync's public address; callbacks are under it.
	BaseURL    string
	HTTPClient *http.Client
	Now        func() time.Time
	Log        *slog.Logger
}

// Errors the edge turns into answers.
var (
	// ErrNotConnectable: the cart has no Connect, or no app is configured.
	ErrNotConnectable = errors.New("cart cannot be connected here")
	// ErrState: the state is unknown, used or expired.
	ErrState = errors.New("authorization state refused")
)

// InvalidError lists what is wrong with a connect request.
type InvalidError struct{ Problems []cart.Problem }

func (e *InvalidError) Error() string { return fmt.Sprintf("%d invalid fields", len(e.Problems)) }

// CheckError is a cart that refused, or could not check, what it granted.
type CheckError = connector.CheckError

const statePK = "OAUTHSTATE"

// donePK holds, for StateTTL, which channel a consumed state completed: a
// reload of the return page a cart completing server to server sends the
// browser to (WooCommerce's, naming only the state) selects the channel
// the first visit made.
const donePK = "OAUTHDONE"

type done struct {
	Account   string       `json:"account_id"`
	Cart      catalog.Cart `json:"cart"`
	Channel   string       `json:"channel_id"`
	ExpiresAt time.Time    `json:"expires_at"`
}

// ownerPK is the partition finding a store's channels when a notice names
// only the store: pk OWNER#{cart}#{store}, sk the channel, data the account.
func ownerPK(c catalog.Cart, storeID string) string { return "OWNER#" + string(c) + "#" + storeID }

type pending struct {
	Account   string            `json:"account_id"`
	Cart      catalog.Cart      `json:"cart"`
	Name      string            `json:"name,omitempty"`
	Fields    map[string]string `json:"fields"`
	Channel   string            `json:"channel_id,omitempty"` // re-authorization
	ExpiresAt time.Time         `json:"expires_at"`
}

type owner struct {
	Account string `json:"account_id"`
}

func (s *Service) now() time.Time { return s.Now().UTC() }

func (s *Service) callbackURL(c catalog.Cart) string {
	return strings.TrimRight(s.BaseURL, "/") + "/oauth/" + string(c) + "/callback"
}

func (s *Service) connectOf(ctx context.Context, c catalog.Cart) (*cart.Connect, cart.App, error) {
	d, ok := carts.Lookup(c)
	if !ok || d.Connect == nil {
		return nil, cart.App{}, ErrNotConnectable
	}
	var app cart.App
	if s.Apps != nil {
		a, found, err := s.Apps.App(ctx, c)
		if err != nil {
			return nil, cart.App{}, fmt.Errorf("read %s app credentials: %w", c, err)
		}
		ok, app = found, a
	} else {
		ok = false
	}
	if d.Connect.AppCredentials && (!ok || app.ClientID == "" || app.ClientSecret == "") {
		return nil, cart.App{}, ErrNotConnectable
	}
	return d.Connect, app, nil
}

// Fields checks the merchant's values against the cart's fields and
// returns them as the cart wants them.
func Fields(cn *cart.Connect, in map[string]string) (map[string]string, []cart.Problem) {
	out := map[string]string{}
	var ps []cart.Problem
	known := map[string]bool{}
	for _, f := range cn.Fields {
		known[f.Name] = true
		v, msg := f.Check(in[f.Name])
		if msg != "" {
			ps = append(ps, cart.Problem{Field: f.Name, Message: msg})
			continue
		}
		out[f.Name] = v
	}
	for k := range in {
		if !known[k] {
			ps = append(ps, cart.Problem{Field: k, Message: "This cart does not take " + k + "."})
		}
	}
	return out, ps
}

// Start begins connecting a new channel (channel "") or re-authorizing one
// and returns the cart's authorization URL.
func (s *Service) Start(ctx context.Context, account string, c catalog.Cart, name string, fields map[string]string, channel string) (string, error) {
	u, _, err := s.StartState(ctx, account, c, name, fields, channel)
	return u, err
}

// StartState is Start also returning the state issued, for a cart whose
// callback carries none (see StateCookie).
func (s *Service) StartState(ctx context.Context, account string, c catalog.Cart, name string, fields map[string]string, channel string) (string, string, error) {
	cn, app, err := s.connectOf(ctx, c)
	if err != nil {
		return "", "", err
	}
	checked, ps := Fields(cn, fields)
	if len(ps) > 0 {
		return "", "", &InvalidError{Problems: ps}
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	state := base64.RawURLEncoding.EncodeToString(b)
	exp := s.now().Add(StateTTL)
	it, err := store.NewDoc(statePK, state, pending{Account: account, Cart: c, Name: name, Fields: checked, Channel: channel, ExpiresAt: exp}, exp)
	if err != nil {
		return "", "", err
	}
	if _, err := s.Store.Put(ctx, it, store.MustBeNew); err != nil {
		return "", "", fmt.Errorf("store authorization state: %w", err)
	}
	if channel != "" {
		app = s.channelApp(ctx, account, channel, app)
	}
	u, err := cn.AuthorizeURL(s.request(c, app, checked, state))
	if err != nil {
		return "", "", fmt.Errorf("%s authorize URL: %w", c, err)
	}
	return u, state, nil
}

func (s *Service) request(c catalog.Cart, app cart.App, fields map[string]string, state string) cart.ConnectRequest {
	return cart.ConnectRequest{Fields: fields, State: state, CallbackURL: s.callbackURL(c),
		ReturnURL: strings.TrimRight(s.BaseURL, "/") + "/oauth/" + string(c) + "/return", App: app}
}

// peek reads the state, leaving it for take: ErrState when it is unknown,
// another cart's or expired.
func (s *Service) peek(ctx context.Context, c catalog.Cart, state string) (store.Doc[pending], error) {
	d, err := s.read(ctx, state)
	if err != nil {
		return d, err
	}
	if d.Value.Cart != c || !s.now().Before(d.Value.ExpiresAt) {
		return d, ErrState
	}
	return d, nil
}

func (s *Service) read(ctx context.Context, state string) (store.Doc[pending], error) {
	if state == "" || len(state) > 128 {
		return store.Doc[pending]{}, ErrState
	}
	d, err := store.GetDoc[pending](ctx, s.Store, statePK, state)
	if errors.Is(err, store.ErrNotFound) {
		return d, ErrState
	}
	if err != nil {
		return d, fmt.Errorf("read authorization state: %w", err)
	}
	return d, nil
}

// take deletes the state on the version read: ErrState when another
// callback took it first.
func (s *Service) take(ctx context.Context, state string, version int64) error {
	err := s.Store.Delete(ctx, statePK, state, store.AtVersion(version))
	if errors.Is(err, store.ErrConditionFailed) || errors.Is(err, store.ErrNotFound) {
		return ErrState
	}
	if err != nil {
		return fmt.Errorf("consume authorization state: %w", err)
	}
	return nil
}

// Complete handles a cart's callback through the merchant's browser (a
// GET): the browser must carry the state cookie of the authorization it
// completes (ErrOtherBrowser, or ErrNoState for a cart whose callback
// carries no state, before the state is touched, so a browser that did not
// start it can neither complete nor spend it); then the cart's signature
// and grant are checked, the state consumed, the credentials proven with a
// cheap read, and the channel created or restored. Nothing is created when
// any step refuses. A cart calling back server to server goes to Receive.
func (s *Service) Complete(ctx context.Context, c catalog.Cart, cb cart.Callback) (channels.Channel, error) {
	cn, app, err := s.connectOf(ctx, c)
	if err != nil {
		return channels.Channel{}, err
	}
	if cb.Method != http.MethodGet {
		return channels.Channel{}, fmt.Errorf("%s callback by %s through a browser: %w", c, cb.Method, cart.ErrCallback)
	}
	state, err := s.callbackState(ctx, cn, cb)
	if err != nil {
		return channels.Channel{}, err
	}
	if err := s.sameBrowser(cb.Header, state); err != nil {
		return channels.Channel{}, err
	}
	// The state is consumed only once the cart verified the grant (its
	// signature, the code exchanged): a made-up callback, even one the
	// starter's browser is led to (BigCommerce's carries no state, so its
	// cookie alone names one), cannot spend it. Of two genuine callbacks
	// only the one that takes the state goes on.
	d, err := s.peek(ctx, c, state)
	if err != nil {
		return channels.Channel{}, err
	}
	cfg, creds, err := s.grant(ctx, c, cn, app, d.Value, cb)
	if err != nil {
		return channels.Channel{}, err
	}
	if err := s.take(ctx, state, d.Version); err != nil {
		return channels.Channel{}, err
	}
	return s.finish(ctx, c, cn, d.Value, state, cfg, creds, false)
}

// grant verifies the callback with the cart (its signature, the code
// exchanged or the keys posted) into the channel's config and credentials.
func (s *Service) grant(ctx context.Context, c catalog.Cart, cn *cart.Connect, app cart.App, p pending, cb cart.Callback) (cart.Config, cart.Credentials, error) {
	if p.Channel != "" {
		app = s.channelApp(ctx, p.Account, p.Channel, app)
	}
	cfg, creds, err := cn.Exchange(ctx, cb, s.request(c, app, p.Fields, ""), s.HTTPClient)
	if err != nil {
		return nil, nil, err
	}
	if app.APIBase != "" {
		cfg["api_base"] = app.APIBase
	}
	if ps := s.Connectors.Validate(c, cfg, creds); len(ps) > 0 {
		return nil, nil, fmt.Errorf("%s granted an unusable channel: %s", c, ps[0].Message)
	}
	return cfg, creds, nil
}

// finish makes the granted channel the account's: created, or the
// channel re-authorized (the one asked for, or the account's channel for
// the same store). checked: the credentials were proven already.
func (s *Service) finish(ctx context.Context, c catalog.Cart, cn *cart.Connect, p pending, state string, cfg cart.Config, creds cart.Credentials, checked bool) (channels.Channel, error) {
	var err error
	if p.Channel == "" && cn.StoreKey != "" {
		// The account connecting a store it already has a channel for
		// re-authorizes that channel: a second channel on one store would
		// import every order twice.
		if p.Channel, err = s.ownChannel(ctx, p.Account, c, cfg[cn.StoreKey]); err != nil {
			return channels.Channel{}, err
		}
	}
	ch := channels.Channel{ID: p.Channel, AccountID: p.Account, Type: c, Name: p.Name, Config: cfg}
	if p.Channel != "" {
		cur, err := s.Channels.Get(ctx, p.Account, p.Channel)
		if err != nil {
			return channels.Channel{}, err
		}
		if cn.StoreKey != "" && cur.Config[cn.StoreKey] != cfg[cn.StoreKey] {
			return channels.Channel{}, fmt.Errorf("re-authorized another store: %w", cart.ErrCallback)
		}
		ch = cur
	}
	if !checked {
		if creds, err = s.Connectors.CheckCredentials(ctx, ch, creds); err != nil {
			return channels.Channel{}, err
		}
	}
	if p.Channel != "" {
		ch, err = s.Settings.Reauthorize(ctx, p.Account, p.Channel, creds)
	} else {
		ch, err = s.Channels.Create(ctx, p.Account, channels.Channel{Type: c, Name: p.Name, Config: cfg}, creds)
	}
	if err != nil {
		return channels.Channel{}, err
	}
	if err := s.Own(ctx, ch); err != nil {
		return channels.Channel{}, err
	}
	exp := s.now().Add(StateTTL)
	it, err := store.NewDoc(donePK, state, done{Account: p.Account, Cart: c, Channel: ch.ID, ExpiresAt: exp}, exp)
	if err == nil {
		_, err = s.Store.Put(ctx, it, store.NoCond)
	}
	if err != nil {
		// The channel is connected; only the page's selection of it is lost.
		s.Log.WarnContext(ctx, "record the completed authorization", "account", p.Account, "channel", ch.ID, "err", err)
	}
	return ch, nil
}

// Completed is the channel the authorization with state completed, for the
// browser a cart sends back after completing server to server: ErrState
// when the state completed nothing (declined, not yet posted, expired, or
// never ours).
func (s *Service) Completed(ctx context.Context, c catalog.Cart, state string) (string, error) {
	if state == "" || len(state) > 128 {
		return "", ErrState
	}
	d, err := store.GetDoc[done](ctx, s.Store, donePK, state)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrState
	}
	if err != nil {
		return "", fmt.Errorf("read completed authorization: %w", err)
	}
	if d.Value.Cart != c || !s.now().Before(d.Value.ExpiresAt) {
		return "", ErrState
	}
	return d.Value.Channel, nil
}

// ownChannel is the account's channel for the cart's store, "" when it has
// none.
func (s *Service) ownChannel(ctx context.Context, account string, c catalog.Cart, storeID string) (string, error) {
	if storeID == "" {
		return "", nil
	}
	found := ""
	_, err := store.All(ctx, s.Store, store.Query{PK: ownerPK(c, storeID)}, 0, func(it store.Item) (bool, error) {
		o, err := store.Decode[owner](it)
		if err != nil {
			return false, err
		}
		if o.Account != account {
			return true, nil
		}
		if _, err := s.Channels.Get(ctx, account, it.SK); errors.Is(err, channels.ErrNotFound) {
			return true, nil // removed since; its owner record is stale
		} else if err != nil {
			return false, err
		}
		found = it.SK
		return false, nil
	})
	if err != nil {
		return "", fmt.Errorf("find the account's channel for the store: %w", err)
	}
	return found, nil
}

// Own records which channel a store's notices are for. Channels connected
// here are recorded by Complete; ones created otherwise (tokens posted to
// POST /v1/channels, the demo account) call it themselves.
func (s *Service) Own(ctx context.Context, ch channels.Channel) error {
	d, ok := carts.Lookup(ch.Type)
	if !ok || d.Connect == nil || d.Connect.StoreKey == "" || ch.Config[d.Connect.StoreKey] == "" {
		return nil
	}
	if _, err := store.PutDoc(ctx, s.Store, ownerPK(ch.Type, ch.Config[d.Connect.StoreKey]), ch.ID, owner{Account: ch.AccountID}, store.NoCond); err != nil {
		return fmt.Errorf("record the store's owner: %w", err)
	}
	return nil
}

// channelApp is the app as a re-authorization of channel sees it: a
// channel pointed at a simulator (api_base, which only make dev and tests
// accept) is re-authorized at that simulator.
func (s *Service) channelApp(ctx context.Context, account, channel string, app cart.App) cart.App {
	ch, err := s.Channels.Get(ctx, account, channel)
	if err == nil && ch.Config["api_base"] != "" {
		app.APIBase = ch.Config["api_base"]
	}
	return app
}

// Notice handles a cart's app-level notification: an uninstall disconnects
// every channel of the store; compliance requests are acknowledged (the
// channel's data stays the merchant's until the channel is deleted).
func (s *Service) Notice(ctx context.Context, c catalog.Cart, h http.Header, body []byte) (cart.Notice, error) {
	cn, app, err := s.connectOf(ctx, c)
	if err != nil {
		return cart.Notice{}, err
	}
	if cn.Notice == nil {
		return cart.Notice{}, ErrNotConnectable
	}
	n, err := cn.Notice(h, body, app)
	if err != nil {
		return cart.Notice{}, err
	}
	if n.Kind != cart.NoticeUninstalled || n.Store == "" {
		return n, nil
	}
	var owned []store.Item
	_, err = store.All(ctx, s.Store, store.Query{PK: ownerPK(c, n.Store)}, 0, func(it store.Item) (bool, error) {
		owned = append(owned, it)
		return true, nil
	})
	if err != nil {
		return n, fmt.Errorf("find the store's channels: %w", err)
	}
	label := carts.Label(c)
	for _, it := range owned {
		o, err := store.Decode[owner](it)
		if err != nil {
			return n, err
		}
		err = s.Settings.Disconnect(ctx, o.Account, it.SK, "The app was removed from "+label+". Re-authorize the channel to connect it again.")
		if errors.Is(err, channels.ErrNotFound) {
			_ = s.Store.Delete(ctx, it.PK, it.SK, store.NoCond)
			continue
		}
		if err != nil {
			return n, err
		}
		s.Log.InfoContext(ctx, "channel disconnected by its cart", "account", o.Account, "channel", it.SK, "cart", c, "topic", n.Topic)
	}
	return n, nil
}

// ParseCallback bounds and reads a callback's query string. Values are
// kept as sent; a malformed query is refused.
func ParseCallback(rawQuery string) (url.Values, error) {
	if len(rawQuery) > 4096 {
		return nil, fmt.Errorf("query of %d bytes: %w", len(rawQuery), cart.ErrCallback)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("parse query: %w", cart.ErrCallback)
	}
	if len(q) > 32 {
		return nil, fmt.Errorf("%d query parameters: %w", len(q), cart.ErrCallback)
	}
	return q, nil
}

// Verify asks the channel's cart, with the cheapest read it offers,
// whether it still accepts the stored credentials, and records the answer
// as a run would: an authorization the cart no longer holds disconnects the
// channel, refused credentials pause it, accepted ones change nothing
// (tokens the check renewed are kept). It is how a removal the cart sends
// no notice for is seen without waiting for the next run. A cart that
// could not be asked is an error and changes nothing.
func (s *Service) Verify(ctx context.Context, account, channel string) (channels.Channel, error) {
	ch, err := s.Channels.Get(ctx, account, channel)
	if err != nil {
		return channels.Channel{}, err
	}
	creds, err := s.Channels.Credentials(ctx, account, channel)
	if err != nil {
		return channels.Channel{}, fmt.Errorf("open the channel's credentials: %w", err)
	}
	renewed, err := s.Connectors.CheckCredentials(ctx, ch, creds)
	var ce *connector.CheckError
	switch {
	case err == nil:
		if maps.Equal(renewed, creds) {
			return ch, nil // nothing renewed: no sealing, no write
		}
		if err := s.Channels.MergeCredentials(ctx, account, channel, renewed); err != nil {
			return channels.Channel{}, fmt.Errorf("keep renewed credentials: %w", err)
		}
		return ch, nil
	case errors.As(err, &ce) && ce.Refused && errors.Is(err, cart.ErrRevoked):
		err = s.Settings.Disconnect(ctx, account, channel, carts.Label(ch.Type)+" no longer holds Autosync's authorization: the app was removed or its access revoked. Re-authorize the channel to connect it again.")
	case errors.As(err, &ce) && ce.Refused:
		err = s.Settings.NeedsReauth(ctx, account, channel, ce.Message+" Re-authorize the channel to resume its tasks.")
	default:
		return channels.Channel{}, fmt.Errorf("check %s credentials: %w", ch.Type, err)
	}
	if err != nil {
		return channels.Channel{}, err
	}
	s.Log.InfoContext(ctx, "channel credentials refused by its cart", "account", account, "channel", channel, "cart", ch.Type, "revoked", errors.Is(ce, cart.ErrRevoked))
	return s.Channels.Get(ctx, account, channel)
}
