// Package channels keeps the sales channels an account has connected: what
// cart each is, how to reach it, whether it still authenticates, and its
// credentials sealed at rest. Credentials go in through Create and
// UpdateCredentials and come out only through Credentials, for a connector.
package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/id"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store"
)

// Status of a channel.
type Status string

const (
	Active      Status = "active"
	NeedsReauth Status = "needs_reauth"
	// Disconnected: the merchant uninstalled the app or revoked its access
	// at the cart. Schedules and subscriptions are gone, settings and
	// imported data kept; re-authorizing brings the channel back.
	Disconnected Status = "disconnected"
)

// Channel is one connected cart. It is safe to return to clients: the
// sealed credentials never leave this package.
type Channel struct {
	ID           string       `json:"id"`
	AccountID    string       `json:"-"`
	Type         catalog.Cart `json:"type"`
	Name         string       `json:"name"`
	Status       Status       `json:"status"`
	StatusReason string       `json:"status_reason"`
	// Config (shop domain, simulator URL) is for connectors, not clients.
	Config    cart.Config `json:"-"`
	CreatedAt time.Time   `json:"created_at"`
	// OrderStatuses are the cart statuses Import Orders fetches, as support
	// set them; empty means the cart's default.
	OrderStatuses []string `json:"order_statuses,omitempty"`
	// Version is the stored item's version when the channel was read:
	// Unchanged conditions a write elsewhere on it.
	Version int64 `json:"-"`
}

type record struct {
	Channel
	AccountID string      `json:"account_id"`
	Config    cart.Config `json:"config"`
	Sealed    []byte      `json:"sealed"`
	// SealedHookSecret is the secret webhooks are signed with when
	// Autosync chose it (WooCommerce) or the cart did (Squarespace).
	SealedHookSecret []byte `json:"sealed_hook_secret,omitempty"`
}

// channel returns the record's channel with the fields JSON keeps apart.
func (r record) channel() Channel {
	c := r.Channel
	c.AccountID, c.Config = r.AccountID, r.Config
	return c
}

// versioned is the channel of a stored record at version v.
func versioned(r record, v int64) Channel {
	c := r.channel()
	c.Version = v
	return c
}

// Unchanged is a transaction check that c is still stored as it was read
// (not changed, not deleted): a write derived from its status, or one that
// must not outlive it, is conditioned on it.
func Unchanged(c Channel) store.Op {
	return store.Check(store.AccountPK(c.AccountID), sk(c.ID), store.AtVersion(c.Version))
}

// ErrNotFound is returned for a channel the account does not have.
var ErrNotFound = errors.New("channel not found")

// MaxPerAccount bounds how many channels one account may connect.
const MaxPerAccount = 50

// Repo stores channels.
type Repo struct {
	Store  store.Store
	Sealer seal.Sealer
	Now    func() time.Time
}

func sk(channel string) string { return "CH#" + channel }

func aad(account, channel string) string { return account + "/" + channel }

// Create connects a new channel with its credentials.
func (r *Repo) Create(ctx context.Context, account string, c Channel, creds cart.Credentials) (Channel, error) {
	existing, err := r.List(ctx, account)
	if err != nil {
		return Channel{}, err
	}
	if len(existing) >= MaxPerAccount {
		return Channel{}, fmt.Errorf("account has %d channels: %w", len(existing), ErrLimit)
	}
	c.ID = id.New("ch")
	c.AccountID = account
	c.Status = Active
	c.StatusReason = ""
	c.CreatedAt = r.Now().UTC()
	rec := record{Channel: c, AccountID: account, Config: c.Config}
	if rec.Sealed, err = r.seal(ctx, account, c.ID, creds); err != nil {
		return Channel{}, err
	}
	it, err := store.NewDoc(store.AccountPK(account), sk(c.ID), rec, time.Time{})
	if err != nil {
		return Channel{}, err
	}
	idx, err := store.NewDoc(indexPK, c.ID, locator{Account: account}, time.Time{})
	if err != nil {
		return Channel{}, err
	}
	if err := r.Store.Transact(ctx, []store.Op{store.Put(it, store.MustBeNew), store.Put(idx, store.MustBeNew)}); err != nil {
		return Channel{}, fmt.Errorf("create channel: %w", err)
	}
	c.Version = 1
	return c, nil
}

// indexPK is the partition mapping channel ids to accounts: a cart's
// webhook names only the channel.
const indexPK = "CHIDX"

type locator struct {
	Account string `json:"account_id"`
}

