package devserver

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/autosync/autosync/shared/browsertest"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

type previewItem struct {
	SKU          string
	CartQuantity *int   `json:"cart_quantity"`
	CartSource   string `json:"cart_source"`
	Target       int
	WillWrite    bool `json:"will_write"`
	Changes      bool
	Delta        int
	Drift        bool
}

type previewPage struct {
	Live struct {
		Attempted, Complete bool
		Read                int
	}
	Summary struct {
		Linked, Changes, Unchanged, Drift int
		Largest                           []previewItem `json:"largest_changes"`
	}
	Items      []previewItem
	NextCursor *string `json:"next_cursor"`
}

// TestPreviewMatchesWriteBack is issue 12's finding on the local stack: the
// cart's quantities differ from Autosync's, and the preview says, before
// anything is written, exactly which SKUs the write-back changes and to
// what; the write-back then does just that.
func TestPreviewMatchesWriteBack(t *testing.T) {
	c, srv := startDemo(t, 1)
	var chans struct{ Channels []struct{ ID, Type string } }
	c.do("GET", "/v1/channels", nil, &chans)
	shop := ""
	for _, ch := range chans.Channels {
		if ch.Type == "shopify" {
			shop = ch.ID
		}
	}
	c.runOnce("import_products", shop)
	simAny, _ := srv.Simulator(shop)
	sim := simAny.(*shopifysim.Server)

	// Autosync's stock changes for two SKUs; the cart is changed by hand
	// for a third (drift the write-back does not send: its target did not move).
	for sku, n := range map[string]int{"MUG-BLUE": 77, "TEE-M": 0} {
		if code := c.do("PUT", "/v1/products/"+sku+"/inventory", map[string]any{"warehouse_id": "wh_default", "on_hand": n}, nil); code != 200 {
			t.Fatalf("set %s: %d", sku, code)
		}
	}
	before := c.cartQuantities(shop)
	drifted := ""
	for sku := range before {
		if sku != "MUG-BLUE" && sku != "TEE-M" {
			drifted = sku
			break
		}
	}
	sim.SetQuantity(drifted, before[drifted]+5)
	before = c.cartQuantities(shop)

	preview := func() previewPage {
		var pv previewPage
		if code := c.do("GET", "/v1/channels/"+shop+"/inventory-preview?limit=200", nil, &pv); code != 200 {
			t.Fatalf("preview: %d", code)
		}
		if pv.NextCursor != nil || !pv.Live.Attempted || !pv.Live.Complete {
			t.Fatalf("preview of the demo catalog: live %+v, more %v", pv.Live, pv.NextCursor != nil)
		}
		return pv
	}
	pv := preview()
	byTarget := map[string]int{}
	for _, p := range c.products("channel_id=" + shop) {
		for _, ch := range p.Channels {
			if ch.ChannelID == shop {
				byTarget[p.SKU] = ch.Quantity
			}
		}
	}
	if pv.Summary.Linked != len(byTarget) || len(pv.Items) != len(byTarget) {
		t.Fatalf("preview has %d SKUs (summary %d), the channel %d", len(pv.Items), pv.Summary.Linked, len(byTarget))
	}
	changes := map[string]previewItem{}
	for _, it := range pv.Items {
		if it.CartSource != "live" || it.CartQuantity == nil || *it.CartQuantity != before[it.SKU] {
			t.Errorf("%s: cart %v from %s, the cart shows %d", it.SKU, it.CartQuantity, it.CartSource, before[it.SKU])
		}
		if it.Target != byTarget[it.SKU] {
			t.Errorf("%s: preview target %d, products say %d", it.SKU, it.Target, byTarget[it.SKU])
		}
		if it.Changes {
			changes[it.SKU] = it
		}
	}
	if len(changes) != 2 || pv.Summary.Changes != 2 || changes["MUG-BLUE"].Target != 77 || changes["TEE-M"].Target != 0 {
		t.Fatalf("changes %+v (summary %+v)", changes, pv.Summary)
	}
	if d := pv.Items; !itemBySKU(d, drifted).Drift || itemBySKU(d, drifted).WillWrite {
		t.Fatalf("the hand-changed %s: %+v", drifted, itemBySKU(d, drifted))
	}
	if pv.Summary.Largest[0].SKU != "MUG-BLUE" && pv.Summary.Largest[0].SKU != "TEE-M" {
		t.Fatalf("largest %+v", pv.Summary.Largest)
	}

	// Previewing wrote nothing.
	for sku, q := range c.cartQuantities(shop) {
		if q != before[sku] {
			t.Fatalf("the preview changed %s in the cart: %d → %d", sku, before[sku], q)
		}
	}

	// The write-back changes exactly what the preview said.
	c.runOnce("write_inventory", shop)
	after := c.cartQuantities(shop)
	for sku, q := range after {
		want := before[sku]
		if it, ok := changes[sku]; ok {
			want = it.Target
		}
		if q != want {
			t.Errorf("after write-back %s = %d, the preview said %d", sku, q, want)
		}
	}
	pv = preview()
	if pv.Summary.Changes != 0 || pv.Summary.Drift != 1 || !itemBySKU(pv.Items, drifted).Drift {
		t.Fatalf("after write-back: %+v", pv.Summary)
	}
}

