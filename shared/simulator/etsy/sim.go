// Package etsysim is an in-process Etsy shop: an http.Handler that speaks
// the Open API v3 wire format a connector uses (Etsy's published OpenAPI
// document, shared/cart/etsy/testdata/etsy_openapi.json) under
// /v3/application/: shop receipts (getShopReceipts,
// getShopReceipt), the shop's listings (getListingsByShop, with the Images
// and Inventory associations; updateListing for the state, active or
// inactive) and listing inventory (getListingInventory,
// updateListingInventory). The bodies of updateListingInventory and
// updateListing are checked against the request schemas of Etsy's
// published OpenAPI document (request_schemas.json, kept equal to it by a
// test): a missing readiness_state_id is a 400 in Etsy's error shape. It enforces Etsy's per-second (QPS) and per-day
// (QPD, a sliding 24-hour window of buckets) limits with Etsy's rate headers
// and 429s, checks both credentials Etsy requires, and injects faults on
// request. Tests serve it with httptest; make dev serves it beside the app.
//
// It also serves Etsy's OAuth token endpoint, POST /v3/public/oauth/token,
// for the refresh_token grant.
//
// Etsy's behaviour that the spec does not state, and where it comes from:
//   - x-api-key must be "keystring:shared_secret" (Etsy's authentication docs, enforced by
//     Etsy since February 2026); every endpoint here also needs the OAuth
//     bearer token.
//   - Access tokens last an hour (expires_in 3600), refresh tokens 90 days
//     (#116). An expired access token is answered 401
//     {"error":"invalid_token","error_description":"access token is
//     expired"} (#519). A refresh answers a new refresh token every time
//     (#353); a used, revoked or expired one is answered 400
//     {"error":"invalid_grant","error_description":"refresh_token is
//     revoked"} (#519, #549). The token endpoint takes client_id (the
//     keystring) in the form; it now and then answers 500 (#549,
//     Faults.TokenErrors).
//   - updateListingInventory replaces the listing's whole inventory. Its
//     body must follow the request schema, not echo getListingInventory:
//     price is a float, not a Money object, and product_id, offering_id,
//     is_deleted and scale_name are refused (etsy/open-api#159, #385). An
//     offering quantity is 0 to 999 (#214). A listing cannot be set to no
//     stock at all: one enabled offering must keep a quantity above 0
//     (#560). Each update gives every product and offering a new id
//     (#523). Values that do not vary by a property must be the same for
//     every product (the *_on_property fields; the operation's description
//     and #159).
//   - An inactive listing does not sell: CreateOrder and PlaceOrder refuse
//     a SKU whose listings are all inactive. Activating a listing whose
//     enabled offerings are all at 0 is refused (Etsy shows no active
//     listing with nothing to sell).
//   - Strings come HTML-escaped, as Etsy sends them (#446): a title
//     "Maker's" arrives as "Maker&#39;s".
//   - Per-second 429s carry no rate headers and no retry-after (Etsy's
//     rate limits page); a daily 429 carries retry-after, the seconds until the oldest
//     bucket holding requests leaves the window (Options.OmitRetryAfter
//     drops it). Bodies are {"error":"Exceeded per second rate limit"} and
//     {"error":"Exceeded daily rate limit"} (#198, #620). The per-second
//     limit counts requests per calendar second, which is what
//     x-remaining-this-second describes. Limits are checked QPS first, then
//     QPD; a refused request counts against neither.
//
// Choices of the simulator, where Etsy leaves things open:
//   - min_/max_ timestamp filters are inclusive.
//   - Orders placed with CreateOrder take stock from their products'
//     offerings, as an Etsy sale does, and a cancel gives it back; seeded
//     orders are history and hold none. A listing never changes state on
//     its own (no sold_out).
//   - Errors for malformed requests use Etsy's {"error": "..."} shape with
//     the simulator's own wording.
//   - A used refresh token stops working at once (Etsy may allow some
//     grace; the simulator is strict). Access tokens stay good until their
//     own expiry when a newer one is issued. The token endpoint needs no
//     x-api-key and counts against neither rate limit.
package etsysim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/simulator/fault"
)

