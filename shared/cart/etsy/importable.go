package etsy

import (
	"github.com/autosync/autosync/shared/cart"
)

var _ cart.StatusMatcher = (*Client)(nil)

// Importable reports whether o is a receipt getShopReceipts selects with
// the boolean filters statuses set (DefaultStatuses when empty). A
// receipt as the connector returns it keeps Etsy's status and our bucket,
// not the flags themselves, so each flag is read from them where they
// decide it:
//
//	was_paid      true for paid, completed, partially and fully refunded;
//	              false for open and payment processing
//	was_shipped   true when shipped; false while awaiting fulfillment
//	was_delivered false while awaiting fulfillment
//	was_canceled  true for canceled; false for any other known status
//
// A filter they do not decide (was_paid of a canceled receipt,
// was_delivered of a shipped one) makes the receipt not importable.
func (c *Client) Importable(o cart.Order, statuses []string) bool {
	if len(statuses) == 0 {
		statuses = DefaultStatuses()
	}
	params, err := statusParams(statuses)
	if err != nil {
		return false
	}
	for _, name := range statusFilters {
		want := params.Get(name)
		if want == "" {
			continue
		}
		v, known := receiptFlag(o, name)
		if !known || v != (want == "true") {
			return false
		}
	}
	return true
}

// receiptFlag is the value of one of getShopReceipts' boolean filters
// for o, when o's status and bucket decide it.
func receiptFlag(o cart.Order, name string) (value, known bool) {
	status := o.CartStatus
	knownStatus := true
	switch status {
	case "paid", "completed", "open", "payment processing", "canceled", "fully refunded", "partially refunded":
	default:
		knownStatus = false
	}
	switch name {
	case "was_paid":
		switch status {
		case "paid", "completed", "partially refunded", "fully refunded":
			return true, true
		case "open", "payment processing":
			return false, true
		}
	case "was_shipped":
		switch o.Filter {
		case cart.Shipped:
			return true, true
		case cart.AwaitingFulfillment:
			return false, true
		}
	case "was_delivered":
		if o.Filter == cart.AwaitingFulfillment {
			return false, true
		}
	case "was_canceled":
		if knownStatus {
			return status == "canceled", true
		}
	}
	return false, false
}
