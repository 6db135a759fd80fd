package woocommerce

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	woosim "github.com/autosync/autosync/shared/simulator/woocommerce"
	"github.com/autosync/autosync/shared/testkit"
)

func noKeys(t *testing.T, err error) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), testSecret)) {
		t.Errorf("error %q shows a key", err)
	}
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name      string
		opts      woosim.Options
		cfg       Config
		ok        bool
		requests  int
		queryAuth bool // the client ends up using the query string
	}{
		{"basic", woosim.Options{}, Config{}, true, 1, false},
		{"query string", woosim.Options{}, Config{QueryStringAuth: true}, true, 1, true},
		{"header dropped: falls back", woosim.Options{StripAuthorization: true}, Config{}, true, 2, true},
		{"wrong secret", woosim.Options{}, Config{ConsumerKey: testKey, ConsumerSecret: "cs_wrong"}, false, 1, false},
		// A key the store does not have is answered as no key at all
		// (WC_REST_Authentication sets no error for it): the client tries
		// the query string, which no host strips, and the same answer
		// there says the store does not know the key.
		{"wrong key", woosim.Options{}, Config{ConsumerKey: "ck_wrong", ConsumerSecret: testSecret}, false, 2, false},
		{"wrong key, query string", woosim.Options{}, Config{ConsumerKey: "ck_wrong", ConsumerSecret: testSecret, QueryStringAuth: true}, false, 1, true},
		{"header dropped, wrong key", woosim.Options{StripAuthorization: true}, Config{ConsumerKey: "ck_wrong", ConsumerSecret: testSecret}, false, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.ConsumerKey, tt.opts.ConsumerSecret = testKey, testSecret
			sim := woosim.New(tt.opts)
			c := newClient(t, serve(t, sim), tt.cfg)
			_, err := c.Orders(t.Context(), cart.OrderQuery{})
			noKeys(t, err)
			if tt.ok && err != nil {
				t.Fatalf("Orders: %v", err)
			}
			if !tt.ok {
				var ce *cart.Error
				if !errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || ce.Status != 401 || ce.Temporary {
					t.Fatalf("err = %v; want a permanent 401 wrapping cart.ErrAuth", err)
				}
				// Keys the store does not have (deleted or revoked in
				// WooCommerce) are the app's access revoked.
				if !errors.Is(err, cart.ErrRevoked) {
					t.Errorf("err = %v; want cart.ErrRevoked for keys the store does not have", err)
				}
				if !strings.Contains(ce.Message, "invalid") && !strings.Contains(ce.Message, "cannot") {
					t.Errorf("message %q lacks WooCommerce's reason", ce.Message)
				}
			}
			st := sim.Stats()
			if st.Requests != tt.requests {
				t.Errorf("%d requests; want %d", st.Requests, tt.requests)
			}
			if c.queryAuth.Load() != tt.queryAuth {
				t.Errorf("query-string auth = %v; want %v", c.queryAuth.Load(), tt.queryAuth)
			}
		})
	}
}

// WooCommerce answers woocommerce_rest_authentication_error (401) both for
// keys it does not hold and for a key lacking the permission a method
// needs (WC_REST_Authentication::check_permissions): only the first is
// the app's access revoked; a read-only key needs a new key, shown to
// the merchant, and its channel is not disconnected.
func TestAuthenticationErrors(t *testing.T) {
	tests := []struct {
		message string
		revoked bool
		shown   string // in the merchant's message
	}{
		{"The API key provided does not have write permissions.", false, "The API key is read-only: create a key with Read/Write permissions."},
		{"The API key provided does not have read permissions.", false, "The API key is write-only: create a key with Read/Write permissions."},
		{"Consumer key is invalid.", true, "Consumer key is invalid."},
		{"Consumer secret is invalid.", true, "Consumer secret is invalid."},
		{"Invalid signature - provided signature does not match.", true, "provided signature does not match"},
		{"Invalid timestamp.", false, "Invalid timestamp."},
		{"Some plugin refused you.", false, "Some plugin refused you."},
	}
	for _, tt := range tests {
		t.Run(tt.message, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"code": "woocommerce_rest_authentication_error", "message": tt.message, "data": map[string]any{"status": 401}})
			s := &stub{responses: []func(http.ResponseWriter){answer(401, string(body))}}
			c := newClient(t, serve(t, s), Config{})
			_, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "A", Link: cart.Link{ProductID: "7"}, Quantity: 1}})
			var ce *cart.Error
			if !errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || ce.Status != 401 || !strings.Contains(ce.Message, tt.shown) {
				t.Fatalf("err = %v; want cart.ErrAuth showing %q", err, tt.shown)
			}
			if errors.Is(err, cart.ErrRevoked) != tt.revoked {
				t.Errorf("revoked = %v; want %v (%v)", errors.Is(err, cart.ErrRevoked), tt.revoked, err)
			}
			if n := s.calls.Load(); n != 1 {
				t.Errorf("%d requests; want 1", n)
			}
		})
	}
}

