// Package squarespacesim is an in-process Squarespace site: an http.Handler
// that speaks the Commerce API wire format a connector uses (developers.squarespace.com):
// orders (GET /1.0/commerce/orders, /1.0/commerce/orders/{id}), products
// with variants and images (GET /v2/commerce/products), inventory
// (GET /1.0/commerce/inventory) and stock adjustments with a required
// Idempotency-Key (POST /1.0/commerce/inventory/adjustments). It enforces
// the documented 300 requests per minute with its one-minute cool-down,
// requires a User-Agent and the API key (or OAuth token) as a bearer token,
// and injects faults on request. It also keeps webhook subscriptions
// (/1.0/webhook_subscriptions, OAuth token only) and delivers signed
// order.create and order.update notifications with Squarespace's retries
// from background goroutines (webhooks.go, package outbox); Close stops
// them. Tests serve it with httptest; make dev serves it beside the app.
//
// Facts the stored docs leave open are settled here as follows:
//   - The rate limit is a sliding window: a request is refused when 300
//     requests were admitted in the 60 s before it. The refusal starts a
//     one-minute cool-down in which every request is answered 429; requests
//     refused that way are not admitted and do not count. No rate headers
//     and no Retry-After are sent (none are documented).
//   - modifiedAfter and modifiedBefore are both exclusive, compared at
//     millisecond precision; timestamps are rendered with milliseconds.
//   - A cursor is opaque, encodes the query it continues (window, status or
//     types, and the last item's position), and may not be combined with
//     any other parameter, fulfillmentStatus and type included.
//   - An adjustment is all or nothing: if any operation is refused, nothing
//     is applied and the answer is 400 with the error object, whose message
//     names the first refused variant by id. Success is 204 No Content.
//     The executed answer (success or refusal) is kept under its
//     Idempotency-Key for 48 hours and replayed to any request carrying the
//     same key and body; the same key with another body is 422 (the
//     behaviour of draft-ietf-httpapi-idempotency-key-header; Squarespace
//     documents only "the same idempotency key and parameters").
//   - Error "type" values per status: 400 INVALID_REQUEST_ERROR, 401 and
//     403 AUTHORIZATION_ERROR, 404 NOT_FOUND (INVALID_REQUEST_ERROR /
//     INVALID_ARGUMENT for a webhook subscription, as its pages document),
//     422 INVALID_REQUEST_ERROR, 429 TOO_MANY_REQUESTS, 5xx INTERNAL_ERROR.
//     Squarespace documents the object but lists the values per endpoint,
//     which the stored pages mostly do not show.
//   - Placing an order (CreateOrder) takes its quantities from stock;
//     cancelling it puts them back; seeded orders hold no stock, so seeded
//     quantities are what Quantities reports.
package squarespacesim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autosync/autosync/shared/simulator/fault"
	"github.com/autosync/autosync/shared/simulator/outbox"
)

const (
	// DefaultAPIKey is the key a simulator accepts when Options names none.
	DefaultAPIKey = "sqsp_simulator_api_key"
	// DefaultPerMinute is Squarespace's documented limit.
	DefaultPerMinute = 300
	// CoolDown is how long every request is refused after the limit was
	// exceeded.
	CoolDown = time.Minute
	// PageSize is the most items one page of orders, products or
	// inventory holds.
	PageSize = 50
	// MaxAdjustmentOperations is the most operations, of all four kinds
	// together, one adjustment request may carry; more is a 400.
	// [unverified] Squarespace documents no per-request maximum for
	// /inventory/adjustments; 50 is the figure
	// commonly cited and the limit of its other batch endpoints (50 ids per
	// GET /inventory/{ids} and /products/{ids}). The connector batches to
	// this number and splits a refused batch, so a lower real limit costs
	// requests, not correctness.
	MaxAdjustmentOperations = 50
	// IdempotencyTTL is how long an Idempotency-Key is remembered; the docs
	// guarantee at least 48 hours.
	IdempotencyTTL = 48 * time.Hour
)

