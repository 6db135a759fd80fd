package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/runs"
)

func keysOf(tb testing.TB, raw []byte) map[string]json.RawMessage {
	tb.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatalf("not a JSON object: %v: %s", err, raw)
	}
	return m
}

func requireKeys(tb testing.TB, what string, m map[string]json.RawMessage, keys ...string) {
	tb.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			tb.Errorf("%s lacks %q: %v", what, k, m)
		}
	}
}

var channelKeys = []string{"id", "type", "name", "status", "status_reason"}

var taskStateKeys = []string{"task", "label", "mode", "available", "autosync_available", "unavailable_reason",
	"enabled", "indicator", "interval", "default_interval", "next_run_at", "last_run"}

// skip_reason is in the contract's Run but runs.Run omits it when empty
// (reported); it is checked where a run is skipped.
var runKeys = []string{"id", "channel_id", "task", "trigger", "status", "started_at", "finished_at", "counts", "progress", "error"}

// noSecrets fails if a body carries credentials.
func noSecrets(tb testing.TB, what string, body string, secrets ...string) {
	tb.Helper()
	for _, s := range append(secrets, "access_token", "credentials", "sealed") {
		if strings.Contains(body, s) {
			tb.Errorf("%s carries %q: %s", what, s, body)
		}
	}
}

func checkJSONHeaders(tb testing.TB, h http.Header) {
	tb.Helper()
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("Content-Type %q", ct)
	}
	if h.Get("Cache-Control") != "no-store" {
		tb.Errorf("Cache-Control %q", h.Get("Cache-Control"))
	}
}

func TestChannelNeverCarriesCredentials(t *testing.T) {
	e := newEnv(t)
	tok := e.merchant(acctA)
	rec := e.call("POST", "/v1/channels", tok, shopifyBody("My Shop", secretToken), http.StatusCreated, nil)
	checkJSONHeaders(t, rec.Header())
	noSecrets(t, "POST /v1/channels", rec.Body.String(), secretToken)
	m := keysOf(t, rec.Body.Bytes())
	requireKeys(t, "Channel", m, channelKeys...)
	var ch channelJSON
	_ = json.Unmarshal(rec.Body.Bytes(), &ch)
	if ch.Type != "shopify" || ch.Name != "My Shop" || ch.Status != "active" || ch.StatusReason != "" || !strings.HasPrefix(ch.ID, "ch_") {
		t.Fatalf("channel %+v", ch)
	}
	// Surrounding spaces in the name are trimmed.
	var ch2 channelJSON
	e.call("POST", "/v1/channels", tok, shopifyBody("  Padded  ", secondToken), http.StatusCreated, &ch2)
	if ch2.Name != "Padded" {
		t.Fatalf("name %q", ch2.Name)
	}

	for _, p := range []string{"/v1/channels", "/v1/sync"} {
		rec := e.call("GET", p, tok, nil, http.StatusOK, nil)
		noSecrets(t, "GET "+p, rec.Body.String(), secretToken, secondToken)
	}
	var list struct {
		Channels []json.RawMessage `json:"channels"`
	}
	e.call("GET", "/v1/channels", tok, nil, http.StatusOK, &list)
	if len(list.Channels) != 2 {
		t.Fatalf("%d channels", len(list.Channels))
	}
	for _, c := range list.Channels {
		requireKeys(t, "listed Channel", keysOf(t, c), channelKeys...)
	}
	const newToken = "shpat_NEW_never_shown"
	rec = e.call("PUT", "/v1/channels/"+ch.ID+"/credentials", tok, `{"credentials":{"access_token":"`+newToken+`"}}`, http.StatusOK, nil)
	noSecrets(t, "PUT credentials", rec.Body.String(), secretToken, newToken)
	requireKeys(t, "Channel", keysOf(t, rec.Body.Bytes()), channelKeys...)
	// The credentials are stored (sealed) and open to the connector only.
	creds, err := e.app.Channels.Credentials(context.Background(), acctA, ch.ID)
	if err != nil || creds["access_token"] != newToken {
		t.Fatalf("stored credentials %v %v", creds, err)
	}
	raw, err := e.st.Get(context.Background(), "A#"+acctA, "CH#"+ch.ID)
	if err != nil || strings.Contains(string(raw.Data), newToken) {
		t.Fatalf("credentials stored in the clear: %s %v", raw.Data, err)
	}
}

