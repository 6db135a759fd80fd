package shopify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

var _ cart.StockWriter = (*Client)(nil)

// maxStockBatch is how many quantities one inventorySetQuantities carries.
// The mutation documents no limit of its own; Shopify's API limits page caps
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

// setQuantitiesDoc sets available quantities with compare-and-swap: each
// quantity carries changeFromQuantity, the quantity the push is based on
// (mandatory from 2026-04, even when null), and the mutation carries the
// @idempotent key Shopify requires from 2026-04, so that a request re-sent
// after a lost answer is applied once.
const setQuantitiesDoc = `mutation SetStock($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}`

// codeStale is the userError code of a quantity whose changeFromQuantity no
// longer matches what Shopify holds (InventorySetQuantitiesUserErrorCode,
// 2026-10).
const codeStale = "CHANGE_FROM_QUANTITY_STALE"

// maxCASRetries bounds the re-reads of one SKU whose quantity keeps
// changing under the push; past it the SKU fails and the next run tries
// again.
const maxCASRetries = 5

// levelFields read an inventory item's available quantity at $location.
// Listings reads it too, so the quantity imported is the one written.
const levelFields = `inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } }`

// levelReadCost is what levelFields request: inventoryLevel is an object
// (1), and its quantities, a plain list of objects that Shopify's cost
// table does not price, are counted as one more to stay on the safe side
// (the simulator charges nothing for them).
const levelReadCost = 1 + quantitiesCost

// quantitiesCost is what the connector budgets for InventoryLevel.quantities.
const quantitiesCost = 1

// levelCost is what reading one item's available quantity requests:
// inventoryItem (1) and levelFields. A full batch of 250 requests 750,
// under the 1000 cap.
const levelCost = 1 + levelReadCost

// levelsDoc reads the available quantity at a location of n inventory items,
// one aliased inventoryItem(id:) each (i0, i1, …), so that one request
// reads a whole batch with fields every version serves.
func levelsDoc(n int) string {
	var b strings.Builder
	b.WriteString("query StockLevels($location: ID!")
	for i := range n {
		fmt.Fprintf(&b, ", $i%d: ID!", i)
	}
	b.WriteString(") {\n")
	for i := range n {
		fmt.Fprintf(&b, "  i%d: inventoryItem(id: $i%d) { %s }\n", i, i, levelFields)
	}
	b.WriteString("}")
	return b.String()
}

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
	// batch without the quantities Shopify refused in the answer before,
	// or with the quantities it found stale recomputed.
	Resends int
	// Reads are the queries that read the quantities a push is based on
	// (one per batch, and one per compare-and-swap retry).
	Reads int
	// StaleRetries are the quantities Shopify refused as
	// CHANGE_FROM_QUANTITY_STALE and that were re-read and recomputed.
	StaleRetries int
	// LocationQueries are the queries that looked up the primary location
	// (for writes, and for Listings, which reads stock there).
	LocationQueries int
}

// WriteStats returns what SetStock calls have sent so far.
func (c *Client) WriteStats() WriteStats { return c.writes.Get() }

