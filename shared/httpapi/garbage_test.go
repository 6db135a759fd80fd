package httpapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/httpapi"
	"github.com/autosync/autosync/shared/settings"
)

// bodyRoute is a route that takes a JSON body, with a body it accepts.
type bodyRoute struct {
	name, method, path string
	admin              bool
	good               string
	// wrongTypes are bodies of the right shape with a field of the wrong type.
	wrongTypes []string
	// unknown are bodies with a field the route does not know.
	unknown []string
}

func bodyRoutes(f *fixture) []bodyRoute {
	return []bodyRoute{
		{
			name: "create channel", method: "POST", path: "/v1/channels",
			good: mustJSON(shopifyBody("new", "tok")),
			wrongTypes: []string{
				`{"type":1,"name":"n","config":{"shop":"x.myshopify.com"},"credentials":{"access_token":"t"}}`,
				`{"type":"shopify","name":["n"],"config":{"shop":"x.myshopify.com"},"credentials":{"access_token":"t"}}`,
				`{"type":"shopify","name":"n","config":"x.myshopify.com","credentials":{"access_token":"t"}}`,
				`{"type":"shopify","name":"n","config":{"shop":1},"credentials":{"access_token":"t"}}`,
				`{"type":"shopify","name":"n","config":{"shop":"x.myshopify.com"},"credentials":["t"]}`,
				`{"type":"shopify","name":"n","config":{"shop":"x.myshopify.com"},"credentials":{"access_token":true}}`,
			},
			unknown: []string{
				`{"type":"shopify","name":"n","config":{"shop":"x.myshopify.com"},"credentials":{"access_token":"t"},"account_id":"acct-b"}`,
				`{"type":"shopify","name":"n","config":{"shop":"x.myshopify.com"},"credentials":{"access_token":"t"},"id":"ch_0000000000000000"}`,
			},
		},
		{
			name: "credentials", method: "PUT", path: "/v1/channels/" + f.a1 + "/credentials",
			good:       `{"credentials":{"access_token":"new"}}`,
			wrongTypes: []string{`{"credentials":"new"}`, `{"credentials":{"access_token":1}}`, `{"credentials":[["access_token","x"]]}`},
			unknown:    []string{`{"credentials":{"access_token":"new"},"status":"active"}`, `{"access_token":"new"}`},
		},
		{
			name: "put sync", method: "PUT", path: "/v1/sync",
			good: fmt.Sprintf(`{"tasks":[{"channel_id":%q,"task":"import_orders","enabled":true}]}`, f.a1),
			wrongTypes: []string{
				`{"tasks":{"channel_id":"x"}}`, `{"tasks":"all"}`, `{"tasks":[1,2]}`,
				fmt.Sprintf(`{"tasks":[{"channel_id":%q,"task":"import_products","enabled":"true"}]}`, f.a1),
				fmt.Sprintf(`{"tasks":[{"channel_id":%q,"task":"import_products","enabled":1}]}`, f.a1),
				`{"tasks":[{"channel_id":7,"task":"import_products","enabled":true}]}`,
				fmt.Sprintf(`{"tasks":[{"channel_id":%q,"task":["import_products"],"enabled":true}]}`, f.a1),
			},
			unknown: []string{
				fmt.Sprintf(`{"tasks":[{"channel_id":%q,"task":"import_products","enabled":true,"interval":"10m"}]}`, f.a1),
				fmt.Sprintf(`{"tasks":[{"channel_id":%q,"task":"import_products","enabled":true}],"account_id":"acct-b"}`, f.a1),
			},
		},
		{
			name: "post runs", method: "POST", path: "/v1/sync/runs",
			good: fmt.Sprintf(`{"runs":[{"channel_id":%q,"task":"import_orders"}]}`, f.a1),
			wrongTypes: []string{
				`{"runs":"all"}`, `{"runs":[true]}`,
				fmt.Sprintf(`{"runs":[{"channel_id":%q,"task":3}]}`, f.a1),
				`{"runs":[{"channel_id":{"id":"x"},"task":"import_orders"}]}`,
			},
			unknown: []string{
				fmt.Sprintf(`{"runs":[{"channel_id":%q,"task":"import_orders","trigger":"schedule"}]}`, f.a1),
				fmt.Sprintf(`{"runs":[{"channel_id":%q,"task":"import_orders"}],"dry_run":true}`, f.a1),
			},
		},
		{
			name: "admin interval", method: "PUT", admin: true,
			path:       "/v1/admin/accounts/" + acctA + "/channels/" + f.a1 + "/tasks/import_orders/interval",
			good:       `{"interval":"6h"}`,
			wrongTypes: []string{`{"interval":6}`, `{"interval":["6h"]}`, `{"interval":true}`, `{"interval":{"h":6}}`},
			unknown:    []string{`{"interval":"6h","force":true}`, `{"Interval_":"6h"}`},
		},
	}
}

