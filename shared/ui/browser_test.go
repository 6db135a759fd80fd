package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/autosync/autosync/shared/browsertest"
)

func tid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

type browser struct {
	t   *testing.T
	ctx context.Context
}

// do runs the actions of one step; a step that does not finish in 10 s fails
// the test (the waits wait for a condition, never for a fixed time).
func (b browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\npage state: %s", step, err, b.state())
	}
}

// state describes the page for a failed step.
func (b browser) state() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		modalOpen: !!document.querySelector('#sync-modal[open]'),
		confirm: (document.querySelector('#modal-confirm') || {}).innerText,
		checked: [...document.querySelectorAll('#sync-modal [data-testid^="task-"]:checked')].map(e => e.dataset.testid),
		active: document.activeElement && (document.activeElement.dataset.testid || document.activeElement.id || document.activeElement.tagName),
		busy: (document.getElementById('modal-body') || {}).ariaBusy,
		modalError: (document.querySelector('[data-testid="modal-error"]') || {}).textContent,
		notice: (document.querySelector('[data-testid="notice"]') || {}).textContent,
	})`))
	if err != nil {
		return err.Error()
	}
	return v
}

// newTab opens another tab, with its own sessionStorage. The tab lives as long
// as b's context, not as long as a step's.
func (b browser) newTab() (browser, context.CancelFunc) {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a tab: %v", err)
	}
	return browser{b.t, ctx}, cancel
}

func evalIn[T any](b browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (b browser) text(id string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(tid(id)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", id, err)
	}
	return s
}

// screenshotPath is docs/<name>.png with UPDATE_SCREENSHOTS=1, else the
// git-ignored docs/<name>.tmp.png.
func screenshotPath(name string) string {
	if os.Getenv("UPDATE_SCREENSHOTS") == "" {
		name += ".tmp"
	}
	return filepath.Join("..", "..", "docs", name+".png")
}

func saveScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	path := screenshotPath(name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

func TestSyncPageInBrowser(t *testing.T) {
	browsertest.Chromium(t) // skip before starting anything

	api := newFakeAPI("test-token")
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("/{$}", Handler())
	mux.Handle(Prefix, Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx := browsertest.Start(t, 3*time.Minute)
	b := browser{t, ctx}
	problems := browsertest.Problems(ctx, false)

	// The page takes the token from the fragment and removes it from the address bar.
	b.do("open the page",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/#token=test-token"),
		chromedp.WaitEnabled(tid("sync-button")),
		chromedp.WaitVisible(tid("channel-shop1")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="run-seed-3"][data-status="failed"]`)))
	if href := evalIn[string](b, `location.href`); strings.Contains(href, "token") {
		t.Errorf("the token is still in the address bar: %s", href)
	}
	if got := evalIn[string](b, `sessionStorage.getItem("autosync.token")`); got != "test-token" {
		t.Errorf("sessionStorage token = %q", got)
	}
	banner := b.text("reauth-banner-amz1")
	for _, want := range []string{"Acme on Amazon", "Amazon rejected the saved credentials", "Re-authorize this channel in its settings to resume its ticked tasks."} {
		if !strings.Contains(banner, want) {
			t.Errorf("re-auth banner %q lacks %q", banner, want)
		}
	}
	// The banner offers the way to do it: the cart's own authorization.
	if got := b.text("reauth-amz1"); got != "Re-authorize" {
		t.Errorf("re-authorize button reads %q", got)
	}
	if got := b.text("run-seed-4"); !strings.Contains(got, "Skipped: already running") {
		t.Errorf("skipped run reads %q", got)
	}
	// A run waiting at the account's cap says why it waits.
	if got := b.text("run-seed-7"); !strings.Contains(got, "Waiting for this account's other runs to finish") {
		t.Errorf("queued run reads %q", got)
	}

	// The modal: a labelled dialog with focus inside, one section per channel.
	b.do("open the Sync modal",
		chromedp.Click(tid("sync-button")),
		chromedp.WaitVisible(tid("sync-modal")),
		chromedp.WaitVisible(tid("task-shop1-import_orders")))
	if !evalIn[bool](b, `(() => { const d = document.querySelector('[data-testid="sync-modal"]');
		return d.getAttribute("role") === "dialog" && d.getAttribute("aria-modal") === "true" &&
			document.getElementById(d.getAttribute("aria-labelledby")).textContent.trim() !== "" &&
			d.contains(document.activeElement); })()`) {
		t.Error("the modal is not a labelled modal dialog holding the focus")
	}
	if !evalIn[bool](b, `[...document.querySelectorAll('#sync-modal input, #sync-modal button')].every(c =>
		(c.labels && c.labels.length > 0) || c.getAttribute("aria-label") || c.textContent.trim())`) {
		t.Error("a control in the modal has no label")
	}
	b.do("existing state",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="indicator-woo1-import_orders"][data-kind="autosync"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="indicator-woo1-instasync_orders"][data-kind="instasync"]`)),
		chromedp.WaitVisible(tid("reauth-note-amz1")),
		// A ticked task of a channel needing re-authorization is paused, not the arrow.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="indicator-amz1-import_orders"][data-kind="paused"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sync-once-amz1-import_orders"]:disabled`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sync-all-once-amz1"]:disabled`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="task-shop1-import_fba_orders"]:disabled`)),
		chromedp.WaitVisible(tid("sync-once-etsy1-import_products")))
	// Each cart is named as the API's cart_label names it (the page lists no carts).
	if got := evalIn[string](b, `[...document.querySelectorAll('#sync-modal .cart-badge')].map(e => e.textContent).join(",")`); !strings.Contains(got, "WooCommerce") || !strings.Contains(got, "Amazon") {
		t.Errorf("cart badges read %q", got)
	}
	if got := evalIn[string](b, `document.getElementById('modal-body').firstChild.textContent`); strings.HasPrefix(got, "null") {
		t.Errorf("the modal body starts with %q", got)
	}
	if evalIn[bool](b, `!!document.querySelector('[data-testid="indicator-shop1-import_orders"]')`) {
		t.Error("an indicator is shown for a task that is off")
	}
	if evalIn[bool](b, `!!document.querySelector('[data-testid="task-etsy1-import_products"]')`) {
		t.Error("a once-only task has a checkbox")
	}
	rowText := func(cid, task string) string {
		return evalIn[string](b, `document.querySelector('#sync-modal li[data-channel="`+cid+`"][data-task="`+task+`"]').textContent`)
	}
	for _, c := range []struct{ cid, task, want string }{
		{"amz1", "import_orders", "Paused: Amazon rejected the saved credentials"},
		{"shop1", "import_orders", "Hourly"},
		{"shop1", "import_products", "Every six hours"},
		{"shop1", "import_product_images", "Daily"},
		{"shop1", "import_fba_orders", "Only Amazon channels"},
		{"etsy1", "import_products", "one-time sync"},
	} {
		if got := rowText(c.cid, c.task); !strings.Contains(got, c.want) {
			t.Errorf("row %s/%s reads %q, want %q in it", c.cid, c.task, got, c.want)
		}
	}

	// Tab and Shift+Tab stay inside the modal.
	b.do("focus is trapped",
		chromedp.Focus(chromedp.ID("sync-title")),
		chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="save-settings"]:focus`)),
		chromedp.KeyEvent(kb.Tab),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="close-modal"]:focus`)))

	// Tick, save: the modal closes and the settings are stored.
	puts := api.putCount()
	b.do("tick and save",
		chromedp.Click(tid("task-shop1-import_orders")),
		chromedp.Click(tid("task-shop1-instasync_orders")),
		chromedp.Click(tid("save-settings")),
		chromedp.WaitNotVisible(tid("sync-modal")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="sync-button"]:focus`)),
		chromedp.WaitVisible(tid("save-status")))
	if got := api.putCount() - puts; got != 1 {
		t.Errorf("saving sent %d PUT requests, want 1", got)
	}
	if !api.isEnabled("shop1", "import_orders") || !api.isEnabled("shop1", "instasync_orders") || !api.isEnabled("woo1", "import_orders") {
		t.Error("the API does not hold the saved settings")
	}

	// Reopen: the arrow and the bolt, the boxes still ticked.
	b.do("reopen",
		chromedp.Click(tid("sync-button")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="indicator-shop1-import_orders"][data-kind="autosync"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="indicator-shop1-instasync_orders"][data-kind="instasync"]`)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-shop1-import_orders"]:checked`)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-shop1-instasync_orders"]:checked`)))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "sync-modal", png)

	// The first tick of Write Inventory Back on a channel shows what the
	// first write-back would change and asks; Cancel leaves it unticked.
	previews := api.previewCount()
	b.do("first write-back: preview, cancel",
		chromedp.Click(tid("task-shop1-write_inventory")),
		chromedp.WaitVisible(tid("preview-largest")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="preview-no"]:focus`)))
	if got := b.text("preview-count"); !strings.Contains(got, "6 of 8 SKUs") || !strings.Contains(got, "Shopify") {
		t.Errorf("the preview reads %q", got)
	}
	if got := b.text("preview-largest"); !strings.Contains(got, "MUG-BLUE") || !strings.Contains(got, "40") || strings.Contains(got, "PIN-01") {
		t.Errorf("the largest changes read %q", got)
	}
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		saveScreenshot(t, "write-back-preview", png)
	}
	if got := api.previewCount() - previews; got != 1 {
		t.Errorf("%d preview requests, want 1", got)
	}
	b.do("cancel the preview",
		chromedp.Click(tid("preview-no")),
		chromedp.WaitNotPresent(tid("preview-confirm")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-shop1-write_inventory"]:not(:checked)`)))
	if puts := api.putCount(); puts != 1 || api.isEnabled("shop1", "write_inventory") {
		t.Errorf("cancelling the preview saved something: %d PUTs", puts)
	}
	// Escape inside the preview is its Cancel too.
	b.do("escape the preview",
		chromedp.Click(tid("task-shop1-write_inventory")),
		chromedp.WaitVisible(tid("preview-largest")),
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotPresent(tid("preview-confirm")),
		chromedp.WaitVisible(tid("sync-modal")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-shop1-write_inventory"]:not(:checked)`)))

	// A rejected save keeps the modal open, shows the problem beside its task
	// and changes nothing.
	const reason = "Write Inventory Back needs a warehouse mapped to Acme Outdoor."
	api.setReject("shop1", "write_inventory", reason)
	b.do("rejected save",
		chromedp.Click(tid("task-shop1-write_inventory")),
		chromedp.WaitVisible(tid("preview-largest")),
		chromedp.Click(tid("preview-yes")),
		chromedp.WaitNotPresent(tid("preview-confirm")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-shop1-write_inventory"]:checked`)),
		chromedp.Click(tid("save-settings")),
		chromedp.WaitVisible(tid("problem-shop1-write_inventory")),
		chromedp.WaitVisible(tid("modal-error")),
		chromedp.WaitVisible(tid("sync-modal")))
	if got := b.text("problem-shop1-write_inventory"); got != reason {
		t.Errorf("problem reads %q, want %q", got, reason)
	}
	if modalErr := b.text("modal-error"); strings.Contains(modalErr, "{") || !strings.Contains(modalErr, "not saved") {
		t.Errorf("modal error reads %q", modalErr)
	}
	if api.isEnabled("shop1", "write_inventory") {
		t.Error("a rejected save changed the settings")
	}

	// Escape with unsaved changes asks first, within the page; keeping
	// them keeps the modal, discarding closes it and gives the focus back
	// to the Sync button; reopening shows the saved state, not the rejected one.
	b.do("escape with changes: keep editing",
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitVisible(tid("discard-confirm")),
		chromedp.Click(tid("discard-keep")),
		chromedp.WaitNotPresent(tid("discard-confirm")),
		chromedp.WaitVisible(tid("sync-modal")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-shop1-write_inventory"]:checked`)))
	b.do("escape with changes: discard",
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitVisible(tid("discard-confirm")),
		chromedp.Click(tid("discard-yes")),
		chromedp.WaitNotVisible(tid("sync-modal")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="sync-button"]:focus`)))
	api.setReject("shop1", "write_inventory", "")
	b.do("reopen after a rejected save",
		chromedp.Click(tid("sync-button")),
		chromedp.WaitVisible(tid("task-shop1-write_inventory")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-shop1-write_inventory"]:not(:checked)`)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-shop1-import_orders"]:checked`)))
	if evalIn[bool](b, `!!document.querySelector('[data-testid="problem-shop1-write_inventory"]:not([hidden])')`) {
		t.Error("an old problem is still shown after reopening")
	}

	// Sync once of a write-back that never ran asks first too: Cancel
	// starts nothing, confirming starts the run.
	started := api.started()
	b.do("first write-back once: preview, cancel",
		chromedp.Click(tid("sync-once-shop1-write_inventory")),
		chromedp.WaitVisible(tid("preview-largest")),
		chromedp.Click(tid("preview-no")),
		chromedp.WaitNotPresent(tid("preview-confirm")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="sync-once-shop1-write_inventory"]:focus`)))
	if n := api.started() - started; n != 0 {
		t.Errorf("a cancelled preview started %d runs", n)
	}
	b.do("first write-back once: confirm",
		chromedp.Click(tid("sync-once-shop1-write_inventory")),
		chromedp.WaitVisible(tid("preview-yes")),
		chromedp.Click(tid("preview-yes")),
		chromedp.WaitVisible(chromedp.CSS(`#run-list [data-channel="shop1"][data-task="write_inventory"][data-trigger="manual"]`)))
	if n := api.started() - started; n != 1 {
		t.Errorf("a confirmed preview started %d runs, want 1", n)
	}

	// Sync once: a run appears in Activity, shows progress and succeeds.
	manual := chromedp.CSS(`#run-list [data-channel="shop1"][data-task="import_orders"][data-trigger="manual"]`)
	b.do("sync once",
		chromedp.Click(tid("sync-once-shop1-import_orders")),
		chromedp.WaitVisible(manual))
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(manual, "data-testid"))
	if err != nil || !strings.HasPrefix(attr.Value, "run-") {
		t.Fatalf("new run has data-testid %q: %v", attr.Value, err)
	}
	runID := strings.TrimPrefix(attr.Value, "run-")
	b.do("watch the run",
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotVisible(tid("sync-modal")),
		chromedp.WaitVisible(tid("progress-"+runID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="run-`+runID+`"][data-status="succeeded"]`)),
		chromedp.WaitNotPresent(tid("progress-"+runID)))
	if got := b.text("run-" + runID); !strings.Contains(got, "Succeeded") || !strings.Contains(got, "Fetched 50") || strings.Contains(got, "Pushed") {
		t.Errorf("finished run reads %q", got)
	}

	// Sync once of a task that is running is recorded as skipped.
	skipped := chromedp.CSS(`#run-list [data-channel="woo1"][data-task="import_products"][data-trigger="manual"][data-status="skipped"]`)
	b.do("sync once while running",
		chromedp.Click(tid("sync-button")),
		chromedp.WaitVisible(tid("sync-once-woo1-import_products")),
		chromedp.Click(tid("sync-once-woo1-import_products")),
		chromedp.WaitVisible(skipped),
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotVisible(tid("sync-modal")))
	if got, _ := chromedp.Run(ctx, chromedp.Text(skipped)); !strings.Contains(got, "Skipped: already running") {
		t.Errorf("skipped run reads %q", got)
	}
	png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "sync-page", png)
	b.do("activity in view", chromedp.ScrollIntoView(tid("activity")))
	png, err = chromedp.Run(ctx, chromedp.Screenshot(tid("activity")))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "activity", png)

	// A tab with no token says so; the embedding frontend can hand one over.
	b2, cancelTab := b.newTab()
	defer cancelTab()
	b2.do("open without a token",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(tid("notice")))
	if got := b2.text("notice"); !strings.Contains(got, "not signed in") {
		t.Errorf("no-token notice reads %q", got)
	}
	b2.do("setToken",
		chromedp.Evaluate[chromedp.Void](`window.Autosync.setToken("test-token")`),
		chromedp.WaitEnabled(tid("sync-button")),
		chromedp.WaitNotVisible(tid("notice")),
		chromedp.WaitVisible(tid("channel-shop1")))

	// A rejected token reads as an expired session, in words.
	b3, cancelTab3 := b.newTab()
	defer cancelTab3()
	b3.do("open with a bad token",
		chromedp.Navigate(srv.URL+"/#token=wrong"),
		chromedp.WaitVisible(tid("notice")))
	if got := b3.text("notice"); !strings.HasPrefix(got, "Your session has expired — sign in again.") {
		t.Errorf("401 notice reads %q", got)
	}
	b3.do("expired: a way to sign in, no endless loading",
		chromedp.WaitVisible(tid("sign-in")),
		chromedp.WaitVisible(tid("channels-expired")))
	if got := b3.text("channel-list"); strings.Contains(got, "Loading") {
		t.Errorf("the channel list still reads %q after a 401", got)
	}

	for _, p := range problems() {
		t.Errorf("browser console: %s", p)
	}
}

// startBrowser serves the page with api and opens a headless tab.
func startBrowser(t *testing.T, api *fakeAPI) (browser, string, func() []string) {
	t.Helper()
	browsertest.Chromium(t) // skip before starting anything
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("/{$}", Handler())
	mux.Handle(Prefix, Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ctx := browsertest.Start(t, 3*time.Minute)
	return browser{t, ctx}, srv.URL, browsertest.Problems(ctx, false)
}

// TestSyncPageNarrowFooterInBrowser: at a phone's 390 px every footer
// button of the modal is whole and inside the viewport (Cancel was clipped).
func TestSyncPageNarrowFooterInBrowser(t *testing.T) {
	api := newFakeAPI("test-token")
	b, base, problems := startBrowser(t, api)
	b.do("open at 390x844",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/#token=test-token"),
		chromedp.WaitEnabled(tid("sync-button")),
		chromedp.Click(tid("sync-button")),
		chromedp.WaitVisible(tid("task-shop1-import_orders")))
	// Inside the viewport and inside the dialog, which clips what overflows it.
	outside := evalIn[[]string](b, `(() => { const d = document.getElementById('sync-modal').getBoundingClientRect();
		return [...document.querySelectorAll('#sync-modal .modal-foot button')].filter(btn => {
			const r = btn.getBoundingClientRect();
			return !(r.width > 0 && r.left >= Math.max(0, d.left) && r.top >= Math.max(0, d.top) &&
				r.right <= Math.min(window.innerWidth, d.right) && r.bottom <= Math.min(window.innerHeight, d.bottom) &&
				btn.scrollWidth <= btn.clientWidth + 1);
		}).map(btn => btn.textContent.trim() + " " + JSON.stringify(btn.getBoundingClientRect())); })()`)
	if n := evalIn[int](b, `document.querySelectorAll('#sync-modal .modal-foot button').length`); n != 2 {
		t.Fatalf("%d footer buttons", n)
	}
	for _, o := range outside {
		t.Errorf("footer button not fully inside the 390x844 viewport: %s", o)
	}
	// And the discard prompt's buttons fit too.
	b.do("discard prompt at 390",
		chromedp.Click(tid("task-shop1-import_orders")),
		chromedp.Click(tid("cancel-settings")),
		chromedp.WaitVisible(tid("discard-confirm")))
	out := evalIn[int](b, `[...document.querySelectorAll('[data-testid="discard-confirm"] button')].filter(btn => {
		const r = btn.getBoundingClientRect();
		return !(r.left >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight);
	}).length`)
	if out != 0 {
		t.Errorf("%d discard-prompt buttons outside the viewport", out)
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "sync-modal-390", png)
	for _, p := range problems() {
		t.Errorf("browser console: %s", p)
	}
}

// TestSyncPageDiscardInBrowser: every way of closing the modal with
// unsaved changes asks "Discard changes?" within the page; without changes
// it closes at once.
func TestSyncPageDiscardInBrowser(t *testing.T) {
	api := newFakeAPI("test-token")
	b, base, problems := startBrowser(t, api)
	b.do("open",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/#token=test-token"),
		chromedp.WaitEnabled(tid("sync-button")))
	// A native confirm() would block here; the page must not call one.
	b.do("no native dialogs", chromedp.Evaluate[chromedp.Void](`window.confirm = () => { throw new Error("native confirm used"); }`))
	// Closed and reopened within one task: the late "close" event of the
	// first must not mark the reopened modal closed (it stayed "Loading…").
	b.do("close and reopen at once",
		chromedp.Click(tid("sync-button")),
		chromedp.WaitVisible(tid("task-shop1-import_orders")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="close-modal"]').click(); document.querySelector('[data-testid="sync-button"]').click();`),
		chromedp.WaitReady(chromedp.CSS(`#modal-body[aria-busy="false"]`)),
		chromedp.WaitVisible(tid("task-shop1-import_orders")),
		chromedp.Click(tid("close-modal")),
		chromedp.WaitNotVisible(tid("sync-modal")))
	for _, closer := range []string{"cancel-settings", "close-modal"} {
		b.do("no changes: "+closer+" closes at once",
			chromedp.Click(tid("sync-button")),
			chromedp.WaitVisible(tid("task-shop1-import_orders")),
			chromedp.Click(tid(closer)),
			chromedp.WaitNotVisible(tid("sync-modal")))
		b.do("changes: "+closer+" asks; keep editing",
			chromedp.Click(tid("sync-button")),
			chromedp.WaitVisible(tid("task-shop1-import_orders")),
			chromedp.WaitReady(chromedp.CSS(`#modal-body[aria-busy="false"]`)),
			chromedp.Click(tid("task-shop1-import_orders")),
			chromedp.WaitReady(chromedp.CSS(`[data-testid="task-shop1-import_orders"]:checked`)),
			chromedp.Click(tid(closer)),
			chromedp.WaitVisible(tid("discard-confirm")),
			chromedp.Click(tid("discard-keep")),
			chromedp.WaitNotPresent(tid("discard-confirm")),
			chromedp.WaitReady(chromedp.CSS(`[data-testid="task-shop1-import_orders"]:checked`)))
		// Ticking back to the saved state is no change.
		b.do("changes undone: "+closer+" closes at once",
			chromedp.Click(tid("task-shop1-import_orders")),
			chromedp.WaitReady(chromedp.CSS(`[data-testid="task-shop1-import_orders"]:not(:checked)`)),
			chromedp.Click(tid(closer)),
			chromedp.WaitNotVisible(tid("sync-modal")))
		b.do("changes: "+closer+" asks; discard",
			chromedp.Click(tid("sync-button")),
			chromedp.WaitVisible(tid("task-shop1-import_orders")),
			chromedp.WaitReady(chromedp.CSS(`#modal-body[aria-busy="false"]`)),
			chromedp.Click(tid("task-shop1-import_orders")),
			chromedp.WaitReady(chromedp.CSS(`[data-testid="task-shop1-import_orders"]:checked`)),
			chromedp.Click(tid(closer)),
			chromedp.WaitVisible(tid("discard-confirm")),
			chromedp.Click(tid("discard-yes")),
			chromedp.WaitNotVisible(tid("sync-modal")))
	}
	if api.putCount() != 0 || api.isEnabled("shop1", "import_orders") {
		t.Error("discarding saved something")
	}
	for _, p := range problems() {
		t.Errorf("browser console: %s", p)
	}
}

// TestSyncPageManyChannelsInBrowser: with 30 channels the modal has a
// filter and a jump list, and channels fold away without losing ticks.
func TestSyncPageManyChannelsInBrowser(t *testing.T) {
	api := newFakeAPI("test-token")
	api.manyChannels(30)
	b, base, problems := startBrowser(t, api)
	b.do("open",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/#token=test-token"),
		chromedp.WaitEnabled(tid("sync-button")),
		chromedp.Click(tid("sync-button")),
		chromedp.WaitVisible(tid("channel-tools")),
		chromedp.WaitVisible(tid("task-s01-import_orders")))
	if n := evalIn[int](b, `document.querySelectorAll('#sync-modal section.channel-section').length`); n != 30 {
		t.Fatalf("%d sections, want 30", n)
	}
	visible := func() int {
		return evalIn[int](b, `[...document.querySelectorAll('#sync-modal section.channel-section')].filter(s => s.getClientRects().length > 0).length`)
	}
	// Filter: "store 2" matches Store 20..29.
	b.do("filter", chromedp.SendKeys(tid("channel-filter"), "store 2"))
	if n := visible(); n != 10 {
		t.Errorf("the filter shows %d channels, want 10", n)
	}
	if got := b.text("channel-count"); got != "10 of 30 channels" {
		t.Errorf("count reads %q", got)
	}
	b.do("clear the filter", chromedp.Evaluate[chromedp.Void](`(() => { const f = document.querySelector('[data-testid="channel-filter"]'); f.value = ""; f.dispatchEvent(new Event("input")); })()`))
	if n := visible(); n != 30 {
		t.Errorf("after clearing, %d channels shown", n)
	}
	// Fold one: its tasks hide, its ticks stay; collapse all, then jump to one.
	b.do("tick then fold s03",
		chromedp.Click(tid("task-s03-import_orders")),
		chromedp.Click(tid("collapse-s03")),
		chromedp.WaitNotVisible(tid("task-s03-import_orders")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="collapse-s03"][aria-expanded="false"]`)))
	b.do("collapse all", chromedp.Click(tid("collapse-all")), chromedp.WaitNotVisible(tid("task-s01-import_orders")))
	if n := evalIn[int](b, `[...document.querySelectorAll('#sync-modal [data-testid^="task-"]')].filter(c => c.getClientRects().length > 0).length`); n != 0 {
		t.Errorf("%d task boxes visible after collapse all", n)
	}
	b.do("jump to Store 27",
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('[data-testid="channel-jump"]'); s.value = "s27"; s.dispatchEvent(new Event("change")); })()`),
		chromedp.WaitVisible(tid("task-s27-import_orders")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="collapse-s27"]:focus`)))
	inView := evalIn[bool](b, `(() => { const r = document.querySelector('[data-testid="channel-section-s27"]').getBoundingClientRect();
		const m = document.getElementById('modal-body').getBoundingClientRect(); return r.top >= m.top - 1 && r.top < m.bottom; })()`)
	if !inView {
		t.Error("the jump did not bring Store 27 into view")
	}
	b.do("save with folded channels",
		chromedp.Click(tid("save-settings")),
		chromedp.WaitNotVisible(tid("sync-modal")))
	if !api.isEnabled("s03", "import_orders") {
		t.Error("a tick in a folded channel was not saved")
	}
	for _, p := range problems() {
		t.Errorf("browser console: %s", p)
	}
}

// TestSyncPageSessionExpiresInBrowser: a token that expires while the page
// is open turns every waiting view into "Your session has expired — sign
// in again" with a sign-in link; nothing keeps saying "Loading…".
func TestSyncPageSessionExpiresInBrowser(t *testing.T) {
	api := newFakeAPI("test-token")
	b, base, problems := startBrowser(t, api)
	b.do("open",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/#token=test-token"),
		chromedp.WaitEnabled(tid("sync-button")),
		chromedp.WaitVisible(tid("channel-shop1")))
	api.expire()
	b.do("the next request meets a 401",
		chromedp.Click(tid("activity-refresh")),
		chromedp.WaitVisible(tid("sign-in")))
	if got := b.text("notice"); !strings.HasPrefix(got, "Your session has expired — sign in again.") {
		t.Errorf("notice reads %q", got)
	}
	if !evalIn[bool](b, `document.querySelector('[data-testid="sync-button"]').disabled`) {
		t.Error("the Sync button still opens a modal that cannot load")
	}
	href := evalIn[string](b, `document.querySelector('[data-testid="sign-in"]').href`)
	if !strings.HasPrefix(href, base+"/") || strings.Contains(href, "token") {
		t.Errorf("sign-in link %q", href)
	}
	if got := evalIn[string](b, `document.body.innerText`); strings.Contains(got, "Loading") {
		t.Errorf("the page still says Loading after the session expired: %q", got)
	}
	// A fresh load with the expired token: the channel list says so too.
	b.do("reload with the expired token",
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(base+"/#token=test-token"),
		chromedp.WaitVisible(tid("channels-expired")),
		chromedp.WaitVisible(tid("sign-in")))
	if got := b.text("channel-list"); strings.Contains(got, "Loading") || !strings.Contains(got, "sign in again") {
		t.Errorf("channel list reads %q", got)
	}
	for _, p := range problems() {
		t.Errorf("browser console: %s", p)
	}
}