// Defaults used when Options leave a field empty.
const (
	DefaultAPIKey       = "etsysimkeystring0001"
	DefaultSharedSecret = "etsysimsharedsecret1"
	DefaultToken        = "12345678.etsysim_oauth_access_token"
	DefaultShopID       = 31415926
	DefaultQPS          = 10
	DefaultQPD          = 10_000
	// DefaultDayBucket is the width of one bucket of the daily window.
	// Etsy's current docs do not give it; its older docs used 12 two-hour
	// blocks.
	DefaultDayBucket = time.Hour
)

// Rate limit messages, as Etsy words them.
const (
	msgPerSecond = "Exceeded per second rate limit"
	msgDaily     = "Exceeded daily rate limit"
)

// Options configure a Server.
type Options struct {
	// APIKey and SharedSecret make the only x-api-key accepted,
	// "APIKey:SharedSecret".
	APIKey, SharedSecret string
	// Token is the initial OAuth access token (Authorization: Bearer); it
	// expires AccessTokenTTL after New, and refreshes issue new ones.
	Token string
	// RefreshToken is the initial refresh token; "" means
	// DefaultRefreshToken. Each refresh replaces it with a new one.
	RefreshToken string
	// AccessTokenTTL is how long an access token works, on Now's clock; 0
	// means DefaultAccessTokenTTL (an hour), negative never expires.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is how long a refresh token works; 0 means
	// DefaultRefreshTokenTTL (90 days), negative never expires.
	RefreshTokenTTL time.Duration
	// ShopID is the shop's id in /shops/{shop_id}/.
	ShopID int64
	// SKUs are the shop's products, each an offering with stock in an
	// active listing; nil means SKU-0001 to SKU-0060. The catalog exists
	// from New on.
	SKUs []string
	// SKUsPerListing groups consecutive SKUs into listings of this many
	// variations; 0 groups consecutive SKUs that share a prefix (MUG-BLUE,
	// MUG-RED) in listings of one to four.
	SKUsPerListing int
	// Now is the clock for rate windows and timestamps; nil means time.Now.
	Now func() time.Time
	// QPS and QPD are the per-second and per-day limits; 0 means Etsy's
	// defaults (10 and 10,000).
	QPS, QPD int
	// DayBucket is the width of a bucket of the daily window; 0 means
	// DefaultDayBucket.
	DayBucket time.Duration
	// OmitRetryAfter leaves retry-after out of daily 429s.
	OmitRetryAfter bool
}

// Faults are failures to inject into the next requests. Each count is
// consumed by one authenticated request; a request suffers at most one
// fault, taken in the order RateLimitStorm (instead of the limit check),
// then Drop, ServerErrors, Slow (after the request counted against the
// limits, as a gateway counts it).
type Faults struct {
	// RateLimitStorm answers 429 "Exceeded per second rate limit", as when
	// other clients of the same key spent the second.
	RateLimitStorm int
	Drop           int           // close the connection without a response
	ServerErrors   int           // answer 500, 502 and 503 in turn
	Slow           int           // wait Delay before answering
	Delay          time.Duration // how long a slow request waits
	// TokenErrors answers this many token requests 500, before anything
	// else; only the token endpoint consumes it.
	TokenErrors int
}

// FaultCounts count injected faults, so tests can assert they happened.
type FaultCounts struct {
	RateLimitStorm, Drop, ServerErrors, Slow, TokenErrors int
}