// Locate returns the account a channel id belongs to.
func (r *Repo) Locate(ctx context.Context, channel string) (string, error) {
	d, err := store.GetDoc[locator](ctx, r.Store, indexPK, channel)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("locate channel: %w", err)
	}
	return d.Value.Account, nil
}

// ErrLimit is returned when an account already has MaxPerAccount channels.
var ErrLimit = errors.New("too many channels")

func (r *Repo) seal(ctx context.Context, account, channel string, creds cart.Credentials) ([]byte, error) {
	plain, err := json.Marshal(creds)
	if err != nil {
		return nil, err
	}
	sealed, err := r.Sealer.Seal(ctx, plain, aad(account, channel))
	if err != nil {
		return nil, fmt.Errorf("seal credentials: %w", err)
	}
	return sealed, nil
}

func (r *Repo) get(ctx context.Context, account, channel string) (store.Doc[record], error) {
	d, err := store.GetDoc[record](ctx, r.Store, store.AccountPK(account), sk(channel))
	if errors.Is(err, store.ErrNotFound) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("get channel %s: %w", channel, err)
	}
	d.Value.Channel = versioned(d.Value, d.Version)
	return d, nil
}

// Get returns one of the account's channels.
func (r *Repo) Get(ctx context.Context, account, channel string) (Channel, error) {
	d, err := r.get(ctx, account, channel)
	return d.Value.Channel, err
}

// List returns the account's channels, oldest first.
func (r *Repo) List(ctx context.Context, account string) ([]Channel, error) {
	var out []Channel
	_, err := store.All(ctx, r.Store, store.Query{PK: store.AccountPK(account), Prefix: "CH#"}, 0, func(it store.Item) (bool, error) {
		rec, err := store.Decode[record](it)
		out = append(out, versioned(rec, it.Version))
		return true, err
	})
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	sortByCreated(out)
	return out, nil
}

func sortByCreated(cs []Channel) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].CreatedAt.Before(cs[j-1].CreatedAt); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// Credentials opens the channel's sealed credentials for a connector.
func (r *Repo) Credentials(ctx context.Context, account, channel string) (cart.Credentials, error) {
	d, err := r.get(ctx, account, channel)
	if err != nil {
		return nil, err
	}
	plain, err := r.Sealer.Open(ctx, d.Value.Sealed, aad(account, channel))
	if err != nil {
		return nil, fmt.Errorf("open credentials of %s: %w", channel, err)
	}
	var creds cart.Credentials
	if err := json.Unmarshal(plain, &creds); err != nil {
		return nil, fmt.Errorf("decode credentials of %s: %w", channel, err)
	}
	return creds, nil
}

// update applies fn to the stored record with optimistic concurrency.
func (r *Repo) update(ctx context.Context, account, channel string, fn func(*record) error) (Channel, error) {
	d, err := store.Update(ctx, r.Store, store.AccountPK(account), sk(channel), 5, func(rec *record, found bool) error {
		if !found {
			return ErrNotFound
		}
		rec.Channel = rec.channel()
		return fn(rec)
	})
	if err != nil {
		return Channel{}, err
	}
	return versioned(d.Value, d.Version), nil
}

// UpdateCredentials replaces the credentials and marks the channel active.
func (r *Repo) UpdateCredentials(ctx context.Context, account, channel string, creds cart.Credentials) (Channel, error) {
	sealed, err := r.seal(ctx, account, channel, creds)
	if err != nil {
		return Channel{}, err
	}
	return r.update(ctx, account, channel, func(rec *record) error {
		rec.Sealed = sealed
		rec.Status, rec.StatusReason = Active, ""
		return nil
	})
}

// SetStatus records whether the channel authenticates, with a merchant-safe reason.
func (r *Repo) SetStatus(ctx context.Context, account, channel string, s Status, reason string) (Channel, error) {
	return r.update(ctx, account, channel, func(rec *record) error {
		rec.Status, rec.StatusReason = s, reason
		return nil
	})
}

// Rename changes the channel's name (the caller validated it).
func (r *Repo) Rename(ctx context.Context, account, channel, name string) (Channel, error) {
	return r.update(ctx, account, channel, func(rec *record) error {
		rec.Name = name
		return nil
	})
}

// UpdateConfig changes the channel's non-secret settings.
func (r *Repo) UpdateConfig(ctx context.Context, account, channel string, fn func(cart.Config) error) (Channel, error) {
	return r.update(ctx, account, channel, func(rec *record) error {
		if rec.Config == nil {
			rec.Config = cart.Config{}
		}
		return fn(rec.Config)
	})
}

