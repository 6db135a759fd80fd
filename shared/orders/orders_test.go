package orders

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/store/boltstore"
)

func TestMerge(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	o := func(f cart.Filter, m int) cart.Order {
		return cart.Order{ExternalID: "1", CartStatus: string(f), Filter: f, UpdatedAt: at(m), Lines: []cart.Line{{SKU: "A", Quantity: 1}}}
	}
	stored := func(f cart.Filter, m int) *Order {
		return &Order{ExternalID: "1", Status: string(f), Filter: f, CartUpdatedAt: at(m), Tags: []string{}, Lines: []cart.Line{{SKU: "A", Quantity: 1}}}
	}
	tests := []struct {
		name    string
		before  *Order
		in      cart.Order
		want    cart.Filter
		outcome Outcome
	}{
		{"new awaiting", nil, o(cart.AwaitingFulfillment, 1), cart.AwaitingFulfillment, Created},
		{"new shipped", nil, o(cart.Shipped, 1), cart.Shipped, Created},
		{"new cancelled ignored", nil, o(cart.Cancelled, 1), "", Ignored},
		{"same again", stored(cart.AwaitingFulfillment, 1), o(cart.AwaitingFulfillment, 1), cart.AwaitingFulfillment, Unchanged},
		{"cancel while awaiting", stored(cart.AwaitingFulfillment, 1), o(cart.Cancelled, 2), cart.Cancelled, Updated},
		{"cancel after shipped", stored(cart.Shipped, 1), o(cart.Cancelled, 2), cart.Shipped, Updated},
		{"ship", stored(cart.AwaitingFulfillment, 1), o(cart.Shipped, 2), cart.Shipped, Updated},
		{"stale report ignored", stored(cart.Cancelled, 5), o(cart.AwaitingFulfillment, 2), cart.Cancelled, Unchanged},
		{"out of order awaiting after cancel", stored(cart.Cancelled, 2), o(cart.AwaitingFulfillment, 3), cart.Cancelled, Updated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, outcome := merge(tc.before, tc.in, "ch", at(10))
			if outcome != tc.outcome {
				t.Fatalf("outcome %v, want %v", outcome, tc.outcome)
			}
			if tc.outcome != Ignored && got.Filter != tc.want {
				t.Fatalf("filter %q, want %q", got.Filter, tc.want)
			}
		})
	}
}

func TestUpsertConcurrentOnce(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := &Repo{Store: st, Now: time.Now}
	ctx := context.Background()
	var wg sync.WaitGroup
	created := make(chan bool, 80)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				ch, err := r.Upsert(ctx, "acct", "ch", cart.Order{ExternalID: fmt.Sprint(i), Filter: cart.AwaitingFulfillment, UpdatedAt: time.Unix(100, 0)})
				if err != nil {
					t.Error(err)
					return
				}
				created <- ch.Outcome == Created
			}
		}()
	}
	wg.Wait()
	close(created)
	n := 0
	for c := range created {
		if c {
			n++
		}
	}
	if n != 10 {
		t.Fatalf("%d creations for 10 orders upserted by 8 workers", n)
	}
	list, _, err := r.List(ctx, "acct", Filter{Limit: 100})
	if err != nil || len(list) != 10 {
		t.Fatalf("%d orders %v", len(list), err)
	}
	// Paging: 3 at a time visits every order once.
	seen := map[string]bool{}
	cursor := ""
	for {
		page, next, err := r.List(ctx, "acct", Filter{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page {
			if seen[o.ExternalID] {
				t.Fatalf("order %s twice", o.ExternalID)
			}
			seen[o.ExternalID] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 10 {
		t.Fatalf("paging saw %d", len(seen))
	}
	if _, err := r.Upsert(ctx, "acct", "ch", cart.Order{}); err == nil {
		t.Fatal("empty external id accepted")
	}
}
