// Package shopifysim is an in-process Shopify: an http.Handler that speaks
// the GraphQL Admin API wire format (POST /admin/api/{version}/graphql.json)
// for the orders a connector imports, the products, media and locations it
// lists and the inventory it writes (inventorySetQuantities), enforces
// Shopify's cost-based rate limit with its real THROTTLED answers, and
// injects faults on request (FailSKU for a per-item userError). It also
// keeps webhook subscriptions (webhookSubscriptionCreate/Delete) and
// delivers signed webhooks with Shopify's retries from a background
// goroutine (webhooks.go, package outbox); Close stops them.
// Tests serve it with httptest; make dev serves it beside the app.
package shopifysim

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autosync/autosync/shared/simulator"
	"github.com/autosync/autosync/shared/simulator/fault"
	"github.com/autosync/autosync/shared/simulator/outbox"
)

// Plan is a shop plan's GraphQL rate limit: a leaky bucket of points.
type Plan struct {
	MaximumAvailable float64 // bucket size, points
	RestoreRate      float64 // points restored per second
}

// Plans from Shopify's API rate limits page. The Advanced and Enterprise bucket sizes are not
// in the stored docs; they assume Shopify's usual bucket of 20 s of restore.
var (
	Standard   = Plan{MaximumAvailable: 2000, RestoreRate: 100}
	Advanced   = Plan{MaximumAvailable: 4000, RestoreRate: 200}
	Plus       = Plan{MaximumAvailable: 20000, RestoreRate: 1000}
	Enterprise = Plan{MaximumAvailable: 40000, RestoreRate: 2000}
)

// DefaultAccessToken is the token a simulator accepts when Options names none.
const DefaultAccessToken = "shpat_simulator_token"

// Options configure a Server.
type Options struct {
	// AccessToken is the only X-Shopify-Access-Token accepted.
	AccessToken string
	// Plan sets the rate limit; the zero Plan means Standard.
	Plan Plan
	// StartEmpty starts the bucket with no points, as if another run had
	// just spent them, so throughput can be measured in the steady state.
	StartEmpty bool
	// Now is the clock for the bucket and order timestamps; nil means
	// time.Now. Tests pass a fake clock to drive throttling step by step.
	Now func() time.Time
	// SKUs are the catalog Seed creates (a variant with stock for each)
	// and what seeded orders sell; nil means SKU-0001 to SKU-0060.
	SKUs []string

	// ClientSecret is the app's client secret, the key every webhook
	// delivery is signed with (X-Shopify-Hmac-Sha256); empty means
	// DefaultClientSecret.
	ClientSecret string
	// ClientID is the app's client id its OAuth grant is for; empty means
	// DefaultClientID.
	ClientID string
	// Shop is the shop's myshopify.com domain deliveries name in
	// X-Shopify-Shop-Domain; empty means DefaultShop.
	Shop string
	// WebhookDelayUnit is the real time that stands for one second of
	// Shopify's retry schedule (2 minutes before the first retry, doubling
	// to 128); zero means a second. Tests pass a millisecond or less so
	// that retries come at once.
	WebhookDelayUnit time.Duration
	// WebhookTimeout is how long an attempt may take before it counts as
	// failed; zero means DefaultWebhookTimeout (Shopify's 5 seconds).
	WebhookTimeout time.Duration
}

// Faults are failures to inject into the next requests. Each count is
// consumed by one request; a request suffers at most one fault, taken in the
// order Drop, ServerErrors, Slow, Throttle.
type Faults struct {
	Drop         int           // close the connection without a response
	ServerErrors int           // answer 502 and 503, alternately
	Slow         int           // wait Delay before answering
	Delay        time.Duration // how long a slow request waits
	Throttle     int           // answer THROTTLED whatever the bucket holds
}

// FaultCounts count injected faults, so tests can assert they happened.
type FaultCounts struct {
	Drop, ServerErrors, Slow, Throttle int
}

