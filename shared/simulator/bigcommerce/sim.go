// Package bigcommercesim is an in-process BigCommerce store: an http.Handler
// that speaks the REST wire format a connector uses (BigCommerce's API reference) under
// /stores/{store_hash}/: V2 orders (a bare JSON array, 204 on an empty page,
// line items embedded through include=consignments.line_items), V3 catalog
// products with variants and images, V3 inventory absolute adjustments and
// location items, with stock kept per inventory location (the catalog's
// inventory_level is the default location's, as BigCommerce documents). It enforces BigCommerce's fixed-window rate limit per store
// with its real headers and 429s, and injects faults on request. It also
// manages webhooks (V3 /hooks) and delivers Standard Webhooks signed
// callbacks with BigCommerce's retry schedule from a background goroutine
// (hooks.go, package outbox); Close stops them. Tests serve it with
// httptest; make dev serves it beside the app.
//
// Facts the stored specs leave open are settled here as follows, and the
// connector does not depend on the first two:
//   - V2 limit above 250 is clamped to 250 (not in the published OAS; unverified).
//   - min_*/max_* date and id filters are inclusive and compare whole
//     seconds.
//   - An absolute-adjustment payload is applied atomically: if any item is
//     rejected, nothing is applied and the answer is 422 problem+json whose
//     title lists every rejected item's message in payload order, in the
//     bracketed form of the spec's example
//     ("[Item with variant_id 106 is tracked by product, please update stock
//     by product id]"; several are joined with ", "). "errors" stays {} as in
//     the spec's examples.
//   - Orders do not move stock: only adjustments do, so tests can predict
//     every quantity.
package bigcommercesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/simulator"
	"github.com/autosync/autosync/shared/simulator/fault"
	"github.com/autosync/autosync/shared/simulator/outbox"
)

// Limit is a store's API rate limit: a fixed window of Requests per Window,
// shared by every app of the store.
type Limit struct {
	Requests int
	Window   time.Duration
}

// Plans from BigCommerce's API rate limits page.
var (
	Standard = Limit{Requests: 150, Window: 30 * time.Second} // also Plus
	Pro      = Limit{Requests: 450, Window: 30 * time.Second}
)

// Defaults used when Options leave a field empty.
const (
	DefaultAccessToken = "bc_simulator_token"
	DefaultStoreHash   = "simstore1"
)

// Options configure a Server.
type Options struct {
	// AccessToken is the only X-Auth-Token accepted.
	AccessToken string
	// StoreHash is the store's hash in /stores/{store_hash}/.
	StoreHash string
	// SKUs are the store's variants, each with stock at location 1; nil
	// means SKU-0001 to SKU-0060. The catalog exists from New on.
	SKUs []string
	// Locations are inventory locations besides the default one
	// (LocationID, which every store has), as a merchant adds them for
	// multi-location inventory. Each starts holding no stock; adjustments
	// and SetQuantityAt put stock there. Ids must be positive.
	Locations []int64
	// Now is the clock for the rate window and timestamps; nil means
	// time.Now.
	Now func() time.Time
	// Limit is the rate limit; the zero Limit means Standard.
	Limit Limit

	// ClientSecret is the app's client secret, the key every webhook
	// delivery is signed with (Standard Webhooks); empty means
	// DefaultClientSecret.
	ClientSecret string
	// ClientID is the app's client id its install grant is for; empty
	// means DefaultClientID.
	ClientID string
	// StoreID is the numeric store id callbacks carry; empty means one
	// derived from the store hash.
	StoreID string
	// WebhookDelayUnit is the real time that stands for one second of
	// BigCommerce's retry schedule (60 s, 180 s, ... 86400 s); zero means
	// a second. Tests pass a millisecond or less so retries come at once.
	WebhookDelayUnit time.Duration
	// WebhookTimeout is how long an attempt may take before it counts as
	// failed; zero means DefaultWebhookTimeout.
	WebhookTimeout time.Duration
}

