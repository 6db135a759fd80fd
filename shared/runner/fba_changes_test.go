package runner

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
)

// fbaFixture is an Amazon channel importing FBA inventory, with product
// reads and writes and checkpoint writes counted.
func fbaFixture(t *testing.T) (f *fixture, inv, rs *countingStore) {
	t.Helper()
	f = newFixture(t, 0)
	inv = &countingStore{Store: f.inv.Store}
	f.inv.Store = inv
	rs = &countingStore{Store: f.r.Runs.Store}
	f.r.Runs.Store = rs
	f.useAmazon(t, catalog.ImportFBAInventory)
	return f, inv, rs
}

func (f *fixture) fbaCheckpoint(t *testing.T) runs.Checkpoint {
	t.Helper()
	cp, err := f.r.Runs.Checkpoint(context.Background(), "acct", f.ch.ID, catalog.ImportFBAInventory)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// alterFBAOnHand sets sku's FBA stock here, behind Amazon's back.
func (f *fixture) alterFBAOnHand(t *testing.T, sku string, q int) {
	t.Helper()
	wh := FBAWarehouse(f.ch.ID)
	if _, err := f.inv.UpdateQuiet(context.Background(), "acct", sku, false, func(p *inventory.Product) error {
		s := p.Stock[wh]
		s.OnHand = q
		p.Stock[wh] = s
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) fbaOnHand(t *testing.T, sku string) int {
	t.Helper()
	p, _, err := f.inv.Get(context.Background(), "acct", sku)
	if err != nil {
		t.Fatal(err)
	}
	return p.Stock[FBAWarehouse(f.ch.ID)].OnHand
}

// The first run goes over everything; the next asks Amazon only for what
// changed since its window's start (the last run's start less the
// overlap): when nothing did, that is one request, no catalog read and no
// write, not even of the checkpoint. A quantity Amazon then reports
// changed is imported by the next run, read and written alone.
func TestFBAImportsChangesSinceItsWindow(t *testing.T) {
	f, inv, rs := fbaFixture(t)
	run := f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule)
	if run.Status != runs.Succeeded || run.Counts.Created != 3 {
		t.Fatalf("first run %+v", run)
	}
	if asked := f.shelf.fbaAsked(); len(asked) != 2 || !asked[0].IsZero() || !asked[1].IsZero() {
		t.Fatalf("the first run asked for changes since %v, want everything (2 pages)", asked)
	}
	cp := f.fbaCheckpoint(t)
	if cp.Watermark.IsZero() || !cp.FullAt.Equal(cp.Watermark) {
		t.Fatalf("after the first run: checkpoint %+v, want the pass over everything recorded", cp)
	}
	inv.reset()
	rs.reset()

	f.clk.Add(time.Hour)
	run = f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule)
	want := cp.Watermark.Add(-DefaultOverlap)
	if asked := f.shelf.fbaAsked(); len(asked) != 1 || !asked[0].Equal(want) {
		t.Fatalf("the second run asked for changes since %v, want one request since %v", asked, want)
	}
	if w, r := inv.reset(); run.Status != runs.Succeeded || run.Counts.Fetched != 0 || w != 0 || r != 0 {
		t.Fatalf("idle run %+v: %d product writes, %d product reads; want none", run.Counts, w, r)
	}
	if n := rs.kind("CP"); n != 0 {
		t.Fatalf("the idle run wrote its checkpoint %d times", n)
	}

	f.clk.Add(time.Hour)
	f.shelf.setFBA("A", 12, f.clk.Now())
	f.clk.Add(time.Hour)
	run = f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule)
	if asked := f.shelf.fbaAsked(); len(asked) != 1 || !asked[0].Equal(want) {
		t.Fatalf("the third run asked for changes since %v, want since %v (the idle run kept the watermark)", asked, want)
	}
	if w, r := inv.reset(); run.Counts.Fetched != 1 || run.Counts.Updated != 1 || w != 1 || r != 1 {
		t.Fatalf("run after a change %+v: %d product writes, %d product reads; want A alone", run.Counts, w, r)
	}
	if q := f.fbaOnHand(t, "A"); q != 12 {
		t.Fatalf("A's FBA stock %d, want 12", q)
	}
	if got := f.fbaCheckpoint(t); !got.FullAt.Equal(cp.FullAt) || !got.Watermark.After(cp.Watermark) {
		t.Fatalf("checkpoint %+v after a pass over changes, was %+v", got, cp)
	}
}

