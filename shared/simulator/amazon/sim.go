// Package amazonsim is an in-process Amazon Selling Partner API for one
// seller in one marketplace: an http.Handler that speaks the wire format a
// connector uses (Amazon's published models, copied in
// shared/cart/amazon/testdata, whose schemas its tests hold it to):
//
//   - Login with Amazon: POST /auth/o2/token (grant_type=refresh_token)
//     issues access tokens that expire; every SP-API call needs a valid one
//     in x-amz-access-token (no SigV4), else 403 Unauthorized.
//   - Orders 2026-01-01 searchOrders: GET /orders/2026-01-01/orders.
//   - FBA Inventory getInventorySummaries: GET /fba/inventory/v1/summaries.
//   - Listings Items 2021-08-01 searchListingsItems (GET
//     /listings/2021-08-01/items/{sellerId}) and patchListingsItem (PATCH
//     /listings/2021-08-01/items/{sellerId}/{sku}).
//   - Feeds 2021-06-30 for JSON_LISTINGS_FEED: createFeedDocument,
//     createFeed, getFeed, cancelFeed and getFeedDocument, with the presigned document
//     URLs served by the simulator itself (feeds.go, which lists the
//     guesses the feed model leaves to make).
//
// Each operation has its own token bucket with the rate and burst of
// the documented usage plans (searchOrders 0.0056/s burst 20: one request every
// 178.6 s once the burst is spent); answers carry x-amzn-RateLimit-Limit on
// 2xx/400/404 and x-amzn-RequestId always, and an empty bucket answers 429
// QuotaExceeded. Next tokens are short-lived: an expired one answers 400
// InvalidInput. The clock is injectable (Options.Now, see Clock) because
// searchOrders' limit makes real-time tests impossible.
//
// Facts the stored specs leave open are settled here as follows:
//   - searchOrders returns orders oldest update first (oldest creation
//     first with createdAfter), ties by order id, and pages by keyset, so
//     an order updated during paging moves to a later page rather than
//     shifting the others. Its next tokens live NextTokenTTL (default 5
//     minutes; the model says 24 hours, the brief asks for short-lived
//     tokens so that connectors must cope with expiry).
//   - fulfillment and proceeds are returned only when includedData names
//     FULFILLMENT and PROCEEDS; items are always included (Orders 2026-01-01).
//   - getInventorySummaries pages 50 summaries, by seller SKU; its tokens
//     live 30 s (the model's figure).
//   - searchListingsItems pages by keyset on the sort key and SKU, and
//     stops giving next tokens after 1000 items of one search, as the
//     model's note says; its tokens live NextTokenTTL.
//   - patchListingsItem applies an accepted patch at once (Amazon applies
//     it asynchronously); a patch of an unknown SKU, a productType other
//     than PRODUCT or the listing's own, or an unusable
//     fulfillment_availability value answers 200 with status INVALID and
//     an ERROR issue, as Amazon reports listing problems.
//   - A seller id in the path other than the authorized seller's answers
//     403 Unauthorized.
//   - Orders do not move listing quantities: only patches and feeds do,
//     so tests can predict every quantity.
//   - A Server plays one selling region's host (Options.Region, by default
//     the seller's marketplace's): a request naming a marketplace of
//     another region, or no marketplace Amazon has, answers 403
//     Unauthorized "The marketplaces you provided are not valid for
//     region.", as Amazon's hosts do (amzn/selling-partner-api-models
//     issue 5126). Login with Amazon is one global host; Options.Issuer
//     lets the Servers of several regions accept the tokens one of them
//     issues, as every regional host accepts api.amazon.com's.
package amazonsim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/cart/amazon/region"
	"github.com/autosync/autosync/shared/clock"
	"github.com/autosync/autosync/shared/simulator/fault"
)

// Operation names, as the models' operationIds.
const (
	OpSearchOrders          = "searchOrders"
	OpGetInventorySummaries = "getInventorySummaries"
	OpSearchListingsItems   = "searchListingsItems"
	OpPatchListingsItem     = "patchListingsItem"
	// The Feeds API's operations are in feeds.go.
)

