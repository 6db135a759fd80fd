package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/clock"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store/boltstore"
)

// fakeCart is an in-memory order source paging by offset.
type fakeCart struct {
	mu       sync.Mutex
	orders   []cart.Order
	pageSize int
	calls    int
	// hook runs before each page; it may block or return an error.
	hook func(ctx context.Context, call int) error
}

func (f *fakeCart) Orders(ctx context.Context, q cart.OrderQuery) (cart.OrderPage, error) {
	f.mu.Lock()
	f.calls++
	call, hook := f.calls, f.hook
	f.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, call); err != nil {
			return cart.OrderPage{}, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var match []cart.Order
	for _, o := range f.orders {
		if o.UpdatedAt.Before(q.UpdatedFrom) || !o.UpdatedAt.Before(q.UpdatedTo) {
			continue
		}
		if (o.Filter == cart.Cancelled) != q.Cancelled || !q.Cancelled && !fakeImportable(o, q.Statuses) {
			continue
		}
		match = append(match, o)
	}
	start, _ := strconv.Atoi(q.Cursor)
	end := min(start+f.pageSize, len(match))
	page := cart.OrderPage{Orders: append([]cart.Order(nil), match[start:end]...)}
	if end < len(match) {
		page.Next = strconv.Itoa(end)
	}
	return page, nil
}

func (f *fakeCart) add(o cart.Order) { f.mu.Lock(); f.orders = append(f.orders, o); f.mu.Unlock() }

type fakeConnectors struct {
	src   cart.OrderSource
	shelf *fakeShelf
}

func (c fakeConnectors) Connector(channels.Channel, cart.Credentials) (cart.Connector, error) {
	return fakeConnector{c.src, c.shelf}, nil
}

// fakeConnector is the fake cart's orders and the fake shelf's listings,
// stock and FBA, as one cart's connector.
type fakeConnector struct {
	cart.OrderSource
	*fakeShelf
}

func (fakeConnector) CheckCredentials(context.Context) error { return nil }

func (c fakeConnector) Order(ctx context.Context, id string) (cart.Order, error) {
	return c.OrderSource.(cart.OrderFetcher).Order(ctx, id)
}

type recordDispatch struct {
	mu  sync.Mutex
	ins []runs.Input
}

func (d *recordDispatch) Dispatch(_ context.Context, in runs.Input) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ins = append(d.ins, in)
	return nil
}

type health struct {
	mu           sync.Mutex
	reasons      []string
	disconnected []string
}

func (h *health) NeedsReauth(_ context.Context, _, _, reason string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reasons = append(h.reasons, reason)
	return nil
}

func (h *health) Disconnect(_ context.Context, _, _, reason string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.disconnected = append(h.disconnected, reason)
	return nil
}

type fixture struct {
	r      *Runner
	cart   *fakeCart
	disp   *recordDispatch
	health *health
	shelf  *fakeShelf
	inv    *inventory.Repo
	ch     channels.Channel
	clk    *clock.Fake
}

func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The stores judge expiry by the real clock, so the fake one starts at it.
	f := &fixture{clk: clock.NewFake(time.Now().UTC().Truncate(time.Second)), cart: &fakeCart{pageSize: 7}, disp: &recordDispatch{}, health: &health{}, shelf: newShelf()}
	sealer, _ := seal.NewAESGCM(make([]byte, 32))
	chs := &channels.Repo{Store: st, Sealer: sealer, Now: f.clk.Now}
	f.ch, err = chs.Create(context.Background(), "acct", channels.Channel{Type: catalog.Shopify, Name: "S"}, cart.Credentials{"access_token": "t"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		f.cart.add(order(i, f.clk.Now().Add(-time.Duration(n-i)*time.Minute), cart.AwaitingFulfillment))
	}
	f.inv = &inventory.Repo{Store: st, Now: f.clk.Now}
	f.r = &Runner{
		Runs: &runs.Repo{Store: st, Now: f.clk.Now}, Channels: chs, Orders: &orders.Repo{Store: st, Now: f.clk.Now, Stock: f.inv},
		Inventory:  f.inv,
		Connectors: fakeConnectors{f.cart, f.shelf}, Health: f.health, Dispatch: f.disp, Now: f.clk.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return f
}

func order(i int, updated time.Time, filter cart.Filter) cart.Order {
	return cart.Order{ExternalID: fmt.Sprint(1000 + i), Number: fmt.Sprintf("#%d", 1000+i), Filter: filter,
		CartStatus: string(filter), Lines: []cart.Line{{SKU: "SKU-1", Quantity: 1}}, CreatedAt: updated, UpdatedAt: updated}
}

func (f *fixture) input(trig runs.Trigger) runs.Input {
	return runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: catalog.ImportOrders, Trigger: trig}
}

