package shopify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/pattern"
)

// Page sizing. Shopify prices a query before running it: 1 per object, 0
// per scalar, and 2 + first × (node cost) per connection; the requested cost
// must be in the bucket before the query runs and may not exceed 1000. One
// order node here costs 1 (Order) + 2 (totalPriceSet, shopMoney) + 2 + N
// (lineItems), so a page of 50 orders with 10 lines each requests
// 2 + 50 × 15 = 752: under the 1000 cap with room for a few more objects per
// order later, and under the smallest plan's 2000-point bucket.
//
// Page size barely changes steady-state throughput: Shopify refunds the
// difference to the actual cost, so restored points go to the orders
// actually returned (plus 2 per page). What the requested cost does set is
// the reserve the bucket must hold before each page, which a run leaves
// unspent when it ends: the bigger the page, the bigger that one-off loss.
// Ten lines cover nearly every order in one request; orders with more are
// finished with order(id:) queries of 250 lines (cost 253).
const (
	pageSize            = 50
	linesPerOrder       = 10
	orderNodeCost       = 1 + 2 + 2 + linesPerOrder
	ordersQueryCost     = 2 + pageSize*orderNodeCost
	linesPageSize       = 250
	orderLinesQueryCost = 1 + 2 + linesPageSize
)

// lineFields are what an order line reads. currentQuantity, not quantity:
// quantity counts "refunded and removed units" too, which an order edited
// or partly refunded before it ships never sends, so they must not commit
// stock (or be taken off hand when the order ships).
const lineFields = `sku currentQuantity`

// orderFields are what an order node reads; orderNodeCost prices them.
const orderFields = `
      id legacyResourceId name createdAt updatedAt cancelledAt closed
      displayFinancialStatus displayFulfillmentStatus tags
      totalPriceSet { shopMoney { amount currencyCode } }
      lineItems(first: $lines) { pageInfo { hasNextPage endCursor } nodes { ` + lineFields + ` } }
`

const ordersDoc = `query Orders($first: Int!, $after: String, $query: String!, $lines: Int!) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {` + orderFields + `    }
  }
}`

const orderLinesDoc = `query OrderLines($id: ID!, $after: String) {
  order(id: $id) {
    lineItems(first: 250, after: $after) { pageInfo { hasNextPage endCursor } nodes { ` + lineFields + ` } }
  }
}`

// statusFields are the search fields an order-status override may use.
var statusFields = []string{"status", "financial_status", "fulfillment_status"}

// statusValues are the values each status field takes in Shopify's order
// search (lower case, as the search syntax spells them): financial and
// fulfillment values per Shopify's REST order reference and the
// GraphQL display enums; status "any" is REST's [lib] and means no filter.
var statusValues = map[string][]string{
	"status": {"open", "closed", "cancelled", "not_closed", "any"},
	"financial_status": {"authorized", "expired", "paid", "partially_paid", "partially_refunded",
		"pending", "refunded", "voided"},
	"fulfillment_status": {"unshipped", "partial", "shipped", "fulfilled", "unfulfilled",
		"on_hold", "scheduled", "request_declined"},
}

var statusValueRE = pattern.New(`^[a-z_]{1,40}$`)

// Statuses lists every status token cart.OrderQuery.Statuses accepts for
// Shopify, "field:value" (status:open, financial_status:paid,
// fulfillment_status:partial), for validating what support sets on a
// channel. DefaultStatuses is a subset.
func Statuses() []string {
	var out []string
	for _, field := range statusFields {
		for _, v := range statusValues[field] {
			out = append(out, field+":"+v)
		}
	}
	return out
}

// DefaultStatuses is the default import filter in the form
// cart.OrderQuery.Statuses takes: open, paid or authorized, unfulfilled or
// partially fulfilled.
//
// Each entry is a Shopify order search term "field:value" with field one of
// status, financial_status or fulfillment_status and value a lower-case
// search value (financial_status:paid, fulfillment_status:partial,
// status:open). Terms on the same field are alternatives (OR); different
// fields must all hold (AND). Fields not named are not filtered on.
func DefaultStatuses() []string {
	return []string{
		"status:open",
		"financial_status:paid", "financial_status:authorized",
		"fulfillment_status:unshipped", "fulfillment_status:partial",
	}
}

// searchQuery builds the orders search string for q.
func searchQuery(q cart.OrderQuery) (string, error) {
	terms := windowTerms(q.UpdatedFrom, q.UpdatedTo)
	if q.Cancelled {
		// Orders that left awaiting fulfillment: cancelled or shipped.
		terms = append(terms, "(status:cancelled OR fulfillment_status:shipped)")
		return strings.Join(terms, " AND "), nil
	}
	statuses := q.Statuses
	if statuses == nil {
		statuses = DefaultStatuses()
	}
	filter, err := statusFilter(statuses)
	if err != nil {
		return "", err
	}
	return strings.Join(append(terms, filter...), " AND "), nil
}

// windowTerms are the search terms for updates in [from, to); a zero
// bound is open.
func windowTerms(from, to time.Time) []string {
	var terms []string
	if !from.IsZero() {
		// Shopify compares whole seconds; rounding the window outward can
		// only repeat a record (imports upsert), never lose one.
		from := from.UTC().Truncate(time.Second)
		terms = append(terms, "updated_at:>='"+from.Format(time.RFC3339)+"'")
	}
	if !to.IsZero() {
		to := to.UTC()
		if t := to.Truncate(time.Second); !t.Equal(to) {
			to = t.Add(time.Second)
		}
		terms = append(terms, "updated_at:<'"+to.Format(time.RFC3339)+"'")
	}
	return terms
}

// statusFilter turns status terms into search clauses, one per field.
// Values are checked against a narrow pattern because they are pasted into
// the search string.
func statusFilter(statuses []string) ([]string, error) {
	if len(statuses) == 0 {
		return nil, &cart.Error{Message: "no order statuses are set for this channel"}
	}
	byField := map[string][]string{}
	var order []string
	for _, s := range statuses {
		field, value, ok := strings.Cut(strings.TrimSpace(s), ":")
		value = strings.ToLower(value)
		if !ok || !slices.Contains(statusFields, field) || !statusValueRE.MatchString(value) ||
			!slices.Contains(statusValues[field], value) {
			return nil, &cart.Error{Message: fmt.Sprintf("order status %q is not a Shopify status filter such as financial_status:paid", s)}
		}
		if _, seen := byField[field]; !seen {
			order = append(order, field)
		}
		if !slices.Contains(byField[field], value) {
			byField[field] = append(byField[field], value)
		}
	}
	clauses := make([]string, len(order))
	for i, field := range order {
		alts := make([]string, len(byField[field]))
		for j, v := range byField[field] {
			alts[j] = field + ":" + v
		}
		clauses[i] = strings.Join(alts, " OR ")
		if len(alts) > 1 {
			clauses[i] = "(" + clauses[i] + ")"
		}
	}
	return clauses, nil
}
