package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runs"
)

// parkingShelf deactivates a listing pushed to 0, as Etsy does, and
// refuses call number limitCall as rate limited.
type parkingShelf struct {
	*fakeShelf
	calls, limitCall int
}

func (s *parkingShelf) SetStock(ctx context.Context, ups []cart.StockUpdate) ([]cart.StockResult, error) {
	s.calls++
	if s.calls == s.limitCall {
		return nil, &cart.RateLimitedError{RetryAfter: time.Minute}
	}
	out, err := s.fakeShelf.SetStock(ctx, ups)
	for i, u := range ups {
		if err == nil && out[i].Err == nil && u.Quantity == 0 {
			out[i].Listing = cart.ListingDeactivated
		}
	}
	return out, err
}

type parkingConnectors struct {
	src   cart.OrderSource
	shelf *parkingShelf
}

func (c parkingConnectors) Connector(channels.Channel, cart.Credentials) (cart.Connector, error) {
	return struct {
		fakeConnector
		cart.StockWriter
	}{fakeConnector{c.src, c.shelf.fakeShelf}, c.shelf}, nil
}

// A parked SKU rides along with the other SKU of its listing. When it
// sorts after SKUs still to push and the run is cut short after that
// batch, the run resumes at the batch's own SKU, not the parked one:
// otherwise the SKUs between them are never pushed and the cart keeps
// offering stock Autosync no longer has.
func TestParkedSKUDoesNotMoveTheCursorPastUnpushedSKUs(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	for _, sku := range []string{"A", "C", "Z"} {
		f.shelf.add(sku, 5)
	}
	// A and Z are variations of one listing.
	f.shelf.listings[0].Link.ProductID = "L1"
	f.shelf.listings[2].Link.ProductID = "L1"
	f.shelf.maxBatch = 2
	shelf := &parkingShelf{fakeShelf: f.shelf}
	f.r.Connectors = parkingConnectors{f.cart, shelf}
	if run := f.runTask(t, catalog.ImportProducts); run.Status != runs.Succeeded {
		t.Fatalf("import products: %s %+v", run.Status, run.Error)
	}
	setOnHand := func(sku string, q int) {
		t.Helper()
		if _, err := f.inv.SetOnHand(ctx, "acct", sku, inventory.DefaultWarehouse, q); err != nil {
			t.Fatal(err)
		}
	}
	setOnHand("Z", 0)
	f.clk.Add(10 * time.Minute)
	if run := f.runTaskAs(t, catalog.WriteInventory, runs.Schedule); run.Status != runs.Succeeded {
		t.Fatalf("first write-back: %s %+v", run.Status, run.Error)
	}
	if f.channelView(t, "Z").State != inventory.StateDeactivated {
		t.Fatal("Z was not parked: the test no longer sets up what it is about")
	}
	f.clk.Add(10 * time.Minute)
	setOnHand("A", 4)
	setOnHand("C", 1) // sold elsewhere: the cart must come down to 1
	f.clk.Add(10 * time.Minute)
	shelf.calls, shelf.limitCall = 0, 2 // [A, Z] goes, then [C] is throttled
	f.runTaskAs(t, catalog.WriteInventory, runs.Schedule)
	if len(f.disp.ins) == 0 {
		t.Fatal("the throttled run was not continued")
	}
	shelf.limitCall = 0
	if _, err := f.r.Handle(ctx, f.disp.ins[len(f.disp.ins)-1]); err != nil {
		t.Fatal(err)
	}
	if q := shelf.quantity("C"); q != 1 {
		t.Errorf("the cart offers %d of C; Autosync has 1 (needs sync: %v)", q, f.needsSync(t, false))
	}
}

// blockingStock blocks the nth stock commit of an order import until the
// invocation's deadline.
type blockingStock struct {
	*inventory.Repo
	n, calls int
}

func (b *blockingStock) CommitWarehouse(ctx context.Context, account, channel string) (string, error) {
	b.calls++
	if b.calls == b.n {
		<-ctx.Done()
		return "", ctx.Err()
	}
	return b.Repo.CommitWarehouse(ctx, account, channel)
}

// The deadline lands in the middle of a page: the continuation reads that
// page again, so the run's counts must not hold the cut-off page twice nor
// count the order the deadline interrupted as failed.
func TestDeadlineMidPageCountsAddUp(t *testing.T) {
	f := newFixture(t, 20)
	f.r.Reserve = time.Millisecond
	f.r.Orders.Stock = &blockingStock{Repo: f.inv, n: 10}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := f.r.Handle(ctx, f.input(runs.Schedule)); err != nil {
		t.Fatal(err)
	}
	if len(f.disp.ins) != 1 {
		t.Fatalf("%d continuations, want 1", len(f.disp.ins))
	}
	final, err := f.r.Handle(context.Background(), f.disp.ins[0])
	if err != nil {
		t.Fatal(err)
	}
	c := final.Counts
	if final.Status != runs.Succeeded || c.Fetched != 20 || c.Failed != 0 || !c.Accounted() {
		t.Errorf("every order imported once, yet the run says %s %+v", final.Status, c)
	}
	if n := f.countOrders(t); n != 20 {
		t.Errorf("%d orders stored, want 20", n)
	}
}

