package inventory

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/store/boltstore"
)

func TestPreviewOf(t *testing.T) {
	seen := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	prod := func(onHand int, cs *ChannelState) Product {
		p := Product{SKU: "S", Name: "Mug", Stock: map[string]Stock{"w1": {OnHand: onHand, Committed: 1}}, Channels: map[string]ChannelState{}}
		if cs != nil {
			p.Channels["ch"] = *cs
		}
		return p
	}
	pol := Policy{Warehouses: []string{"w1"}, Reserve: 2, MaxExport: intp(50)}
	tests := []struct {
		name      string
		p         Product
		live      map[string]int
		source    string
		cart      *int
		target    int
		willWrite bool
		changes   bool
		delta     int
		drift     bool
		suspended bool
	}{
		// available 9, reserve 2 → 7
		{"in sync", prod(10, &ChannelState{LastPushed: intp(7), SeenAt: &seen}), nil, SourceLastSeen, intp(7), 7, false, false, 0, false, false},
		{"last seen differs: write changes it", prod(10, &ChannelState{LastPushed: intp(3), SeenAt: &seen}), nil, SourceLastSeen, intp(3), 7, true, true, 4, true, false},
		{"cap applies", prod(100, &ChannelState{LastPushed: intp(80)}), nil, SourceLastSeen, intp(80), 50, true, true, -30, true, false},
		{"reserve beyond stock sends 0", prod(2, &ChannelState{LastPushed: intp(6)}), nil, SourceLastSeen, intp(6), 0, true, true, -6, true, false},
		{"live read wins over last seen", prod(10, &ChannelState{LastPushed: intp(3)}), map[string]int{"S": 7}, SourceLive, intp(7), 7, true, false, 0, false, false},
		{"live drift that write-back will not send", prod(10, &ChannelState{LastPushed: intp(7)}), map[string]int{"S": 12}, SourceLive, intp(12), 7, false, false, 0, true, false},
		{"unknown cart quantity counts as a change", prod(10, &ChannelState{}), nil, SourceUnknown, nil, 7, true, true, 0, false, false},
		{"suspended at target: nothing sent", prod(10, &ChannelState{LastPushed: intp(3), SuspendedAt: intp(7)}), nil, SourceLastSeen, intp(3), 7, false, false, 0, true, true},
		{"live for another SKU only", prod(10, &ChannelState{LastPushed: intp(3)}), map[string]int{"T": 1}, SourceLastSeen, intp(3), 7, true, true, 4, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, ok := PreviewOf(tc.p, "ch", pol, tc.live)
			if !ok {
				t.Fatal("linked product not previewed")
			}
			if e.CartSource != tc.source || (e.CartQuantity == nil) != (tc.cart == nil) || (tc.cart != nil && *e.CartQuantity != *tc.cart) {
				t.Fatalf("cart %v from %q, want %v from %q", e.CartQuantity, e.CartSource, tc.cart, tc.source)
			}
			if e.Target != tc.target || e.WillWrite != tc.willWrite || e.Changes != tc.changes || e.Delta != tc.delta || e.Drift != tc.drift || e.Suspended != tc.suspended {
				t.Fatalf("%+v", e)
			}
			// The same computation write-back decides by.
			if s := pol.SyncState(tc.p, "ch"); s.Target != e.Target || s.NeedsSync != e.WillWrite {
				t.Fatalf("preview %+v disagrees with SyncState %+v", e, s)
			}
			if e.CartSource == SourceLastSeen && tc.p.Channels["ch"].SeenAt != nil && !e.SeenAt.Equal(seen) {
				t.Fatalf("seen_at %v", e.SeenAt)
			}
		})
	}
	if _, ok := PreviewOf(prod(10, nil), "ch", pol, nil); ok {
		t.Fatal("an unlinked product previewed")
	}
}

