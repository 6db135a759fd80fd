package etsy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/clock"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
)

// fastRetry keeps the retry policy's shape with test-sized durations.
var fastRetry = retryPolicy{
	Retry:            carttest.Retry,
	maxQuotaWait:     50 * time.Millisecond,
	unknownQuotaWait: time.Hour,
}

const (
	apiKey = "testkeystring"
	secret = "testsharedsecret"
	token  = "12345678.test_oauth_token"
	shopID = 27182818
)

// roomy limits never throttle functional tests.
const roomyQPS, roomyQPD = 100_000, 10_000_000

func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

func newSim(t testing.TB, opts etsysim.Options) (*etsysim.Server, *Client) {
	t.Helper()
	opts.APIKey, opts.SharedSecret, opts.Token, opts.ShopID = apiKey, secret, token, shopID
	if opts.QPS == 0 {
		opts.QPS = roomyQPS
	}
	if opts.QPD == 0 {
		opts.QPD = roomyQPD
	}
	sim := etsysim.New(opts)
	return sim, newClient(t, serve(t, sim), Config{APIKey: apiKey, SharedSecret: secret, Token: token})
}

func newClient(t testing.TB, url string, cfg Config) *Client {
	t.Helper()
	cfg.BaseURL = url
	if cfg.ShopID == "" {
		cfg.ShopID = fmt.Sprint(shopID)
	}
	c, err := New(cfg)
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

func dups(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if seen[x] {
			out = append(out, x)
		}
		seen[x] = true
	}
	return out
}

// everything is a window holding every seeded receipt.
func everything() cart.OrderQuery {
	now := time.Now()
	return cart.OrderQuery{UpdatedFrom: now.AddDate(0, 0, -60), UpdatedTo: now.Add(time.Hour)}
}

func TestNew(t *testing.T) {
	tests := []struct {
		cfg  Config
		base string // "" means New fails
	}{
		{Config{APIKey: "k", SharedSecret: "s", Token: "t", ShopID: "42"}, "https://api.etsy.com/v3/application"},
		{Config{APIKey: "k:s", Token: "t", ShopID: " 42 "}, "https://api.etsy.com/v3/application"},
		{Config{APIKey: "k", SharedSecret: "s", Token: "t", ShopID: "42", BaseURL: "http://127.0.0.1:9/"}, "http://127.0.0.1:9/v3/application"},
		{Config{APIKey: "k", SharedSecret: "s", Token: "t", ShopID: "42", BaseURL: "https://proxy.example/etsy"}, "https://proxy.example/etsy/v3/application"},
		{Config{APIKey: "k", SharedSecret: "s", Token: "t", ShopID: "42", BaseURL: "http://api.etsy.com"}, ""},
		{Config{APIKey: "k", SharedSecret: "s", Token: "t", ShopID: "42", BaseURL: "ftp://x"}, ""},
		{Config{APIKey: "k", SharedSecret: "s", Token: "t", ShopID: "42", BaseURL: "https://x/?a=b"}, ""},
		{Config{APIKey: "k", Token: "t", ShopID: "42"}, ""},        // no shared secret
		{Config{APIKey: "k:s:x", Token: "t", ShopID: "42"}, ""},    // two colons
		{Config{SharedSecret: "s", Token: "t", ShopID: "42"}, ""},  // no keystring
		{Config{APIKey: "k", SharedSecret: "s", ShopID: "42"}, ""}, // no token
		{Config{APIKey: "k", SharedSecret: "s", Token: "t a", ShopID: "42"}, ""},
		{Config{APIKey: "k", SharedSecret: "s", Token: "t", ShopID: "myshop"}, ""},
		{Config{APIKey: "k", SharedSecret: "s", Token: "t", ShopID: "0"}, ""},
		{Config{APIKey: "k", SharedSecret: "s", Token: "t"}, ""},
	}
	for _, tt := range tests {
		c, err := New(tt.cfg)
		switch {
		case tt.base == "" && err == nil:
			t.Errorf("New(%v) succeeded; want an error", tt.cfg)
		case tt.base != "" && err != nil:
			t.Errorf("New(%v): %v", tt.cfg, err)
		case err == nil && c.base != tt.base:
			t.Errorf("New(%v) base = %s; want %s", tt.cfg, c.base, tt.base)
		}
	}
	cfg := Config{APIKey: apiKey, SharedSecret: secret, Token: token, ShopID: "1"}
	c, _ := New(cfg)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg)} {
		if strings.Contains(s, secret) || strings.Contains(s, token) {
			t.Errorf("%q shows a secret", s)
		}
	}
}

