package squarespace

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/clock"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
)

const apiKey = "sqsp_test_secret_key"

// fastRetry keeps the retry policy's shape with test-sized durations; the
// cool-down stays a minute, which tests spend on a fake clock.
var fastRetry = retryPolicy{
	Retry:          carttest.Retry,
	coolDown:       time.Minute,
	coolDownMargin: time.Second,
	maxThrottles:   30,
}

func newFakeClock() *clock.Fake { return clock.NewFake(time.Now().Truncate(time.Millisecond)) }

func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

// newSim serves a simulator (no rate limit unless opts sets one) and
// returns it with a client that does not pace.
func newSim(t *testing.T, opts squarespacesim.Options) (*squarespacesim.Server, *Client) {
	t.Helper()
	opts.APIKey = apiKey
	if opts.PerMinute == 0 {
		opts.PerMinute = -1
	}
	sim := squarespacesim.New(opts)
	return sim, newClient(t, serve(t, sim), apiKey)
}

// newClient returns a client with a private pacer that does not pace and
// fast retries.
func newClient(t testing.TB, base, key string) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: base, APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	c.retry = fastRetry
	c.pace = &pacer{lim: rate.NewLimiter(rate.Inf, 1)}
	return c
}

// onClock makes c pace at the real rate and wait on clk.
func onClock(c *Client, clk *clock.Fake) {
	c.clock = clk
	c.pace = newPacer()
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// window holds every seeded order.
func window(now time.Time) cart.OrderQuery {
	return cart.OrderQuery{UpdatedFrom: now.AddDate(0, 0, -60), UpdatedTo: now.Add(time.Hour)}
}

func TestNew(t *testing.T) {
	tests := []struct {
		cfg  Config
		base string // "" means New fails
		ua   string
	}{
		{Config{APIKey: "k"}, "https://api.squarespace.com", DefaultUserAgent},
		{Config{APIKey: "k", BaseURL: "http://127.0.0.1:9/", UserAgent: "Mine/2.0"}, "http://127.0.0.1:9", "Mine/2.0"},
		{Config{APIKey: "k", BaseURL: "http://localhost:9"}, "http://localhost:9", DefaultUserAgent},
		{Config{APIKey: "k", BaseURL: "https://sqsp.example/api"}, "https://sqsp.example/api", DefaultUserAgent},
		{Config{APIKey: "k", BaseURL: "http://sqsp.example"}, "", ""},
		{Config{APIKey: "k", BaseURL: "ftp://127.0.0.1"}, "", ""},
		{Config{APIKey: "k", BaseURL: "https://x/?a=b"}, "", ""},
		{Config{APIKey: "k", BaseURL: "https://user:pw@x"}, "", ""},
		{Config{}, "", ""},
		{Config{APIKey: "  "}, "", ""},
		{Config{APIKey: "k\r\nX-Evil: 1"}, "", ""},
		{Config{APIKey: "k", UserAgent: "bad\nagent"}, "", ""},
	}
	for _, tt := range tests {
		c, err := New(tt.cfg)
		switch {
		case tt.base == "" && err == nil:
			t.Errorf("New(%v) succeeded; want an error", tt.cfg)
		case tt.base != "" && err != nil:
			t.Errorf("New(%v): %v", tt.cfg, err)
		case err == nil && (c.base != tt.base || c.ua != tt.ua):
			t.Errorf("New(%v) = %s, %q; want %s, %q", tt.cfg, c.base, c.ua, tt.base, tt.ua)
		}
		if err != nil && len(tt.cfg.APIKey) > 3 && strings.Contains(err.Error(), tt.cfg.APIKey) {
			t.Errorf("error %q contains the key", err)
		}
	}
	c, _ := New(Config{APIKey: apiKey})
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprint(Config{APIKey: apiKey})} {
		if strings.Contains(s, apiKey) {
			t.Errorf("%q shows the key", s)
		}
	}
	// Clients of one site share a pacer; of another site or key, not.
	a, _ := New(Config{APIKey: "k1", BaseURL: "http://127.0.0.1:1"})
	b, _ := New(Config{APIKey: "k1", BaseURL: "http://127.0.0.1:1"})
	d, _ := New(Config{APIKey: "k2", BaseURL: "http://127.0.0.1:1"})
	if a.pace != b.pace || a.pace == d.pace {
		t.Error("pacers are not shared per site and key")
	}
}