// Faults are failures to inject into the next requests to the store's API.
// Each count is consumed by one request; a request suffers at most one
// fault, taken in the order RateLimitStorm, Overload (both instead of the
// quota check), then Drop, ServerErrors, Slow (after the request counted
// against the quota, as BigCommerce's gateway counts it).
type Faults struct {
	// RateLimitStorm answers 429 with the rate headers saying the window's
	// quota is spent (as when other apps of the store spent it).
	RateLimitStorm int
	// Overload answers 429 without rate headers: platform overload.
	Overload     int
	Drop         int           // close the connection without a response
	ServerErrors int           // answer 500, 502 and 503 in turn
	Slow         int           // wait Delay before answering
	Delay        time.Duration // how long a slow request waits
}

// FaultCounts count injected faults, so tests can assert they happened.
type FaultCounts struct {
	RateLimitStorm, Overload, Drop, ServerErrors, Slow int
}

// Stats describe the traffic a Server has seen.
type Stats struct {
	// Requests counts every request received.
	Requests int
	// ByEndpoint counts requests per endpoint ("GET /v2/orders",
	// "PUT /v3/inventory/adjustments/absolute", ...), whatever the answer.
	ByEndpoint map[string]int
	// RateLimited counts 429s because the window's quota was spent.
	RateLimited int
	// Unauthorized counts 401s.
	Unauthorized int
	// Adjusted counts items applied by successful adjustments.
	Adjusted int
	// SchemaRefused counts bodies the published schema refused (422).
	SchemaRefused int
	// Rejected counts items named in 422 adjustment answers.
	Rejected int
	Faults   FaultCounts
}

// Server is a simulated BigCommerce store. It is safe for concurrent use.
type Server struct {
	token []byte
	hash  string
	now   func() time.Time
	limit Limit
	mux   *http.ServeMux

	mu sync.RWMutex // guards st
	st *store

	ctl    sync.Mutex // guards window, faults, stats, txn
	window window
	faults Faults
	stats  Stats
	txn    int64

	clientSecret []byte
	clientID     string
	grants       simulator.Grants // the app install's codes and tokens
	storeID      string
	hooks        hooks
	out          *outbox.Outbox
}

// New returns a store selling opts.SKUs, each with stock, and holding no
// orders.
func New(opts Options) *Server {
	s := &Server{
		token: []byte(opts.AccessToken),
		hash:  opts.StoreHash,
		now:   opts.Now,
		limit: opts.Limit,
		mux:   http.NewServeMux(),
	}
	if len(s.token) == 0 {
		s.token = []byte(DefaultAccessToken)
	}
	if s.hash == "" {
		s.hash = DefaultStoreHash
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.limit.Requests <= 0 || s.limit.Window <= 0 {
		s.limit = Standard
	}
	skus := slices.Clone(opts.SKUs)
	if len(skus) == 0 {
		for i := 1; i <= 60; i++ {
			skus = append(skus, fmt.Sprintf("SKU-%04d", i))
		}
	}
	s.stats.ByEndpoint = map[string]int{}
	locations := []int64{LocationID}
	for _, l := range opts.Locations {
		if l > 0 && !slices.Contains(locations, l) {
			locations = append(locations, l)
		}
	}
	slices.Sort(locations)
	s.st = newStore(s.hash, skus, locations, s.now().UTC().Truncate(time.Second))
	s.clientSecret, s.storeID = []byte(opts.ClientSecret), opts.StoreID
	if len(s.clientSecret) == 0 {
		s.clientSecret = []byte(DefaultClientSecret)
	}
	s.clientID = opts.ClientID
	if s.clientID == "" {
		s.clientID = DefaultClientID
	}
	if s.storeID == "" {
		s.storeID = storeIDOf(s.hash)
	}
	timeout := opts.WebhookTimeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	s.hooks.next = 25_000_000
	s.out = outbox.New(hookCart{s}, outbox.Config{Retries: webhookRetries, Unit: opts.WebhookDelayUnit,
		Timeout: timeout, Connect: webhookConnectTimeout, Now: s.now}) // any 2xx is a success

	s.oauthRoutes()
	s.route("GET /v2/orders", s.listOrders)
	s.route("GET /v2/orders/{id}", s.getOrder)
	s.route("GET /v2/orders/{id}/products", s.orderProducts)
	s.route("GET /v2/order_statuses", s.orderStatuses)
	s.route("GET /v3/catalog/products", s.listProducts)
	s.route("GET /v3/catalog/products/{id}", s.getProduct)
	s.route("POST /v3/hooks", s.createHook)
	s.route("GET /v3/hooks", s.listHooks)
	s.route("GET /v3/hooks/{id}", s.getHook)
	s.route("PUT /v3/hooks/{id}", s.updateHook)
	s.route("DELETE /v3/hooks/{id}", s.deleteHook)
	s.route("PUT /v3/inventory/adjustments/absolute", s.adjustAbsolute)
	s.route("GET /v3/inventory/locations/{location_id}/items", s.locationItems)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.ctl.Lock()
		s.stats.Requests++
		s.ctl.Unlock()
		if strings.Contains(r.URL.Path, "/v2/") {
			v2Error(w, http.StatusNotFound, "The requested resource was not found.")
			return
		}
		problem(w, http.StatusNotFound, "The requested resource was not found.")
	})
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// StoreHash is the store's hash, for building base URLs.
func (s *Server) StoreHash() string { return s.hash }

