package squarespace

import (
	"slices"

	"github.com/autosync/autosync/shared/cart"
)

var _ cart.StatusMatcher = (*Client)(nil)

// Importable reports whether o's fulfillment status is one Import Orders
// keeps with statuses (fulfillmentStatus; DefaultStatuses, PENDING, when
// empty). Squarespace's Orders API holds only orders whose payment went
// through, so a PENDING order is a paid one.
func (c *Client) Importable(o cart.Order, statuses []string) bool {
	if len(statuses) == 0 {
		statuses = nil
	}
	want, err := fulfillmentStatuses(cart.OrderQuery{Statuses: statuses})
	return err == nil && slices.Contains(want, o.CartStatus)
}
