// Package woocommercesim is an in-process WooCommerce store: an
// http.Handler that speaks the WooCommerce REST API v3 wire format
// (/wp-json/wc/v3/..., the WooCommerce REST API docs) for the orders, products,
// variations and stock a connector reads and writes, with WordPress's
// parameter validation, page headers and per-item batch errors.
//
// WooCommerce core has no rate limit (its REST API docs name none); hosts and WAFs add
// one. Options.RateLimit models such a host: a token bucket answering 429
// with Retry-After. Faults are injected on request. Webhooks (/webhooks)
// are delivered signed from a background goroutine, without retries, as
// WooCommerce does (hooks.go, package outbox); Close stops them. Tests
// serve the simulator with httptest; make dev serves it beside the app.
//
// Deviations from a real store, on purpose: Basic auth and the query-string
// fallback are accepted over plain HTTP (a real store demands OAuth 1.0a
// there), and only the fields and parameters a connector needs exist.
package woocommercesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/simulator/fault"
	"github.com/autosync/autosync/shared/simulator/outbox"
)

// Default credentials, used when Options names none.
const (
	DefaultConsumerKey    = "ck_simulator_key"
	DefaultConsumerSecret = "cs_simulator_secret"
)

// APIRoot is where the REST API lives under the store URL.
const APIRoot = "/wp-json/wc/v3"

// RateLimit is a host's request limit: a token bucket refilled at
// PerSecond up to Burst requests. A request that finds it empty is answered
// 429 with Retry-After in whole seconds (the HTTP form), rounded up.
type RateLimit struct {
	PerSecond float64
	// Burst is the bucket size; 0 means one second's worth (at least 1).
	Burst int
	// StartEmpty starts the bucket with no tokens, so a benchmark measures
	// the steady state rather than a free initial burst.
	StartEmpty bool
}

// Options configure a Server.
type Options struct {
	// ConsumerKey and ConsumerSecret are the only REST API keys accepted
	// (beside those the app authentication endpoint issues).
	ConsumerKey, ConsumerSecret string
	// KeyPermissions are the configured key's permissions: PermRead,
	// PermWrite or PermReadWrite; "" means PermReadWrite.
	KeyPermissions string
	// SKUs are what the store sells. SKUs sharing a prefix before their
	// last '-' (TEE-S, TEE-M, TEE-L), two to ten of them, become the
	// variations of one variable product; the others are simple products.
	// nil means SKU-0001 to SKU-0040 (simple) and VAR-01-A to VAR-05-D
	// (five variable products of four variations).
	SKUs []string
	// SimpleOnly makes every SKU a simple product.
	SimpleOnly bool
	// Now is the clock for timestamps and the rate limit; nil means time.Now.
	Now func() time.Time
	// Location is the site's time zone, used for the non-GMT dates; nil
	// means UTC-3, so that a connector mixing up the two is caught.
	Location *time.Location
	// RateLimit, if PerSecond > 0, is the host's limit.
	RateLimit RateLimit
	// StripAuthorization drops the Authorization header before WordPress
	// sees it, as some FastCGI hosts do; only the query-string keys work.
	StripAuthorization bool

	// SiteURL is the site's home URL, which deliveries name in
	// X-WC-Webhook-Source; empty means DefaultSiteURL. Each webhook signs
	// with its own secret, given when it is created.
	SiteURL string
	// WebhookDelayUnit is the real time that stands for one second of
	// delivery timing; WooCommerce does not retry, so it only bounds how
	// long WebhookFaults.OutOfOrder holds a delivery (60 units, at least a
	// second). Zero means a second.
	WebhookDelayUnit time.Duration
	// WebhookTimeout is how long a delivery may take before it counts as
	// failed; zero means DefaultWebhookTimeout (WooCommerce's 60 seconds).
	WebhookTimeout time.Duration
}

// Faults are failures to inject into the next requests. Each count is
// consumed by one request; a request suffers at most one fault, taken in the
// order Drop, ServerErrors, RateLimit429, Slow.
type Faults struct {
	Drop         int           // close the connection without a response
	ServerErrors int           // answer 502 and 503, alternately
	RateLimit429 int           // answer 429 whatever the rate limit
	RetryAfter   time.Duration // Retry-After of an injected 429, whole seconds rounded up
	Slow         int           // wait Delay before answering
	Delay        time.Duration // how long a slow request waits
}

