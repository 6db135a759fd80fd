package orders

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/store/boltstore"
)

// failingStore fails Transact call number failAt, as a crash between two
// of an order's writes would leave it.
type failingStore struct {
	store.Store
	calls, failAt int
}

var errCrash = errors.New("crash")

func (s *failingStore) Transact(ctx context.Context, ops []store.Op) error {
	s.calls++
	if s.calls == s.failAt {
		return errCrash
	}
	return s.Store.Transact(ctx, ops)
}

func stockFixture(t *testing.T) (*Repo, *inventory.Repo, *failingStore) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fs := &failingStore{Store: st}
	inv := &inventory.Repo{Store: st, Now: time.Now}
	return &Repo{Store: fs, Now: time.Now, Stock: inv}, inv, fs
}

func bigOrder(skus, qty int, f cart.Filter, at time.Time) cart.Order {
	o := cart.Order{ExternalID: "big", Number: "#1", Filter: f, CartStatus: string(f), UpdatedAt: at}
	for i := range skus {
		o.Lines = append(o.Lines, cart.Line{SKU: fmt.Sprintf("S-%03d", i), Quantity: qty})
	}
	return o
}

// committedIn sums a warehouse's committed stock over the order's SKUs
// and says how many of them hold exactly want.
func committedIn(t *testing.T, inv *inventory.Repo, wh string, o cart.Order, want int) (total, exact int) {
	t.Helper()
	for _, l := range o.Lines {
		p, _, err := inv.Get(context.Background(), "acct", l.SKU)
		if err != nil && !errors.Is(err, inventory.ErrNotFound) {
			t.Fatal(err)
		}
		c := p.Stock[wh].Committed
		total += c
		if c == want {
			exact++
		}
	}
	return total, exact
}

// An order with more distinct SKUs than one transaction holds is stored,
// and every SKU committed, then released when it ships. Such an order was
// refused, and the refusal stopped every later order of the channel.
func TestOrderWithManySKUsCommitsAndReleasesEvery(t *testing.T) {
	r, inv, _ := stockFixture(t)
	ctx := context.Background()
	t0 := time.Now().UTC()
	o := bigOrder(250, 2, cart.AwaitingFulfillment, t0)
	ch, err := r.Upsert(ctx, "acct", "ch", o)
	if err != nil || ch.Outcome != Created {
		t.Fatalf("upsert: %v %v", ch.Outcome, err)
	}
	if total, exact := committedIn(t, inv, inventory.DefaultWarehouse, o, 2); exact != 250 {
		t.Fatalf("%d of 250 SKUs hold 2 committed (%d in all)", exact, total)
	}
	shipped := bigOrder(250, 2, cart.Shipped, t0.Add(time.Minute))
	if ch, err := r.Upsert(ctx, "acct", "ch", shipped); err != nil || ch.Outcome != Updated {
		t.Fatalf("ship: %v %v", ch.Outcome, err)
	}
	if total, _ := committedIn(t, inv, inventory.DefaultWarehouse, o, 0); total != 0 {
		t.Fatalf("%d still committed after shipping", total)
	}
}

// A write that fails between an order's stock moves leaves the order
// saying how far they got: the next upsert of it finishes them, moving
// none twice.
func TestOrderStockMovesResumeAfterAFailedWrite(t *testing.T) {
	r, inv, fs := stockFixture(t)
	ctx := context.Background()
	o := bigOrder(250, 3, cart.AwaitingFulfillment, time.Now().UTC())
	fs.failAt = 2
	if _, err := r.Upsert(ctx, "acct", "ch", o); !errors.Is(err, errCrash) {
		t.Fatalf("upsert: %v, want the crash", err)
	}
	if _, exact := committedIn(t, inv, inventory.DefaultWarehouse, o, 3); exact != maxMoves {
		t.Fatalf("%d SKUs committed before the crash, want %d", exact, maxMoves)
	}
	if ch, err := r.Upsert(ctx, "acct", "ch", o); err != nil || ch.Outcome != Unchanged {
		t.Fatalf("again: %v %v", ch.Outcome, err)
	}
	if total, exact := committedIn(t, inv, inventory.DefaultWarehouse, o, 3); exact != 250 {
		t.Fatalf("%d of 250 SKUs hold 3 committed (%d in all)", exact, total)
	}
	// Nothing is left to move: a third upsert writes nothing.
	calls := fs.calls
	if _, err := r.Upsert(ctx, "acct", "ch", o); err != nil || fs.calls != calls {
		t.Fatalf("a finished order was written again (%d writes) %v", fs.calls-calls, err)
	}
}

