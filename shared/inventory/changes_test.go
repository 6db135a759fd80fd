package inventory

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/clock"
	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/store/boltstore"
)

func changesRepo(t *testing.T) (*Repo, *clock.Fake) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := clock.NewFake(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC))
	return &Repo{Store: st, Now: clk.Now}, clk
}

// Every write that can change what a channel should show is logged with
// the write; the others are not.
func TestChangeLogRecordsSyncRelevantWrites(t *testing.T) {
	ctx := context.Background()
	r, clk := changesRepo(t)
	if _, err := r.ImportListing(ctx, "a", "ch", cart.Listing{SKU: "A", Quantity: intp(3), Link: cart.Link{VariantID: "1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ImportListing(ctx, "a", "ch", cart.Listing{SKU: "B", Quantity: intp(3), Link: cart.Link{VariantID: "2"}}); err != nil {
		t.Fatal(err)
	}
	commit := func(sku string) error {
		ops, err := r.CommitOps(ctx, "a", DefaultWarehouse, nil, []cart.Line{{SKU: sku, Quantity: 1}})
		if err != nil {
			return err
		}
		return r.Store.Transact(ctx, ops)
	}
	for _, tc := range []struct {
		name   string
		write  func() error
		logged []string
	}{
		{"an order commits stock", func() error { return commit("A") }, []string{"A"}},
		{"an order commits a SKU never seen", func() error { return commit("NEW") }, []string{"NEW"}},
		{"on hand set", func() error { _, err := r.SetOnHand(ctx, "a", "B", DefaultWarehouse, 7); return err }, []string{"B"}},
		{"a second channel links", func() error {
			_, err := r.ImportListing(ctx, "a", "ch2", cart.Listing{SKU: "A", Quantity: intp(1)})
			return err
		}, []string{"A"}},
		{"a listing imported again unchanged", func() error {
			_, err := r.ImportListing(ctx, "a", "ch2", cart.Listing{SKU: "A", Quantity: intp(1)})
			return err
		}, nil},
		{"a failed push", func() error { _, err := r.RecordFailure(ctx, "a", "ch", "B", 7, "no"); return err }, []string{"B"}},
		{"a confirmed push", func() error { return r.ConfirmPush(ctx, "a", "ch", "B", 7) }, nil},
		{"images", func() error { _, err := r.SetImages(ctx, "a", "ch", "A", []string{"https://img/1"}); return err }, nil},
		{"FBA stock", func() error {
			_, err := r.UpdateQuiet(ctx, "a", "A", false, func(p *Product) error { p.Stock["fba_x"] = Stock{OnHand: 4}; return nil })
			return err
		}, nil},
		{"a refused update", func() error {
			_, err := r.Update(ctx, "a", "A", false, func(p *Product) error { return ErrUnchanged })
			if errors.Is(err, ErrUnchanged) {
				return nil
			}
			return err
		}, nil},
	} {
		clk.Add(time.Minute)
		since := clk.Now()
		if err := tc.write(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := r.ChangedSince(ctx, "a", since)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.logged) {
			t.Errorf("%s: logged %v, want %v", tc.name, got, tc.logged)
		}
	}
}

func TestChangedSinceBoundsAndOrder(t *testing.T) {
	ctx := context.Background()
	r, clk := changesRepo(t)
	t0 := clk.Now()
	for _, sku := range []string{"C", "A", "B", "A"} {
		if _, err := r.Update(ctx, "a", sku, true, func(p *Product) error { return nil }); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Second)
	}
	for _, tc := range []struct {
		since time.Time
		want  string
	}{
		{t0.Add(-time.Hour), "[A B C]"},
		{t0, "[A B C]"}, // a change stamped exactly at since is in
		{t0.Add(time.Nanosecond), "[A B]"},
		{t0.Add(2 * time.Second), "[A B]"},
		{t0.Add(3 * time.Second), "[A]"},
		{t0.Add(4 * time.Second), "[]"},
	} {
		got, err := r.ChangedSince(ctx, "a", tc.since)
		if err != nil || fmt.Sprint(got) != tc.want {
			t.Errorf("since %v: %v %v, want %s", tc.since.Sub(t0), got, err, tc.want)
		}
	}
	// Another account's changes are its own.
	if got, _ := r.ChangedSince(ctx, "b", t0); len(got) != 0 {
		t.Fatalf("account b sees %v", got)
	}
	// Change items expire ChangeLogTTL after their write (the adapters
	// hide expired items by the real clock, so the expiry is checked).
	p, err := r.Store.Query(ctx, store.Query{PK: store.AccountPK("a"), Prefix: changePrefix})
	if err != nil || len(p.Items) != 4 {
		t.Fatalf("%d change items, %v", len(p.Items), err)
	}
	for i, it := range p.Items {
		if want := t0.Add(time.Duration(i)*time.Second + ChangeLogTTL); !it.ExpiresAt.Equal(want) {
			t.Errorf("item %d expires %v, want %v", i, it.ExpiresAt, want)
		}
	}
	if ChangesKept(t0, t0.Add(ChangeLogTTL-ChangeMargin)) || !ChangesKept(t0, t0.Add(ChangeLogTTL/2)) || ChangesKept(time.Time{}, t0) {
		t.Fatal("ChangesKept")
	}
}

// An order's change item shares its transaction, so an order may carry
// two SKUs fewer than a transaction's operations.
func TestCommitOpsLimit(t *testing.T) {
	ctx := context.Background()
	r, _ := changesRepo(t)
	lines := func(n int) []cart.Line {
		var out []cart.Line
		for i := range n {
			out = append(out, cart.Line{SKU: fmt.Sprintf("S%03d", i), Quantity: 1})
		}
		return out
	}
	ops, err := r.CommitOps(ctx, "a", DefaultWarehouse, nil, lines(store.MaxTransactItems-2))
	if err != nil || len(ops) != store.MaxTransactItems-1 {
		t.Fatalf("%d ops, %v", len(ops), err)
	}
	if _, err := r.CommitOps(ctx, "a", DefaultWarehouse, nil, lines(store.MaxTransactItems-1)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an order of %d SKUs: %v", store.MaxTransactItems-1, err)
	}
}
