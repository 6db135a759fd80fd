package bigcommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/autosync/autosync/shared/cart"
)

// MaxAdjustmentItems is BigCommerce's limit of items per inventory
// adjustment payload (BigCommerce's inventory adjustments reference).
const MaxAdjustmentItems = 2000

// maxStockRequests bounds the requests one SetStock call spends isolating
// rejected items, so a payload BigCommerce keeps rejecting without naming
// the items cannot cost thousands of requests.
const maxStockRequests = 32

// maxQuantity is the largest stock level BigCommerce stores (a 32-bit int).
const maxQuantity = 1<<31 - 1

// MaxBatch is the most updates one SetStock call takes: one adjustment
// payload.
func (c *Client) MaxBatch() int { return MaxAdjustmentItems }

// stockItem is one item of an absolute adjustment. Exactly one of
// VariantID, ProductID and SKU is set.
type stockItem struct {
	LocationID int64   `json:"location_id"`
	VariantID  *int64  `json:"variant_id,omitempty"`
	ProductID  *int64  `json:"product_id,omitempty"`
	SKU        *string `json:"sku,omitempty"`
	Quantity   int     `json:"quantity"`
}

// identity is how BigCommerce names the item in its messages:
// "variant_id 106", "product_id 7", "sku AB-1".
func (it stockItem) identity() string {
	switch {
	case it.VariantID != nil:
		return "variant_id " + strconv.FormatInt(*it.VariantID, 10)
	case it.ProductID != nil:
		return "product_id " + strconv.FormatInt(*it.ProductID, 10)
	}
	return "sku " + *it.SKU
}

// stockItemFor addresses an update: by variant id (a listing's link always
// has one), else by product id, else by SKU.
func (c *Client) stockItemFor(u cart.StockUpdate) (stockItem, error) {
	it := stockItem{LocationID: c.location, Quantity: u.Quantity}
	if u.Quantity < 0 || u.Quantity > maxQuantity {
		return it, &cart.Error{Message: fmt.Sprintf("BigCommerce cannot hold a stock level of %d", u.Quantity)}
	}
	id := func(s string) (*int64, error) {
		n, ok := cart.ParseID(strings.TrimSpace(s))
		if !ok {
			return nil, &cart.Error{Message: fmt.Sprintf("%q is not a BigCommerce id", s)}
		}
		return &n, nil
	}
	var err error
	switch {
	case u.Link.VariantID != "":
		it.VariantID, err = id(u.Link.VariantID)
	case u.Link.ProductID != "":
		it.ProductID, err = id(u.Link.ProductID)
	case strings.TrimSpace(u.SKU) != "":
		sku := strings.TrimSpace(u.SKU)
		it.SKU = &sku
	default:
		err = &cart.Error{Message: "the product is not linked to a BigCommerce listing"}
	}
	return it, err
}

var _ cart.StockWriter = (*Client)(nil)

// SetStock sets the quantities at the client's location with one absolute
// adjustment (PUT /v3/inventory/adjustments/absolute), by variant id.
//
// BigCommerce applies a payload atomically: one rejected item fails the
// whole payload with a 422 whose title names the rejected items ("[Item
// with variant_id 106 is tracked by product, please update stock by
// product id]"). SetStock then gives each named item that message as its
// result and re-sends the rest without them, so a batch with bad items
// costs one request more, not one per item. When a 422 names no item
// SetStock halves the batch until it finds the culprits (a few requests
// per bad item, at most maxStockRequests in all; anything still unresolved
// then fails with BigCommerce's message).
//
// It refuses more than MaxBatch updates. An error means the whole call
// failed (auth, rate limit past the deadline, transport) and no result is
// known; re-sending is harmless, adjustments being absolute.
func (c *Client) SetStock(ctx context.Context, updates []cart.StockUpdate) ([]cart.StockResult, error) {
	if len(updates) > MaxAdjustmentItems {
		return nil, fmt.Errorf("bigcommerce: %d stock updates exceed the limit of %d per call", len(updates), MaxAdjustmentItems)
	}
	items := make([]stockItem, len(updates))
	results, pending := cart.CheckUpdates(updates, func(i int, u cart.StockUpdate) (err error) {
		items[i], err = c.stockItemFor(u)
		return err
	})
	a := &adjustment{c: c, items: items, results: results, budget: maxStockRequests}
	if err := a.run(ctx, pending); err != nil {
		return nil, fmt.Errorf("bigcommerce: setting stock: %w", err)
	}
	return results, nil
}

