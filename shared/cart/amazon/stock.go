package amazon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/autosync/autosync/shared/cart"
)

// Write-back sizes. A SetStock call of fewer than the feed threshold
// updates spends one patchListingsItem per SKU (Amazon has no batch
// listings call), at 5/s: DefaultFeedThreshold keeps such a call under
// 20 s, MaxFeedThreshold under 100 s. A call of at least the threshold
// sends one JSON_LISTINGS_FEED for all of them (feeds.go): about ten
// requests and a few minutes of Amazon's processing, whatever its size,
// up to MaxFeedBatch. With feeds off, MaxBatch is MaxPatchBatch, which
// keeps a call to about 4 s so a run's checkpoints stay close together.
const (
	DefaultFeedThreshold = 100
	MaxFeedThreshold     = 500
	MaxFeedBatch         = 10_000
	MaxPatchBatch        = 20
)

// patchParallel is how many patches are in flight at once: the burst, so
// that latency does not keep the connector below 5 requests/s.
const patchParallel = 5

// productType is sent with every patch. fulfillment_availability is an
// offer attribute that Amazon accepts under the generic PRODUCT type, so
// the listing's own product type need not be known.
const productType = "PRODUCT"

// MaxBatch is the most updates one SetStock call takes: MaxFeedBatch, or
// MaxPatchBatch when feeds are off (Config.FeedThreshold < 0).
func (c *Client) MaxBatch() int {
	if c.feedAt == 0 {
		return MaxPatchBatch
	}
	return MaxFeedBatch
}

var _ cart.StockWriter = (*Client)(nil)

// SetStock sets the merchant-fulfilled quantity (fulfillment_availability,
// channel DEFAULT) of each SKU: with one patchListingsItem each below the
// feed threshold, with one JSON_LISTINGS_FEED for the whole call at or
// above it. A result's Err is nil when Amazon accepted the quantity
// (patch ACCEPTED; feed DONE with no ERROR issue for its message), else a
// *cart.Error with Amazon's issues. The call fails as a whole for refused
// credentials, a rate-limit or feed-processing wait past ctx's deadline
// (*cart.RateLimitedError), Amazon staying unavailable, or a feed ending
// FATAL or CANCELLED; then no result is known, and sending the same
// quantities again is safe, since each sets an absolute quantity.
func (c *Client) SetStock(ctx context.Context, updates []cart.StockUpdate) ([]cart.StockResult, error) {
	feed, err := c.useFeed(len(updates))
	if err != nil {
		return nil, err
	}
	if feed {
		return c.setStockFeed(ctx, updates)
	}
	return c.setStockPatches(ctx, updates)
}

// useFeed says whether n updates go as a feed, or fails when they exceed
// the batch.
func (c *Client) useFeed(n int) (bool, error) {
	if m := c.MaxBatch(); n > m {
		return false, fmt.Errorf("amazon: %d updates exceed the batch of %d", n, m)
	}
	return c.feedAt > 0 && n >= c.feedAt, nil
}

// setStockPatches sends one patchListingsItem per update, up to
// patchParallel at once.
func (c *Client) setStockPatches(ctx context.Context, updates []cart.StockUpdate) ([]cart.StockResult, error) {
	results := make([]cart.StockResult, len(updates))
	err := cart.Parallel(ctx, len(updates), patchParallel, func(ctx context.Context, i int) error {
		refused, err := c.patchQuantity(ctx, updates[i])
		if err == nil {
			results[i] = cart.StockResult{SKU: updates[i].SKU, Err: refused}
		}
		return err
	})
	if err != nil {
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
	if err := localRefusal(u); err != nil {
		return err, nil
	}
	body, err := json.Marshal(patchRequest{ProductType: productType, Patches: []patchEntry{{
		Op: "merge", Path: "/attributes/fulfillment_availability",
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
