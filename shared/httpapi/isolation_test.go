package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
)

// Account B's merchant token must neither read nor change account A's
// channels, settings, runs or orders, on any route. Requests naming A's
// channel or run answer 404 (or 422 "No such channel" for list bodies), never
// 403, so B cannot even learn that the id exists; afterwards A's state,
// re-read with A's token, is exactly what it was.

func TestIsolationListChannels(t *testing.T) {
	f := newFixture(t)
	var out struct {
		Channels []channelJSON `json:"channels"`
	}
	f.call("GET", "/v1/channels", f.merchant(acctB), nil, http.StatusOK, &out)
	if len(out.Channels) != 1 || out.Channels[0].ID != f.b {
		t.Fatalf("B sees channels %+v, want only %s", out.Channels, f.b)
	}
	// An account with nothing sees an empty list, not null.
	rec := f.call("GET", "/v1/channels", f.merchant("acct-empty"), nil, http.StatusOK, nil)
	if strings.TrimSpace(rec.Body.String()) != `{"channels":[]}` {
		t.Fatalf("empty account: %s", rec.Body)
	}
}

func TestIsolationCreateChannel(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot(acctA)
	var ch channelJSON
	f.call("POST", "/v1/channels", f.merchant(acctB), shopifyBody("B two", "other"), http.StatusCreated, &ch)
	f.assertUnchanged(before, acctA, "B creating a channel")
	if _, err := f.app.Channels.Get(context.Background(), acctA, ch.ID); err == nil {
		t.Fatal("B's new channel is visible in account A")
	}
	var out struct {
		Channels []channelJSON `json:"channels"`
	}
	f.call("GET", "/v1/channels", f.merchant(acctB), nil, http.StatusOK, &out)
	if len(out.Channels) != 2 {
		t.Fatalf("B has %d channels, want 2", len(out.Channels))
	}
}

func TestIsolationUpdateCredentials(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot(acctA)
	body := `{"credentials":{"access_token":"hijack"}}`
	for _, tok := range []string{f.merchant(acctB), f.admin()} {
		rec := f.serve(req{method: "PUT", path: "/v1/channels/" + f.a1 + "/credentials", token: tok, body: body})
		checkErr(t, rec, http.StatusNotFound, "not_found")
	}
	f.assertUnchanged(before, acctA, "B re-authorizing A's channel")
	// The same answer as for a channel that never existed.
	rec := f.serve(req{method: "PUT", path: "/v1/channels/ch_0000000000000000/credentials", token: f.merchant(acctB), body: body})
	checkErr(t, rec, http.StatusNotFound, "not_found")
}

func TestIsolationDeleteChannel(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot(acctA)
	for _, ch := range []string{f.a1, f.a2} {
		rec := f.serve(req{method: "DELETE", path: "/v1/channels/" + ch, token: f.merchant(acctB)})
		checkErr(t, rec, http.StatusNotFound, "not_found")
	}
	f.assertUnchanged(before, acctA, "B deleting A's channels")
	if len(f.schedulesOf(acctA)) != 2 {
		t.Fatalf("A's schedules: %v", f.schedulesOf(acctA))
	}
}

func TestIsolationGetSync(t *testing.T) {
	f := newFixture(t)
	var m modalJSON
	f.call("GET", "/v1/sync", f.merchant(acctB), nil, http.StatusOK, &m)
	if len(m.Channels) != 1 || m.Channels[0].Channel.ID != f.b {
		t.Fatalf("B's modal shows channels %+v", m.Channels)
	}
	for _, ts := range m.Channels[0].Tasks {
		if ts.LastRun != nil && ts.LastRun.ID != f.runB {
			t.Fatalf("B's modal shows run %s", ts.LastRun.ID)
		}
	}
}

