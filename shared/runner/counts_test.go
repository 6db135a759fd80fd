package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runs"
)

// Finding 5: every record a run fetched lands in exactly one bucket
// (created, updated, unchanged, skipped, failed), for every task, against
// carts holding a mix of records.
func TestCountsAddUp(t *testing.T) {
	check := func(t *testing.T, what string, run runs.Run, wantFetched int) {
		t.Helper()
		c := run.Counts
		if c.Fetched != wantFetched || !c.Accounted() {
			t.Fatalf("%s: fetched %d (want %d) but created %d + updated %d + unchanged %d + skipped %d + failed %d = %d",
				what, c.Fetched, wantFetched, c.Created, c.Updated, c.Unchanged, c.Skipped, c.Failed,
				c.Created+c.Updated+c.Unchanged+c.Skipped+c.Failed)
		}
	}
	t.Run("import_orders", func(t *testing.T) {
		f := newFixture(t, 6)
		now := f.clk.Now()
		// Cancels of orders never imported, and one of an order we hold.
		for i := 0; i < 4; i++ {
			f.cart.add(order(100+i, now.Add(-time.Duration(i+1)*time.Minute), cart.Cancelled))
		}
		f.cart.add(order(200, now.Add(-time.Minute), cart.Cancelled)) // never imported
		run := f.runTask(t, catalog.ImportOrders)
		check(t, "first import", run, 11)
		if run.Counts.Created != 6 || run.Counts.Skipped != 5 {
			t.Fatalf("first import %+v", run.Counts)
		}
		// Second pass: edits, one cancel of a held order, the rest unchanged.
		f.clk.Add(time.Minute)
		f.cart.add(order(0, f.clk.Now().Add(-10*time.Second), cart.Cancelled))
		f.cart.add(order(1, f.clk.Now().Add(-10*time.Second), cart.Shipped))
		f.clk.Add(time.Minute)
		run = f.runTask(t, catalog.ImportOrders)
		check(t, "second import", run, run.Counts.Fetched)
		if run.Counts.Updated != 2 {
			t.Fatalf("second import %+v", run.Counts)
		}
		// A record the store refuses is that record's failure, named in
		// the detail; it still counts.
		f.clk.Add(time.Minute)
		huge := order(400, f.clk.Now().Add(-10*time.Second), cart.AwaitingFulfillment)
		huge.Lines = make([]cart.Line, orders.MaxLines+1)
		for i := range huge.Lines {
			huge.Lines[i] = cart.Line{SKU: fmt.Sprint("SKU-", i), Quantity: 1}
		}
		f.cart.add(huge)
		f.clk.Add(time.Minute)
		run = f.runTask(t, catalog.ImportOrders)
		check(t, "failed import", run, run.Counts.Fetched)
		if run.Status != runs.Partial || run.Counts.Failed != 1 || len(run.Detail) != 1 || !strings.Contains(run.Detail[0], "400") {
			t.Fatalf("failed import %s %+v %q", run.Status, run.Counts, run.Detail)
		}
	})
	t.Run("import_products", func(t *testing.T) {
		f := newFixture(t, 0)
		f.shelf.add("A", 1)
		f.shelf.add("B", 2)
		f.shelf.add("", 3)    // no SKU: failed
		f.shelf.add("A b", 4) // unusable SKU: failed
		check(t, "first", f.runTask(t, catalog.ImportProducts), 4)
		f.shelf.add("C", 5)
		check(t, "second", f.runTask(t, catalog.ImportProducts), 5)
	})
	t.Run("import_product_images", func(t *testing.T) {
		f := newFixture(t, 0)
		f.shelf.add("A", 1, "https://img/a.png")
		f.shelf.add("B", 2)
		f.runTask(t, catalog.ImportProducts)
		f.shelf.add("UNLINKED", 3, "https://img/u.png")
		check(t, "images", f.runTask(t, catalog.ImportProductImages), 3)
	})
	amazon := func(t *testing.T) *fixture {
		f := newFixture(t, 0)
		f.useAmazon(t, catalog.ImportProducts, catalog.ImportFBAInventory, catalog.ImportFBAOrders)
		return f
	}
	t.Run("import_fba_inventory", func(t *testing.T) {
		f := amazon(t)
		f.shelf.add("A", 5)
		f.runTask(t, catalog.ImportProducts)
		check(t, "fba inventory", f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule), 3)
		f.clk.Add(time.Hour)
		f.shelf.setFBA("B", 4, f.clk.Now())
		check(t, "fba inventory changes", f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule), 1)
		f.clk.Add(fbaFullEvery)
		check(t, "fba inventory again, all of it", f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule), 3)
	})
	t.Run("import_fba_orders", func(t *testing.T) {
		f := amazon(t)
		check(t, "fba orders", f.runTask(t, catalog.ImportFBAOrders), 1)
		f.clk.Add(time.Hour)
		check(t, "fba orders again", f.runTask(t, catalog.ImportFBAOrders), 1)
	})
	t.Run("instasync", func(t *testing.T) {
		f := newFixture(t, 2)
		f.cart.add(order(300, f.clk.Now().Add(-time.Minute), cart.Cancelled)) // not ours
		f.r.Implemented = map[catalog.Cart]map[catalog.Task]bool{catalog.Shopify: {catalog.InstasyncOrders: true, catalog.InstasyncProducts: true}}
		for _, id := range []string{"1000", "1000", "1300"} {
			run, err := f.r.Handle(context.Background(), runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: catalog.InstasyncOrders, Trigger: runs.Webhook, ResourceID: id})
			if err != nil {
				t.Fatal(err)
			}
			check(t, "instasync order "+id, run, 1)
		}
		f.shelf.add("P", 1)
		run, err := f.r.Handle(context.Background(), runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: catalog.InstasyncProducts, Trigger: runs.Webhook, ResourceID: "pP"})
		if err != nil {
			t.Fatal(err)
		}
		check(t, "instasync product", run, 1)
	})
}