// Limit is an operation's usage plan: a token bucket refilled at Rate
// requests per second holding at most Burst.
type Limit struct {
	Rate  float64
	Burst int
}

// Interval is the time one token takes to refill.
func (l Limit) Interval() time.Duration {
	return time.Duration(float64(time.Second) / l.Rate)
}

// DefaultLimits are the documented default usage plans.
var DefaultLimits = map[string]Limit{
	OpSearchOrders:          {Rate: 0.0056, Burst: 20},
	OpGetInventorySummaries: {Rate: 2, Burst: 2},
	OpSearchListingsItems:   {Rate: 5, Burst: 5},
	OpPatchListingsItem:     {Rate: 5, Burst: 5},
	OpCreateFeedDocument:    {Rate: 0.5, Burst: 15},
	OpCreateFeed:            {Rate: 0.0083, Burst: 15},
	OpGetFeed:               {Rate: 2, Burst: 15},
	OpGetFeedDocument:       {Rate: 0.0222, Burst: 10},
	OpCancelFeed:            {Rate: 2, Burst: 15},
}

// Defaults used when Options leave a field empty.
const (
	DefaultClientID      = "amzn1.application-oa2-client.simulator"
	DefaultClientSecret  = "amzn1.oa2-cs.v1.simulator-secret"
	DefaultRefreshToken  = "Atzr|simulator-refresh-token"
	DefaultSellerID      = "A1SIMSELLER0001"
	DefaultMarketplaceID = "ATVPDKIKX0DER" // amazon.com
	DefaultAccessTTL     = time.Hour
	DefaultNextTokenTTL  = 5 * time.Minute
	InventoryTokenTTL    = 30 * time.Second
)

// Options configure a Server.
type Options struct {
	// ClientID, ClientSecret and RefreshToken are the only LWA credentials
	// the token endpoint accepts.
	ClientID, ClientSecret, RefreshToken string
	// SellerID is the authorized seller (the {sellerId} of listings paths);
	// MarketplaceID the one marketplace it sells in.
	SellerID, MarketplaceID string
	// Region is the selling region whose host this Server plays ("na",
	// "eu", "fe"); empty means MarketplaceID's. New panics when
	// MarketplaceID is not a marketplace of Region.
	Region string
	// Issuer, when set, is the Server whose LWA access tokens this one
	// accepts besides its own (Login with Amazon is global). The issuer
	// must not have an Issuer itself.
	Issuer *Server
	// ApplicationID is the SP-API application Seller Central's consent
	// page knows; empty means DefaultApplicationID.
	ApplicationID string
	// SKUs are the seller's merchant-fulfilled listings, each with a
	// quantity; nil means SKU-0001 to SKU-0060. They exist from New on.
	SKUs []string
	// Now is the clock for rate limits, token lifetimes and timestamps;
	// nil means time.Now. Share a Clock with the connector in tests.
	Now func() time.Time
	// Limits override DefaultLimits per operation.
	Limits map[string]Limit
	// AccessTokenTTL is the life of an LWA access token (default 1 h).
	AccessTokenTTL time.Duration
	// NextTokenTTL is the life of a searchOrders or searchListingsItems
	// next token (default 5 minutes).
	NextTokenTTL time.Duration
	// FeedDelay is how long a feed takes from createFeed to DONE when no
	// other feed is ahead of it: IN_QUEUE for a third, IN_PROGRESS for
	// the rest (default DefaultFeedDelay).
	FeedDelay time.Duration
	// CompressReports serves processing reports gzip-compressed
	// (compressionAlgorithm GZIP).
	CompressReports bool
}

// Faults are failures to inject into the next SP-API requests (the token
// endpoint has its own, LWAErrors). Each count is consumed by one request
// that passed the access-token check; a request suffers at most one fault,
// taken in the order QuotaExceeded (instead of the bucket), then Drop,
// ServerErrors, Slow (after the request took its token, as the gateway
// counts it).
type Faults struct {
	// QuotaExceeded answers 429 QuotaExceeded although the bucket has
	// tokens (other applications of the seller, an incident).
	QuotaExceeded int
	Drop          int           // close the connection without a response
	ServerErrors  int           // answer 500 InternalFailure and 503 in turn
	Slow          int           // wait Delay before answering
	Delay         time.Duration // how long a slow request waits
	// LWAErrors answers the token endpoint's next requests 500.
	LWAErrors int
	// DocumentErrors answers the next feed document uploads or downloads
	// (the presigned URLs) 500.
	DocumentErrors int
}

