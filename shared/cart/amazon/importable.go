package amazon

import (
	"slices"

	"github.com/autosync/autosync/shared/cart"
)

var _ cart.StatusMatcher = (*Client)(nil)

// Importable reports whether o is a merchant-fulfilled order in one of
// the fulfillment statuses Import Orders searches for with statuses
// (DefaultStatuses when empty). An order whose answer left its status
// out, or that Amazon fulfils (tagged FBA), is not one that search
// selects.
func (c *Client) Importable(o cart.Order, statuses []string) bool {
	if len(statuses) == 0 {
		statuses = nil
	}
	if slices.Contains(o.Tags, "FBA") {
		return false
	}
	status, ok := NormalizeStatus(o.CartStatus)
	if !ok {
		return false
	}
	want, err := statusesFor(cart.OrderQuery{Statuses: statuses})
	return err == nil && slices.Contains(want, status)
}