// adjustment is one SetStock call in progress.
type adjustment struct {
	c       *Client
	items   []stockItem
	results []cart.StockResult
	budget  int    // requests left
	last    string // BigCommerce's last unattributed rejection
}

// run adjusts the pending items, sets their results, and returns an error
// only when the call as a whole failed.
func (a *adjustment) run(ctx context.Context, pending []int) error {
	for len(pending) > 0 {
		if a.budget == 0 {
			a.fail(pending, a.last)
			return nil
		}
		a.budget--
		body := struct {
			Reason string      `json:"reason"`
			Items  []stockItem `json:"items"`
		}{Reason: "Autosync inventory sync"}
		for _, i := range pending {
			body.Items = append(body.Items, a.items[i])
		}
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		resp, err := a.c.do(ctx, request{method: http.MethodPut, path: "/" + CatalogAPI + "/inventory/adjustments/absolute", body: b})
		if err != nil {
			return err
		}
		switch {
		case resp.status >= 200 && resp.status < 300:
			return nil // every pending result stays nil: confirmed
		case resp.status != http.StatusUnprocessableEntity:
			return failure(resp)
		}
		title := apiMessage(resp.body)
		if title == "" {
			title = "BigCommerce rejected the inventory adjustment"
		}
		var rest []int
		named := false
		for _, i := range pending {
			if msg, ok := rejection(title, a.items[i].identity()); ok {
				a.results[i].Err = &cart.Error{Status: http.StatusUnprocessableEntity, Message: msg}
				named = true
			} else {
				rest = append(rest, i)
			}
		}
		switch {
		case named:
			pending = rest // the payload was not applied: send the rest again
		case len(pending) == 1:
			a.fail(pending, title)
			return nil
		default:
			a.last = title
			mid := len(pending) / 2
			if err := a.run(ctx, pending[:mid]); err != nil {
				return err
			}
			pending = pending[mid:]
		}
	}
	return nil
}

func (a *adjustment) fail(pending []int, msg string) {
	if msg == "" {
		msg = "BigCommerce rejected the inventory adjustment"
	}
	for _, i := range pending {
		a.results[i].Err = &cart.Error{Status: http.StatusUnprocessableEntity, Message: msg}
	}
}

// rejection reports whether a 422 title names the item, and the part of
// the title about it. Titles list messages in brackets, joined by ", ":
// "[Item with variant_id 106 is tracked by product, please update stock by
// product id, Item with sku A-1 does not exist]".
func rejection(title, identity string) (string, bool) {
	if !mentions(title, identity) {
		return "", false
	}
	inner := strings.TrimSpace(title)
	if strings.HasPrefix(inner, "[") && strings.HasSuffix(inner, "]") {
		inner = inner[1 : len(inner)-1]
	}
	const sep = ", Item "
	parts := strings.Split(inner, sep)
	for i := 1; i < len(parts); i++ {
		parts[i] = "Item " + parts[i]
	}
	for _, p := range parts {
		if mentions(p, identity) {
			return clip(strings.TrimSpace(p)), true
		}
	}
	return clip(title), true
}

// mentions reports whether s names identity as a whole token: "variant_id
// 10" does not match "variant_id 106", nor "sku A" "sku A-1".
func mentions(s, identity string) bool {
	return cart.Mentions(s, identity, func(start, end int) bool {
		return (start == 0 || !wordByte(s[start-1])) && tokenEnds(s, end)
	})
}

// wordByte is a byte that would make "variant_id" part of a longer word.
func wordByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// tokenEnds reports whether an id or SKU ending at s[end] ends there:
// at the end, before a space or closing punctuation, or before a period
// that ends a sentence (a period inside a SKU continues it).
func tokenEnds(s string, end int) bool {
	if end == len(s) {
		return true
	}
	switch b := s[end]; {
	case strings.IndexByte(" ,;:)]\t\n\"'", b) >= 0:
		return true
	case b == '.':
		return end+1 == len(s) || strings.IndexByte(" ,;:)]\t\n\"'", s[end+1]) >= 0
	}
	return false
}