// FaultCounts count injected faults, so tests can assert they happened.
type FaultCounts struct {
	QuotaExceeded, Drop, ServerErrors, Slow, LWAErrors, DocumentErrors int
}

// Stats describe the traffic a Server has seen.
type Stats struct {
	// Requests counts every SP-API request received (not the token endpoint).
	Requests int
	// ByOperation counts requests per operation, whatever the answer.
	ByOperation map[string]int
	// TokenRequests counts requests to the LWA token endpoint;
	// TokensIssued the access tokens it issued.
	TokenRequests, TokensIssued int
	// Unauthorized counts 403s for a missing, expired or revoked access
	// token (or a foreign seller id).
	Unauthorized int
	// ForeignMarketplace counts 403s for a marketplace this region's host
	// does not serve.
	ForeignMarketplace int
	// QuotaExceeded counts 429s because an operation's bucket was empty.
	QuotaExceeded int
	// ExpiredTokens counts 400s for an expired or unknown next token.
	ExpiredTokens int
	// Patched counts accepted patches; Rejected INVALID ones.
	Patched, Rejected int
	// Feeds counts feeds created; FeedMessagesAccepted and
	// FeedMessagesInvalid the messages of processed feeds.
	Feeds, FeedMessagesAccepted, FeedMessagesInvalid int
	// DocumentTransfers counts uploads and downloads at presigned
	// document URLs; TokenSentToDocument those that carried an access
	// token or an Authorization header (which must stay with the SP-API).
	DocumentTransfers, TokenSentToDocument int
	Faults                                 FaultCounts
}

// Server is a simulated Selling Partner API. It is safe for concurrent use.
type Server struct {
	opts   Options
	region region.Region
	now    func() time.Time
	limits map[string]Limit
	mux    *http.ServeMux

	mu      sync.Mutex // guards everything below
	buckets map[string]*bucket
	access  map[string]time.Time // access token → expiry
	refresh string               // the refresh token LWA accepts; "" once revoked
	codes   map[string]time.Time // spapi_oauth_code → expiry
	tokens  map[string]*pageToken
	faults  Faults
	stats   Stats
	rnd     *rand.Rand // ids
	seq     int

	orders   []*order
	byID     map[string]*order
	fba      map[string]*fbaItem
	listings map[string]*listing
	fail     map[string]int // SKU → patches and feed messages still to reject

	docs      map[string]*document
	presigned map[string]*presign // URL signature → what it allows
	feeds     map[string]*feed
	feedOrder []*feed // by creation, which is processing order
	feedSeq   int
	failFeeds int
	holdFeeds string // HoldFeeds
}

