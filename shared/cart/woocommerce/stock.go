package woocommerce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/autosync/autosync/shared/cart"
)

// MaxBatch is WooCommerce's batch limit (woocommerce_rest_batch_items_limit,
// 100 by default).
func (c *Client) MaxBatch() int { return perPage }

var _ cart.StockWriter = (*Client)(nil)

// SetStock sets the stock of up to MaxBatch SKUs whose stock WooCommerce
// tracks per SKU, and leaves WooCommerce's "Manage stock?" setting as the
// merchant chose it.
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
// Each of those writes is preceded by one read of its objects'
// manage_stock (GET /products or /products/{parent}/variations with
// include=), and only objects that count their own stock are written.
// The others fail with the reason, unwritten: a product or variation whose
// stock is not tracked has no quantity to sync (writing one would mean
// switching tracking on, making an always-available product sell out at
// Autosync's count), and variations sharing their parent's stock
// (manage_stock "parent") cannot take a quantity of their own without
// each becoming a separate pool (three variations sharing 10 would sell
// 30). WooCommerce itself would ignore the quantity for the first and
// keep it aside, unused, for the second.
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
	// refused fails a group's SKUs with a request's non-temporary refusal,
	// or reports that the whole call failed.
	refused := func(g *cart.UpdateGroup[string], err error, doing string) error {
		var ce *cart.Error
		if errors.As(err, &ce) && !ce.Temporary && !errors.Is(err, cart.ErrAuth) {
			for _, i := range g.Index {
				results[i].Err = ce
			}
			return nil
		}
		return fmt.Errorf("woocommerce: %s: %w", doing, err)
	}
	type change struct {
		ID            int64 `json:"id"`
		StockQuantity int   `json:"stock_quantity"`
	}
	for _, g := range groups {
		tracking, err := c.tracking(ctx, g.Key, g.Index, ids)
		if err != nil {
			if err := refused(g, err, "reading how stock is tracked"); err != nil {
				return nil, err
			}
			continue
		}
		var write []int // indexes of the updates this group writes
		for _, i := range g.Index {
			m, known := tracking[ids[i]]
			switch {
			case !known:
				write = append(write, i) // the write answers for an id the store lacks
			case m.parent:
				results[i].Err = parentManaged(updates[i])
			case !m.managed:
				results[i].Err = untracked(updates[i])
			default:
				write = append(write, i)
			}
		}
		if len(write) == 0 {
			continue
		}
		req := struct {
			Update []change `json:"update"`
		}{Update: make([]change, len(write))}
		for j, i := range write {
			req.Update[j] = change{ID: ids[i], StockQuantity: updates[i].Quantity}
		}
		body, err := json.Marshal(req)
		if err != nil {
			return nil, fmt.Errorf("woocommerce: encoding stock updates: %w", err)
		}
		rep, err := c.do(ctx, http.MethodPost, g.Key, nil, body)
		if err != nil {
			if err := refused(&cart.UpdateGroup[string]{Key: g.Key, Index: write}, err, "writing stock"); err != nil {
				return nil, err
			}
			continue
		}
		answers, err := parseBatch(rep.body)
		if err != nil {
			return nil, fmt.Errorf("woocommerce: writing stock: %w", &cart.Error{Status: rep.status, Temporary: true, Message: "WooCommerce's answer to a stock update could not be read", Err: err})
		}
		// WooCommerce answers the updates in order; match by id when the
		// answer does not line up.
		aligned := len(answers) == len(write)
		for j := 0; aligned && j < len(answers); j++ {
			aligned = answers[j].ID.N == ids[write[j]]
		}
		byID := map[int64]*batchItem{}
		for j := range answers {
			if _, dup := byID[answers[j].ID.N]; !dup {
				byID[answers[j].ID.N] = &answers[j]
			}
		}
		for j, i := range write {
			a := byID[ids[i]]
			if aligned {
				a = &answers[j]
			}
			results[i].Err = confirm(a, updates[i])
		}
	}
	return results, nil
}

// tracking reads the manage_stock of the objects a batch endpoint is to
// write (by id), with the collection of that endpoint: ids it does not
// return are absent.
func (c *Client) tracking(ctx context.Context, batchPath string, index []int, ids []int64) (map[int64]manageStock, error) {
	include := make([]string, len(index))
	for j, i := range index {
		include[j] = strconv.FormatInt(ids[i], 10)
	}
	q := url.Values{"include": {strings.Join(include, ",")}, "per_page": {strconv.Itoa(len(index))}, "_fields": {"id,manage_stock"}}
	rep, err := c.get(ctx, strings.TrimSuffix(batchPath, "/batch"), q)
	if err != nil {
		return nil, err
	}
	var objs []struct {
		ID          wcInt       `json:"id"`
		ManageStock manageStock `json:"manage_stock"`
	}
	if err := json.Unmarshal(rep.body, &objs); err != nil {
		return nil, &cart.Error{Status: rep.status, Temporary: true, Message: "WooCommerce's answer to a stock tracking read could not be read", Err: fmt.Errorf("%w: %v", cart.ErrMalformed, err)}
	}
	out := make(map[int64]manageStock, len(objs))
	for _, o := range objs {
		out[o.ID.N] = o.ManageStock
	}
	return out, nil
}

// untracked is the result of a SKU whose stock WooCommerce does not track.
func untracked(u cart.StockUpdate) error {
	return &cart.Error{Message: fmt.Sprintf("WooCommerce does not track the stock of SKU %s (Manage stock is off for it, or for the whole store), so it has no quantity to sync and was left as it is; turn on Manage stock for it in WooCommerce to sync it", u.SKU)}
}

// parentManaged is the result of a variation whose stock its parent
// product manages, shared with the parent's other such variations.
func parentManaged(u cart.StockUpdate) error {
	return &cart.Error{Message: fmt.Sprintf("The stock of SKU %s is managed by its parent product (%s) and shared with the product's other variations; Autosync syncs each SKU's own stock, so it was left as it is; turn on Manage stock for each variation in WooCommerce to sync them", u.SKU, u.Link.ProductID)}
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
	// Tracking changed between the read and the write: WooCommerce
	// ignored the quantity, or kept it aside.
	case a.ManageStock.parent:
		return parentManaged(u)
	case !a.ManageStock.managed:
		return untracked(u)
	case !a.StockQuantity.Valid || a.StockQuantity.N != int64(u.Quantity):
		got := "unset"
		if a.StockQuantity.Valid {
			got = strconv.FormatInt(a.StockQuantity.N, 10)
		}
		return &cart.Error{Message: fmt.Sprintf("WooCommerce kept the stock of SKU %s at %s instead of %d", u.SKU, got, u.Quantity)}
	}
	return nil
}
