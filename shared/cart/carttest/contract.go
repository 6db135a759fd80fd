package carttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/clock"
)

// Harness is what a connector's package gives Contract: how to build the
// connector on a fresh simulator, and what the cart can do. A case a cart
// cannot take part in is skipped because the harness says so; Contract
// checks that the connector agrees (a declared capability the connector
// lacks, or one it has but the harness leaves out, fails).
type Harness struct {
	// New serves a fresh simulator and returns a connector on it.
	New func(t *testing.T, s Setup) *Env

	// FetchOrder: the connector is a cart.OrderFetcher.
	FetchOrder bool
	// FetchProduct: the connector is a cart.ListingFetcher.
	FetchProduct bool
	// Webhooks: the connector is a cart.Subscriber.
	Webhooks bool
	// FBA: the connector is a cart.FBAInventorySource and a
	// cart.FBAOrderSource (Amazon).
	FBA bool

	// BatchLimit is the most stock updates the cart documents for one
	// request (one per request for carts that write a SKU at a time).
	BatchLimit int

	// Window builds the order-window environment (see OrderWindow).
	Window func(t *testing.T, now func() time.Time) WindowEnv
}

// Setup is what Contract asks of a new environment.
type Setup struct {
	// Clock is the time the simulator and the connector read, where they
	// take a clock: it starts at the real time, so that a context deadline
	// set from it is also a deadline in real time.
	Clock *clock.Fake
	// Client records the connector's requests; the connector must send
	// through it.
	Client *http.Client
	// Throttled asks for a cart whose rate limit is spent for a minute or
	// more from the start (the connector's next request must wait that
	// long, or is answered with the cart's "slow down").
	Throttled bool
}

// Env is one connector on a fresh simulator, with the simulator's hooks.
type Env struct {
	// Conn is the connector: a cart.OrderSource, cart.ListingSource and
	// cart.StockWriter, plus the harness's declared capabilities.
	Conn any
	// BadCredentials returns a connector on the same simulator whose
	// credentials the cart refuses (401 or 403).
	BadCredentials func(t *testing.T) any
	// SKUs have listings with stock in the simulator; StockPush writes
	// min(MaxBatch, len(SKUs)) of them in one call.
	SKUs []string
	// Quantities is the simulator's quantity per SKU.
	Quantities func() map[string]int
	// FailSKU makes the cart refuse every later write of sku.
	FailSKU func(sku string)
	// WriteItems is how many SKUs' stock a request sets (0 for a request
	// that writes no stock), read from the recorded request.
	WriteItems func(r Request) int
	// CreateOrder adds an order the connector can fetch; it returns the
	// order's external id.
	CreateOrder func() string
	// MissingOrderID and MissingProductID are well-formed ids the cart
	// does not have.
	MissingOrderID, MissingProductID string
	// Address is a webhook address the cart accepts; Subscriptions counts
	// the cart's subscriptions to it.
	Address       string
	Subscriptions func() int
	// MissingSubscriptionID is a well-formed subscription id the cart
	// does not have.
	MissingSubscriptionID string
}

// Request is one recorded request.
type Request struct {
	Method, Path string
	Body         []byte
}

// Recorder is an http.RoundTripper that keeps a copy of every request
// before sending it on.
type Recorder struct {
	Next http.RoundTripper
	mu   sync.Mutex
	reqs []Request
}

// RoundTrip records r and sends it on.
func (rec *Recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, Request{Method: r.Method, Path: r.URL.Path, Body: body})
	rec.mu.Unlock()
	return rec.Next.RoundTrip(r)
}

// Requests returns the requests recorded so far.
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

type contractEnv struct {
	*Env
	clk *clock.Fake
	rec *Recorder
}

func newContractEnv(t *testing.T, h Harness, throttled bool) contractEnv {
	t.Helper()
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Millisecond))
	base := LoopbackClient()
	rec := &Recorder{Next: base.Transport}
	base.Transport = rec
	env := h.New(t, Setup{Clock: clk, Client: base, Throttled: throttled})
	if env == nil || env.Conn == nil {
		t.Fatal("the harness built no connector")
	}
	return contractEnv{Env: env, clk: clk, rec: rec}
}

