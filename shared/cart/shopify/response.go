package shopify

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// response is a GraphQL response envelope.
type response struct {
	Data       json.RawMessage `json:"data"`
	Errors     gqlErrors       `json:"errors"`
	Extensions struct {
		Cost *queryCost `json:"cost"`
	} `json:"extensions"`
}

type queryCost struct {
	RequestedQueryCost float64        `json:"requestedQueryCost"`
	ActualQueryCost    *float64       `json:"actualQueryCost"`
	ThrottleStatus     throttleStatus `json:"throttleStatus"`
}

type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// gqlErrors accepts every shape Shopify uses for "errors": the GraphQL
// array, a bare string (401, 404) and a REST-style object of messages.
type gqlErrors []gqlError

func (e *gqlErrors) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*e = nil
	case string:
		*e = gqlErrors{{Message: v}}
	case map[string]any:
		var parts []string
		for k, x := range v {
			parts = append(parts, fmt.Sprintf("%s: %v", k, x))
		}
		*e = gqlErrors{{Message: strings.Join(parts, "; ")}}
	default:
		var list []gqlError
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*e = list
	}
	return nil
}

func (e gqlErrors) has(code string) bool {
	for _, x := range e {
		if x.Extensions.Code == code {
			return true
		}
	}
	return false
}

// message is the first error's message, which Shopify writes for people.
func (e gqlErrors) message() string {
	for _, x := range e {
		if m := strings.TrimSpace(x.Message); m != "" {
			return cart.Clip(m, 300)
		}
	}
	return "Shopify rejected the request"
}

func decodeResponse(body []byte) (*response, error) {
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decoding the response: %w", err)
	}
	return &r, nil
}

type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

// next is the cursor of the page after this one, "" on the last page. A
// next page without a cursor is malformed: missing says what lacks one.
func (p pageInfo) next(missing string) (string, error) {
	if !p.HasNextPage {
		return "", nil
	}
	if p.EndCursor == "" {
		return "", fmt.Errorf("%w: %s but no cursor", cart.ErrMalformed, missing)
	}
	return p.EndCursor, nil
}

// connection is a page of a GraphQL connection's nodes.
type connection[T any] struct {
	PageInfo pageInfo `json:"pageInfo"`
	Nodes    []T      `json:"nodes"`
}

// pageOf reads the connection field of a query's data: its nodes and the
// next page's cursor ("" on the last page).
func pageOf[T any](data json.RawMessage, field string) (nodes []T, next string, err error) {
	var d map[string]json.RawMessage
	var c *connection[T]
	err = json.Unmarshal(data, &d)
	if raw, ok := d[field]; ok && err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", cart.ErrMalformed, err)
	}
	if c == nil {
		return nil, "", fmt.Errorf("%w: no %s", cart.ErrMalformed, field)
	}
	if next, err = c.PageInfo.next("a next page"); err != nil {
		return nil, "", err
	}
	return c.Nodes, next, nil
}

type lineConnection struct {
	PageInfo pageInfo `json:"pageInfo"`
	Nodes    []struct {
		SKU             *string `json:"sku"`
		CurrentQuantity int     `json:"currentQuantity"`
	} `json:"nodes"`
}

type orderNode struct {
	ID                       string     `json:"id"`
	LegacyResourceID         string     `json:"legacyResourceId"`
	Name                     string     `json:"name"`
	CreatedAt                time.Time  `json:"createdAt"`
	UpdatedAt                time.Time  `json:"updatedAt"`
	CancelledAt              *time.Time `json:"cancelledAt"`
	Closed                   bool       `json:"closed"`
	DisplayFinancialStatus   *string    `json:"displayFinancialStatus"`
	DisplayFulfillmentStatus string     `json:"displayFulfillmentStatus"`
	Tags                     []string   `json:"tags"`
	TotalPriceSet            *struct {
		ShopMoney struct {
			Amount       string `json:"amount"`
			CurrencyCode string `json:"currencyCode"`
		} `json:"shopMoney"`
	} `json:"totalPriceSet"`
	LineItems lineConnection `json:"lineItems"`
}

// moreLines marks an order whose lines did not fit the first page.
type moreLines struct {
	index int    // in ordersPage.orders
	gid   string // the order's GraphQL id
	after string // cursor after the lines already read
}

type ordersPage struct {
	orders    []cart.Order
	next      string
	moreLines []moreLines
}

