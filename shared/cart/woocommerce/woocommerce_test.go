package woocommerce

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/clock"
	woosim "github.com/autosync/autosync/shared/simulator/woocommerce"
)

// fastRetry keeps the retry policy's shape with test-sized durations.
var fastRetry = retryPolicy{Retry: carttest.Retry}

const (
	testKey    = "ck_0123456789abcdef0123456789abcdef01234567"
	testSecret = "cs_fedcba9876543210fedcba9876543210fedcba98"
)

func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

func newSim(t testing.TB, opts woosim.Options) (*woosim.Server, *Client) {
	t.Helper()
	opts.ConsumerKey, opts.ConsumerSecret = testKey, testSecret
	sim := woosim.New(opts)
	return sim, newClient(t, serve(t, sim), Config{})
}

func newClient(t testing.TB, url string, cfg Config) *Client {
	t.Helper()
	cfg.BaseURL = url
	if cfg.ConsumerKey == "" {
		cfg.ConsumerKey, cfg.ConsumerSecret = testKey, testSecret
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

// everything is a window holding every seeded order.
func everything() cart.OrderQuery {
	now := time.Now()
	return cart.OrderQuery{UpdatedFrom: now.AddDate(0, 0, -60), UpdatedTo: now.Add(time.Hour)}
}

func TestNew(t *testing.T) {
	tests := []struct {
		cfg Config
		api string // "" means New fails
	}{
		{Config{BaseURL: "https://shop.example"}, "https://shop.example/wp-json/wc/v3"},
		{Config{BaseURL: " HTTPS://shop.example/ "}, "https://shop.example/wp-json/wc/v3"},
		{Config{BaseURL: "https://example.com/shop/"}, "https://example.com/shop/wp-json/wc/v3"},
		{Config{BaseURL: "http://127.0.0.1:8080"}, "http://127.0.0.1:8080/wp-json/wc/v3"},
		{Config{BaseURL: "http://localhost:9"}, "http://localhost:9/wp-json/wc/v3"},
		{Config{BaseURL: "http://[::1]:9"}, "http://[::1]:9/wp-json/wc/v3"},
		{Config{BaseURL: "http://shop.example"}, ""},
		{Config{BaseURL: "http://10.0.0.1"}, ""},
		{Config{BaseURL: "ftp://shop.example"}, ""},
		{Config{BaseURL: "shop.example"}, ""},
		{Config{BaseURL: "https://shop.example/?x=1"}, ""},
		{Config{BaseURL: "https://user:pw@shop.example"}, ""},
		{Config{BaseURL: "https://shop.example#x"}, ""},
		{Config{BaseURL: "https://shop.example", ConsumerKey: "-"}, ""},
		{Config{BaseURL: "https://shop.example", RequestsPerSecond: -1}, ""},
	}
	for _, tt := range tests {
		cfg := tt.cfg
		if cfg.ConsumerKey == "" {
			cfg.ConsumerKey, cfg.ConsumerSecret = testKey, testSecret
		} else if cfg.ConsumerKey == "-" {
			cfg.ConsumerKey = ""
		}
		c, err := New(cfg)
		switch {
		case tt.api == "" && err == nil:
			t.Errorf("New(%v) succeeded; want an error", tt.cfg)
		case tt.api != "" && err != nil:
			t.Errorf("New(%v): %v", tt.cfg, err)
		case err == nil && c.api != tt.api:
			t.Errorf("New(%v) api = %s; want %s", tt.cfg, c.api, tt.api)
		}
		if err != nil && (strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), testSecret)) {
			t.Errorf("error %q contains a key", err)
		}
	}
	c, _ := New(Config{BaseURL: "https://shop.example", ConsumerKey: testKey, ConsumerSecret: testSecret})
	cfg := Config{BaseURL: "https://x", ConsumerKey: testKey, ConsumerSecret: testSecret}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprint(cfg), fmt.Sprintf("%v", cfg)} {
		if strings.Contains(s, testSecret) || strings.Contains(s, testKey) {
			t.Errorf("%q shows a key", s)
		}
	}
}