// Once the last pass over everything began 24 hours ago, the next run goes
// over everything again: it sets a quantity altered here, which Amazon
// reports as no change, back to Amazon's. Before then runs ask for changes.
func TestFBAFullPassDaily(t *testing.T) {
	f, _, _ := fbaFixture(t)
	f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule)
	first := f.fbaCheckpoint(t).FullAt
	f.shelf.fbaAsked()
	f.alterFBAOnHand(t, "A", 99)
	for _, at := range []time.Duration{time.Hour, fbaFullEvery - time.Second} {
		f.clk.Add(first.Add(at - time.Second).Sub(f.clk.Now())) // runTask adds the second
		run := f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule)
		if asked := f.shelf.fbaAsked(); run.Status != runs.Succeeded || len(asked) != 1 || asked[0].IsZero() {
			t.Fatalf("run %v after the pass over everything asked for changes since %v, want changes only", at, asked)
		}
		if q := f.fbaOnHand(t, "A"); q != 99 {
			t.Fatalf("A's FBA stock %d after a run over changes; the test needs it left alone", q)
		}
	}
	f.clk.Add(first.Add(fbaFullEvery - time.Second).Sub(f.clk.Now()))
	run := f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule)
	if asked := f.shelf.fbaAsked(); len(asked) != 2 || !asked[0].IsZero() || !asked[1].IsZero() {
		t.Fatalf("the run 24 h after the pass over everything asked for changes since %v, want everything", asked)
	}
	if q := f.fbaOnHand(t, "A"); run.Status != runs.Succeeded || run.Counts.Updated != 1 || run.Counts.Unchanged != 2 || q != 40 {
		t.Fatalf("daily pass %+v: A at %d, want A set back to Amazon's 40", run.Counts, q)
	}
	if got := f.fbaCheckpoint(t).FullAt; !got.Equal(first.Add(fbaFullEvery)) {
		t.Fatalf("last pass over everything recorded at %v, want %v", got, first.Add(fbaFullEvery))
	}
}

// A pass over everything that runs out of time continues as one in the
// next invocation (its window keeps its start), however long that takes
// to come: it reads the catalog again and sets B, on the page it had not
// reached, back to Amazon's quantity.
func TestFBAFullPassContinues(t *testing.T) {
	f, _, _ := fbaFixture(t)
	ctx := context.Background()
	f.r.Reserve = time.Millisecond
	f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule)
	wh := FBAWarehouse(f.ch.ID)
	for _, sku := range []string{"A", "B"} {
		if _, err := f.inv.UpdateQuiet(ctx, "acct", sku, false, func(p *inventory.Product) error {
			s := p.Stock[wh]
			s.OnHand = 50
			p.Stock[wh] = s
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	f.clk.Add(fbaFullEvery)
	f.shelf.fbaAsked()
	calls := f.shelf.fbaCalls
	f.shelf.fbaHook = func(ctx context.Context, call int) error {
		if call == calls+2 { // the second page outlasts the invocation
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	in := runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: catalog.ImportFBAInventory, Trigger: runs.Schedule}
	run, err := f.r.Handle(dctx, in)
	if err != nil || run.Status != runs.Running || len(f.disp.ins) != 1 {
		t.Fatalf("first invocation %+v %v, dispatched %+v", run, err, f.disp.ins)
	}
	cp := f.fbaCheckpoint(t)
	if cp.Window == nil || !cp.Window.From.IsZero() || cp.Window.Cursor == "" {
		t.Fatalf("checkpoint %+v, want the pass over everything at its second page", cp.Window)
	}
	if q := f.fbaOnHand(t, "A"); q != 40 {
		t.Fatalf("A's FBA stock %d after the first page, want 40", q)
	}
	f.shelf.fbaHook = nil
	f.clk.Add(2 * time.Hour)
	f.shelf.fbaAsked()
	final, err := f.r.Handle(ctx, f.disp.ins[0])
	if err != nil || final.Status != runs.Succeeded || final.Invocations != 2 {
		t.Fatalf("continued run %+v %v", final, err)
	}
	if asked := f.shelf.fbaAsked(); !slices.Equal(asked, []time.Time{{}}) {
		t.Fatalf("the continuation asked for changes since %v, want the rest of everything", asked)
	}
	if q := f.fbaOnHand(t, "B"); q != 0 {
		t.Fatalf("B's FBA stock %d after the continued pass over everything, want Amazon's 0", q)
	}
	if got := f.fbaCheckpoint(t); got.Window != nil || !got.FullAt.Equal(cp.Window.To) {
		t.Fatalf("checkpoint %+v, want the pass over everything recorded as begun at %v", got, cp.Window.To)
	}
}

// A pass over everything that finds nothing (the seller's FBA stock is
// gone) is still recorded, so the runs after it ask for changes instead
// of going over everything every hour.
func TestFBAEmptyFullPassRecorded(t *testing.T) {
	f, _, _ := fbaFixture(t)
	f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule)
	first := f.fbaCheckpoint(t).FullAt
	f.clk.Add(12 * time.Hour)
	f.shelf.setFBA("A", 1, f.clk.Now())
	f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule) // moves the watermark on
	f.shelf.fbaEmpty = true
	f.clk.Add(first.Add(fbaFullEvery - time.Second).Sub(f.clk.Now()))
	f.shelf.fbaAsked()
	if run := f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule); run.Status != runs.Succeeded || run.Counts.Fetched != 0 {
		t.Fatalf("empty pass over everything %+v", run)
	}
	if got := f.fbaCheckpoint(t).FullAt; !got.Equal(first.Add(fbaFullEvery)) {
		t.Fatalf("last pass over everything recorded at %v, want %v", got, first.Add(fbaFullEvery))
	}
	f.clk.Add(time.Hour)
	f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule)
	if asked := f.shelf.fbaAsked(); len(asked) != 2 || !asked[0].IsZero() || asked[1].IsZero() {
		t.Fatalf("asked for changes since %v, want everything, then changes", asked)
	}
}