// Contract runs every case of the cart contract against h.
func Contract(t *testing.T, h Harness) {
	t.Run("Capabilities", func(t *testing.T) { capabilities(t, h) })
	t.Run("StockPushInOrderWithinBatchLimit", func(t *testing.T) { StockPush(t, h) })
	t.Run("PartialFailurePerSKU", func(t *testing.T) { PartialFailure(t, h) })
	t.Run("AuthRefused", func(t *testing.T) { AuthRefused(t, h) })
	t.Run("FetchNotFound", func(t *testing.T) { FetchNotFound(t, h) })
	t.Run("RateLimitedNearDeadline", func(t *testing.T) { RateLimitedNearDeadline(t, h) })
	t.Run("Subscriptions", func(t *testing.T) { Subscriptions(t, h) })
	t.Run("OrderWindow", func(t *testing.T) {
		if h.Window == nil {
			t.Fatal("the harness has no order window environment; every cart has orders")
		}
		OrderWindow(t, h.Window)
	})
}

// capabilities checks the harness's declarations against the connector.
func capabilities(t *testing.T, h Harness) {
	env := newContractEnv(t, h, false)
	c := env.Conn
	for _, must := range []struct {
		name string
		ok   bool
	}{
		{"cart.OrderSource", is[cart.OrderSource](c)},
		{"cart.ListingSource", is[cart.ListingSource](c)},
		{"cart.StockWriter", is[cart.StockWriter](c)},
	} {
		if !must.ok {
			t.Errorf("the connector is not a %s", must.name)
		}
	}
	for _, opt := range []struct {
		name     string
		declared bool
		has      bool
	}{
		{"cart.OrderFetcher", h.FetchOrder, is[cart.OrderFetcher](c)},
		{"cart.ListingFetcher", h.FetchProduct, is[cart.ListingFetcher](c)},
		{"cart.Subscriber", h.Webhooks, is[cart.Subscriber](c)},
		{"cart.FBAInventorySource", h.FBA, is[cart.FBAInventorySource](c)},
		{"cart.FBAOrderSource", h.FBA, is[cart.FBAOrderSource](c)},
	} {
		if opt.declared != opt.has {
			t.Errorf("the harness declares %s %v, the connector implements it %v", opt.name, opt.declared, opt.has)
		}
	}
	if h.BatchLimit < 1 {
		t.Errorf("BatchLimit %d; want the cart's documented items per request", h.BatchLimit)
	}
	if w, ok := c.(cart.StockWriter); ok && w.MaxBatch() < 1 {
		t.Errorf("MaxBatch %d; want at least 1", w.MaxBatch())
	}
}

func is[T any](c any) bool {
	_, ok := c.(T)
	return ok
}

// links reads the cart's ids for every SKU, as Import Products would.
func links(t *testing.T, c any) map[string]cart.Link {
	t.Helper()
	out := map[string]cart.Link{}
	for _, l := range Listings(t, c.(cart.ListingSource), cart.ListingQuery{}) {
		out[l.SKU] = l.Link
	}
	return out
}

// updates sets each SKU to a quantity it does not hold, in the order given.
func updates(t *testing.T, env contractEnv, skus []string) []cart.StockUpdate {
	t.Helper()
	ls := links(t, env.Conn)
	held := env.Quantities()
	out := make([]cart.StockUpdate, len(skus))
	for i, sku := range skus {
		l, ok := ls[sku]
		if !ok {
			t.Fatalf("the cart lists no %s", sku)
		}
		q := 7 + i%50
		if held[sku] == q {
			q++
		}
		out[i] = cart.StockUpdate{SKU: sku, Link: l, Quantity: q}
	}
	return out
}