// FaultCounts count injected faults, so tests can assert they happened.
type FaultCounts struct {
	Drop, ServerErrors, RateLimit429, Slow int
}

// Stats describe the traffic a Server has seen.
type Stats struct {
	// Requests counts every request received.
	Requests int
	// SchemaRefused counts objects the reference's property tables refused.
	SchemaRefused int
	// ByEndpoint counts requests by route, "GET /orders",
	// "POST /products/batch", "POST /products/{id}/variations/batch", ...
	// (unknown routes under "other").
	ByEndpoint map[string]int
	// RateLimited counts 429 answers given because the host limit ran out.
	RateLimited int
	// Unauthorized counts 401 answers.
	Unauthorized int
	// StockUpdates counts items whose stock a write changed or confirmed.
	StockUpdates int
	Faults       FaultCounts
}

// Server is a simulated WooCommerce store. It is safe for concurrent use.
type Server struct {
	key, secret []byte
	perms       string
	now         func() time.Time
	loc         *time.Location
	stripAuth   bool
	mux         *http.ServeMux

	mu sync.Mutex // guards st
	st *store

	ctl    sync.Mutex // guards limit, tokens, at, faults, stats
	limit  RateLimit
	tokens float64
	at     time.Time
	faults Faults
	stats  Stats

	siteURL string
	keys    keyring
	hooks   hooks
	out     *outbox.Outbox
}

// New returns a store selling opts.SKUs, holding no orders.
func New(opts Options) *Server {
	s := &Server{
		key:       []byte(opts.ConsumerKey),
		secret:    []byte(opts.ConsumerSecret),
		perms:     opts.KeyPermissions,
		now:       opts.Now,
		loc:       opts.Location,
		stripAuth: opts.StripAuthorization,
		mux:       http.NewServeMux(),
	}
	if len(s.key) == 0 {
		s.key = []byte(DefaultConsumerKey)
	}
	if len(s.secret) == 0 {
		s.secret = []byte(DefaultConsumerSecret)
	}
	if s.perms == "" {
		s.perms = PermReadWrite
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil {
		s.loc = time.FixedZone("UTC-3", -3*3600)
	}
	s.stats.ByEndpoint = map[string]int{}
	s.setLimit(opts.RateLimit)
	s.st = newStore(s.now().UTC().Truncate(time.Second), opts.SKUs, opts.SimpleOnly)
	s.siteURL = opts.SiteURL
	if s.siteURL == "" {
		s.siteURL = DefaultSiteURL
	}
	timeout := opts.WebhookTimeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	// No retries; WC_Webhook::deliver counts 200-302 as delivered.
	s.out = outbox.New(hookCart{s}, outbox.Config{Unit: opts.WebhookDelayUnit, Timeout: timeout,
		Connect: webhookConnectTimeout, Now: s.now, Success: func(status int) bool { return status >= 200 && status < 303 }})

	route := func(method, path string, h http.HandlerFunc) {
		name := method + " " + path
		s.mux.HandleFunc(method+" "+APIRoot+path, func(w http.ResponseWriter, r *http.Request) {
			s.serve(name, w, r, h)
		})
	}
	s.authRoutes()
	route("GET", "/orders", s.listOrders)
	route("GET", "/orders/{id}", s.getOrder)
	route("GET", "/products", s.listProducts)
	route("GET", "/products/{id}", s.getProduct)
	route("PUT", "/products/{id}", s.checked("product", s.putProduct))
	route("GET", "/products/{id}/variations", s.listVariations)
	route("PUT", "/products/{id}/variations/{vid}", s.checked("variation", s.putVariation))
	route("POST", "/products/batch", s.batchProducts)
	route("POST", "/products/{id}/variations/batch", s.batchVariations)
	route("POST", "/webhooks", s.checked("webhook", s.createWebhook))
	route("GET", "/webhooks", s.listWebhooks)
	route("GET", "/webhooks/{id}", s.getWebhook)
	route("PUT", "/webhooks/{id}", s.checked("webhook", s.updateWebhook))
	route("DELETE", "/webhooks/{id}", s.deleteWebhook)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.serve("other", w, r, func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.", nil)
		})
	})
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// SetFaults replaces the pending faults.
func (s *Server) SetFaults(f Faults) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.faults = f
}