// Delete removes the channel record; its schedules and subscriptions are the caller's.
//
// The checks (store.Check operations) are asserted in the same transaction:
// when one fails while the channel still exists, nothing is deleted and the
// error matches store.ErrConditionFailed.
func (r *Repo) Delete(ctx context.Context, account, channel string, checks ...store.Op) error {
	err := r.Store.Transact(ctx, append([]store.Op{
		store.Delete(store.AccountPK(account), sk(channel), store.MustExist),
		store.Delete(indexPK, channel, store.NoCond),
	}, checks...))
	if errors.Is(err, store.ErrConditionFailed) {
		if _, gerr := r.get(ctx, account, channel); gerr == nil && len(checks) > 0 {
			return fmt.Errorf("delete channel %s: %w", channel, err)
		}
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete channel %s: %w", channel, err)
	}
	return nil
}

// SetOrderStatuses sets the cart statuses Import Orders fetches (empty: the default).
func (r *Repo) SetOrderStatuses(ctx context.Context, account, channel string, statuses []string) (Channel, error) {
	return r.update(ctx, account, channel, func(rec *record) error {
		rec.OrderStatuses = append([]string(nil), statuses...)
		return nil
	})
}

// OrderStatuses returns the statuses Import Orders fetches; nil means the cart's default.
func (r *Repo) OrderStatuses(ctx context.Context, account, channel string) ([]string, error) {
	ch, err := r.Get(ctx, account, channel)
	if err != nil {
		return nil, err
	}
	return ch.OrderStatuses, nil
}

// SetWebhookSecret stores (sealed) the secret the cart signs webhooks with.
func (r *Repo) SetWebhookSecret(ctx context.Context, account, channel string, secret []byte) error {
	sealed, err := r.Sealer.Seal(ctx, secret, aad(account, channel)+"/webhook")
	if err != nil {
		return fmt.Errorf("seal webhook secret: %w", err)
	}
	_, err = r.update(ctx, account, channel, func(rec *record) error {
		rec.SealedHookSecret = sealed
		return nil
	})
	return err
}

// SignsWithClientSecret reports whether cart c signs its webhooks with the
// app's client secret (Shopify, BigCommerce) rather than with a secret
// given or chosen per subscription.
func SignsWithClientSecret(c catalog.Cart) bool {
	d, ok := carts.Lookup(c)
	return ok && d.Webhooks != nil && d.Webhooks.ClientSecretSigned
}

// WebhookSecret is the secret the channel's webhooks are signed with: the
// app's client secret for carts that sign with it (Shopify, BigCommerce),
// else the secret stored when subscribing; nil when there is none.
func (r *Repo) WebhookSecret(ctx context.Context, account, channel string) ([]byte, error) {
	d, err := r.get(ctx, account, channel)
	if err != nil {
		return nil, err
	}
	// For carts that sign with the client secret, whatever is sealed was
	// made up for a channel connected with a bare access token and never
	// verified a genuine delivery; the client secret a re-authorization
	// stored is the one signing.
	if !SignsWithClientSecret(d.Value.Type) && len(d.Value.SealedHookSecret) > 0 {
		return r.Sealer.Open(ctx, d.Value.SealedHookSecret, aad(account, channel)+"/webhook")
	}
	creds, err := r.Credentials(ctx, account, channel)
	if err != nil {
		return nil, err
	}
	if s := creds["client_secret"]; s != "" {
		return []byte(s), nil
	}
	return nil, nil
}

// MergeCredentials sets some credential values, keeping the others and the
// channel's status: a connector saving tokens it refreshed. The merge
// happens on the record as read, under its version, so a concurrent
// re-authorization is never overwritten with stale values.
func (r *Repo) MergeCredentials(ctx context.Context, account, channel string, updates cart.Credentials) error {
	_, err := r.update(ctx, account, channel, func(rec *record) error {
		plain, err := r.Sealer.Open(ctx, rec.Sealed, aad(account, channel))
		if err != nil {
			return fmt.Errorf("open credentials of %s: %w", channel, err)
		}
		creds := cart.Credentials{}
		if err := json.Unmarshal(plain, &creds); err != nil {
			return fmt.Errorf("decode credentials of %s: %w", channel, err)
		}
		for k, v := range updates {
			creds[k] = v
		}
		rec.Sealed, err = r.seal(ctx, account, channel, creds)
		return err
	})
	return err
}
