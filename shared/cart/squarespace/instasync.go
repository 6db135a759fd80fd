package squarespace

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/autosync/autosync/shared/cart"
)

// Instasync: one order by id, as a notification names it (Order is in
// orders.go), and the webhook subscriptions that send the notifications
// (Webhook Subscriptions API, /1.0/webhook_subscriptions).
//
// The Webhook Subscriptions API takes an OAuth token only: a channel
// connected with an API key can import orders but not subscribe; Squarespace
// answers 403, which Subscribe reports as a *cart.Error wrapping
// cart.ErrAuth that says so.

const hooksPath = "/" + APIVersion + "/webhook_subscriptions"

// MaxSubscriptions is the most webhook subscriptions a Squarespace site
// holds.
const MaxSubscriptions = 25

// orderTopics are what Subscribe asks for on cart.TopicOrders: a new
// order, every change to one (fulfilled, canceled, refunded, ...), and the
// extension's uninstall, which Squarespace posts only to subscriptions (it
// sends no other notice that the site removed Autosync).
var orderTopics = []string{"order.create", "order.update", topicUninstall}

// topicUninstall is the notification that the site uninstalled the
// extension (data: the extension's clientId).
const topicUninstall = "extension.uninstall"

type hookObject struct {
	ID          string   `json:"id"`
	EndpointURL string   `json:"endpointUrl"`
	Topics      []string `json:"topics"`
	Secret      string   `json:"secret"`
}

var _ cart.Subscriber = (*Client)(nil)

// Subscribe makes Squarespace POST order.create and order.update
// notifications to address (cart.TopicOrders; Squarespace has no product
// notifications, so cart.TopicProducts is a *cart.Error wrapping
// cart.ErrNotFound).
//
// Squarespace makes the secret it signs with and returns it only when a
// subscription is created or its secret rotated, so secret is not used:
// the returned Subscription's Secret (hex) is what deliveries must be
// verified with, and the caller must keep it.
//
// A subscription already posting to address (an earlier answer was lost,
// or the record of it was) is taken over rather than duplicated: its
// topics are completed, its secret rotated (the old one stops signing)
// and further duplicates deleted. Creating is never retried blindly; when
// its outcome is unknown Subscribe looks again.
func (c *Client) Subscribe(ctx context.Context, topic cart.Topic, address, secret string) (cart.Subscription, error) {
	if topic != cart.TopicOrders {
		return cart.Subscription{}, fmt.Errorf("squarespace: subscribing to %s: %w", topic, &cart.Error{
			Message: "Squarespace sends no webhooks for " + string(topic) + "; its notifications are order.create, order.update and extension.uninstall",
			Err:     cart.ErrNotFound,
		})
	}
	if err := cart.CheckWebhookAddress("squarespace", address); err != nil {
		return cart.Subscription{}, err
	}
	const looks = 3
	for try := 1; ; try++ {
		subs, err := c.hooks(ctx)
		if err != nil {
			return cart.Subscription{}, fmt.Errorf("squarespace: listing webhook subscriptions: %w", err)
		}
		var mine []hookObject
		for _, h := range subs {
			if h.EndpointURL == address {
				mine = append(mine, h)
			}
		}
		if len(mine) > 0 {
			sub, err := c.takeOver(ctx, mine)
			if err != nil {
				return cart.Subscription{}, fmt.Errorf("squarespace: taking over webhook subscription %s: %w", mine[0].ID, err)
			}
			return sub, nil
		}
		if len(subs) >= MaxSubscriptions {
			return cart.Subscription{}, fmt.Errorf("squarespace: subscribing: %w", &cart.Error{Status: http.StatusBadRequest,
				Message: fmt.Sprintf("the Squarespace site already has %d webhook subscriptions, the most it allows", MaxSubscriptions)})
		}
		sub, err := c.createHook(ctx, address)
		var ce *cart.Error
		if err != nil && errors.As(err, &ce) && ce.Temporary && try < looks {
			continue // it may have been made: look again
		}
		if err != nil {
			return cart.Subscription{}, fmt.Errorf("squarespace: creating a webhook subscription: %w", err)
		}
		return sub, nil
	}
}