func TestOrdersImportable(t *testing.T) {
	sim, c := newSim(t, squarespacesim.Options{})
	sim.Seed(600, 3)
	now := time.Now()
	statusIDs := func(statuses ...string) []string {
		var out []string
		for _, s := range statuses {
			out = append(out, sim.WithStatus(s)...)
		}
		return out
	}
	tests := []struct {
		name   string
		q      cart.OrderQuery
		want   []string
		filter cart.Filter
	}{
		{"default", window(now), sim.Importable(), cart.AwaitingFulfillment},
		{"fulfilled", func() cart.OrderQuery { q := window(now); q.Statuses = []string{"fulfilled"}; return q }(),
			statusIDs(squarespacesim.Fulfilled), cart.Shipped},
		{"two statuses", func() cart.OrderQuery {
			q := window(now)
			q.Statuses = []string{"PENDING", "FULFILLED", "PENDING"}
			return q
		}(),
			statusIDs(squarespacesim.Pending, squarespacesim.Fulfilled), ""},
		{"all statuses", func() cart.OrderQuery { q := window(now); q.Statuses = Statuses(); return q }(),
			statusIDs(squarespacesim.Pending, squarespacesim.Fulfilled, squarespacesim.Canceled), ""},
		{"cancelled", func() cart.OrderQuery {
			q := window(now)
			q.Cancelled = true
			q.Statuses = []string{"PENDING"}
			return q
		}(),
			statusIDs(squarespacesim.Canceled), cart.Cancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := carttest.Orders(t, c, tt.q)
			if g, w := sorted(carttest.IDs(got)), sorted(tt.want); !slices.Equal(g, w) {
				t.Fatalf("imported %d orders, want %d", len(g), len(w))
			}
			for _, o := range got {
				if tt.filter != "" && o.Filter != tt.filter {
					t.Errorf("order %s: filter %s", o.ExternalID, o.Filter)
				}
				so, _ := sim.Order(o.ExternalID)
				if o.CartStatus != so.Status || o.Number != so.Number || !o.UpdatedAt.Equal(so.ModifiedOn) ||
					!slices.Equal(o.Lines, so.Lines) || o.Currency != "USD" || o.Total == "" {
					t.Errorf("order %s = %+v; simulator has %+v", o.ExternalID, o, so)
				}
			}
		})
	}
	if len(sim.Importable()) <= 2*50 {
		t.Errorf("only %d importable orders; the test wants several pages", len(sim.Importable()))
	}
}

func TestOrdersWindowEdges(t *testing.T) {
	clk := newFakeClock()
	sim, c := newSim(t, squarespacesim.Options{Now: clk.Now})
	c.clock = clk
	t0 := clk.Now()
	var created []string
	for range 3 {
		created = append(created, sim.CreateOrder(nil))
		clk.Add(time.Second)
	}
	tests := []struct {
		from, to time.Time
		want     []string
	}{
		{t0, t0.Add(2 * time.Second), created[:2]}, // from is inclusive, to exclusive
		{t0.Add(time.Millisecond), t0.Add(3 * time.Second), created[1:]},
		{t0.Add(time.Second), t0.Add(time.Second), nil}, // empty window: no request
		{t0.Add(2 * time.Second), t0.Add(time.Second), nil},
		{time.Time{}, t0.Add(time.Second), created[:1]}, // open start
		{t0.Add(time.Second), time.Time{}, created[1:]}, // open end
	}
	for i, tt := range tests {
		got := carttest.IDs(carttest.Orders(t, c, cart.OrderQuery{UpdatedFrom: tt.from, UpdatedTo: tt.to}))
		if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("%d: got %v, want %v", i, got, tt.want)
		}
	}
}

