package settings

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/store"
)

// Subscribers builds a channel's webhook subscription manager.
type Subscribers interface {
	Subscriber(ch channels.Channel, creds cart.Credentials) (cart.Subscriber, error)
}

// Webhook subscriptions follow the schedules' pattern: a record per
// (account, channel, instasync task) in partition "SUBS", written with the
// setting, applied after, and converged by Repair.
const subsPK = "SUBS"

type subRecord struct {
	Account    string       `json:"account_id"`
	Channel    string       `json:"channel_id"`
	Task       catalog.Task `json:"task"`
	Want       bool         `json:"want"`
	Gen        int64        `json:"gen"`
	AppliedGen int64        `json:"applied_gen"`
	// SubscriptionID is the cart's id, set once subscribed.
	SubscriptionID string `json:"subscription_id,omitempty"`
	// ReportedGen is the generation whose refusal by the cart was last
	// recorded as a failed run, so repair's retries do not repeat it.
	ReportedGen int64 `json:"reported_gen,omitempty"`
}

// reportRefusal records a cart's refusal to subscribe (a credential
// without the webhook scope, a Squarespace API key instead of an OAuth
// token) as a failed run of the instasync task, once per change: the
// merchant and support see why no order arrives by webhook in Activity
// and in the modal's last run, not only in a log line. Outages
// (temporary errors) are left to repair without a run.
func (s *Service) reportRefusal(ctx context.Context, key string, err error) {
	var ce *cart.Error
	if err == nil || !errors.As(err, &ce) || ce.Temporary {
		return
	}
	d, gerr := store.GetDoc[subRecord](ctx, s.Store, subsPK, key)
	if gerr != nil || !d.Value.Want || d.Value.ReportedGen == d.Value.Gen {
		return
	}
	r := d.Value
	r.ReportedGen = r.Gen
	ops, perr := subOps(key, r, d.Version)
	if perr == nil {
		perr = s.Store.Transact(ctx, ops)
	}
	if perr != nil {
		return // changed meanwhile: the newer change reports for itself
	}
	run := s.Runs.NewRun(r.Account, r.Channel, r.Task, runs.Manual, runs.Failed)
	now := s.now()
	run.StartedAt, run.FinishedAt = &now, &now
	run.Error = &runs.RunError{Class: runs.ClassCart, Message: "Instasync could not be set up: " + ce.Message}
	if errors.Is(err, cart.ErrAuth) {
		run.Error.Class = runs.ClassAuth
	}
	if cerr := s.Runs.Create(ctx, run); cerr != nil {
		s.Log.WarnContext(ctx, "record refused subscription", "account", r.Account, "channel", r.Channel, "task", r.Task, "err", cerr)
	}
}

// settled: applied and unwanted, so nothing at the cart.
func (r subRecord) settled() bool { return !r.Want && r.Gen == r.AppliedGen }

func subKey(account, channel string, task catalog.Task) string {
	return account + "#" + channel + "#" + string(task)
}

func topicOf(t catalog.Task) cart.Topic {
	if t == catalog.InstasyncProducts {
		return cart.TopicProducts
	}
	return cart.TopicOrders
}

// subOp builds the writes that make the subscription record want enabled:
// the record and its queue marker.
func (s *Service) subOp(ctx context.Context, ch channels.Channel, task catalog.Task, enabled bool) ([]store.Op, string, error) {
	key := subKey(ch.AccountID, ch.ID, task)
	cur, err := store.GetDoc[subRecord](ctx, s.Store, subsPK, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, "", fmt.Errorf("load subscription record: %w", err)
	}
	r := cur.Value
	r.Account, r.Channel, r.Task, r.Want = ch.AccountID, ch.ID, task, enabled
	r.Gen++
	ops, err := subOps(key, r, cur.Version)
	if err != nil {
		return nil, "", err
	}
	return ops, key, nil
}

// applySub makes the cart's subscription match the record, then marks it
// applied. As with schedules, records of live channels are kept when
// unwanted (no ABA on versions). An applier whose mark loses to a newer
// record removes the subscription it just made, so no cart is left
// delivering to a subscription nobody records, and then applies again.
func (s *Service) applySub(ctx context.Context, key string) error {
	err := store.Retry(ctx, maxApplyAttempts, func() error { return s.applySubOnce(ctx, key) })
	if errors.Is(err, store.ErrConditionFailed) {
		return fmt.Errorf("apply subscription %s: changed while applying, %d times; left for repair: %w", key, maxApplyAttempts+1, err)
	}
	s.reportRefusal(ctx, key, err)
	return err
}