// parseOrders maps the data of an orders query to cart orders.
func parseOrders(data json.RawMessage) (*ordersPage, error) {
	nodes, next, err := pageOf[orderNode](data, "orders")
	if err != nil {
		return nil, err
	}
	p := &ordersPage{orders: make([]cart.Order, 0, len(nodes)), next: next}
	for _, n := range nodes {
		o, err := toOrder(n)
		if err != nil {
			return nil, err
		}
		after, err := n.LineItems.PageInfo.next("order " + o.ExternalID + " has more lines")
		if err == nil && after != "" && n.ID == "" {
			err = fmt.Errorf("%w: order %s has more lines but no id", cart.ErrMalformed, o.ExternalID)
		}
		if err != nil {
			return nil, err
		}
		if after != "" {
			p.moreLines = append(p.moreLines, moreLines{index: len(p.orders), gid: n.ID, after: after})
		}
		p.orders = append(p.orders, o)
	}
	return p, nil
}

func toOrder(n orderNode) (cart.Order, error) {
	if _, err := strconv.ParseUint(n.LegacyResourceID, 10, 64); err != nil {
		return cart.Order{}, fmt.Errorf("%w: order id %q is not numeric", cart.ErrMalformed, n.LegacyResourceID)
	}
	if n.UpdatedAt.IsZero() {
		return cart.Order{}, fmt.Errorf("%w: order %s has no updatedAt", cart.ErrMalformed, n.LegacyResourceID)
	}
	financial := "unknown"
	if n.DisplayFinancialStatus != nil && *n.DisplayFinancialStatus != "" {
		financial = strings.ToLower(*n.DisplayFinancialStatus)
	}
	fulfillment := strings.ToLower(n.DisplayFulfillmentStatus)
	if fulfillment == "" {
		fulfillment = "unknown"
	}
	state := "open"
	filter := cart.AwaitingFulfillment
	switch {
	case n.CancelledAt != nil:
		state, filter = "cancelled", cart.Cancelled
	case n.Closed:
		state = "closed"
	}
	if filter != cart.Cancelled && n.DisplayFulfillmentStatus == "FULFILLED" {
		filter = cart.Shipped
	}
	o := cart.Order{
		ExternalID: n.LegacyResourceID,
		Number:     n.Name,
		CartStatus: state + "/" + financial + "/" + fulfillment,
		Filter:     filter,
		Tags:       n.Tags,
		CreatedAt:  n.CreatedAt,
		UpdatedAt:  n.UpdatedAt,
	}
	if n.TotalPriceSet != nil {
		o.Total = n.TotalPriceSet.ShopMoney.Amount
		o.Currency = n.TotalPriceSet.ShopMoney.CurrencyCode
	}
	lines, err := toLines(n.LineItems)
	if err != nil {
		return cart.Order{}, fmt.Errorf("order %s: %w", n.LegacyResourceID, err)
	}
	o.Lines = lines
	return o, nil
}

// toLines maps order lines to the units still ordered; a line whose units
// were all removed or refunded (currentQuantity 0) is left out.
func toLines(c lineConnection) ([]cart.Line, error) {
	lines := make([]cart.Line, 0, len(c.Nodes))
	for _, l := range c.Nodes {
		if l.CurrentQuantity < 0 {
			return nil, fmt.Errorf("%w: negative quantity %d", cart.ErrMalformed, l.CurrentQuantity)
		}
		if l.CurrentQuantity == 0 {
			continue
		}
		var sku string
		if l.SKU != nil {
			sku = *l.SKU
		}
		lines = append(lines, cart.Line{SKU: sku, Quantity: l.CurrentQuantity})
	}
	return lines, nil
}

// parseOrderLines maps the data of an order(id:) lines query; next is the
// cursor for more lines, empty on the last page.
func parseOrderLines(data json.RawMessage) (lines []cart.Line, next string, err error) {
	var d struct {
		Order *struct {
			LineItems lineConnection `json:"lineItems"`
		} `json:"order"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, "", fmt.Errorf("%w: %v", cart.ErrMalformed, err)
	}
	if d.Order == nil {
		// Deleted between the two queries: keep the lines already read.
		return nil, "", nil
	}
	if lines, err = toLines(d.Order.LineItems); err != nil {
		return nil, "", err
	}
	if next, err = d.Order.LineItems.PageInfo.next("more lines"); err != nil {
		return nil, "", err
	}
	return lines, next, nil
}
