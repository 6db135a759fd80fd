// Package orders keeps the orders imported from every channel. Upsert is the
// one way an order gets in — scheduled, manual, webhook and retried imports
// all converge on it — keyed by (account, channel, external order id), so
// however often and in whatever order an order is seen it exists once.
package orders

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/id"
	"github.com/autosync/autosync/shared/store"
)

// Order is an imported order.
type Order struct {
	ID            string      `json:"id"`
	ChannelID     string      `json:"channel_id"`
	ExternalID    string      `json:"external_id"`
	Number        string      `json:"number"`
	Status        string      `json:"status"`
	Filter        cart.Filter `json:"filter"`
	Tags          []string    `json:"tags"`
	Lines         []cart.Line `json:"lines"`
	Total         string      `json:"total,omitempty"`
	Currency      string      `json:"currency,omitempty"`
	CartCreatedAt time.Time   `json:"cart_created_at"`
	CartUpdatedAt time.Time   `json:"cart_updated_at"`
	ImportedAt    time.Time   `json:"imported_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
}

// Outcome is what an upsert did.
type Outcome int

const (
	Unchanged Outcome = iota
	Created
	Updated
	// Ignored: the cart's order is not one we import (e.g. a cancel for an
	// order we never had).
	Ignored
)

// Change describes an upsert's effect, for inventory to commit or release stock.
type Change struct {
	Outcome Outcome
	Before  *Order // nil when created
	After   Order
}

// Stock commits and releases inventory for orders, inside the order's write.
type Stock interface {
	// CommitWarehouse is where the channel's orders commit stock.
	CommitWarehouse(ctx context.Context, account, channel string) (string, error)
	// CommitOps returns the writes moving committed stock from the lines
	// committed before to those committed after.
	CommitOps(ctx context.Context, account, warehouse string, before, after []cart.Line) ([]store.Op, error)
}

// Repo stores orders.
type Repo struct {
	Store store.Store
	Now   func() time.Time
	// Stock, when set, makes awaiting-fulfillment orders commit inventory
	// in the same transaction as the order write.
	Stock Stock
}

// committed is what an order holds back from sale: its lines while it
// awaits fulfillment; nothing once shipped or cancelled, nor for orders
// fulfilled by someone else (FBA).
func committed(o *Order) []cart.Line {
	if o == nil || o.Filter != cart.AwaitingFulfillment || slices.Contains(o.Tags, "FBA") {
		return nil
	}
	return o.Lines
}

// record is an order as stored: the Order the API shows, and the stock it
// holds back.
type record struct {
	Order
	// Held is the stock inventory counts as committed to the order. Nil on
	// orders stored before it was kept: theirs is derived (see held).
	Held *holding `json:"held,omitempty"`
}

// holding is the stock an order holds back, as written to inventory. It
// is kept rather than derived from the order's status and lines for two
// reasons: a release goes to the warehouse the order committed in, even
// after the channel's policy names another first; and an order whose stock
// moves take more than one transaction (more distinct SKUs than one
// transaction holds) records how far they got, so whoever writes the order
// next finishes them.
type holding struct {
	Warehouse string      `json:"warehouse,omitempty"`
	Lines     []cart.Line `json:"lines,omitempty"`
}

// MaxLines bounds an order's lines; a larger one is refused, not truncated.
const MaxLines = 500

// ErrInvalid marks an order refused for what it is (no id, too many lines):
// storing it again will not succeed, so an import skips it and says so.
var ErrInvalid = errors.New("order refused")

// maxMoves is how many SKUs' commitments one write moves: the transaction
// also holds the order and inventory's change-log item.
const maxMoves = store.MaxTransactItems - 2

func sk(channel, external string) string { return "ORD#" + channel + "#" + external }

// Upsert brings the stored order in line with what the cart says:
//   - a new order is created only if it is awaiting fulfillment or shipped;
//   - a report older than what we hold is ignored (webhooks arrive out of order);
//   - a cancel applies only while the order still awaits fulfillment: once
//     shipped, a cancel in the cart is a refund matter, not ours to undo;
//   - shipping applies from awaiting fulfillment.
func (r *Repo) Upsert(ctx context.Context, account, channel string, in cart.Order) (Change, error) {
	return r.upsert(ctx, account, channel, in, true)
}

// Update applies what the cart says to an order we already hold and ignores
// orders we do not: a cancel or shipment seen for an order never imported
// is not a reason to import it.
func (r *Repo) Update(ctx context.Context, account, channel string, in cart.Order) (Change, error) {
	return r.upsert(ctx, account, channel, in, false)
}

func (r *Repo) upsert(ctx context.Context, account, channel string, in cart.Order, create bool) (Change, error) {
	if in.ExternalID == "" {
		return Change{}, fmt.Errorf("upsert order: %w: empty external id", ErrInvalid)
	}
	if len(in.Lines) > MaxLines {
		return Change{}, fmt.Errorf("upsert order %s: %w: %d lines (max %d)", in.ExternalID, ErrInvalid, len(in.Lines), MaxLines)
	}
	// Each step writes the order with at most maxMoves SKUs' stock moves;
	// the first says what the upsert did, later ones finish the moves.
	var first *Change
	for range MaxLines/maxMoves + 2 {
		ch, done, err := r.step(ctx, account, channel, in, create)
		if err != nil {
			return Change{}, err
		}
		if first == nil {
			first = &ch
		}
		if done {
			return *first, nil
		}
	}
	return Change{}, fmt.Errorf("upsert order %s: its stock moves did not finish", in.ExternalID)
}

// step reads the order, merges what the cart says and writes the result
// with the first maxMoves of the stock moves it needs; done is false when
// moves remain.
func (r *Repo) step(ctx context.Context, account, channel string, in cart.Order, create bool) (ch Change, done bool, err error) {
	pk, key := store.AccountPK(account), sk(channel, in.ExternalID)
	// A lost write is a concurrent import of the same order or SKUs: re-read
	// and merge again.
	err = store.Retry(ctx, 20, func() error {
		cur, err := store.GetDoc[record](ctx, r.Store, pk, key)
		var before *Order
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return fmt.Errorf("read order %s: %w", in.ExternalID, err)
		default:
			before = &cur.Value.Order
		}
		if before == nil && !create {
			ch, done = Change{Outcome: Ignored}, true
			return nil
		}
		after, outcome := merge(before, in, channel, r.Now().UTC())
		if outcome == Ignored {
			ch, done = Change{Outcome: outcome, Before: before}, true
			return nil
		}
		var h holding
		if cur.Value.Held != nil {
			h = *cur.Value.Held
		} else if h, err = r.legacyHolding(ctx, account, channel, before); err != nil {
			return err
		}
		moves := changed(h.Lines, committed(&after))
		if r.Stock == nil {
			moves = nil
		}
		ch = Change{Outcome: outcome, Before: before, After: after}
		if outcome == Unchanged && len(moves) == 0 && cur.Value.Held != nil {
			done = true
			return nil
		}
		done = len(moves) <= maxMoves
		if !done {
			moves = moves[:maxMoves]
		}
		if err := r.write(ctx, account, channel, cur.Version, after, h, moves); err != nil {
			return fmt.Errorf("write order %s: %w", in.ExternalID, err)
		}
		return nil
	})
	return ch, done, err
}

// legacyHolding is what an order stored before holdings were kept holds:
// its committed lines, in the channel's commit warehouse (where they were
// committed unless the policy changed since).
func (r *Repo) legacyHolding(ctx context.Context, account, channel string, o *Order) (holding, error) {
	lines := committed(o)
	if len(lines) == 0 || r.Stock == nil {
		return holding{}, nil
	}
	wh, err := r.Stock.CommitWarehouse(ctx, account, channel)
	if err != nil {
		return holding{}, err
	}
	return holding{Warehouse: wh, Lines: sum(lines)}, nil
}

// write stores the order and, in the same transaction, moves the
// committed stock of the SKUs in moves from what h holds to what the order
// commits now. Stock is held where the order first committed it until all
// of it is released.
func (r *Repo) write(ctx context.Context, account, channel string, version int64, after Order, h holding, moves []string) error {
	next := h
	var ops []store.Op
	if len(moves) > 0 {
		wh := h.Warehouse
		if len(h.Lines) == 0 {
			var err error
			if wh, err = r.Stock.CommitWarehouse(ctx, account, channel); err != nil {
				return err
			}
		}
		want := sum(committed(&after))
		was, now := pick(h.Lines, moves), pick(want, moves)
		more, err := r.Stock.CommitOps(ctx, account, wh, was, now)
		if err != nil {
			return err
		}
		ops = more
		next = holding{Warehouse: wh, Lines: replace(h.Lines, moves, now)}
		if len(next.Lines) == 0 {
			next.Warehouse = ""
		}
	}
	it, err := store.NewDoc(store.AccountPK(account), sk(channel, after.ExternalID), record{Order: after, Held: &next}, time.Time{})
	if err != nil {
		return err
	}
	return r.Store.Transact(ctx, append([]store.Op{store.Put(it, store.AtVersion(version))}, ops...))
}

// sum adds up lines by SKU, in SKU order, leaving out zero quantities.
func sum(lines []cart.Line) []cart.Line {
	by := map[string]int{}
	for _, l := range lines {
		by[l.SKU] += l.Quantity
	}
	out := make([]cart.Line, 0, len(by))
	for _, sku := range slices.Sorted(maps.Keys(by)) {
		if by[sku] != 0 {
			out = append(out, cart.Line{SKU: sku, Quantity: by[sku]})
		}
	}
	return out
}

// changed lists, in order, the SKUs whose quantity differs between held and
// want.
func changed(held, want []cart.Line) []string {
	d := map[string]int{}
	for _, l := range want {
		d[l.SKU] += l.Quantity
	}
	for _, l := range held {
		d[l.SKU] -= l.Quantity
	}
	var out []string
	for sku, n := range d {
		if n != 0 {
			out = append(out, sku)
		}
	}
	slices.Sort(out)
	return out
}

// pick keeps the lines of the given SKUs.
func pick(lines []cart.Line, skus []string) []cart.Line {
	var out []cart.Line
	for _, l := range lines {
		if _, ok := slices.BinarySearch(skus, l.SKU); ok {
			out = append(out, l)
		}
	}
	return out
}

// replace returns held with the given SKUs' lines replaced by now's.
func replace(held []cart.Line, skus []string, now []cart.Line) []cart.Line {
	out := pick(now, skus)
	for _, l := range held {
		if _, ok := slices.BinarySearch(skus, l.SKU); !ok {
			out = append(out, l)
		}
	}
	return sum(out)
}

func merge(before *Order, in cart.Order, channel string, now time.Time) (Order, Outcome) {
	if before == nil {
		if in.Filter != cart.AwaitingFulfillment && in.Filter != cart.Shipped {
			return Order{}, Ignored
		}
		return Order{
			ID: id.New("ord"), ChannelID: channel, ExternalID: in.ExternalID, Number: in.Number,
			Status: in.CartStatus, Filter: in.Filter, Tags: normTags(in.Tags), Lines: in.Lines,
			Total: in.Total, Currency: in.Currency, CartCreatedAt: in.CreatedAt, CartUpdatedAt: in.UpdatedAt,
			ImportedAt: now, UpdatedAt: now,
		}, Created
	}
	if in.UpdatedAt.Before(before.CartUpdatedAt) {
		return *before, Unchanged
	}
	after := *before
	after.Status = in.CartStatus
	after.CartUpdatedAt = in.UpdatedAt
	after.Tags = normTags(append(slices.Clone(before.Tags), in.Tags...))
	if before.Filter == cart.AwaitingFulfillment {
		switch in.Filter {
		case cart.Cancelled, cart.Shipped:
			after.Filter = in.Filter
		case cart.AwaitingFulfillment:
			// Edits while awaiting fulfillment (lines changed) carry over.
			after.Lines = in.Lines
			after.Total, after.Currency = in.Total, in.Currency
		}
	}
	if equal(*before, after) {
		return *before, Unchanged
	}
	after.UpdatedAt = now
	return after, Updated
}

func equal(a, b Order) bool {
	return a.Status == b.Status && a.Filter == b.Filter && slices.Equal(a.Tags, b.Tags) &&
		slices.Equal(a.Lines, b.Lines) && a.Total == b.Total && a.Currency == b.Currency
}

func normTags(tags []string) []string {
	out := slices.Clone(tags)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// Get returns one order by channel and external id.
func (r *Repo) Get(ctx context.Context, account, channel, external string) (Order, error) {
	d, err := store.GetDoc[Order](ctx, r.Store, store.AccountPK(account), sk(channel, external))
	return d.Value, err
}

// Filter narrows a listing.
type Filter struct {
	ChannelID string
	Filter    cart.Filter
	Tag       string
	Limit     int
	Cursor    string
}

const scanBudget = 5000

// List returns orders in (channel, external id) order, with the next cursor.
func (r *Repo) List(ctx context.Context, account string, f Filter) ([]Order, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	prefix := "ORD#"
	if f.ChannelID != "" {
		prefix += f.ChannelID + "#"
	}
	out, next, err := store.Collect(ctx, r.Store, store.Query{PK: store.AccountPK(account), Prefix: prefix, After: f.Cursor, Limit: 200}, limit, scanBudget,
		func(it store.Item) (Order, bool, error) {
			o, err := store.Decode[Order](it)
			return o, (f.Filter == "" || o.Filter == f.Filter) && (f.Tag == "" || slices.Contains(o.Tags, f.Tag)), err
		})
	if err != nil {
		return nil, "", fmt.Errorf("list orders: %w", err)
	}
	return out, next, nil
}