// SetFaults replaces the pending faults.
func (s *Server) SetFaults(f Faults) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.faults = f
}

// Stats returns the traffic seen so far.
func (s *Server) Stats() Stats {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	st := s.stats
	st.ByEndpoint = make(map[string]int, len(s.stats.ByEndpoint))
	for k, v := range s.stats.ByEndpoint {
		st.ByEndpoint[k] = v
	}
	return st
}

// window is BigCommerce's fixed window: it opens with the first request
// after the previous one closed and admits limit.Requests until it closes.
type window struct {
	open  bool
	start time.Time
	count int
}

func (s *Server) roll(now time.Time) {
	if s.window.open && now.Sub(s.window.start) >= s.limit.Window {
		s.window.open = false
	}
}

// take admits one request into the current window.
func (s *Server) take(now time.Time) bool {
	s.roll(now)
	if !s.window.open {
		s.window = window{open: true, start: now}
	}
	if s.window.count >= s.limit.Requests {
		return false
	}
	s.window.count++
	return true
}

// rateHeaders sets the four headers BigCommerce sends on every response.
// spent reports the quota as used up, for a storm. Reset is rounded up, so
// a client that waits it out is past the reset.
func (s *Server) rateHeaders(h http.Header, now time.Time, spent bool) {
	s.roll(now)
	left, reset := s.limit.Requests, s.limit.Window
	if s.window.open {
		left = s.limit.Requests - s.window.count
		reset = s.window.start.Add(s.limit.Window).Sub(now)
	} else if spent {
		s.window = window{open: true, start: now}
	}
	if spent {
		left = 0
	}
	h.Set("X-Rate-Limit-Time-Window-Ms", strconv.FormatInt(s.limit.Window.Milliseconds(), 10))
	h.Set("X-Rate-Limit-Time-Reset-Ms", strconv.FormatInt(ceilMs(reset), 10))
	h.Set("X-Rate-Limit-Requests-Quota", strconv.Itoa(s.limit.Requests))
	h.Set("X-Rate-Limit-Requests-Left", strconv.Itoa(left))
}