func TestTaskStateShape(t *testing.T) {
	e := newEnv(t)
	ch := e.newChannel(acctA, "S")
	rec := e.call("GET", "/v1/sync", e.merchant(acctA), nil, http.StatusOK, nil)
	checkJSONHeaders(t, rec.Header())
	var raw struct {
		Channels []struct {
			Channel json.RawMessage   `json:"channel"`
			Tasks   []json.RawMessage `json:"tasks"`
		} `json:"channels"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil || len(raw.Channels) != 1 {
		t.Fatalf("modal %s %v", rec.Body, err)
	}
	requireKeys(t, "modal channel", keysOf(t, raw.Channels[0].Channel), channelKeys...)
	if len(raw.Channels[0].Tasks) != len(catalog.Tasks) {
		t.Fatalf("%d tasks, want %d", len(raw.Channels[0].Tasks), len(catalog.Tasks))
	}
	for i, tr := range raw.Channels[0].Tasks {
		requireKeys(t, "TaskState", keysOf(t, tr), taskStateKeys...)
		var ts taskJSON
		if err := json.Unmarshal(tr, &ts); err != nil {
			t.Fatal(err)
		}
		spec := catalog.Tasks[i]
		// What the catalog offers, narrowed to what the executor runs.
		av := e.app.Settings.Offered(catalog.Shopify, spec.ID)
		if ts.Task != string(spec.ID) || ts.Label != spec.Label || ts.Mode != string(spec.Mode) ||
			ts.Available != av.Available() || ts.AutosyncAvailable != av.AutosyncAvailable() ||
			ts.UnavailableReason != av.Reason || ts.Enabled || ts.Indicator != "none" ||
			ts.Interval != string(spec.DefaultInterval) || ts.DefaultInterval != string(spec.DefaultInterval) ||
			ts.NextRunAt != nil || ts.LastRun != nil {
			t.Errorf("task %d: %+v", i, ts)
		}
	}
	var m modalJSON
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	if fba, _ := m.task(ch, catalog.ImportFBAOrders); fba.Available || fba.UnavailableReason == "" {
		t.Errorf("FBA orders on Shopify: %+v", fba)
	}
}

func TestPutSyncEnables(t *testing.T) {
	e := newEnv(t)
	ch := e.newChannel(acctA, "S")
	tok := e.merchant(acctA)
	instasync := e.app.Settings.Offered(catalog.Shopify, catalog.InstasyncOrders).AutosyncAvailable()
	cs := []change{{ch, catalog.ImportOrders, true}}
	if instasync {
		cs = append(cs, change{ch, catalog.InstasyncOrders, true})
	}
	rec := e.call("PUT", "/v1/sync", tok, map[string]any{"tasks": cs}, http.StatusOK, nil)
	checkJSONHeaders(t, rec.Header())
	var m modalJSON
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	io, _ := m.task(ch, catalog.ImportOrders)
	if !io.Enabled || io.Indicator != "autosync" || io.Interval != "1h" || io.NextRunAt == nil {
		t.Fatalf("import_orders after enabling: %+v", io)
	}
	scheds := e.schedulesOf(acctA)
	s, ok := scheds[ch+"/import_orders"]
	if len(scheds) != 1 || !ok || !s.Enabled || s.Interval != catalog.Every1h {
		t.Fatalf("schedules %+v", scheds)
	}
	if !io.NextRunAt.Equal(s.Next) {
		t.Errorf("next_run_at %v, scheduler says %v", io.NextRunAt, s.Next)
	}
	in, _ := runs.ParseInput([]byte(s.Input))
	if in.Trigger != runs.Schedule || in.Task != catalog.ImportOrders || in.ChannelID != ch || in.AccountID != acctA {
		t.Errorf("schedule input %+v", in)
	}
	if is, _ := m.task(ch, catalog.InstasyncOrders); instasync && (!is.Enabled || is.Indicator != "instasync" || is.NextRunAt != nil || is.Interval != "") {
		t.Errorf("instasync_orders: %+v", is)
	}
	// The same request again changes nothing, not even the scheduler.
	before := e.snapshot(acctA)
	e.call("PUT", "/v1/sync", tok, map[string]any{"tasks": []change{{ch, catalog.ImportOrders, true}}}, http.StatusOK, nil)
	e.call("PUT", "/v1/sync", tok, `{"tasks":[]}`, http.StatusOK, nil)
	e.assertUnchanged(before, acctA, "a no-op PUT /v1/sync")
	if len(e.disp.inputs()) != 0 {
		t.Fatal("PUT /v1/sync dispatched a run")
	}
	// Disabling removes the schedule.
	e.call("PUT", "/v1/sync", tok, map[string]any{"tasks": []change{{ch, catalog.ImportOrders, false}}}, http.StatusOK, &m)
	if io, _ := m.task(ch, catalog.ImportOrders); io.Enabled || io.Indicator != "none" || io.NextRunAt != nil {
		t.Fatalf("after disabling: %+v", io)
	}
	if scheds := e.schedulesOf(acctA); len(scheds) != 0 {
		t.Fatalf("schedules left: %v", scheds)
	}
}

func TestPostRuns(t *testing.T) {
	e := newEnv(t)
	ch, ch2 := e.newChannel(acctA, "S"), e.newChannel(acctA, "T")
	tok := e.merchant(acctA)
	e.enable(acctA, ch, catalog.ImportOrders)
	schedBefore := e.snapshot(acctA).Schedules
	var out struct {
		Runs []json.RawMessage `json:"runs"`
	}
	entries := []runEntry{{ch, catalog.ImportOrders}, {ch2, catalog.ImportOrders}}
	rec := e.call("POST", "/v1/sync/runs", tok, map[string]any{"runs": entries}, http.StatusAccepted, &out)
	checkJSONHeaders(t, rec.Header())
	if len(out.Runs) != 2 {
		t.Fatalf("runs %s", rec.Body)
	}
	ins := e.disp.inputs()
	if len(ins) != 2 {
		t.Fatalf("dispatched %+v", ins)
	}
	for i, raw := range out.Runs {
		requireKeys(t, "Run", keysOf(t, raw), runKeys...)
		var r runJSON
		_ = json.Unmarshal(raw, &r)
		want := entries[i]
		if r.Status != "queued" || r.Trigger != "manual" || r.ChannelID != want.ChannelID || r.Task != string(want.Task) || r.Error != nil || r.StartedAt != nil {
			t.Errorf("run %d: %s", i, raw)
		}
		in := ins[i]
		if in.RunID != r.ID || in.AccountID != acctA || in.ChannelID != want.ChannelID || in.Task != want.Task || in.Trigger != runs.Manual {
			t.Errorf("dispatch %d: %+v for run %s", i, in, r.ID)
		}
		if err := in.Validate(); err != nil {
			t.Errorf("dispatched input invalid: %v", err)
		}
	}
	// Sync once does not change settings or schedules.
	var m modalJSON
	e.call("GET", "/v1/sync", tok, nil, http.StatusOK, &m)
	if io, _ := m.task(ch2, catalog.ImportOrders); io.Enabled || io.LastRun == nil {
		t.Errorf("running import_orders once on %s: %+v; want not enabled, last_run shown", ch2, io)
	}
	if io, _ := m.task(ch, catalog.ImportOrders); io.LastRun == nil || io.LastRun.Status != "queued" {
		t.Errorf("last_run not shown: %+v", io)
	}
	if after := e.snapshot(acctA).Schedules; !slices.Equal(schedBefore, after) {
		t.Errorf("schedules changed: %v -> %v", schedBefore, after)
	}

	// Instasync tasks and tasks the cart does not offer cannot be run once.
	before := e.snapshot(acctA)
	for _, task := range []catalog.Task{catalog.InstasyncOrders, catalog.InstasyncProducts, catalog.ImportFBAOrders, catalog.ImportFBAInventory} {
		rec := e.serve(req{method: "POST", path: "/v1/sync/runs", token: tok,
			body: mustJSON(map[string]any{"runs": []runEntry{{ch, catalog.ImportOrders}, {ch, task}}})})
		er := checkErr(t, rec, http.StatusUnprocessableEntity, "invalid")
		ps := decodeDetails(t, er)
		if len(ps) != 1 || ps[0].Index == nil || *ps[0].Index != 1 || ps[0].Task != string(task) || ps[0].ChannelID != ch || ps[0].Message == "" {
			t.Errorf("%s: details %+v", task, ps)
		}
	}
	e.assertUnchanged(before, acctA, "refused runs")
}

func TestListRunsPagination(t *testing.T) {
	e := newEnv(t)
	a1, a2 := e.newChannel(acctA, "one"), e.newChannel(acctA, "two")
	tok := e.merchant(acctA)
	want := map[string]runEntry{}
	for i := range 25 {
		en := runEntry{a1, catalog.ImportOrders}
		if i%3 == 0 {
			en = runEntry{a2, catalog.ImportOrders}
		}
		r := e.runOnce(acctA, en)[0]
		want[r.ID] = en
		// The executor picks it up; the task's next Sync once is a new run.
		e.startRun(acctA, r.ID)
	}
	// Runs of other tasks, as the executor records them, to filter by task.
	for range 4 {
		r := e.app.Runs.NewRun(acctA, a2, catalog.WriteInventory, runs.Schedule, runs.Succeeded)
		if err := e.app.Runs.Create(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		want[r.ID] = runEntry{a2, catalog.WriteInventory}
	}
	if len(want) != 29 {
		t.Fatalf("%d distinct run ids", len(want))
	}
	walk := func(query string, limit int) []runJSON {
		t.Helper()
		var all []runJSON
		cursor := ""
		for page := 0; ; page++ {
			if page > 30 {
				t.Fatal("pagination does not end")
			}
			q := url.Values{}
			if limit > 0 {
				q.Set("limit", fmt.Sprint(limit))
			}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			p := "/v1/sync/runs?" + q.Encode()
			if query != "" {
				p += "&" + query
			}
			rec := e.call("GET", p, tok, nil, http.StatusOK, nil)
			top := keysOf(t, rec.Body.Bytes())
			requireKeys(t, "runs page", top, "runs", "next_cursor")
			var out struct {
				Runs       []runJSON `json:"runs"`
				NextCursor *string   `json:"next_cursor"`
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &out)
			if out.Runs == nil {
				t.Fatalf("runs is null: %s", rec.Body)
			}
			if limit > 0 && len(out.Runs) > limit {
				t.Fatalf("page of %d runs, limit %d", len(out.Runs), limit)
			}
			if out.NextCursor != nil && len(out.Runs) == 0 {
				t.Fatalf("an empty page with a next_cursor (query %q)", query)
			}
			all = append(all, out.Runs...)
			if out.NextCursor == nil {
				if len(out.Runs) == 0 && page > 0 {
					// Known (reported): store.All hands back a cursor whenever
					// the page filled, even when nothing follows.
					t.Logf("a full last page had a next_cursor leading to an empty page (query %q, limit %d)", query, limit)
				}
				return all
			}
			if *out.NextCursor == "" {
				t.Fatal("next_cursor is an empty string, not null")
			}
			cursor = *out.NextCursor
		}
	}
	check := func(name string, got []runJSON, keep func(runEntry) bool) {
		t.Helper()
		seen := map[string]bool{}
		n := 0
		for _, en := range want {
			if keep(en) {
				n++
			}
		}
		for i, r := range got {
			if seen[r.ID] {
				t.Fatalf("%s: run %s listed twice", name, r.ID)
			}
			seen[r.ID] = true
			en, ok := want[r.ID]
			if !ok || !keep(en) || en.ChannelID != r.ChannelID || string(en.Task) != r.Task {
				t.Fatalf("%s: unexpected run %+v", name, r)
			}
			if i > 0 && (r.ID >= got[i-1].ID || r.CreatedAt.After(got[i-1].CreatedAt)) {
				t.Fatalf("%s: not newest first at %d: %s after %s", name, i, r.ID, got[i-1].ID)
			}
		}
		if len(got) != n {
			t.Fatalf("%s: visited %d runs, want %d", name, len(got), n)
		}
	}
	all := func(runEntry) bool { return true }
	for _, limit := range []int{0, 1, 7, 25, 100} {
		check(fmt.Sprint("all, limit ", limit), walk("", limit), all)
	}
	check("a1", walk("channel_id="+a1, 4), func(en runEntry) bool { return en.ChannelID == a1 })
	check("write_inventory", walk("task=write_inventory", 3), func(en runEntry) bool { return en.Task == catalog.WriteInventory })
	check("a2 import_orders", walk("channel_id="+a2+"&task=import_orders", 5), func(en runEntry) bool { return en.ChannelID == a2 && en.Task == catalog.ImportOrders })
	check("a1 write_inventory", walk("channel_id="+a1+"&task=write_inventory", 5), func(runEntry) bool { return false })
	check("unknown channel", walk("channel_id=ch_0000000000000000", 5), func(runEntry) bool { return false })
	// The default page is 20.
	var out struct {
		Runs []runJSON `json:"runs"`
	}
	e.call("GET", "/v1/sync/runs", tok, nil, http.StatusOK, &out)
	if len(out.Runs) != 20 {
		t.Fatalf("default page of %d", len(out.Runs))
	}
}

func TestGetRun(t *testing.T) {
	e := newEnv(t)
	ch := e.newChannel(acctA, "S")
	tok := e.merchant(acctA)
	r := e.runOnce(acctA, runEntry{ch, catalog.ImportOrders})[0]
	// The executor records progress; the API shows it.
	ctx := context.Background()
	stored, err := e.app.Runs.Get(ctx, acctA, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC)
	stored.Status, stored.StartedAt = runs.Running, &start
	stored.Progress = runs.Progress{Done: 40, Total: 100}
	stored.Counts.Fetched, stored.Counts.Created = 40, 12
	if err := e.app.Runs.Save(ctx, stored); err != nil {
		t.Fatal(err)
	}
	rec := e.call("GET", "/v1/sync/runs/"+r.ID, tok, nil, http.StatusOK, nil)
	checkJSONHeaders(t, rec.Header())
	m := keysOf(t, rec.Body.Bytes())
	requireKeys(t, "Run", m, runKeys...)
	requireKeys(t, "counts", keysOf(t, m["counts"]), "fetched", "created", "updated", "unchanged", "pushed", "failed")
	requireKeys(t, "progress", keysOf(t, m["progress"]), "done", "total")
	var got struct {
		runJSON
		Progress struct{ Done, Total int }
		Counts   struct{ Fetched, Created int }
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &got)
	if got.ID != r.ID || got.Status != "running" || got.Progress.Done != 40 || got.Progress.Total != 100 ||
		got.Counts.Fetched != 40 || got.Counts.Created != 12 || got.StartedAt == nil || !got.StartedAt.Equal(start) {
		t.Fatalf("run %s", rec.Body)
	}
	// A skipped run carries its reason.
	skipped := e.app.Runs.NewRun(acctA, ch, catalog.ImportOrders, runs.Schedule, runs.Skipped)
	skipped.SkipReason = runs.SkipAlreadyRunning
	if err := e.app.Runs.Create(ctx, skipped); err != nil {
		t.Fatal(err)
	}
	rec = e.call("GET", "/v1/sync/runs/"+skipped.ID, tok, nil, http.StatusOK, nil)
	if !strings.Contains(rec.Body.String(), `"skip_reason":"already_running"`) {
		t.Fatalf("skipped run %s", rec.Body)
	}
	for _, id := range []string{"run_0000000000zzzzzzzz", "nope", "run_", "RUN%23x", strings.Repeat("a", 2000), "run_" + strings.Repeat("0", 2000), r.ID + "x"} {
		rec := e.serve(req{method: "GET", path: "/v1/sync/runs/" + id, token: tok})
		checkErr(t, rec, http.StatusNotFound, "not_found")
	}
}

func TestListOrders(t *testing.T) {
	e := newEnv(t)
	a1, a2 := e.newChannel(acctA, "one"), e.newChannel(acctA, "two")
	tok := e.merchant(acctA)
	type key struct{ ch, ext string }
	filters := map[key]cart.Filter{}
	tags := map[key]bool{}
	for i := range 30 {
		ch := a1
		if i%2 == 1 {
			ch = a2
		}
		f := []cart.Filter{cart.AwaitingFulfillment, cart.Shipped}[i%3%2]
		ext := fmt.Sprintf("o%03d", i)
		var tg []string
		if i%5 == 0 {
			tg = []string{"FBA"}
			tags[key{ch, ext}] = true
		}
		e.upsertOrder(acctA, ch, ext, f, tg...)
		filters[key{ch, ext}] = f
	}
	// Cancel two awaiting orders.
	for _, k := range []key{{a1, "o000"}, {a2, "o003"}} {
		now := time.Date(2030, 1, 1, 1, 0, 0, 0, time.UTC)
		if _, err := e.app.Orders.Upsert(context.Background(), acctA, k.ch, cart.Order{ExternalID: k.ext, Filter: cart.Cancelled, CartStatus: "cancelled", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		filters[k] = cart.Cancelled
	}
	walk := func(query string, limit int) []orderJSON {
		t.Helper()
		var all []orderJSON
		cursor := ""
		for page := 0; page < 50; page++ {
			p := fmt.Sprintf("/v1/orders?limit=%d&%s", limit, query)
			if cursor != "" {
				p += "&cursor=" + url.QueryEscape(cursor)
			}
			rec := e.call("GET", p, tok, nil, http.StatusOK, nil)
			requireKeys(t, "orders page", keysOf(t, rec.Body.Bytes()), "orders", "next_cursor")
			var out struct {
				Orders     []orderJSON `json:"orders"`
				NextCursor *string     `json:"next_cursor"`
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &out)
			if out.Orders == nil || len(out.Orders) > limit {
				t.Fatalf("page %s", rec.Body)
			}
			all = append(all, out.Orders...)
			if out.NextCursor == nil {
				if len(out.Orders) == 0 && page > 0 {
					// Known (reported), as for runs.
					t.Logf("a next_cursor led to an empty last page (%q, limit %d)", query, limit)
				}
				return all
			}
			cursor = *out.NextCursor
		}
		t.Fatal("pagination does not end")
		return nil
	}
	check := func(query string, limit int, keep func(key) bool) {
		t.Helper()
		got := walk(query, limit)
		seen := map[key]bool{}
		for _, o := range got {
			k := key{o.ChannelID, o.ExternalID}
			if seen[k] {
				t.Fatalf("%q: %v listed twice", query, k)
			}
			seen[k] = true
			f, ok := filters[k]
			if !ok || !keep(k) || string(f) != o.Filter || o.ID == "" || o.Tags == nil {
				t.Fatalf("%q: unexpected order %+v", query, o)
			}
		}
		n := 0
		for k := range filters {
			if keep(k) {
				n++
			}
		}
		if len(got) != n {
			t.Fatalf("%q limit %d: %d orders, want %d", query, limit, len(got), n)
		}
	}
	check("", 7, func(key) bool { return true })
	check("", 200, func(key) bool { return true })
	check("filter=awaiting_fulfillment", 4, func(k key) bool { return filters[k] == cart.AwaitingFulfillment })
	check("filter=shipped", 3, func(k key) bool { return filters[k] == cart.Shipped })
	check("filter=cancelled", 1, func(k key) bool { return filters[k] == cart.Cancelled })
	check("channel_id="+a2+"&filter=awaiting_fulfillment", 2, func(k key) bool { return k.ch == a2 && filters[k] == cart.AwaitingFulfillment })
	check("tag=FBA", 2, func(k key) bool { return tags[k] })
	check("tag=FBA&filter=shipped&channel_id="+a1, 1, func(k key) bool { return tags[k] && k.ch == a1 && filters[k] == cart.Shipped })
	check("channel_id=ch_0000000000000000", 5, func(key) bool { return false })
	// A cursor from the runs listing is refused, not misread.
	cur := base64.RawURLEncoding.EncodeToString([]byte("RUN#run_x"))
	checkErr(t, e.serve(req{method: "GET", path: "/v1/orders?cursor=" + cur, token: tok}), http.StatusUnprocessableEntity, "invalid")
}

func TestAdminInterval(t *testing.T) {
	e := newEnv(t)
	ch, ch2 := e.newChannel(acctA, "S"), e.newChannel(acctA, "T")
	e.enable(acctA, ch, catalog.ImportOrders)
	adm := e.admin()
	pathOf := func(channel string, task catalog.Task) string {
		return "/v1/admin/accounts/" + acctA + "/channels/" + channel + "/tasks/" + string(task) + "/interval"
	}
	path := func(task catalog.Task) string { return pathOf(ch, task) }
	before := e.snapshot(acctA)
	rec := e.serve(req{method: "PUT", path: path(catalog.ImportProducts), token: adm, body: `{"interval":"10m"}`})
	er := checkErr(t, rec, http.StatusUnprocessableEntity, "invalid")
	if !strings.Contains(er.Message, "Import Products") || !strings.Contains(er.Message, "1h, 6h, 1d") {
		t.Errorf("refusal does not say why: %q", er.Message)
	}
	e.assertUnchanged(before, acctA, "a refused interval")

	rec = e.call("PUT", path(catalog.ImportOrders), adm, `{"interval":"6h"}`, http.StatusOK, nil)
	checkJSONHeaders(t, rec.Header())
	requireKeys(t, "TaskState", keysOf(t, rec.Body.Bytes()), taskStateKeys...)
	var st taskJSON
	_ = json.Unmarshal(rec.Body.Bytes(), &st)
	if st.Task != "import_orders" || st.Interval != "6h" || st.DefaultInterval != "1h" || !st.Enabled || st.Indicator != "autosync" || st.NextRunAt == nil {
		t.Fatalf("TaskState %s", rec.Body)
	}
	s := e.schedulesOf(acctA)[ch+"/import_orders"]
	if s.Interval != catalog.Every6h || !s.Enabled || !st.NextRunAt.Equal(s.Next) {
		t.Fatalf("schedule %+v, next_run_at %v", s, st.NextRunAt)
	}
	var m modalJSON
	e.call("GET", "/v1/sync", e.merchant(acctA), nil, http.StatusOK, &m)
	if io, _ := m.task(ch, catalog.ImportOrders); io.Interval != "6h" {
		t.Fatalf("modal interval %q", io.Interval)
	}

	// A task not ticked keeps the interval for when it is.
	e.call("PUT", pathOf(ch2, catalog.ImportOrders), adm, `{"interval":"1d"}`, http.StatusOK, &st)
	if st.Interval != "1d" || st.Enabled || st.NextRunAt != nil {
		t.Fatalf("unticked task %+v", st)
	}
	if _, ok := e.schedulesOf(acctA)[ch2+"/import_orders"]; ok {
		t.Fatal("a schedule for an unticked task")
	}
	m = e.enable(acctA, ch2, catalog.ImportOrders)
	if s := e.schedulesOf(acctA)[ch2+"/import_orders"]; s.Interval != catalog.Every1d {
		t.Fatalf("ticked later, schedule %+v", s)
	}
	if io, _ := m.task(ch2, catalog.ImportOrders); io.Interval != "1d" || io.NextRunAt == nil {
		t.Fatalf("ticked later: %+v", io)
	}

	// The run-time guard: runs taking 40 minutes cannot run every 10.
	ctx := context.Background()
	for i := range 5 {
		r := e.app.Runs.NewRun(acctA, ch, catalog.ImportOrders, runs.Schedule, runs.Succeeded)
		start := time.Date(2030, 1, 1, i, 0, 0, 0, time.UTC)
		end := start.Add(40 * time.Minute)
		r.StartedAt, r.FinishedAt = &start, &end
		if err := e.app.Runs.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	before = e.snapshot(acctA)
	rec = e.serve(req{method: "PUT", path: path(catalog.ImportOrders), token: adm, body: `{"interval":"10m"}`})
	er = checkErr(t, rec, http.StatusConflict, "too_slow")
	if !strings.Contains(er.Message, "40m") {
		t.Errorf("guard message %q", er.Message)
	}
	e.assertUnchanged(before, acctA, "a guarded interval")
	e.call("PUT", path(catalog.ImportOrders), adm, `{"interval":"1d"}`, http.StatusOK, nil)
}

func TestReauthResumes(t *testing.T) {
	e := newEnv(t)
	ch := e.newChannel(acctA, "S")
	other := e.newChannel(acctA, "T")
	tok := e.merchant(acctA)
	e.enable(acctA, ch, catalog.ImportOrders)
	e.enable(acctA, other, catalog.ImportOrders)
	ctx := context.Background()
	if err := e.app.Settings.NeedsReauth(ctx, acctA, ch, "Shopify refused the access token."); err != nil {
		t.Fatal(err)
	}
	var m modalJSON
	e.call("GET", "/v1/sync", tok, nil, http.StatusOK, &m)
	if m.Channels[0].Channel.Status != "needs_reauth" || m.Channels[0].Channel.StatusReason == "" {
		t.Fatalf("channel %+v", m.Channels[0].Channel)
	}
	if io, _ := m.task(ch, catalog.ImportOrders); !io.Enabled || io.NextRunAt != nil {
		t.Fatalf("paused task %+v: still ticked, no next run", io)
	}
	scheds := e.schedulesOf(acctA)
	for _, task := range []string{"import_orders"} {
		if s, ok := scheds[ch+"/"+task]; !ok || s.Enabled {
			t.Fatalf("%s schedule %+v (present %v), want kept and paused", task, s, ok)
		}
	}
	if !scheds[other+"/import_orders"].Enabled {
		t.Fatal("the other channel's schedule was paused")
	}
	// A needs_reauth channel cannot run once.
	checkErr(t, e.serve(req{method: "POST", path: "/v1/sync/runs", token: tok, body: `{"runs":[{"channel_id":"` + ch + `","task":"import_orders"}]}`}),
		http.StatusUnprocessableEntity, "invalid")
	// Incomplete credentials leave it as it is.
	before := e.snapshot(acctA)
	checkErr(t, e.serve(req{method: "PUT", path: "/v1/channels/" + ch + "/credentials", token: tok, body: `{"credentials":{"access_token":""}}`}),
		http.StatusUnprocessableEntity, "invalid")
	e.assertUnchanged(before, acctA, "incomplete credentials")

	var got channelJSON
	e.call("PUT", "/v1/channels/"+ch+"/credentials", tok, `{"credentials":{"access_token":"fresh"}}`, http.StatusOK, &got)
	if got.Status != "active" || got.StatusReason != "" || got.ID != ch {
		t.Fatalf("after re-authorizing: %+v", got)
	}
	scheds = e.schedulesOf(acctA)
	for _, task := range []string{"import_orders"} {
		if s := scheds[ch+"/"+task]; !s.Enabled || s.Interval != catalog.Every1h {
			t.Fatalf("%s schedule %+v, want resumed", task, s)
		}
	}
	e.call("GET", "/v1/sync", tok, nil, http.StatusOK, &m)
	if io, _ := m.task(ch, catalog.ImportOrders); !io.Enabled || io.NextRunAt == nil {
		t.Fatalf("resumed task %+v", io)
	}
	e.runOnce(acctA, runEntry{ch, catalog.ImportOrders})
}

func TestDeleteChannel(t *testing.T) {
	e := newEnv(t)
	ch := e.newChannel(acctA, "S")
	keep := e.newChannel(acctA, "T")
	tok := e.merchant(acctA)
	e.enable(acctA, ch, catalog.ImportOrders)
	e.enable(acctA, keep, catalog.ImportOrders)
	e.runOnce(acctA, runEntry{ch, catalog.ImportOrders})

	rec := e.serve(req{method: "DELETE", path: "/v1/channels/" + ch, token: tok})
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Fatalf("DELETE: %d %q", rec.Code, rec.Body)
	}
	checkErr(t, e.serve(req{method: "DELETE", path: "/v1/channels/" + ch, token: tok}), http.StatusNotFound, "not_found")
	checkErr(t, e.serve(req{method: "PUT", path: "/v1/channels/" + ch + "/credentials", token: tok, body: `{"credentials":{"access_token":"x"}}`}),
		http.StatusNotFound, "not_found")
	checkErr(t, e.serve(req{method: "POST", path: "/v1/sync/runs", token: tok, body: `{"runs":[{"channel_id":"` + ch + `","task":"import_orders"}]}`}),
		http.StatusUnprocessableEntity, "invalid")
	checkErr(t, e.serve(req{method: "PUT", path: "/v1/admin/accounts/" + acctA + "/channels/" + ch + "/tasks/import_orders/interval", token: e.admin(), body: `{"interval":"6h"}`}),
		http.StatusNotFound, "not_found")

	var list struct {
		Channels []channelJSON `json:"channels"`
	}
	e.call("GET", "/v1/channels", tok, nil, http.StatusOK, &list)
	if len(list.Channels) != 1 || list.Channels[0].ID != keep {
		t.Fatalf("channels %+v", list.Channels)
	}
	var m modalJSON
	e.call("GET", "/v1/sync", tok, nil, http.StatusOK, &m)
	if len(m.Channels) != 1 || m.Channels[0].Channel.ID != keep {
		t.Fatalf("modal %+v", m.Channels)
	}
	scheds := e.schedulesOf(acctA)
	if len(scheds) != 1 || !scheds[keep+"/import_orders"].Enabled {
		t.Fatalf("schedules %+v", scheds)
	}
}