// recorder wraps a handler and records each request's query and headers.
type recorder struct {
	h    http.Handler
	mu   sync.Mutex
	reqs []*http.Request
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Clone(context.Background()))
	r.mu.Unlock()
	r.h.ServeHTTP(w, req)
}

func (r *recorder) requests() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

func TestCursorOrWindowNeverBoth(t *testing.T) {
	sim := squarespacesim.New(squarespacesim.Options{APIKey: apiKey, PerMinute: -1, SKUs: skus(200)})
	sim.Seed(400, 5)
	rec := &recorder{h: sim}
	c := newClient(t, serve(t, rec), apiKey)
	now := time.Now()
	orders := carttest.Orders(t, c, window(now))
	var listings int
	for q := (cart.ListingQuery{UpdatedFrom: now.AddDate(0, 0, -60), UpdatedTo: now}); ; {
		p, err := c.Listings(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		listings += len(p.Listings)
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if len(orders) != len(sim.Importable()) || listings != 200 {
		t.Fatalf("%d orders, %d listings", len(orders), listings)
	}
	firsts := map[string]int{}
	for _, r := range rec.requests() {
		q := r.URL.Query()
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range q {
				if !yield(k) {
					return
				}
			}
		})
		switch {
		case q.Has("cursor"):
			if len(keys) != 1 || len(q["cursor"]) != 1 {
				t.Errorf("%s: a cursor with other parameters: %v", r.URL.Path, keys)
			}
		case r.URL.Path == ordersPath:
			firsts[r.URL.Path]++
			if !slices.Equal(keys, []string{"fulfillmentStatus", "modifiedAfter", "modifiedBefore"}) || q.Get("fulfillmentStatus") != "PENDING" {
				t.Errorf("first orders page: %v", q)
			}
		case r.URL.Path == productsPath:
			firsts[r.URL.Path]++
			if !slices.Equal(keys, []string{"modifiedAfter", "modifiedBefore", "type"}) || q.Get("type") != "PHYSICAL" {
				t.Errorf("first products page: %v", q)
			}
		default:
			t.Errorf("unexpected request %s", r.URL)
		}
		for _, k := range []string{"modifiedAfter", "modifiedBefore"} {
			if v := q.Get(k); v != "" && !strings.HasSuffix(v, "Z") {
				t.Errorf("%s %q is not UTC", k, v)
			}
		}
	}
	if firsts[ordersPath] != 1 || firsts[productsPath] != 1 || len(rec.requests()) < 6 {
		t.Errorf("first pages %v of %d requests", firsts, len(rec.requests()))
	}
	if st := sim.Stats(); st.BadRequests != 0 {
		t.Errorf("the simulator refused %d requests", st.BadRequests)
	}
}