// New returns a server whose seller lists opts.SKUs (merchant-fulfilled,
// each with a quantity), holding no orders and no FBA stock.
func New(opts Options) *Server {
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultClientSecret
	}
	if opts.RefreshToken == "" {
		opts.RefreshToken = DefaultRefreshToken
	}
	if opts.SellerID == "" {
		opts.SellerID = DefaultSellerID
	}
	if opts.MarketplaceID == "" {
		opts.MarketplaceID = DefaultMarketplaceID
	}
	reg, err := region.Resolve(opts.MarketplaceID, opts.Region)
	if err != nil {
		panic("amazonsim: " + err.Error())
	}
	if opts.Issuer != nil && opts.Issuer.opts.Issuer != nil {
		panic("amazonsim: an Issuer cannot have an Issuer")
	}
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = DefaultAccessTTL
	}
	if opts.NextTokenTTL <= 0 {
		opts.NextTokenTTL = DefaultNextTokenTTL
	}
	if opts.FeedDelay <= 0 {
		opts.FeedDelay = DefaultFeedDelay
	}
	if len(opts.SKUs) == 0 {
		for i := 1; i <= 60; i++ {
			opts.SKUs = append(opts.SKUs, fmt.Sprintf("SKU-%04d", i))
		}
	}
	opts.SKUs = slices.Clone(opts.SKUs)
	s := &Server{
		opts:     opts,
		region:   reg,
		now:      opts.Now,
		limits:   map[string]Limit{},
		mux:      http.NewServeMux(),
		buckets:  map[string]*bucket{},
		access:   map[string]time.Time{},
		refresh:  opts.RefreshToken,
		tokens:   map[string]*pageToken{},
		rnd:      rand.New(rand.NewPCG(0x5ea11e5, 0xa3a20)),
		byID:     map[string]*order{},
		fba:      map[string]*fbaItem{},
		listings: map[string]*listing{},
		fail:     map[string]int{},

		docs:      map[string]*document{},
		presigned: map[string]*presign{},
		feeds:     map[string]*feed{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	for op, l := range DefaultLimits {
		if o, ok := opts.Limits[op]; ok && o.Rate > 0 && o.Burst > 0 {
			l = o
		}
		s.limits[op] = l
		s.buckets[op] = &bucket{limit: l}
	}
	s.stats.ByOperation = map[string]int{}
	s.newCatalog(s.now().UTC().Truncate(time.Second))

	s.mux.HandleFunc("POST /auth/o2/token", s.lwaToken)
	s.consentRoutes()
	s.api("GET /orders/2026-01-01/orders", OpSearchOrders, s.searchOrders)
	s.api("GET /fba/inventory/v1/summaries", OpGetInventorySummaries, s.inventorySummaries)
	s.api("GET /listings/2021-08-01/items/{sellerId}", OpSearchListingsItems, s.searchListings)
	s.api("PATCH /listings/2021-08-01/items/{sellerId}/{sku}", OpPatchListingsItem, s.patchListing)
	s.api("POST /feeds/2021-06-30/documents", OpCreateFeedDocument, s.createFeedDocument)
	s.api("POST /feeds/2021-06-30/feeds", OpCreateFeed, s.createFeed)
	s.api("GET /feeds/2021-06-30/feeds/{feedId}", OpGetFeed, s.getFeed)
	s.api("DELETE /feeds/2021-06-30/feeds/{feedId}", OpCancelFeed, s.cancelFeed)
	s.api("GET /feeds/2021-06-30/documents/{feedDocumentId}", OpGetFeedDocument, s.getFeedDocument)
	s.mux.HandleFunc("PUT /feed-uploads/{docId}", s.upload)
	s.mux.HandleFunc("GET /feed-documents/{docId}", s.download)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stats.Requests++
		s.mu.Unlock()
		w.Header().Set("x-amzn-RequestId", s.requestID())
		writeErrors(w, http.StatusNotFound, "NotFound", "The requested resource was not found.", "")
	})
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// SellerID and MarketplaceID are the seller's, for configuring a connector.
func (s *Server) SellerID() string      { return s.opts.SellerID }
func (s *Server) MarketplaceID() string { return s.opts.MarketplaceID }

// Region is the selling region whose host the Server plays.
func (s *Server) Region() region.Region { return s.region }

// Limit is the usage plan an operation is served with.
func (s *Server) Limit(op string) Limit { return s.limits[op] }

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
	s.processFeeds(s.now())
	st := s.stats
	st.ByOperation = make(map[string]int, len(s.stats.ByOperation))
	for k, v := range s.stats.ByOperation {
		st.ByOperation[k] = v
	}
	return st
}

// RevokeAccessTokens invalidates every access token issued so far, as
// Amazon may before their expiry; the refresh token still works.
func (s *Server) RevokeAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.access)
}

// RevokeAuthorization is the seller removing the application: the refresh
// token stops working and every access token is revoked.
func (s *Server) RevokeAuthorization() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh = ""
	clear(s.access)
}

// ExpireNextTokens makes every next token issued so far unusable.
func (s *Server) ExpireNextTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// bucket is one operation's token bucket. It starts full.
type bucket struct {
	limit  Limit
	init   bool
	tokens float64
	at     time.Time
}