func itemBySKU(items []previewItem, sku string) previewItem {
	for _, it := range items {
		if it.SKU == sku {
			return it
		}
	}
	return previewItem{}
}

// TestBrowserWriteBackPreviewOnDemo: on the real local stack, the first tick
// of Write Inventory Back shows the API's own preview — as many changing SKUs
// as the API reports — and Cancel leaves the task off; confirming and saving
// turns it on.
func TestBrowserWriteBackPreviewOnDemo(t *testing.T) {
	browsertest.Chromium(t) // skip before starting anything
	c, _ := startDemo(t, 1)
	var chans struct{ Channels []struct{ ID, Type string } }
	c.do("GET", "/v1/channels", nil, &chans)
	shop := ""
	for _, ch := range chans.Channels {
		if ch.Type == "shopify" {
			shop = ch.ID
		}
	}
	c.runOnce("import_products", shop)
	for sku, n := range map[string]int{"MUG-BLUE": 77, "TEE-M": 0} {
		if code := c.do("PUT", "/v1/products/"+sku+"/inventory", map[string]any{"warehouse_id": "wh_default", "on_hand": n}, nil); code != 200 {
			t.Fatalf("set %s: %d", sku, code)
		}
	}
	var pv previewPage
	if code := c.do("GET", "/v1/channels/"+shop+"/inventory-preview?limit=1", nil, &pv); code != 200 || pv.Summary.Changes != 2 {
		t.Fatalf("preview: %d %+v", code, pv.Summary)
	}

	ctx := browsertest.Start(t, 2*time.Minute)
	p := page{t, ctx}
	problems := browsertest.Problems(ctx, true)
	defer func() {
		for _, pr := range problems() {
			t.Errorf("browser console: %s", pr)
		}
	}()
	key := shop + "-write_inventory"
	p.step("tick Write Inventory Back for the first time",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(c.base+"/#token="+c.token),
		chromedp.WaitEnabled(testID("sync-button")),
		chromedp.Click(testID("sync-button")),
		chromedp.WaitVisible(testID("task-"+key)),
		chromedp.Click(testID("task-"+key)),
		chromedp.WaitVisible(testID("preview-largest")))
	want := fmt.Sprintf("%d of %d SKUs", pv.Summary.Changes, pv.Summary.Linked)
	if got := p.text("preview-count"); !strings.Contains(got, want) {
		t.Errorf("the preview reads %q, want %q", got, want)
	}
	if got := p.text("preview-largest"); !strings.Contains(got, "MUG-BLUE") || !strings.Contains(got, "77") || !strings.Contains(got, "TEE-M") {
		t.Errorf("the largest changes read %q", got)
	}
	p.step("cancel",
		chromedp.Click(testID("preview-no")),
		chromedp.WaitNotPresent(testID("preview-confirm")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-`+key+`"]:not(:checked)`)))
	p.step("confirm and save",
		chromedp.Click(testID("task-"+key)),
		chromedp.WaitVisible(testID("preview-yes")),
		// As a person would, read the preview before confirming: clicked
		// while it loads, the button moves under the pointer when the
		// table arrives (a slow stack, e.g. under -race) and the click
		// lands beside it.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="preview-body"][aria-busy="false"]`)),
		chromedp.Click(testID("preview-yes")),
		chromedp.WaitNotPresent(testID("preview-confirm")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-`+key+`"]:checked`)),
		chromedp.Click(testID("save-settings")),
		chromedp.WaitNotVisible(testID("sync-modal")))
	var m modal
	c.do("GET", "/v1/sync", nil, &m)
	if !m.task(shop, "write_inventory").Enabled {
		t.Error("confirmed and saved, Write Inventory Back is not on")
	}
	// Ticked before: no preview the next time round (untick, tick again).
	p.step("re-tick after it was on",
		chromedp.Click(testID("sync-button")),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-`+key+`"]:checked`)),
		chromedp.Click(testID("task-"+key)),
		chromedp.Click(testID("task-"+key)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="task-`+key+`"]:checked`)))
	if n := eval[int](p, `document.querySelectorAll('[data-testid="preview-confirm"]').length`); n != 0 {
		t.Error("the preview came back for a task that was on")
	}
}