// StockPush: one call of min(MaxBatch, len(SKUs)) updates, given in the
// reverse of the cart's order, comes back with one result per update in
// the order given; each quantity reaches the cart; and no request carries
// more items than the cart's documented limit.
func StockPush(t *testing.T, h Harness) {
	env := newContractEnv(t, h, false)
	w := env.Conn.(cart.StockWriter)
	skus := slices.Clone(env.SKUs)
	slices.Reverse(skus)
	skus = skus[:min(w.MaxBatch(), len(skus))]
	if len(skus) < 2 {
		t.Fatalf("%d SKUs to push; the harness must seed at least 2", len(skus))
	}
	ups := updates(t, env, skus)
	before := len(env.rec.Requests())
	res, err := w.SetStock(t.Context(), ups)
	if err != nil {
		t.Fatalf("SetStock(%d): %v", len(ups), err)
	}
	if len(res) != len(ups) {
		t.Fatalf("%d results for %d updates", len(res), len(ups))
	}
	held := env.Quantities()
	for i, r := range res {
		if r.SKU != ups[i].SKU {
			t.Errorf("result %d is for %s; want %s", i, r.SKU, ups[i].SKU)
		}
		if r.Err != nil {
			t.Errorf("%s: %v", ups[i].SKU, r.Err)
		}
		if held[ups[i].SKU] != ups[i].Quantity {
			t.Errorf("%s holds %d; pushed %d", ups[i].SKU, held[ups[i].SKU], ups[i].Quantity)
		}
	}
	reqs := env.rec.Requests()[before:]
	written, writes := 0, 0
	for _, r := range reqs {
		n := env.WriteItems(r)
		if n > h.BatchLimit {
			t.Errorf("%s %s carries %d items; the cart takes at most %d", r.Method, r.Path, n, h.BatchLimit)
		}
		if n > 0 {
			writes++
		}
		written += n
	}
	if written < len(ups) {
		t.Errorf("the requests set %d SKUs' stock; want all %d", written, len(ups))
	}
	if need := (len(ups) + h.BatchLimit - 1) / h.BatchLimit; writes < need {
		t.Errorf("%d writing requests for %d updates; the limit %d needs %d", writes, len(ups), h.BatchLimit, need)
	}
	t.Logf("%d updates: %d requests, %d of them writing", len(ups), len(reqs), writes)
}

// PartialFailure: the cart refusing one SKU fails that SKU alone.
func PartialFailure(t *testing.T, h Harness) {
	env := newContractEnv(t, h, false)
	w := env.Conn.(cart.StockWriter)
	n := min(w.MaxBatch(), len(env.SKUs), 5)
	if n < 3 {
		t.Fatalf("%d SKUs to push; the harness must seed at least 3", n)
	}
	ups := updates(t, env, env.SKUs[:n])
	bad := ups[n/2].SKU
	held := env.Quantities()[bad]
	env.FailSKU(bad)
	res, err := w.SetStock(t.Context(), ups)
	if err != nil {
		t.Fatalf("SetStock with %s refused: %v; want per-SKU results", bad, err)
	}
	if len(res) != len(ups) {
		t.Fatalf("%d results for %d updates", len(res), len(ups))
	}
	now := env.Quantities()
	for i, r := range res {
		u := ups[i]
		if r.SKU != u.SKU {
			t.Errorf("result %d is for %s; want %s", i, r.SKU, u.SKU)
		}
		if u.SKU == bad {
			var ce *cart.Error
			if !errors.As(r.Err, &ce) || ce.Message == "" {
				t.Errorf("refused %s: %v; want a *cart.Error with the cart's reason", u.SKU, r.Err)
			}
			if now[u.SKU] != held {
				t.Errorf("refused %s holds %d; want its %d unchanged", u.SKU, now[u.SKU], held)
			}
			continue
		}
		if r.Err != nil {
			t.Errorf("%s failed beside the refused %s: %v", u.SKU, bad, r.Err)
		}
		if now[u.SKU] != u.Quantity {
			t.Errorf("%s holds %d; pushed %d", u.SKU, now[u.SKU], u.Quantity)
		}
	}
}

// op is one connector operation the contract calls.
type op struct {
	name string
	call func(ctx context.Context) error
}