// take admits one request if the bucket holds a token. The epsilon absorbs
// float rounding for a client that waited exactly one refill.
func (b *bucket) take(now time.Time) bool {
	if !b.init {
		b.init, b.tokens, b.at = true, float64(b.limit.Burst), now
	}
	if now.After(b.at) {
		b.tokens = math.Min(float64(b.limit.Burst), b.tokens+b.limit.Rate*now.Sub(b.at).Seconds())
		b.at = now
	}
	if b.tokens < 1-1e-9 {
		return false
	}
	b.tokens = math.Max(b.tokens-1, 0)
	return true
}

// formatRate writes a rate as x-amzn-RateLimit-Limit does ("0.0056", "5.0").
func formatRate(r float64) string {
	s := strconv.FormatFloat(r, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// api registers an SP-API operation behind the gateway: access token, rate
// limit, faults; the handler runs without the lock held.
func (s *Server) api(pattern, op string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-amzn-RequestId", s.requestID())
		s.mu.Lock()
		s.stats.Requests++
		s.stats.ByOperation[op]++
		now := s.now()
		s.processFeeds(now)
		if detail, ok := s.authorized(r, now); !ok {
			s.stats.Unauthorized++
			s.mu.Unlock()
			writeErrors(w, http.StatusForbidden, "Unauthorized", "Access to requested resource is denied.", detail)
			return
		}
		if !s.servesAll(listParam(r, "marketplaceIds")) {
			s.stats.ForeignMarketplace++
			s.mu.Unlock()
			foreignMarketplace(w)
			return
		}
		status, drop, delay := 0, false, time.Duration(0)
		switch f := &s.faults; {
		case f.QuotaExceeded > 0:
			f.QuotaExceeded--
			s.stats.Faults.QuotaExceeded++
			status = http.StatusTooManyRequests
		case !s.buckets[op].take(now):
			s.stats.QuotaExceeded++
			status = http.StatusTooManyRequests
		case f.Drop > 0:
			f.Drop--
			s.stats.Faults.Drop++
			drop = true
		case f.ServerErrors > 0:
			f.ServerErrors--
			s.stats.Faults.ServerErrors++
			status = []int{500, 503}[(s.stats.Faults.ServerErrors-1)%2]
		case f.Slow > 0:
			f.Slow--
			s.stats.Faults.Slow++
			delay = f.Delay
		}
		s.mu.Unlock()

		switch {
		case status == http.StatusTooManyRequests:
			writeErrors(w, status, "QuotaExceeded", "You exceeded your quota for the requested resource.", "")
			return
		case status == http.StatusInternalServerError:
			writeErrors(w, status, "InternalFailure", "We encountered an internal error. Please try again.", "")
			return
		case status != 0:
			writeErrors(w, status, "ServiceUnavailable", "Service is temporarily unavailable. Please try again.", "")
			return
		case drop:
			fault.Drop(w)
			return
		case delay > 0:
			if !fault.Delay(r, delay) {
				return
			}
		}
		// On 2xx, 400 and 404 (as SP-API documents it); handlers answer nothing else.
		w.Header().Set("x-amzn-RateLimit-Limit", formatRate(s.limits[op].Rate))
		h(w, r)
	})
}

// authorized checks the access token (and, for listings paths, the seller
// id). The caller holds s.mu.
func (s *Server) authorized(r *http.Request, now time.Time) (detail string, ok bool) {
	tok := r.Header.Get("x-amz-access-token")
	exp, known := s.access[tok]
	if is := s.opts.Issuer; !known && is != nil && tok != "" {
		is.mu.Lock() // lock order: a Server, then its Issuer (which has none)
		exp, known = is.access[tok]
		is.mu.Unlock()
	}
	switch {
	case tok == "" || !known:
		return "The access token you provided is revoked, malformed or invalid.", false
	case !now.Before(exp):
		return "The access token you provided has expired.", false
	}
	if id := r.PathValue("sellerId"); id != "" && subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.SellerID)) != 1 {
		return "The seller id in the request is not the authorized seller's.", false
	}
	return "", true
}

// servesAll says whether every marketplace named is one this region's
// host serves.
func (s *Server) servesAll(markets []string) bool {
	for _, id := range markets {
		if m, ok := region.Lookup(id); !ok || m.Region != s.region {
			return false
		}
	}
	return true
}

