package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/app"
	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/clock"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/schedule/local"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store/boltstore"
)

// The system under test is the real assembly (app.New) on real adapters:
// bbolt, AES-GCM, the in-process scheduler (never started, so nothing fires
// on its own), HS256 tokens; only the executor dispatch is a recorder.

const (
	acctA = "acct-a"
	acctB = "acct-b"
	// secretToken is the access token every test channel is connected
	// with; no response body or log line may ever contain it.
	secretToken = "shpat_SECRET_d0n0tL3ak"
	// secondToken is long and odd enough that no random id can contain it.
	secondToken = "shpat_SECOND_s3cr3t_n0tL3ak"
)

// recDispatcher records every input handed to the executor.
type recDispatcher struct {
	mu    sync.Mutex
	ins   []runs.Input
	err   error // returned by Dispatch when set
	panic bool  // Dispatch panics when set
}

func (d *recDispatcher) Dispatch(_ context.Context, in runs.Input) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.panic {
		panic("dispatcher exploded: internal detail")
	}
	d.ins = append(d.ins, in)
	return d.err
}

func (d *recDispatcher) inputs() []runs.Input {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.ins)
}

// syncBuf is a goroutine-safe log sink.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	tb     testing.TB
	app    *app.App
	h      http.Handler
	st     *boltstore.Store
	sched  *local.Scheduler
	disp   *recDispatcher
	tokens auth.HS256
	logs   *syncBuf

	firesMu sync.Mutex
	fires   []string
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	st, err := boltstore.Open(tb.TempDir() + "/db")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	sealer, err := seal.NewAESGCM(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{tb: tb, st: st, disp: &recDispatcher{}, logs: &syncBuf{},
		tokens: auth.HS256{Secret: []byte("0123456789abcdef0123456789abcdef")}}
	// A clock moving one millisecond per reading, so run ids
	// (time-ordered) are strictly ordered and newest-first is well defined.
	clk := clock.NewFake(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	clk.Step(time.Millisecond)
	// The scheduler is not started: fire only records, and any call to it
	// would show up in the state snapshots.
	e.sched = local.New(func(_ context.Context, name string, _ []byte) {
		e.firesMu.Lock()
		e.fires = append(e.fires, name)
		e.firesMu.Unlock()
	}, 1, clk.Now)
	e.app = app.New(app.Deps{
		Store: st, Sealer: sealer, Scheduler: e.sched, Dispatch: e.disp,
		// The carts these tests name are not served: credential checks
		// against a simulator are in credentials_test.go.
		Connectors: connector.Factory{AllowLoopbackBase: true, SkipCredentialCheck: true},
		Auth:       e.tokens,
		Log:        slog.New(slog.NewJSONHandler(e.logs, nil)),
		Now:        clk.Now,
	})
	e.h = e.app.API.Handler()
	tb.Cleanup(func() {
		if strings.Contains(e.logs.String(), secretToken) {
			tb.Errorf("the logs contain a channel's access token:\n%s", e.logs.String())
		}
	})
	return e
}

func (e *env) token(account, scope string) string {
	e.tb.Helper()
	tok, err := e.tokens.Issue(account, scope, time.Hour)
	if err != nil {
		e.tb.Fatal(err)
	}
	return tok
}

func (e *env) merchant(account string) string { return e.token(account, auth.ScopeMerchant) }

func (e *env) admin() string { return e.token("support-staff", auth.ScopeAdmin) }

// req is one request to the handler; body is sent as is.
type req struct {
	method, path, token, body string
	contentType               string // "" means application/json; "-" sends none
	ctx                       context.Context
}

func (e *env) serve(r req) *httptest.ResponseRecorder {
	e.tb.Helper()
	return e.serveTB(e.tb, r)
}

// serveTB reports to tb (fuzz targets must not use the F).
func (e *env) serveTB(tb testing.TB, r req) *httptest.ResponseRecorder {
	tb.Helper()
	var rd io.Reader
	if r.body != "" {
		rd = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, rd)
	if r.ctx != nil {
		hr = hr.WithContext(r.ctx)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	switch r.contentType {
	case "":
		hr.Header.Set("Content-Type", "application/json")
	case "-":
	default:
		hr.Header.Set("Content-Type", r.contentType)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, hr)
	if rec.Code >= 500 {
		checkNoLeak(tb, rec)
	}
	return rec
}

// call sends v (marshalled unless it is a string) and decodes a 2xx answer
// into out, failing unless the status is want.
func (e *env) call(method, path, token string, v any, want int, out any) *httptest.ResponseRecorder {
	e.tb.Helper()
	body := ""
	switch b := v.(type) {
	case nil:
	case string:
		body = b
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			e.tb.Fatal(err)
		}
		body = string(raw)
	}
	rec := e.serve(req{method: method, path: path, token: token, body: body})
	if rec.Code != want {
		e.tb.Fatalf("%s %s: status %d, want %d; body %s", method, path, rec.Code, want, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			e.tb.Fatalf("%s %s: decode %T: %v; body %s", method, path, out, err, rec.Body)
		}
	}
	return rec
}

type channelJSON struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Name         string `json:"name"`
	Status       string `json:"status"`
	StatusReason string `json:"status_reason"`
}