func TestStatuses(t *testing.T) {
	all := Statuses()
	for _, s := range DefaultStatuses() {
		if !slices.Contains(all, s) {
			t.Errorf("default %q is not in Statuses()", s)
		}
	}
	tests := []struct {
		statuses []string
		want     string // encoded query; "" means an error
	}{
		{DefaultStatuses(), "was_canceled=false&was_paid=true&was_shipped=false"},
		{[]string{"was_shipped:true"}, "was_shipped=true"},
		{[]string{" WAS_PAID:TRUE ", "was_paid:true"}, "was_paid=true"},
		{[]string{"was_delivered:false", "was_canceled:true"}, "was_canceled=true&was_delivered=false"},
		{[]string{}, ""},
		{[]string{"was_paid:true", "was_paid:false"}, ""},
		{[]string{"paid"}, ""},
		{[]string{"was_paid:yes"}, ""},
		{[]string{"was_refunded:true"}, ""},
		{[]string{"was_paid:true&limit=1"}, ""},
	}
	for _, tt := range tests {
		v, err := statusParams(tt.statuses)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%q: accepted as %s", tt.statuses, v.Encode())
		case tt.want != "" && err != nil:
			t.Errorf("%q: %v", tt.statuses, err)
		case err == nil && v.Encode() != tt.want:
			t.Errorf("%q: %s; want %s", tt.statuses, v.Encode(), tt.want)
		}
		var ce *cart.Error
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("%q: error %T is not a *cart.Error", tt.statuses, err)
		}
	}
}

func TestOrdersImportsEachImportableOnce(t *testing.T) {
	sim, c := newSim(t, etsysim.Options{})
	sim.Seed(1500, 1)
	orders := carttest.Orders(t, c, everything())
	got := carttest.IDs(orders)
	if d := dups(got); len(d) > 0 {
		t.Errorf("%d receipts returned twice: %v", len(d), d[:min(5, len(d))])
	}
	want := sim.Importable()
	if len(want) < 500 {
		t.Fatalf("only %d importable receipts seeded", len(want))
	}
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Fatalf("imported %d receipts; want the %d importable ones", len(got), len(want))
	}
	byID := map[string]etsysim.Receipt{}
	for _, r := range sim.Receipts() {
		byID[r.ID] = r
	}
	prev := time.Time{}
	for _, o := range orders {
		r := byID[o.ExternalID]
		if o.Filter != cart.AwaitingFulfillment || o.Number != r.ID || o.CartStatus != r.Status {
			t.Errorf("order %s: filter %s number %s status %q; receipt %+v", o.ExternalID, o.Filter, o.Number, o.CartStatus, r)
		}
		if !o.UpdatedAt.Equal(r.UpdatedAt) || !o.CreatedAt.Equal(r.CreatedAt) {
			t.Errorf("order %s: times %s/%s; want %s/%s", o.ExternalID, o.CreatedAt, o.UpdatedAt, r.CreatedAt, r.UpdatedAt)
		}
		if !slices.Equal(o.Lines, r.Lines) || o.Total != r.Total || o.Currency != "USD" {
			t.Errorf("order %s: lines %v total %s %s; want %v %s", o.ExternalID, o.Lines, o.Total, o.Currency, r.Lines, r.Total)
		}
		if o.UpdatedAt.Before(prev) {
			t.Errorf("order %s updated %s before the order before it (%s)", o.ExternalID, o.UpdatedAt, prev)
		}
		prev = o.UpdatedAt
	}
	st := sim.Stats()
	pages := st.ByEndpoint["GET /shops/{shop_id}/receipts"]
	// Keyset pages re-read the receipts of the boundary second: allow one
	// page more than the minimum.
	if min := (len(want) + pageSize - 1) / pageSize; pages > min+1 {
		t.Errorf("%d requests for %d receipts; want at most %d", pages, len(want), min+1)
	}
}

