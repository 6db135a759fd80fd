package routewalk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/channels"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/devserver"
	"github.com/autosync/autosync/shared/runs"
)

// The accounts: actor is the demo merchant (its ids are the "valid" path
// values), victim has data of every kind and is never acted on by its own
// token, so nothing may change for it; stranger is another merchant with
// nothing (its responses must never show the actor's or victim's data).
const (
	victim   = "acct-victim-walk"
	stranger = "acct-stranger-walk"
	support  = "support-walk"
)

// victim's data, distinctive enough that no other text contains it.
const (
	victimName  = "Victim-Secret-Channel-Name"
	victimOrder = "VICTIM-ORDER-7731"
	victimSKU   = "VICTIM-SKU-9902"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

type stack struct {
	srv   *devserver.Server
	h     http.Handler
	demo  string // the demo merchant's token
	data  string
	token auth.HS256
}

func start(t *testing.T) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	data := t.TempDir()
	ready := make(chan *stack, 1)
	done := make(chan error, 1)
	go func() {
		done <- devserver.Run(ctx, devserver.Options{Addr: "127.0.0.1:0", Data: data, Demo: true, CartClient: carttest.LoopbackClient(), Speed: 1,
			Log: slog.New(slog.NewJSONHandler(&syncBuf{}, &slog.HandlerOptions{Level: slog.LevelError})),
			Ready: func(s *devserver.Server, _, token string) {
				ready <- &stack{srv: s, h: s.App.API.Handler(), demo: token, data: data}
			}}, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	select {
	case st := <-ready:
		secret, err := auth.LoadOrCreateSecret(filepath.Join(data, "token.secret"))
		if err != nil {
			t.Fatal(err)
		}
		st.token = auth.HS256{Secret: secret}
		return st
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}
	return nil
}

func (st *stack) issue(t *testing.T, account, scope string, ttl time.Duration) string {
	t.Helper()
	tok, err := st.token.Issue(account, scope, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// do serves one request in process; body may be nil.
func (st *stack) do(method, target, token, contentType string, body io.Reader) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	st.h.ServeHTTP(w, r)
	return w
}

func (st *stack) mustJSON(t *testing.T, method, target, token string, body any, want int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	w := st.do(method, target, token, "application/json", rd)
	if w.Code != want {
		t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			t.Fatal(err)
		}
	}
}

// world is the ids the walk substitutes and the markers it looks for.
type world struct {
	actorCh, actorRun, actorSKU string
	victimCh, victimRun         string
	// shopifyBase is the demo's Shopify simulator: channels the walk
	// creates point there, so checking their credentials stays on this
	// machine.
	shopifyBase string
}

func setup(t *testing.T, st *stack) world {
	t.Helper()
	ctx := context.Background()
	var w world
	var chans struct{ Channels []struct{ ID, Type string } }
	st.mustJSON(t, "GET", "/v1/channels", st.demo, nil, 200, &chans)
	for _, c := range chans.Channels {
		if c.Type == string(catalog.Shopify) {
			w.actorCh = c.ID
		}
	}
	if w.actorCh == "" {
		t.Fatal("the demo has no Shopify channel")
	}
	var out struct{ Runs []struct{ ID string } }
	st.mustJSON(t, "POST", "/v1/sync/runs", st.demo, map[string]any{"runs": []map[string]string{{"channel_id": w.actorCh, "task": "import_orders"}}}, 202, &out)
	w.actorRun = out.Runs[0].ID
	w.actorSKU = devserver.DemoSKUs[0]

	// The victim: a channel (never dispatched), a finished run, an order
	// and a product, made through the use cases.
	actor, err := st.srv.App.Channels.Get(ctx, devserver.DemoAccount, w.actorCh)
	if err != nil {
		t.Fatal(err)
	}
	w.shopifyBase = actor.Config["api_base"]
	vch, err := st.srv.App.Channels.Create(ctx, victim, channels.Channel{Type: catalog.Shopify, Name: victimName,
		Config: cart.Config{"shop": "victim-walk.myshopify.com", "api_base": w.shopifyBase}}, cart.Credentials{"access_token": "shpat_victim"})
	if err != nil {
		t.Fatal(err)
	}
	w.victimCh = vch.ID
	run := st.srv.App.Runs.NewRun(victim, w.victimCh, catalog.ImportOrders, runs.Manual, runs.Succeeded)
	if err := st.srv.App.Runs.Create(ctx, run); err != nil {
		t.Fatal(err)
	}
	w.victimRun = run.ID
	now := time.Now().UTC()
	if _, err := st.srv.App.Orders.Upsert(ctx, victim, w.victimCh, cart.Order{ExternalID: victimOrder, Number: "#V1", CartStatus: "open",
		Filter: cart.AwaitingFulfillment, Lines: []cart.Line{{SKU: victimSKU, Quantity: 1}}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	q := 5
	if _, err := st.srv.App.Inventory.ImportListing(ctx, victim, w.victimCh, cart.Listing{SKU: victimSKU, Name: "Victim product", Quantity: &q, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return w
}

// snapshot is everything about the victim that a request could change.
func (st *stack) snapshot(t *testing.T, w world) map[string]string {
	t.Helper()
	tok := st.issue(t, victim, auth.ScopeMerchant, time.Hour)
	s := map[string]string{}
	for _, p := range []string{"/v1/channels", "/v1/sync", "/v1/sync/runs?limit=100", "/v1/orders?limit=200", "/v1/products?limit=200", "/v1/warehouses"} {
		r := st.do("GET", p, tok, "", nil)
		if r.Code != 200 {
			t.Fatalf("snapshot %s: %d %s", p, r.Code, r.Body)
		}
		s[p] = r.Body.String()
	}
	ctx := context.Background()
	creds, err := st.srv.App.Channels.Credentials(ctx, victim, w.victimCh)
	if err != nil {
		t.Fatal(err)
	}
	s["credentials"] = fmt.Sprint(creds)
	pols, err := st.srv.App.Inventory.Policies(ctx, victim)
	if err != nil {
		t.Fatal(err)
	}
	s["policies"] = fmt.Sprint(pols)
	secret, err := st.srv.App.Channels.WebhookSecret(ctx, victim, w.victimCh)
	if err != nil {
		t.Fatal(err)
	}
	s["webhook secret"] = string(secret)
	return s
}

// value is one substitution for a path wildcard, already escaped.
type value struct{ kind, v string }

// hostile are the ids no route may answer with a 5xx.
var hostile = []value{
	{"%ff", "%ff"},
	{"non-UTF-8", "%FF%FE%00"},
	{"3,000 chars", strings.Repeat("a", 3000)},
	{"3,000 chars id", "ch_" + strings.Repeat("a", 3000)},
	{"control chars", url.PathEscape("ch_\x00\x01\x1b[2J\n")},
	{"..", ".."},
	{"empty", ""},
	{"unicode", url.PathEscape("ch_店舗ü\u202e")},
	{"padded", url.PathEscape(" demo ")},
	{"encoded slash", "a%2F..%2Fb"},
	{"well-formed unknown", "ch_0000000000000000"},
}

func (w world) values(name string) (valid string, others []value) {
	switch name {
	case "channel_id":
		valid, others = w.actorCh, []value{{"victim's", w.victimCh}}
	case "run_id":
		valid, others = w.actorRun, []value{{"victim's", w.victimRun}}
	case "sku":
		valid, others = w.actorSKU, []value{{"victim's", victimSKU}}
	case "account_id":
		valid, others = devserver.DemoAccount, []value{{"victim's", victim}}
	case "task":
		valid = string(catalog.ImportOrders)
	case "cart":
		valid, others = string(catalog.Shopify), []value{{"other cart", string(catalog.WooCommerce)}}
	default:
		valid = "x"
	}
	return valid, append(others, hostile...)
}

// good bodies per route; a route without one is walked with "{}".
func (w world) good(pattern string) string {
	switch pattern {
	case "POST /v1/channels":
		return `{"type":"shopify","name":"walk","config":{"shop":"walk.myshopify.com","api_base":"` + w.shopifyBase + `"},"credentials":{"access_token":"t"}}`
	case "PUT /v1/channels/{channel_id}/credentials":
		return `{"credentials":{"access_token":"t"}}`
	case "PUT /v1/sync":
		return `{"tasks":[{"channel_id":"` + w.actorCh + `","task":"import_orders","enabled":true}]}`
	case "POST /v1/sync/runs":
		return `{"runs":[{"channel_id":"` + w.actorCh + `","task":"import_products"}]}`
	case "PUT /v1/products/{sku}/inventory":
		return `{"warehouse_id":"wh_default","on_hand":5}`
	case "PUT /v1/admin/accounts/{account_id}/channels/{channel_id}/tasks/{task}/interval":
		return `{"interval":"6h"}`
	case "PUT /v1/admin/accounts/{account_id}/channels/{channel_id}/order-statuses":
		return `{"statuses":[]}`
	case "PUT /v1/admin/accounts/{account_id}/channels/{channel_id}/inventory-policy":
		return `{"warehouses":["wh_default"],"reserve":1,"max_export":null}`
	case "POST /dev/token":
		return `{"account_id":"` + stranger + `","scope":"autosync/merchant"}`
	case "POST /dev/channels/{channel_id}/orders":
		return `{"lines":[{"sku":"MUG-BLUE","quantity":1}]}`
	case "POST /webhooks/{cart}/{channel_id}":
		return `{"id":1001,"name":"#1001"}`
	}
	return `{}`
}

// body is one request body: a reader maker (bodies can be read once) and
// a content type.
type body struct {
	kind string
	raw  string
	ct   string
	read func() io.Reader
}

func text(kind, s string) body {
	return body{kind: kind, raw: s, ct: "application/json", read: func() io.Reader { return strings.NewReader(s) }}
}

var huge = `{"x":"` + strings.Repeat("h", 3<<20/2) + `"}`

// malformed are bodies every route that reads one must refuse cleanly.
func malformed(good string) []body {
	bs := []body{
		text("empty", ""),
		text("truncated", good[:len(good)/2]),
		text("non-JSON", "tasks=all&x=1"),
		text("huge", huge),
		text("deep", strings.Repeat("[", 10000)),
		text("null", "null"),
		text("array", "["+good+"]"),
		text("string", `"x"`),
		text("not UTF-8", `{"a":"`+"\xff\xfe"+`"}`),
		text("trailing", good+"{}"),
		{kind: "unreadable", raw: good, ct: "application/json", read: func() io.Reader {
			return io.MultiReader(strings.NewReader(good[:len(good)/2]), iotest.ErrReader(io.ErrUnexpectedEOF))
		}},
		{kind: "text/plain", raw: good, ct: "text/plain", read: func() io.Reader { return strings.NewReader(good) }},
	}
	return append(bs, mutations(good)...)
}

// mutations replace each field of the good body (and of objects inside
// its arrays and objects) with every wrong type, null, hostile strings;
// drop it; and add an unknown one.
func mutations(good string) []body {
	var doc any
	dec := json.NewDecoder(strings.NewReader(good))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return nil
	}
	repl := []struct {
		kind string
		v    any
	}{
		{"null", nil}, {"number", json.Number("-1")}, {"big number", json.Number("1e309")}, {"float", json.Number("0.5")},
		{"bool", true}, {"array", []any{}}, {"object", map[string]any{}}, {"empty string", ""},
		{"%ff string", "%ff"}, {"3,000-char string", strings.Repeat("s", 3000)}, {"control string", "a\x00\x1b\n"},
		{"unicode string", "店\u202e"}, {"padded string", " demo "},
	}
	var out []body
	var walk func(path string, v any, set func(any))
	walk = func(path string, v any, set func(any)) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				orig := x[k]
				for _, r := range repl {
					x[k] = r.v
					b, _ := json.Marshal(doc)
					out = append(out, text(path+"."+k+"="+r.kind, string(b)))
				}
				delete(x, k)
				b, _ := json.Marshal(doc)
				out = append(out, text(path+"."+k+" missing", string(b)))
				x[k] = orig
				walk(path+"."+k, orig, func(nv any) { x[k] = nv })
			}
			x["unknown_field"] = "x"
			b, _ := json.Marshal(doc)
			out = append(out, text(path+" unknown field", string(b)))
			delete(x, "unknown_field")
		case []any:
			if len(x) > 0 {
				walk(path+"[0]", x[0], func(nv any) { x[0] = nv })
			}
		}
	}
	walk("", doc, nil)
	return out
}

type token struct{ kind, tok string }

type tally struct {
	requests int
	routes   int
	byStatus map[int]int
	byToken  map[string]int
	inputs   map[string]bool
	failures []string
}

func (ty *tally) fail(format string, args ...any) {
	if len(ty.failures) < 40 {
		ty.failures = append(ty.failures, fmt.Sprintf(format, args...))
	}
}

// TestRouteWalk is the walk; its counts are in BENCHMARKS.md.
func TestRouteWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("the route walk takes a while; run without -short")
	}
	st := start(t)
	w := setup(t, st)
	before := st.snapshot(t, w)

	tokens := []token{
		{"merchant", st.demo},
		{"admin", st.issue(t, support, auth.ScopeAdmin, time.Hour)},
		{"other account", st.issue(t, stranger, auth.ScopeMerchant, time.Hour)},
		{"expired", st.issue(t, devserver.DemoAccount, auth.ScopeMerchant, -time.Minute)},
		{"wrong signature", func() string {
			tok, _ := auth.HS256{Secret: []byte("not-the-secret-not-the-secret-xx")}.Issue(devserver.DemoAccount, auth.ScopeAdmin, time.Hour)
			return tok
		}()},
		{"no scope", st.issue(t, devserver.DemoAccount, "", time.Hour)},
		{"padded account", st.issue(t, " demo ", auth.ScopeMerchant+" "+auth.ScopeAdmin, time.Hour)},
		{"garbage", "x.y.z"},
		{"none", ""},
	}
	// markers[m] are the other accounts' texts that must not reach a
	// response to m's tokens (unless the request itself carried them).
	victimMarks := []string{w.victimCh, w.victimRun, victimName, victimOrder, victimSKU, victim}
	actorMarks := []string{w.actorCh, w.actorRun}

	ty := &tally{byStatus: map[int]int{}, byToken: map[string]int{}, inputs: map[string]bool{}}
	send := func(pattern, method, target string, tk token, b *body) {
		var rd io.Reader
		ct := ""
		if b != nil {
			rd, ct = b.read(), b.ct
			ty.inputs["body: "+b.kind] = true
		}
		rec := st.do(method, target, tk.tok, ct, rd)
		ty.requests++
		ty.byStatus[rec.Code]++
		ty.byToken[tk.kind]++
		what := func() string {
			k := "no body"
			if b != nil {
				k = b.kind
			}
			return fmt.Sprintf("%s %.120s (token %s, body %s)", method, target, tk.kind, k)
		}
		// The one 5xx outside input may cause is the cart's own outage: a
		// channel whose mutated config names a real shop (its api_base
		// dropped) cannot be checked here, where tests reach loopback only.
		cartDown := rec.Code == http.StatusServiceUnavailable && strings.Contains(rec.Body.String(), `"code":"cart_unavailable"`) &&
			b != nil && strings.HasSuffix(b.kind, "api_base missing")
		if rec.Code >= 500 && !cartDown {
			ty.fail("%d from %s: %.200s", rec.Code, what(), rec.Body)
		}
		sent := target
		if b != nil {
			sent += b.raw
		}
		marks := victimMarks
		if tk.kind == "other account" {
			marks = append(slices.Clone(victimMarks), actorMarks...)
		}
		for _, m := range marks {
			if strings.Contains(rec.Body.String(), m) && !strings.Contains(sent, m) {
				ty.fail("%s answered with another account's %q", what(), m)
			}
		}
	}

	patterns := st.srv.App.API.Routes()
	// Deleting the actor's channel last keeps its id valid for the rest.
	sort.SliceStable(patterns, func(i, j int) bool {
		return !strings.HasPrefix(patterns[i], "DELETE ") && strings.HasPrefix(patterns[j], "DELETE ")
	})
	for _, want := range []string{"POST /dev/token", "POST /webhooks/{cart}/{channel_id}", "PUT /v1/sync", "GET /v1/sync/runs/{run_id}"} {
		if !slices.Contains(patterns, want) {
			t.Fatalf("the mux does not list %q: %v", want, patterns)
		}
	}
	ty.routes = len(patterns)
	for _, pattern := range patterns {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok { // a catch-all: every method, odd paths under it
			path, method = pattern, ""
		}
		hasBody := method == "POST" || method == "PUT" || method == "PATCH" || method == ""
		good := text("good", w.good(pattern))
		// Path variants: every wildcard valid, then each in turn replaced.
		var names []string
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") {
				names = append(names, strings.Trim(seg, "{}."))
			}
		}
		fill := func(sub map[string]string) string {
			p := path
			for _, n := range names {
				v, _ := w.values(n)
				if s, ok := sub[n]; ok {
					v = s
				}
				p = strings.Replace(p, "{"+n+"}", v, 1)
			}
			return p
		}
		type variant struct{ target, kind string }
		variants := []variant{{fill(nil), "valid ids"}}
		for _, n := range names {
			_, others := w.values(n)
			for _, o := range others {
				variants = append(variants, variant{fill(map[string]string{n: o.v}), n + " " + o.kind})
			}
		}
		if method == "" {
			for _, o := range hostile {
				variants = append(variants, variant{strings.TrimSuffix(path, "/") + "/" + o.v + "/x", "suffix " + o.kind})
			}
		}
		methods := []string{method}
		if method == "" {
			methods = []string{"GET", "POST", "PUT", "DELETE", "PATCH"}
		}
		for _, m := range methods {
			for _, v := range variants {
				ty.inputs["path: "+v.kind] = true
				for _, tk := range tokens {
					if !hasBody {
						send(pattern, m, v.target, tk, nil)
						continue
					}
					send(pattern, m, v.target, tk, &good)
					tr := text("truncated", good.raw[:len(good.raw)/2])
					send(pattern, m, v.target, tk, &tr)
				}
			}
		}
		// Every malformed body, on the valid path, with the tokens that
		// reach the handler.
		if hasBody {
			for _, m := range methods {
				for _, b := range malformed(good.raw) {
					for _, tk := range tokens[:3] {
						send(pattern, m, variants[0].target, tk, &b)
					}
				}
			}
		} else if method == "GET" {
			for _, q := range []string{"?channel_id=%ff", "?channel_id=" + strings.Repeat("c", 3000), "?limit=-1", "?limit=99999999999999999999",
				"?cursor=%ff", "?cursor=" + strings.Repeat("Q", 3000), "?task=%00", "?filter=..", "?tag=%0a", "?x=1", "?limit=1&limit=2", "?%zz", "?channel_id=" + w.victimCh} {
				ty.inputs["query: "+q[:min(len(q), 20)]] = true
				for _, tk := range tokens[:3] {
					send(pattern, method, variants[0].target+q, tk, nil)
				}
			}
		}
	}

	after := st.snapshot(t, w)
	if !reflect.DeepEqual(before, after) {
		for k := range before {
			if before[k] != after[k] {
				t.Errorf("the victim's %s changed:\nbefore %.400s\nafter  %.400s", k, before[k], after[k])
			}
		}
	}
	for _, f := range ty.failures {
		t.Error(f)
	}
	codes := slices.Sorted(maps.Keys(ty.byStatus))
	var hist []string
	for _, c := range codes {
		hist = append(hist, fmt.Sprintf("%d×%d", c, ty.byStatus[c]))
	}
	kinds := map[string]int{}
	for in := range ty.inputs {
		k, _, _ := strings.Cut(in, ":")
		kinds[k]++
	}
	t.Logf("route walk: %d routes, %d requests; %d token kinds, %d path variants, %d bodies, %d queries; statuses %s",
		ty.routes, ty.requests, len(tokens), kinds["path"], kinds["body"], kinds["query"], strings.Join(hist, " "))
}