// Stats describe the traffic a Server has seen.
type Stats struct {
	Requests      int         // GraphQL requests received
	Served        int         // operations executed (Queries + Mutations)
	Queries       int         // query operations executed
	Mutations     int         // mutation operations executed
	Throttled     int         // THROTTLED because the bucket lacked the requested cost
	RequestedCost float64     // sum of requestedQueryCost over executed operations
	ActualCost    float64     // sum of actualQueryCost: the points really spent
	Faults        FaultCounts // faults injected
	// Fields counts executed root fields by name ("orders", "products",
	// "location", "inventorySetQuantities"); each aliased selection counts.
	Fields map[string]int
}

// Server is a simulated Shopify store. It is safe for concurrent use.
type Server struct {
	token []byte
	now   func() time.Time
	skus  []string
	mux   *http.ServeMux
	reqID atomic.Int64

	mu sync.RWMutex // guards st
	st *store

	ctl            sync.Mutex // guards bucket, faults, stats, beforeMutation
	bucket         bucket
	faults         Faults
	stats          Stats
	beforeMutation func(fields []string)

	clientSecret []byte
	clientID     string
	shop         string
	grants       simulator.Grants // the app install's codes and tokens
	hooks        hooks
	out          *outbox.Outbox
}

// New returns a simulator holding no orders.
func New(opts Options) *Server {
	s := &Server{
		token: []byte(opts.AccessToken),
		now:   opts.Now,
		skus:  slices.Clone(opts.SKUs),
		mux:   http.NewServeMux(),
	}
	if len(s.token) == 0 {
		s.token = []byte(DefaultAccessToken)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.clientSecret, s.shop, s.clientID = []byte(opts.ClientSecret), opts.Shop, opts.ClientID
	if s.clientID == "" {
		s.clientID = DefaultClientID
	}
	if len(s.clientSecret) == 0 {
		s.clientSecret = []byte(DefaultClientSecret)
	}
	if s.shop == "" {
		s.shop = DefaultShop
	}
	timeout := opts.WebhookTimeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	s.hooks.next = 1_500_000_000
	s.out = outbox.New(hookCart{s}, outbox.Config{Retries: webhookRetries, Unit: opts.WebhookDelayUnit,
		Timeout: timeout, Connect: webhookConnectTimeout, Now: s.now}) // any 2xx is a success
	s.st = newStore(s.now().UTC().Truncate(time.Second))
	if len(s.skus) == 0 {
		for i := 1; i <= 60; i++ {
			s.skus = append(s.skus, fmt.Sprintf("SKU-%04d", i))
		}
	}
	plan := opts.Plan
	if plan.MaximumAvailable <= 0 || plan.RestoreRate <= 0 {
		plan = Standard
	}
	s.bucket = bucket{plan: plan, avail: plan.MaximumAvailable, at: s.now()}
	if opts.StartEmpty {
		s.bucket.avail = 0
	}
	s.mux.HandleFunc("POST /admin/api/{version}/graphql.json", s.graphql)
	s.oauthRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"errors": "Not Found"})
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

// SetBeforeMutation sets fn to run before each mutation that passed
// validation and the rate limit executes, with its root fields' names,
// outside the simulator's locks: a test can make a sale there (CreateOrder)
// between a connector's read and its write. nil removes it.
func (s *Server) SetBeforeMutation(fn func(fields []string)) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.beforeMutation = fn
}

// Stats returns the traffic seen so far.
func (s *Server) Stats() Stats {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	st := s.stats
	st.Fields = maps.Clone(s.stats.Fields)
	if st.Fields == nil {
		st.Fields = map[string]int{}
	}
	return st
}

// bucket is Shopify's leaky bucket: points restore continuously up to the
// maximum; a query needs its requested cost available, is debited it up
// front and refunded the difference to its actual cost afterwards.
type bucket struct {
	plan  Plan
	avail float64
	at    time.Time
}

func (b *bucket) restore(now time.Time) {
	if now.After(b.at) {
		b.avail = math.Min(b.plan.MaximumAvailable, b.avail+b.plan.RestoreRate*now.Sub(b.at).Seconds())
		b.at = now
	}
}

