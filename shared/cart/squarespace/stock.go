package squarespace

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/autosync/autosync/shared/cart"
)

const adjustmentsPath = "/" + APIVersion + "/commerce/inventory/adjustments"

// maxOperations is the most setFiniteOperations one adjustment carries.
// Squarespace documents no maximum; 50 is the simulator's (see
// squarespacesim.MaxAdjustmentOperations for why). Should the real limit
// be lower, the refused batch is split in halves (setGroup), so pushes
// still succeed at some cost in requests.
const maxOperations = 50

// WriteStats count what writing stock back has cost in requests.
type WriteStats struct {
	// Requests are adjustment requests sent, retries included.
	Requests int
	// Retries are requests re-sent unchanged, with the same
	// Idempotency-Key, after a dropped connection, a timeout or a 5xx.
	Retries int
	// Resends are requests re-sent, with a new key, without the variants
	// Squarespace refused in the answer before.
	Resends int
	// Splits are refused batches that named no variant and were split in
	// halves to find the refused ones.
	Splits int
}

// WriteStats returns what SetStock calls have sent so far.
func (c *Client) WriteStats() WriteStats { return c.writes.Get() }

// MaxBatch is the most quantities one SetStock call sends in one request.
func (c *Client) MaxBatch() int { return maxOperations }

var _ cart.StockWriter = (*Client)(nil)

// SetStock sets each update's stock quantity with setFiniteOperations
// addressed by Link.VariantID, one adjustment request per batch of
// MaxBatch, and returns one result per update, in order. Longer lists are
// split. An absolute set is what Write Inventory Back means (Autosync is
// the source of truth for the quantity it pushes); it also turns a variant
// with unlimited stock finite.
//
// Idempotency. Squarespace requires an Idempotency-Key and executes a
// request once per key, answering repeats with the first answer. The key
// is HMAC-SHA256(nonce, body): the nonce is 16 random bytes drawn once per
// SetStock call, the body the exact bytes sent.
//   - A retry of a request (a dropped connection, a timeout, a 5xx: the
//     outcome is unknown, the stock may already be set) re-sends the same
//     bytes with the same key, so Squarespace applies it at most once. A
//     second application would not be harmless although the set is
//     absolute: an order placed between the two would be undone.
//   - A later push of the same quantities draws a new nonce, so it gets a
//     new key and is executed; with the same key Squarespace would replay
//     the old answer and set nothing, leaving whatever the site sold since.
//   - A re-send without refused variants has another body, so another key:
//     a key is never used for two different requests.
//
// The nonce is not derived from anything the caller passes, which would
// make two pushes of equal content collide.
//
// Refusals. Squarespace applies an adjustment all or nothing and refuses
// it with a 4xx error object whose message names the variant at fault.
// The variants it names get a *cart.Error (wrapping *APIError) with
// Squarespace's reason, and the rest of the batch is re-sent without them
// (WriteStats.Resends). A refusal naming no variant splits the batch in
// halves until the refused updates are alone (WriteStats.Splits). Updates
// with no variant id fail without a request. The call itself fails (no
// results) on a refused key, rate limiting past ctx's deadline, and
// transport failures and 5xx answers that outlast the retries.
func (c *Client) SetStock(ctx context.Context, updates []cart.StockUpdate) ([]cart.StockResult, error) {
	owner := map[string]string{} // variant id → SKU already in this call
	results, pending := cart.CheckUpdates(updates, func(_ int, u cart.StockUpdate) error {
		id := strings.TrimSpace(u.Link.VariantID)
		switch {
		case !idRE.MatchString(id):
			return &cart.Error{Message: fmt.Sprintf("SKU %s has no Squarespace variant to write to: import the channel's products first", u.SKU)}
		case u.Quantity < 0:
			return &cart.Error{Message: fmt.Sprintf("SKU %s: a stock quantity cannot be negative (%d)", u.SKU, u.Quantity)}
		case owner[id] != "":
			return &cart.Error{Message: fmt.Sprintf("SKU %s is linked to the same Squarespace variant as SKU %s", u.SKU, owner[id])}
		}
		owner[id] = u.SKU
		return nil
	})
	if len(pending) == 0 {
		return results, nil
	}
	p := &push{updates: updates, results: results, nonce: make([]byte, 16)}
	if _, err := rand.Read(p.nonce); err != nil {
		return nil, fmt.Errorf("squarespace: setting stock: drawing a nonce: %w", err)
	}
	for batch := range slices.Chunk(pending, maxOperations) {
		if err := c.setGroup(ctx, p, batch); err != nil {
			return nil, fmt.Errorf("squarespace: setting stock: %w", err)
		}
	}
	return results, nil
}

