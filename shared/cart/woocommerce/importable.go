package woocommerce

import (
	"slices"
	"strings"

	"github.com/autosync/autosync/shared/cart"
)

var _ cart.StatusMatcher = (*Client)(nil)

// Importable reports whether o's status is one Import Orders asks for
// with statuses (the status parameter; DefaultStatuses, processing, when
// empty). "any", which WooCommerce accepts there, selects every status
// but trash and checkout-draft (drafts of a checkout in progress).
func (c *Client) Importable(o cart.Order, statuses []string) bool {
	if len(statuses) == 0 {
		statuses = nil
	}
	param, err := statusParam(cart.OrderQuery{Statuses: statuses})
	if err != nil {
		return false
	}
	status := normalizeStatus(o.CartStatus)
	if status == "" {
		return false
	}
	want := strings.Split(param, ",")
	if slices.Contains(want, "any") {
		return status != "trash" && status != "checkout-draft"
	}
	return slices.Contains(want, status)
}
