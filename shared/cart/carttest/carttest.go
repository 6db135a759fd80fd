// Package carttest holds what the connectors' tests share: a fast retry
// policy, pagers that read a whole query, and contract tests every
// connector's order source must pass against its simulator.
package carttest

import (
	"slices"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/clock"
)

// Retry is a retry policy for tests: the same attempts as production,
// with waits short enough that a test of retries takes milliseconds.
var Retry = cart.Retry{
	Attempts:        4,
	BaseBackoff:     time.Millisecond,
	MaxBackoff:      4 * time.Millisecond,
	AttemptTimeout:  5 * time.Second,
	MinThrottleWait: time.Millisecond,
	MaxThrottleWait: 10 * time.Millisecond,
}

// maxPages stops a pager whose cursor never ends.
const maxPages = 10_000

// Orders pages through q and returns every order, failing the test on an
// error or on paging that does not end.
func Orders(t testing.TB, src cart.OrderSource, q cart.OrderQuery) []cart.Order {
	t.Helper()
	var out []cart.Order
	for range maxPages {
		p, err := src.Orders(t.Context(), q)
		if err != nil {
			t.Fatalf("Orders(%+v): %v", q, err)
		}
		out = append(out, p.Orders...)
		if p.Next == "" {
			return out
		}
		q.Cursor = p.Next
	}
	t.Fatal("paging does not end")
	return nil
}

// Listings pages through q and returns every listing, as Orders does.
func Listings(t testing.TB, src cart.ListingSource, q cart.ListingQuery) []cart.Listing {
	t.Helper()
	var out []cart.Listing
	for range maxPages {
		p, err := src.Listings(t.Context(), q)
		if err != nil {
			t.Fatalf("Listings(%+v): %v", q, err)
		}
		out = append(out, p.Listings...)
		if p.Next == "" {
			return out
		}
		q.Cursor = p.Next
	}
	t.Fatal("paging does not end")
	return nil
}

// IDs returns the orders' external ids, in order.
func IDs(orders []cart.Order) []string {
	out := make([]string, len(orders))
	for i, o := range orders {
		out[i] = o.ExternalID
	}
	return out
}

// WindowEnv is a connector on a simulator whose clock the test sets.
type WindowEnv struct {
	Source cart.OrderSource
	// CreateOrder adds an order, updated now, and returns its external id.
	CreateOrder func() string
	// Requests counts the requests the simulator has answered.
	Requests func() int
	// Settle is how old an update must be before the cart's search shows
	// it (Amazon: lastUpdatedBefore trails the request by two minutes);
	// the contract lets the clock run that long, and a minute more, after
	// creating the orders. Zero for carts that show an order at once.
	Settle time.Duration
}

// OrderWindow is the contract of an order source's time window: orders
// updated in [UpdatedFrom, UpdatedTo), either end open, in any time zone,
// fractions of a second honoured or rounded outward (never inward: that
// would lose an order), and an empty or reversed window answered without
// a request. A cart that shows an update only once it has settled (see
// WindowEnv.Settle) is queried after that time.
// newEnv builds the connector and its simulator on the clock's Now.
func OrderWindow(t *testing.T, newEnv func(t *testing.T, now func() time.Time) WindowEnv) {
	clk := clock.NewFake(time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC))
	env := newEnv(t, clk.Now)
	t0 := clk.Now()
	var created []string
	for range 4 {
		created = append(created, env.CreateOrder())
		clk.Add(time.Second)
	}
	if env.Settle > 0 {
		clk.Add(env.Settle + time.Minute)
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
		// also is another answer the contract accepts: a cart that
		// filters by whole seconds reads a fractional window rounded
		// outward (the upsert absorbs the overlap).
		also []string
	}{
		{name: "from inclusive, to exclusive", from: t0.Add(time.Second), to: t0.Add(3 * time.Second), want: created[1:3]},
		{name: "open start", to: t0.Add(2 * time.Second), want: created[:2]},
		{name: "open end", from: t0.Add(2 * time.Second), want: created[2:]},
		{name: "fractions", from: t0.Add(1500 * time.Millisecond), to: t0.Add(2500 * time.Millisecond), want: created[2:3], also: created[1:3]},
		{name: "local zones", from: t0.Add(time.Second).In(time.FixedZone("X", 5*3600)), to: t0.Add(2 * time.Second).In(time.FixedZone("Y", -7*3600)), want: created[1:2]},
		{name: "empty", from: t0.Add(2 * time.Second), to: t0.Add(2 * time.Second)},
		{name: "reversed", from: t0.Add(3 * time.Second), to: t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := env.Requests()
			got := IDs(Orders(t, env.Source, cart.OrderQuery{UpdatedFrom: tt.from, UpdatedTo: tt.to}))
			if !slices.Equal(got, tt.want) && (tt.also == nil || !slices.Equal(got, tt.also)) {
				t.Errorf("window [%v, %v) = %v; want %v", tt.from, tt.to, got, tt.want)
			}
			if tt.want == nil && env.Requests() != before {
				t.Errorf("an empty window sent a request")
			}
		})
	}
}