// foreignMarketplace is Amazon's answer to a marketplace of another
// region (amzn/selling-partner-api-models issue 5126).
func foreignMarketplace(w http.ResponseWriter) {
	writeErrors(w, http.StatusForbidden, "Unauthorized", "Access to requested resource is denied.", "The marketplaces you provided are not valid for region.")
}

// errorJSON is the SP-API error shape; ErrorList is {"errors":[...]}.
type errorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details string `json:"details"`
}

func writeErrors(w http.ResponseWriter, status int, code, message, details string) {
	writeJSON(w, status, map[string][]errorJSON{"errors": {{Code: code, Message: message, Details: details}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"code":"InternalFailure","message":"We encountered an internal error. Please try again.","details":""}]}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// requestID is a fresh x-amzn-RequestId.
func (s *Server) requestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uuid()
}

// uuid is a random UUID-shaped id. The caller holds s.mu.
func (s *Server) uuid() string {
	a, b := s.rnd.Uint64(), s.rnd.Uint64()
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// pageToken is what a next token stands for: the query it continues (its
// parameters, without page size and included data), where the next page
// starts and when it stops working.
type pageToken struct {
	op      string
	query   string
	after   sortKey // the last item served
	served  int     // items served in this search (listings' 1000 cap)
	expires time.Time
}

// sortKey orders items: t, then s, then id.
type sortKey struct {
	t  time.Time
	s  string
	id string
}

func (a sortKey) less(b sortKey) bool {
	if c := a.t.Compare(b.t); c != 0 {
		return c < 0
	}
	if a.s != b.s {
		return a.s < b.s
	}
	return a.id < b.id
}

// issueToken stores a next token. The caller holds s.mu.
func (s *Server) issueToken(now time.Time, t pageToken, ttl time.Duration) string {
	for k, v := range s.tokens {
		if !now.Before(v.expires) {
			delete(s.tokens, k)
		}
	}
	t.expires = now.Add(ttl)
	id := strings.ReplaceAll(s.uuid(), "-", "")
	b := make([]byte, 0, 48)
	for i := 0; i < 2; i++ {
		b = strconv.AppendUint(b, s.rnd.Uint64(), 36)
	}
	tok := id + string(b)
	s.tokens[tok] = &t
	return tok
}

// useToken finds a live next token for op and query. The caller holds s.mu.
func (s *Server) useToken(now time.Time, tok, op, query string) (*pageToken, string) {
	t, ok := s.tokens[tok]
	switch {
	case !ok || t.op != op:
		s.stats.ExpiredTokens++
		return nil, "The next token is invalid or has expired."
	case !now.Before(t.expires):
		delete(s.tokens, tok)
		s.stats.ExpiredTokens++
		return nil, "The next token has expired."
	case t.query != query:
		return nil, "Every parameter must have the value it had in the request that returned the next token."
	}
	return t, "" // reusable until it expires, so a retried request can use it again
}

// listParam reads an array query parameter, comma-delimited or repeated.
func listParam(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// canonical is a set of values in a fixed order, for comparing queries.
func canonical(vs []string) string {
	vs = slices.Clone(vs)
	slices.Sort(vs)
	return strings.Join(slices.Compact(vs), ",")
}

// parseTime reads an ISO 8601 date-time; ok is false for anything else.
func parseTime(v string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}

// iso writes a time as the models' examples do.
func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// Clock is a manual clock for tests and benchmarks, shared by a Server
// (Options.Now) and a connector (its Now and Sleep hooks): Sleep advances
// the clock instead of waiting, so a run paced to searchOrders' one request
// per 178.6 s takes no real time.
type Clock = clock.Fake

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return clock.NewFake(t) }

// servesAllLocked is servesAll for a handler, which runs without s.mu,
// counting a refusal.
func (s *Server) servesAllLocked(markets []string) bool {
	if s.servesAll(markets) {
		return true
	}
	s.mu.Lock()
	s.stats.ForeignMarketplace++
	s.mu.Unlock()
	return false
}

// RemoveApp is the seller removing the application in Seller Central's
// Manage Your Apps; Amazon sends the application no notice.
func (s *Server) RemoveApp() { s.RevokeAuthorization() }