// Options configure a Server.
type Options struct {
	// APIKey is the only bearer token accepted.
	APIKey string
	// SKUs are the site's physical variants, each with stock, grouped into
	// products of one to three variants; nil means SKU-0001 to SKU-0060.
	// The catalog exists from New on.
	SKUs []string
	// Now is the clock for the rate limit, the cool-down, idempotency keys
	// and timestamps; nil means time.Now.
	Now func() time.Time
	// PerMinute is the rate limit; 0 means DefaultPerMinute and a negative
	// value means none.
	PerMinute int

	// OAuthToken is the OAuth access token the site accepts beside the API
	// key. The Webhook Subscriptions API accepts only it and answers 403
	// to the API key, as Squarespace does; the Commerce APIs accept
	// either. Empty means the APIKey stands for the token too, so a
	// simulator set up with one credential serves every endpoint.
	OAuthToken string
	// ClientID and ClientSecret are the app the site's OAuth provider
	// knows; empty means DefaultClientID and DefaultClientSecret. Access
	// tokens it issues count as OAuth tokens.
	ClientID, ClientSecret string
	// WebsiteID is the websiteId notifications carry; empty means
	// DefaultWebsiteID.
	WebsiteID string
	// WebhookDelayUnit is the real time that stands for one second of the
	// retry schedule (a minute before the first retry, about 45 hours in
	// all); zero means a second. Tests pass a microsecond so that retries
	// come at once.
	WebhookDelayUnit time.Duration
	// WebhookTimeout is how long a delivery attempt may take before it
	// counts as failed; zero means DefaultWebhookTimeout.
	WebhookTimeout time.Duration
}

// Faults are failures to inject into the next requests. Each count is
// consumed by one request that passed the User-Agent and key checks; a
// request suffers at most one fault, taken in the order RateLimitStorm,
// Drop, ServerErrors, Slow (all before the request is handled), then
// DropAfterApply.
type Faults struct {
	// RateLimitStorm trips the rate limit whatever the window holds, as
	// another app of the same site would: a 429 and a cool-down.
	RateLimitStorm int
	// Drop closes the connection without an answer before handling.
	Drop int
	// ServerErrors answers 500, 502 and 503 in turn before handling.
	ServerErrors int
	// Slow waits Delay before handling.
	Slow  int
	Delay time.Duration
	// DropAfterApply handles the request (an adjustment is applied and its
	// answer kept under its Idempotency-Key) and then closes the
	// connection without sending the answer: the ambiguous outcome the
	// Idempotency-Key exists for.
	DropAfterApply int
}

// FaultCounts count injected faults, so tests can assert they happened.
type FaultCounts struct {
	RateLimitStorm, Drop, ServerErrors, Slow, DropAfterApply int
}

// Stats describe the traffic a Server has seen.
type Stats struct {
	// Requests counts every request received.
	Requests int
	// SchemaRefused counts bodies the published description refused.
	SchemaRefused int
	// ByEndpoint counts admitted requests (past the User-Agent, key and
	// rate checks) by route: "GET /1.0/commerce/orders", ...
	ByEndpoint map[string]int
	// NoUserAgent counts requests refused for want of a User-Agent.
	NoUserAgent int
	// Unauthorized counts 401s; Forbidden counts 403s (the API key used
	// where only the OAuth token will do).
	Unauthorized, Forbidden int
	// RateLimited counts 429s; CoolDowns counts the cool-downs started.
	RateLimited, CoolDowns int
	// BadRequests counts 400s and 422s answered by the API.
	BadRequests int
	// AdjustmentKeys is the Idempotency-Key of every adjustment request
	// that reached the endpoint, in order, replays included.
	AdjustmentKeys []string
	// Applied counts adjustment requests executed and applied; Refused
	// those executed and refused (nothing applied); Replayed those answered
	// from a kept answer without executing again.
	Applied, Refused, Replayed int
	// Operations counts operations applied by Applied requests.
	Operations int
	Faults     FaultCounts
}

// Server is a simulated Squarespace site. It is safe for concurrent use.
type Server struct {
	key       []byte
	oauth     []byte
	websiteID string
	now       func() time.Time
	perMinute int
	mux       *http.ServeMux
	out       *outbox.Outbox

	mu        sync.Mutex // guards everything below
	st        *store
	admitted  []time.Time // admission times in the last minute, oldest first
	coolUntil time.Time
	faults    Faults
	stats     Stats
	hooks     hooks

	contextID atomic.Int64

	prov provider // the OAuth provider; its own mutex
}

