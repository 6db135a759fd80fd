package woocommerce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/autosync/autosync/shared/cart"
)

// MaxBatch is WooCommerce's batch limit (woocommerce_rest_batch_items_limit,
// 100 by default).
func (c *Client) MaxBatch() int { return perPage }

var _ cart.StockWriter = (*Client)(nil)

// SetStock sets the stock of up to MaxBatch SKUs, with manage_stock true.
//
// Simple products go to POST /products/batch; variations to
// POST /products/{parent}/variations/batch, one request per parent. A call
// therefore costs one request for its simple products plus one per
// distinct parent of its variations: a catalog of simple products needs
// ⌈n/100⌉ requests (the minimum), and variations cost at least one request
// per parent, so the caller keeps requests near that minimum by handing
// over updates ordered by Link.ProductID, keeping one parent's variations
// in the same calls.
//
// Each SKU's result is confirmed only when the store returns the object
// with the quantity asked for. A per-item error in the batch response (a
// deleted product, a plugin refusing the save) fails that SKU alone, as a
// *cart.Error with the store's reason (wrapping cart.ErrNotFound for an
// unknown id); so does a request refused outright (HTTP 4xx) for the SKUs
// it carried. Refused keys, a rate limit outlasting ctx, and a store that
// stays unavailable after the retries fail the whole call: the results of
// requests already made are then unknown to the caller and are pushed again
// (setting an absolute quantity twice is harmless).
func (c *Client) SetStock(ctx context.Context, updates []cart.StockUpdate) ([]cart.StockResult, error) {
	if len(updates) > c.MaxBatch() {
		return nil, fmt.Errorf("woocommerce: %d stock updates in one call; the most is %d", len(updates), c.MaxBatch())
	}
	ids := make([]int64, len(updates)) // the product or variation id each update writes
	// Updates are grouped by batch endpoint: products, or one product's
	// variations.
	results, groups := cart.GroupUpdates(updates, func(i int, u cart.StockUpdate) (string, error) {
		pid, err1 := strconv.ParseInt(u.Link.ProductID, 10, 64)
		path, id := "/products/batch", pid
		var err2 error
		if u.Link.VariantID != "" {
			id, err2 = strconv.ParseInt(u.Link.VariantID, 10, 64)
			path = "/products/" + strconv.FormatInt(pid, 10) + "/variations/batch"
		}
		if err1 != nil || err2 != nil || pid <= 0 || id <= 0 {
			return "", &cart.Error{Message: fmt.Sprintf("SKU %s is not linked to a WooCommerce product; import products to link it", u.SKU), Err: cart.ErrNotFound}
		}
		ids[i] = id
		return path, nil
	})
	type change struct {
		ID            int64 `json:"id"`
		StockQuantity int   `json:"stock_quantity"`
		ManageStock   bool  `json:"manage_stock"`
	}
	for _, g := range groups {
		req := struct {
			Update []change `json:"update"`
		}{Update: make([]change, len(g.Index))}
		for j, i := range g.Index {
			req.Update[j] = change{ID: ids[i], StockQuantity: updates[i].Quantity, ManageStock: true}
		}
		body, err := json.Marshal(req)
		if err != nil {
			return nil, fmt.Errorf("woocommerce: encoding stock updates: %w", err)
		}
		rep, err := c.do(ctx, http.MethodPost, g.Key, nil, body)
		if err != nil {
			var ce *cart.Error
			if errors.As(err, &ce) && !ce.Temporary && !errors.Is(err, cart.ErrAuth) {
				for _, i := range g.Index {
					results[i].Err = ce
				}
				continue
			}
			return nil, fmt.Errorf("woocommerce: writing stock: %w", err)
		}
		answers, err := parseBatch(rep.body)
		if err != nil {
			return nil, fmt.Errorf("woocommerce: writing stock: %w", &cart.Error{Status: rep.status, Temporary: true, Message: "WooCommerce's answer to a stock update could not be read", Err: err})
		}
		// WooCommerce answers the updates in order; match by id when the
		// answer does not line up.
		aligned := len(answers) == len(g.Index)
		for j := 0; aligned && j < len(answers); j++ {
			aligned = answers[j].ID.N == ids[g.Index[j]]
		}
		byID := map[int64]*batchItem{}
		for j := range answers {
			if _, dup := byID[answers[j].ID.N]; !dup {
				byID[answers[j].ID.N] = &answers[j]
			}
		}
		for j, i := range g.Index {
			a := byID[ids[i]]
			if aligned {
				a = &answers[j]
			}
			results[i].Err = confirm(a, updates[i])
		}
	}
	return results, nil
}

// confirm turns one batch answer into a SKU's result.
func confirm(a *batchItem, u cart.StockUpdate) error {
	switch {
	case a == nil:
		return &cart.Error{Temporary: true, Message: fmt.Sprintf("WooCommerce did not confirm the stock of SKU %s", u.SKU)}
	case a.Error != nil:
		status := int(a.Error.Data.Status.N)
		e := &cart.Error{Status: status, Temporary: status >= 500,
			Message: fmt.Sprintf("WooCommerce refused the stock of SKU %s: %s", u.SKU, cart.Clip(strings.TrimSpace(a.Error.Message), 300))}
		if strings.HasSuffix(a.Error.Code, "_invalid_id") {
			e.Err = cart.ErrNotFound
		}
		return e
	case !a.ManageStock.managed || !a.StockQuantity.Valid || a.StockQuantity.N != int64(u.Quantity):
		got := "unset"
		if a.StockQuantity.Valid {
			got = strconv.FormatInt(a.StockQuantity.N, 10)
		}
		return &cart.Error{Message: fmt.Sprintf("WooCommerce kept the stock of SKU %s at %s instead of %d", u.SKU, got, u.Quantity)}
	}
	return nil
}