// push is one SetStock call.
type push struct {
	updates []cart.StockUpdate
	results []cart.StockResult
	nonce   []byte
}

func (p *push) variant(i int) string { return strings.TrimSpace(p.updates[i].Link.VariantID) }

// adjustment is the body of an adjustment request.
type adjustment struct {
	SetFinite []finiteOperation `json:"setFiniteOperations"`
}

type finiteOperation struct {
	VariantID string `json:"variantId"`
	Quantity  int    `json:"quantity"`
}

func (p *push) body(send []int) []byte {
	a := adjustment{SetFinite: make([]finiteOperation, len(send))}
	for k, i := range send {
		a.SetFinite[k] = finiteOperation{VariantID: p.variant(i), Quantity: p.updates[i].Quantity}
	}
	b, _ := json.Marshal(a) // strings and ints only
	return b
}

// idempotencyKey is "autosync-" and 48 hex digits of HMAC-SHA256(nonce,
// body): 57 characters of [a-z0-9-], within Squarespace's 64.
func idempotencyKey(nonce, body []byte) string {
	m := hmac.New(sha256.New, nonce)
	m.Write(body)
	return "autosync-" + hex.EncodeToString(m.Sum(nil))[:48]
}

// setGroup sets updates[send] until Squarespace takes what is left of
// them, filling results.
func (c *Client) setGroup(ctx context.Context, p *push, send []int) error {
	for len(send) > 0 {
		body := p.body(send)
		_, err := c.do(ctx, request{
			method: http.MethodPost, path: adjustmentsPath, body: body,
			idempotencyKey: idempotencyKey(p.nonce, body),
		})
		if err == nil {
			for _, i := range send {
				p.results[i].Err = nil
			}
			return nil
		}
		ae, ok := err.(*APIError)
		if !ok {
			return err
		}
		var keep []int
		for _, i := range send {
			if ae.names(p.variant(i)) {
				p.results[i].Err = refusedQuantity(ae)
			} else {
				keep = append(keep, i)
			}
		}
		switch {
		case len(keep) < len(send):
			if len(keep) > 0 {
				c.writes.Add(func(s *WriteStats) { s.Resends++ })
			}
			send = keep
		case len(send) == 1:
			p.results[send[0]].Err = refusedQuantity(ae)
			return nil
		default:
			c.writes.Add(func(s *WriteStats) { s.Splits++ })
			mid := len(send) / 2
			if err := c.setGroup(ctx, p, send[:mid]); err != nil {
				return err
			}
			send = send[mid:]
		}
	}
	return nil
}

func refusedQuantity(ae *APIError) *cart.Error {
	return &cart.Error{Status: ae.Status, Message: "Squarespace refused the stock quantity: " + ae.reason(), Err: ae}
}

// names reports whether the error's message or details mention the
// variant id as a whole word.
func (e *APIError) names(id string) bool {
	return mentions(e.Message, id) || len(e.Details) > 0 && mentions(string(e.Details), id)
}

// mentions reports whether text names id as a whole word.
func mentions(text, id string) bool {
	return cart.Mentions(text, id, func(start, end int) bool {
		return (start == 0 || !idChar(text[start-1])) && (end == len(text) || !idChar(text[end]))
	})
}

func idChar(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '-' || b == '_'
}