func TestSummarize(t *testing.T) {
	var entries []PreviewEntry
	// 14 changes with deltas −7..+6 (|delta| 0 excluded), one unknown, two in sync.
	for i := -7; i <= 7; i++ {
		if i == 0 {
			continue
		}
		entries = append(entries, PreviewEntry{SKU: fmt.Sprintf("D%+03d", i), CartQuantity: intp(10), Target: 10 + i, WillWrite: true, Changes: true, Delta: i, Drift: true})
	}
	entries = append(entries,
		PreviewEntry{SKU: "UNKNOWN", Target: 4, WillWrite: true, Changes: true},
		PreviewEntry{SKU: "SAME", CartQuantity: intp(3), Target: 3},
		PreviewEntry{SKU: "DRIFT", CartQuantity: intp(9), Target: 3, Drift: true, Suspended: true},
	)
	s := Summarize(entries)
	if s.Linked != 17 || s.Changes != 15 || s.Unchanged != 2 || s.UnknownCart != 1 || s.Drift != 15 || s.Suspended != 1 {
		t.Fatalf("%+v", s)
	}
	if len(s.Largest) != PreviewLargest {
		t.Fatalf("%d largest", len(s.Largest))
	}
	want := []string{"D+07", "D-07", "D+06", "D-06", "D+05", "D-05", "D+04", "D-04", "D+03", "D-03"}
	for i, e := range s.Largest {
		if e.SKU != want[i] {
			t.Fatalf("largest[%d] = %s, want %s (all %v)", i, e.SKU, want[i], s.Largest)
		}
	}
	if s := Summarize(nil); s.Linked != 0 || s.Largest == nil || len(s.Largest) != 0 {
		t.Fatalf("empty %+v", s)
	}
	// Fewer than ten: unknown quantities come after known ones.
	s = Summarize(entries[len(entries)-4:])
	if len(s.Largest) != 2 || s.Largest[0].SKU != "D+07" || s.Largest[1].SKU != "UNKNOWN" {
		t.Fatalf("%+v", s.Largest)
	}
}

func TestRepoPreview(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	r := &Repo{Store: st, Now: func() time.Time { return now }}
	ctx := context.Background()
	for i, sku := range []string{"A", "B", "C", "D"} {
		if _, err := r.ImportListing(ctx, "acct", "ch", cart.Listing{SKU: sku, Quantity: intp(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.ImportListing(ctx, "acct", "other", cart.Listing{SKU: "ONLY-OTHER", Quantity: intp(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ImportListing(ctx, "other-acct", "ch", cart.Listing{SKU: "FOREIGN", Quantity: intp(1)}); err != nil {
		t.Fatal(err)
	}
	// Stock changes here: B now has 9 on hand; the cart still shows 2.
	if _, err := r.SetOnHand(ctx, "acct", "B", DefaultWarehouse, 9); err != nil {
		t.Fatal(err)
	}
	p, err := r.Preview(ctx, "acct", "ch", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var skus []string
	for _, e := range p.Entries {
		skus = append(skus, e.SKU)
	}
	if fmt.Sprint(skus) != "[A B C D]" || p.Truncated {
		t.Fatalf("entries %v truncated %v", skus, p.Truncated)
	}
	b := p.Entries[1]
	if !b.Changes || b.Delta != 7 || *b.CartQuantity != 2 || b.CartSource != SourceLastSeen || b.SeenAt == nil || !b.SeenAt.Equal(now) {
		t.Fatalf("B %+v", b)
	}
	if s := Summarize(p.Entries); s.Changes != 1 || s.Unchanged != 3 {
		t.Fatalf("summary %+v", s)
	}
	// A confirmed push moves the last-seen quantity and its time.
	now = now.Add(time.Hour)
	if err := r.ConfirmPush(ctx, "acct", "ch", "B", 9); err != nil {
		t.Fatal(err)
	}
	p, _ = r.Preview(ctx, "acct", "ch", map[string]int{"C": 0}, 2)
	if len(p.Entries) != 2 || !p.Truncated || p.Entries[1].Changes || !p.Entries[1].SeenAt.Equal(now) {
		t.Fatalf("after the push %+v", p)
	}
	p, _ = r.Preview(ctx, "acct", "ch", map[string]int{"C": 0}, 0)
	if c := p.Entries[2]; c.CartSource != SourceLive || !c.Drift || c.WillWrite {
		t.Fatalf("C read live as 0: %+v", c)
	}
	if p, _ := r.Preview(ctx, "acct", "nope", nil, 0); len(p.Entries) != 0 {
		t.Fatalf("unknown channel %+v", p)
	}
}