// SetRateLimit replaces the host's limit; a zero PerSecond removes it.
func (s *Server) SetRateLimit(l RateLimit) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.setLimit(l)
}

func (s *Server) setLimit(l RateLimit) {
	if l.Burst <= 0 {
		l.Burst = max(1, int(math.Ceil(l.PerSecond)))
	}
	s.limit = l
	s.tokens = float64(l.Burst)
	if l.StartEmpty {
		s.tokens = 0
	}
	s.at = s.now()
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

// admit counts a request and decides its fate before WordPress runs:
// an injected fault, or the host's rate limit.
func (s *Server) admit(endpoint string) (drop bool, status int, retryAfter time.Duration, delay time.Duration) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.stats.Requests++
	s.stats.ByEndpoint[endpoint]++
	switch f := &s.faults; {
	case f.Drop > 0:
		f.Drop--
		s.stats.Faults.Drop++
		return true, 0, 0, 0
	case f.ServerErrors > 0:
		f.ServerErrors--
		s.stats.Faults.ServerErrors++
		if s.stats.Faults.ServerErrors%2 == 1 {
			return false, http.StatusBadGateway, 0, 0
		}
		return false, http.StatusServiceUnavailable, 0, 0
	case f.RateLimit429 > 0:
		f.RateLimit429--
		s.stats.Faults.RateLimit429++
		return false, http.StatusTooManyRequests, f.RetryAfter, 0
	case f.Slow > 0:
		f.Slow--
		s.stats.Faults.Slow++
		delay = f.Delay
	}
	if l := s.limit; l.PerSecond > 0 {
		now := s.now()
		if now.After(s.at) {
			s.tokens = math.Min(float64(l.Burst), s.tokens+l.PerSecond*now.Sub(s.at).Seconds())
			s.at = now
		}
		if s.tokens < 1 {
			s.stats.RateLimited++
			wait := time.Duration((1 - s.tokens) / l.PerSecond * float64(time.Second))
			return false, http.StatusTooManyRequests, wait, 0
		}
		s.tokens--
	}
	return false, 0, 0, delay
}

// serve runs one request through the host (faults, rate limit), WordPress's
// authentication and the route's handler.
func (s *Server) serve(endpoint string, w http.ResponseWriter, r *http.Request, h http.HandlerFunc) {
	// Reading the body first lets the server notice a client that hangs up
	// during a slow response, and end the handler.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	r.Body = io.NopCloser(bytes.NewReader(body))
	drop, status, retryAfter, delay := s.admit(endpoint)
	if err != nil && status == 0 && !drop {
		writeError(w, http.StatusRequestEntityTooLarge, "rest_request_too_large", "The request body could not be read.", nil)
		return
	}
	switch {
	case drop:
		fault.Drop(w)
		return
	case status == http.StatusTooManyRequests:
		// Hosts answer this, not WordPress: plain text, whole seconds.
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(retryAfter.Seconds())), 10))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintln(w, "429 Too Many Requests")
		return
	case status != 0:
		fault.HTMLError(w, status)
		return
	case delay > 0:
		if !fault.Delay(r, delay) {
			return
		}
	}
	if endpoint != "other" {
		if code, msg := s.authenticate(r, endpoint); code != "" {
			s.ctl.Lock()
			s.stats.Unauthorized++
			s.ctl.Unlock()
			writeError(w, http.StatusUnauthorized, code, msg, nil)
			return
		}
	}
	h(w, r)
}

