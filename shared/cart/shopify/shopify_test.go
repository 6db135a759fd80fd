package shopify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
	"github.com/autosync/autosync/shared/testkit"
)

// fastRetry keeps the retry policy's shape with test-sized durations.
var fastRetry = retryPolicy{Retry: carttest.Retry}

// roomy is a plan whose bucket never runs dry in functional tests.
var roomy = shopifysim.Plan{MaximumAvailable: 1e9, RestoreRate: 1e9}

const token = "shpat_test_secret_token"

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

func newSim(t *testing.T, opts shopifysim.Options) (*shopifysim.Server, *Client) {
	t.Helper()
	opts.AccessToken = token
	if opts.Plan == (shopifysim.Plan{}) {
		opts.Plan = roomy
	}
	sim := shopifysim.New(opts)
	return sim, newClient(t, serve(t, sim), token)
}

func newClient(t *testing.T, url, tok string) *Client {
	t.Helper()
	c, err := New(Config{Shop: "demo.myshopify.com", BaseURL: url, AccessToken: tok})
	if err != nil {
		t.Fatal(err)
	}
	c.retry = fastRetry
	return c
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// everything is a window holding every seeded order.
func everything() cart.OrderQuery {
	now := time.Now()
	return cart.OrderQuery{UpdatedFrom: now.AddDate(0, 0, -60), UpdatedTo: now.Add(time.Hour)}
}

func TestNew(t *testing.T) {
	tests := []struct {
		cfg      Config
		endpoint string // "" means New fails
	}{
		{Config{Shop: "demo.myshopify.com", AccessToken: "x"}, "https://demo.myshopify.com/admin/api/2026-10/graphql.json"},
		{Config{Shop: " Demo-2.myshopify.com ", AccessToken: "x", APIVersion: "2026-01"}, "https://demo-2.myshopify.com/admin/api/2026-01/graphql.json"},
		{Config{Shop: "demo.myshopify.com", AccessToken: "x", BaseURL: "http://127.0.0.1:9/"}, "http://127.0.0.1:9/admin/api/2026-10/graphql.json"},
		{Config{Shop: "demo.example.com", AccessToken: "x"}, ""},
		{Config{Shop: "https://demo.myshopify.com", AccessToken: "x"}, ""},
		{Config{Shop: "demo.myshopify.com/admin", AccessToken: "x"}, ""},
		{Config{Shop: "evil.com#.myshopify.com", AccessToken: "x"}, ""},
		{Config{Shop: "-demo.myshopify.com", AccessToken: "x"}, ""},
		{Config{Shop: "demo.myshopify.com"}, ""},
		{Config{Shop: "demo.myshopify.com", AccessToken: "x", APIVersion: "latest"}, ""},
		{Config{Shop: "demo.myshopify.com", AccessToken: "x", BaseURL: "ftp://x"}, ""},
		{Config{Shop: "demo.myshopify.com", AccessToken: "x", BaseURL: "http://x/?a=b"}, ""},
		// User info in the base URL is refused, as by the other carts.
		{Config{Shop: "demo.myshopify.com", AccessToken: "x", BaseURL: "http://u:p@127.0.0.1:9/"}, ""},
	}
	for _, tt := range tests {
		c, err := New(tt.cfg)
		switch {
		case tt.endpoint == "" && err == nil:
			t.Errorf("New(%v) succeeded; want an error", tt.cfg)
		case tt.endpoint != "" && err != nil:
			t.Errorf("New(%v): %v", tt.cfg, err)
		case err == nil && c.endpoint != tt.endpoint:
			t.Errorf("New(%v) endpoint = %s; want %s", tt.cfg, c.endpoint, tt.endpoint)
		}
		if err != nil && tt.cfg.AccessToken != "" && strings.Contains(err.Error(), tt.cfg.AccessToken) && len(tt.cfg.AccessToken) > 1 {
			t.Errorf("error %q contains the token", err)
		}
	}
	c, _ := New(Config{Shop: "demo.myshopify.com", AccessToken: token})
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprint(Config{Shop: "x", AccessToken: token})} {
		if strings.Contains(s, token) {
			t.Errorf("%q shows the token", s)
		}
	}
}

