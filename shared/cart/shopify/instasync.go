package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/autosync/autosync/shared/cart"
)

// Instasync: one order or product by id, as a webhook names it, and the
// webhook subscriptions that send them.

const orderDoc = `query Order($id: ID!, $lines: Int!) {
  order(id: $id) {` + orderFields + `  }
}`

const productDoc = `query Product($id: ID!, $media: Int!, $variants: Int!, $location: ID!) {
  product(id: $id) {` + productFields + `  }
}`

// globalID turns a legacy id (a webhook's numeric "id") or a global id of
// type typ into the global id; ok is false for anything else.
func globalID(id, typ string) (string, bool) {
	id = strings.TrimSpace(id)
	if isGID(id, typ) {
		return id, true
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 {
		return "", false
	}
	return "gid://shopify/" + typ + "/" + strconv.FormatUint(n, 10), true
}

func notFound(what, id string) error {
	return &cart.Error{Status: http.StatusOK, Message: fmt.Sprintf("Shopify has no %s %s", what, id), Err: cart.ErrNotFound}
}

var _ cart.OrderFetcher = (*Client)(nil)

// Order returns one order by its legacy id (what a webhook's "id" holds)
// or its global id, mapped as Orders maps orders. An order Shopify does
// not have (or an id that cannot be one) is a *cart.Error wrapping
// cart.ErrNotFound.
func (c *Client) Order(ctx context.Context, id string) (cart.Order, error) {
	gid, ok := globalID(id, "Order")
	if !ok {
		return cart.Order{}, fmt.Errorf("shopify: order id %q: %w", id, notFound("order", id))
	}
	data, err := c.query(ctx, orderDoc, map[string]any{"id": gid, "lines": linesPerOrder}, orderNodeCost)
	if err != nil {
		return cart.Order{}, fmt.Errorf("shopify: reading order %s: %w", id, err)
	}
	var d struct {
		Order *orderNode `json:"order"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return cart.Order{}, fmt.Errorf("shopify: reading order %s: %w: %v", id, cart.ErrMalformed, err)
	}
	if d.Order == nil {
		return cart.Order{}, fmt.Errorf("shopify: reading order %s: %w", id, notFound("order", id))
	}
	o, err := toOrder(*d.Order)
	if err != nil {
		return cart.Order{}, fmt.Errorf("shopify: reading order %s: %w", id, err)
	}
	after, err := d.Order.LineItems.PageInfo.next("more lines")
	if err != nil {
		return cart.Order{}, fmt.Errorf("shopify: reading order %s: %w", id, err)
	}
	if after != "" {
		more, err := c.remainingLines(ctx, moreLines{gid: d.Order.ID, after: after})
		if err != nil {
			return cart.Order{}, fmt.Errorf("shopify: reading the lines of order %s: %w", o.Number, err)
		}
		o.Lines = append(o.Lines, more...)
	}
	return o, nil
}

var _ cart.ListingFetcher = (*Client)(nil)

// ProductListings returns the listings of one product, by its legacy id
// (a products/* webhook's "id") or its global id, mapped as Listings maps
// them: one per variant with a SKU. A product Shopify does not have is a
// *cart.Error wrapping cart.ErrNotFound.
func (c *Client) ProductListings(ctx context.Context, productID string) ([]cart.Listing, error) {
	gid, ok := globalID(productID, "Product")
	if !ok {
		return nil, fmt.Errorf("shopify: product id %q: %w", productID, notFound("product", productID))
	}
	loc, err := c.primaryLocation(ctx)
	if err != nil {
		return nil, fmt.Errorf("shopify: reading product %s: %w", productID, err)
	}
	vars := map[string]any{"id": gid, "media": mediaPerProduct, "variants": variantsPerProduct, "location": loc}
	data, err := c.query(ctx, productDoc, vars, productNodeCost)
	if err != nil {
		return nil, fmt.Errorf("shopify: reading product %s: %w", productID, err)
	}
	var d struct {
		Product *productNode `json:"product"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("shopify: reading product %s: %w: %v", productID, cart.ErrMalformed, err)
	}
	if d.Product == nil {
		return nil, fmt.Errorf("shopify: reading product %s: %w", productID, notFound("product", productID))
	}
	p, err := productOf(d.Product)
	if err != nil {
		return nil, fmt.Errorf("shopify: reading product %s: %w", productID, err)
	}
	if err := c.completeProduct(ctx, p, loc); err != nil {
		return nil, fmt.Errorf("shopify: %w", err)
	}
	return p.listings(), nil
}

// webhookTopics are the WebhookSubscriptionTopic values of each topic:
// an order's creation and its later updates (cancels, fulfillments,
// edits); a product's creation and its updates.
var webhookTopics = map[cart.Topic][]string{
	cart.TopicOrders:   {"ORDERS_CREATE", "ORDERS_UPDATED"},
	cart.TopicProducts: {"PRODUCTS_CREATE", "PRODUCTS_UPDATE"},
}

const (
	webhookCreateDoc = `mutation WebhookCreate($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id }
    userErrors { field message }
  }
}`
	webhookFindDoc = `query WebhookFind($topics: [WebhookSubscriptionTopic!], $uri: String) {
  webhookSubscriptions(first: 1, topics: $topics, uri: $uri) { nodes { id } }
}`
	webhookGetDoc    = `query WebhookGet($id: ID!) { webhookSubscription(id: $id) { id } }`
	webhookDeleteDoc = `mutation WebhookDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}`
	// Mutations cost 10; each object selected 1 more.
	webhookCreateCost = 10 + 1
	webhookFindCost   = 2 + 1
	webhookGetCost    = 1
	webhookDeleteCost = 10
)

type userErrors []struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

func (u userErrors) message() string {
	var parts []string
	for _, e := range u {
		if m := strings.TrimSpace(e.Message); m != "" {
			parts = append(parts, m)
		}
	}
	if len(parts) == 0 {
		return "Shopify refused the webhook subscription"
	}
	return cart.Clip(strings.Join(parts, "; "), 300)
}

var _ cart.Subscriber = (*Client)(nil)

// Subscribe asks Shopify to POST topic's events to address in JSON: one
// webhook subscription per Shopify topic (orders/create and
// orders/updated for cart.TopicOrders; products/create and
// products/update for cart.TopicProducts). The returned Subscription's ID
// is their global ids joined by a space, in that order.
//
// Shopify signs every delivery with the app's client secret, so secret is
// not used: the receiver must verify with the client secret. The
// Subscription's Secret is empty for the same reason.
//
// Shopify refuses a second subscription of one topic to one address; that
// subscription is taken over instead, so subscribing again after a lost
// answer is harmless. If one topic fails, the subscriptions already made
// are removed again.
func (c *Client) Subscribe(ctx context.Context, topic cart.Topic, address, secret string) (cart.Subscription, error) {
	return cart.SubscribeTopics(ctx, "shopify", webhookTopics, topic, address, c.subscribe, c.unsubscribe)
}

// subscribe makes (or finds) the subscription of one Shopify topic.
func (c *Client) subscribe(ctx context.Context, topic, address string) (string, error) {
	data, err := c.query(ctx, webhookCreateDoc, map[string]any{
		"topic": topic, "sub": map[string]any{"uri": address, "format": "JSON"},
	}, webhookCreateCost)
	if err != nil {
		return "", err
	}
	var d struct {
		Create *struct {
			Sub *struct {
				ID string `json:"id"`
			} `json:"webhookSubscription"`
			UserErrors userErrors `json:"userErrors"`
		} `json:"webhookSubscriptionCreate"`
	}
	if err := json.Unmarshal(data, &d); err != nil || d.Create == nil {
		return "", &cart.Error{Status: http.StatusOK, Message: "Shopify sent an answer that could not be read", Err: cart.ErrMalformed}
	}
	if s := d.Create.Sub; s != nil && len(d.Create.UserErrors) == 0 {
		if !isGID(s.ID, "WebhookSubscription") {
			return "", &cart.Error{Status: http.StatusOK, Message: "Shopify sent a subscription without an id", Err: cart.ErrMalformed}
		}
		return s.ID, nil
	}
	// Most likely "Address for this topic has already been taken": the
	// subscription exists (an earlier answer was lost). Take it over.
	data, err = c.query(ctx, webhookFindDoc, map[string]any{"topics": []string{topic}, "uri": address}, webhookFindCost)
	if err != nil {
		return "", err
	}
	var f struct {
		Subs *struct {
			Nodes []struct {
				ID string `json:"id"`
			} `json:"nodes"`
		} `json:"webhookSubscriptions"`
	}
	if err := json.Unmarshal(data, &f); err == nil && f.Subs != nil && len(f.Subs.Nodes) > 0 && isGID(f.Subs.Nodes[0].ID, "WebhookSubscription") {
		return f.Subs.Nodes[0].ID, nil
	}
	return "", &cart.Error{Status: http.StatusOK, Message: d.Create.UserErrors.message()}
}

// Unsubscribe removes the subscriptions Subscribe made (the ids in id,
// separated by spaces). Subscriptions already gone are not an error; an id
// that is not a webhook subscription's global id is.
func (c *Client) Unsubscribe(ctx context.Context, id string) error {
	return cart.UnsubscribeEach(ctx, "shopify", "webhook subscription", "removing", id,
		func(gid string) bool { return isGID(gid, "WebhookSubscription") }, c.unsubscribe)
}

func (c *Client) unsubscribe(ctx context.Context, gid string) error {
	data, err := c.query(ctx, webhookDeleteDoc, map[string]any{"id": gid}, webhookDeleteCost)
	if err != nil {
		return err
	}
	var d struct {
		Delete *struct {
			UserErrors userErrors `json:"userErrors"`
		} `json:"webhookSubscriptionDelete"`
	}
	if err := json.Unmarshal(data, &d); err != nil || d.Delete == nil {
		return &cart.Error{Status: http.StatusOK, Message: "Shopify sent an answer that could not be read", Err: cart.ErrMalformed}
	}
	if len(d.Delete.UserErrors) == 0 {
		return nil
	}
	// Shopify answers a userError for a subscription that does not exist;
	// whether it is gone is what matters.
	exists, err := c.webhookExists(ctx, gid)
	switch {
	case err != nil:
		return err
	case exists:
		return &cart.Error{Status: http.StatusOK, Message: d.Delete.UserErrors.message()}
	}
	return nil
}

func (c *Client) webhookExists(ctx context.Context, gid string) (bool, error) {
	data, err := c.query(ctx, webhookGetDoc, map[string]any{"id": gid}, webhookGetCost)
	if err != nil {
		return false, err
	}
	var d struct {
		Sub *struct {
			ID string `json:"id"`
		} `json:"webhookSubscription"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return false, &cart.Error{Status: http.StatusOK, Message: "Shopify sent an answer that could not be read", Err: cart.ErrMalformed}
	}
	return d.Sub != nil, nil
}
