package bigcommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/autosync/autosync/shared/cart"
)

// Instasync: one product by id, as a webhook names it (Order is in
// bigcommerce.go), and the webhooks (V3 /hooks) that send them.

var _ cart.ListingFetcher = (*Client)(nil)

// ProductListings returns the listings of one product (GET
// /v3/catalog/products/{id} with its variants and images), mapped as
// Listings maps them: one per variant with a SKU, with the stock at the
// client's location. A product BigCommerce does not have is a *cart.Error
// wrapping cart.ErrNotFound.
func (c *Client) ProductListings(ctx context.Context, productID string) ([]cart.Listing, error) {
	n, err := cart.WebhookID("bigcommerce", "BigCommerce", "product", productID)
	if err != nil {
		return nil, err
	}
	id := strconv.FormatInt(n, 10)
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/" + CatalogAPI + "/catalog/products/" + id,
		query: url.Values{"include": {"variants,images"}}})
	if err == nil && resp.status != http.StatusOK {
		err = failure(resp)
	}
	if err != nil {
		return nil, fmt.Errorf("bigcommerce: reading product %s: %w", id, err)
	}
	var d struct {
		Data *v3Product `json:"data"`
	}
	if err := json.Unmarshal(resp.body, &d); err != nil {
		return nil, fmt.Errorf("bigcommerce: reading product %s: %w", id, unreadable(resp.status, cart.Malformed("product: %v", err)))
	}
	if d.Data == nil || d.Data.ID != n {
		return nil, fmt.Errorf("bigcommerce: reading product %s: %w", id, unreadable(resp.status, cart.Malformed("not product %s", id)))
	}
	ls, err := toListings(*d.Data)
	if err != nil {
		return nil, fmt.Errorf("bigcommerce: reading product %s: %w", id, unreadable(resp.status, err))
	}
	tr := tracking{}
	tr.add(*d.Data)
	if err := c.atLocation(ctx, ls, tr); err != nil {
		return nil, fmt.Errorf("bigcommerce: reading product %s: %w", id, err)
	}
	return ls, nil
}

// hookScopes are the scopes of each topic. Orders take the wildcard:
// created, updated, statusUpdated and the rest all mean "read the order
// again". Products take created and updated only, not the wildcard, which
// would also send every stock change (store/product/inventory/*),
// Autosync's own write-backs included.
var hookScopes = map[cart.Topic][]string{
	cart.TopicOrders:   {"store/order/*"},
	cart.TopicProducts: {"store/product/created", "store/product/updated"},
}

var _ cart.Subscriber = (*Client)(nil)

// Subscribe creates one webhook per scope of topic (store/order/* for
// cart.TopicOrders; store/product/created and store/product/updated for
// cart.TopicProducts) posting to address. The Subscription's ID is the
// hook ids joined by a space.
//
// BigCommerce signs deliveries with the app's client secret (Standard
// Webhooks), so secret is not used and the Subscription's Secret is
// empty: the receiver verifies with the client secret.
//
// A hook of the same scope and destination that already exists (an
// earlier answer was lost) is taken over, and activated if BigCommerce
// deactivated it; creating is never retried blindly, so no duplicate hooks
// are left behind. If one scope fails, the hooks already made are removed.
func (c *Client) Subscribe(ctx context.Context, topic cart.Topic, address, secret string) (cart.Subscription, error) {
	return cart.SubscribeTopics(ctx, "bigcommerce", hookScopes, topic, address, c.hook, c.deleteHook)
}

// hook finds or creates the active hook of scope posting to address.
func (c *Client) hook(ctx context.Context, scope, address string) (string, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/" + CatalogAPI + "/hooks", query: url.Values{
		"scope": {scope}, "destination": {address}, "limit": {"250"},
	}})
	if err == nil && resp.status != http.StatusOK {
		err = failure(resp)
	}
	if err != nil {
		return "", err
	}
	var list struct {
		Data []hookJSON `json:"data"`
	}
	if err := json.Unmarshal(resp.body, &list); err != nil {
		return "", unreadable(resp.status, cart.Malformed("hooks: %v", err))
	}
	if i := slices.IndexFunc(list.Data, func(h hookJSON) bool { return h.Scope == scope && h.Destination == address && h.ID > 0 }); i >= 0 {
		h := list.Data[i]
		id := strconv.FormatInt(h.ID, 10)
		if !h.IsActive {
			resp, err := c.do(ctx, request{method: http.MethodPut, path: "/" + CatalogAPI + "/hooks/" + id, body: []byte(`{"is_active":true}`)})
			if err == nil && resp.status != http.StatusOK {
				err = hookFailure(resp)
			}
			if err != nil {
				return "", err
			}
		}
		return id, nil
	}
	body, err := json.Marshal(map[string]any{"scope": scope, "destination": address, "is_active": true, "headers": map[string]string{}})
	if err != nil {
		return "", err
	}
	resp, err = c.do(ctx, request{method: http.MethodPost, path: "/" + CatalogAPI + "/hooks", body: body, once: true})
	if err == nil && resp.status != http.StatusOK && resp.status != http.StatusCreated {
		err = hookFailure(resp)
	}
	if err != nil {
		return "", err
	}
	var made struct {
		Data *hookJSON `json:"data"`
	}
	if err := json.Unmarshal(resp.body, &made); err != nil || made.Data == nil || made.Data.ID <= 0 {
		return "", unreadable(resp.status, cart.Malformed("the created hook has no id"))
	}
	return strconv.FormatInt(made.Data.ID, 10), nil
}

// hookFailure is failure with the fields a 422 names ("destination: ...").
func hookFailure(resp *response) error {
	err := failure(resp)
	var p struct {
		Errors map[string]any `json:"errors"`
	}
	if ce, ok := err.(*cart.Error); ok && json.Unmarshal(resp.body, &p) == nil && len(p.Errors) > 0 {
		keys := make([]string, 0, len(p.Errors))
		for k := range p.Errors {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s: %v", k, p.Errors[k]))
		}
		ce.Message = clip(ce.Message + " (" + strings.Join(parts, "; ") + ")")
	}
	return err
}

// Unsubscribe deletes the hooks Subscribe made (the ids in id, separated
// by spaces). Hooks already gone are not an error; an id that is not a
// hook id is.
func (c *Client) Unsubscribe(ctx context.Context, id string) error {
	return cart.UnsubscribeEach(ctx, "bigcommerce", "webhook", "deleting", id, cart.PositiveID, c.deleteHook)
}

func (c *Client) deleteHook(ctx context.Context, id string) error {
	resp, err := c.do(ctx, request{method: http.MethodDelete, path: "/" + CatalogAPI + "/hooks/" + id})
	switch {
	case err != nil:
		return err
	case resp.status == http.StatusNotFound:
		return nil // already gone
	case resp.status < 200 || resp.status > 299:
		return failure(resp)
	}
	return nil
}