// Stats describe the traffic a Server has seen.
type Stats struct {
	// Requests counts every request received.
	Requests int
	// ByEndpoint counts requests per endpoint ("GET /shops/{shop_id}/receipts",
	// "PUT /listings/{listing_id}/inventory", ...), whatever the answer.
	ByEndpoint map[string]int
	// PerSecondLimited and DailyLimited count 429s of each limit.
	PerSecondLimited int
	DailyLimited     int
	// Unauthorized counts 401s and 403s for credentials.
	Unauthorized int
	// TokenRefreshes counts refreshes that issued tokens; TokenRefused
	// counts token requests answered 4xx.
	TokenRefreshes int
	TokenRefused   int
	// InventoryUpdates counts inventories replaced by a successful PUT;
	// InventoryRejected counts PUTs answered 400.
	InventoryUpdates  int
	InventoryRejected int
	// StateChanges counts listings whose state an updateListing changed;
	// StateRejected counts updateListing requests answered 400.
	StateChanges, StateRejected int
	Faults                      FaultCounts
}

// Server is a simulated Etsy shop. It is safe for concurrent use.
type Server struct {
	apiKey  string
	secret  string
	shopID  int64
	now     func() time.Time
	omitRA  bool
	mux     *http.ServeMux
	skus    []string
	perList int

	mu sync.RWMutex // guards st
	st *store

	ctl    sync.Mutex // guards lim, faults, stats
	lim    limits
	faults Faults
	stats  Stats

	oauth oauth // the shop owner's tokens; its own mutex
	codes codes // authorization codes; its own mutex
}

// New returns a shop selling opts.SKUs, each with stock, and holding no
// receipts.
func New(opts Options) *Server {
	s := &Server{
		apiKey:  opts.APIKey,
		secret:  opts.SharedSecret,
		shopID:  opts.ShopID,
		now:     opts.Now,
		omitRA:  opts.OmitRetryAfter,
		mux:     http.NewServeMux(),
		skus:    slices.Clone(opts.SKUs),
		perList: opts.SKUsPerListing,
	}
	if s.apiKey == "" {
		s.apiKey = DefaultAPIKey
	}
	if s.secret == "" {
		s.secret = DefaultSharedSecret
	}
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if s.shopID <= 0 {
		s.shopID = DefaultShopID
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.oauth.init(opts, opts.Token, s.now())
	if len(s.skus) == 0 {
		for i := 1; i <= 60; i++ {
			s.skus = append(s.skus, fmt.Sprintf("SKU-%04d", i))
		}
	}
	s.lim = limits{qps: opts.QPS, qpd: opts.QPD, bucket: opts.DayBucket}
	if s.lim.qps <= 0 {
		s.lim.qps = DefaultQPS
	}
	if s.lim.qpd <= 0 {
		s.lim.qpd = DefaultQPD
	}
	if s.lim.bucket <= 0 || s.lim.bucket > 24*time.Hour {
		s.lim.bucket = DefaultDayBucket
	}
	s.stats.ByEndpoint = map[string]int{}
	s.st = newStore(s.shopID, s.skus, s.perList, s.now().UTC().Truncate(time.Second))

	s.route("GET /shops/{shop_id}/receipts", s.listReceipts)
	s.route("GET /shops/{shop_id}/receipts/{receipt_id}", s.getReceipt)
	s.route("GET /shops/{shop_id}/listings", s.listListings)
	s.route("GET /listings/{listing_id}/inventory", s.getInventory)
	s.route("PUT /listings/{listing_id}/inventory", s.putInventory)
	s.route("PATCH /shops/{shop_id}/listings/{listing_id}", s.updateListing)
	s.mux.HandleFunc(tokenPattern, s.oauthToken)
	s.consentRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.ctl.Lock()
		s.stats.Requests++
		s.ctl.Unlock()
		writeError(w, http.StatusNotFound, "Resource not found")
	})
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// ShopID is the shop's id, for building a connector's config.
func (s *Server) ShopID() int64 { return s.shopID }

// APIKeyHeader is the x-api-key value the shop accepts.
func (s *Server) APIKeyHeader() string { return s.apiKey + ":" + s.secret }

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
	st.ByEndpoint = maps.Clone(s.stats.ByEndpoint)
	return st
}