func TestIsolationPutSync(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot(acctA)
	for _, body := range []string{
		// Enable a task of A's, disable one of A's, and both mixed with one of B's own.
		fmt.Sprintf(`{"tasks":[{"channel_id":%q,"task":"import_products","enabled":true}]}`, f.a1),
		fmt.Sprintf(`{"tasks":[{"channel_id":%q,"task":"import_orders","enabled":false}]}`, f.a1),
		fmt.Sprintf(`{"tasks":[{"channel_id":%q,"task":"import_orders","enabled":false},{"channel_id":%q,"task":"import_orders","enabled":false}]}`, f.b, f.a2),
	} {
		rec := f.serve(req{method: "PUT", path: "/v1/sync", token: f.merchant(acctB), body: body})
		e := checkErr(t, rec, http.StatusUnprocessableEntity, "invalid")
		ps := decodeDetails(t, e)
		if len(ps) != 1 || ps[0].Message != "No such channel." || ps[0].Field != "channel_id" ||
			(ps[0].ChannelID != f.a1 && ps[0].ChannelID != f.a2) {
			t.Fatalf("details %+v, want one 'No such channel.' for A's channel", ps)
		}
	}
	f.assertUnchanged(before, acctA, "B's PUT /v1/sync")
	// B's own valid entry was not saved either (all or nothing).
	var m modalJSON
	f.call("GET", "/v1/sync", f.merchant(acctB), nil, http.StatusOK, &m)
	if ts, _ := m.task(f.b, catalog.ImportOrders); !ts.Enabled {
		t.Fatal("B's import_orders was disabled despite the refused entry")
	}
}

func TestIsolationPostRuns(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot(acctA)
	beforeB := len(f.disp.inputs())
	body := fmt.Sprintf(`{"runs":[{"channel_id":%q,"task":"import_orders"},{"channel_id":%q,"task":"import_orders"}]}`, f.b, f.a1)
	rec := f.serve(req{method: "POST", path: "/v1/sync/runs", token: f.merchant(acctB), body: body})
	e := checkErr(t, rec, http.StatusUnprocessableEntity, "invalid")
	ps := decodeDetails(t, e)
	if len(ps) != 1 || ps[0].Index == nil || *ps[0].Index != 1 || ps[0].Message != "No such channel." {
		t.Fatalf("details %+v", ps)
	}
	f.assertUnchanged(before, acctA, "B's POST /v1/sync/runs")
	if n := len(f.disp.inputs()); n != beforeB {
		t.Fatalf("%d dispatches after a refused request", n-beforeB)
	}
}

func TestIsolationListRuns(t *testing.T) {
	f := newFixture(t)
	for _, q := range []string{"", "?channel_id=" + f.a1, "?channel_id=" + f.a1 + "&task=import_orders", "?limit=100"} {
		var out struct {
			Runs []runJSON `json:"runs"`
		}
		f.call("GET", "/v1/sync/runs"+q, f.merchant(acctB), nil, http.StatusOK, &out)
		for _, r := range out.Runs {
			if r.ID != f.runB {
				t.Fatalf("B lists run %+v (query %q)", r, q)
			}
		}
		if q == "" && len(out.Runs) != 1 {
			t.Fatalf("B lists %d runs, want 1", len(out.Runs))
		}
		if strings.Contains(q, f.a1) && len(out.Runs) != 0 {
			t.Fatalf("B lists runs of A's channel: %+v", out.Runs)
		}
	}
}

func TestIsolationGetRun(t *testing.T) {
	f := newFixture(t)
	rec := f.serve(req{method: "GET", path: "/v1/sync/runs/" + f.runA, token: f.merchant(acctB)})
	checkErr(t, rec, http.StatusNotFound, "not_found")
	// Indistinguishable from a run id that never existed.
	rec2 := f.serve(req{method: "GET", path: "/v1/sync/runs/run_00000000000aaaaaaaa", token: f.merchant(acctB)})
	checkErr(t, rec2, http.StatusNotFound, "not_found")
	if rec.Body.String() != rec2.Body.String() {
		t.Fatalf("another account's run answers differently from a missing one:\n%s\n%s", rec.Body, rec2.Body)
	}
	f.call("GET", "/v1/sync/runs/"+f.runA, f.merchant(acctA), nil, http.StatusOK, nil)
}

func TestIsolationListOrders(t *testing.T) {
	f := newFixture(t)
	for _, q := range []string{"", "?channel_id=" + f.a1, "?filter=shipped", "?tag=FBA"} {
		var out struct {
			Orders []orderJSON `json:"orders"`
		}
		f.call("GET", "/v1/orders"+q, f.merchant(acctB), nil, http.StatusOK, &out)
		for _, o := range out.Orders {
			if o.ChannelID != f.b {
				t.Fatalf("B lists order %+v (query %q)", o, q)
			}
		}
		if q == "" && (len(out.Orders) != 1 || out.Orders[0].ExternalID != f.ordB) {
			t.Fatalf("B lists %+v", out.Orders)
		}
	}
}