func TestSearchQuery(t *testing.T) {
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	const def = "status:open AND (financial_status:paid OR financial_status:authorized) AND (fulfillment_status:unshipped OR fulfillment_status:partial)"
	tests := []struct {
		name string
		q    cart.OrderQuery
		want string
		err  bool
	}{
		{"default", cart.OrderQuery{}, def, false},
		{"window", cart.OrderQuery{UpdatedFrom: from, UpdatedTo: to},
			"updated_at:>='2025-01-01T00:00:00Z' AND updated_at:<'2025-01-02T00:00:00Z' AND " + def, false},
		{"window rounds outward", cart.OrderQuery{UpdatedFrom: from.Add(1500 * time.Millisecond), UpdatedTo: to.Add(time.Nanosecond)},
			"updated_at:>='2025-01-01T00:00:01Z' AND updated_at:<'2025-01-02T00:00:01Z' AND " + def, false},
		{"window in UTC", cart.OrderQuery{UpdatedFrom: from.In(time.FixedZone("X", 3600))},
			"updated_at:>='2025-01-01T00:00:00Z' AND " + def, false},
		{"cancelled", cart.OrderQuery{UpdatedFrom: from, UpdatedTo: to, Cancelled: true, Statuses: []string{"x"}},
			"updated_at:>='2025-01-01T00:00:00Z' AND updated_at:<'2025-01-02T00:00:00Z' AND (status:cancelled OR fulfillment_status:shipped)", false},
		{"statuses", cart.OrderQuery{Statuses: []string{"financial_status:pending", "status:open", "financial_status:PAID", "financial_status:paid"}},
			"(financial_status:pending OR financial_status:paid) AND status:open", false},
		{"empty statuses", cart.OrderQuery{Statuses: []string{}}, "", true},
		{"unknown field", cart.OrderQuery{Statuses: []string{"tag:x"}}, "", true},
		{"injection", cart.OrderQuery{Statuses: []string{"status:open OR status:any"}}, "", true},
		{"quote", cart.OrderQuery{Statuses: []string{"status:'open'"}}, "", true},
		{"no colon", cart.OrderQuery{Statuses: []string{"paid"}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := searchQuery(tt.q)
			if tt.err {
				var ce *cart.Error
				if !errors.As(err, &ce) || ce.Temporary {
					t.Errorf("searchQuery = %q, %v; want a permanent *cart.Error", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("searchQuery =\n  %q, %v\nwant\n  %q", got, err, tt.want)
			}
		})
	}
}

func TestPagingReturnsImportableOnce(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{})
	sim.Seed(1000, 42)
	got := carttest.Orders(t, c, everything())
	want := sim.Importable()
	if len(want) < 500 {
		t.Fatalf("only %d of 1000 seeded orders are importable", len(want))
	}
	if g := carttest.IDs(got); !slices.Equal(sorted(g), sorted(want)) {
		t.Fatalf("paged %d orders (%d distinct); want the %d importable ones", len(g), len(slices.Compact(sorted(g))), len(want))
	}
	for i, o := range got {
		s, _ := sim.Order(o.ExternalID)
		if o.Number != s.Name || o.Total != s.Total || o.Currency != "USD" || !slices.Equal(o.Lines, s.Lines) ||
			!o.UpdatedAt.Equal(s.UpdatedAt) || !o.CreatedAt.Equal(s.CreatedAt) || !slices.Equal(o.Tags, s.Tags) {
			t.Errorf("order %s = %+v; simulator has %+v", o.ExternalID, o, s)
		}
		if o.Filter != cart.AwaitingFulfillment || !strings.HasPrefix(o.CartStatus, "open/") {
			t.Errorf("importable order %s: filter %s, status %s", o.ExternalID, o.Filter, o.CartStatus)
		}
		if i > 0 && o.UpdatedAt.Before(got[i-1].UpdatedAt) {
			t.Errorf("order %s updated before the one before it", o.ExternalID)
		}
	}
}

func TestCancelledQuery(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{})
	sim.Seed(300, 5)
	for _, id := range sim.Importable()[:7] {
		if err := sim.CancelOrder(id); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range sim.Importable()[:5] {
		if err := sim.FulfillOrder(id); err != nil {
			t.Fatal(err)
		}
	}
	// The query returns the orders that left awaiting fulfillment:
	// cancelled or shipped.
	var want []string
	for _, o := range sim.Orders() {
		if !o.CancelledAt.IsZero() || o.FulfillmentStatus == "FULFILLED" {
			want = append(want, o.ID)
		}
	}
	q := everything()
	q.Cancelled = true
	got := carttest.Orders(t, c, q)
	if !slices.Equal(sorted(carttest.IDs(got)), sorted(want)) {
		t.Errorf("cancelled query returned %v; want %v", sorted(carttest.IDs(got)), sorted(want))
	}
	shipped := 0
	for _, o := range got {
		switch {
		case o.Filter == cart.Cancelled && strings.HasPrefix(o.CartStatus, "cancelled/"):
		case o.Filter == cart.Shipped:
			shipped++
		default:
			t.Errorf("order %s: filter %s, status %s", o.ExternalID, o.Filter, o.CartStatus)
		}
	}
	if shipped < 5 {
		t.Errorf("%d shipped orders in the query, want at least the 5 fulfilled", shipped)
	}
}

func TestWindowBounds(t *testing.T) {
	carttest.OrderWindow(t, func(t *testing.T, now func() time.Time) carttest.WindowEnv {
		sim, c := newSim(t, shopifysim.Options{Now: now})
		return carttest.WindowEnv{Source: c, CreateOrder: func() string { return sim.CreateOrder(nil) }, Requests: func() int { return sim.Stats().Requests }}
	})
}

func TestStatusMapping(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{})
	sim.Seed(400, 9)
	got := carttest.Orders(t, c, cart.OrderQuery{Statuses: []string{"status:any"}})
	if len(got) != 400 {
		t.Fatalf("status:any returned %d of 400 orders", len(got))
	}
	seen := map[string]bool{}
	for _, o := range got {
		s, _ := sim.Order(o.ExternalID)
		state := "open"
		want := cart.AwaitingFulfillment
		switch {
		case !s.CancelledAt.IsZero():
			state, want = "cancelled", cart.Cancelled
		case s.Closed:
			state = "closed"
		}
		if want != cart.Cancelled && s.FulfillmentStatus == shopifysim.Fulfilled {
			want = cart.Shipped
		}
		status := state + "/" + strings.ToLower(s.FinancialStatus) + "/" + strings.ToLower(s.FulfillmentStatus)
		if o.Filter != want || o.CartStatus != status {
			t.Errorf("order %s: %s %s; want %s %s", o.ExternalID, o.Filter, o.CartStatus, want, status)
		}
		seen[o.CartStatus] = true
	}
	for _, s := range []string{"open/paid/unfulfilled", "open/authorized/partially_fulfilled", "closed/paid/fulfilled",
		"cancelled/voided/unfulfilled", "open/pending/unfulfilled", "closed/refunded/unfulfilled"} {
		if !seen[s] {
			t.Errorf("no %s order among the seeded ones", s)
		}
	}

	pending := carttest.Orders(t, c, cart.OrderQuery{Statuses: []string{"financial_status:pending"}})
	for _, o := range pending {
		if !strings.Contains(o.CartStatus, "/pending/") {
			t.Errorf("financial_status:pending returned %s", o.CartStatus)
		}
	}
	if len(pending) == 0 {
		t.Error("financial_status:pending returned nothing")
	}
}