func TestOrdersWindowAndCancels(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	sim, c := newSim(t, etsysim.Options{})
	sim.Seed(600, 2)
	from, to := now.Add(-10*24*time.Hour), now.Add(-3*24*time.Hour)
	tests := []struct {
		name string
		q    cart.OrderQuery
		want func(r etsysim.Receipt) bool
		f    func(r etsysim.Receipt) cart.Filter
	}{
		{"window", cart.OrderQuery{UpdatedFrom: from, UpdatedTo: to},
			func(r etsysim.Receipt) bool {
				return r.Paid && !r.Shipped && !r.Canceled && !r.UpdatedAt.Before(from) && r.UpdatedAt.Before(to)
			},
			func(etsysim.Receipt) cart.Filter { return cart.AwaitingFulfillment }},
		{"cancelled", cart.OrderQuery{UpdatedFrom: from, UpdatedTo: to, Cancelled: true},
			func(r etsysim.Receipt) bool { return r.Canceled && !r.UpdatedAt.Before(from) && r.UpdatedAt.Before(to) },
			func(etsysim.Receipt) cart.Filter { return cart.Cancelled }},
		{"shipped by statuses", cart.OrderQuery{UpdatedFrom: from, UpdatedTo: to, Statuses: []string{"was_shipped:true"}},
			func(r etsysim.Receipt) bool { return r.Shipped && !r.UpdatedAt.Before(from) && r.UpdatedAt.Before(to) },
			func(r etsysim.Receipt) cart.Filter {
				if r.Status == etsysim.StatusFullyRefunded {
					return cart.Cancelled
				}
				return cart.Shipped
			}},
		{"open window end", cart.OrderQuery{UpdatedFrom: to},
			func(r etsysim.Receipt) bool { return r.Paid && !r.Shipped && !r.Canceled && !r.UpdatedAt.Before(to) },
			func(etsysim.Receipt) cart.Filter { return cart.AwaitingFulfillment }},
		{"empty window", cart.OrderQuery{UpdatedFrom: to, UpdatedTo: to},
			func(etsysim.Receipt) bool { return false }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			byID := map[string]etsysim.Receipt{}
			for _, r := range sim.Receipts() {
				byID[r.ID] = r
				if tt.want(r) {
					want = append(want, r.ID)
				}
			}
			orders := carttest.Orders(t, c, tt.q)
			if got := carttest.IDs(orders); !slices.Equal(sorted(got), sorted(want)) || len(dups(got)) > 0 {
				t.Fatalf("got %d receipts; want %d", len(got), len(want))
			}
			if tt.name != "empty window" && len(want) == 0 {
				t.Fatal("the case selects no receipts")
			}
			for _, o := range orders {
				if f := tt.f(byID[o.ExternalID]); o.Filter != f {
					t.Errorf("order %s (%s): filter %s; want %s", o.ExternalID, o.CartStatus, o.Filter, f)
				}
			}
		})
	}
}

func TestOrdersCancelAfterImport(t *testing.T) {
	sim, c := newSim(t, etsysim.Options{})
	start := time.Now().Add(-time.Minute)
	var created []string
	for range 5 {
		created = append(created, sim.CreateOrder([]cart.Line{{SKU: "SKU-0001", Quantity: 1}}))
	}
	q := cart.OrderQuery{UpdatedFrom: start, UpdatedTo: time.Now().Add(time.Minute)}
	if got := carttest.IDs(carttest.Orders(t, c, q)); !slices.Equal(sorted(got), sorted(created)) {
		t.Fatalf("imported %v; want %v", got, created)
	}
	if err := sim.CancelOrder(created[1]); err != nil {
		t.Fatal(err)
	}
	if err := sim.ShipOrder(created[2]); err != nil {
		t.Fatal(err)
	}
	q.UpdatedTo = time.Now().Add(time.Minute)
	q.Cancelled = true
	got := carttest.Orders(t, c, q)
	if len(got) != 1 || got[0].ExternalID != created[1] || got[0].Filter != cart.Cancelled || got[0].CartStatus != "canceled" {
		t.Fatalf("cancelled = %+v; want receipt %s", got, created[1])
	}
	q.Cancelled = false
	if got := carttest.IDs(carttest.Orders(t, c, q)); !slices.Equal(sorted(got), sorted([]string{created[0], created[3], created[4]})) {
		t.Errorf("importable after cancel and ship = %v", got)
	}
}

