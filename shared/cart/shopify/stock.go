package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/autosync/autosync/shared/cart"
)

var _ cart.StockWriter = (*Client)(nil)

// maxStockBatch is how many quantities one inventorySetQuantities carries.
// No limit for this mutation is documented; Shopify's API limits page caps
// every input array at 250 ("Input arguments that accept an array have a
// maximum size of 250 for all APIs", https://shopify.dev/docs/api/usage/limits),
// which is what this uses.
const maxStockBatch = 250

// maxQuantity is the most Shopify takes for a quantity
// (INVALID_QUANTITY_TOO_HIGH).
const maxQuantity = 1_000_000_000

// setQuantitiesCost is the mutation's requested cost: 10 for the mutation
// field, 1 for inventoryAdjustmentGroup; userErrors cost nothing.
const setQuantitiesCost = 10 + 1

const setQuantitiesDoc = `mutation SetStock($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}`

// location with no id is the shop's primary location (Shop.primaryLocation
// is deprecated).
const primaryLocationDoc = `query PrimaryLocation { location { id name isActive } }`

const primaryLocationCost = 1

// referencePrefix makes the referenceDocumentUri of each write: Shopify
// shows it in the inventory history, so the merchant sees Autosync set the
// quantity. Its recommended form is gid://{app}/{entity}/{id}.
const referencePrefix = "gid://autosync/WriteInventoryBack/"

// WriteStats count what writing stock back has cost in requests.
type WriteStats struct {
	// Mutations are inventorySetQuantities requests answered.
	Mutations int
	// Resends are the mutations, counted in Mutations, that re-sent a
	// batch without the quantities Shopify refused in the answer before.
	Resends int
	// LocationQueries are the queries that looked up the primary location.
	LocationQueries int
}

type writeCounters struct {
	mutations, resends, locations atomic.Int64
}

// WriteStats returns what SetStock calls have sent so far.
func (c *Client) WriteStats() WriteStats {
	return WriteStats{
		Mutations:       int(c.writes.mutations.Load()),
		Resends:         int(c.writes.resends.Load()),
		LocationQueries: int(c.writes.locations.Load()),
	}
}

// UserError is Shopify's reason for refusing a quantity, as
// inventorySetQuantities reports it. SetStock's per-SKU errors are
// *cart.Error wrapping one, so callers can read the code with errors.As.
type UserError struct {
	Code    string   // INVALID_INVENTORY_ITEM, COMPARE_QUANTITY_STALE, …
	Field   []string // path to the input field, e.g. input.quantities.3.quantity
	Message string
}

func (e *UserError) Error() string {
	return fmt.Sprintf("shopify user error %s at %s", e.Code, strings.Join(e.Field, "."))
}