// limits are Etsy's two rate limits for the one key and token.
type limits struct {
	qps, qpd int
	bucket   time.Duration
	second   int64 // the calendar second secCount counts
	secCount int
	days     []dayBucket // oldest first; only buckets inside the window
	dayTotal int
}

type dayBucket struct {
	index int64 // start / bucket width
	n     int
}

// window is how many buckets the 24-hour window spans.
func (l *limits) window() int64 { return int64((24*time.Hour + l.bucket - 1) / l.bucket) }

func (l *limits) roll(now time.Time) {
	if sec := now.Unix(); sec != l.second {
		l.second, l.secCount = sec, 0
	}
	cur := now.UnixNano() / int64(l.bucket)
	for len(l.days) > 0 && l.days[0].index <= cur-l.window() {
		l.dayTotal -= l.days[0].n
		l.days = l.days[1:]
	}
}

// take admits one request, or says which limit refused it and, for the
// daily one, when the window next frees quota.
func (l *limits) take(now time.Time) (refused string, freeIn time.Duration) {
	l.roll(now)
	if l.secCount >= l.qps {
		return msgPerSecond, 0
	}
	if l.dayTotal >= l.qpd {
		// The oldest bucket leaves the window when the bucket a window
		// later begins.
		exit := time.Unix(0, (l.days[0].index+l.window())*int64(l.bucket))
		return msgDaily, exit.Sub(now)
	}
	l.secCount++
	cur := now.UnixNano() / int64(l.bucket)
	if n := len(l.days); n > 0 && l.days[n-1].index == cur {
		l.days[n-1].n++
	} else {
		l.days = append(l.days, dayBucket{index: cur, n: 1})
	}
	l.dayTotal++
	return "", 0
}

func (l *limits) headers(h http.Header) {
	h.Set("x-limit-per-second", strconv.Itoa(l.qps))
	h.Set("x-remaining-this-second", strconv.Itoa(max(l.qps-l.secCount, 0)))
	h.Set("x-limit-per-day", strconv.Itoa(l.qpd))
	h.Set("x-remaining-today", strconv.Itoa(max(l.qpd-l.dayTotal, 0)))
}

// maxBody bounds a request body; an inventory of a few hundred products is
// well under it.
const maxBody = 1 << 20