// A merchant's Sync once goes over everything, whenever the last pass over
// everything was: afterwards the warehouse matches Amazon.
func TestFBAManualRunGoesOverEverything(t *testing.T) {
	f, _, _ := fbaFixture(t)
	f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule)
	f.shelf.fbaAsked()
	f.alterFBAOnHand(t, "A", 99)
	f.clk.Add(time.Minute)
	run := f.runTaskAs(t, catalog.ImportFBAInventory, runs.Manual)
	if asked := f.shelf.fbaAsked(); run.Status != runs.Succeeded || len(asked) == 0 || !asked[0].IsZero() {
		t.Fatalf("Sync once asked for changes since %v (run %s), want everything", asked, run.Status)
	}
	if q := f.fbaOnHand(t, "A"); q != 40 {
		t.Fatalf("A's FBA stock %d after Sync once, want Amazon's 40", q)
	}
}

// A pass over everything sets to 0 the SKUs Amazon no longer lists (the
// seller removed them from FBA): the warehouse showed their last quantity
// for good. A pass continued from another invocation, which cannot know
// what the first one saw, leaves them to the next day's pass.
func TestFBAFullPassClearsSKUsAmazonNoLongerLists(t *testing.T) {
	for _, tc := range []struct {
		name      string
		continued bool
		want      int
	}{
		{"in one invocation", false, 0},
		{"continued in another invocation", true, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := fbaFixture(t)
			// Four SKUs, two a page: without FBA-ONLY the listing is still
			// two pages.
			f.shelf.fbaExtra = []cart.FBAStock{{SKU: "C", Fulfillable: 3}}
			f.runTaskAs(t, catalog.ImportFBAInventory, runs.Schedule)
			if q := f.fbaOnHand(t, "FBA-ONLY"); q != 7 {
				t.Fatalf("setup: FBA-ONLY at %d", q)
			}
			f.shelf.fbaGone = map[string]bool{"FBA-ONLY": true}
			if tc.continued {
				// The manual pass's second page is throttled: its first was
				// seen by an invocation the continuation knows nothing of.
				second := f.shelf.fbaCalls + 2
				f.shelf.fbaHook = func(_ context.Context, call int) error {
					if call == second {
						return &cart.RateLimitedError{RetryAfter: time.Minute}
					}
					return nil
				}
			}
			run := f.runTaskAs(t, catalog.ImportFBAInventory, runs.Manual)
			if tc.continued {
				if len(f.disp.ins) == 0 {
					t.Fatal("the pass was not continued")
				}
				f.shelf.fbaHook = nil
				var err error
				if run, err = f.r.Handle(context.Background(), f.disp.ins[len(f.disp.ins)-1]); err != nil {
					t.Fatal(err)
				}
			}
			if run.Status != runs.Succeeded || !run.Counts.Accounted() {
				t.Fatalf("run %s %+v", run.Status, run.Counts)
			}
			if q := f.fbaOnHand(t, "FBA-ONLY"); q != tc.want {
				t.Fatalf("FBA-ONLY at %d after the pass, want %d", q, tc.want)
			}
			if q := f.fbaOnHand(t, "A"); q != 40 {
				t.Fatalf("A, still listed, at %d", q)
			}
		})
	}
}