// New returns a site selling opts.SKUs, each with stock, and holding no
// orders.
func New(opts Options) *Server {
	s := &Server{
		key:       []byte(opts.APIKey),
		now:       opts.Now,
		perMinute: opts.PerMinute,
		mux:       http.NewServeMux(),
	}
	if len(s.key) == 0 {
		s.key = []byte(DefaultAPIKey)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.perMinute == 0 {
		s.perMinute = DefaultPerMinute
	}
	s.oauth = []byte(opts.OAuthToken)
	if len(s.oauth) == 0 {
		s.oauth = s.key
	}
	s.websiteID = opts.WebsiteID
	if s.websiteID == "" {
		s.websiteID = DefaultWebsiteID
	}
	timeout := opts.WebhookTimeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	s.out = outbox.New(hookCart{s}, outbox.Config{Retries: webhookRetries, Unit: opts.WebhookDelayUnit,
		Timeout: timeout, Connect: webhookConnectTimeout, Now: s.now}) // any 2xx is a success
	skus := slices.Clone(opts.SKUs)
	if len(skus) == 0 {
		for i := 1; i <= 60; i++ {
			skus = append(skus, fmt.Sprintf("SKU-%04d", i))
		}
	}
	s.stats.ByEndpoint = map[string]int{}
	s.st = newStore(skus, s.stamp())

	s.providerRoutes(opts)
	s.route("GET /1.0/authorization/website", s.siteInfo)
	s.route("GET /1.0/commerce/orders", s.listOrders)
	s.route("GET /1.0/commerce/orders/{id}", s.getOrder)
	s.route("GET /v2/commerce/products", s.listProducts)
	s.route("GET /1.0/commerce/inventory", s.listInventory)
	s.route("POST /1.0/commerce/inventory/adjustments", s.adjust)
	s.routeOAuth("GET /1.0/webhook_subscriptions", s.listHooks)
	s.routeOAuth("POST /1.0/webhook_subscriptions", s.createHook)
	s.routeOAuth("GET /1.0/webhook_subscriptions/{id}", s.getHook)
	s.routeOAuth("POST /1.0/webhook_subscriptions/{id}", s.updateHook)
	s.routeOAuth("DELETE /1.0/webhook_subscriptions/{id}", s.deleteHook)
	s.routeOAuth("POST /1.0/webhook_subscriptions/{id}/actions/rotateSecret", s.rotateHookSecret)
	s.route("/", func(w http.ResponseWriter, r *http.Request) {
		s.apiError(w, http.StatusNotFound, "NOT_FOUND", "", "The requested resource was not found.")
	})
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// SetFaults replaces the pending faults.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Stats returns the traffic seen so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByEndpoint = maps.Clone(s.stats.ByEndpoint)
	st.AdjustmentKeys = slices.Clone(s.stats.AdjustmentKeys)
	return st
}

// stamp is the clock's time as Squarespace keeps it: UTC, milliseconds.
func (s *Server) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// admit applies the rate limit to a request at now. The caller holds s.mu.
func (s *Server) admit(now time.Time) bool {
	if now.Before(s.coolUntil) {
		return false
	}
	if s.faults.RateLimitStorm > 0 {
		s.faults.RateLimitStorm--
		s.stats.Faults.RateLimitStorm++
		s.startCoolDown(now)
		return false
	}
	if s.perMinute < 0 {
		return true
	}
	cut := 0
	for cut < len(s.admitted) && !s.admitted[cut].After(now.Add(-time.Minute)) {
		cut++
	}
	s.admitted = s.admitted[cut:]
	if len(s.admitted) >= s.perMinute {
		s.startCoolDown(now)
		return false
	}
	s.admitted = append(s.admitted, now)
	return true
}

func (s *Server) startCoolDown(now time.Time) {
	s.coolUntil = now.Add(CoolDown)
	s.stats.CoolDowns++
}

// injected is what a request suffers.
type injected struct {
	drop, dropAfter bool
	status          int
	delay           time.Duration
}

// takeFault consumes the pending fault, if any. The caller holds s.mu.
func (s *Server) takeFault() injected {
	switch f := &s.faults; {
	case f.Drop > 0:
		f.Drop--
		s.stats.Faults.Drop++
		return injected{drop: true}
	case f.ServerErrors > 0:
		f.ServerErrors--
		s.stats.Faults.ServerErrors++
		return injected{status: []int{500, 502, 503}[(s.stats.Faults.ServerErrors-1)%3]}
	case f.Slow > 0:
		f.Slow--
		s.stats.Faults.Slow++
		return injected{delay: f.Delay}
	case f.DropAfterApply > 0:
		f.DropAfterApply--
		s.stats.Faults.DropAfterApply++
		return injected{dropAfter: true}
	}
	return injected{}
}

// route registers an endpoint behind Squarespace's gateway: User-Agent,
// API key or OAuth token, rate limit and faults. Handlers write to a
// buffer, so that an answer can be computed and then dropped.
func (s *Server) route(pattern string, h http.HandlerFunc) { s.handle(pattern, false, h) }

// routeOAuth registers an endpoint that takes the OAuth token only.
func (s *Server) routeOAuth(pattern string, h http.HandlerFunc) { s.handle(pattern, true, h) }

func (s *Server) handle(pattern string, oauthOnly bool, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stats.Requests++
		s.mu.Unlock()
		if strings.TrimSpace(r.Header.Get("User-Agent")) == "" {
			s.mu.Lock()
			s.stats.NoUserAgent++
			s.mu.Unlock()
			s.apiError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "MISSING_HEADER",
				"All requests must include the User-Agent header.")
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		isKey := ok && subtle.ConstantTimeCompare([]byte(token), s.key) == 1
		isOAuth := ok && (subtle.ConstantTimeCompare([]byte(token), s.oauth) == 1 || s.issued(token, s.now()))
		if !isKey && !isOAuth {
			s.mu.Lock()
			s.stats.Unauthorized++
			s.mu.Unlock()
			s.apiError(w, http.StatusUnauthorized, "AUTHORIZATION_ERROR", "",
				"The API key or OAuth token is missing, invalid or revoked.")
			return
		}
		if oauthOnly && !isOAuth {
			s.mu.Lock()
			s.stats.Forbidden++
			s.mu.Unlock()
			s.apiError(w, http.StatusForbidden, "AUTHORIZATION_ERROR", "",
				"Requests to the Webhook Subscriptions API must authenticate using an OAuth token.")
			return
		}

		s.mu.Lock()
		if !s.admit(s.now()) {
			s.stats.RateLimited++
			s.mu.Unlock()
			s.apiError(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "",
				"Too many requests: the rate limit is 300 requests per minute; try again after the one-minute cool-down.")
			return
		}
		s.stats.ByEndpoint[endpointName(pattern, r)]++
		f := s.takeFault()
		s.mu.Unlock()

		switch {
		case f.drop:
			fault.Drop(w)
			return
		case f.status >= 500:
			if f.status == http.StatusBadGateway {
				fault.HTMLError(w, f.status)
				return
			}
			s.apiError(w, f.status, "INTERNAL_ERROR", "", "An internal error occurred; report the contextId if it persists.")
			return
		case f.delay > 0:
			if !fault.Delay(r, f.delay) {
				return
			}
		}

		rec := &recorder{header: http.Header{}}
		if !s.conforms(rec, r) {
			rec.flush(w)
			return
		}
		h(rec, r)
		if f.dropAfter {
			fault.Drop(w)
			return
		}
		rec.flush(w)
	})
}

