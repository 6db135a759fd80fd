package devserver

import (
	"context"
	"encoding/json"
	"github.com/autosync/autosync/shared/cart/carttest"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/simulator/demos"
)

// stack is one start of the local stack on a data folder; stop ends it
// (restarting means stopping and starting again on the same folder).
type stack struct {
	c    client
	srv  *Server
	stop func()
}

// startDemoOn starts the demo stack on the data folder dir.
func startDemoOn(t *testing.T, dir string, speed float64) stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan stack, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Addr: "127.0.0.1:0", Data: dir, Demo: true, CartClient: carttest.LoopbackClient(), Speed: speed,
			Log: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
			Ready: func(s *Server, base, token string) {
				ready <- stack{c: client{t: t, base: base, token: token}, srv: s}
			}}, io.Discard)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	select {
	case s := <-ready:
		s.stop = stop
		return s
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	return stack{}
}

func (c client) channelIDs() map[string]string {
	c.t.Helper()
	var chans struct{ Channels []struct{ ID, Type string } }
	if code := c.do("GET", "/v1/channels", nil, &chans); code != 200 {
		c.t.Fatalf("channels: %d", code)
	}
	ids := map[string]string{}
	for _, ch := range chans.Channels {
		ids[ch.Type] = ch.ID
	}
	return ids
}

type pausedState struct {
	Task         string
	Enabled      bool
	NextRunAt    *time.Time `json:"next_run_at"`
	Paused       bool
	PausedReason string `json:"paused_reason"`
}

// syncState is one task of GET /v1/sync with its channel's status.
func (c client) syncState(channel string, task catalog.Task) (status string, st pausedState) {
	c.t.Helper()
	var m struct {
		Channels []struct {
			Channel struct{ ID, Status string }
			Tasks   []pausedState
		}
	}
	if code := c.do("GET", "/v1/sync", nil, &m); code != 200 {
		c.t.Fatalf("GET /v1/sync: %d", code)
	}
	for _, sec := range m.Channels {
		if sec.Channel.ID != channel {
			continue
		}
		for _, ts := range sec.Tasks {
			if ts.Task == string(task) {
				return sec.Channel.Status, ts
			}
		}
	}
	c.t.Fatalf("no %s on %s", task, channel)
	return "", pausedState{}
}

// scheduledRuns counts the channel's scheduled runs that succeeded.
func (c client) scheduledRuns(channel string) int {
	var out struct {
		Runs []struct{ ChannelID, Trigger, Status string }
	}
	c.do("GET", "/v1/sync/runs?limit=100&channel_id="+channel, nil, &out)
	n := 0
	for _, r := range out.Runs {
		if r.Trigger == "schedule" && r.Status == "succeeded" {
			n++
		}
	}
	return n
}