func (s *Service) applySubOnce(ctx context.Context, key string) error {
	d, err := store.GetDoc[subRecord](ctx, s.Store, subsPK, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load subscription record: %w", err)
	}
	r := d.Value
	if r.Gen == r.AppliedGen {
		return nil
	}
	ch, err := s.Channels.Get(ctx, r.Account, r.Channel)
	if errors.Is(err, channels.ErrNotFound) && !r.Want {
		// The channel is gone (its id is never reused); nothing to
		// unsubscribe through any more.
		err := s.Store.Transact(ctx, []store.Op{
			store.Delete(subsPK, key, store.AtVersion(d.Version)),
			store.Delete(subsQueuePK, key, store.NoCond),
		})
		if errors.Is(err, store.ErrConditionFailed) {
			return err
		}
		return nil
	}
	if err != nil {
		return err
	}
	if s.Subscribers == nil {
		return errors.New("webhook subscriptions are not wired")
	}
	creds, err := s.Channels.Credentials(ctx, r.Account, r.Channel)
	if err != nil {
		return err
	}
	sub, err := s.Subscribers.Subscriber(ch, creds)
	if err != nil {
		return fmt.Errorf("subscriber for %s: %w", ch.Type, err)
	}
	if r.SubscriptionID != "" {
		// Replace rather than patch: a subscription made with an old
		// address or secret must not keep delivering.
		if err := sub.Unsubscribe(ctx, r.SubscriptionID); err != nil {
			return fmt.Errorf("unsubscribe %s: %w", key, err)
		}
		r.SubscriptionID = ""
	}
	if r.Want {
		if s.WebhookBaseURL == "" {
			return errors.New("no public webhook URL is configured (WEBHOOK_BASE_URL)")
		}
		secret, err := s.hookSecret(ctx, ch, creds)
		if err != nil {
			return err
		}
		got, err := sub.Subscribe(ctx, topicOf(r.Task), s.webhookURL(ch), secret)
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", key, err)
		}
		if got.Secret != "" {
			if err := s.Channels.SetWebhookSecret(ctx, r.Account, r.Channel, []byte(got.Secret)); err != nil {
				return err
			}
		}
		r.SubscriptionID = got.ID
	}
	r.AppliedGen = r.Gen
	ops, err := subOps(key, r, d.Version)
	if err != nil {
		return err
	}
	err = s.Store.Transact(ctx, ops)
	if errors.Is(err, store.ErrConditionFailed) && r.SubscriptionID != "" {
		if uerr := sub.Unsubscribe(ctx, r.SubscriptionID); uerr != nil {
			return fmt.Errorf("remove subscription %s made by a stale apply: %w", key, uerr)
		}
	}
	if err != nil && !errors.Is(err, store.ErrConditionFailed) {
		return fmt.Errorf("mark subscription %s applied: %w", key, err)
	}
	return err
}

func (s *Service) webhookURL(ch channels.Channel) string {
	return strings.TrimRight(s.WebhookBaseURL, "/") + "/webhooks/" + string(ch.Type) + "/" + ch.ID
}

// hookSecret is the secret the cart will sign with: the app's client secret
// where the cart signs with it, else one made now and kept sealed. A
// secret is never made up for a cart that signs with the client secret:
// the cart would ignore it and every genuine delivery would be refused.
func (s *Service) hookSecret(ctx context.Context, ch channels.Channel, creds cart.Credentials) (string, error) {
	if channels.SignsWithClientSecret(ch.Type) {
		if secret := creds["client_secret"]; secret != "" {
			return secret, nil
		}
		// A refusal, so the merchant sees why in the task's last run.
		return "", &cart.Error{Message: reasonNoClientSecret(ch.Type)}
	}
	secret, err := s.Channels.WebhookSecret(ctx, ch.AccountID, ch.ID)
	if err != nil {
		return "", err
	}
	if len(secret) > 0 {
		return string(secret), nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	made := hex.EncodeToString(b)
	if err := s.Channels.SetWebhookSecret(ctx, ch.AccountID, ch.ID, []byte(made)); err != nil {
		return "", err
	}
	return made, nil
}
