package shopify

import (
	"slices"
	"strings"

	"github.com/autosync/autosync/shared/cart"
)

var _ cart.StatusMatcher = (*Client)(nil)

// Importable reports whether o is one the orders search Import Orders
// sends with statuses (DefaultStatuses when empty) selects: for every
// field the terms name, o matches one of its values. o's CartStatus is
// toOrder's "state/financial/fulfillment", state one of open, closed and
// cancelled, the others Shopify's display statuses in lower case.
//
// The search values are read as Shopify's REST order reference defines
// them: fulfillment_status unshipped is an unfulfilled order, partial a
// partially fulfilled one, shipped and fulfilled a fulfilled one,
// unfulfilled either of the first two. A display status the search
// values do not name (in_progress, open, pending_fulfillment, restocked)
// matches none, and a cancelled order's closed flag is not kept, so it
// matches no status:closed or status:not_closed: the scheduled import
// decides those.
func (c *Client) Importable(o cart.Order, statuses []string) bool {
	if len(statuses) == 0 {
		statuses = DefaultStatuses()
	}
	if _, err := statusFilter(statuses); err != nil {
		return false
	}
	parts := strings.Split(o.CartStatus, "/")
	if len(parts) != 3 {
		return false
	}
	state, financial, fulfillment := parts[0], parts[1], parts[2]
	byField := map[string][]string{}
	for _, s := range statuses {
		field, value, _ := strings.Cut(strings.TrimSpace(s), ":")
		byField[field] = append(byField[field], strings.ToLower(value))
	}
	for field, values := range byField {
		if !slices.ContainsFunc(values, func(v string) bool {
			switch field {
			case "status":
				return statusMatches(v, state)
			case "financial_status":
				return v == financial
			default:
				return fulfillmentMatches(v, fulfillment)
			}
		}) {
			return false
		}
	}
	return true
}

// statusMatches says whether the search's status value holds for state.
func statusMatches(value, state string) bool {
	switch value {
	case "any":
		return true
	case "not_closed":
		return state == "open"
	}
	return value == state
}

// fulfillmentMatches says whether the search's fulfillment_status value
// holds for a display fulfillment status (lower case).
func fulfillmentMatches(value, display string) bool {
	switch value {
	case "unshipped":
		return display == "unfulfilled"
	case "partial":
		return display == "partially_fulfilled"
	case "shipped", "fulfilled":
		return display == "fulfilled"
	case "unfulfilled":
		return display == "unfulfilled" || display == "partially_fulfilled"
	}
	return value == display // on_hold, scheduled, request_declined
}