// authenticate checks the REST API keys as WC_REST_Authentication does over
// HTTPS: the consumer_key/consumer_secret query parameters if both are
// set, else HTTP Basic (perform_basic_authentication). It returns the
// error code and message of a refusal.
//
// A key the store does not have (never issued, or deleted: revoked under
// WooCommerce → Settings → Advanced → REST API) sets no error there: the
// request runs as a visitor, and the route's permission check refuses it
// exactly as a request without keys. A key with another secret is
// "Consumer secret is invalid."; a key lacking the permission the method
// needs is refused by check_user_permissions (before the route runs).
func (s *Server) authenticate(r *http.Request, endpoint string) (code, message string) {
	q := r.URL.Query()
	key, secret := q.Get("consumer_key"), q.Get("consumer_secret")
	if key == "" || secret == "" {
		var ok bool
		key, secret, ok = r.BasicAuth()
		if s.stripAuth || !ok {
			key, secret = "", ""
		}
	}
	known, secretOK, perms := false, false, ""
	if key != "" && secret != "" {
		known, secretOK, perms = s.lookupKey(key, secret)
	}
	switch {
	case !known:
		return visitorRefusal(r.Method, endpoint)
	case !secretOK:
		return "woocommerce_rest_authentication_error", "Consumer secret is invalid."
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if perms != PermRead && perms != PermReadWrite {
			return "woocommerce_rest_authentication_error", "The API key provided does not have read permissions."
		}
	default:
		if perms != PermWrite && perms != PermReadWrite {
			return "woocommerce_rest_authentication_error", "The API key provided does not have write permissions."
		}
	}
	return "", ""
}

// visitorRefusal is the route's permission check refusing a request that
// runs without a user (rest_authorization_required_code: 401).
func visitorRefusal(method, endpoint string) (code, message string) {
	switch method {
	case http.MethodGet:
		if strings.HasSuffix(endpoint, "/{id}") {
			return "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."
		}
		return "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
	case http.MethodPost:
		if endpoint == "POST /webhooks" {
			return "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."
		}
		return "woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource."
	case http.MethodDelete:
		return "woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."
	default:
		return "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."
	}
}

// wpError is WordPress's error body.
type wpError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

func writeError(w http.ResponseWriter, status int, code, message string, data map[string]any) {
	d := map[string]any{"status": status}
	for k, v := range data {
		d[k] = v
	}
	writeJSON(w, status, wpError{Code: code, Message: message, Data: d})
}

// invalidParam answers as WP_REST_Request::has_valid_params does.
func invalidParam(w http.ResponseWriter, param, reason string) {
	writeError(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+param, map[string]any{
		"params":  map[string]string{param: reason},
		"details": map[string]any{param: map[string]any{"code": "rest_invalid_param", "message": reason, "data": nil}},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"code":"internal_server_error","message":"encoding failed","data":{"status":500}}`, http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}

// fieldFilter implements ?_fields=a,b: only the named top-level fields
// (and always id) are returned.
func fieldFilter(r *http.Request) []string {
	raw := r.URL.Query()["_fields"]
	if len(raw) == 0 {
		return nil
	}
	fields := splitList(raw)
	if len(fields) == 0 {
		return nil
	}
	if !slices.Contains(fields, "id") {
		fields = append(fields, "id")
	}
	return fields
}

// project marshals v, a struct, keeping only fields when fields is set.
// Fields are written one by one in the struct's order, so a projection
// costs less than the whole object.
func project(v any, fields []string) (json.RawMessage, error) {
	if fields == nil {
		return json.Marshal(v)
	}
	rv := reflect.ValueOf(v)
	names := jsonNames(rv.Type())
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for i, name := range names {
		if name == "" || !slices.Contains(fields, name) {
			continue
		}
		x, err := json.Marshal(rv.Field(i).Interface())
		if err != nil {
			return nil, err
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(x)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

var jsonNameCache sync.Map // reflect.Type → []string

// jsonNames returns the JSON name of each field of struct type t ("" for
// fields not encoded).
func jsonNames(t reflect.Type) []string {
	if v, ok := jsonNameCache.Load(t); ok {
		return v.([]string)
	}
	names := make([]string, t.NumField())
	for i := range names {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && tag != "-" {
			names[i] = tag
			if tag == "" {
				names[i] = f.Name
			}
		}
	}
	jsonNameCache.Store(t, names)
	return names
}