func ceilMs(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// route registers an API endpoint under /stores/{store_hash}/ behind the
// gateway: store, credentials, rate limit and faults.
func (s *Server) route(pattern string, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	v2 := strings.HasPrefix(path, "/v2/")
	s.mux.HandleFunc(method+" /stores/{store_hash}"+path, func(w http.ResponseWriter, r *http.Request) {
		s.ctl.Lock()
		s.stats.Requests++
		s.stats.ByEndpoint[pattern]++
		s.ctl.Unlock()
		fail := problem
		if v2 {
			fail = v2Error
		}
		if r.PathValue("store_hash") != s.hash {
			fail(w, http.StatusNotFound, "The requested store was not found.")
			return
		}
		// Reading the body first lets the server notice a client that hangs
		// up during a slow response, and end the handler.
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdjustmentBody))
			if err != nil {
				fail(w, http.StatusRequestEntityTooLarge, "The request payload is too large.")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		now := s.now()
		if !s.tokenAccepted(r.Header.Get("X-Auth-Token")) {
			s.ctl.Lock()
			s.stats.Unauthorized++
			s.rateHeaders(w.Header(), now, false)
			s.ctl.Unlock()
			fail(w, http.StatusUnauthorized, "You are not authorized to access this resource. Check the X-Auth-Token header.")
			return
		}

		s.ctl.Lock()
		status, drop, delay := 0, false, time.Duration(0)
		switch f := &s.faults; {
		case f.RateLimitStorm > 0:
			f.RateLimitStorm--
			s.stats.Faults.RateLimitStorm++
			s.rateHeaders(w.Header(), now, true)
			status = http.StatusTooManyRequests
		case f.Overload > 0:
			f.Overload--
			s.stats.Faults.Overload++
			status = http.StatusTooManyRequests
		case !s.take(now):
			s.stats.RateLimited++
			s.rateHeaders(w.Header(), now, false)
			status = http.StatusTooManyRequests
		default:
			s.rateHeaders(w.Header(), now, false)
			switch {
			case f.Drop > 0:
				f.Drop--
				s.stats.Faults.Drop++
				drop = true
			case f.ServerErrors > 0:
				f.ServerErrors--
				s.stats.Faults.ServerErrors++
				status = []int{500, 502, 503}[(s.stats.Faults.ServerErrors-1)%3]
			case f.Slow > 0:
				f.Slow--
				s.stats.Faults.Slow++
				delay = f.Delay
			}
		}
		s.ctl.Unlock()

		switch {
		case status == http.StatusTooManyRequests:
			fail(w, status, "Too many requests. Please retry after the time given in X-Rate-Limit-Time-Reset-Ms.")
			return
		case status == http.StatusInternalServerError:
			fail(w, status, "Internal Server Error")
			return
		case status != 0:
			fault.HTMLError(w, status)
			return
		case drop:
			fault.Drop(w)
			return
		case delay > 0:
			if !fault.Delay(r, delay) {
				return
			}
		}
		if !s.conforms(w, r) {
			return
		}
		h(w, r)
	})
}

// problemType is the "type" BigCommerce puts in its problem documents.
const problemType = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"

// problem answers a V3 error: application/problem+json.
func problem(w http.ResponseWriter, status int, title string) {
	writeJSON(w, status, "application/problem+json", map[string]any{
		"status": status, "title": title, "type": problemType, "errors": map[string]any{},
	})
}

// v2Error answers a V2 error: an array of {status, message}.
func v2Error(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, "application/json", []map[string]any{{"status": status, "message": message}})
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"status":500,"title":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(b)
}

// queryInt reads an integer query parameter; absent gives def.
func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("The field '%s' is invalid.", name)
	}
	return n, nil
}

// pageParams reads page and limit, clamping limit to max.
func pageParams(r *http.Request, def, max int64) (page, limit int64, err error) {
	if page, err = queryInt(r, "page", 1); err != nil {
		return 0, 0, err
	}
	if limit, err = queryInt(r, "limit", def); err != nil {
		return 0, 0, err
	}
	if page < 1 {
		return 0, 0, fmt.Errorf("The field 'page' is invalid.")
	}
	if limit < 1 {
		return 0, 0, fmt.Errorf("The field 'limit' is invalid.")
	}
	return page, min(limit, max), nil
}

var (
	dateOnlyRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	layouts    = []string{
		time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700",
		time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05",
	}
)

// parseDate accepts RFC-2822 and ISO-8601 forms (the V2 orders reference); a bare date
// is midnight UTC; a zone-less time is UTC, the simulated store's zone.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if dateOnlyRE.MatchString(s) {
		return time.Parse(time.DateOnly, s)
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q", s)
}

// dateRange reads a min/max pair of date filters.
func dateRange(r *http.Request, minName, maxName string) (from, to time.Time, err error) {
	q := r.URL.Query()
	if v := q.Get(minName); v != "" {
		if from, err = parseDate(v); err != nil {
			return from, to, fmt.Errorf("The field '%s' is invalid.", minName)
		}
	}
	if v := q.Get(maxName); v != "" {
		if to, err = parseDate(v); err != nil {
			return from, to, fmt.Errorf("The field '%s' is invalid.", maxName)
		}
	}
	return from, to, nil
}

// inRange compares whole seconds, both bounds inclusive.
func inRange(t, from, to time.Time) bool {
	t = t.Truncate(time.Second)
	if !from.IsZero() && t.Before(from.Truncate(time.Second)) {
		return false
	}
	return to.IsZero() || !t.After(to.Truncate(time.Second))
}

// rng is the deterministic generator for a seed.
func rng(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}
