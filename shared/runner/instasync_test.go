package runner

import (
	"context"
	"fmt"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runs"
)

func (f *fakeCart) Order(_ context.Context, id string) (cart.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// The latest report of the order wins, as the cart's API would answer.
	for i := len(f.orders) - 1; i >= 0; i-- {
		if f.orders[i].ExternalID == id {
			return f.orders[i], nil
		}
	}
	return cart.Order{}, cart.ErrNotFound
}

func (s *fakeShelf) ProductListings(_ context.Context, productID string) ([]cart.Listing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []cart.Listing
	for _, l := range s.listings {
		if l.Link.ProductID == productID {
			out = append(out, l)
		}
	}
	if out == nil {
		return nil, cart.ErrNotFound
	}
	return out, nil
}

func TestInstasync(t *testing.T) {
	f := newFixture(t, 3)
	f.r.Implemented = map[catalog.Cart]map[catalog.Task]bool{catalog.Shopify: {
		catalog.ImportOrders: true, catalog.InstasyncOrders: true, catalog.InstasyncProducts: true}}
	ctx := context.Background()
	hook := func(task catalog.Task, id string) runs.Run {
		t.Helper()
		run, err := f.r.Handle(ctx, runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: task, Trigger: runs.Webhook, ResourceID: id})
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	// Five deliveries of one order (retries, duplicates) make one order.
	for i := 0; i < 5; i++ {
		if run := hook(catalog.InstasyncOrders, "1001"); run.Status != runs.Succeeded {
			t.Fatalf("webhook import %+v", run)
		}
	}
	if n := f.countOrders(t); n != 1 {
		t.Fatalf("%d orders after 5 deliveries", n)
	}
	// The scheduled import converges on the same order: no duplicate.
	if _, err := f.r.Handle(ctx, f.input(runs.Schedule)); err != nil {
		t.Fatal(err)
	}
	if n := f.countOrders(t); n != 3 {
		t.Fatalf("%d orders after the scheduled backstop, want 3", n)
	}
	// A webhook for an order deleted since imports nothing and is no failure.
	if run := hook(catalog.InstasyncOrders, "999999"); run.Status != runs.Succeeded {
		t.Fatalf("missing order: %+v", run)
	}
	// Webhook runs do not take the lease: they run beside a scheduled run.
	l, err := f.r.Runs.Acquire(ctx, "acct", f.ch.ID, catalog.InstasyncOrders, "run_other", 60e9)
	if err != nil {
		t.Fatal(err)
	}
	defer f.r.Runs.Release(ctx, l)
	if run := hook(catalog.InstasyncOrders, "1002"); run.Status != runs.Succeeded {
		t.Fatalf("webhook beside a held lease: %+v", run)
	}
	f.shelf.add("NEWSKU", 4)
	if run := hook(catalog.InstasyncProducts, "pNEWSKU"); run.Status != runs.Succeeded || run.Counts.Created != 1 {
		t.Fatalf("product webhook %+v", run)
	}
	// A record the store refuses is the run's partial failure, said in
	// its detail as the scheduled import says it: not a success.
	f.shelf.add(" A", 1) // no usable SKU
	if run := hook(catalog.InstasyncProducts, "p A"); run.Status != runs.Partial || run.Counts.Failed != 1 || len(run.Detail) != 1 {
		t.Fatalf("product webhook for an unusable SKU: %s %+v %q", run.Status, run.Counts, run.Detail)
	}
	huge := order(50, f.clk.Now(), cart.AwaitingFulfillment)
	huge.Lines = make([]cart.Line, orders.MaxLines+1)
	for i := range huge.Lines {
		huge.Lines[i] = cart.Line{SKU: fmt.Sprint("H-", i), Quantity: 1}
	}
	f.cart.add(huge)
	if run := hook(catalog.InstasyncOrders, huge.ExternalID); run.Status != runs.Partial || run.Counts.Failed != 1 || len(run.Detail) != 1 {
		t.Fatalf("order webhook for an oversized order: %s %+v %q", run.Status, run.Counts, run.Detail)
	}
}
