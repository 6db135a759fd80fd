// Package inventory is the account's catalog and stock: products keyed by
// SKU, warehouses, on-hand and committed quantities, and per channel the
// quantity last pushed to the cart. Everything about one SKU lives in one
// item, so an order commit, a stock change and a write-back confirmation
// are each one conditional write and can never lose each other's updates.
//
// What a channel should show for a SKU is derived, never stored:
//
//	available = Σ over the channel's warehouses of max(on_hand − committed, 0)
//	target    = min(max(available − reserve, 0), max_export)
//
// A product is in Needs Sync for a channel when it is linked to the channel
// and target ≠ last pushed. Write-back confirms a push by recording the
// pushed quantity as last pushed, so a quantity that changed between the
// push and the confirmation stays in Needs Sync (compare-and-clear).
package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/store"
)

// DefaultWarehouse is every account's first warehouse.
const DefaultWarehouse = "wh_default"

// SuspendAfter is how many consecutive failed pushes suspend a SKU on a channel.
const SuspendAfter = 3

// Stock is one warehouse's quantities of a SKU.
type Stock struct {
	OnHand    int `json:"on_hand"`
	Committed int `json:"committed"`
}

// Available is on hand less committed, never below zero.
func (s Stock) Available() int { return max(s.OnHand-s.Committed, 0) }

// ChannelState is a SKU's state on one channel.
type ChannelState struct {
	Link       cart.Link `json:"link"`
	LastPushed *int      `json:"last_pushed"`
	// SeenAt is when LastPushed was last read from the cart (import) or
	// confirmed by it (push): the age of the write-back preview's
	// last-seen cart quantity.
	SeenAt   *time.Time `json:"seen_at,omitempty"`
	Failures int        `json:"failures"`
	// SuspendedAt is the target quantity the SKU was suspended at: it stays
	// suspended until its target differs from it.
	SuspendedAt *int   `json:"suspended_at,omitempty"`
	LastError   string `json:"last_error,omitempty"`
	// Deactivated: the cart listing selling the SKU was made inactive
	// because every variation of it reached 0 and the cart cannot show
	// that (Etsy, zero_stock "deactivate"); write-back reactivates it
	// when stock returns.
	Deactivated bool `json:"deactivated,omitempty"`
}

// Product is one SKU with its stock and channel links.
type Product struct {
	SKU       string                  `json:"sku"`
	Name      string                  `json:"name"`
	Price     string                  `json:"price,omitempty"`
	Images    []string                `json:"images"`
	Stock     map[string]Stock        `json:"stock"`
	Channels  map[string]ChannelState `json:"channels"`
	CreatedAt time.Time               `json:"created_at"`
	UpdatedAt time.Time               `json:"updated_at"`
}

// Policy is how a channel's quantities are derived: which warehouses feed
// it, a safety reserve, and a cap. The first warehouse is where the
// channel's orders commit stock.
type Policy struct {
	Warehouses []string `json:"warehouses"`
	Reserve    int      `json:"reserve"`
	MaxExport  *int     `json:"max_export"`
	// ZeroStock is what write-back does when every variation of a cart
	// listing must reach 0 and the cart refuses to show that (Etsy):
	// ZeroStockDeactivate (the default, also "") makes the listing
	// inactive until stock returns; ZeroStockSuspend leaves it selling and
	// the SKU fails until suspended, the behaviour before the policy.
	ZeroStock string `json:"zero_stock,omitempty"`
}

// Zero-stock policies (Policy.ZeroStock).
const (
	ZeroStockDeactivate = cart.ZeroStockDeactivate
	ZeroStockSuspend    = cart.ZeroStockSuspend
)

// ZeroStockPolicy is the policy's zero-stock choice, the default filled in.
func (p Policy) ZeroStockPolicy() string {
	if p.ZeroStock == "" {
		return ZeroStockDeactivate
	}
	return p.ZeroStock
}

// Target is what a channel should show given the product's stock.
func (p Policy) Target(prod Product) int {
	avail := 0
	for _, wh := range p.Warehouses {
		avail += prod.Stock[wh].Available()
	}
	t := max(avail-p.Reserve, 0)
	if p.MaxExport != nil && t > *p.MaxExport {
		t = *p.MaxExport
	}
	return t
}

// Sync is a product's write-back state on a channel.
type Sync struct {
	Linked    bool
	Target    int
	NeedsSync bool
	Suspended bool
}