// A read-only key passes the connect check (a read) and is refused at the
// first stock push: that refusal asks for a Read/Write key and does not
// disconnect the channel. Deleted keys do.
func TestKeyPermissionsOnTheSimulator(t *testing.T) {
	sim, c := newSim(t, woosim.Options{KeyPermissions: woosim.PermRead})
	if err := c.CheckCredentials(t.Context()); err != nil {
		t.Fatalf("a read-only key fails the check: %v", err)
	}
	links := sim.Links()
	_, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "SKU-0001", Link: links["SKU-0001"], Quantity: 1}})
	var ce *cart.Error
	if !errors.Is(err, cart.ErrAuth) || errors.Is(err, cart.ErrRevoked) || !errors.As(err, &ce) || !strings.Contains(ce.Message, "read-only") {
		t.Errorf("read-only key pushing stock: %v; want cart.ErrAuth (not revoked) saying read-only", err)
	}
	sim.RevokeKeys()
	for name, call := range map[string]func() error{
		"check": func() error { return c.CheckCredentials(t.Context()) },
		"push": func() error {
			_, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "SKU-0001", Link: links["SKU-0001"], Quantity: 1}})
			return err
		},
	} {
		if err := call(); !errors.Is(err, cart.ErrRevoked) {
			t.Errorf("%s with deleted keys: %v; want cart.ErrRevoked", name, err)
		}
	}
}

func TestForbiddenIsAuth(t *testing.T) {
	s := &stub{responses: []func(http.ResponseWriter){
		answer(403, `{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.","data":{"status":403}}`),
	}}
	c := newClient(t, serve(t, s), Config{})
	_, err := c.Orders(t.Context(), cart.OrderQuery{})
	if !errors.Is(err, cart.ErrAuth) || !strings.Contains(err.Error(), "Sorry, you cannot list resources.") {
		t.Errorf("err = %v; want cart.ErrAuth with the store's reason", err)
	}
	if errors.Is(err, cart.ErrRevoked) {
		t.Errorf("err = %v; a key without permission is not a revoked one", err)
	}
	if n := s.calls.Load(); n != 1 {
		t.Errorf("%d requests; a 403 must not be retried", n)
	}
}

func TestRateLimitIsWaitedOut(t *testing.T) {
	sim, c := newSim(t, woosim.Options{})
	sim.Seed(300, 3)
	sim.SetFaults(woosim.Faults{RateLimit429: 5})
	got := carttest.Orders(t, c, everything())
	if len(got) != len(sim.Importable()) {
		t.Errorf("got %d orders; want %d", len(got), len(sim.Importable()))
	}
	if n := sim.Stats().Faults.RateLimit429; n != 5 {
		t.Errorf("%d 429s; want 5", n)
	}
}

// inMemory is a simulator and a client that reaches it without a socket,
// for tests in a synctest bubble: the client's pacing, its waits and the
// host's token bucket then all read the bubble's clock, so a rate-limit
// test asserts the same thing however loaded the machine is.
func inMemory(t *testing.T, opts woosim.Options, cfg Config) (*woosim.Server, *Client) {
	t.Helper()
	opts.ConsumerKey, opts.ConsumerSecret = testKey, testSecret
	sim := woosim.New(opts)
	cfg.HTTPClient = testkit.Client(sim)
	return sim, newClient(t, "http://127.0.0.1", cfg)
}