func (b *bucket) take(now time.Time, cost float64) bool {
	b.restore(now)
	if b.avail < cost {
		return false
	}
	b.avail -= cost
	return true
}

func (b *bucket) refund(now time.Time, points float64) {
	b.restore(now)
	b.avail = math.Min(b.plan.MaximumAvailable, b.avail+points)
}

type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// status reports whole points, as Shopify does.
func (b *bucket) status(now time.Time) throttleStatus {
	b.restore(now)
	return throttleStatus{
		MaximumAvailable:   b.plan.MaximumAvailable,
		CurrentlyAvailable: math.Floor(b.avail),
		RestoreRate:        b.plan.RestoreRate,
	}
}

type cost struct {
	RequestedQueryCost int            `json:"requestedQueryCost"`
	ActualQueryCost    *int           `json:"actualQueryCost"`
	ThrottleStatus     throttleStatus `json:"throttleStatus"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"errors":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

var versionRE = regexp.MustCompile(`^(\d{4}-\d{2}|unstable)$`)

// maxBody bounds a request body; Shopify's own limit is not documented.
const maxBody = 1 << 20

// takeFault consumes the fault, if any, for a request before it is read.
func (s *Server) takeFault() (drop bool, status int, delay time.Duration) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.stats.Requests++
	switch f := &s.faults; {
	case f.Drop > 0:
		f.Drop--
		s.stats.Faults.Drop++
		return true, 0, 0
	case f.ServerErrors > 0:
		f.ServerErrors--
		s.stats.Faults.ServerErrors++
		if s.stats.Faults.ServerErrors%2 == 1 {
			return false, http.StatusBadGateway, 0
		}
		return false, http.StatusServiceUnavailable, 0
	case f.Slow > 0:
		f.Slow--
		s.stats.Faults.Slow++
		return false, 0, f.Delay
	}
	return false, 0, 0
}

func (s *Server) graphql(w http.ResponseWriter, r *http.Request) {
	version := r.PathValue("version")
	if !versionRE.MatchString(version) {
		writeJSON(w, http.StatusNotFound, map[string]string{"errors": "Not Found"})
		return
	}
	w.Header().Set("X-Shopify-API-Version", version)
	w.Header().Set("X-Request-Id", strconv.FormatInt(s.reqID.Add(1), 10))

	// Reading the body first lets the server notice a client that hangs up
	// during a slow response, and end the handler.
	req, reqErr := readRequest(w, r)

	drop, status, delay := s.takeFault()
	switch {
	case drop:
		fault.Drop(w)
		return
	case status != 0:
		fault.HTMLError(w, status)
		return
	case delay > 0:
		if !fault.Delay(r, delay) {
			return
		}
	}

	if !s.tokenAccepted(r.Header.Get("X-Shopify-Access-Token")) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)",
		})
		return
	}

	if reqErr != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errors": reqErr.Error()})
		return
	}
	s.run(w, req, version, delay > 0)
}

func readRequest(w http.ResponseWriter, r *http.Request) (*request, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("could not read the request body: %v", err)
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/graphql" {
		return &request{Query: string(body)}, nil
	}
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("invalid JSON in the request body: %v", err)
	}
	if req.Query == "" {
		return nil, fmt.Errorf("parameter Required: query")
	}
	return &req, nil
}

// run checks, prices and executes one GraphQL request and answers it;
// faulted says the request already suffered its one fault.
func (s *Server) run(w http.ResponseWriter, req *request, version string, faulted bool) {
	resp := jsonObject{}
	answer := func(errs []*gqlError, data any, c cost, search []searchReport) {
		if len(errs) > 0 {
			resp = append(resp, kv{"errors", errs})
		}
		if data != nil {
			resp = append(resp, kv{"data", data})
		}
		ext := jsonObject{{"cost", c}}
		if len(search) > 0 {
			ext = append(ext, kv{"search", search})
		}
		resp = append(resp, kv{"extensions", ext})
		writeJSON(w, http.StatusOK, resp)
	}
	status := func() throttleStatus {
		s.ctl.Lock()
		defer s.ctl.Unlock()
		return s.bucket.status(s.now())
	}
	zero := 0

	doc, err := parseDocument(req.Query)
	if err != nil {
		answer([]*gqlError{asGQLError(err)}, nil, cost{ActualQueryCost: &zero, ThrottleStatus: status()}, nil)
		return
	}
	op, err := pickOperation(doc, req.OperationName)
	if err != nil {
		answer([]*gqlError{asGQLError(err)}, nil, cost{ActualQueryCost: &zero, ThrottleStatus: status()}, nil)
		return
	}
	c := newChecker(op, req.Variables)
	requested := 0
	if len(c.errs) == 0 {
		requested = c.checkOperation(op)
	}
	if len(c.errs) > 0 {
		answer(c.errs, nil, cost{RequestedQueryCost: requested, ActualQueryCost: &zero, ThrottleStatus: status()}, nil)
		return
	}
	if requested > maxQueryCost {
		e := &gqlError{
			Message: fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).\n\n"+
				"See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"+
				"cost of a query is calculated.\n\n"+
				"To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"+
				"See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n",
				requested, maxQueryCost),
			Extensions: map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": maxQueryCost},
		}
		answer([]*gqlError{e}, nil, cost{RequestedQueryCost: requested, ThrottleStatus: status()}, nil)
		return
	}

	s.ctl.Lock()
	throttled := false
	if s.faults.Throttle > 0 && !faulted {
		s.faults.Throttle--
		s.stats.Faults.Throttle++
		throttled = true
	} else if !s.bucket.take(s.now(), float64(requested)) {
		s.stats.Throttled++
		throttled = true
	}
	ts := s.bucket.status(s.now())
	s.ctl.Unlock()
	if throttled {
		e := &gqlError{Message: "Throttled", Extensions: map[string]any{
			"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits",
		}}
		answer([]*gqlError{e}, nil, cost{RequestedQueryCost: requested, ThrottleStatus: ts}, nil)
		return
	}

	if op.kind == "mutation" {
		s.ctl.Lock()
		hook := s.beforeMutation
		s.ctl.Unlock()
		if hook != nil {
			names := make([]string, len(op.sel))
			for i, f := range op.sel {
				names[i] = f.name
			}
			hook(names)
		}
	}
	x := &executor{srv: s, version: version, args: c.args, keys: c.keys, now: s.now().UTC().Truncate(time.Second)}
	root := "QueryRoot"
	lock, unlock := s.mu.RLock, s.mu.RUnlock
	if op.kind == "mutation" {
		// Mutations run one at a time and whole, as Shopify's do.
		root = "Mutation"
		lock, unlock = s.mu.Lock, s.mu.Unlock
	}
	lock()
	x.st = s.st
	data := x.object(root, nil, op.sel, nil)
	unlock()
	actual := min(x.cost, requested)

	s.ctl.Lock()
	s.bucket.refund(s.now(), float64(requested-actual))
	s.stats.Served++
	if op.kind == "mutation" {
		s.stats.Mutations++
	} else {
		s.stats.Queries++
	}
	if s.stats.Fields == nil {
		s.stats.Fields = map[string]int{}
	}
	for _, f := range op.sel {
		if f.name != "__typename" {
			s.stats.Fields[f.name]++
		}
	}
	s.stats.RequestedCost += float64(requested)
	s.stats.ActualCost += float64(actual)
	ts = s.bucket.status(s.now())
	s.ctl.Unlock()

	var result any = data
	if len(x.errs) > 0 {
		// Top-level fields are non-null here, so a field error nulls data.
		result = json.RawMessage("null")
	}
	answer(x.errs, result, cost{RequestedQueryCost: requested, ActualQueryCost: &actual, ThrottleStatus: ts}, x.search)
}

func asGQLError(err error) *gqlError {
	if e, ok := err.(*gqlError); ok {
		return e
	}
	return &gqlError{Message: err.Error()}
}