// ops are every operation of c that h declares, on env's ids.
func ops(t *testing.T, h Harness, env contractEnv, c any, up cart.StockUpdate, productID, orderID string) []op {
	out := []op{
		{"Orders", func(ctx context.Context) error {
			_, err := c.(cart.OrderSource).Orders(ctx, cart.OrderQuery{UpdatedFrom: env.clk.Now().Add(-24 * time.Hour), UpdatedTo: env.clk.Now().Add(-time.Hour)})
			return err
		}},
		{"Listings", func(ctx context.Context) error {
			_, err := c.(cart.ListingSource).Listings(ctx, cart.ListingQuery{})
			return err
		}},
		{"SetStock", func(ctx context.Context) error {
			res, err := c.(cart.StockWriter).SetStock(ctx, []cart.StockUpdate{up})
			if err == nil && len(res) == 1 {
				return fmt.Errorf("whole call succeeded, result %v", res[0].Err)
			}
			return err
		}},
	}
	if h.FetchOrder {
		out = append(out, op{"Order", func(ctx context.Context) error {
			_, err := c.(cart.OrderFetcher).Order(ctx, orderID)
			return err
		}})
	}
	if h.FetchProduct {
		out = append(out, op{"ProductListings", func(ctx context.Context) error {
			_, err := c.(cart.ListingFetcher).ProductListings(ctx, productID)
			return err
		}})
	}
	if h.FBA {
		out = append(out,
			op{"FBAInventory", func(ctx context.Context) error {
				_, err := c.(cart.FBAInventorySource).FBAInventory(ctx, time.Time{}, "")
				return err
			}},
			op{"FBAOrders", func(ctx context.Context) error {
				_, err := c.(cart.FBAOrderSource).FBAOrders(ctx, cart.OrderQuery{UpdatedFrom: env.clk.Now().Add(-24 * time.Hour), UpdatedTo: env.clk.Now().Add(-time.Hour)})
				return err
			}})
	}
	if h.Webhooks {
		out = append(out,
			op{"Subscribe", func(ctx context.Context) error {
				_, err := c.(cart.Subscriber).Subscribe(ctx, cart.TopicOrders, env.Address, "contract-secret")
				return err
			}},
			op{"Unsubscribe", func(ctx context.Context) error {
				return c.(cart.Subscriber).Unsubscribe(ctx, env.MissingSubscriptionID)
			}})
	}
	return out
}

// AuthRefused: every operation of a connector whose credentials the cart
// refuses fails with cart.ErrAuth (the channel needs re-authorization).
func AuthRefused(t *testing.T, h Harness) {
	env := newContractEnv(t, h, false)
	up := updates(t, env, env.SKUs[:1])[0]
	id := env.CreateOrder()
	productID := up.Link.ProductID
	bad := env.BadCredentials(t)
	for _, o := range ops(t, h, env, bad, up, productID, id) {
		t.Run(o.name, func(t *testing.T) {
			if err := o.call(t.Context()); !errors.Is(err, cart.ErrAuth) {
				t.Errorf("%s with refused credentials: %v; want cart.ErrAuth", o.name, err)
			}
		})
	}
}

