package amazon

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

const (
	ordersPath     = "/orders/" + OrdersVersion + "/orders"
	ordersPageSize = 100 // maxResultsPerPage's maximum
	// beforeLag keeps lastUpdatedBefore the required two minutes before
	// the request, with 5 s for clock skew.
	beforeLag = 2*time.Minute + 5*time.Second
	// FBALookback is how far back FBAOrders reads (the FBA import's window).
	FBALookback = 30 * 24 * time.Hour
	// maxLookback is where a window without a start begins: Amazon keeps
	// orders two years.
	maxLookback = 2 * 365 * 24 * time.Hour
	// maxRestarts bounds how often a page is searched again after a
	// refused next token before the refusal is reported.
	maxRestarts = 3
	// maxSkipped bounds how many pages of orders handed out already one
	// call reads on through.
	maxSkipped = 10
)

// orderSearch is what one kind of order search asks for.
type orderSearch struct {
	fulfilledBy string // MERCHANT or AMAZON
	statuses    []string
	filter      cart.Filter // for an order whose status the answer omits
	floor       time.Duration
}

var _ cart.OrderSource = (*Client)(nil)

// Orders returns one page of the seller-fulfilled orders q asks for,
// oldest update first: by default Unshipped and PartiallyShipped, with
// q.Cancelled the cancelled ones. It waits out Amazon's rate limit; when
// the wait would outlast ctx's deadline it returns a
// *cart.RateLimitedError instead. Refused credentials are cart.ErrAuth;
// other failures are *cart.Error.
func (c *Client) Orders(ctx context.Context, q cart.OrderQuery) (cart.OrderPage, error) {
	st, err := statusesFor(q)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("amazon: listing orders: %w", err)
	}
	s := orderSearch{fulfilledBy: "MERCHANT", statuses: st, filter: cart.AwaitingFulfillment}
	if q.Cancelled {
		s.filter = cart.Cancelled
	}
	page, err := c.searchOrders(ctx, q, s)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("amazon: listing orders: %w", err)
	}
	return page, nil
}

var _ cart.FBAOrderSource = (*Client)(nil)

// FBAOrders returns one page of the Amazon-fulfilled orders shipped in q's
// window, cut to the last 30 days, as shipped. The executor
// tags them FBA.
func (c *Client) FBAOrders(ctx context.Context, q cart.OrderQuery) (cart.OrderPage, error) {
	s := orderSearch{fulfilledBy: "AMAZON", statuses: []string{StatusShipped}, filter: cart.Shipped, floor: FBALookback}
	page, err := c.searchOrders(ctx, q, s)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("amazon: listing FBA orders: %w", err)
	}
	for i := range page.Orders {
		page.Orders[i].Filter = cart.Shipped
	}
	return page, nil
}

// searchOrders fetches the page q.Cursor points at; see the package
// comment for how the cursor survives an expired next token.
func (c *Client) searchOrders(ctx context.Context, q cart.OrderQuery, s orderSearch) (cart.OrderPage, error) {
	cur, err := decodeCursor(q.Cursor)
	if err != nil {
		return cart.OrderPage{}, &cart.Error{Message: err.Error()}
	}
	if !cur.F {
		// First page: fix the bounds for the whole pass, since every page
		// must repeat the first one's parameters.
		now := c.now().UTC()
		before := now.Add(-beforeLag)
		if !q.UpdatedTo.IsZero() && q.UpdatedTo.Before(before) {
			before = q.UpdatedTo
		}
		from := q.UpdatedFrom
		if from.IsZero() || from.Before(now.Add(-maxLookback)) {
			from = now.Add(-maxLookback)
		}
		if s.floor > 0 && from.Before(now.Add(-s.floor)) {
			from = now.Add(-s.floor)
		}
		from, before = from.Truncate(time.Second), before.Truncate(time.Second)
		if !before.After(from) {
			// Nothing in the window is two minutes old yet: the next
			// pass's overlap reads it.
			return cart.OrderPage{}, nil
		}
		cur = cursor{F: true, S: from, A: from, B: before}
	}
	for skipped := 0; ; {
		resp, err := c.page(ctx, &cur, opSearchOrders, ordersPath, "paginationToken", func() url.Values {
			return url.Values{
				"marketplaceIds":      {c.market},
				"fulfilledBy":         {s.fulfilledBy},
				"fulfillmentStatuses": {strings.Join(s.statuses, ",")},
				"lastUpdatedAfter":    {cur.A.UTC().Format(time.RFC3339)},
				"lastUpdatedBefore":   {cur.B.UTC().Format(time.RFC3339)},
				"maxResultsPerPage":   {strconv.Itoa(ordersPageSize)},
				"includedData":        {"FULFILLMENT,PROCEEDS"},
			}
		})
		if err != nil {
			return cart.OrderPage{}, err
		}
		p, err := parseSearchOrders(resp.body, s.filter)
		if err != nil {
			return cart.OrderPage{}, &cart.Error{Status: resp.status, Message: "Amazon sent orders that could not be read", Err: err}
		}
		out := cart.OrderPage{Orders: make([]cart.Order, 0, len(p.orders))}
		for _, o := range p.orders {
			// lastUpdatedBefore is inclusive ("at or before"); the
			// window's end is not.
			if !q.UpdatedTo.IsZero() && !o.UpdatedAt.Before(q.UpdatedTo) {
				continue
			}
			if !cur.seen(o.ExternalID, o.UpdatedAt) {
				out.Orders = append(out.Orders, o)
			}
		}
		if p.next != "" {
			if p.next == cur.T {
				return cart.OrderPage{}, &cart.Error{Message: "Amazon repeated a page of orders"}
			}
			cur.T = p.next
			if len(out.Orders) == 0 && len(p.orders) > 0 && skipped < maxSkipped {
				// A search again from the position reached gave only orders
				// handed out already: read on, rather than hand the executor
				// an empty page whose token may expire again.
				skipped++
				continue
			}
			out.Next = cur.encode()
		}
		return out, nil
	}
}