type runJSON struct {
	ID         string     `json:"id"`
	ChannelID  string     `json:"channel_id"`
	Task       string     `json:"task"`
	Trigger    string     `json:"trigger"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Error      *struct {
		Class   string `json:"class"`
		Message string `json:"message"`
	} `json:"error"`
}

type taskJSON struct {
	Task              string     `json:"task"`
	Label             string     `json:"label"`
	Mode              string     `json:"mode"`
	Available         bool       `json:"available"`
	AutosyncAvailable bool       `json:"autosync_available"`
	UnavailableReason string     `json:"unavailable_reason"`
	Enabled           bool       `json:"enabled"`
	Indicator         string     `json:"indicator"`
	Interval          string     `json:"interval"`
	DefaultInterval   string     `json:"default_interval"`
	NextRunAt         *time.Time `json:"next_run_at"`
	LastRun           *runJSON   `json:"last_run"`
}

type modalJSON struct {
	Channels []struct {
		Channel channelJSON `json:"channel"`
		Tasks   []taskJSON  `json:"tasks"`
	} `json:"channels"`
}

func (m modalJSON) task(channel string, task catalog.Task) (taskJSON, bool) {
	for _, c := range m.Channels {
		if c.Channel.ID != channel {
			continue
		}
		for _, t := range c.Tasks {
			if t.Task == string(task) {
				return t, true
			}
		}
	}
	return taskJSON{}, false
}

type orderJSON struct {
	ID         string   `json:"id"`
	ChannelID  string   `json:"channel_id"`
	ExternalID string   `json:"external_id"`
	Filter     string   `json:"filter"`
	Tags       []string `json:"tags"`
}

type problemJSON struct {
	Index     *int   `json:"index"`
	ChannelID string `json:"channel_id"`
	Task      string `json:"task"`
	Field     string `json:"field"`
	Message   string `json:"message"`
}

type errJSON struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details"`
}

// newChannel connects a Shopify channel through the API.
func (e *env) newChannel(account, name string) string {
	e.tb.Helper()
	var ch channelJSON
	e.call("POST", "/v1/channels", e.merchant(account), shopifyBody(name, secretToken), http.StatusCreated, &ch)
	if ch.ID == "" || ch.Status != "active" {
		e.tb.Fatalf("created channel %+v", ch)
	}
	return ch.ID
}

func shopifyBody(name, tok string) map[string]any {
	return map[string]any{"type": "shopify", "name": name,
		"config": map[string]string{"shop": "x.myshopify.com"}, "credentials": map[string]string{"access_token": tok}}
}

type change struct {
	ChannelID string       `json:"channel_id"`
	Task      catalog.Task `json:"task"`
	Enabled   bool         `json:"enabled"`
}

func (e *env) enable(account, channel string, tasks ...catalog.Task) modalJSON {
	e.tb.Helper()
	var cs []change
	for _, t := range tasks {
		cs = append(cs, change{channel, t, true})
	}
	var m modalJSON
	e.call("PUT", "/v1/sync", e.merchant(account), map[string]any{"tasks": cs}, http.StatusOK, &m)
	return m
}