func TestOrderWithManyLines(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{})
	lines := make([]cart.Line, 523)
	for i := range lines {
		lines[i] = cart.Line{SKU: fmt.Sprintf("L%03d", i), Quantity: 1 + i%4}
	}
	id := sim.CreateOrder(lines)
	sim.CreateOrder(nil)
	got := carttest.Orders(t, c, cart.OrderQuery{})
	if len(got) != 2 || got[0].ExternalID != id {
		t.Fatalf("got %v", carttest.IDs(got))
	}
	if !slices.Equal(got[0].Lines, lines) {
		t.Errorf("got %d lines; want the order's %d in order", len(got[0].Lines), len(lines))
	}
	if n := sim.Stats().Served; n != 1+3 {
		t.Errorf("%d queries; want one page and three of lines", n)
	}
}

func TestAuthFailure(t *testing.T) {
	sim := shopifysim.New(shopifysim.Options{AccessToken: "the-right-token"})
	c := newClient(t, serve(t, sim), token)
	_, err := c.Orders(t.Context(), cart.OrderQuery{})
	if !errors.Is(err, cart.ErrAuth) {
		t.Fatalf("err = %v; want cart.ErrAuth", err)
	}
	var ce *cart.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized || ce.Temporary {
		t.Errorf("err = %#v; want a permanent 401 *cart.Error", err)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "the-right-token") {
		t.Errorf("error %q shows a token", err)
	}
	if n := sim.Stats().Requests; n != 1 {
		t.Errorf("%d requests; a refused token must not be retried", n)
	}
}

