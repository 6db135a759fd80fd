package carttest

// Live mode of the contract suite: the same read-only-safe checks, run
// against a real store whose credentials are given in environment
// variables (README, "Live tests against real stores"). Without them the
// test skips, naming exactly what to set.

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// LiveWriteVar turns on the one write the live contract makes: setting a
// listing's stock to the quantity it already has (a no-op on a store
// nobody is selling from at that moment).
const LiveWriteVar = "AUTOSYNC_LIVE_WRITE"

// LiveEnv reads the variables a cart's live test needs and skips the test,
// naming every missing one, when any is unset. optional variables are read
// when set and never cause a skip.
func LiveEnv(t *testing.T, cartName string, required []string, optional ...string) map[string]string {
	t.Helper()
	env := map[string]string{}
	var missing []string
	for _, k := range required {
		v := strings.TrimSpace(os.Getenv(k))
		if v == "" {
			missing = append(missing, k)
		}
		env[k] = v
	}
	for _, k := range optional {
		env[k] = strings.TrimSpace(os.Getenv(k))
	}
	if len(missing) > 0 {
		t.Skipf("live test against a real %s store: set %s (see README.md, \"Live tests against real stores\")",
			cartName, strings.Join(missing, " and "))
	}
	if testing.Short() {
		t.Skip("live test: not in -short mode")
	}
	return env
}

// liveWindow is how far back the live contract reads orders and listings.
const liveWindow = 30 * 24 * time.Hour

// liveMaxPages bounds the pages read from a large store.
const liveMaxPages = 20

// Live runs the read-only-safe contract against conn, a connector on a real
// store: whichever of cart.OrderSource, cart.OrderFetcher,
// cart.ListingSource, cart.ListingFetcher and cart.StockWriter it is.
//
//   - Orders of the last 30 days page to an end, each with an id, a known
//     filter, an update time inside the window, and no order twice.
//   - The window contract on the store's own orders: from inclusive, to
//     exclusive, an empty or reversed window empty.
//   - Order(id) reads a listed order back.
//   - Listings page to an end, each with a SKU (no SKU twice) and a product
//     link; ProductListings of one listing's product holds that SKU.
//   - With AUTOSYNC_LIVE_WRITE=1 only: one listing's stock is set to the
//     quantity it already has, confirmed, and read back unchanged.
func Live(t *testing.T, conn any) {
	now := time.Now().UTC()
	from := now.Add(-liveWindow)
	var orders []cart.Order
	if src, ok := conn.(cart.OrderSource); ok {
		t.Run("orders", func(t *testing.T) {
			orders = liveOrders(t, src, cart.OrderQuery{UpdatedFrom: from, UpdatedTo: now})
			seen := map[string]bool{}
			for _, o := range orders {
				if o.ExternalID == "" || seen[o.ExternalID] {
					t.Errorf("order %q: no id, or listed twice", o.ExternalID)
				}
				seen[o.ExternalID] = true
				if !cart.ValidFilter(o.Filter) {
					t.Errorf("order %s: filter %q", o.ExternalID, o.Filter)
				}
				if o.UpdatedAt.Before(from.Add(-time.Second)) || !o.UpdatedAt.Before(now.Add(time.Second)) {
					t.Errorf("order %s updated %v, outside [%v, %v)", o.ExternalID, o.UpdatedAt, from, now)
				}
				for _, l := range o.Lines {
					if l.Quantity < 0 {
						t.Errorf("order %s: line %+v", o.ExternalID, l)
					}
				}
			}
			t.Logf("%d orders updated in the last %v", len(orders), liveWindow)
		})
		t.Run("order window", func(t *testing.T) { liveOrderWindow(t, src, orders, now) })
	}
	if f, ok := conn.(cart.OrderFetcher); ok && len(orders) > 0 {
		t.Run("order by id", func(t *testing.T) {
			want := orders[0]
			got, err := f.Order(t.Context(), want.ExternalID)
			if err != nil {
				t.Fatalf("Order(%s): %v", want.ExternalID, err)
			}
			// It may have changed since it was listed, never gone back.
			if got.ExternalID != want.ExternalID || got.UpdatedAt.Before(want.UpdatedAt) {
				t.Errorf("Order(%s) = %+v; listed as %+v", want.ExternalID, got, want)
			}
		})
	}
	var listings []cart.Listing
	if src, ok := conn.(cart.ListingSource); ok {
		t.Run("listings", func(t *testing.T) {
			listings = liveListings(t, src)
			seen := map[string]bool{}
			for _, l := range listings {
				if strings.TrimSpace(l.SKU) == "" || seen[l.SKU] {
					t.Errorf("listing %+v: no SKU, or listed twice", l)
				}
				seen[l.SKU] = true
				if l.Link.ProductID == "" && l.Link.VariantID == "" && l.Link.InventoryItemID == "" {
					t.Errorf("listing %s: no link to the cart's product", l.SKU)
				}
				if l.Quantity != nil && *l.Quantity < 0 {
					t.Logf("listing %s: quantity %d (oversold)", l.SKU, *l.Quantity)
				}
			}
			t.Logf("%d listings", len(listings))
		})
	}
	if f, ok := conn.(cart.ListingFetcher); ok && len(listings) > 0 {
		t.Run("product listings", func(t *testing.T) {
			want := listings[0]
			got, err := f.ProductListings(t.Context(), want.Link.ProductID)
			if err != nil {
				t.Fatalf("ProductListings(%s): %v", want.Link.ProductID, err)
			}
			if !slices.ContainsFunc(got, func(l cart.Listing) bool { return l.SKU == want.SKU }) {
				t.Errorf("ProductListings(%s) = %+v; lacks %s", want.Link.ProductID, got, want.SKU)
			}
		})
	}
	if w, ok := conn.(cart.StockWriter); ok {
		t.Run("stock no-op write", func(t *testing.T) {
			if os.Getenv(LiveWriteVar) != "1" {
				t.Skipf("set %s=1 to write one listing's stock to the quantity it already has", LiveWriteVar)
			}
			i := slices.IndexFunc(listings, func(l cart.Listing) bool { return l.Quantity != nil && *l.Quantity >= 0 })
			if i < 0 {
				t.Skip("no listing with a tracked quantity to write")
			}
			l := listings[i]
			res, err := w.SetStock(t.Context(), []cart.StockUpdate{{SKU: l.SKU, Link: l.Link, Quantity: *l.Quantity}})
			if err != nil {
				t.Fatalf("SetStock(%s = %d): %v", l.SKU, *l.Quantity, err)
			}
			if len(res) != 1 || res[0].Err != nil {
				t.Fatalf("SetStock(%s = %d) = %+v", l.SKU, *l.Quantity, res)
			}
			if f, ok := conn.(cart.ListingFetcher); ok {
				got, err := f.ProductListings(t.Context(), l.Link.ProductID)
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range got {
					if g.SKU == l.SKU && (g.Quantity == nil || *g.Quantity != *l.Quantity) {
						t.Errorf("%s reads back %v after writing %d", l.SKU, g.Quantity, *l.Quantity)
					}
				}
			}
		})
	}
}