// TestOrdersNoGapWhenOrdersLeave ships and cancels receipts already read
// while an import pages on: with offset paging every later receipt would
// move up and the ones at page boundaries would be skipped for good.
func TestOrdersNoGapWhenOrdersLeave(t *testing.T) {
	sim, c := newSim(t, etsysim.Options{})
	sim.Seed(2000, 3)
	q := everything()
	q.UpdatedTo = time.Now() // fixed before reading, as the executor's watermark
	before := map[string]bool{}
	for _, id := range sim.Importable() {
		before[id] = true
	}
	got := map[string]int{}
	left := map[string]bool{}
	for pages := 0; ; pages++ {
		p, err := c.Orders(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for k, o := range p.Orders {
			got[o.ExternalID]++
			if k%7 == 0 && len(left) < 60 {
				// A receipt already read ships (or is canceled): it
				// leaves the filter and the window.
				if k%14 == 0 {
					sim.ShipOrder(o.ExternalID)
				} else {
					sim.CancelOrder(o.ExternalID)
				}
				left[o.ExternalID] = true
			}
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if len(left) < 30 {
		t.Fatalf("only %d receipts left during the import", len(left))
	}
	for id := range before {
		if got[id] == 0 {
			t.Errorf("receipt %s was importable throughout and was skipped", id)
		}
	}
	for id, n := range got {
		if n > 1 {
			t.Errorf("receipt %s returned %d times", id, n)
		}
	}
}

// TestOrdersCrowdedSecond imports more receipts modified in one second
// than a page holds: keys cannot move past that second, so the cursor
// steps by offset within it.
func TestOrdersCrowdedSecond(t *testing.T) {
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Second).Add(-time.Hour))
	sim, c := newSim(t, etsysim.Options{Now: clk.Now})
	sim.Seed(300, 4)
	// Stock for every order: a listing that sells out takes no more.
	for sku := range sim.Quantities() {
		sim.SetQuantity(sku, 999)
	}
	var crowd []string
	for range 250 {
		crowd = append(crowd, sim.CreateOrder(nil))
	}
	clk.Add(time.Second)
	later := sim.CreateOrder(nil)
	orders := carttest.Orders(t, c, everything())
	got := carttest.IDs(orders)
	if d := dups(got); len(d) > 0 {
		t.Errorf("%d receipts returned twice", len(d))
	}
	want := sim.Importable()
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Fatalf("got %d receipts; want %d", len(got), len(want))
	}
	for _, id := range append(crowd, later) {
		if !slices.Contains(got, id) {
			t.Fatalf("receipt %s missing", id)
		}
	}
}

func TestOrdersCursorErrors(t *testing.T) {
	_, c := newSim(t, etsysim.Options{})
	for _, cur := range []string{"!!", "bm90IGpzb24", orderCursor{S: -1}.encode(), orderCursor{O: 5}.encode()} {
		_, err := c.Orders(t.Context(), cart.OrderQuery{Cursor: cur})
		var ce *cart.Error
		if !errors.As(err, &ce) || ce.Temporary {
			t.Errorf("cursor %q: %v; want a permanent *cart.Error", cur, err)
		}
	}
	_, err := c.Orders(t.Context(), cart.OrderQuery{Statuses: []string{"nonsense"}})
	if err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("bad status: %v", err)
	}
}