func (f *fixture) countOrders(t testing.TB) int {
	t.Helper()
	list, _, err := f.r.Orders.List(context.Background(), "acct", orders.Filter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestImportIsExactAndIdempotent(t *testing.T) {
	f := newFixture(t, 50)
	ctx := context.Background()
	run, err := f.r.Handle(ctx, f.input(runs.Schedule))
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != runs.Succeeded || run.Counts.Created != 50 || run.Counts.Fetched != 50 || run.Progress.Done != 50 {
		t.Fatalf("first run %+v", run)
	}
	// New orders arrive; schedule, manual and a retried trigger all run.
	f.clk.Add(time.Minute)
	f.cart.add(order(50, f.clk.Now().Add(-10*time.Second), cart.AwaitingFulfillment))
	f.clk.Add(time.Minute)
	for _, trig := range []runs.Trigger{runs.Manual, runs.Schedule, runs.Manual} {
		if _, err := f.r.Handle(ctx, f.input(trig)); err != nil {
			t.Fatal(err)
		}
		f.clk.Add(time.Second)
	}
	if n := f.countOrders(t); n != 51 {
		t.Fatalf("%d orders stored, want 51 (no duplicates, none lost)", n)
	}
	last, _, _ := f.r.Runs.List(ctx, "acct", runs.Filter{Limit: 1})
	if last[0].Counts.Created != 0 {
		t.Fatalf("re-run created %d", last[0].Counts.Created)
	}
}

func TestCancelOnlyWhileAwaiting(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	if _, err := f.r.Handle(ctx, f.input(runs.Schedule)); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Minute)
	// Order 1000 cancelled; 1001 shipped then cancelled.
	f.cart.add(order(1, f.clk.Now().Add(-30*time.Second), cart.Shipped))
	if _, err := f.r.Handle(ctx, f.input(runs.Schedule)); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Minute)
	f.cart.add(order(0, f.clk.Now().Add(-20*time.Second), cart.Cancelled))
	f.cart.add(order(1, f.clk.Now().Add(-10*time.Second), cart.Cancelled))
	f.cart.add(order(99, f.clk.Now().Add(-10*time.Second), cart.Cancelled)) // never imported
	if _, err := f.r.Handle(ctx, f.input(runs.Schedule)); err != nil {
		t.Fatal(err)
	}
	want := map[string]cart.Filter{"1000": cart.Cancelled, "1001": cart.Shipped, "1002": cart.AwaitingFulfillment}
	for ext, filter := range want {
		o, err := f.r.Orders.Get(ctx, "acct", f.ch.ID, ext)
		if err != nil || o.Filter != filter {
			t.Errorf("order %s: %q %v, want %q", ext, o.Filter, err, filter)
		}
	}
	if n := f.countOrders(t); n != 3 {
		t.Fatalf("%d orders, want 3 (a cancel for an unknown order imports nothing)", n)
	}
}

func TestConcurrentTriggersRunOnce(t *testing.T) {
	f := newFixture(t, 20)
	entered, release := make(chan struct{}), make(chan struct{})
	f.cart.hook = func(ctx context.Context, call int) error {
		if call == 1 {
			close(entered)
			<-release
		}
		return nil
	}
	ctx := context.Background()
	done := make(chan runs.Run)
	go func() {
		run, err := f.r.Handle(ctx, f.input(runs.Schedule))
		if err != nil {
			t.Error(err)
		}
		done <- run
	}()
	<-entered
	second, err := f.r.Handle(ctx, f.input(runs.Manual))
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	first := <-done
	if first.Status != runs.Succeeded || second.Status != runs.Skipped || second.SkipReason != runs.SkipAlreadyRunning {
		t.Fatalf("first %s, second %s/%s", first.Status, second.Status, second.SkipReason)
	}
	stored, _ := f.r.Runs.Get(ctx, "acct", second.ID)
	if stored.Status != runs.Skipped {
		t.Fatalf("skipped run not recorded: %+v", stored)
	}
	if n := f.countOrders(t); n != 20 {
		t.Fatalf("%d orders", n)
	}
}

