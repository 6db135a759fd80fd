package woocommerce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/autosync/autosync/shared/cart"
)

// Instasync: one product by id, as a webhook names it (Order is in
// pager.go), and the webhooks that send them.

var _ cart.ListingFetcher = (*Client)(nil)

// ProductListings returns the listings of one product, mapped as Listings
// maps them: a simple product's one listing, or one per variation of a
// variable product that has a SKU of its own; grouped and external
// products have none. A variation's id (WooCommerce's product.updated
// fires for a variation with the body of /products/{variation id}, type
// "variation") gives its parent's listings, the variation's among them. A
// product WooCommerce does not have is a *cart.Error wrapping
// cart.ErrNotFound.
func (c *Client) ProductListings(ctx context.Context, productID string) ([]cart.Listing, error) {
	n, err := cart.WebhookID("woocommerce", "WooCommerce", "product", productID)
	if err != nil {
		return nil, err
	}
	p, err := c.product(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("woocommerce: %w", err)
	}
	if p.Type == "variation" {
		if !p.ParentID.Valid || p.ParentID.N <= 0 || p.ParentID.N == n {
			return nil, fmt.Errorf("woocommerce: reading product %d: %w: a variation without a parent", n, cart.ErrMalformed)
		}
		if p, err = c.product(ctx, p.ParentID.N); err != nil {
			return nil, fmt.Errorf("woocommerce: variation %d: %w", n, err)
		}
	}
	ls, err := c.listingsOf(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("woocommerce: %w", err)
	}
	return addNew(nil, map[string]bool{}, ls), nil
}

// product reads one product (a variation too) by id.
func (c *Client) product(ctx context.Context, n int64) (wcProduct, error) {
	rep, err := c.get(ctx, "/products/"+strconv.FormatInt(n, 10), url.Values{"_fields": {productFields + ",parent_id"}})
	if err != nil {
		return wcProduct{}, fmt.Errorf("reading product %d: %w", n, err)
	}
	var p wcProduct
	if err := json.Unmarshal(rep.body, &p); err != nil {
		return wcProduct{}, fmt.Errorf("reading product %d: %w: %v", n, cart.ErrMalformed, err)
	}
	if !p.ID.Valid || p.ID.N != n {
		return wcProduct{}, fmt.Errorf("reading product %d: %w: the answer is another product", n, cart.ErrMalformed)
	}
	return p, nil
}

// webhookTopics are the WooCommerce topics of each topic.
var webhookTopics = map[cart.Topic][]string{
	cart.TopicOrders:   {"order.created", "order.updated"},
	cart.TopicProducts: {"product.created", "product.updated"},
}

var _ cart.Subscriber = (*Client)(nil)

// Subscribe creates one webhook per WooCommerce topic of topic
// (order.created and order.updated for cart.TopicOrders; product.created
// and product.updated for cart.TopicProducts), active, posting to address
// and signed with secret, which is required: WooCommerce signs each
// delivery with its webhook's secret (X-WC-Webhook-Signature). The
// Subscription's ID is the webhook ids joined by a space; its Secret is
// empty, since the caller chose it.
//
// A webhook of the same topic and address that already exists (an
// earlier answer was lost, or WooCommerce disabled it after failed
// deliveries) is taken over: its secret is replaced and it is set active
// again. Creating is never retried blindly, so no duplicate webhooks are
// left behind. If one topic fails, the webhooks already made are removed.
func (c *Client) Subscribe(ctx context.Context, topic cart.Topic, address, secret string) (cart.Subscription, error) {
	if secret == "" {
		return cart.Subscription{}, errors.New("woocommerce: a webhook secret is required; WooCommerce signs deliveries with it")
	}
	// The store's webhooks are listed once, before the first topic.
	var existing []wcWebhook
	listed := false
	return cart.SubscribeTopics(ctx, "woocommerce", webhookTopics, topic, address, func(ctx context.Context, t, address string) (string, error) {
		if !listed {
			ws, err := c.webhooks(ctx)
			if err != nil {
				return "", fmt.Errorf("listing webhooks: %w", err)
			}
			existing, listed = ws, true
		}
		return c.webhook(ctx, existing, t, address, secret)
	}, c.deleteWebhook)
}

// webhooks lists every webhook of the store.
func (c *Client) webhooks(ctx context.Context) ([]wcWebhook, error) {
	return readAll(ctx, c, "/webhooks", url.Values{"status": {"all"}}, 100, func(body []byte) ([]wcWebhook, error) {
		var ws []wcWebhook
		if err := json.Unmarshal(body, &ws); err != nil {
			return nil, fmt.Errorf("%w: %v", cart.ErrMalformed, err)
		}
		return ws, nil
	})
}

// webhook takes over the webhook of topic posting to address in existing,
// or creates one, and returns its id.
func (c *Client) webhook(ctx context.Context, existing []wcWebhook, topic, address, secret string) (string, error) {
	body, err := json.Marshal(map[string]any{
		"name": "Autosync " + topic, "topic": topic, "delivery_url": address, "secret": secret, "status": "active",
	})
	if err != nil {
		return "", err
	}
	for _, w := range existing {
		if w.Topic == topic && w.DeliveryURL == address && w.ID.Valid && w.ID.N > 0 {
			id := strconv.FormatInt(w.ID.N, 10)
			// Setting the secret and status again is idempotent.
			if _, err := c.do(ctx, http.MethodPut, "/webhooks/"+id, nil, body); err != nil {
				return "", err
			}
			return id, nil
		}
	}
	rep, err := c.send(ctx, http.MethodPost, "/webhooks", nil, body, false)
	if err != nil {
		return "", err
	}
	var made wcWebhook
	if err := json.Unmarshal(rep.body, &made); err != nil || !made.ID.Valid || made.ID.N <= 0 {
		return "", &cart.Error{Status: rep.status, Message: "WooCommerce sent a webhook without an id", Err: cart.ErrMalformed}
	}
	return strconv.FormatInt(made.ID.N, 10), nil
}

// Unsubscribe deletes the webhooks Subscribe made (the ids in id,
// separated by spaces). Webhooks already gone are not an error; an id that
// is not a webhook id is.
func (c *Client) Unsubscribe(ctx context.Context, id string) error {
	return cart.UnsubscribeEach(ctx, "woocommerce", "webhook", "deleting", id, cart.PositiveID, c.deleteWebhook)
}

// deleteWebhook deletes a webhook for good (webhooks cannot be trashed).
func (c *Client) deleteWebhook(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/webhooks/"+id, url.Values{"force": {"true"}}, nil)
	if errors.Is(err, cart.ErrNotFound) {
		return nil // already gone
	}
	return err
}