func TestAuth(t *testing.T) {
	sim := etsysim.New(etsysim.Options{APIKey: apiKey, SharedSecret: secret, Token: token, ShopID: shopID, QPS: roomyQPS})
	url := serve(t, sim)
	tests := []struct {
		name string
		cfg  Config
		msg  string
	}{
		{"wrong keystring", Config{APIKey: "other", SharedSecret: secret, Token: token}, "Invalid API key"},
		{"wrong shared secret", Config{APIKey: apiKey, SharedSecret: "nope", Token: token}, "shared secret"},
		{"wrong token", Config{APIKey: apiKey, SharedSecret: secret, Token: "12345678.expired"}, "invalid_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, url, tt.cfg)
			checks := map[string]func() error{
				"orders": func() error { _, err := c.Orders(t.Context(), everything()); return err },
				"listings": func() error {
					_, err := c.Listings(t.Context(), cart.ListingQuery{})
					return err
				},
				"stock": func() error {
					_, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "SKU-0001", Link: cart.Link{ProductID: "4300000002"}, Quantity: 3}})
					return err
				},
			}
			for what, f := range checks {
				err := f()
				var ce *cart.Error
				if !errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || !strings.Contains(ce.Message, tt.msg) {
					t.Errorf("%s: %v; want cart.ErrAuth saying %q", what, err, tt.msg)
				}
				if err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), token)) {
					t.Errorf("%s: error shows a secret: %v", what, err)
				}
			}
		})
	}
	if st := sim.Stats(); st.Unauthorized != 9 {
		t.Errorf("simulator saw %d refused requests; want 9", st.Unauthorized)
	}
}

