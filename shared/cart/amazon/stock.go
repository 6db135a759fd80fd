package amazon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/autosync/autosync/shared/cart"
)

// MaxStockBatch is how many updates one SetStock call carries. Amazon has
// no batch listings call (short of a JSON_LISTINGS_FEED), so this is not a
// request count: each SKU costs one patchListingsItem. 20 keeps a call to
// about 4 s at 5 requests/s, so a run's checkpoints stay close together.
const MaxStockBatch = 20

// patchParallel is how many patches are in flight at once: the burst, so
// that latency does not keep the connector below 5 requests/s.
const patchParallel = 5

// productType is sent with every patch. fulfillment_availability is an
// offer attribute that Amazon accepts under the generic PRODUCT type, so
// the listing's own product type need not be known.
const productType = "PRODUCT"

// MaxBatch is the most updates one SetStock call takes.
func (c *Client) MaxBatch() int { return MaxStockBatch }

// SetStock sets the merchant-fulfilled quantity (fulfillment_availability,
// channel DEFAULT) of each SKU with one patchListingsItem each. A result's
// Err is nil when Amazon ACCEPTED the quantity, else a *cart.Error with
// Amazon's issues. The call fails as a whole only for refused credentials,
// a rate-limit wait past ctx's deadline, or Amazon staying unavailable;
// then no result is known (patches are idempotent, so sending them again
// is safe).
func (c *Client) SetStock(ctx context.Context, updates []cart.StockUpdate) ([]cart.StockResult, error) {
	if len(updates) > MaxStockBatch {
		return nil, fmt.Errorf("amazon: %d updates exceed the batch of %d", len(updates), MaxStockBatch)
	}
	results := make([]cart.StockResult, len(updates))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	for range min(patchParallel, len(updates)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				refused, err := c.patchQuantity(ctx, updates[i])
				if err == nil {
					results[i] = cart.StockResult{SKU: updates[i].SKU, Err: refused}
					continue
				}
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	for i := range updates {
		if ctx.Err() != nil {
			break
		}
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, fmt.Errorf("amazon: setting quantities: %w", first)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("amazon: setting quantities: %w", err)
	}
	return results, nil
}

// patchRequest is a ListingsItemPatchRequest replacing
// fulfillment_availability.
type patchRequest struct {
	ProductType string       `json:"productType"`
	Patches     []patchEntry `json:"patches"`
}

type patchEntry struct {
	Op    string         `json:"op"`
	Path  string         `json:"path"`
	Value []availability `json:"value"`
}

type availability struct {
	FulfillmentChannelCode string `json:"fulfillment_channel_code"`
	Quantity               int    `json:"quantity"`
}

// patchQuantity sends one SKU's quantity. refused is Amazon refusing that
// SKU's quantity (a *cart.Error, wrapping cart.ErrNotFound for a 404); err
// is a failure of the whole call.
func (c *Client) patchQuantity(ctx context.Context, u cart.StockUpdate) (refused, err error) {
	if u.SKU == "" {
		return &cart.Error{Message: "the product has no SKU to address on Amazon"}, nil
	}
	if u.Quantity < 0 {
		return &cart.Error{Message: fmt.Sprintf("quantity %d is below 0", u.Quantity)}, nil
	}
	body, err := json.Marshal(patchRequest{ProductType: productType, Patches: []patchEntry{{
		Op: "replace", Path: "/attributes/fulfillment_availability",
		Value: []availability{{FulfillmentChannelCode: "DEFAULT", Quantity: u.Quantity}},
	}}})
	if err != nil {
		return nil, fmt.Errorf("encoding the patch: %w", err)
	}
	path := c.listingsPath() + "/" + url.PathEscape(u.SKU)
	params := url.Values{"marketplaceIds": {c.market}, "includedData": {"issues"}}
	resp, err := c.do(ctx, request{op: opPatchListing, method: http.MethodPatch, path: path, query: params, body: body})
	if err != nil {
		return nil, err
	}
	switch {
	case resp.status == http.StatusBadRequest || resp.status == http.StatusNotFound || resp.status == http.StatusUnprocessableEntity:
		return failure(resp), nil // about this SKU's patch
	case !resp.ok():
		return nil, failure(resp) // 413, 415: about every patch
	}
	sub, err := parseSubmission(resp.body)
	if err != nil {
		return nil, &cart.Error{Status: resp.status, Message: "Amazon sent an answer to a quantity update that could not be read", Err: err}
	}
	if sub.status == "INVALID" {
		msg := "Amazon refused the quantity"
		if sub.issues != "" {
			msg += ": " + sub.issues
		}
		return &cart.Error{Status: resp.status, Message: msg}, nil
	}
	return nil, nil
}