// route registers an endpoint under /v3/application behind the gateway:
// credentials, rate limits and faults.
func (s *Server) route(pattern string, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	s.mux.HandleFunc(method+" /v3/application"+path, func(w http.ResponseWriter, r *http.Request) {
		s.ctl.Lock()
		s.stats.Requests++
		s.stats.ByEndpoint[pattern]++
		s.ctl.Unlock()
		// Reading the body first lets the server notice a client that
		// hangs up during a slow response, and end the handler.
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
			if err != nil {
				writeError(w, http.StatusRequestEntityTooLarge, "The request body is too large")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if status, msg := s.authenticate(r); status != 0 {
			s.ctl.Lock()
			s.stats.Unauthorized++
			s.ctl.Unlock()
			writeError(w, status, msg)
			return
		}

		now := s.now()
		s.ctl.Lock()
		refused, freeIn, status, drop, delay := "", time.Duration(0), 0, false, time.Duration(0)
		switch f := &s.faults; {
		case f.RateLimitStorm > 0:
			f.RateLimitStorm--
			s.stats.Faults.RateLimitStorm++
			refused = msgPerSecond
		default:
			refused, freeIn = s.lim.take(now)
			switch refused {
			case msgPerSecond:
				s.stats.PerSecondLimited++
			case msgDaily:
				s.stats.DailyLimited++
			case "":
				s.lim.headers(w.Header())
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
		}
		s.ctl.Unlock()

		switch {
		case refused != "":
			if refused == msgDaily && !s.omitRA {
				secs := int64(math.Ceil(freeIn.Seconds()))
				w.Header().Set("retry-after", strconv.FormatInt(max(secs, 1), 10))
			}
			writeError(w, http.StatusTooManyRequests, refused)
			return
		case status == http.StatusInternalServerError:
			writeError(w, status, "Server Error")
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
		h(w, r)
	})
}

// authenticate checks x-api-key ("keystring:shared_secret") and the OAuth
// bearer token; it returns 0 when both are right. The wording of the first
// three key errors is Etsy's (its authentication docs); the rest is the simulator's.
func (s *Server) authenticate(r *http.Request) (int, string) {
	key := r.Header.Get("x-api-key")
	if key == "" {
		return http.StatusUnauthorized, "Missing API key in the x-api-key header."
	}
	keystring, secret, ok := strings.Cut(key, ":")
	switch {
	case !ok:
		return http.StatusForbidden, "Shared secret is required in x-api-key header."
	case keystring == "" || secret == "" || strings.Contains(secret, ":") || strings.ContainsAny(key, " \t"):
		return http.StatusForbidden, "Invalid API key: should be in the format 'keystring:shared_secret'."
	case subtle.ConstantTimeCompare([]byte(keystring), []byte(s.apiKey)) != 1:
		return http.StatusUnauthorized, "Invalid API key."
	case subtle.ConstantTimeCompare([]byte(secret), []byte(s.secret)) != 1:
		return http.StatusForbidden, "Invalid API key: the shared secret does not match the keystring."
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return http.StatusUnauthorized, "invalid_token: an OAuth access token is required (Authorization: Bearer)"
	}
	if msg := s.oauth.check(tok, s.now()); msg != "" {
		return http.StatusUnauthorized, msg
	}
	return 0, ""
}

// writeError answers Etsy's ErrorSchema, {"error": "..."}. An OAuth error
// "code: description" is split the way OAuth servers answer.
func writeError(w http.ResponseWriter, status int, msg string) {
	body := map[string]string{"error": msg}
	if code, desc, ok := strings.Cut(msg, ": "); ok && code == "invalid_token" {
		body = map[string]string{"error": code, "error_description": desc}
	}
	writeJSON(w, status, body)
}

// writeJSON answers v as JSON. HTML characters are written as they are
// (Etsy sends "O&#39;Connell", not "O\u0026#39;Connell").
func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"error":"Server Error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// badParam is a query parameter Etsy would refuse.
type badParam struct{ msg string }

func (e *badParam) Error() string { return e.msg }

// queryInt reads an integer query parameter within [lo, hi]; absent gives
// def.
func queryInt(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, &badParam{fmt.Sprintf("Expected int value for '%s' (got %q)", name, v)}
	}
	if n < lo || n > hi {
		return 0, &badParam{fmt.Sprintf("Value for '%s' must be between %d and %d (got %d)", name, lo, hi, n)}
	}
	return n, nil
}

// queryBool reads a nullable boolean query parameter.
func queryBool(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return nil, nil
	case "true", "1":
		t := true
		return &t, nil
	case "false", "0":
		f := false
		return &f, nil
	}
	return nil, &badParam{fmt.Sprintf("Expected boolean value for '%s' (got %q)", name, v)}
}

// queryEnum reads a parameter that takes one of values; absent gives def.
func queryEnum(r *http.Request, name, def string, values ...string) (string, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	if !slices.Contains(values, v) {
		return "", &badParam{fmt.Sprintf("Invalid value for '%s': %q is not one of %s", name, v, strings.Join(values, ", "))}
	}
	return v, nil
}

// minTimestamp is the least timestamp the spec accepts in a filter.
const minTimestamp = 946684800

func (s *Server) checkShop(w http.ResponseWriter, r *http.Request) bool {
	id, err := strconv.ParseInt(r.PathValue("shop_id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusBadRequest, "Expected int value for 'shop_id'")
		return false
	}
	if id != s.shopID {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Could not find a shop with shop_id %d", id))
		return false
	}
	return true
}