// endpointName is the route's method and pattern, for Stats.ByEndpoint.
func endpointName(pattern string, r *http.Request) string {
	if pattern == "/" {
		return r.Method + " (unknown)"
	}
	return pattern
}

// recorder buffers a handler's answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

func (r *recorder) flush(w http.ResponseWriter) {
	maps.Copy(w.Header(), r.header)
	r.WriteHeader(http.StatusOK)
	w.WriteHeader(r.status)
	w.Write(r.body.Bytes())
}

// apiErrorBody is Squarespace's error object: every field always present.
type apiErrorBody struct {
	Type      string  `json:"type"`
	Subtype   *string `json:"subtype"`
	Message   string  `json:"message"`
	Details   any     `json:"details"`
	ContextID string  `json:"contextId"`
}

func (s *Server) errorBody(typ, subtype, msg string) apiErrorBody {
	id := s.contextID.Add(1)
	b := apiErrorBody{Type: typ, Message: msg, ContextID: fmt.Sprintf("SIMCTX%06d", id)}
	if subtype != "" {
		b.Subtype = &subtype
	}
	return b
}

func (s *Server) apiError(w http.ResponseWriter, status int, typ, subtype, msg string) {
	if status == http.StatusBadRequest || status == http.StatusUnprocessableEntity {
		s.mu.Lock()
		s.stats.BadRequests++
		s.mu.Unlock()
	}
	writeJSON(w, status, s.errorBody(typ, subtype, msg))
}

// siteInfo is GET /1.0/authorization/website (Retrieve basic site
// information): the website the API key or OAuth token belongs to, with
// the fields of Squarespace's documented response example.
func (s *Server) siteInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{
		"id": s.websiteID, "siteId": "simulated-site", "title": "Simulated Site",
		"url": "https://simulated-site.squarespace.com", "currency": "USD",
		"measurementStandard": "IMPERIAL", "language": "en-US", "timeZone": "America/New_York",
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"type":"INTERNAL_ERROR","subtype":null,"message":"encoding failed","details":null,"contextId":"SIM"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