// An order the store refuses, or one with more distinct SKUs than one
// transaction holds, does not stop the channel's later orders from being
// imported: the pass used to fail on it, keep its watermark, and fail on it
// again every run.
func TestOneOrderDoesNotBlockTheOrdersAfterIt(t *testing.T) {
	f := newFixture(t, 0)
	now := f.clk.Now()
	wide := order(0, now.Add(-10*time.Minute), cart.AwaitingFulfillment)
	wide.Lines = nil
	for i := range 120 {
		wide.Lines = append(wide.Lines, cart.Line{SKU: fmt.Sprintf("S-%03d", i), Quantity: 1})
	}
	f.cart.add(wide)
	huge := order(1, now.Add(-9*time.Minute), cart.AwaitingFulfillment)
	huge.Lines = make([]cart.Line, orders.MaxLines+1)
	for i := range huge.Lines {
		huge.Lines[i] = cart.Line{SKU: fmt.Sprintf("H-%04d", i), Quantity: 1}
	}
	f.cart.add(huge)
	for i := 2; i <= 4; i++ {
		f.cart.add(order(i, now.Add(-time.Duration(10-i)*time.Minute), cart.AwaitingFulfillment))
	}
	run, err := f.r.Handle(context.Background(), f.input(runs.Schedule))
	if err != nil {
		t.Fatal(err)
	}
	if n := f.countOrders(t); n != 4 {
		t.Errorf("%d orders imported, want the 4 but the one over %d lines", n, orders.MaxLines)
	}
	if run.Status != runs.Partial || run.Counts.Failed != 1 || len(run.Detail) != 1 || !strings.Contains(run.Detail[0], huge.Number) {
		t.Errorf("run %s %+v %q: want partial, naming the refused order", run.Status, run.Counts, run.Detail)
	}
	p, _, err := f.inv.Get(context.Background(), "acct", "S-119")
	if err != nil || p.Stock[inventory.DefaultWarehouse].Committed != 1 {
		t.Errorf("the wide order's last SKU: %+v %v, want 1 committed", p.Stock, err)
	}
}

// A second delivery of a working run's invocation (Lambda delivers
// asynchronous events at least once) leaves the run to the invocation that
// holds it: it used to save the run as skipped, "already running", over
// its own working record.
func TestDuplicateInvocationLeavesTheWorkingRunAlone(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	run, _, err := f.r.Runs.QueueManual(ctx, "acct", f.ch.ID, catalog.ImportOrders)
	if err != nil {
		t.Fatal(err)
	}
	// The first delivery is working: it holds the task's lease for the run.
	if _, err := f.r.Runs.Acquire(ctx, "acct", f.ch.ID, catalog.ImportOrders, run.ID, time.Minute); err != nil {
		t.Fatal(err)
	}
	run.Status = runs.Running
	if err := f.r.Runs.Save(ctx, run); err != nil {
		t.Fatal(err)
	}
	in := f.input(runs.Manual)
	in.RunID = run.ID
	if _, err := f.r.Handle(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := f.r.Runs.Get(ctx, "acct", run.ID)
	if err != nil || got.Status != runs.Running || got.SkipReason != "" {
		t.Fatalf("after a duplicate delivery the run is %s (%q), %v; want it running", got.Status, got.SkipReason, err)
	}
}

// A run whose requests were refused after the merchant re-authorized the
// channel (new credentials stored while it worked) leaves the channel
// alone: the refusal is of the old credentials, and marking the channel
// would pause the one the merchant just put right. A refusal of the
// credentials still stored, and one of those disconnecting, still marks it.
func TestRefusalOfReplacedCredentialsLeavesTheChannel(t *testing.T) {
	for _, tc := range []struct {
		name        string
		reauthorize bool
		refusal     error
		marked      int
	}{
		{"re-authorized while it worked", true, cart.ErrAuth, 0},
		{"revoked, re-authorized while it worked", true, &cart.Error{Status: 400, Err: cart.ErrRevoked}, 0},
		{"the stored credentials refused", false, cart.ErrAuth, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 5)
			f.cart.hook = func(ctx context.Context, _ int) error {
				if tc.reauthorize {
					if err := f.r.Channels.MergeCredentials(ctx, "acct", f.ch.ID, cart.Credentials{"access_token": "new"}); err != nil {
						t.Fatal(err)
					}
				}
				return fmt.Errorf("orders: %w", tc.refusal)
			}
			run, err := f.r.Handle(context.Background(), f.input(runs.Schedule))
			if err != nil {
				t.Fatal(err)
			}
			if run.Status != runs.Failed || run.Error == nil || run.Error.Class != runs.ClassAuth {
				t.Fatalf("run %s %+v", run.Status, run.Error)
			}
			if got := len(f.health.reasons) + len(f.health.disconnected); got != tc.marked {
				t.Fatalf("channel marked %d times, want %d", got, tc.marked)
			}
		})
	}
}
