package devserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/catalog"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
	"github.com/autosync/autosync/shared/testkit"
)

type client struct {
	t     testing.TB
	base  string
	token string
}

func (c client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			c.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

type run struct {
	ID, Trigger, Status, SkipReason string
	SkipReason2                     string `json:"skip_reason"`
	Counts                          map[string]int
	Error                           *struct{ Class, Message string }
}

type taskState struct {
	Task      string
	Enabled   bool
	Indicator string
	Interval  string
	NextRunAt *time.Time `json:"next_run_at"`
	LastRun   *run       `json:"last_run"`
}

type modal struct {
	Channels []struct {
		Channel struct{ ID, Type string }
		Tasks   []taskState
	}
}

func (m modal) task(channel string, task catalog.Task) taskState {
	for _, c := range m.Channels {
		if c.Channel.ID == channel {
			for _, t := range c.Tasks {
				if t.Task == string(task) {
					return t
				}
			}
		}
	}
	return taskState{}
}

func (c client) runs() []run {
	var out struct{ Runs []run }
	c.do("GET", "/v1/sync/runs?limit=100", nil, &out)
	return out.Runs
}

func (c client) orderCount(channel string) int {
	n, cursor := 0, ""
	for {
		var out struct {
			Orders     []json.RawMessage
			NextCursor *string `json:"next_cursor"`
		}
		path := "/v1/orders?limit=200&channel_id=" + channel
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if code := c.do("GET", path, nil, &out); code != 200 {
			c.t.Fatalf("orders: %d", code)
		}
		n += len(out.Orders)
		if out.NextCursor == nil {
			return n
		}
		cursor = *out.NextCursor
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	if !testkit.Eventually(d, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// channelRuns lists a channel's latest runs.
func (c client) channelRuns(channel string) []run {
	var out struct{ Runs []run }
	c.do("GET", "/v1/sync/runs?limit=100&channel_id="+channel, nil, &out)
	return out.Runs
}

// lastRun is the task's last run as the Sync modal shows it: every run,
// a scheduled one that found nothing too (Activity's history leaves
// those out).
func (c client) lastRun(channel string, task catalog.Task) run {
	var m modal
	c.do("GET", "/v1/sync", nil, &m)
	if r := m.task(channel, task).LastRun; r != nil {
		return *r
	}
	return run{}
}

func startDemo(t *testing.T, speed float64) (client, *Server) { return startDemoAt(t, speed) }

// startDemoTB starts the demo for a benchmark.
func startDemoTB(b *testing.B) (client, *Server) { return startDemoAt(b, 1) }

func startDemoAt(t testing.TB, speed float64) (client, *Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan client, 1)
	var srv *Server
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Addr: "127.0.0.1:0", Data: t.TempDir(), Demo: true, CartClient: carttest.LoopbackClient(), Speed: speed,
			Log: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
			Ready: func(s *Server, base, token string) {
				srv = s
				ready <- client{t: t, base: base, token: token}
			}}, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	select {
	case c := <-ready:
		return c, srv
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	return client{}, nil
}

// TestDemoImportOrdersEndToEnd walks issue 2's "done means" through the
// HTTP API of the local stack.
func TestDemoImportOrdersEndToEnd(t *testing.T) {
	c, srv := startDemo(t, 3600) // an hour passes every second
	var chans struct{ Channels []struct{ ID, Type string } }
	c.do("GET", "/v1/channels", nil, &chans)
	var shop, control string
	for _, ch := range chans.Channels {
		switch ch.Type {
		case "shopify":
			shop = ch.ID
		case "bigcommerce":
			control = ch.ID
		}
	}
	if shop == "" || control == "" {
		t.Fatal("demo has no Shopify or no BigCommerce channel")
	}
	simAny, _ := srv.Simulator(shop)
	sim := simAny.(*shopifysim.Server)
	want := len(sim.Importable())
	if want == 0 {
		t.Fatal("simulator has no importable orders")
	}

	var m modal
	if code := c.do("PUT", "/v1/sync", map[string]any{"tasks": []map[string]any{{"channel_id": shop, "task": "import_orders", "enabled": true}}}, &m); code != 200 {
		t.Fatalf("PUT /v1/sync: %d", code)
	}
	st := m.task(shop, catalog.ImportOrders)
	if !st.Enabled || st.Indicator != "autosync" || st.Interval != "1h" || st.NextRunAt == nil {
		t.Fatalf("after enabling: %+v", st)
	}
	waitFor(t, "a scheduled run to succeed", 30*time.Second, func() bool {
		for _, r := range c.runs() {
			if r.Trigger == "schedule" && r.Status == "succeeded" {
				return true
			}
		}
		return false
	})
	if got := c.orderCount(shop); got != want {
		t.Fatalf("imported %d orders, simulator has %d importable", got, want)
	}

	// Sync once twice more: no duplicates.
	for i := 0; i < 2; i++ {
		var out struct{ Runs []run }
		if code := c.do("POST", "/v1/sync/runs", map[string]any{"runs": []map[string]any{{"channel_id": shop, "task": "import_orders"}}}, &out); code != 202 {
			t.Fatalf("sync once: %d", code)
		}
		id := out.Runs[0].ID
		waitFor(t, "the manual run to finish", 30*time.Second, func() bool {
			var r run
			c.do("GET", "/v1/sync/runs/"+id, nil, &r)
			return r.Status == "succeeded" || r.Status == "skipped" || r.Status == "failed"
		})
	}
	if got := c.orderCount(shop); got != want {
		t.Fatalf("after manual runs: %d orders, want %d", got, want)
	}

	// Disable: next_run_at clears and no scheduled run follows.
	if code := c.do("PUT", "/v1/sync", map[string]any{"tasks": []map[string]any{{"channel_id": shop, "task": "import_orders", "enabled": false}}}, &m); code != 200 {
		t.Fatalf("disable: %d", code)
	}
	if st := m.task(shop, catalog.ImportOrders); st.Enabled || st.NextRunAt != nil || st.Indicator != "none" {
		t.Fatalf("after disabling: %+v", st)
	}
	// Let in-flight scheduled runs settle, then watch three intervals go
	// by: none may start a run. The intervals are counted by a control,
	// the same task left on for another channel, rather than by a sleep
	// that a loaded machine could make too short.
	waitFor(t, "runs to settle", 30*time.Second, func() bool {
		for _, r := range append(c.channelRuns(shop), c.lastRun(shop, catalog.ImportOrders)) {
			if r.Status == "queued" || r.Status == "running" {
				return false
			}
		}
		return true
	})
	before := c.lastRun(shop, catalog.ImportOrders)
	if code := c.do("PUT", "/v1/sync", map[string]any{"tasks": []map[string]any{{"channel_id": control, "task": "import_orders", "enabled": true}}}, &m); code != 200 {
		t.Fatalf("enable the control: %d", code)
	}
	// Each of the control's runs is its task's last run in turn; seeing
	// three scheduled ones go by takes at least three intervals.
	seen := map[string]bool{}
	waitFor(t, "three scheduled runs of the control", 60*time.Second, func() bool {
		if r := c.lastRun(control, catalog.ImportOrders); r.Trigger == "schedule" {
			seen[r.ID] = true
		}
		return len(seen) >= 3
	})
	if after := c.lastRun(shop, catalog.ImportOrders); after.ID != before.ID {
		t.Fatalf("a run (%s, %s) after disabling; the last was %s", after.ID, after.Trigger, before.ID)
	}
	if code := c.do("PUT", "/v1/sync", map[string]any{"tasks": []map[string]any{{"channel_id": control, "task": "import_orders", "enabled": false}}}, &m); code != 200 {
		t.Fatalf("disable the control: %d", code)
	}

	// Two presses at once queue one run (the second answers the queued
	// one); a press while that run works is skipped: one run at a time.
	// (With the schedule off, no scheduled run can hold the task and make
	// the first press skip too.)
	sim.SetFaults(shopifysim.Faults{Slow: 2, Delay: 1500 * time.Millisecond})
	var wg sync.WaitGroup
	ids := make([]string, 3)
	press := func(i int) {
		var out struct{ Runs []run }
		c.do("POST", "/v1/sync/runs", map[string]any{"runs": []map[string]any{{"channel_id": shop, "task": "import_orders"}}}, &out)
		ids[i] = out.Runs[0].ID
	}
	for i := range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); press(i) }()
	}
	wg.Wait()
	// ids is in press order, not in the order the presses landed: when
	// they queued two runs, either may be the one that starts.
	waitFor(t, "the run to start", 30*time.Second, func() bool {
		for _, id := range ids[:2] {
			var r run
			c.do("GET", "/v1/sync/runs/"+id, nil, &r)
			if r.Status == "running" {
				return true
			}
		}
		return false
	})
	press(2)
	// Under load the first press's run can start before the second press
	// lands; then the second queues its own run, which is skipped like the
	// third. Either way: one run succeeds, every other distinct run is
	// skipped as already running, and the third press never starts work.
	distinct := slices.Sorted(maps.Keys(map[string]bool{ids[0]: true, ids[1]: true, ids[2]: true}))
	statuses, byID := map[string]int{}, map[string]string{}
	waitFor(t, "the manual runs to finish", 30*time.Second, func() bool {
		clear(statuses)
		for _, id := range distinct {
			var r run
			c.do("GET", "/v1/sync/runs/"+id, nil, &r)
			if r.Status == "skipped" && r.SkipReason2 != "already_running" {
				t.Fatalf("skip reason %q", r.SkipReason2)
			}
			statuses[r.Status]++
			byID[id] = r.Status
		}
		return statuses["succeeded"]+statuses["skipped"]+statuses["failed"] == len(distinct)
	})
	if byID[ids[2]] != "skipped" || statuses["succeeded"] != 1 || statuses["skipped"] != len(distinct)-1 {
		t.Fatalf("presses gave runs %v ending %v, want one succeeded and the rest, the third press's too, skipped as already running", ids, byID)
	}

	if got := c.orderCount(shop); got != want {
		t.Fatalf("final: %d orders, want %d", got, want)
	}
}