func (e *UserError) cartError() *cart.Error {
	msg := strings.TrimSpace(e.Message)
	if msg == "" {
		msg = "Shopify refused the quantity"
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	return &cart.Error{Status: http.StatusOK, Message: msg, Err: e}
}

// MaxBatch is the most quantities one SetStock call sends in one request.
func (c *Client) MaxBatch() int { return maxStockBatch }

// SetStock sets each update's available quantity at the shop's primary
// location with one inventorySetQuantities per batch of MaxBatch, and
// returns one result per update, in order. Longer lists are split.
//
// Quantities are set absolutely with ignoreCompareQuantity: true. Shopify's
// compare-and-set wants the quantity Shopify holds at write time; what
// Autosync has is Listing.Quantity, read at import, hours old by the time a
// write-back runs and changed by every order placed since, so most writes
// would come back COMPARE_QUANTITY_STALE and need a read and a re-send, and
// a read just before the write would still race the shop's own orders.
// Autosync is the source of truth for the stock it pushes (the case
// Shopify's note reserves this mutation for), so the last write wins by
// design: an order placed in Shopify meanwhile is imported, commits stock
// on our side, and the next push corrects the quantity. The race Needs Sync
// does care about is on our side (a quantity changing between computing the
// push and the cart's confirmation), and the caller handles it with
// compare-and-clear: it clears a product's Needs Sync flag only if the
// quantity it pushed is still the one it holds. An absolute set is also
// idempotent, so re-sending after a lost response is safe.
//
// Shopify applies a mutation all or nothing: when its userErrors name
// quantities, nothing was set, so the batch is re-sent without them (each
// re-send counted in WriteStats.Resends) and those SKUs get a *cart.Error
// with Shopify's message and code. An error that names no quantity (the
// input's name or reason) fails the whole batch, SKU by SKU. Updates whose
// Link has no usable inventory item id fail without a request. The call
// itself fails (no results) on auth errors, rate limiting past ctx's
// deadline, transport failures and malformed answers, as queries do.
func (c *Client) SetStock(ctx context.Context, updates []cart.StockUpdate) ([]cart.StockResult, error) {
	results := make([]cart.StockResult, len(updates))
	items := make([]string, len(updates))
	var pending []int
	for i, u := range updates {
		results[i].SKU = u.SKU
		gid, ok := inventoryItemGID(u.Link.InventoryItemID)
		if !ok {
			results[i].Err = &cart.Error{Message: fmt.Sprintf("SKU %s has no Shopify inventory item to write to: import the channel's products first", u.SKU)}
			continue
		}
		if u.Quantity > maxQuantity {
			// Past Shopify's limit, and maybe past GraphQL's 32-bit Int,
			// which would fail the whole request rather than this SKU.
			results[i].Err = (&UserError{Code: "INVALID_QUANTITY_TOO_HIGH", Message: "The total quantity can't be higher than 1,000,000,000."}).cartError()
			continue
		}
		items[i] = gid
		pending = append(pending, i)
	}
	ref := referencePrefix + strconv.FormatInt(c.now().UTC().UnixMilli(), 10)
	for start := 0; start < len(pending); start += maxStockBatch {
		batch := pending[start:min(start+maxStockBatch, len(pending))]
		if err := c.setBatch(ctx, updates, items, batch, ref, results); err != nil {
			return nil, fmt.Errorf("shopify: setting stock: %w", err)
		}
	}
	return results, nil
}

// inventoryItemGID accepts an inventory item's global id or its legacy
// number.
func inventoryItemGID(id string) (string, bool) {
	id = strings.TrimSpace(id)
	if isGID(id, "InventoryItem") {
		return id, true
	}
	if n, err := strconv.ParseUint(id, 10, 64); err == nil && n > 0 {
		return "gid://shopify/InventoryItem/" + strconv.FormatUint(n, 10), true
	}
	return "", false
}

// setBatch sends updates[batch] until Shopify takes what is left of it,
// filling results.
func (c *Client) setBatch(ctx context.Context, updates []cart.StockUpdate, items []string, batch []int, ref string, results []cart.StockResult) error {
	loc, err := c.primaryLocation(ctx)
	if err != nil {
		return err
	}
	relocated := false
	send := batch
	for len(send) > 0 {
		quantities := make([]map[string]any, len(send))
		for k, i := range send {
			quantities[k] = map[string]any{
				"inventoryItemId": items[i],
				"locationId":      loc,
				"quantity":        updates[i].Quantity,
			}
		}
		input := map[string]any{
			"name": "available", "reason": "correction", "referenceDocumentUri": ref,
			"ignoreCompareQuantity": true, "quantities": quantities,
		}
		data, err := c.query(ctx, setQuantitiesDoc, map[string]any{"input": input}, setQuantitiesCost)
		if err != nil {
			return err
		}
		c.writes.mutations.Add(1)
		userErrors, err := parseSetQuantities(data)
		if err != nil {
			return err
		}
		if len(userErrors) == 0 {
			for _, i := range send {
				results[i].Err = nil
			}
			return nil
		}
		refused := map[int]*UserError{} // position in send → reason
		var whole *UserError
		staleLocation := false
		for _, ue := range userErrors {
			k, ok := quantityIndex(ue.Field)
			if !ok || k >= len(send) {
				whole = ue
				break
			}
			if _, seen := refused[k]; !seen {
				refused[k] = ue
			}
			staleLocation = staleLocation || ue.Code == "INVALID_LOCATION"
		}
		if whole != nil {
			for _, i := range send {
				results[i].Err = whole.cartError()
			}
			return nil
		}
		if staleLocation && !relocated {
			// The primary location may have changed since it was looked
			// up: look again once, and re-send all if it did.
			relocated = true
			c.forgetLocation(loc)
			fresh, err := c.primaryLocation(ctx)
			if err != nil {
				return err
			}
			if fresh != loc {
				loc = fresh
				c.writes.resends.Add(1)
				continue
			}
		}
		var keep []int
		for k, i := range send {
			if ue, ok := refused[k]; ok {
				results[i].Err = ue.cartError()
			} else {
				keep = append(keep, i)
			}
		}
		if len(keep) > 0 {
			c.writes.resends.Add(1)
		}
		send = keep
	}
	return nil
}

// quantityIndex returns k for a userError field input.quantities.k(.…).
func quantityIndex(field []string) (int, bool) {
	if len(field) < 3 || field[0] != "input" || field[1] != "quantities" {
		return 0, false
	}
	k, err := strconv.Atoi(field[2])
	return k, err == nil && k >= 0
}

// parseSetQuantities maps the data of an inventorySetQuantities mutation
// to its userErrors; none means Shopify set every quantity.
func parseSetQuantities(data json.RawMessage) ([]*UserError, error) {
	var d struct {
		Payload *struct {
			Group *struct {
				ID string `json:"id"`
			} `json:"inventoryAdjustmentGroup"`
			UserErrors []struct {
				Code    *string  `json:"code"`
				Field   []string `json:"field"`
				Message string   `json:"message"`
			} `json:"userErrors"`
		} `json:"inventorySetQuantities"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if d.Payload == nil {
		return nil, fmt.Errorf("%w: no inventorySetQuantities payload", errMalformed)
	}
	out := make([]*UserError, len(d.Payload.UserErrors))
	for i, e := range d.Payload.UserErrors {
		ue := &UserError{Field: e.Field, Message: e.Message}
		if e.Code != nil {
			ue.Code = *e.Code
		}
		out[i] = ue
	}
	return out, nil
}

// locationCache holds the primary location's global id once looked up.
type locationCache struct {
	mu sync.Mutex
	id string
}

// primaryLocation returns the shop's primary location's global id, asking
// Shopify the first time. The lock is held while asking, so concurrent
// writers ask once.
func (c *Client) primaryLocation(ctx context.Context) (string, error) {
	c.loc.mu.Lock()
	defer c.loc.mu.Unlock()
	if c.loc.id != "" {
		return c.loc.id, nil
	}
	data, err := c.query(ctx, primaryLocationDoc, nil, primaryLocationCost)
	if err != nil {
		return "", err
	}
	c.writes.locations.Add(1)
	id, err := parseLocation(data)
	if err != nil {
		return "", err
	}
	c.loc.id = id
	return id, nil
}

// forgetLocation drops the cached location if it is still id.
func (c *Client) forgetLocation(id string) {
	c.loc.mu.Lock()
	defer c.loc.mu.Unlock()
	if c.loc.id == id {
		c.loc.id = ""
	}
}

var errNoLocation = errors.New("no primary location")

// parseLocation maps the data of the primary location query to its id.
func parseLocation(data json.RawMessage) (string, error) {
	var d struct {
		Location *struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			IsActive bool   `json:"isActive"`
		} `json:"location"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return "", fmt.Errorf("%w: %v", errMalformed, err)
	}
	if d.Location == nil {
		return "", &cart.Error{Status: http.StatusOK, Message: "Shopify reports no primary location for this shop", Err: errNoLocation}
	}
	if !isGID(d.Location.ID, "Location") {
		return "", fmt.Errorf("%w: location id %q", errMalformed, d.Location.ID)
	}
	if !d.Location.IsActive {
		return "", &cart.Error{Status: http.StatusOK, Message: fmt.Sprintf("the shop's primary location %q is not active", d.Location.Name)}
	}
	return d.Location.ID, nil
}