func TestThrottleStormIsWaitedOut(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{Plan: shopifysim.Standard})
	sim.CreateOrder(nil)
	sim.SetFaults(shopifysim.Faults{Throttle: 6})
	p, err := c.Orders(t.Context(), cart.OrderQuery{})
	if err != nil || len(p.Orders) != 1 {
		t.Fatalf("Orders = %v, %v", p, err)
	}
	if n := sim.Stats().Faults.Throttle; n != 6 {
		t.Errorf("%d THROTTLED answers; want 6", n)
	}
}

func TestPacingFollowsTheBucket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A bucket that starts empty and restores fast enough for a test: the
		// first query may be THROTTLED (the client knows nothing yet), then the
		// client paces itself and is never throttled again.
		sim, c := inMemory(t, shopifysim.Options{
			Plan:       shopifysim.Plan{MaximumAvailable: 2000, RestoreRate: 2000},
			StartEmpty: true,
		})
		sim.Seed(400, 11)
		got := carttest.Orders(t, c, everything())
		if len(got) != len(sim.Importable()) {
			t.Errorf("got %d orders; want %d", len(got), len(sim.Importable()))
		}
		st := sim.Stats()
		if st.Throttled > 1 {
			t.Errorf("throttled %d times; want at most the first, blind query", st.Throttled)
		}
		if st.ActualCost < 1000 {
			t.Errorf("the import cost %v points; too few to test pacing", st.ActualCost)
		}
	})
}

func TestTemporaryFailuresAreRetried(t *testing.T) {
	tests := []struct {
		name   string
		faults shopifysim.Faults
		count  func(shopifysim.FaultCounts) int
		want   int
	}{
		{"5xx", shopifysim.Faults{ServerErrors: 3}, func(f shopifysim.FaultCounts) int { return f.ServerErrors }, 3},
		{"dropped connections", shopifysim.Faults{Drop: 3}, func(f shopifysim.FaultCounts) int { return f.Drop }, 3},
		{"slow response", shopifysim.Faults{Slow: 2, Delay: time.Minute}, func(f shopifysim.FaultCounts) int { return f.Slow }, 2},
		{"mixed", shopifysim.Faults{Drop: 1, ServerErrors: 1, Slow: 1, Delay: time.Minute, Throttle: 2},
			func(f shopifysim.FaultCounts) int { return f.Drop + f.ServerErrors + f.Slow + f.Throttle }, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// In a bubble: the attempt timeout is fake time, so a loaded
			// machine cannot make a healthy attempt time out too.
			synctest.Test(t, func(t *testing.T) {
				sim, c := inMemory(t, shopifysim.Options{})
				c.retry.AttemptTimeout = 200 * time.Millisecond
				sim.CreateOrder(nil)
				sim.SetFaults(tt.faults)
				p, err := c.Orders(t.Context(), cart.OrderQuery{})
				if err != nil || len(p.Orders) != 1 {
					t.Fatalf("Orders = %+v, %v", p, err)
				}
				if got := tt.count(sim.Stats().Faults); got != tt.want {
					t.Errorf("%d faults injected; want %d", got, tt.want)
				}
			})
		})
	}
}