func (f *fixture) tokenFor(r bodyRoute) string {
	if r.admin {
		return f.admin()
	}
	return f.merchant(acctA)
}

// TestGarbageBodies sends every route that takes a body every kind of bad
// body; each is refused with the error envelope and changes nothing.
func TestGarbageBodies(t *testing.T) {
	f := newFixture(t)
	big := `{"tasks":[` + strings.Repeat(" ", httpapi.MaxBody) + `]}`
	type bad struct {
		name, body, ct string
		status         int
		code           string
	}
	for _, r := range bodyRoutes(f) {
		cases := []bad{
			{"empty", "", "", 400, "malformed"},
			{"whitespace only", " \n\t ", "", 400, "malformed"},
			{"not JSON", "tasks=all", "", 400, "malformed"},
			{"truncated", r.good[:len(r.good)-1], "", 400, "malformed"},
			{"JSON array", "[" + r.good + "]", "", 400, "malformed"},
			{"JSON string", `"hello"`, "", 400, "malformed"},
			{"JSON number", `42`, "", 400, "malformed"},
			{"JSON null", `null`, "", 422, "invalid"},
			{"empty object", `{}`, "", 422, "invalid"},
			{"trailing object", r.good + ` {}`, "", 400, "malformed"},
			{"trailing garbage", r.good + `x`, "", 400, "malformed"},
			{"trailing brace", r.good + `}`, "", 400, "malformed"},
			{"trailing bracket", r.good + "\n]", "", 400, "malformed"},
			{"two objects", r.good + r.good, "", 400, "malformed"},
			{"invalid UTF-8 in a string", strings.Replace(r.good, `":"`, "\":\"\xff\xfe", 1), "", 400, "malformed"},
			{"invalid UTF-8 outside strings", "\xef\xbb\xbf" + r.good + "\xc3", "", 400, "malformed"},
			{"over 1 MiB", big, "", 413, "too_large"},
			{"over 1 MiB, wrong type", big, "text/plain", 415, "unsupported_media_type"},
			{"text/plain", r.good, "text/plain", 415, "unsupported_media_type"},
			{"form", r.good, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
			{"json look-alike", r.good, "application/jsonp", 415, "unsupported_media_type"},
			{"json look-alike 2", r.good, "application/json-seq", 415, "unsupported_media_type"},
			{"multipart", r.good, "multipart/form-data; boundary=x", 415, "unsupported_media_type"},
			{"deep nesting", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), "", 400, "malformed"},
		}
		for i, b := range r.wrongTypes {
			cases = append(cases, bad{fmt.Sprintf("wrong type %d", i), b, "", 400, "malformed"})
		}
		for i, b := range r.unknown {
			cases = append(cases, bad{fmt.Sprintf("unknown field %d", i), b, "", 400, "malformed"})
		}
		for _, c := range cases {
			t.Run(r.name+"/"+c.name, func(t *testing.T) {
				before := f.snapshot(acctA)
				rec := f.serve(req{method: r.method, path: r.path, token: f.tokenFor(r), body: c.body, contentType: c.ct})
				e := checkErr(t, rec, c.status, c.code)
				// A refusal speaks JSON, not Go: no Go type names.
				for _, m := range []string{"settings.", "catalog.", "cart.", "httpapi.", "struct {", "map[", "[]", "json:"} {
					if strings.Contains(e.Message, m) {
						t.Errorf("message leaks Go internals (%q): %s", m, e.Message)
					}
				}
				f.assertUnchanged(before, acctA, r.name+" with "+c.name)
			})
		}
		// The good body is accepted with and without charset, and with no
		// Content-Type at all (curl --data-binary without -H).
		t.Run(r.name+"/content types accepted", func(t *testing.T) {
			for _, ct := range []string{"application/json; charset=utf-8", "Application/JSON", "-"} {
				rec := f.serve(req{method: r.method, path: r.path, token: f.tokenFor(r), body: r.good, contentType: ct})
				if rec.Code >= 300 {
					t.Errorf("Content-Type %q: %d %s", ct, rec.Code, rec.Body)
				}
			}
		})
	}
}