// hooks lists the site's webhook subscriptions (at most 25, one page).
func (c *Client) hooks(ctx context.Context) ([]hookObject, error) {
	rep, err := c.do(ctx, request{method: http.MethodGet, path: hooksPath})
	if err != nil {
		return nil, hookFailure(err)
	}
	var list struct {
		Subs *[]hookObject `json:"webhookSubscriptions"`
	}
	if err := json.Unmarshal(rep.body, &list); err != nil || list.Subs == nil {
		return nil, malformed("webhook subscriptions: not a list")
	}
	for _, h := range *list.Subs {
		if !idRE.MatchString(h.ID) {
			return nil, malformed("webhook subscription id %q", h.ID)
		}
	}
	return *list.Subs, nil
}

// createHook creates the subscription, once.
func (c *Client) createHook(ctx context.Context, address string) (cart.Subscription, error) {
	body, err := json.Marshal(map[string]any{"endpointUrl": address, "topics": orderTopics})
	if err != nil {
		return cart.Subscription{}, err
	}
	rep, err := c.do(ctx, request{method: http.MethodPost, path: hooksPath, body: body, once: true})
	if err != nil {
		return cart.Subscription{}, hookFailure(err)
	}
	var h hookObject
	if err := json.Unmarshal(rep.body, &h); err != nil || !idRE.MatchString(h.ID) {
		return cart.Subscription{}, malformed("the created webhook subscription has no id")
	}
	if !validSecret(h.Secret) {
		// Without its secret no delivery can be verified: do not leave it.
		_ = c.deleteHook(ctx, h.ID)
		return cart.Subscription{}, malformed("the created webhook subscription has no hex secret")
	}
	return cart.Subscription{ID: h.ID, Secret: h.Secret}, nil
}

// takeOver makes the first of mine (subscriptions posting to the address)
// Autosync's: both order topics, a fresh secret, no duplicates beside it.
func (c *Client) takeOver(ctx context.Context, mine []hookObject) (cart.Subscription, error) {
	h := mine[0]
	topics := slices.Clone(h.Topics)
	for _, t := range orderTopics {
		if !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	if len(topics) != len(h.Topics) {
		body, err := json.Marshal(map[string]any{"topics": topics})
		if err != nil {
			return cart.Subscription{}, err
		}
		if _, err := c.do(ctx, request{method: http.MethodPost, path: hooksPath + "/" + h.ID, body: body}); err != nil {
			return cart.Subscription{}, hookFailure(err)
		}
	}
	// Rotating again after a lost answer is safe: the last secret returned
	// is the one that signs.
	rep, err := c.do(ctx, request{method: http.MethodPost, path: hooksPath + "/" + h.ID + "/actions/rotateSecret"})
	if err != nil {
		return cart.Subscription{}, hookFailure(err)
	}
	var r struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(rep.body, &r); err != nil || !validSecret(r.Secret) {
		return cart.Subscription{}, malformed("the rotated secret is not hex")
	}
	for _, d := range mine[1:] {
		_ = c.deleteHook(ctx, d.ID) // best effort: a duplicate signs with a secret nobody holds
	}
	return cart.Subscription{ID: h.ID, Secret: r.Secret}, nil
}

// validSecret: Squarespace's secrets are hex, "always".
func validSecret(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) > 0
}

// Unsubscribe deletes the webhook subscription id. One already gone is not
// an error; an id that cannot be a subscription id is.
func (c *Client) Unsubscribe(ctx context.Context, id string) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("squarespace: %q is not a webhook subscription id", id)
	}
	if err := c.deleteHook(ctx, id); err != nil {
		return fmt.Errorf("squarespace: deleting webhook subscription %s: %w", id, err)
	}
	return nil
}

func (c *Client) deleteHook(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: hooksPath + "/" + id})
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return nil // already gone
	}
	return hookFailure(err)
}

// hookFailure makes a failure of the Webhook Subscriptions API a
// merchant-safe *cart.Error; a refused credential says that the API
// takes an OAuth token.
func hookFailure(err error) error {
	if err == nil {
		return nil
	}
	if ae, ok := err.(*APIError); ok {
		return refused(ae)
	}
	var ce *cart.Error
	if errors.As(err, &ce) && errors.Is(err, cart.ErrAuth) {
		return &cart.Error{Status: ce.Status, Err: err,
			Message: "Squarespace refused to manage webhook subscriptions with this channel's credential: instasync needs a valid " +
				"OAuth token allowed to read orders (an API key cannot use the Webhook Subscriptions API)"}
	}
	return err
}