// TestDemoRestartAfterReauthResumes: a channel whose schedules were paused
// for re-authorization, the stack restarted on the same data folder, used
// to come back "active" with its ticked tasks paused for good (no
// next_run_at, no runs). After a restart the modal must tell the truth, and
// re-authorizing must resume scheduled runs.
func TestDemoRestartAfterReauthResumes(t *testing.T) {
	dir := t.TempDir()
	const speed = 3600 // an hourly task every second
	s := startDemoOn(t, dir, speed)
	shop := s.c.channelIDs()["shopify"]
	if code := s.c.do("PUT", "/v1/sync", map[string]any{"tasks": []map[string]any{{"channel_id": shop, "task": "import_orders", "enabled": true}}}, nil); code != 200 {
		t.Fatalf("tick import_orders: %d", code)
	}
	ctx := context.Background()
	if err := s.srv.App.Settings.NeedsReauth(ctx, DemoAccount, shop, "The cart refused this channel's credentials. Re-authorize the channel to resume its tasks."); err != nil {
		t.Fatal(err)
	}
	if status, st := s.c.syncState(shop, catalog.ImportOrders); status != "needs_reauth" || !st.Enabled || !st.Paused || st.PausedReason == "" || st.NextRunAt != nil {
		t.Fatalf("before restart: status %s, task %+v; want needs_reauth, ticked, paused with a reason", status, st)
	}
	s.stop()

	s = startDemoOn(t, dir, speed)
	// Whatever the status after the restart, the modal matches what runs.
	status, st := s.c.syncState(shop, catalog.ImportOrders)
	switch {
	case !st.Enabled:
		t.Fatalf("after restart the task is unticked: %+v", st)
	case status == "active" && (st.Paused || st.NextRunAt == nil):
		t.Fatalf("after restart the channel is active but its ticked task is paused: %+v", st)
	case status != "active" && (!st.Paused || st.NextRunAt != nil):
		t.Fatalf("after restart the channel is %s but its task is not shown paused: %+v", status, st)
	}
	if status == "active" {
		before := s.c.scheduledRuns(shop)
		waitFor(t, "a scheduled run after the restart", 30*time.Second, func() bool { return s.c.scheduledRuns(shop) > before })
	}

	// Needs re-authorization again, then the merchant re-authorizes.
	if err := s.srv.App.Settings.NeedsReauth(ctx, DemoAccount, shop, "The cart refused this channel's credentials. Re-authorize the channel to resume its tasks."); err != nil {
		t.Fatal(err)
	}
	s.stop()
	s = startDemoOn(t, dir, speed)
	creds := demos.All()[0].Credentials
	if code := s.c.do("PUT", "/v1/channels/"+shop+"/credentials", map[string]any{"credentials": creds}, nil); code != 200 {
		t.Fatalf("re-authorize: %d", code)
	}
	status, st = s.c.syncState(shop, catalog.ImportOrders)
	if status != "active" || st.Paused || st.NextRunAt == nil {
		t.Fatalf("after re-authorizing: status %s, task %+v; want active with next_run_at", status, st)
	}
	before := s.c.scheduledRuns(shop)
	waitFor(t, "scheduled runs after re-authorizing", 30*time.Second, func() bool { return s.c.scheduledRuns(shop) >= before+2 })
}

// order returns the stored order of the channel with that external id, as
// the API shows it ("" when there is none).
func (c client) order(channel, external string) string {
	c.t.Helper()
	cursor := ""
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
		for _, raw := range out.Orders {
			var o struct {
				ExternalID string `json:"external_id"`
			}
			if json.Unmarshal(raw, &o) == nil && o.ExternalID == external {
				return string(raw)
			}
		}
		if out.NextCursor == nil {
			return ""
		}
		cursor = *out.NextCursor
	}
}

// TestDemoRestartNeverReusesOrderIDs: the demo's simulators restarted
// their id counters with the stack, so the first order created after a
// restart took the id of the one created before it, and importing it
// overwrote that stored order with a different one.
func TestDemoRestartNeverReusesOrderIDs(t *testing.T) {
	dir := t.TempDir()
	s := startDemoOn(t, dir, 1)
	ids := s.c.channelIDs()
	// Amazon lists an order only once its update is two minutes old: its
	// ids are checked, its import is left out.
	var chans []string
	for _, typ := range []string{"shopify", "bigcommerce", "woocommerce", "etsy", "squarespace"} {
		chans = append(chans, ids[typ])
	}
	first := map[string]string{}
	for _, ch := range append(chans, ids["amazon"]) {
		first[ch] = s.c.newOrder(ch)
	}
	s.c.runOnce("import_orders", chans...)
	stored := map[string]string{}
	for _, ch := range chans {
		if stored[ch] = s.c.order(ch, first[ch]); stored[ch] == "" {
			t.Fatalf("order %s of %s was not imported", first[ch], ch)
		}
	}
	s.stop()

	s = startDemoOn(t, dir, 1)
	for _, ch := range append(chans, ids["amazon"]) {
		// A different order: importing it over the first would show.
		var out struct {
			ExternalID string `json:"external_id"`
		}
		if code := s.c.do("POST", "/dev/channels/"+ch+"/orders", map[string]any{"lines": []map[string]any{{"sku": "TEE-M", "quantity": 3}}}, &out); code != 201 {
			t.Fatalf("dev order: %d", code)
		}
		if second := out.ExternalID; second == first[ch] {
			t.Errorf("channel %s: the order created after the restart took id %s again", ch, second)
		}
	}
	s.c.runOnce("import_orders", chans...)
	for _, ch := range chans {
		if got := s.c.order(ch, first[ch]); got != stored[ch] {
			t.Errorf("channel %s: stored order %s changed across the restart:\n%s\nwas\n%s", ch, first[ch], got, stored[ch])
		}
	}
}