// SyncState derives whether the product needs pushing to the channel.
func (p Policy) SyncState(prod Product, channel string) Sync {
	cs, ok := prod.Channels[channel]
	if !ok {
		return Sync{}
	}
	s := Sync{Linked: true, Target: p.Target(prod)}
	s.NeedsSync = cs.LastPushed == nil || *cs.LastPushed != s.Target
	s.Suspended = s.NeedsSync && cs.SuspendedAt != nil && *cs.SuspendedAt == s.Target
	if s.Suspended {
		s.NeedsSync = false
	}
	return s
}

// Errors.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid")
)

// Repo stores products, warehouses and channel policies.
type Repo struct {
	Store store.Store
	Now   func() time.Time
}

func prodSK(sku string) string { return "PROD#" + sku }

// ValidSKU bounds SKUs: non-empty, printable, at most 100 bytes.
func ValidSKU(sku string) bool {
	if sku == "" || len(sku) > 100 || !utf8.ValidString(sku) || strings.TrimSpace(sku) != sku {
		return false
	}
	for _, r := range sku {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Get returns one product.
func (r *Repo) Get(ctx context.Context, account, sku string) (Product, int64, error) {
	d, err := store.GetDoc[Product](ctx, r.Store, store.AccountPK(account), prodSK(sku))
	if errors.Is(err, store.ErrNotFound) {
		return Product{}, 0, ErrNotFound
	}
	if err != nil {
		return Product{}, 0, fmt.Errorf("get product %s: %w", sku, err)
	}
	return d.Value, d.Version, nil
}

func newProduct(sku string, now time.Time) Product {
	return Product{SKU: sku, Name: sku, Images: []string{}, Stock: map[string]Stock{}, Channels: map[string]ChannelState{}, CreatedAt: now, UpdatedAt: now}
}

func (p *Product) norm() {
	if p.Stock == nil {
		p.Stock = map[string]Stock{}
	}
	if p.Channels == nil {
		p.Channels = map[string]ChannelState{}
	}
	if p.Images == nil {
		p.Images = []string{}
	}
}

// Update applies fn to the product (created when create is set and it is
// missing) with optimistic concurrency, retrying on conflicts. The write is
// logged as a change (see ChangedSince), so write-back looks at the SKU.
func (r *Repo) Update(ctx context.Context, account, sku string, create bool, fn func(p *Product) error) (Product, error) {
	return r.update(ctx, account, sku, create, true, fn)
}

// Versioned is a product with the version it was read at.
type Versioned struct {
	Product Product
	Version int64
}

// Scan pages through the account's products in SKU order after the given
// SKU, calling fn for each, until fn returns false.
func (r *Repo) Scan(ctx context.Context, account, after string, fn func(Versioned) (bool, error)) error {
	return r.scan(ctx, account, after, false, fn)
}

// ScanEventual is Scan with an eventually consistent read, at half the
// price: it may miss a change of about the last second, so it is only for
// a reader that a later pass corrects (a scheduled write-back; the product
// stays in Needs Sync until a push of its current target is confirmed).
func (r *Repo) ScanEventual(ctx context.Context, account, after string, fn func(Versioned) (bool, error)) error {
	return r.scan(ctx, account, after, true, fn)
}

func (r *Repo) scan(ctx context.Context, account, after string, eventual bool, fn func(Versioned) (bool, error)) error {
	q := store.Query{PK: store.AccountPK(account), Prefix: "PROD#", Limit: 500, Eventual: eventual}
	if after != "" {
		q.After = prodSK(after)
	}
	_, err := store.All(ctx, r.Store, q, 0, func(it store.Item) (bool, error) {
		p, err := store.Decode[Product](it)
		if err != nil {
			return false, err
		}
		p.norm()
		return fn(Versioned{Product: p, Version: it.Version})
	})
	if err != nil {
		return fmt.Errorf("scan products: %w", err)
	}
	return nil
}

// ListFilter narrows a product listing.
type ListFilter struct {
	NeedsSync     bool
	SyncSuspended bool
	ChannelID     string
	Limit         int
	Cursor        string
}

// List returns products in SKU order. With a filter, a product matches when
// it needs sync (or is suspended) on the given channel, or on any channel.
func (r *Repo) List(ctx context.Context, account string, f ListFilter, policies Policies) ([]Product, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q := store.Query{PK: store.AccountPK(account), Prefix: "PROD#", After: f.Cursor, Limit: 200}
	out, next, err := store.Collect(ctx, r.Store, q, limit, 5000, func(it store.Item) (Product, bool, error) {
		p, err := store.Decode[Product](it)
		if err != nil {
			return p, false, err
		}
		p.norm()
		if !f.NeedsSync && !f.SyncSuspended {
			return p, f.ChannelID == "" || hasChannel(p, f.ChannelID), nil
		}
		for ch := range p.Channels {
			if f.ChannelID != "" && ch != f.ChannelID {
				continue
			}
			s := policies.For(ch).SyncState(p, ch)
			if (f.NeedsSync && s.NeedsSync) || (f.SyncSuspended && s.Suspended) {
				return p, true, nil
			}
		}
		return p, false, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("list products: %w", err)
	}
	return out, next, nil
}

func hasChannel(p Product, ch string) bool { _, ok := p.Channels[ch]; return ok }

// CommitOps returns the writes that move committed stock for an order
// change, for the caller's transaction: lines of an order entering awaiting
// fulfillment commit in the channel's first warehouse; lines of an order
// leaving it (shipped, cancelled) release. A SKU not yet in the catalog is
// created, named by its SKU, so its commitment is not forgotten. The last
// op logs the change (see ChangedSince).
func (r *Repo) CommitOps(ctx context.Context, account, warehouse string, before, after []cart.Line) ([]store.Op, error) {
	delta := map[string]int{}
	for _, l := range after {
		delta[l.SKU] += l.Quantity
	}
	for _, l := range before {
		delta[l.SKU] -= l.Quantity
	}
	skus := make([]string, 0, len(delta))
	for sku, d := range delta {
		if d != 0 && ValidSKU(sku) {
			skus = append(skus, sku)
		}
	}
	sort.Strings(skus)
	// The order's own item and the change item share the transaction.
	if len(skus) > store.MaxTransactItems-2 {
		return nil, fmt.Errorf("%w: an order with %d distinct SKUs (max %d)", ErrInvalid, len(skus), store.MaxTransactItems-2)
	}
	now := r.Now().UTC()
	ops := make([]store.Op, 0, len(skus))
	for _, sku := range skus {
		p, v, err := r.Get(ctx, account, sku)
		if errors.Is(err, ErrNotFound) {
			p, v = newProduct(sku, now), 0
		} else if err != nil {
			return nil, err
		}
		p.norm()
		s := p.Stock[warehouse]
		s.Committed = max(s.Committed+delta[sku], 0)
		p.Stock[warehouse] = s
		p.UpdatedAt = now
		it, err := store.NewDoc(store.AccountPK(account), prodSK(sku), p, time.Time{})
		if err != nil {
			return nil, err
		}
		ops = append(ops, store.Put(it, store.AtVersion(v)))
	}
	if len(skus) > 0 {
		chg, err := changeOp(account, now, skus)
		if err != nil {
			return nil, err
		}
		ops = append(ops, chg)
	}
	return ops, nil
}

// SetOnHand sets a warehouse's on-hand quantity of a SKU.
func (r *Repo) SetOnHand(ctx context.Context, account, sku, warehouse string, onHand int) (Product, error) {
	if onHand < 0 || onHand > 1_000_000_000 {
		return Product{}, fmt.Errorf("%w: on_hand must be 0 to 1000000000", ErrInvalid)
	}
	return r.Update(ctx, account, sku, false, func(p *Product) error {
		s := p.Stock[warehouse]
		s.OnHand = onHand
		p.Stock[warehouse] = s
		return nil
	})
}

// Outcome of importing a listing.
type Outcome int

const (
	Unchanged Outcome = iota
	Created
	Linked
	// Unlinked: the listing is not ours (cart.Listing.NotOurs) and the
	// product was linked to the channel through it; the link is gone.
	Unlinked
	// Skipped: the listing is not ours and no product is linked through
	// it; nothing was stored.
	Skipped
)

// ImportListing creates the product if its SKU is new (with the cart's
// details, and the cart's quantity as on hand in the default warehouse so
// importing never zeroes a cart), or only links an existing product to the
// channel: an existing product's details are never overwritten. A new link
// records the cart's quantity as last pushed, so the product is in Needs
// Sync exactly when the cart disagrees with our stock. A listing not ours
// (the cart fulfils it) unlinks the product from the channel instead, so
// write-back stops writing its quantity, and creates nothing.
func (r *Repo) ImportListing(ctx context.Context, account, channel string, l cart.Listing) (Outcome, error) {
	if !ValidSKU(l.SKU) {
		return Unchanged, fmt.Errorf("%w: SKU %q", ErrInvalid, l.SKU)
	}
	if l.NotOurs {
		return r.unlinkListing(ctx, account, channel, l)
	}
	outcome := Unchanged
	_, err := r.Update(ctx, account, l.SKU, true, func(p *Product) error {
		outcome = Unchanged
		fresh := len(p.Channels) == 0 && p.Name == p.SKU && p.Price == "" && len(p.Images) == 0
		if fresh {
			if l.Name != "" {
				p.Name = l.Name
			}
			p.Price = l.Price
			p.Images = slices.Clone(l.Images)
			if p.Images == nil {
				p.Images = []string{}
			}
			if l.Quantity != nil {
				s := p.Stock[DefaultWarehouse]
				// Stock already committed by imported orders is part of
				// what the cart shows as sold, not of its quantity.
				s.OnHand = max(*l.Quantity, 0) + s.Committed
				p.Stock[DefaultWarehouse] = s
			}
			outcome = Created
		}
		cs, had := p.Channels[channel]
		if !had || cs.Link != l.Link {
			cs.Link = l.Link
			if !had && l.Quantity != nil {
				q, now := max(*l.Quantity, 0), r.Now().UTC()
				cs.LastPushed, cs.SeenAt = &q, &now
			}
			p.Channels[channel] = cs
			if outcome == Unchanged {
				outcome = Linked
			}
		}
		if outcome == Unchanged {
			return ErrUnchanged
		}
		return nil
	})
	if errors.Is(err, ErrUnchanged) {
		return Unchanged, nil
	}
	return outcome, err
}

// unlinkListing removes the channel's link to l's product: the cart
// fulfils the listing, so write-back must not write its quantity.
func (r *Repo) unlinkListing(ctx context.Context, account, channel string, l cart.Listing) (Outcome, error) {
	_, err := r.Update(ctx, account, l.SKU, false, func(p *Product) error {
		if !hasChannel(*p, channel) {
			return ErrUnchanged
		}
		delete(p.Channels, channel)
		return nil
	})
	switch {
	case errors.Is(err, ErrUnchanged), errors.Is(err, ErrNotFound):
		return Skipped, nil
	case err != nil:
		return Unchanged, err
	}
	return Unlinked, nil
}

// ErrUnchanged, returned by an Update function, skips the write: the
// product already holds what the caller would store, and rewriting it would
// only bump UpdatedAt at the price of a write.
var ErrUnchanged = errors.New("unchanged")

// SetImages stores the cart's image URLs on a product linked to the channel.
// It reports false when the product is missing, not linked, or unchanged.
func (r *Repo) SetImages(ctx context.Context, account, channel, sku string, images []string) (bool, error) {
	changed := false
	// Images change no quantity: the write is not logged.
	_, err := r.update(ctx, account, sku, false, false, func(p *Product) error {
		if !hasChannel(*p, channel) || slices.Equal(p.Images, images) || len(images) == 0 {
			return ErrUnchanged
		}
		p.Images = slices.Clone(images)
		changed = true
		return nil
	})
	if errors.Is(err, ErrUnchanged) || errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return changed, err
}

// ConfirmPush records that the cart confirmed quantity for the SKU: the
// pushed quantity becomes last pushed and failures reset. If the target
// moved meanwhile, the product stays in Needs Sync.
func (r *Repo) ConfirmPush(ctx context.Context, account, channel, sku string, quantity int) error {
	return r.ConfirmPushListing(ctx, account, channel, sku, quantity, "")
}

// ConfirmPushListing is ConfirmPush with what the write did to the SKU's
// cart listing (cart.StockResult.Listing): cart.ListingDeactivated marks
// the SKU deactivated on the channel, anything else clears the mark.
func (r *Repo) ConfirmPushListing(ctx context.Context, account, channel, sku string, quantity int, listing string) error {
	// Not logged: the product is in sync now unless its target moved since
	// it was read, and whatever moved it was logged itself.
	_, err := r.update(ctx, account, sku, false, false, func(p *Product) error {
		cs, ok := p.Channels[channel]
		if !ok {
			return ErrUnchanged // unlinked meanwhile
		}
		q, now := quantity, r.Now().UTC()
		cs.LastPushed, cs.SeenAt, cs.Failures, cs.SuspendedAt, cs.LastError = &q, &now, 0, nil, ""
		cs.Deactivated = listing == cart.ListingDeactivated
		p.Channels[channel] = cs
		return nil
	})
	if errors.Is(err, ErrUnchanged) || errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// RecordFailure counts a failed push of target; the third in a row
// suspends the SKU on the channel until its target changes.
func (r *Repo) RecordFailure(ctx context.Context, account, channel, sku string, target int, reason string) (suspended bool, err error) {
	_, err = r.Update(ctx, account, sku, false, func(p *Product) error {
		cs, ok := p.Channels[channel]
		if !ok {
			return ErrUnchanged
		}
		cs.Failures++
		if len(reason) > 300 {
			reason = reason[:300]
		}
		cs.LastError = reason
		suspended = cs.Failures >= SuspendAfter
		if suspended {
			t := target
			cs.SuspendedAt = &t
		}
		p.Channels[channel] = cs
		return nil
	})
	if errors.Is(err, ErrUnchanged) || errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return suspended, err
}