func TestAuthAndUserAgent(t *testing.T) {
	sim := squarespacesim.New(squarespacesim.Options{APIKey: apiKey, PerMinute: -1})
	rec := &recorder{h: sim}
	base := serve(t, rec)
	good := newClient(t, base, apiKey)
	bad := newClient(t, base, "sqsp_revoked")
	link := sim.Links()["SKU-0001"]
	calls := []struct {
		name string
		call func(c *Client) error
	}{
		{"orders", func(c *Client) error { _, err := c.Orders(t.Context(), window(time.Now())); return err }},
		{"order", func(c *Client) error { _, err := c.Order(t.Context(), "5f0000000000000000000001"); return err }},
		{"listings", func(c *Client) error { _, err := c.Listings(t.Context(), cart.ListingQuery{}); return err }},
		{"stock", func(c *Client) error {
			_, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "SKU-0001", Link: link, Quantity: 4}})
			return err
		}},
	}
	for _, tt := range calls {
		err := tt.call(bad)
		var ce *cart.Error
		if !errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || ce.Status != 401 || ce.Temporary {
			t.Errorf("%s with a revoked key: %v", tt.name, err)
		}
		if err != nil && strings.Contains(err.Error(), "sqsp_revoked") {
			t.Errorf("%s: the error shows the key: %v", tt.name, err)
		}
	}
	if err := calls[0].call(good); err != nil {
		t.Errorf("orders with the key: %v", err)
	}
	for _, r := range rec.requests() {
		if r.UserAgent() != DefaultUserAgent || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			t.Errorf("request %s: User-Agent %q", r.URL, r.UserAgent())
		}
	}
	if st := sim.Stats(); st.Unauthorized != len(calls) || st.NoUserAgent != 0 {
		t.Errorf("stats %+v", st)
	}

	// A custom User-Agent is sent as given.
	c, _ := New(Config{BaseURL: base, APIKey: apiKey, UserAgent: "Acme-Sync/3.1 (ops@acme.example)"})
	c.pace = &pacer{lim: rate.NewLimiter(rate.Inf, 1)}
	if _, err := c.Orders(t.Context(), window(time.Now())); err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	if ua := reqs[len(reqs)-1].UserAgent(); ua != "Acme-Sync/3.1 (ops@acme.example)" {
		t.Errorf("custom User-Agent sent as %q", ua)
	}

	// 403 (a key without the scope) is an auth failure too.
	forbidden := newClient(t, serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(403)
		fmt.Fprint(w, `{"type":"AUTHORIZATION_ERROR","subtype":null,"message":"scope","details":null,"contextId":"X"}`)
	})), apiKey)
	if _, err := forbidden.Orders(t.Context(), window(time.Now())); !errors.Is(err, cart.ErrAuth) {
		t.Errorf("403: %v", err)
	}
}

func TestOrder(t *testing.T) {
	sim, c := newSim(t, squarespacesim.Options{})
	id := sim.CreateOrder([]cart.Line{{SKU: "SKU-0003", Quantity: 2}})
	o, err := c.Order(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if o.ExternalID != id || o.Filter != cart.AwaitingFulfillment || !slices.Equal(o.Lines, []cart.Line{{SKU: "SKU-0003", Quantity: 2}}) {
		t.Errorf("order %+v", o)
	}
	for _, bad := range []string{"5f00000000000000000fffff", "../orders", ""} {
		var ce *cart.Error
		if _, err := c.Order(t.Context(), bad); !errors.Is(err, cart.ErrNotFound) || !errors.As(err, &ce) {
			t.Errorf("Order(%q): %v", bad, err)
		}
	}
}

func TestBadStatuses(t *testing.T) {
	_, c := newSim(t, squarespacesim.Options{})
	for _, st := range [][]string{{}, {"SHIPPED"}, {"PENDING", "open"}} {
		q := window(time.Now())
		q.Statuses = st
		var ce *cart.Error
		if _, err := c.Orders(t.Context(), q); !errors.As(err, &ce) {
			t.Errorf("statuses %v: %v", st, err)
		}
	}
	if !slices.Equal(DefaultStatuses(), []string{"PENDING"}) || len(Statuses()) != 3 {
		t.Errorf("Statuses() = %v, DefaultStatuses() = %v", Statuses(), DefaultStatuses())
	}
	for _, s := range DefaultStatuses() {
		if !slices.Contains(Statuses(), s) {
			t.Errorf("default %s not in Statuses()", s)
		}
	}
}

func skus(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("SKU-%05d", i)
	}
	return out
}