func TestStatusParam(t *testing.T) {
	tests := []struct {
		name string
		q    cart.OrderQuery
		want string
		err  bool
	}{
		{"default", cart.OrderQuery{}, "processing", false},
		{"cancelled", cart.OrderQuery{Cancelled: true, Statuses: []string{"x y"}}, "cancelled,refunded,failed,completed", false},
		{"override", cart.OrderQuery{Statuses: []string{"processing", "on-hold", "wc-on-hold", " Completed "}}, "processing,on-hold,completed", false},
		{"plugin status", cart.OrderQuery{Statuses: []string{"awaiting-shipment"}}, "awaiting-shipment", false},
		{"empty", cart.OrderQuery{Statuses: []string{}}, "", true},
		{"injection", cart.OrderQuery{Statuses: []string{"processing&per_page=1"}}, "", true},
		{"comma", cart.OrderQuery{Statuses: []string{"processing,completed"}}, "", true},
		{"too long", cart.OrderQuery{Statuses: []string{strings.Repeat("a", 21)}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := statusParam(tt.q)
			if tt.err {
				var ce *cart.Error
				if !errors.As(err, &ce) || ce.Temporary {
					t.Errorf("statusParam = %q, %v; want a permanent *cart.Error", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("statusParam = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestStatusFilter(t *testing.T) {
	want := map[string]cart.Filter{
		"pending": cart.AwaitingFulfillment, "processing": cart.AwaitingFulfillment, "on-hold": cart.AwaitingFulfillment,
		"completed": cart.Shipped, "cancelled": cart.Cancelled, "refunded": cart.Cancelled, "failed": cart.Cancelled,
		"trash": cart.Cancelled, "wc-completed": cart.Shipped, "awaiting-shipment": cart.AwaitingFulfillment,
	}
	for s, f := range want {
		if got := StatusFilter(s); got != f {
			t.Errorf("StatusFilter(%q) = %s; want %s", s, got, f)
		}
	}
	for _, s := range Statuses() {
		if !statusRE.MatchString(s) {
			t.Errorf("Statuses() has %q", s)
		}
	}
	if !slices.Equal(DefaultStatuses(), []string{"processing"}) {
		t.Errorf("DefaultStatuses() = %v", DefaultStatuses())
	}
}

func TestPagingReturnsImportableOnce(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		seed  int64
		extra func(sim *woosim.Server, clk *clock.Fake)
	}{
		{"seeded", 1500, 42, nil},
		{"few", 7, 1, nil},
		{"none", 0, 1, nil},
		// 250 orders in one second: pages inside one second.
		{"one busy second", 300, 3, func(sim *woosim.Server, clk *clock.Fake) {
			for range 250 {
				sim.CreateOrder(nil)
			}
			clk.Add(time.Second)
			for range 3 {
				sim.CreateOrder(nil)
			}
		}},
		// Exactly one page's worth in one second, then more.
		{"page boundary", 0, 1, func(sim *woosim.Server, clk *clock.Fake) {
			for i := range 300 {
				if i == 100 || i == 200 {
					clk.Add(time.Second)
				}
				sim.CreateOrder(nil)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
			sim, c := newSim(t, woosim.Options{Now: clk.Now})
			sim.Seed(tt.n, tt.seed)
			if tt.extra != nil {
				tt.extra(sim, clk)
			}
			clk.Add(time.Second)
			q := cart.OrderQuery{UpdatedFrom: clk.Now().AddDate(0, 0, -40), UpdatedTo: clk.Now()}
			got := carttest.Orders(t, c, q)
			want := sim.Importable()
			if g := carttest.IDs(got); !slices.Equal(sorted(g), sorted(want)) {
				t.Fatalf("paged %d orders (%d distinct); want the %d importable ones", len(g), len(slices.Compact(sorted(g))), len(want))
			}
			for i, o := range got {
				s, _ := sim.Order(o.ExternalID)
				if o.Number != s.Number || o.Total != s.Total || o.Currency != "USD" || !slices.Equal(o.Lines, s.Lines) ||
					!o.UpdatedAt.Equal(s.Modified) || !o.CreatedAt.Equal(s.Created) {
					t.Errorf("order %s = %+v; simulator has %+v", o.ExternalID, o, s)
				}
				if o.Filter != cart.AwaitingFulfillment || o.CartStatus != "processing" {
					t.Errorf("importable order %s: filter %s, status %s", o.ExternalID, o.Filter, o.CartStatus)
				}
				if i > 0 && o.UpdatedAt.Before(got[i-1].UpdatedAt) {
					t.Errorf("order %s modified before the one before it", o.ExternalID)
				}
			}
			if tt.n >= 1000 && len(want) < tt.n/3 {
				t.Errorf("only %d of %d seeded orders are importable", len(want), tt.n)
			}
		})
	}
}

func TestCancelledQuery(t *testing.T) {
	sim, c := newSim(t, woosim.Options{})
	sim.Seed(400, 5)
	for _, id := range sim.Importable()[:7] {
		if err := sim.CancelOrder(id); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, o := range sim.Orders() {
		switch o.Status {
		case woosim.Cancelled, woosim.Refunded, woosim.Failed, woosim.Completed:
			want = append(want, o.ID)
		}
	}
	q := everything()
	q.Cancelled = true
	got := carttest.Orders(t, c, q)
	if !slices.Equal(sorted(carttest.IDs(got)), sorted(want)) {
		t.Errorf("cancelled query returned %d orders; want %d", len(got), len(want))
	}
	seen := map[string]bool{}
	for _, o := range got {
		seen[o.CartStatus] = true
		if o.Filter != cart.Cancelled && !(o.Filter == cart.Shipped && o.CartStatus == "completed") {
			t.Errorf("order %s: filter %s, status %s", o.ExternalID, o.Filter, o.CartStatus)
		}
	}
	for _, s := range []string{"cancelled", "refunded", "failed", "completed"} {
		if !seen[s] {
			t.Errorf("no %s order among the cancelled ones", s)
		}
	}
}

func TestStatusOverride(t *testing.T) {
	sim, c := newSim(t, woosim.Options{})
	sim.Seed(500, 9)
	q := everything()
	q.Statuses = Statuses()
	got := carttest.Orders(t, c, q)
	if len(got) != 500 {
		t.Fatalf("every status returned %d of 500 orders", len(got))
	}
	counts := map[string]int{}
	for _, o := range got {
		s, _ := sim.Order(o.ExternalID)
		if o.CartStatus != s.Status || o.Filter != StatusFilter(s.Status) {
			t.Errorf("order %s: %s %s; simulator says %s", o.ExternalID, o.CartStatus, o.Filter, s.Status)
		}
		counts[o.CartStatus]++
	}
	for _, s := range Statuses() {
		if counts[s] == 0 {
			t.Errorf("no %s order among the seeded ones", s)
		}
	}
	q.Statuses = []string{"on-hold", "pending"}
	for _, o := range carttest.Orders(t, c, q) {
		if o.CartStatus != "on-hold" && o.CartStatus != "pending" {
			t.Errorf("on-hold,pending returned %s", o.CartStatus)
		}
	}
	// A status the store does not know: WordPress refuses the parameter.
	q.Statuses = []string{"no-such-status"}
	_, err := c.Orders(t.Context(), q)
	var ce *cart.Error
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Temporary || !strings.Contains(ce.Message, "Invalid parameter(s): status") {
		t.Errorf("err = %v; want a permanent 400 *cart.Error with WordPress's reason", err)
	}
}

func TestWindowBounds(t *testing.T) {
	carttest.OrderWindow(t, func(t *testing.T, now func() time.Time) carttest.WindowEnv {
		sim, c := newSim(t, woosim.Options{Now: now})
		return carttest.WindowEnv{Source: c, CreateOrder: func() string { return sim.CreateOrder(nil) }, Requests: func() int { return sim.Stats().Requests }}
	})
}

// TestPageDrift modifies orders already read while paging: they leave the
// window, which shifts every later order up. Plain offset paging would
// skip the order at each page boundary; the keyset pages must not.
func TestPageDrift(t *testing.T) {
	tests := []struct {
		name   string
		spread time.Duration // between consecutive orders
		modify func(read []cart.Order) []string
	}{
		{"orders already read complete", time.Minute, func(read []cart.Order) []string {
			return []string{read[0].ExternalID, read[10].ExternalID, read[50].ExternalID}
		}},
		{"the last order read completes", time.Minute, func(read []cart.Order) []string {
			return []string{read[len(read)-1].ExternalID}
		}},
		{"all in one second", 0, func(read []cart.Order) []string {
			return []string{read[len(read)-1].ExternalID, read[len(read)-2].ExternalID, read[3].ExternalID}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC))
			sim, c := newSim(t, woosim.Options{Now: clk.Now})
			for range 350 {
				sim.CreateOrder(nil)
				clk.Add(tt.spread)
			}
			clk.Add(time.Hour)
			want := sim.Importable()
			q := cart.OrderQuery{UpdatedFrom: clk.Now().Add(-24 * time.Hour), UpdatedTo: clk.Now()}
			var got []cart.Order
			for page := 0; ; page++ {
				p, err := c.Orders(t.Context(), q)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p.Orders...)
				if p.Next == "" {
					break
				}
				q.Cursor = p.Next
				if page < 3 {
					clk.Add(time.Second)
					for _, id := range tt.modify(got) {
						if o, _ := sim.Order(id); o.Status != woosim.Processing {
							continue
						}
						if err := sim.CompleteOrder(id); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			if missing := difference(want, carttest.IDs(got)); len(missing) > 0 {
				t.Errorf("%d orders lost to drift: %v", len(missing), missing)
			}
		})
	}
}

func difference(want, got []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			out = append(out, w)
		}
	}
	return out
}

func TestOrderByID(t *testing.T) {
	sim, c := newSim(t, woosim.Options{})
	id := sim.CreateOrder([]cart.Line{{SKU: "SKU-0002", Quantity: 3}, {SKU: "VAR-01-B", Quantity: 1}})
	o, err := c.Order(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := []cart.Line{{SKU: "SKU-0002", Quantity: 3}, {SKU: "VAR-01-B", Quantity: 1}}
	if o.ExternalID != id || !slices.Equal(o.Lines, want) || o.Filter != cart.AwaitingFulfillment {
		t.Errorf("Order = %+v", o)
	}
	_, err = c.Order(t.Context(), "999999")
	if !errors.Is(err, cart.ErrNotFound) {
		t.Errorf("unknown order: err = %v; want cart.ErrNotFound", err)
	}
}