// TestGarbageValues sends well-formed JSON with invalid values: 422 with
// details, nothing changed.
func TestGarbageValues(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("x", 2000)
	manyCfg := map[string]string{"shop": "x.myshopify.com"}
	for i := range 25 {
		manyCfg[fmt.Sprint("k", i)] = "v"
	}
	cases := []struct {
		name, method, path, body string
		admin                    bool
		status                   int
	}{
		{"channel no name", "POST", "/v1/channels", mustJSON(shopifyBody("  ", "t")), false, 422},
		{"channel long name", "POST", "/v1/channels", mustJSON(shopifyBody(strings.Repeat("n", 101), "t")), false, 422},
		{"channel unknown type", "POST", "/v1/channels", `{"type":"magento","name":"n","config":{},"credentials":{"k":"v"}}`, false, 422},
		{"channel unsupported type", "POST", "/v1/channels", `{"type":"etsy","name":"n","config":{},"credentials":{"k":"v"}}`, false, 422},
		{"channel bad shop", "POST", "/v1/channels", `{"type":"shopify","name":"n","config":{"shop":"evil.com"},"credentials":{"access_token":"t"}}`, false, 422},
		{"channel no token", "POST", "/v1/channels", `{"type":"shopify","name":"n","config":{"shop":"x.myshopify.com"},"credentials":{}}`, false, 422},
		{"channel remote api_base", "POST", "/v1/channels", `{"type":"shopify","name":"n","config":{"shop":"x.myshopify.com","api_base":"http://169.254.169.254/"},"credentials":{"access_token":"t"}}`, false, 422},
		{"channel long credential", "POST", "/v1/channels", mustJSON(shopifyBody("n", strings.Repeat("t", 3000))), false, 422},
		{"channel many config", "POST", "/v1/channels", mustJSON(map[string]any{"type": "shopify", "name": "n", "config": manyCfg, "credentials": map[string]string{"access_token": "t"}}), false, 422},
		{"credentials empty", "PUT", "/v1/channels/" + f.a1 + "/credentials", `{"credentials":{}}`, false, 422},
		{"credentials missing token", "PUT", "/v1/channels/" + f.a1 + "/credentials", `{"credentials":{"other":"x"}}`, false, 422},
		{"credentials too long", "PUT", "/v1/channels/" + f.a1 + "/credentials", `{"credentials":{"access_token":"` + long + long + `"}}`, false, 422},
		{"credentials unknown channel", "PUT", "/v1/channels/ch_0000000000000000/credentials", `{"credentials":{"access_token":"x"}}`, false, 404},
		{"credentials huge channel id", "PUT", "/v1/channels/" + long + "/credentials", `{"credentials":{"access_token":"x"}}`, false, 404},
		{"credentials odd channel id", "PUT", "/v1/channels/" + url.PathEscape("../\xff") + "/credentials", `{"credentials":{"access_token":"x"}}`, false, 404},
		{"delete huge channel id", "DELETE", "/v1/channels/" + long, "", false, 404},
		{"delete odd channel id", "DELETE", "/v1/channels/%FF%00", "", false, 404},
		{"sync null tasks", "PUT", "/v1/sync", `{"tasks":null}`, false, 422},
		{"sync no channel", "PUT", "/v1/sync", `{"tasks":[{"task":"import_orders","enabled":true}]}`, false, 422},
		{"sync huge channel", "PUT", "/v1/sync", `{"tasks":[{"channel_id":"` + long + `","task":"import_orders","enabled":true}]}`, false, 422},
		{"sync too many", "PUT", "/v1/sync", `{"tasks":[` + strings.TrimSuffix(strings.Repeat(`{"channel_id":"x","task":"import_orders","enabled":false},`, 501), ",") + `]}`, false, 422},
		{"runs empty", "POST", "/v1/sync/runs", `{"runs":[]}`, false, 422},
		{"runs null", "POST", "/v1/sync/runs", `{"runs":null}`, false, 422},
		{"runs too many", "POST", "/v1/sync/runs", `{"runs":[` + strings.TrimSuffix(strings.Repeat(`{"channel_id":"`+f.a1+`","task":"import_orders"},`, 101), ",") + `]}`, false, 422},
		{"runs unknown task", "POST", "/v1/sync/runs", `{"runs":[{"channel_id":"` + f.a1 + `","task":"import_everything"}]}`, false, 422},
		{"runs duplicate", "POST", "/v1/sync/runs", `{"runs":[{"channel_id":"` + f.a1 + `","task":"import_orders"},{"channel_id":"` + f.a1 + `","task":"import_orders"}]}`, false, 422},
		{"interval empty", "PUT", "/v1/admin/accounts/" + acctA + "/channels/" + f.a1 + "/tasks/import_orders/interval", `{"interval":""}`, true, 422},
		{"interval unknown", "PUT", "/v1/admin/accounts/" + acctA + "/channels/" + f.a1 + "/tasks/import_orders/interval", `{"interval":"5m"}`, true, 422},
		{"interval unknown task", "PUT", "/v1/admin/accounts/" + acctA + "/channels/" + f.a1 + "/tasks/import_all/interval", `{"interval":"1h"}`, true, 404},
		{"interval instasync", "PUT", "/v1/admin/accounts/" + acctA + "/channels/" + f.a1 + "/tasks/instasync_orders/interval", `{"interval":"1h"}`, true, 422},
		{"interval unknown channel", "PUT", "/v1/admin/accounts/" + acctA + "/channels/ch_0000000000000000/tasks/import_orders/interval", `{"interval":"1h"}`, true, 404},
		{"interval unknown account", "PUT", "/v1/admin/accounts/nobody/channels/" + f.a1 + "/tasks/import_orders/interval", `{"interval":"1h"}`, true, 404},
		{"interval huge account", "PUT", "/v1/admin/accounts/" + long + long + "/channels/" + f.a1 + "/tasks/import_orders/interval", `{"interval":"1h"}`, true, 404},
		{"interval odd account", "PUT", "/v1/admin/accounts/%FF/channels/" + f.a1 + "/tasks/import_orders/interval", `{"interval":"1h"}`, true, 404},
		{"interval huge channel", "PUT", "/v1/admin/accounts/" + acctA + "/channels/" + long + "/tasks/import_orders/interval", `{"interval":"1h"}`, true, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.snapshot(acctA)
			tok := f.merchant(acctA)
			if c.admin {
				tok = f.admin()
			}
			rec := f.serve(req{method: c.method, path: c.path, token: tok, body: c.body})
			checkErr(t, rec, c.status, "")
			f.assertUnchanged(before, acctA, c.name)
		})
	}
}

