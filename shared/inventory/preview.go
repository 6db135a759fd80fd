package inventory

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Sources of a preview entry's cart quantity (PreviewEntry.CartSource).
const (
	// SourceLive: read from the cart for this preview.
	SourceLive = "live"
	// SourceLastSeen: the quantity the cart last had as far as Autosync
	// knows — read at Import Products, or confirmed by the last push.
	SourceLastSeen = "last_seen"
	// SourceUnknown: the cart never said (a listing without a quantity).
	SourceUnknown = "unknown"
)

// PreviewEntry is one linked SKU in a write-back preview: what the cart
// shows and what the next Write Inventory Back would send.
type PreviewEntry struct {
	SKU  string `json:"sku"`
	Name string `json:"name"`
	// CartQuantity is the cart's quantity (nil when unknown).
	CartQuantity *int   `json:"cart_quantity"`
	CartSource   string `json:"cart_source"`
	// SeenAt is when a last-seen quantity was read or confirmed (nil for
	// live quantities and for records from before it was kept).
	SeenAt *time.Time `json:"seen_at,omitempty"`
	// Target is what the channel should show: min(max(Σ available −
	// reserve, 0), max_export) under the channel's policy.
	Target int `json:"target"`
	// WillWrite: the next write-back sends Target for this SKU (it is in
	// Needs Sync); otherwise it sends nothing.
	WillWrite bool `json:"will_write"`
	// Changes: the write would change what the cart shows.
	Changes bool `json:"changes"`
	// Delta is Target − CartQuantity when the write changes a known
	// quantity, 0 otherwise.
	Delta int `json:"delta"`
	// Drift: the cart's quantity differs from Target (whether or not the
	// next write-back sends it).
	Drift     bool `json:"drift"`
	Suspended bool `json:"suspended"`
}

// PreviewSummary sums a preview up over every linked SKU.
type PreviewSummary struct {
	Linked    int `json:"linked"`
	Changes   int `json:"changes"`
	Unchanged int `json:"unchanged"`
	// UnknownCart counts SKUs whose cart quantity nobody knows; they are
	// counted as changes when the write-back would send them.
	UnknownCart int `json:"unknown_cart"`
	Drift       int `json:"drift"`
	Suspended   int `json:"suspended"`
	// Largest are the changes with the largest |delta| (at most
	// PreviewLargest), largest first; unknown cart quantities follow.
	Largest []PreviewEntry `json:"largest_changes"`
}

// PreviewLargest is how many changes the summary lists.
const PreviewLargest = 10

// PreviewOf computes a product's preview entry on a channel under pol,
// with the same SyncState write-back decides by. live holds quantities
// read from the cart now (by SKU); it may be nil or partial.
func PreviewOf(p Product, channel string, pol Policy, live map[string]int) (PreviewEntry, bool) {
	cs, ok := p.Channels[channel]
	if !ok {
		return PreviewEntry{}, false
	}
	s := pol.SyncState(p, channel)
	e := PreviewEntry{SKU: p.SKU, Name: p.Name, Target: s.Target, WillWrite: s.NeedsSync, Suspended: s.Suspended}
	switch q, isLive := live[p.SKU]; {
	case isLive:
		e.CartQuantity, e.CartSource = &q, SourceLive
	case cs.LastPushed != nil:
		q := *cs.LastPushed
		e.CartQuantity, e.CartSource, e.SeenAt = &q, SourceLastSeen, cs.SeenAt
	default:
		e.CartSource = SourceUnknown
	}
	if e.CartQuantity != nil {
		e.Drift = *e.CartQuantity != e.Target
		if e.WillWrite && e.Drift {
			e.Changes, e.Delta = true, e.Target-*e.CartQuantity
		}
	} else {
		e.Changes = e.WillWrite
	}
	return e, true
}

// Summarize counts a preview's entries and picks the largest changes.
func Summarize(entries []PreviewEntry) PreviewSummary {
	s := PreviewSummary{Linked: len(entries), Largest: []PreviewEntry{}}
	var changes []PreviewEntry
	for _, e := range entries {
		if e.Changes {
			s.Changes++
			changes = append(changes, e)
		}
		if e.CartQuantity == nil {
			s.UnknownCart++
		}
		if e.Drift {
			s.Drift++
		}
		if e.Suspended {
			s.Suspended++
		}
	}
	s.Unchanged = s.Linked - s.Changes
	abs := func(n int) int { return max(n, -n) }
	slices.SortStableFunc(changes, func(a, b PreviewEntry) int {
		if ak, bk := a.CartQuantity == nil, b.CartQuantity == nil; ak != bk {
			if ak {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(abs(b.Delta), abs(a.Delta)); c != 0 {
			return c
		}
		return cmp.Compare(a.SKU, b.SKU)
	})
	s.Largest = append(s.Largest, changes[:min(len(changes), PreviewLargest)]...)
	return s
}

// Preview is the write-back preview of a channel: every linked SKU in SKU
// order (at most limit, 0 for all) and whether more were left out.
type Preview struct {
	Entries []PreviewEntry
	// Truncated: the account has more linked products than limit.
	Truncated bool
}

// Preview scans the account's products and returns the channel's linked
// SKUs' preview entries in SKU order, at most limit of them (the caller
// bounds it; write-back reads the same products in one pass).
func (r *Repo) Preview(ctx context.Context, account, channel string, live map[string]int, limit int) (Preview, error) {
	pol, err := r.Policy(ctx, account, channel)
	if err != nil {
		return Preview{}, err
	}
	var out Preview
	err = r.Scan(ctx, account, "", func(v Versioned) (bool, error) {
		e, ok := PreviewOf(v.Product, channel, pol, live)
		if !ok {
			return true, nil
		}
		if limit > 0 && len(out.Entries) == limit {
			out.Truncated = true
			return false, nil
		}
		out.Entries = append(out.Entries, e)
		return true, nil
	})
	if err != nil {
		return Preview{}, err
	}
	return out, nil
}
