// Package connector builds the cart connector for a channel and checks a
// channel's configuration and credentials before it is stored, with the
// channel's cart driver (cart/carts).
package connector

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
)

// Problem is one thing wrong with a channel's config or credentials.
type Problem = cart.Problem

// Factory builds connectors.
type Factory struct {
	HTTPClient *http.Client
	// AllowLoopbackBase lets a channel's config carry "api_base", a
	// loopback URL where a simulator serves the cart's API. Only make dev
	// and tests set it: in production it would let a merchant point the
	// service at arbitrary hosts.
	AllowLoopbackBase bool
	// SaveCredentials stores credential values a connector renewed (Etsy's
	// rotating OAuth tokens); nil drops them, and the channel then needs
	// re-authorization when its token expires.
	SaveCredentials func(ctx context.Context, account, channel string, updates cart.Credentials) error
	// LoadCredentials reads a channel's stored credentials, so that a
	// connector whose rotated refresh token was refused can adopt the
	// tokens another run of the channel saved; nil means it cannot, and
	// such a refusal counts as revoked.
	LoadCredentials func(ctx context.Context, account, channel string) (cart.Credentials, error)
	// SkipCredentialCheck accepts credentials without asking the cart
	// (CheckCredentials); only tests whose carts are not served set it.
	SkipCredentialCheck bool
}

// Validate checks a channel's type, config and credentials.
func (f Factory) Validate(t catalog.Cart, cfg cart.Config, creds cart.Credentials) []Problem {
	var ps []Problem
	if base, ok := cfg["api_base"]; ok {
		if err := f.checkBase(base); err != nil {
			ps = append(ps, Problem{Field: "config.api_base", Message: err.Error()})
		}
	}
	for k, v := range cfg {
		if len(k) > 64 || len(v) > 512 {
			ps = append(ps, Problem{Field: "config", Message: "Config keys are at most 64 characters and values 512."})
			break
		}
	}
	for k, v := range creds {
		if len(k) > 64 || len(v) > 2048 {
			ps = append(ps, Problem{Field: "credentials", Message: "Credential names are at most 64 characters and values 2048."})
			break
		}
	}
	d, ok := carts.Lookup(t)
	if !ok {
		return append(ps, Problem{Field: "type", Message: fmt.Sprintf("Unknown cart type %q.", t)})
	}
	return append(ps, d.Validate(cfg, creds)...)
}

func (f Factory) checkBase(base string) error {
	if !f.AllowLoopbackBase {
		return fmt.Errorf("api_base is only accepted by a local development server")
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("api_base must be an http URL")
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("api_base must be a loopback address")
	}
	return nil
}

// Connector builds the channel's cart connector.
func (f Factory) Connector(ch channels.Channel, creds cart.Credentials) (cart.Connector, error) {
	if ps := f.Validate(ch.Type, ch.Config, creds); len(ps) > 0 {
		return nil, fmt.Errorf("channel %s misconfigured: %s: %w", ch.ID, ps[0].Message, ErrUnsupported)
	}
	d, ok := carts.Lookup(ch.Type)
	if !ok {
		return nil, fmt.Errorf("%s: %w", ch.Type, ErrUnsupported)
	}
	b := cart.Build{AccountID: ch.AccountID, ChannelID: ch.ID, Config: ch.Config, Credentials: creds, HTTPClient: f.HTTPClient}
	if f.SaveCredentials != nil {
		save := f.SaveCredentials
		b.SaveCredentials = func(ctx context.Context, upd cart.Credentials) error {
			return save(ctx, ch.AccountID, ch.ID, upd)
		}
	}
	if f.LoadCredentials != nil {
		load := f.LoadCredentials
		b.LoadCredentials = func(ctx context.Context) (cart.Credentials, error) {
			return load(ctx, ch.AccountID, ch.ID)
		}
	}
	return d.New(b)
}

// Builder builds a channel's cart connector: a Factory, or a fake in tests.
type Builder interface {
	Connector(ch channels.Channel, creds cart.Credentials) (cart.Connector, error)
}

// As builds the channel's connector and returns it as T, the capability a
// task needs of it (cart.OrderSource, cart.StockWriter, cart.FBAInventorySource
// ...): ErrUnsupported when the cart does not offer it.
func As[T any](b Builder, ch channels.Channel, creds cart.Credentials) (T, error) {
	var zero T
	c, err := b.Connector(ch, creds)
	if err != nil {
		return zero, err
	}
	t, ok := c.(T)
	if !ok {
		return zero, fmt.Errorf("%s for %s: %w", reflect.TypeFor[T]().Name(), ch.Type, ErrUnsupported)
	}
	return t, nil
}

// ErrUnsupported means the channel cannot run the task (yet).
var ErrUnsupported = fmt.Errorf("not supported for this channel")

// Subscriber returns the channel's webhook subscription manager.
func (f Factory) Subscriber(ch channels.Channel, creds cart.Credentials) (cart.Subscriber, error) {
	return As[cart.Subscriber](f, ch, creds)
}

// OrderStatuses lists the order status values support may choose from for
// a cart, as the connector's query accepts them.
func (f Factory) OrderStatuses(t catalog.Cart) map[string]bool {
	var list []string
	if d, ok := carts.Lookup(t); ok {
		list = d.Statuses()
	}
	out := make(map[string]bool, len(list))
	for _, s := range list {
		out[s] = true
	}
	return out
}