// TestAuthHeadersSent checks the two credentials go in the two headers.
func TestAuthHeadersSent(t *testing.T) {
	var got http.Header
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"count":0,"results":[]}`))
	})
	c := newClient(t, serve(t, h), Config{APIKey: apiKey, SharedSecret: secret, Token: token})
	if _, err := c.Orders(t.Context(), everything()); err != nil {
		t.Fatal(err)
	}
	if got.Get("x-api-key") != apiKey+":"+secret || got.Get("Authorization") != "Bearer "+token {
		t.Errorf("headers x-api-key %q, Authorization %q", got.Get("x-api-key"), got.Get("Authorization"))
	}
}

func TestRateLimitStormWaitedOut(t *testing.T) {
	sim, c := newSim(t, etsysim.Options{})
	sim.Seed(300, 5)
	sim.SetFaults(etsysim.Faults{RateLimitStorm: 7})
	got := carttest.Orders(t, c, everything())
	if !slices.Equal(sorted(carttest.IDs(got)), sorted(sim.Importable())) {
		t.Errorf("got %d receipts; want %d", len(got), len(sim.Importable()))
	}
	if st := sim.Stats(); st.Faults.RateLimitStorm != 7 {
		t.Errorf("storm of %d 429s; want 7", st.Faults.RateLimitStorm)
	}
}

func TestRateLimitPastDeadline(t *testing.T) {
	sim, c := newSim(t, etsysim.Options{})
	c.retry.MinThrottleWait = 200 * time.Millisecond
	c.retry.MaxThrottleWait = time.Second
	sim.SetFaults(etsysim.Faults{RateLimitStorm: 1000})
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	_, err := c.Orders(ctx, everything())
	var rl *cart.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 {
		t.Fatalf("err = %v; want *cart.RateLimitedError", err)
	}
}

// TestDailyQuota spends a small daily quota: the client returns
// *cart.RateLimitedError with the time until the window frees, from
// Etsy's retry-after or, without it, from its own log of requests.
func TestDailyQuota(t *testing.T) {
	for _, omit := range []bool{false, true} {
		t.Run(fmt.Sprint("omitRetryAfter=", omit), func(t *testing.T) {
			clk := clock.NewFake(time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC))
			sim, c := newSim(t, etsysim.Options{QPD: 3, DayBucket: time.Hour, OmitRetryAfter: omit, Now: clk.Now})
			sim.Seed(10, 6)
			for range 3 {
				if _, err := c.Orders(t.Context(), cart.OrderQuery{}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := c.Orders(t.Context(), cart.OrderQuery{})
			var rl *cart.RateLimitedError
			if !errors.As(err, &rl) {
				t.Fatalf("err = %v; want *cart.RateLimitedError", err)
			}
			if !omit && rl.RetryAfter != 23*time.Hour+30*time.Minute {
				// The 10:00 bucket leaves the window at 10:00 next day.
				t.Errorf("RetryAfter = %s; want 23h30m", rl.RetryAfter)
			}
			if omit && (rl.RetryAfter < 23*time.Hour || rl.RetryAfter > 24*time.Hour+time.Minute) {
				t.Errorf("RetryAfter = %s; want about a day after the client's first request", rl.RetryAfter)
			}
			// Further calls fail fast, without a request.
			before := sim.Stats().Requests
			if _, err := c.Orders(t.Context(), cart.OrderQuery{}); !errors.As(err, &rl) {
				t.Fatalf("err = %v", err)
			}
			if n := sim.Stats().Requests - before; n != 0 {
				t.Errorf("%d requests sent while the quota is spent", n)
			}
			if st := sim.Stats(); st.DailyLimited != 1 {
				t.Errorf("%d daily 429s; want 1", st.DailyLimited)
			}
		})
	}
}

func TestPacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim, c := inMemory(t, etsysim.Options{QPS: 10})
		sim.Seed(20, 7)
		start := time.Now()
		for range 25 {
			if _, err := c.Orders(t.Context(), cart.OrderQuery{}); err != nil {
				t.Fatal(err)
			}
		}
		st := sim.Stats()
		if st.PerSecondLimited != 0 {
			t.Errorf("%d requests refused by the per-second limit", st.PerSecondLimited)
		}
		if c.lim.perSecond != 10 || c.lim.perDay != roomyQPD || c.lim.remaining != roomyQPD-25 {
			t.Errorf("limiter saw %d/s, %d/day, %d left", c.lim.perSecond, c.lim.perDay, c.lim.remaining)
		}
		if elapsed := time.Since(start); elapsed < 2*time.Second {
			t.Errorf("25 requests in %s at 10 a second", elapsed)
		}
	})
}

func TestTemporaryFailures(t *testing.T) {
	tests := []struct {
		name   string
		faults etsysim.Faults
		fail   bool
	}{
		{"5xx then success", etsysim.Faults{ServerErrors: 3}, false},
		{"dropped then success", etsysim.Faults{Drop: 2}, false},
		{"slow", etsysim.Faults{Slow: 1, Delay: 20 * time.Millisecond}, false},
		{"5xx past retries", etsysim.Faults{ServerErrors: 10}, true},
		{"drops past retries", etsysim.Faults{Drop: 10}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c := newSim(t, etsysim.Options{})
			sim.Seed(50, 8)
			sim.SetFaults(tt.faults)
			_, err := c.Orders(t.Context(), everything())
			var ce *cart.Error
			switch {
			case tt.fail && (!errors.As(err, &ce) || !ce.Temporary):
				t.Errorf("err = %v; want a temporary *cart.Error", err)
			case !tt.fail && err != nil:
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"1.5":                           1500 * time.Millisecond,
		"-1":                            0,
		"NaN":                           0,
		"999999999":                     maxRetryAfter,
		"Thu, 01 Jan 2026 00:00:10 GMT": 10 * time.Second,
		"yesterday":                     0,
	}
	for h, want := range tests {
		if got := cart.RetryAfter(h, now, maxRetryAfter); got != want {
			t.Errorf("retryAfter(%q) = %s; want %s", h, got, want)
		}
	}
}

func TestDayLog(t *testing.T) {
	var d dayLog
	t0 := time.Date(2026, 1, 1, 12, 0, 30, 0, time.UTC)
	if _, ok := d.frees(t0); ok {
		t.Fatal("empty log frees")
	}
	d.record(t0)
	d.record(t0.Add(3 * time.Hour))
	if got, _ := d.frees(t0.Add(4 * time.Hour)); !got.Equal(time.Date(2026, 1, 2, 12, 1, 0, 0, time.UTC)) {
		t.Errorf("frees at %s", got)
	}
	// A day later the first request has left the window.
	if got, _ := d.frees(t0.Add(24*time.Hour + 2*time.Minute)); !got.Equal(time.Date(2026, 1, 2, 15, 1, 0, 0, time.UTC)) {
		t.Errorf("frees at %s", got)
	}
	if _, ok := d.frees(t0.Add(48 * time.Hour)); ok {
		t.Error("a log two days old still frees")
	}
}

func TestWindowBounds(t *testing.T) {
	carttest.OrderWindow(t, func(t *testing.T, now func() time.Time) carttest.WindowEnv {
		sim, c := newSim(t, etsysim.Options{Now: now})
		return carttest.WindowEnv{Source: c, CreateOrder: func() string { return sim.CreateOrder(nil) }, Requests: func() int { return sim.Stats().Requests }}
	})
}
