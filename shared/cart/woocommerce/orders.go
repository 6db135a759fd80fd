package woocommerce

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/autosync/autosync/shared/cart"
)

var _ cart.OrderSource = (*Client)(nil)

// Orders returns one page of the orders q asks for, oldest modification
// first: status processing by default (q.Statuses overrides it; q.Cancelled
// asks for cancelled, refunded and failed ones) modified in
// [UpdatedFrom, UpdatedTo), to the second, rounded outward. It waits out
// 429s; when the wait would outlast ctx's deadline it returns a
// *cart.RateLimitedError instead. Refused keys are cart.ErrAuth; other
// failures are *cart.Error.
func (c *Client) Orders(ctx context.Context, q cart.OrderQuery) (cart.OrderPage, error) {
	if q.EmptyWindow() {
		return cart.OrderPage{}, nil // an empty window holds no orders
	}
	status, err := statusParam(q)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("woocommerce: listing orders: %w", err)
	}
	orders, next, err := readPage(ctx, c, "/orders", q.UpdatedFrom, q.UpdatedTo, q.Cursor,
		url.Values{"status": {status}, "_fields": {orderFields}}, parseOrders)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("woocommerce: listing orders: %w", err)
	}
	return cart.OrderPage{Orders: orders, Next: next}, nil
}

var _ cart.OrderFetcher = (*Client)(nil)

// Order returns one order by its id, for a webhook that names it. An
// unknown id is a *cart.Error wrapping cart.ErrNotFound.
func (c *Client) Order(ctx context.Context, id string) (cart.Order, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return cart.Order{}, fmt.Errorf("woocommerce: order id %q: %w", id, &cart.Error{Message: "not a WooCommerce order id", Err: cart.ErrNotFound})
	}
	rep, err := c.get(ctx, "/orders/"+strconv.FormatInt(n, 10), url.Values{"_fields": {orderFields}})
	if err != nil {
		return cart.Order{}, fmt.Errorf("woocommerce: reading order %d: %w", n, err)
	}
	o, err := parseOrder(rep.body)
	if err != nil {
		return cart.Order{}, fmt.Errorf("woocommerce: reading order %d: %w", n, err)
	}
	return o, nil
}