// Stock is released from the warehouse the order committed it in, even
// after the channel's policy puts another warehouse first; releasing from
// the new one made it show more available than it has.
func TestOrderReleasesWhereItCommitted(t *testing.T) {
	r, inv, _ := stockFixture(t)
	ctx := context.Background()
	if err := inv.EnsureWarehouse(ctx, "acct", inventory.Warehouse{ID: "wh2", Name: "Second"}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC()
	line := func(q int) []cart.Line { return []cart.Line{{SKU: "A", Quantity: q}} }
	x := cart.Order{ExternalID: "x", Filter: cart.AwaitingFulfillment, Lines: line(2), UpdatedAt: t0}
	if _, err := r.Upsert(ctx, "acct", "ch", x); err != nil {
		t.Fatal(err)
	}
	if err := inv.SetPolicy(ctx, "acct", "ch", inventory.Policy{Warehouses: []string{"wh2", inventory.DefaultWarehouse}}); err != nil {
		t.Fatal(err)
	}
	y := cart.Order{ExternalID: "y", Filter: cart.AwaitingFulfillment, Lines: line(5), UpdatedAt: t0}
	if _, err := r.Upsert(ctx, "acct", "ch", y); err != nil {
		t.Fatal(err)
	}
	// x is edited while it awaits fulfillment, then ships.
	x.Lines, x.UpdatedAt = line(3), t0.Add(time.Minute)
	if _, err := r.Upsert(ctx, "acct", "ch", x); err != nil {
		t.Fatal(err)
	}
	p, _, _ := inv.Get(ctx, "acct", "A")
	if def, wh2 := p.Stock[inventory.DefaultWarehouse].Committed, p.Stock["wh2"].Committed; def != 3 || wh2 != 5 {
		t.Fatalf("after the edit: default %d committed (want 3), wh2 %d (want 5)", def, wh2)
	}
	x.Filter, x.UpdatedAt = cart.Shipped, t0.Add(2*time.Minute)
	if _, err := r.Upsert(ctx, "acct", "ch", x); err != nil {
		t.Fatal(err)
	}
	p, _, _ = inv.Get(ctx, "acct", "A")
	if def, wh2 := p.Stock[inventory.DefaultWarehouse].Committed, p.Stock["wh2"].Committed; def != 0 || wh2 != 5 {
		t.Fatalf("after x shipped: default %d committed (want 0), wh2 %d (want y's 5)", def, wh2)
	}
}

// An order stored before holdings were kept is released as it was
// committed: its lines, from the channel's commit warehouse.
func TestOrderStoredWithoutHoldingReleases(t *testing.T) {
	r, inv, _ := stockFixture(t)
	ctx := context.Background()
	t0 := time.Now().UTC()
	old := Order{ID: "ord_1", ChannelID: "ch", ExternalID: "x", Filter: cart.AwaitingFulfillment, Tags: []string{},
		Lines: []cart.Line{{SKU: "A", Quantity: 4}}, CartUpdatedAt: t0}
	// As the code before holdings wrote it: the order, and its commitment.
	if _, err := store.PutDoc(ctx, r.Store, store.AccountPK("acct"), sk("ch", "x"), old, store.MustBeNew); err != nil {
		t.Fatal(err)
	}
	ops, err := inv.CommitOps(ctx, "acct", inventory.DefaultWarehouse, nil, old.Lines)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Store.Transact(ctx, ops); err != nil {
		t.Fatal(err)
	}
	in := cart.Order{ExternalID: "x", Filter: cart.Shipped, Lines: old.Lines, UpdatedAt: t0.Add(time.Minute)}
	if _, err := r.Upsert(ctx, "acct", "ch", in); err != nil {
		t.Fatal(err)
	}
	p, _, _ := inv.Get(ctx, "acct", "A")
	if c := p.Stock[inventory.DefaultWarehouse].Committed; c != 0 {
		t.Fatalf("%d still committed after shipping", c)
	}
	// Its Unchanged re-read writes the holding it lacked, once.
	if _, err := r.Upsert(ctx, "acct", "ch", in); err != nil {
		t.Fatal(err)
	}
}

// An order the store cannot hold is refused as such, and nothing is stored.
func TestOversizedOrderRefused(t *testing.T) {
	r, _, fs := stockFixture(t)
	o := bigOrder(MaxLines+1, 1, cart.AwaitingFulfillment, time.Now())
	if _, err := r.Upsert(context.Background(), "acct", "ch", o); !errors.Is(err, ErrInvalid) {
		t.Fatalf("err %v, want ErrInvalid", err)
	}
	if _, err := r.Upsert(context.Background(), "acct", "ch", cart.Order{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no id: err %v, want ErrInvalid", err)
	}
	if fs.calls != 0 {
		t.Fatalf("%d writes for refused orders", fs.calls)
	}
}