// UserError is Shopify's reason for refusing a quantity, as
// inventorySetQuantities reports it. SetStock's per-SKU errors are
// *cart.Error wrapping one, so callers can read the code with errors.As.
type UserError struct {
	Code    string   // INVALID_INVENTORY_ITEM, CHANGE_FROM_QUANTITY_STALE, …
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
	msg = cart.Clip(msg, 300)
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
// Writes are compare-and-swap. Before each batch SetStock reads what
// Shopify holds for its items (one query) and sends that as each
// quantity's changeFromQuantity, so a sale Shopify takes between the read
// and the write is never overwritten: Shopify refuses that quantity as
// CHANGE_FROM_QUANTITY_STALE. SetStock then reads the item again and
// re-sends it adjusted by what the cart changed since the first read,
// quantity − (base − current), counting the retry in StockResult.Retries.
// Why adjust rather than re-send the same number: Autosync's quantity comes
// from its own stock, which does not know of that sale until the order is
// imported and commits stock; pushing it unchanged would hand the sold unit
// back to the shop. Adjusted, the shop keeps the decrement, and the next
// push after the import (which lowers Autosync's quantity by the same sale)
// confirms it. A change made before the read is Autosync's to correct, as
// it always was: Autosync is the source of truth for the stock it pushes.
//
// The race on our side (a quantity changing between computing the push and
// the cart's confirmation) stays the caller's: it clears a product's Needs
// Sync flag only if the quantity it pushed is still the one it holds.
//
// Each mutation carries an @idempotent key derived from what it sends (the
// quantities, their bases, the location and this call's reference), so a
// request re-sent after a lost answer is applied once, and a recomputed
// request, which sends other numbers, has a key of its own.
//
// Shopify applies a mutation all or nothing: when its userErrors name
// quantities, nothing was set, so the batch is re-sent without them (each
// re-send counted in WriteStats.Resends) and those SKUs get a *cart.Error
// with Shopify's message and code; stale ones are recomputed and re-sent
// with the rest, up to maxCASRetries times each. An error that names no
// quantity (the input's name or reason) fails the whole batch, SKU by SKU.
// Updates whose Link has no usable inventory item id fail without a
// request. The call itself fails (no results) on auth errors, rate
// limiting past ctx's deadline, transport failures and malformed answers,
// as queries do.
func (c *Client) SetStock(ctx context.Context, updates []cart.StockUpdate) ([]cart.StockResult, error) {
	items := make([]string, len(updates))
	results, pending := cart.CheckUpdates(updates, func(i int, u cart.StockUpdate) error {
		gid, ok := inventoryItemGID(u.Link.InventoryItemID)
		if !ok {
			return &cart.Error{Message: fmt.Sprintf("SKU %s has no Shopify inventory item to write to: import the channel's products first", u.SKU)}
		}
		if u.Quantity > maxQuantity {
			// Past Shopify's limit, and maybe past GraphQL's 32-bit Int,
			// which would fail the whole request rather than this SKU.
			return (&UserError{Code: "INVALID_QUANTITY_TOO_HIGH", Message: "The total quantity can't be higher than 1,000,000,000."}).cartError()
		}
		items[i] = gid
		return nil
	})
	ref := referencePrefix + strconv.FormatInt(c.now().UTC().UnixMilli(), 10)
	for batch := range slices.Chunk(pending, maxStockBatch) {
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
	// base[i] is what the cart held at the first read, from[i] at the
	// latest; target[i] is what is sent. nil: the item has no level at
	// the location (Shopify will say so).
	base, err := c.readAvailable(ctx, loc, items, batch)
	if err != nil {
		return err
	}
	from := maps.Clone(base)
	target := make(map[int]int, len(batch))
	for _, i := range batch {
		target[i] = updates[i].Quantity
	}
	relocated := false
	send := batch
	for len(send) > 0 {
		quantities := make([]map[string]any, len(send))
		for k, i := range send {
			var change any // explicit null when there is nothing to compare with
			if from[i] != nil {
				change = *from[i]
			}
			quantities[k] = map[string]any{
				"inventoryItemId":    items[i],
				"locationId":         loc,
				"quantity":           target[i],
				"changeFromQuantity": change,
			}
		}
		input := map[string]any{
			"name": "available", "reason": "correction", "referenceDocumentUri": ref, "quantities": quantities,
		}
		vars := map[string]any{"input": input, "key": idempotencyKey(input)}
		data, err := c.query(ctx, setQuantitiesDoc, vars, setQuantitiesCost)
		if err != nil {
			return err
		}
		c.writes.Add(func(s *WriteStats) { s.Mutations++ })
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
		if whole != nil && whole.Code == codeStale {
			// A stale quantity reported without saying which: re-read all.
			for k := range send {
				if refused[k] == nil {
					refused[k] = whole
				}
			}
			whole = nil
		}
		if whole != nil {
			for _, i := range send {
				results[i].Err = whole.cartError()
			}
			return nil
		}
		if staleLocation && !relocated {
			// The primary location may have changed since it was looked
			// up: look again once, and re-send all if it did, based on
			// what the new location holds.
			relocated = true
			c.forgetLocation(loc)
			fresh, err := c.primaryLocation(ctx)
			if err != nil {
				return err
			}
			if fresh != loc {
				loc = fresh
				if base, err = c.readAvailable(ctx, loc, items, send); err != nil {
					return err
				}
				from = maps.Clone(base)
				c.writes.Add(func(s *WriteStats) { s.Resends++ })
				continue
			}
		}
		var keep, stale []int
		for k, i := range send {
			ue, ok := refused[k]
			switch {
			case !ok:
				keep = append(keep, i)
			case ue.Code == codeStale && results[i].Retries < maxCASRetries:
				stale = append(stale, i)
			default:
				results[i].Err = ue.cartError()
			}
		}
		if len(stale) > 0 {
			now, err := c.readAvailable(ctx, loc, items, stale)
			if err != nil {
				return err
			}
			for _, i := range stale {
				results[i].Retries++
				c.writes.Add(func(s *WriteStats) { s.StaleRetries++ })
				from[i] = now[i]
				if base[i] != nil && now[i] != nil {
					target[i] = max(updates[i].Quantity-(*base[i]-*now[i]), 0)
				}
			}
			keep = append(keep, stale...)
			slices.Sort(keep)
		}
		if len(keep) > 0 {
			c.writes.Add(func(s *WriteStats) { s.Resends++ })
		}
		send = keep
	}
	return nil
}

// idempotencyKey derives the @idempotent key of a mutation from its input:
// the same input (a re-send after a lost answer) gets the same key, and any
// other (fewer quantities, recomputed ones, another call's reference) gets
// another. The input is JSON-encoded with sorted keys, so the digest is
// stable.
func idempotencyKey(input map[string]any) string {
	b, err := json.Marshal(input)
	if err != nil {
		// Only numbers, strings and nulls are in it.
		panic(fmt.Sprintf("shopify: encoding a stock input: %v", err))
	}
	sum := sha256.Sum256(b)
	return "autosync-" + hex.EncodeToString(sum[:16])
}

// readAvailable reads the available quantity at loc of items[i] for each i
// in which, with one query.
func (c *Client) readAvailable(ctx context.Context, loc string, items []string, which []int) (map[int]*int, error) {
	vars := map[string]any{"location": loc}
	for k, i := range which {
		vars["i"+strconv.Itoa(k)] = items[i]
	}
	data, err := c.query(ctx, levelsDoc(len(which)), vars, float64(levelCost*len(which)))
	if err != nil {
		return nil, err
	}
	c.writes.Add(func(s *WriteStats) { s.Reads++ })
	levels, err := parseLevels(data, len(which))
	if err != nil {
		return nil, err
	}
	out := make(map[int]*int, len(which))
	for k, i := range which {
		out[i] = levels[k]
	}
	return out, nil
}

// levelNode is what levelFields read.
type levelNode struct {
	Quantities []struct {
		Name     string `json:"name"`
		Quantity *int   `json:"quantity"`
	} `json:"quantities"`
}

// available is the level's available quantity; nil when there is no level
// (the item is not stocked at the location) or it gives none.
func (l *levelNode) available() *int {
	if l == nil {
		return nil
	}
	var out *int
	for _, q := range l.Quantities {
		if q.Name == "available" && q.Quantity != nil {
			v := *q.Quantity
			out = &v
		}
	}
	return out
}

// parseLevels maps the data of levelsDoc(n) to each item's available
// quantity; nil where the item or its level at the location is missing.
func parseLevels(data json.RawMessage, n int) ([]*int, error) {
	var d map[string]*struct {
		Level *levelNode `json:"inventoryLevel"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", cart.ErrMalformed, err)
	}
	out := make([]*int, n)
	for k := range n {
		item, ok := d["i"+strconv.Itoa(k)]
		if !ok {
			return nil, fmt.Errorf("%w: no inventory item i%d in the answer", cart.ErrMalformed, k)
		}
		if item != nil {
			out[k] = item.Level.available()
		}
	}
	return out, nil
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
		return nil, fmt.Errorf("%w: %v", cart.ErrMalformed, err)
	}
	if d.Payload == nil {
		return nil, fmt.Errorf("%w: no inventorySetQuantities payload", cart.ErrMalformed)
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

// primaryLocation returns the shop's primary location's global id, asking
// Shopify the first time. The lock is held while asking, so concurrent
// writers ask once.
func (c *Client) primaryLocation(ctx context.Context) (string, error) {
	return c.loc.Get(c.now(), func() (string, time.Time, error) {
		data, err := c.query(ctx, primaryLocationDoc, nil, primaryLocationCost)
		if err != nil {
			return "", time.Time{}, err
		}
		c.writes.Add(func(s *WriteStats) { s.LocationQueries++ })
		id, err := parseLocation(data)
		return id, time.Time{}, err // kept until a write finds it gone
	})
}

// forgetLocation drops the cached location if it is still id.
func (c *Client) forgetLocation(id string) { c.loc.Drop(id) }

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
		return "", fmt.Errorf("%w: %v", cart.ErrMalformed, err)
	}
	if d.Location == nil {
		return "", &cart.Error{Status: http.StatusOK, Message: "Shopify reports no primary location for this shop", Err: errNoLocation}
	}
	if !isGID(d.Location.ID, "Location") {
		return "", fmt.Errorf("%w: location id %q", cart.ErrMalformed, d.Location.ID)
	}
	if !d.Location.IsActive {
		return "", &cart.Error{Status: http.StatusOK, Message: fmt.Sprintf("the shop's primary location %q is not active", d.Location.Name)}
	}
	return d.Location.ID, nil
}