func TestHostLimitRetryAfter(t *testing.T) {
	// A host allowing 5 requests a second: the client follows Retry-After
	// (whole seconds) and finishes.
	synctest.Test(t, func(t *testing.T) {
		sim, c := inMemory(t, woosim.Options{RateLimit: woosim.RateLimit{PerSecond: 5}}, Config{})
		sim.Seed(2500, 4)
		start := time.Now()
		got := carttest.Orders(t, c, everything())
		if len(got) != len(sim.Importable()) {
			t.Errorf("got %d orders; want %d", len(got), len(sim.Importable()))
		}
		st := sim.Stats()
		if st.RateLimited == 0 {
			t.Errorf("the host limit never answered 429; the test tests nothing")
		}
		// Every 429 costs the whole second its Retry-After rounds up to,
		// and nothing else takes time in the bubble.
		if took, want := time.Since(start), time.Duration(st.RateLimited)*time.Second; took != want {
			t.Errorf("took %v for %d 429s; want %v", took, st.RateLimited, want)
		}
	})
}

func TestPacedClientIsNotThrottled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim, c := inMemory(t, woosim.Options{RateLimit: woosim.RateLimit{PerSecond: 50, Burst: 1, StartEmpty: true}},
			Config{RequestsPerSecond: 40})
		sim.Seed(2500, 4)
		carttest.Orders(t, c, everything())
		// Only the first request, sent before the host's empty bucket
		// had refilled, may be refused.
		if st := sim.Stats(); st.RateLimited > 1 || st.Requests < 10 {
			t.Errorf("%d of %d requests throttled; a paced client should not be", st.RateLimited, st.Requests)
		}
	})
}

func TestRateLimitedAtDeadline(t *testing.T) {
	// One request every 100 s; the first is spent.
	sim, c := newSim(t, woosim.Options{RateLimit: woosim.RateLimit{PerSecond: 0.01, Burst: 1, StartEmpty: true}})
	sim.CreateOrder(nil)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := c.Orders(ctx, cart.OrderQuery{})
	var rl *cart.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("err = %v; want *cart.RateLimitedError", err)
	}
	if rl.RetryAfter < 99*time.Second || rl.RetryAfter > 101*time.Second {
		t.Errorf("RetryAfter = %v; want the store's 100s", rl.RetryAfter)
	}
	if ctx.Err() != nil {
		t.Error("the connector waited until the deadline")
	}
	// A client pacing itself gives up before sending.
	c2 := newClient(t, serve(t, sim), Config{RequestsPerSecond: 0.01})
	c2.limiter.Reserve() // the burst is spent
	before := sim.Stats().Requests
	_, err = c2.Orders(ctx, cart.OrderQuery{})
	if !errors.As(err, &rl) || sim.Stats().Requests != before {
		t.Errorf("paced: err = %v, %d requests; want *cart.RateLimitedError and none", err, sim.Stats().Requests-before)
	}
}

func TestTemporaryFailuresAreRetried(t *testing.T) {
	tests := []struct {
		name   string
		faults woosim.Faults
		count  func(woosim.FaultCounts) int
		want   int
	}{
		{"5xx", woosim.Faults{ServerErrors: 3}, func(f woosim.FaultCounts) int { return f.ServerErrors }, 3},
		{"dropped connections", woosim.Faults{Drop: 3}, func(f woosim.FaultCounts) int { return f.Drop }, 3},
		{"slow response", woosim.Faults{Slow: 2, Delay: time.Minute}, func(f woosim.FaultCounts) int { return f.Slow }, 2},
		{"mixed", woosim.Faults{Drop: 1, ServerErrors: 1, Slow: 1, Delay: time.Minute, RateLimit429: 2},
			func(f woosim.FaultCounts) int { return f.Drop + f.ServerErrors + f.Slow + f.RateLimit429 }, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// In a bubble: the attempt timeout is fake time, so a loaded
			// machine cannot make a healthy attempt time out too.
			synctest.Test(t, func(t *testing.T) {
				sim, c := inMemory(t, woosim.Options{}, Config{})
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
				// Writes are retried too.
				sim.SetFaults(tt.faults)
				l := sim.Links()["SKU-0001"]
				res, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "SKU-0001", Link: l, Quantity: 9}})
				if err != nil || res[0].Err != nil || sim.Quantities()["SKU-0001"] != 9 {
					t.Errorf("SetStock = %+v, %v", res, err)
				}
			})
		})
	}
}