// FetchNotFound: the fetchers find what exists and answer cart.ErrNotFound
// for an id the cart does not have.
func FetchNotFound(t *testing.T, h Harness) {
	if !h.FetchOrder && !h.FetchProduct {
		t.Skip("the harness declares no fetcher by id")
	}
	env := newContractEnv(t, h, false)
	t.Run("Order", func(t *testing.T) {
		if !h.FetchOrder {
			t.Skip("the harness declares no order fetcher")
		}
		f := env.Conn.(cart.OrderFetcher)
		id := env.CreateOrder()
		if o, err := f.Order(t.Context(), id); err != nil || o.ExternalID != id {
			t.Errorf("Order(%s) = %q, %v; want the order", id, o.ExternalID, err)
		}
		if _, err := f.Order(t.Context(), env.MissingOrderID); !errors.Is(err, cart.ErrNotFound) {
			t.Errorf("Order(%s): %v; want cart.ErrNotFound", env.MissingOrderID, err)
		}
	})
	t.Run("ProductListings", func(t *testing.T) {
		if !h.FetchProduct {
			t.Skip("the harness declares no product fetcher")
		}
		f := env.Conn.(cart.ListingFetcher)
		sku := env.SKUs[0]
		pid := links(t, env.Conn)[sku].ProductID
		ls, err := f.ProductListings(t.Context(), pid)
		if err != nil || !slices.ContainsFunc(ls, func(l cart.Listing) bool { return l.SKU == sku }) {
			t.Errorf("ProductListings(%s) = %v, %v; want %s among them", pid, ls, err, sku)
		}
		if _, err := f.ProductListings(t.Context(), env.MissingProductID); !errors.Is(err, cart.ErrNotFound) {
			t.Errorf("ProductListings(%s): %v; want cart.ErrNotFound", env.MissingProductID, err)
		}
	})
}

// deadlineIn is how far ahead the rate-limit case's deadline is: well
// short of the minute a throttled cart makes the connector wait.
const deadlineIn = 5 * time.Second

// RateLimitedNearDeadline: with the cart's rate limit spent for longer
// than the invocation has left, every operation returns a
// *cart.RateLimitedError at once instead of sleeping into the deadline.
func RateLimitedNearDeadline(t *testing.T, h Harness) {
	// The ids come from an unthrottled twin: the throttled cart would
	// refuse the reads that find them.
	plain := newContractEnv(t, h, false)
	up := updates(t, plain, plain.SKUs[:1])[0]
	env := newContractEnv(t, h, true)
	for _, o := range ops(t, h, env, env.Conn, up, up.Link.ProductID, env.MissingOrderID) {
		t.Run(o.name, func(t *testing.T) {
			// From the later of the two clocks: the fake one stands
			// still while real time passes, and a connector may read either.
			now := env.clk.Now()
			if real := time.Now(); real.After(now) {
				now = real
			}
			deadline := now.Add(deadlineIn)
			ctx, cancel := context.WithDeadline(t.Context(), deadline)
			defer cancel()
			start := time.Now()
			err := o.call(ctx)
			var rl *cart.RateLimitedError
			if !errors.As(err, &rl) || rl.RetryAfter <= 0 {
				t.Fatalf("%s with the rate limit spent: %v; want *cart.RateLimitedError with the wait", o.name, err)
			}
			if ctx.Err() != nil || env.clk.Now().After(deadline) {
				t.Errorf("%s returned after waiting into its deadline (%v real)", o.name, time.Since(start))
			}
		})
	}
}

// Subscriptions: subscribing twice to the same topic and address leaves
// one subscription; unsubscribing it, again, and a subscription the cart
// never had all succeed.
func Subscriptions(t *testing.T, h Harness) {
	if !h.Webhooks {
		t.Skip("the harness declares no webhooks")
	}
	env := newContractEnv(t, h, false)
	s := env.Conn.(cart.Subscriber)
	first, err := s.Subscribe(t.Context(), cart.TopicOrders, env.Address, "contract-secret")
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	second, err := s.Subscribe(t.Context(), cart.TopicOrders, env.Address, "contract-secret")
	if err != nil {
		t.Fatalf("Subscribe again: %v", err)
	}
	if n := env.Subscriptions(); n != 1 {
		t.Errorf("%d subscriptions after subscribing twice; want 1", n)
	}
	if second.ID != first.ID {
		t.Errorf("subscribing again answered %q; want the subscription %q", second.ID, first.ID)
	}
	for _, id := range []string{first.ID, first.ID, env.MissingSubscriptionID} {
		if err := s.Unsubscribe(t.Context(), id); err != nil {
			t.Errorf("Unsubscribe(%s): %v", id, err)
		}
	}
	if n := env.Subscriptions(); n != 0 {
		t.Errorf("%d subscriptions after unsubscribing; want 0", n)
	}
}