func TestTemporaryFailuresGiveUp(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{})
	sim.SetFaults(shopifysim.Faults{ServerErrors: 100})
	_, err := c.Orders(t.Context(), cart.OrderQuery{})
	var ce *cart.Error
	if !errors.As(err, &ce) || !ce.Temporary || (ce.Status != 502 && ce.Status != 503) {
		t.Fatalf("err = %v; want a temporary 5xx *cart.Error", err)
	}
	if !strings.Contains(ce.Message, "temporarily unavailable") {
		t.Errorf("message %q", ce.Message)
	}
	if n := sim.Stats().Faults.ServerErrors; n != fastRetry.Attempts {
		t.Errorf("%d attempts; want %d", n, fastRetry.Attempts)
	}

	sim.SetFaults(shopifysim.Faults{Drop: 100})
	_, err = c.Orders(t.Context(), cart.OrderQuery{})
	if !errors.As(err, &ce) || !ce.Temporary || ce.Status != 0 || strings.Contains(err.Error(), token) {
		t.Errorf("err = %v; want a temporary transport *cart.Error", err)
	}
}

func TestRateLimitedAtDeadline(t *testing.T) {
	// One point a second: a page needs 752 of them.
	sim, c := newSim(t, shopifysim.Options{
		Plan:       shopifysim.Plan{MaximumAvailable: 2000, RestoreRate: 1},
		StartEmpty: true,
	})
	sim.CreateOrder(nil)
	for _, name := range []string{"throttled", "paced"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			_, err := c.Orders(ctx, cart.OrderQuery{})
			var rl *cart.RateLimitedError
			if !errors.As(err, &rl) {
				t.Fatalf("err = %v; want *cart.RateLimitedError", err)
			}
			if rl.RetryAfter < 700*time.Second || rl.RetryAfter > 760*time.Second {
				t.Errorf("RetryAfter = %v; want about 752s", rl.RetryAfter)
			}
			if ctx.Err() != nil {
				t.Errorf("the connector waited until the deadline")
			}
		})
	}
	if st := sim.Stats(); st.Throttled != 1 {
		t.Errorf("throttled %d times; the second call should have known better than to send", st.Throttled)
	}
}

func TestCancelledContext(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{})
	sim.SetFaults(shopifysim.Faults{Slow: 1, Delay: time.Minute})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := c.Orders(ctx, cart.OrderQuery{})
		done <- err
	}()
	testkit.WaitFor(t, "the slow answer to begin", func() bool { return sim.Stats().Faults.Slow > 0 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v; want context.Canceled", err)
	}
}

// stub answers every request with the next of its canned responses.
type stub struct {
	calls     atomic.Int32
	responses []func(w http.ResponseWriter)
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(s.calls.Add(1)) - 1
	s.responses[min(n, len(s.responses)-1)](w)
}