func TestTemporaryFailuresGiveUp(t *testing.T) {
	sim, c := newSim(t, woosim.Options{})
	sim.SetFaults(woosim.Faults{ServerErrors: 100})
	_, err := c.Orders(t.Context(), cart.OrderQuery{})
	var ce *cart.Error
	if !errors.As(err, &ce) || !ce.Temporary || (ce.Status != 502 && ce.Status != 503) || !strings.Contains(ce.Message, "temporarily unavailable") {
		t.Fatalf("err = %v; want a temporary 5xx *cart.Error", err)
	}
	if n := sim.Stats().Faults.ServerErrors; n != fastRetry.Attempts {
		t.Errorf("%d attempts; want %d", n, fastRetry.Attempts)
	}
	// A store that stays down fails the whole stock call: no SKU counts a
	// failure for an outage.
	sim.SetFaults(woosim.Faults{Drop: 100})
	l := sim.Links()["SKU-0001"]
	res, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "SKU-0001", Link: l, Quantity: 1}})
	if !errors.As(err, &ce) || !ce.Temporary || ce.Status != 0 || res != nil {
		t.Errorf("SetStock = %v, %v; want no results and a temporary transport *cart.Error", res, err)
	}
	noKeys(t, err)
}

func TestQueryAuthKeysStayOutOfErrors(t *testing.T) {
	// net/http names the URL in its errors; with query-string auth the URL
	// holds the keys.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	c := newClient(t, "http://"+addr, Config{QueryStringAuth: true})
	_, err = c.Orders(t.Context(), cart.OrderQuery{})
	var ce *cart.Error
	if !errors.As(err, &ce) || !ce.Temporary {
		t.Errorf("err = %v; want a temporary *cart.Error", err)
	}
	noKeys(t, err)
	if strings.Contains(err.Error(), url.QueryEscape(testSecret)) || strings.Contains(err.Error(), "consumer_secret") {
		t.Errorf("error %q shows the query string", err)
	}
}

func TestCancelledContext(t *testing.T) {
	sim, c := newSim(t, woosim.Options{})
	sim.SetFaults(woosim.Faults{Slow: 1, Delay: time.Minute})
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
	last      atomic.Pointer[http.Request]
	responses []func(w http.ResponseWriter)
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(s.calls.Add(1)) - 1
	s.last.Store(r)
	s.responses[min(n, len(s.responses)-1)](w)
}