// TestGarbageQuery covers the query parameters of the GET routes.
func TestGarbageQuery(t *testing.T) {
	f := newFixture(t)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	bad := map[string][]string{
		"/v1/channels": {"?x=1", "?limit=5"},
		"/v1/sync":     {"?channel_id=" + f.a1, "?x="},
		"/v1/sync/runs": {
			"?limit=0", "?limit=abc", "?limit=100000", "?limit=-1", "?limit=1.5", "?limit=101", "?limit=%20", "?limit=99999999999999999999",
			"?limit=1&limit=2", "?task=import_orders&task=write_inventory", "?cursor=a&cursor=b",
			"?status=failed", "?Limit=5", "?channel=" + f.a1,
			"?task=import_everything", "?task=IMPORT_ORDERS",
			"?cursor=!!!", "?cursor=" + b64("ORD#x"), "?cursor=" + b64("\xff\xfe"), "?cursor=" + b64(strings.Repeat("RUN#", 300)),
			"?cursor=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("RUN#run_1?"))),
			"?channel_id=%FF", "?task=%FF",
		},
		"/v1/orders": {
			"?limit=0", "?limit=abc", "?limit=100000", "?limit=201",
			"?filter=open", "?filter=SHIPPED", "?filter=needs_sync", "?filter=shipped&filter=cancelled",
			"?tag=" + strings.Repeat("t", 101), "?channel_id=" + strings.Repeat("c", 101),
			"?sort=asc", "?cursor=%%%", "?cursor=" + b64("RUN#x"), "?cursor=" + b64("\xff"),
			"?channel_id=%FF", "?tag=%C3", "?filter=%FF",
		},
	}
	before := f.snapshot(acctA)
	for path, qs := range bad {
		for _, q := range qs {
			rec := f.serve(req{method: "GET", path: path + q, token: f.merchant(acctA)})
			if rec.Code != 400 && rec.Code != 422 {
				t.Errorf("GET %s%s: %d, want 400 or 422: %s", path, q, rec.Code, rec.Body)
				continue
			}
			checkErr(t, rec, rec.Code, "")
		}
	}
	f.assertUnchanged(before, acctA, "bad queries")
	// And what is allowed is allowed.
	for _, p := range []string{
		"/v1/sync/runs?limit=1", "/v1/sync/runs?limit=100", "/v1/sync/runs?limit=", "/v1/sync/runs?task=import_orders&channel_id=" + f.a1,
		"/v1/sync/runs?cursor=" + b64("RUN#run_zzzz"), "/v1/orders?limit=200&filter=cancelled&tag=FBA&channel_id=" + f.a2,
		"/v1/orders?cursor=" + b64("ORD#"+f.a1+"#"),
	} {
		f.call("GET", p, f.merchant(acctA), nil, http.StatusOK, nil)
	}
}