// enableable lists the channel's autosync tasks the modal lets a merchant tick.
func (e *env) enableable(account, channel string) []catalog.Task {
	e.tb.Helper()
	var m modalJSON
	e.call("GET", "/v1/sync", e.merchant(account), nil, http.StatusOK, &m)
	var out []catalog.Task
	for _, c := range m.Channels {
		if c.Channel.ID != channel {
			continue
		}
		for _, t := range c.Tasks {
			if t.Mode == string(catalog.Autosync) && t.AutosyncAvailable {
				out = append(out, catalog.Task(t.Task))
			}
		}
	}
	if len(out) == 0 {
		e.tb.Fatalf("channel %s offers no autosync task", channel)
	}
	return out
}

type runEntry struct {
	ChannelID string       `json:"channel_id"`
	Task      catalog.Task `json:"task"`
}

func (e *env) runOnce(account string, entries ...runEntry) []runJSON {
	e.tb.Helper()
	var out struct {
		Runs []runJSON `json:"runs"`
	}
	e.call("POST", "/v1/sync/runs", e.merchant(account), map[string]any{"runs": entries}, http.StatusAccepted, &out)
	return out.Runs
}

func (e *env) upsertOrder(account, channel, ext string, f cart.Filter, tags ...string) {
	e.tb.Helper()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := e.app.Orders.Upsert(context.Background(), account, channel, cart.Order{
		ExternalID: ext, Number: "#" + ext, CartStatus: string(f), Filter: f, Tags: tags,
		Lines: []cart.Line{{SKU: "SKU-1", Quantity: 1}}, CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		e.tb.Fatal(err)
	}
}

// fixture is two accounts with data in every kind of record.
type fixture struct {
	*env
	a1, a2, b  string // channel ids: two of A's, one of B's
	runA, runB string
	ordA, ordB string // external ids
}

func newFixture(tb testing.TB) *fixture {
	e := newEnv(tb)
	f := &fixture{env: e}
	f.a1 = e.newChannel(acctA, "A one")
	f.a2 = e.newChannel(acctA, "A two")
	f.b = e.newChannel(acctB, "B one")
	// import_orders is what every cart offers and the executor runs on
	// Shopify today; other tasks may show as unavailable.
	e.enable(acctA, f.a1, catalog.ImportOrders)
	e.enable(acctA, f.a2, catalog.ImportOrders)
	e.enable(acctB, f.b, catalog.ImportOrders)
	f.runA = e.runOnce(acctA, runEntry{f.a1, catalog.ImportOrders})[0].ID
	f.runB = e.runOnce(acctB, runEntry{f.b, catalog.ImportOrders})[0].ID
	f.ordA, f.ordB = "A-ORDER-1001", "B-ORDER-2001"
	e.upsertOrder(acctA, f.a1, f.ordA, cart.AwaitingFulfillment)
	e.upsertOrder(acctA, f.a2, "A-ORDER-1002", cart.Shipped, "FBA")
	e.upsertOrder(acctB, f.b, f.ordB, cart.AwaitingFulfillment)
	return f
}

// schedState is one schedule as the scheduler holds it.
type schedState struct {
	Name     string
	Interval catalog.Interval
	Enabled  bool
	Input    string
	Next     time.Time
}

// snapshot is everything a request could change, as seen from outside:
// an account's API reads, its sealed credentials (opened), and the whole
// scheduler and dispatch state.
type snapshot struct {
	Channels, Modal, Runs, Orders string
	Credentials                   map[string]map[string]string
	Schedules                     []schedState
	Dispatched                    int
	Fired                         int
}

func (e *env) snapshot(account string) snapshot {
	e.tb.Helper()
	tok := e.merchant(account)
	get := func(path string) string {
		rec := e.serve(req{method: "GET", path: path, token: tok})
		if rec.Code != http.StatusOK {
			e.tb.Fatalf("snapshot GET %s: %d %s", path, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	s := snapshot{
		Channels: get("/v1/channels"), Modal: get("/v1/sync"),
		Runs: get("/v1/sync/runs?limit=100"), Orders: get("/v1/orders?limit=200"),
		Credentials: map[string]map[string]string{},
	}
	ctx := context.Background()
	chs, err := e.app.Channels.List(ctx, account)
	if err != nil {
		e.tb.Fatal(err)
	}
	for _, ch := range chs {
		creds, err := e.app.Channels.Credentials(ctx, account, ch.ID)
		if err != nil {
			e.tb.Fatal(err)
		}
		s.Credentials[ch.ID] = creds
	}
	names, err := e.sched.List(ctx)
	if err != nil {
		e.tb.Fatal(err)
	}
	for _, n := range names {
		sc, err := e.sched.Get(ctx, n)
		if err != nil {
			e.tb.Fatal(err)
		}
		next, _ := e.sched.NextRun(n)
		s.Schedules = append(s.Schedules, schedState{n, sc.Interval, sc.Enabled, string(sc.Input), next})
	}
	s.Dispatched = len(e.disp.inputs())
	e.firesMu.Lock()
	s.Fired = len(e.fires)
	e.firesMu.Unlock()
	return s
}

func (e *env) assertUnchanged(before snapshot, account, what string) {
	e.tb.Helper()
	after := e.snapshot(account)
	if reflect.DeepEqual(before, after) {
		return
	}
	bv, av := reflect.ValueOf(before), reflect.ValueOf(after)
	for i := 0; i < bv.NumField(); i++ {
		if !reflect.DeepEqual(bv.Field(i).Interface(), av.Field(i).Interface()) {
			e.tb.Errorf("%s changed account %s's %s:\nbefore %v\nafter  %v", what, account,
				bv.Type().Field(i).Name, bv.Field(i).Interface(), av.Field(i).Interface())
		}
	}
}

// schedulesOf returns the schedules whose input names the account.
func (e *env) schedulesOf(account string) map[string]schedState {
	e.tb.Helper()
	out := map[string]schedState{}
	for _, s := range e.snapshot(account).Schedules {
		in, err := runs.ParseInput([]byte(s.Input))
		if err != nil {
			e.tb.Fatalf("schedule %s input: %v", s.Name, err)
		}
		if in.AccountID == account {
			out[in.ChannelID+"/"+string(in.Task)] = s
		}
	}
	return out
}

// checkErr asserts the error envelope {"error":{"code","message"[,"details"]}}.
func checkErr(tb testing.TB, rec *httptest.ResponseRecorder, status int, code string) errJSON {
	tb.Helper()
	if rec.Code != status {
		tb.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("error Content-Type %q", ct)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &top); err != nil {
		tb.Fatalf("error body is not a JSON object: %v; %s", err, rec.Body)
	}
	if len(top) != 1 || top["error"] == nil {
		tb.Fatalf("error body has keys other than \"error\": %s", rec.Body)
	}
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(top["error"], &inner); err != nil {
		tb.Fatalf("\"error\" is not an object: %s", rec.Body)
	}
	for k := range inner {
		if k != "code" && k != "message" && k != "details" {
			tb.Errorf("error has unexpected key %q: %s", k, rec.Body)
		}
	}
	var e errJSON
	dec := json.NewDecoder(bytes.NewReader(top["error"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		tb.Fatalf("error envelope: %v; %s", err, rec.Body)
	}
	if e.Code == "" || strings.TrimSpace(e.Message) == "" {
		tb.Errorf("error without code or message: %s", rec.Body)
	}
	if code != "" && e.Code != code {
		tb.Errorf("error code %q, want %q; body %s", e.Code, code, rec.Body)
	}
	return e
}

// leakMarkers are fragments of internal error text (store, Go runtime,
// JSON decoder internals) that no response may carry.
var leakMarkers = []string{"bolt", "database", "store:", "A#", "CH#", "RUN#", "goroutine", "panic", "runtime", ".go:",
	"exploded", secretToken, "settings.", "catalog.", "httpapi.", "struct {", "cart.", "runs."}

func checkNoLeak(tb testing.TB, rec *httptest.ResponseRecorder) {
	tb.Helper()
	body := rec.Body.String()
	for _, m := range leakMarkers {
		if strings.Contains(body, m) {
			tb.Errorf("status %d body carries internal text %q: %s", rec.Code, m, body)
		}
	}
}

// decodeDetails decodes an error's details as problems.
func decodeDetails(tb testing.TB, e errJSON) []problemJSON {
	tb.Helper()
	out := make([]problemJSON, len(e.Details))
	for i, d := range e.Details {
		if err := json.Unmarshal(d, &out[i]); err != nil {
			tb.Fatalf("detail %d: %v: %s", i, err, d)
		}
	}
	return out
}

var errTest = errors.New("dispatch queue unavailable: internal detail at 10.0.0.7")