func answer(status int, body string, headers ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

func TestResponseHandling(t *testing.T) {
	tests := []struct {
		name      string
		responses []func(http.ResponseWriter)
		calls     int
		check     func(t *testing.T, err error)
	}{
		{"no route", []func(http.ResponseWriter){
			answer(404, `{"code":"rest_no_route","message":"No route was found matching the URL and request method.","data":{"status":404}}`),
		}, 1, func(t *testing.T, err error) {
			var ce *cart.Error
			if !errors.As(err, &ce) || ce.Temporary || !strings.Contains(ce.Message, "REST API was not found") || errors.Is(err, cart.ErrNotFound) {
				t.Errorf("err = %v", err)
			}
		}},
		{"plain 404 page", []func(http.ResponseWriter){answer(404, `<html>Not Found</html>`)}, 1, func(t *testing.T, err error) {
			if err == nil || !strings.Contains(err.Error(), "REST API was not found") {
				t.Errorf("err = %v", err)
			}
		}},
		{"bad param", []func(http.ResponseWriter){
			answer(400, `{"code":"rest_invalid_param","message":"Invalid parameter(s): orderby","data":{"status":400,"params":{"orderby":"orderby is not one of date, id."}}}`),
		}, 1, func(t *testing.T, err error) {
			var ce *cart.Error
			if !errors.As(err, &ce) || ce.Temporary || ce.Status != 400 || !strings.Contains(ce.Message, "Invalid parameter(s): orderby") {
				t.Errorf("err = %v", err)
			}
		}},
		{"maintenance page retried", []func(http.ResponseWriter){
			answer(503, `<html>Briefly unavailable for scheduled maintenance.</html>`, "Retry-After", "600"),
			answer(200, `[]`, "X-WP-Total", "0"),
		}, 2, func(t *testing.T, err error) {
			if err != nil {
				t.Error(err)
			}
		}},
		{"html 200 retried", []func(http.ResponseWriter){answer(200, `<html>cached</html>`), answer(200, `[]`)}, 2, func(t *testing.T, err error) {
			if err != nil {
				t.Error(err)
			}
		}},
		{"429 with an HTTP date", []func(http.ResponseWriter){
			answer(429, `Too Many Requests`, "Retry-After", time.Now().Add(-time.Second).UTC().Format(http.TimeFormat)),
			answer(200, `[]`),
		}, 2, func(t *testing.T, err error) {
			if err != nil {
				t.Error(err)
			}
		}},
		{"malformed order", []func(http.ResponseWriter){
			answer(200, `[{"id":"abc","status":"processing","date_modified_gmt":"2025-01-01T00:00:00"}]`),
		}, 1, func(t *testing.T, err error) {
			if !errors.Is(err, cart.ErrMalformed) {
				t.Errorf("err = %v; want cart.ErrMalformed", err)
			}
		}},
		{"unsorted page", []func(http.ResponseWriter){
			answer(200, `[{"id":2,"status":"processing","date_modified_gmt":"2025-01-02T00:00:00"},{"id":1,"status":"processing","date_modified_gmt":"2025-01-01T00:00:00"}]`),
		}, 1, func(t *testing.T, err error) {
			if err == nil || !strings.Contains(err.Error(), "did not sort") {
				t.Errorf("err = %v", err)
			}
		}},
		{"old store ignoring modified_after", []func(http.ResponseWriter){
			answer(200, `[{"id":2,"status":"processing","date_modified_gmt":"2001-01-02T00:00:00"}]`),
		}, 1, func(t *testing.T, err error) {
			if err == nil || !strings.Contains(err.Error(), "5.8") {
				t.Errorf("err = %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &stub{responses: tt.responses}
			c := newClient(t, serve(t, s), Config{})
			_, err := c.Orders(t.Context(), cart.OrderQuery{UpdatedFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
			tt.check(t, err)
			if n := int(s.calls.Load()); n != tt.calls {
				t.Errorf("%d requests; want %d", n, tt.calls)
			}
			noKeys(t, err)
		})
	}
}

func TestRequestShape(t *testing.T) {
	s := &stub{responses: []func(http.ResponseWriter){answer(200, `[]`, "X-WP-Total", "0")}}
	c := newClient(t, serve(t, s)+"/shop", Config{})
	from := time.Date(2025, 1, 1, 10, 0, 0, 500, time.UTC)
	to := time.Date(2025, 1, 2, 10, 0, 0, 1, time.UTC)
	if _, err := c.Orders(t.Context(), cart.OrderQuery{UpdatedFrom: from, UpdatedTo: to}); err != nil {
		t.Fatal(err)
	}
	r := s.last.Load()
	if r.URL.Path != "/shop/wp-json/wc/v3/orders" {
		t.Errorf("path %s", r.URL.Path)
	}
	q := r.URL.Query()
	want := map[string]string{
		"status": "processing", "per_page": "100", "orderby": "modified", "order": "asc", "dates_are_gmt": "true",
		"modified_after": "2025-01-01T09:59:59", "modified_before": "2025-01-02T10:00:01", "_fields": orderFields,
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q; want %q", k, q.Get(k), v)
		}
	}
	if key, secret, ok := r.BasicAuth(); !ok || key != testKey || secret != testSecret {
		t.Error("no Basic credentials")
	}
	if q.Has("consumer_key") || q.Has("offset") {
		t.Errorf("query %v", q)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var leaked atomic.Bool
	elsewhere := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, ok := r.BasicAuth()
		leaked.Store(ok || r.URL.Query().Has("consumer_key"))
		w.Write([]byte(`[]`))
	}))
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere+r.URL.RequestURI(), http.StatusMovedPermanently)
	}))
	c := newClient(t, url, Config{})
	_, err := c.Orders(t.Context(), cart.OrderQuery{})
	var ce *cart.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusMovedPermanently || !strings.Contains(ce.Message, strings.TrimPrefix(elsewhere, "http://")) {
		t.Errorf("err = %v; want a *cart.Error naming where the store redirects", err)
	}
	if leaked.Load() {
		t.Error("the keys followed the redirect")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":      0,
		"0":     0,
		"2":     2 * time.Second,
		"1.5":   1500 * time.Millisecond,
		"-1":    0,
		"NaN":   0,
		"1e300": maxRetryAfter,
		"soon":  0,
		now.Add(30 * time.Second).Format(http.TimeFormat): 30 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	}
	for h, want := range tests {
		if got := cart.RetryAfter(h, now, maxRetryAfter); got != want {
			t.Errorf("retryAfter(%q) = %v; want %v", h, got, want)
		}
	}
}