// TestPutSyncAllOrNothing: one bad entry among good ones refuses the whole
// request, lists every problem with its index, channel and task, and saves
// nothing.
func TestPutSyncAllOrNothing(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot(acctA)
	entries := []change{
		{f.a1, catalog.ImportOrders, false},            // 0 good: would delete a schedule
		{f.a2, catalog.ImportOrders, false},            // 1 good: would delete a schedule
		{f.a1, "import_everything", true},              // 2 unknown task
		{f.a2, catalog.InstasyncProducts, false},       // 3 good (no-op)
		{"ch_0000000000000000", "import_orders", true}, // 4 no such channel
		{f.a1, catalog.ImportOrders, true},             // 5 listed twice
		{f.a1, catalog.ImportFBAInventory, true},       // 6 not offered by Shopify
		{f.b, catalog.ImportOrders, false},             // 7 another account's channel
		{f.a2, catalog.ImportFBAOrders, false},         // 8 good: disabling what is off
	}
	rec := f.serve(req{method: "PUT", path: "/v1/sync", token: f.merchant(acctA), body: mustJSON(map[string]any{"tasks": entries})})
	e := checkErr(t, rec, http.StatusUnprocessableEntity, "invalid")
	ps := decodeDetails(t, e)
	var idx []int
	for _, p := range ps {
		if p.Index == nil || p.Message == "" || p.ChannelID == "" || p.Task == "" {
			t.Errorf("problem without index, channel_id, task or message: %+v", p)
			continue
		}
		if p.ChannelID != entries[*p.Index].ChannelID || p.Task != string(entries[*p.Index].Task) {
			t.Errorf("problem %+v does not name its entry %+v", p, entries[*p.Index])
		}
		idx = append(idx, *p.Index)
	}
	if !slices.Equal(idx, []int{2, 4, 5, 6, 7}) {
		t.Fatalf("problems at %v, want [2 4 5 6 7]: %s", idx, rec.Body)
	}
	f.assertUnchanged(before, acctA, "a refused PUT /v1/sync")

	// The same request without the bad entries goes through.
	good := []change{entries[0], entries[1], entries[3], entries[8]}
	if len(f.schedulesOf(acctA)) != 2 {
		t.Fatal("fixture: A should have two schedules")
	}
	var m modalJSON
	f.call("PUT", "/v1/sync", f.merchant(acctA), map[string]any{"tasks": good}, http.StatusOK, &m)
	for _, c := range good {
		if ts, _ := m.task(c.ChannelID, c.Task); ts.Enabled != c.Enabled {
			t.Errorf("%s/%s enabled=%v, want %v", c.ChannelID, c.Task, ts.Enabled, c.Enabled)
		}
	}
	if s := f.schedulesOf(acctA); len(s) != 0 {
		t.Errorf("schedules left after disabling: %v", s)
	}
}