func TestListings(t *testing.T) {
	clk := newFakeClock()
	sim, c := newSim(t, squarespacesim.Options{Now: clk.Now, SKUs: skus(130)})
	c.clock = clk
	all := func(q cart.ListingQuery) []cart.Listing {
		var out []cart.Listing
		for {
			p, err := c.Listings(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Listings...)
			if p.Next == "" {
				return out
			}
			q.Cursor = p.Next
		}
	}
	got := all(cart.ListingQuery{})
	links, qty := sim.Links(), sim.Quantities()
	if len(got) != 130 {
		t.Fatalf("%d listings, want 130 (the service product's variant left out)", len(got))
	}
	multi := 0
	for _, l := range got {
		if l.Link != links[l.SKU] || l.Quantity == nil || *l.Quantity != qty[l.SKU] || len(l.Images) == 0 ||
			l.Price == "" || l.UpdatedAt.IsZero() || !strings.HasPrefix(l.Images[0], "https://") {
			t.Errorf("listing %+v", l)
		}
		if strings.Contains(l.Name, " - ") {
			multi++
		}
	}
	if multi == 0 {
		t.Error("no variant carries its attributes in its name")
	}
	clk.Add(time.Hour)
	sim.TouchProduct("SKU-00010")
	recent := all(cart.ListingQuery{UpdatedFrom: clk.Now().Add(-time.Minute), UpdatedTo: clk.Now().Add(time.Minute)})
	if len(recent) == 0 || !slices.ContainsFunc(recent, func(l cart.Listing) bool { return l.SKU == "SKU-00010" }) {
		t.Errorf("after a touch: %+v", recent)
	}
	for _, l := range recent {
		if l.Link.ProductID != links["SKU-00010"].ProductID {
			t.Errorf("listing of an untouched product in the window: %s", l.SKU)
		}
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		faults    squarespacesim.Faults
		temporary bool // the call fails with a temporary *cart.Error
	}{
		{"5xx then success", squarespacesim.Faults{ServerErrors: 3}, false},
		{"drop then success", squarespacesim.Faults{Drop: 2}, false},
		{"slow then success", squarespacesim.Faults{Slow: 1, Delay: 300 * time.Millisecond}, false},
		{"5xx past the retries", squarespacesim.Faults{ServerErrors: 4}, true},
		{"drops past the retries", squarespacesim.Faults{Drop: 4}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// In a bubble: the attempt timeout is fake time, so a loaded
			// machine cannot make a healthy attempt time out too.
			synctest.Test(t, func(t *testing.T) {
				sim := squarespacesim.New(squarespacesim.Options{APIKey: apiKey, PerMinute: -1})
				c := inMemoryClient(t, sim)
				c.retry.AttemptTimeout = 100 * time.Millisecond
				sim.Seed(30, 1)
				sim.SetFaults(tt.faults)
				_, err := c.Orders(t.Context(), window(time.Now()))
				var ce *cart.Error
				switch {
				case tt.temporary && (!errors.As(err, &ce) || !ce.Temporary):
					t.Errorf("err = %v; want a temporary *cart.Error", err)
				case !tt.temporary && err != nil:
					t.Errorf("err = %v", err)
				}
				if err != nil && strings.Contains(err.Error(), apiKey) {
					t.Errorf("the error shows the key: %v", err)
				}
			})
		})
	}
}

func TestCoolDownWaitedOut(t *testing.T) {
	clk := newFakeClock()
	// Five requests a minute: a run of 9 pages must sit out cool-downs.
	sim := squarespacesim.New(squarespacesim.Options{APIKey: apiKey, Now: clk.Now, PerMinute: 5})
	sim.Seed(800, 11)
	c := newClient(t, serve(t, sim), apiKey)
	onClock(c, clk)
	start := clk.Now()
	got := carttest.Orders(t, c, window(start))
	if g, w := sorted(carttest.IDs(got)), sorted(sim.Importable()); !slices.Equal(g, w) {
		t.Fatalf("imported %d orders, want %d", len(g), len(w))
	}
	st := sim.Stats()
	if st.CoolDowns == 0 {
		t.Fatal("the limit was never hit; the test proves nothing")
	}
	// Each 429 was the one that tripped the limit: none was sent while the
	// API was cooling down.
	if st.RateLimited != st.CoolDowns {
		t.Errorf("%d 429s for %d cool-downs: requests were sent during a cool-down", st.RateLimited, st.CoolDowns)
	}
	if waited := clk.Now().Sub(start); waited < time.Duration(st.CoolDowns)*time.Minute {
		t.Errorf("%d cool-downs in %v", st.CoolDowns, waited)
	}
}

