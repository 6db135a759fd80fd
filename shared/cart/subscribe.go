package cart

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CheckWebhookAddress says whether address is an http(s) URL a cart can
// post webhooks to; connector names the connector in the error.
func CheckWebhookAddress(connector, address string) error {
	if u, err := url.Parse(address); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s: webhook address %q is not an http(s) URL", connector, address)
	}
	return nil
}

// SubscribeEach makes one webhook per cart topic with subscribe, for a cart
// whose webhooks each carry one topic. The Subscription's ID is their ids
// joined by a space. If one topic fails, the webhooks already made are
// removed again (best effort), so no half subscription is left behind.
func SubscribeEach(ctx context.Context, connector string, topics []string,
	subscribe func(ctx context.Context, topic string) (string, error),
	remove func(ctx context.Context, id string) error) (Subscription, error) {
	var ids []string
	for _, t := range topics {
		id, err := subscribe(ctx, t)
		if err != nil {
			for _, made := range ids {
				_ = remove(ctx, made)
			}
			return Subscription{}, fmt.Errorf("%s: subscribing to %s: %w", connector, t, err)
		}
		ids = append(ids, id)
	}
	return Subscription{ID: strings.Join(ids, " ")}, nil
}

// SubscribeTopics is Subscribe for a cart that names each Autosync topic
// by one or more topics of its own (table) and makes one webhook per cart
// topic to address with SubscribeEach, after checking topic and address.
func SubscribeTopics(ctx context.Context, connector string, table map[Topic][]string, topic Topic, address string,
	subscribe func(ctx context.Context, topic, address string) (string, error),
	remove func(ctx context.Context, id string) error) (Subscription, error) {
	topics, ok := table[topic]
	if !ok {
		return Subscription{}, fmt.Errorf("%s: no webhooks for topic %q", connector, topic)
	}
	if err := CheckWebhookAddress(connector, address); err != nil {
		return Subscription{}, err
	}
	return SubscribeEach(ctx, connector, topics, func(ctx context.Context, t string) (string, error) {
		return subscribe(ctx, t, address)
	}, remove)
}

// UnsubscribeEach removes the webhooks of a SubscribeEach subscription.
// Every id must pass valid before any is removed; remove treats one that is
// already gone as removed. noun and verb word the errors ("webhook",
// "deleting").
func UnsubscribeEach(ctx context.Context, connector, noun, verb, subscription string,
	valid func(id string) bool, remove func(ctx context.Context, id string) error) error {
	ids := strings.Fields(subscription)
	for _, id := range ids {
		if !valid(id) {
			return fmt.Errorf("%s: %q is not a %s id", connector, id, noun)
		}
	}
	for _, id := range ids {
		if err := remove(ctx, id); err != nil {
			return fmt.Errorf("%s: %s %s %s: %w", connector, verb, noun, id, err)
		}
	}
	return nil
}

// PositiveID says whether id is a cart's numeric id: a positive integer.
func PositiveID(id string) bool {
	_, ok := ParseID(id)
	return ok
}

// WebhookID reads the numeric id (space around it ignored) of the object a
// webhook names (what: "product") for the connector of the cart called
// label. An id that cannot be one of the cart's is an error wrapping a
// *Error that wraps ErrNotFound.
func WebhookID(connector, label, what, id string) (int64, error) {
	n, ok := ParseID(strings.TrimSpace(id))
	if !ok {
		return 0, fmt.Errorf("%s: %s id %q: %w", connector, what, id,
			&Error{Status: http.StatusNotFound, Message: "not a " + label + " " + what + " id", Err: ErrNotFound})
	}
	return n, nil
}

// ParseID reads a cart's numeric id: a positive decimal integer.
func ParseID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0
}