// TestPutSyncTooManyChanges: more changes than one transaction holds is
// refused whole.
func TestPutSyncTooManyChanges(t *testing.T) {
	e := newEnv(t)
	first := e.newChannel(acctA, "c")
	tasks := e.enableable(acctA, first)
	// Each enabled autosync task writes three items (setting, schedule record,
	// its pending marker) in one transaction.
	need := (settings.MaxChanges + len(tasks)) / len(tasks)
	if need > channels.MaxPerAccount {
		t.Skipf("with %d enable-able task(s) per channel, %d channels cannot exceed one transaction", len(tasks), channels.MaxPerAccount)
	}
	var cs []change
	for i := range need {
		ch := first
		if i > 0 {
			ch = e.newChannel(acctA, fmt.Sprint("c", i))
		}
		for _, task := range tasks {
			cs = append(cs, change{ch, task, true})
		}
	}
	before := e.snapshot(acctA)
	rec := e.serve(req{method: "PUT", path: "/v1/sync", token: e.merchant(acctA), body: mustJSON(map[string]any{"tasks": cs})})
	er := checkErr(t, rec, http.StatusUnprocessableEntity, "invalid")
	if len(er.Details) != 1 {
		t.Fatalf("details %s", rec.Body)
	}
	e.assertUnchanged(before, acctA, "too many changes")
}

// TestServerErrorsCarryNoInternals closes the store under the API: every
// route answers 500 with the generic message and its request id only.
func TestServerErrorsCarryNoInternals(t *testing.T) {
	f := newFixture(t)
	routes := everyRoute(f)[:11]
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		tok := f.merchant(acctA)
		if strings.Contains(r.path, "/admin/") {
			tok = f.admin()
		}
		if r.method == "POST" && r.path == "/v1/channels" {
			r.body = mustJSON(shopifyBody("S", secretToken))
		}
		rec := f.serve(req{method: r.method, path: r.path, token: tok, body: r.body})
		e := checkErr(t, rec, http.StatusInternalServerError, "internal")
		reqID := rec.Header().Get("X-Request-Id")
		if reqID == "" || !strings.Contains(e.Message, reqID) {
			t.Errorf("%s %s: message %q lacks the request id %q", r.method, r.path, e.Message, reqID)
		}
		if len(e.Details) != 0 {
			t.Errorf("%s %s: 500 with details: %s", r.method, r.path, rec.Body)
		}
		if want := "Something went wrong on our side. Try again; if it persists, contact support with request id " + reqID + "."; e.Message != want {
			t.Errorf("%s %s: message %q", r.method, r.path, e.Message)
		}
		checkNoLeak(t, rec)
	}
	// The internal error is logged for support, with the request id.
	if !strings.Contains(f.logs.String(), "database not open") {
		t.Errorf("the internal error was not logged: %s", f.logs.String())
	}
}