func TestContinuesBeforeDeadline(t *testing.T) {
	f := newFixture(t, 30)
	f.r.Reserve = time.Millisecond
	// Page 3 outlasts the invocation: the cart is slow.
	f.cart.hook = func(ctx context.Context, call int) error {
		if call == 3 {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	// Page 3 waits out the deadline: generous, so pages 1 and 2 finish
	// within it even on a loaded machine under the race detector.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	run, err := f.r.Handle(ctx, f.input(runs.Schedule))
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != runs.Running || run.Progress.Done != 14 {
		t.Fatalf("after first invocation %+v", run)
	}
	if len(f.disp.ins) != 1 || f.disp.ins[0].Trigger != runs.Continuation || f.disp.ins[0].RunID != run.ID {
		t.Fatalf("continuation not dispatched: %+v", f.disp.ins)
	}
	// A schedule firing meanwhile must not start a second run.
	if skipped, _ := f.r.Handle(context.Background(), f.input(runs.Schedule)); skipped.Status != runs.Skipped {
		t.Fatalf("overlapping trigger: %s", skipped.Status)
	}
	f.cart.hook = nil
	final, err := f.r.Handle(context.Background(), f.disp.ins[0])
	if err != nil {
		t.Fatal(err)
	}
	if final.ID != run.ID || final.Status != runs.Succeeded || final.Invocations != 2 || final.Counts.Created != 30 {
		t.Fatalf("continued run %+v", final)
	}
	if f.cart.calls != 3+3+1 { // 2 pages + 1 slow; then pages 3..5 and the cancel phase
		t.Logf("cart calls %d", f.cart.calls)
	}
	if n := f.countOrders(t); n != 30 {
		t.Fatalf("%d orders", n)
	}
}

// A scheduled run out of time before its first page has no record of its
// own yet (it rides in the lease); the continuation loads the run, so the
// run is stored before it is dispatched.
func TestContinuesBeforeItsFirstCommit(t *testing.T) {
	f := newFixture(t, 5)
	f.r.Reserve = 100 * time.Millisecond // for the run's store and dispatch
	// The first page outlasts the invocation: the cart is slow.
	f.cart.hook = func(ctx context.Context, call int) error {
		if call == 1 {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	run, err := f.r.Handle(ctx, f.input(runs.Schedule))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.disp.ins) != 1 || f.disp.ins[0].RunID != run.ID {
		t.Fatalf("continuation not dispatched: %+v; run %+v (%+v)", f.disp.ins, run, run.Error)
	}
	if stored, err := f.r.Runs.Get(context.Background(), "acct", run.ID); err != nil || stored.Status != runs.Running {
		t.Fatalf("run not stored before its continuation: %+v %v", stored, err)
	}
	f.cart.hook = nil
	final, err := f.r.Handle(context.Background(), f.disp.ins[0])
	if err != nil || final.ID != run.ID || final.Status != runs.Succeeded || final.Counts.Created != 5 {
		t.Fatalf("continued run %+v %v", final, err)
	}
}

// A cart that no longer holds the app's authorization (the app was
// removed; Etsy, Amazon, Squarespace and WooCommerce send no notice) has
// the channel disconnected, not paused.
func TestRevokedAuthorizationDisconnectsChannel(t *testing.T) {
	f := newFixture(t, 5)
	f.cart.hook = func(context.Context, int) error {
		return fmt.Errorf("orders: %w", &cart.Error{Status: 400, Message: "refused to renew", Err: cart.ErrRevoked})
	}
	run, err := f.r.Handle(context.Background(), f.input(runs.Schedule))
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != runs.Failed || run.Error == nil || run.Error.Class != runs.ClassAuth || !strings.Contains(run.Error.Message, "removed") {
		t.Fatalf("%+v", run)
	}
	if len(f.health.disconnected) != 1 || len(f.health.reasons) != 0 {
		t.Fatalf("disconnected %d times, marked needs_reauth %d times; want once, never", len(f.health.disconnected), len(f.health.reasons))
	}
}

func TestAuthFailureMarksChannel(t *testing.T) {
	f := newFixture(t, 5)
	f.cart.hook = func(context.Context, int) error { return fmt.Errorf("orders: %w", cart.ErrAuth) }
	run, err := f.r.Handle(context.Background(), f.input(runs.Schedule))
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != runs.Failed || run.Error == nil || run.Error.Class != runs.ClassAuth {
		t.Fatalf("%+v", run)
	}
	if len(f.health.reasons) != 1 || len(f.health.disconnected) != 0 {
		t.Fatalf("channel marked needs_reauth %d times, disconnected %d times; want once, never", len(f.health.reasons), len(f.health.disconnected))
	}
	// The lease was released: the next trigger runs.
	f.cart.hook = nil
	if next, _ := f.r.Handle(context.Background(), f.input(runs.Manual)); next.Status != runs.Succeeded {
		t.Fatalf("next run %s", next.Status)
	}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		err   error
		class runs.ErrorClass
	}{
		{fmt.Errorf("x: %w", cart.ErrAuth), runs.ClassAuth},
		{&cart.Error{Status: 502, Temporary: true, Message: "Bad gateway"}, runs.ClassCart},
		{&cart.RateLimitedError{RetryAfter: time.Second}, runs.ClassRateLimited},
		{errors.New("boom"), runs.ClassInternal},
	}
	for _, tc := range tests {
		class, msg := classify(tc.err)
		if class != tc.class || msg == "" || msg == tc.err.Error() && class == runs.ClassInternal {
			t.Errorf("%v → %s %q", tc.err, class, msg)
		}
	}
}

func TestRateLimitIsNotAFailure(t *testing.T) {
	f := newFixture(t, 20)
	f.cart.hook = func(_ context.Context, call int) error {
		if call == 2 {
			return &cart.RateLimitedError{RetryAfter: time.Minute}
		}
		return nil
	}
	run, err := f.r.Handle(context.Background(), f.input(runs.Schedule))
	if err != nil {
		t.Fatal(err)
	}
	if run.Status == runs.Failed || len(f.disp.ins) != 1 {
		t.Fatalf("rate limit: %+v, dispatched %d", run, len(f.disp.ins))
	}
}

func TestBadInput(t *testing.T) {
	f := newFixture(t, 0)
	for _, in := range []runs.Input{
		{},
		{AccountID: "a", ChannelID: "c", Task: "nope", Trigger: runs.Schedule},
		{AccountID: "a", ChannelID: "c", Task: catalog.ImportOrders, Trigger: "cron"},
		{AccountID: "a", ChannelID: "c", Task: catalog.ImportOrders, Trigger: runs.Continuation},
		{Action: "explode"},
	} {
		if _, err := f.r.Handle(context.Background(), in); err == nil {
			t.Errorf("input %+v accepted", in)
		}
	}
}

// A verify_channel input asks the wired check about that channel and runs
// nothing; unwired, it is an error (Lambda retries, then the queue keeps it).
func TestVerifyChannelInput(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	in := runs.Input{Action: runs.ActionVerifyChannel, AccountID: "acct", ChannelID: f.ch.ID}
	if _, err := f.r.Handle(ctx, in); err == nil {
		t.Fatal("an unwired check succeeded")
	}
	var asked []string
	f.r.VerifyChannel = func(_ context.Context, account, channel string) error {
		asked = append(asked, account+"/"+channel)
		return nil
	}
	if run, err := f.r.Handle(ctx, in); err != nil || run.ID != "" {
		t.Fatalf("verify: %+v %v", run, err)
	}
	if len(asked) != 1 || asked[0] != "acct/"+f.ch.ID || f.cart.calls != 0 || f.countOrders(t) != 0 {
		t.Fatalf("asked %v; cart calls %d", asked, f.cart.calls)
	}
}
