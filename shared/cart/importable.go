package cart

// StatusMatcher is offered by connectors whose single-order fetch
// (OrderFetcher) can return orders the scheduled import would not select:
// the connectors map every status that is neither cancelled nor shipped
// to AwaitingFulfillment, so an unpaid order (BigCommerce Incomplete or
// Awaiting Payment, WooCommerce pending or on-hold, Shopify pending
// payment) reads as awaiting fulfillment. A webhook import creates an
// order only when Importable says the scheduled import would; otherwise an
// order created there would commit stock for a sale that may never be
// paid, and nothing would release it.
type StatusMatcher interface {
	// Importable reports whether o, as the connector returned it, is one
	// an Import Orders query (OrderQuery) with these Statuses would
	// select, leaving the update window aside. Empty statuses mean the
	// cart's defaults, as a channel that sets none imports. Statuses the
	// query would refuse select nothing, and what the order does not
	// carry enough of to decide is not importable: a false answer only
	// leaves the order to the scheduled import, a true one commits stock.
	Importable(o Order, statuses []string) bool
}