// TestPanicIsA500 makes a dependency panic: the recoverer answers a
// generic 500 in the envelope, naming the request id, without the panic text.
func TestPanicIsA500(t *testing.T) {
	f := newFixture(t)
	f.disp.mu.Lock()
	f.disp.panic = true
	f.disp.mu.Unlock()
	rec := f.serve(req{method: "POST", path: "/v1/sync/runs", token: f.merchant(acctA),
		body: `{"runs":[{"channel_id":"` + f.a2 + `","task":"import_orders"}]}`})
	e := checkErr(t, rec, http.StatusInternalServerError, "internal")
	if id := rec.Header().Get("X-Request-Id"); id == "" || !strings.Contains(e.Message, id) {
		t.Errorf("panic 500 %q does not name the request id %q", e.Message, id)
	}
	checkNoLeak(t, rec)
}

// TestDispatchFailure: a run that cannot be handed to the executor is
// recorded as failed with a merchant-safe message; the answer is still 202
// and carries no internal text.
func TestDispatchFailure(t *testing.T) {
	f := newFixture(t)
	f.disp.mu.Lock()
	f.disp.err = errTest
	f.disp.mu.Unlock()
	var out struct {
		Runs []runJSON `json:"runs"`
	}
	rec := f.call("POST", "/v1/sync/runs", f.merchant(acctA), `{"runs":[{"channel_id":"`+f.a2+`","task":"import_orders"}]}`, http.StatusAccepted, &out)
	if strings.Contains(rec.Body.String(), "10.0.0.7") || strings.Contains(rec.Body.String(), "queue") {
		t.Fatalf("answer carries the dispatch error: %s", rec.Body)
	}
	if len(out.Runs) != 1 || out.Runs[0].Status != "failed" || out.Runs[0].Error == nil || out.Runs[0].Error.Class != "internal" {
		t.Fatalf("runs %+v", out.Runs)
	}
	var got runJSON
	f.call("GET", "/v1/sync/runs/"+out.Runs[0].ID, f.merchant(acctA), nil, http.StatusOK, &got)
	if got.Status != "failed" {
		t.Fatalf("stored run %+v", got)
	}
}

// TestCancelledRequest: a request whose context ends answers 503, not 500.
func TestCancelledRequest(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := f.snapshot(acctA)
	for _, p := range []string{"/v1/channels", "/v1/sync", "/v1/sync/runs", "/v1/orders"} {
		rec := f.serve(req{method: "GET", path: p, token: f.merchant(acctA), ctx: ctx})
		checkErr(t, rec, http.StatusServiceUnavailable, "unavailable")
	}
	rec := f.serve(req{method: "PUT", path: "/v1/sync", token: f.merchant(acctA), ctx: ctx,
		body: `{"tasks":[{"channel_id":"` + f.a1 + `","task":"import_products","enabled":true}]}`})
	checkErr(t, rec, http.StatusServiceUnavailable, "unavailable")
	f.assertUnchanged(before, acctA, "cancelled requests")
}

// TestUnknownRoutes answer 404 in the envelope, to authenticated callers.
func TestUnknownRoutes(t *testing.T) {
	f := newFixture(t)
	for _, r := range []struct{ method, path string }{
		{"GET", "/v1/nothing"}, {"PATCH", "/v1/channels"}, {"POST", "/v1/sync/runs/" + f.runA},
		{"GET", "/v1/channels/" + f.a1}, {"GET", "/v1/products/x/y/z"}, {"DELETE", "/v1/sync"},
	} {
		rec := f.serve(req{method: r.method, path: r.path, token: f.merchant(acctA)})
		checkErr(t, rec, http.StatusNotFound, "not_found")
	}
}
