package bigcommerce

import (
	"slices"

	"github.com/autosync/autosync/shared/cart"
)

var _ cart.StatusMatcher = (*Client)(nil)

// Importable reports whether o is in one of the status ids Import Orders
// asks for with statuses (status_id, DefaultStatuses when empty). o's
// CartStatus is the status name toOrder gives a known status id, which
// names it uniquely; an unknown id keeps BigCommerce's wording, which no
// accepted status id matches.
func (c *Client) Importable(o cart.Order, statuses []string) bool {
	id, ok := statusID(o.CartStatus)
	if !ok {
		return false
	}
	want, err := statusesFor(cart.OrderQuery{Statuses: nonEmpty(statuses)})
	return err == nil && slices.Contains(want, id)
}

// statusID is the id of a status as toOrder names it.
func statusID(name string) (int, bool) {
	for id, n := range statusNames {
		if n == name {
			return id, true
		}
	}
	return 0, false
}

// nonEmpty is statuses, or nil (the defaults) when there are none.
func nonEmpty(statuses []string) []string {
	if len(statuses) == 0 {
		return nil
	}
	return statuses
}