func liveOrders(t *testing.T, src cart.OrderSource, q cart.OrderQuery) []cart.Order {
	t.Helper()
	var out []cart.Order
	for range liveMaxPages {
		p, err := src.Orders(t.Context(), q)
		if err != nil {
			t.Fatalf("Orders(%v to %v): %v", q.UpdatedFrom, q.UpdatedTo, err)
		}
		out = append(out, p.Orders...)
		if p.Next == "" {
			return out
		}
		q.Cursor = p.Next
	}
	t.Logf("stopped after %d pages", liveMaxPages)
	return out
}

func liveListings(t *testing.T, src cart.ListingSource) []cart.Listing {
	t.Helper()
	var out []cart.Listing
	q := cart.ListingQuery{}
	for range liveMaxPages {
		p, err := src.Listings(t.Context(), q)
		if err != nil {
			t.Fatalf("Listings: %v", err)
		}
		out = append(out, p.Listings...)
		if p.Next == "" {
			return out
		}
		q.Cursor = p.Next
	}
	t.Logf("stopped after %d pages", liveMaxPages)
	return out
}

// liveOrderWindow is OrderWindow's contract on orders the store already
// has: a window from an order's update time holds it, a window ending
// there does not, and an empty or reversed window holds nothing.
func liveOrderWindow(t *testing.T, src cart.OrderSource, orders []cart.Order, now time.Time) {
	for _, w := range []struct {
		name     string
		from, to time.Time
	}{
		{"empty", now.Add(-time.Hour), now.Add(-time.Hour)},
		{"reversed", now.Add(-time.Hour), now.Add(-2 * time.Hour)},
	} {
		if got := liveOrders(t, src, cart.OrderQuery{UpdatedFrom: w.from, UpdatedTo: w.to}); len(got) != 0 {
			t.Errorf("%s window returned %d orders", w.name, len(got))
		}
	}
	// The oldest order whose update second no other listed order shares.
	var pick *cart.Order
	for i := range orders {
		o := &orders[i]
		shared := slices.ContainsFunc(orders, func(x cart.Order) bool {
			return x.ExternalID != o.ExternalID && x.UpdatedAt.Truncate(time.Second).Equal(o.UpdatedAt.Truncate(time.Second))
		})
		if !shared && (pick == nil || o.UpdatedAt.Before(pick.UpdatedAt)) {
			pick = o
		}
	}
	if pick == nil {
		t.Skip("no order in the last 30 days to check the window with")
	}
	at := pick.UpdatedAt.Truncate(time.Second)
	ids := func(q cart.OrderQuery) []string { return IDs(liveOrders(t, src, q)) }
	if got := ids(cart.OrderQuery{UpdatedFrom: at, UpdatedTo: at.Add(time.Second)}); !slices.Contains(got, pick.ExternalID) {
		t.Errorf("[%v, +1s) = %v; lacks order %s updated %v", at, got, pick.ExternalID, pick.UpdatedAt)
	}
	if got := ids(cart.OrderQuery{UpdatedFrom: at.Add(-time.Hour), UpdatedTo: at}); slices.Contains(got, pick.ExternalID) {
		t.Errorf("[%v, %v) holds order %s updated %v: the end is not exclusive", at.Add(-time.Hour), at, pick.ExternalID, pick.UpdatedAt)
	}
}
