package devserver

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/autosync/autosync/shared/browsertest"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

// The Sync page driven in Debian's chromium against the real local stack
// (make dev -demo): the bbolt store, the in-process scheduler and dispatcher,
// the executor and the Shopify simulator behind the demo account. The page's
// data-testid hooks are documented at the top of shared/ui/static/app.js;
// shared/ui/browser_test.go drives the same page against a fake API.

// testID selects the element with that data-testid.
func testID(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// page is the browser tab of the test.
type page struct {
	t   *testing.T
	ctx context.Context
}

// step runs the actions of one step; a step that does not finish in 10 s
// fails the test. The waits wait for a condition, never for a fixed time.
func (p page) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v\npage state: %s", name, err, p.state())
	}
}

// state describes the page for a failed step: what the modal shows.
func (p page) state() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		modalOpen: !!document.querySelector('#sync-modal[open]'),
		checked: [...document.querySelectorAll('[data-testid^="task-"]:checked')].map(e => e.dataset.testid),
		indicators: [...document.querySelectorAll('[data-testid^="indicator-"]')].map(e => e.dataset.testid),
		modalError: (document.querySelector('[data-testid="modal-error"]') || {}).textContent,
		notice: (document.querySelector('[data-testid="notice"]') || {}).textContent,
		confirm: (document.querySelector('#modal-confirm > *') || {}).dataset?.testid || '',
		save: (() => { const b = document.querySelector('[data-testid="save-settings"]'); if (!b) return null;
			const r = b.getBoundingClientRect(); const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
			return { text: b.textContent, busy: b.getAttribute('aria-busy'), disabled: b.getAttribute('aria-disabled'), inert: !!b.closest('[inert]'),
				top: at ? (at.dataset.testid || at.id || at.tagName) : null }; })(),
		focused: document.activeElement ? (document.activeElement.dataset.testid || document.activeElement.id || document.activeElement.tagName) : null,
	})`))
	if err != nil {
		return err.Error()
	}
	return v
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](p page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// text is the textContent of the element with that data-testid ("" when
// there is none).
func (p page) text(id string) string {
	p.t.Helper()
	return eval[string](p, `(document.querySelector('[data-testid="`+id+`"]') || {}).textContent || ""`)
}

func (p page) screenshot(name string, action chromedp.Action[[]byte]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, action)
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	// docs/<name>.png with UPDATE_SCREENSHOTS=1, else the git-ignored
	// docs/<name>.tmp.png.
	if os.Getenv("UPDATE_SCREENSHOTS") == "" {
		name += ".tmp"
	}
	path := filepath.Join("..", "..", "docs", name+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// apiRun is a Run of the API, as much of it as this test reads.
type apiRun struct {
	ID        string
	ChannelID string `json:"channel_id"`
	Task      string
	Trigger   string
	Status    string
	Counts    map[string]int
	Error     *struct{ Class, Message string }
}

// importedOrders is the external ids of the channel's orders, from GET /v1/orders.
func (c client) importedOrders(channel string) []string {
	c.t.Helper()
	var ids []string
	cursor := ""
	for {
		var out struct {
			Orders []struct {
				ExternalID string `json:"external_id"`
				ChannelID  string `json:"channel_id"`
			}
			NextCursor *string `json:"next_cursor"`
		}
		path := "/v1/orders?limit=200&channel_id=" + channel
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if code := c.do("GET", path, nil, &out); code != 200 {
			c.t.Fatalf("GET %s: %d", path, code)
		}
		for _, o := range out.Orders {
			if o.ChannelID != channel {
				c.t.Errorf("GET /v1/orders?channel_id=%s returned an order of channel %s", channel, o.ChannelID)
			}
			ids = append(ids, o.ExternalID)
		}
		if out.NextCursor == nil || *out.NextCursor == "" {
			slices.Sort(ids)
			return ids
		}
		cursor = *out.NextCursor
	}
}

// runLogJS records, on every change of the Activity list, each run's
// data-status and the data-done of its progress bar (-1 without one), so
// that the test sees the states the page went through, not only the last.
const runLogJS = `(() => {
	window.__runLog = [];
	const list = document.getElementById('run-list');
	const record = () => {
		for (const li of list.querySelectorAll('li[data-run-id]')) {
			const bar = li.querySelector('progress');
			const e = { id: li.dataset.runId, status: li.dataset.status, done: bar ? Number(bar.dataset.done) : -1 };
			const last = window.__runLog.findLast((x) => x.id === e.id);
			if (!last || last.status !== e.status || last.done !== e.done) window.__runLog.push(e);
		}
	};
	new MutationObserver(record).observe(list, { subtree: true, childList: true, attributes: true });
	record();
	return true;
})()`

type runLogEntry struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Done   int    `json:"done"`
}

// TestBrowserSyncPageOnDemo is what a newcomer does after make dev -demo:
// open the printed URL, turn autosync on and off for Import Orders, run it
// once and watch the run finish in Activity.
func TestBrowserSyncPageOnDemo(t *testing.T) {
	browsertest.Chromium(t) // skip before starting anything
	began := time.Now()

	c, srv := startDemo(t, 600) // an hourly task would run every 6 s
	var chans struct {
		Channels []struct{ ID, Type, Name string }
	}
	if code := c.do("GET", "/v1/channels", nil, &chans); code != 200 {
		t.Fatalf("GET /v1/channels: %d", code)
	}
	var shop, shopName string
	for _, ch := range chans.Channels {
		if ch.Type == "shopify" {
			shop, shopName = ch.ID, ch.Name
		}
	}
	if shop == "" {
		t.Fatal("the demo has no Shopify channel")
	}
	simAny, ok := srv.Simulator(shop)
	if !ok {
		t.Fatal("no simulator behind the Shopify channel")
	}
	sim := simAny.(*shopifysim.Server)
	importable := slices.Sorted(slices.Values(sim.Importable()))
	if len(importable) == 0 {
		t.Fatal("the simulator has no importable orders")
	}
	key := shop + "-import_orders"
	settings := func() taskState {
		var m modal
		if code := c.do("GET", "/v1/sync", nil, &m); code != 200 {
			t.Fatalf("GET /v1/sync: %d", code)
		}
		return m.task(shop, "import_orders")
	}

	ctx := browsertest.Start(t, 3*time.Minute)
	p := page{t, ctx}
	problems := browsertest.Problems(ctx, true)
	defer func() {
		for _, pr := range problems() {
			t.Errorf("browser console: %s", pr)
		}
	}()

	// The URL make dev prints: the page takes the token from the fragment.
	p.step("open the printed URL",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(c.base+"/#token="+c.token),
		chromedp.WaitEnabled(testID("sync-button")),
		chromedp.WaitVisible(testID("channel-"+shop)))
	if href := eval[string](p, `location.href`); strings.Contains(href, c.token) {
		t.Errorf("the token is still in the address bar: %s", href)
	}
	if got := p.text("channel-" + shop); !strings.Contains(got, shopName) || !strings.Contains(got, "No tasks ticked") {
		t.Errorf("the channel list reads %q before anything is ticked", got)
	}

	// The blue Sync button opens the modal; the demo's Shopify channel is
	// there with its tasks, the Amazon-only ones disabled with the reason.
	p.step("open the Sync modal",
		chromedp.Click(testID("sync-button")),
		chromedp.WaitVisible(testID("sync-modal")),
		chromedp.WaitVisible(testID("task-"+key)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-`+key+`"]:not(:checked)`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="task-`+shop+`-import_fba_orders"]:disabled`)),
		chromedp.WaitVisible(testID("sync-once-"+key)))
	if eval[bool](p, `!!document.querySelector('[data-testid="indicator-`+key+`"]')`) {
		t.Error("the arrow is shown for Import Orders before it was ticked")
	}
	fba := eval[string](p, `document.querySelector('#sync-modal li[data-channel="`+shop+`"][data-task="import_fba_orders"]').textContent`)
	if !strings.Contains(fba, "Only Amazon channels") {
		t.Errorf("the unavailable FBA task reads %q, want its reason", fba)
	}
	if eval[bool](p, `!!document.querySelector('[data-testid="sync-once-`+shop+`-instasync_orders"]')`) {
		t.Error("an instasync task offers Sync once (the API refuses it)")
	}

	// Tick Import Orders and save: one PUT, the modal closes, the API holds it.
	p.step("tick Import Orders and save",
		chromedp.Click(testID("task-"+key)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-`+key+`"]:checked`)),
		chromedp.Click(testID("save-settings")),
		chromedp.WaitNotVisible(testID("sync-modal")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="sync-button"]:focus`)),
		chromedp.WaitVisible(testID("save-status")))
	if st := settings(); !st.Enabled || st.Indicator != "autosync" || st.NextRunAt == nil {
		t.Errorf("after saving the tick the API holds %+v", st)
	}
	if got := p.text("channel-" + shop); !strings.Contains(got, "Import Orders") || !strings.Contains(got, "Hourly") {
		t.Errorf("the channel list reads %q after ticking Import Orders", got)
	}

	// Reopen: the circular arrow beside the task and the box still ticked.
	p.step("reopen: the arrow",
		chromedp.Click(testID("sync-button")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="indicator-`+key+`"][data-kind="autosync"]`)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-`+key+`"]:checked`)))
	if !eval[bool](p, `document.querySelector('[data-testid="indicator-`+key+`"] use').getAttribute('href') === '#i-autosync'`) {
		t.Error("the indicator is not the circular arrow")
	}
	if n := eval[int](p, `document.querySelectorAll('#sync-modal [data-testid^="indicator-"]').length`); n != 1 {
		t.Errorf("%d indicators in the modal, want 1 (Import Orders)", n)
	}
	p.screenshot("sync-modal", chromedp.CaptureScreenshot())

	// Untick, save, reopen: the arrow is gone and the box stays unticked.
	p.step("untick and save",
		chromedp.Click(testID("task-"+key)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-`+key+`"]:not(:checked)`)),
		chromedp.Click(testID("save-settings")),
		chromedp.WaitNotVisible(testID("sync-modal")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="sync-button"]:focus`)))
	if st := settings(); st.Enabled || st.Indicator != "none" || st.NextRunAt != nil {
		t.Errorf("after saving the untick the API holds %+v", st)
	}
	p.step("reopen: no arrow",
		chromedp.Click(testID("sync-button")),
		chromedp.WaitVisible(testID("task-"+key)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-`+key+`"]:not(:checked)`)),
		chromedp.WaitNotPresent(testID("indicator-"+key)))

	// A scheduled run may have started while the task was on (every 6 s
	// here); let it end so that Sync once is not skipped as already running.
	waitFor(t, "no run in flight", 15*time.Second, func() bool {
		var out struct{ Runs []apiRun }
		c.do("GET", "/v1/sync/runs?limit=50", nil, &out)
		return !slices.ContainsFunc(out.Runs, func(r apiRun) bool { return r.Status == "queued" || r.Status == "running" })
	})
	before := len(c.importedOrders(shop))

	// Sync once. The simulator answers its three pages (50 + 25 orders, then
	// the cancelled ones) a second each, so the run is seen running, with
	// its progress bar moving, before it succeeds.
	sim.SetFaults(shopifysim.Faults{Slow: 3, Delay: time.Second})
	defer sim.SetFaults(shopifysim.Faults{})
	if !eval[bool](p, runLogJS) {
		t.Fatal("could not watch the Activity list")
	}
	manual := chromedp.CSS(`#run-list [data-channel="` + shop + `"][data-task="import_orders"][data-trigger="manual"]`)
	p.step("sync once",
		chromedp.Click(testID("sync-once-"+key)),
		chromedp.WaitVisible(manual))
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(manual, "data-testid"))
	if err != nil || !strings.HasPrefix(attr.Value, "run-") {
		t.Fatalf("the new run has data-testid %q: %v", attr.Value, err)
	}
	runID := strings.TrimPrefix(attr.Value, "run-")

	// Escape closes the modal and gives the focus back to the Sync button.
	p.step("escape",
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotVisible(testID("sync-modal")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="sync-button"]:focus`)))

	p.step("watch the run succeed",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="run-`+runID+`"][data-status="succeeded"]`)),
		chromedp.WaitNotPresent(testID("progress-"+runID)))

	var r apiRun
	if code := c.do("GET", "/v1/sync/runs/"+runID, nil, &r); code != 200 || r.Status != "succeeded" {
		t.Fatalf("GET /v1/sync/runs/%s: %d, %+v", runID, code, r)
	}
	if r.Trigger != "manual" || r.ChannelID != shop || r.Task != "import_orders" {
		t.Errorf("the run the page shows is %+v", r)
	}

	// What the page went through: queued or running, then succeeded, never
	// back; the progress bar was shown and moved.
	var log []runLogEntry
	if err := json.Unmarshal([]byte(eval[string](p, `JSON.stringify(window.__runLog.filter((e) => e.id === `+jsString(runID)+`))`)), &log); err != nil {
		t.Fatal(err)
	}
	rank := map[string]int{"queued": 0, "running": 1, "succeeded": 2}
	sawRunning, maxDone := false, -1
	for i, e := range log {
		if _, ok := rank[e.Status]; !ok {
			t.Errorf("the run showed status %q", e.Status)
		}
		if i > 0 && rank[e.Status] < rank[log[i-1].Status] {
			t.Errorf("the run went back from %s to %s", log[i-1].Status, e.Status)
		}
		if e.Status == "running" {
			sawRunning = true
			maxDone = max(maxDone, e.Done)
			if e.Done < 0 {
				t.Errorf("a running run without its progress bar: %+v", e)
			}
		}
	}
	t.Logf("the page showed run %s as %+v", runID, log)
	if !sawRunning {
		t.Error("the page never showed the run running")
	} else if maxDone <= 0 {
		t.Error("the progress bar did not move while the run was running")
	}

	// Its counts, in words, as the API has them.
	runText := p.text("run-" + runID)
	if !strings.Contains(runText, "Succeeded") || !strings.Contains(runText, "Sync once") || !strings.Contains(runText, shopName) {
		t.Errorf("the finished run reads %q", runText)
	}
	if r.Counts["fetched"] == 0 {
		t.Errorf("the run fetched nothing: %+v", r)
	}
	for _, k := range []struct{ key, label string }{
		{"fetched", "Fetched"}, {"created", "Created"}, {"updated", "Updated"},
		{"unchanged", "Unchanged"}, {"pushed", "Pushed"}, {"failed", "Failed"},
	} {
		want := fmt.Sprintf("%s %d", k.label, r.Counts[k.key])
		if shown := strings.Contains(runText, want); shown != (r.Counts[k.key] > 0) {
			t.Errorf("the finished run reads %q; %q shown = %v, count %d", runText, want, shown, r.Counts[k.key])
		}
	}

	// The orders really arrived: the API lists every importable order of
	// the simulator, and the run created those that were new.
	got := c.importedOrders(shop)
	if !slices.Equal(got, importable) {
		t.Errorf("GET /v1/orders lists %d orders, the simulator has %d importable (%v vs %v)", len(got), len(importable), got, importable)
	}
	if created := r.Counts["created"]; created != len(got)-before {
		t.Errorf("the run created %d orders, the API went from %d to %d", created, before, len(got))
	}

	p.step("activity in view", chromedp.ScrollIntoView(testID("activity")))
	p.screenshot("activity", chromedp.Screenshot(testID("activity")))

	t.Logf("browser walk-through took %v", time.Since(began).Round(time.Millisecond))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// stepTimeout bounds one browser step. Generous: CI runs this beside every
// other package's tests on two cores.
const stepTimeout = 30 * time.Second