func TestRateLimitStorm(t *testing.T) {
	tests := []struct {
		name     string
		storm    int
		deadline time.Duration // 0: none
		limit    int           // maxThrottles
		wantRL   bool
	}{
		{"storm waited out", 3, 0, 30, false},
		{"cool-down past the deadline", 1, 30 * time.Second, 30, true},
		{"too many in a row", 4, 0, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			sim := squarespacesim.New(squarespacesim.Options{APIKey: apiKey, Now: clk.Now})
			sim.Seed(20, 1)
			c := newClient(t, serve(t, sim), apiKey)
			onClock(c, clk)
			c.retry.maxThrottles = tt.limit
			sim.SetFaults(squarespacesim.Faults{RateLimitStorm: tt.storm})
			ctx := t.Context()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, clk.Now().Add(tt.deadline))
				defer cancel()
			}
			_, err := c.Orders(ctx, window(clk.Now()))
			var rl *cart.RateLimitedError
			if tt.wantRL != errors.As(err, &rl) {
				t.Fatalf("err = %v", err)
			}
			if tt.wantRL && rl.RetryAfter < time.Minute {
				t.Errorf("RetryAfter %v", rl.RetryAfter)
			}
			if !tt.wantRL && clk.Slept() < time.Duration(tt.storm)*time.Minute {
				t.Errorf("waited %v for %d cool-downs", clk.Slept(), tt.storm)
			}
		})
	}
}

func TestPacing(t *testing.T) {
	clk := newFakeClock()
	sim := squarespacesim.New(squarespacesim.Options{APIKey: apiKey, Now: clk.Now})
	c := newClient(t, serve(t, sim), apiKey)
	onClock(c, clk)
	start := clk.Now()
	const n = 400 // 80 s at the connector's pace: more than the 60 s window
	for range n {
		if _, err := c.Listings(t.Context(), cart.ListingQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := clk.Now().Sub(start)
	if st := sim.Stats(); st.RateLimited != 0 {
		t.Fatalf("%d 429s at the connector's pace", st.RateLimited)
	}
	perMinute := float64(n-1) / elapsed.Minutes()
	if perMinute > requestsPerMinute || perMinute < 0.95*requestsPerMinute {
		t.Errorf("paced at %.1f requests a minute", perMinute)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"": 0, "90": 90 * time.Second, "-1": 0, "99999": 0, "soon": 0,
		now.Add(2 * time.Minute).Format(http.TimeFormat): 2 * time.Minute,
		now.Add(-time.Minute).Format(http.TimeFormat):    0,
	}
	for h, want := range tests {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %v; want %v", h, got, want)
		}
	}
}

func TestLoopbackOnlyOverHTTP(t *testing.T) {
	for _, base := range []string{"http://[::1]:8080", "http://127.0.0.2"} {
		if _, err := New(Config{APIKey: "k", BaseURL: base}); err != nil {
			t.Errorf("%s: %v", base, err)
		}
	}
	if _, err := New(Config{APIKey: "k", BaseURL: "http://10.0.0.1"}); err == nil {
		t.Error("plain http to a non-loopback host accepted")
	}
}

func TestWindowBounds(t *testing.T) {
	carttest.OrderWindow(t, func(t *testing.T, now func() time.Time) carttest.WindowEnv {
		sim, c := newSim(t, squarespacesim.Options{Now: now})
		return carttest.WindowEnv{Source: c, CreateOrder: func() string { return sim.CreateOrder(nil) }, Requests: func() int { return sim.Stats().Requests }}
	})
}