func TestIsolationAdminInterval(t *testing.T) {
	f := newFixture(t)
	path := func(account, channel string) string {
		return "/v1/admin/accounts/" + account + "/channels/" + channel + "/tasks/import_orders/interval"
	}
	body := `{"interval":"6h"}`
	before := f.snapshot(acctA)
	// Merchant tokens, even A's own, are refused: 403, before anything is looked up.
	for _, tok := range []string{f.merchant(acctB), f.merchant(acctA), f.token(acctA, "")} {
		rec := f.serve(req{method: "PUT", path: path(acctA, f.a1), token: tok, body: body})
		checkErr(t, rec, http.StatusForbidden, "forbidden")
	}
	// The admin acts on the account in the path: A's channel under B's path is not found.
	rec := f.serve(req{method: "PUT", path: path(acctB, f.a1), token: f.admin(), body: body})
	checkErr(t, rec, http.StatusNotFound, "not_found")
	f.assertUnchanged(before, acctA, "refused interval changes")

	var st taskJSON
	f.call("PUT", path(acctA, f.a1), f.admin(), body, http.StatusOK, &st)
	if st.Task != "import_orders" || st.Interval != "6h" || !st.Enabled {
		t.Fatalf("TaskState %+v", st)
	}
	if s := f.schedulesOf(acctA)[f.a1+"/import_orders"]; s.Interval != catalog.Every6h {
		t.Fatalf("A's schedule %+v, want 6h", s)
	}
	if s := f.schedulesOf(acctB)[f.b+"/import_orders"]; s.Interval != catalog.Every1h {
		t.Fatalf("B's schedule changed: %+v", s)
	}
}

// TestIsolationEveryRoute is the catch-all: every route of Handler, driven
// by B against A's ids, leaves A unchanged and never answers 403 for a
// merchant route (which would reveal that the id exists).
func TestIsolationEveryRoute(t *testing.T) {
	f := newFixture(t)
	tb := f.merchant(acctB)
	routes := []struct {
		method, path, body string
		want               []int
	}{
		{"GET", "/v1/channels", "", []int{200}},
		{"POST", "/v1/channels", mustJSON(shopifyBody("B new", "b-token")), []int{201}},
		{"PUT", "/v1/channels/" + f.a1 + "/credentials", `{"credentials":{"access_token":"x"}}`, []int{404}},
		{"DELETE", "/v1/channels/" + f.a2, "", []int{404}},
		{"GET", "/v1/sync", "", []int{200}},
		{"PUT", "/v1/sync", fmt.Sprintf(`{"tasks":[{"channel_id":%q,"task":"import_orders","enabled":false}]}`, f.a1), []int{422}},
		{"POST", "/v1/sync/runs", fmt.Sprintf(`{"runs":[{"channel_id":%q,"task":"import_orders"}]}`, f.a2), []int{422}},
		{"GET", "/v1/sync/runs?channel_id=" + f.a1, "", []int{200}},
		{"GET", "/v1/sync/runs/" + f.runA, "", []int{404}},
		{"GET", "/v1/orders?channel_id=" + f.a1, "", []int{200}},
		{"PUT", "/v1/admin/accounts/" + acctA + "/channels/" + f.a1 + "/tasks/import_orders/interval", `{"interval":"1d"}`, []int{403}},
		{"GET", "/v1/products", "", []int{200}},
		{"GET", "/v1/products?filter=needs_sync&channel_id=" + f.a1, "", []int{200}},
		{"PUT", "/v1/products/SKU-A/inventory", `{"warehouse_id":"wh_default","on_hand":3}`, []int{404}},
		{"GET", "/v1/warehouses", "", []int{200}},
		{"PUT", "/v1/admin/accounts/" + acctA + "/channels/" + f.a1 + "/order-statuses", `{"statuses":[]}`, []int{403}},
		{"PUT", "/v1/admin/accounts/" + acctA + "/channels/" + f.a1 + "/inventory-policy", `{"reserve":1}`, []int{403}},
		{"GET", "/v1/nope", "", []int{404}},
	}
	before := f.snapshot(acctA)
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			rec := f.serve(req{method: r.method, path: r.path, token: tb, body: r.body})
			if !slices.Contains(r.want, rec.Code) {
				t.Fatalf("status %d, want %v: %s", rec.Code, r.want, rec.Body)
			}
			if rec.Code >= 400 {
				checkErr(t, rec, rec.Code, "")
			}
			for _, id := range []string{f.a1, f.a2, f.runA, f.ordA, "A one", "A two"} {
				if rec.Code < 300 && strings.Contains(rec.Body.String(), id) {
					t.Fatalf("B's answer mentions A's %q: %s", id, rec.Body)
				}
			}
		})
	}
	f.assertUnchanged(before, acctA, "B on every route")
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