func reply(status int, body string, headers ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

const emptyPage = `{"data":{"orders":{"pageInfo":{"hasNextPage":false,"endCursor":null},"nodes":[]}},"extensions":{"cost":{"requestedQueryCost":752,"actualQueryCost":2,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":1998,"restoreRate":100}}}}`

func TestResponseHandling(t *testing.T) {
	tests := []struct {
		name      string
		responses []func(http.ResponseWriter)
		calls     int
		check     func(t *testing.T, err error)
	}{
		{"graphql error", []func(http.ResponseWriter){
			reply(200, `{"errors":[{"message":"Field 'x' doesn't exist on type 'Order'","extensions":{"code":"undefinedField"}}]}`),
		}, 1, func(t *testing.T, err error) {
			var ce *cart.Error
			if !errors.As(err, &ce) || ce.Temporary || ce.Message != "Field 'x' doesn't exist on type 'Order'" {
				t.Errorf("err = %v; want a permanent *cart.Error with Shopify's message", err)
			}
		}},
		{"missing scope", []func(http.ResponseWriter){
			reply(200, `{"errors":[{"message":"Access denied for orders field. Required access: `+"`read_orders`"+` access scope.","extensions":{"code":"ACCESS_DENIED"}}]}`),
		}, 1, func(t *testing.T, err error) {
			if !errors.Is(err, cart.ErrAuth) {
				t.Errorf("err = %v; want cart.ErrAuth", err)
			}
		}},
		{"forbidden", []func(http.ResponseWriter){reply(403, `{"errors":"Forbidden"}`)}, 1, func(t *testing.T, err error) {
			if !errors.Is(err, cart.ErrAuth) {
				t.Errorf("err = %v; want cart.ErrAuth", err)
			}
		}},
		{"internal error retried", []func(http.ResponseWriter){
			reply(200, `{"errors":[{"message":"Internal error. Looks like something went wrong on our end.","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`),
			reply(200, emptyPage),
		}, 2, func(t *testing.T, err error) {
			if err != nil {
				t.Error(err)
			}
		}},
		{"garbage retried", []func(http.ResponseWriter){reply(200, `<html>`), reply(200, emptyPage)}, 2, func(t *testing.T, err error) {
			if err != nil {
				t.Error(err)
			}
		}},
		{"429 honoured", []func(http.ResponseWriter){reply(429, `{"errors":"Exceeded 2 calls per second"}`, "Retry-After", "0.01"), reply(200, emptyPage)}, 2,
			func(t *testing.T, err error) {
				if err != nil {
					t.Error(err)
				}
			}},
		{"shop frozen", []func(http.ResponseWriter){reply(402, `{"errors":"Unavailable Shop"}`)}, 1, func(t *testing.T, err error) {
			var ce *cart.Error
			if !errors.As(err, &ce) || ce.Temporary || ce.Status != 402 || !strings.Contains(ce.Message, "Unavailable Shop") {
				t.Errorf("err = %v", err)
			}
		}},
		{"malformed order", []func(http.ResponseWriter){
			reply(200, `{"data":{"orders":{"pageInfo":{"hasNextPage":false},"nodes":[{"legacyResourceId":"abc","updatedAt":"2025-01-01T00:00:00Z"}]}}}`),
		}, 1, func(t *testing.T, err error) {
			if !errors.Is(err, cart.ErrMalformed) {
				t.Errorf("err = %v; want cart.ErrMalformed", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &stub{responses: tt.responses}
			c := newClient(t, serve(t, s), token)
			_, err := c.Orders(t.Context(), cart.OrderQuery{})
			tt.check(t, err)
			if n := int(s.calls.Load()); n != tt.calls {
				t.Errorf("%d requests; want %d", n, tt.calls)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var leaked atomic.Bool
	elsewhere := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("X-Shopify-Access-Token") != "")
		w.Write([]byte(emptyPage))
	}))
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	c := newClient(t, url, token)
	_, err := c.Orders(t.Context(), cart.OrderQuery{})
	var ce *cart.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusTemporaryRedirect {
		t.Errorf("err = %v; want a *cart.Error for the redirect", err)
	}
	if leaked.Load() {
		t.Error("the token followed the redirect")
	}
}

// The pacing constants must be what Shopify charges for the documents.
func TestRequestedCostConstants(t *testing.T) {
	sim, c := newSim(t, shopifysim.Options{})
	sim.CreateOrder(make([]cart.Line, linesPerOrder+1))
	if _, err := c.Orders(t.Context(), cart.OrderQuery{}); err != nil {
		t.Fatal(err)
	}
	if got, want := sim.Stats().RequestedCost, float64(ordersQueryCost+orderLinesQueryCost); got != want {
		t.Errorf("requested %v points; the constants say %v", got, want)
	}
}
