// Package orders keeps the orders imported from every channel. Upsert is the
// one way an order gets in — scheduled, manual, webhook and retried imports
// all converge on it — keyed by (account, channel, external order id), so
// however often and in whatever order an order is seen it exists once.
package orders

import (
	"context"
	"errors"
	"fmt"
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

// MaxLines bounds an order's lines; a larger one is refused, not truncated.
const MaxLines = 500

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
		return Change{}, fmt.Errorf("upsert order: empty external id")
	}
	if len(in.Lines) > MaxLines {
		return Change{}, fmt.Errorf("upsert order %s: %d lines (max %d)", in.ExternalID, len(in.Lines), MaxLines)
	}
	pk, key := store.AccountPK(account), sk(channel, in.ExternalID)
	var ch Change
	// A lost write is a concurrent import of the same order or SKUs: re-read
	// and merge again.
	err := store.Retry(ctx, 20, func() error {
		cur, err := store.GetDoc[Order](ctx, r.Store, pk, key)
		var before *Order
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return fmt.Errorf("read order %s: %w", in.ExternalID, err)
		default:
			before = &cur.Value
		}
		if before == nil && !create {
			ch = Change{Outcome: Ignored}
			return nil
		}
		after, outcome := merge(before, in, channel, r.Now().UTC())
		if outcome == Unchanged || outcome == Ignored {
			ch = Change{Outcome: outcome, Before: before}
			if before != nil {
				ch.After = *before
			}
			return nil
		}
		if err := r.write(ctx, account, channel, cur.Version, before, after); err != nil {
			return fmt.Errorf("write order %s: %w", in.ExternalID, err)
		}
		ch = Change{Outcome: outcome, Before: before, After: after}
		return nil
	})
	if err != nil {
		return Change{}, err
	}
	return ch, nil
}

// write stores the order and, in the same transaction, moves committed stock.
func (r *Repo) write(ctx context.Context, account, channel string, version int64, before *Order, after Order) error {
	it, err := store.NewDoc(store.AccountPK(account), sk(channel, after.ExternalID), after, time.Time{})
	if err != nil {
		return err
	}
	ops := []store.Op{store.Put(it, store.AtVersion(version))}
	was, now := committed(before), committed(&after)
	if r.Stock != nil && !slices.Equal(was, now) {
		wh, err := r.Stock.CommitWarehouse(ctx, account, channel)
		if err != nil {
			return err
		}
		more, err := r.Stock.CommitOps(ctx, account, wh, was, now)
		if err != nil {
			return err
		}
		ops = append(ops, more...)
	}
	return r.Store.Transact(ctx, ops)
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
