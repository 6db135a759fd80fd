package devserver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/autosync/autosync/shared/browsertest"
)

// TestBrowserAddChannelOnDemo: on the real local stack a merchant adds a
// Shopify channel from the page through the simulator's consent page,
// comes back to it, ticks tasks (seeing the write-back preview first),
// re-authorizes it after the simulator dropped its token, and removes it.
func TestBrowserAddChannelOnDemo(t *testing.T) {
	browsertest.Chromium(t) // skip before starting anything
	c, _ := startDemo(t, 1)

	ctx := browsertest.Start(t, 3*time.Minute)
	p := page{t, ctx}
	problems := browsertest.Problems(ctx, true)
	defer func() {
		for _, pr := range problems() {
			// The simulator's consent page (another origin) has no icon.
			if strings.Contains(pr, "/favicon.ico") && !strings.Contains(pr, c.base+"/") {
				continue
			}
			t.Errorf("browser console: %s", pr)
		}
	}()

	p.step("open the page",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(c.base+"/#token="+c.token),
		chromedp.WaitEnabled(testID("sync-button")),
		chromedp.WaitVisible(testID("add-channel")))
	p.step("Add channel: Shopify",
		chromedp.Click(testID("add-channel")),
		chromedp.WaitVisible(testID("add-field-shop_domain")),
		chromedp.SendKeys(testID("add-name"), "Browser Shop"),
		chromedp.SendKeys(testID("add-field-shop_domain"), "browser-shop.myshopify.com"),
		chromedp.Click(testID("add-connect")))
	allow := func(name string) {
		t.Helper()
		// The simulator's consent page, on its own origin.
		p.step(name+": consent page", chromedp.WaitVisible(chromedp.CSS(`button[value="allow"]`)))
		if got := eval[string](p, `document.body.textContent`); !strings.Contains(got, "browser-shop.myshopify.com") {
			t.Fatalf("consent page reads %q", got)
		}
		p.step(name+": allow", chromedp.Click(chromedp.CSS(`button[value="allow"]`)), chromedp.WaitVisible(testID("channel-list")))
	}
	allow("connect")
	waitPage(p, `/^#channel=ch_/.test(location.hash) && !!document.querySelector('.channel-selected')`)
	id := strings.TrimPrefix(eval[string](p, `location.hash`), "#channel=")
	row := "channel-" + id
	p.step("the new channel is marked", chromedp.WaitVisible(chromedp.CSS(`[data-testid="`+row+`"][aria-current="true"]`)))
	if got := p.text(row); !strings.Contains(got, "Browser Shop") || !strings.Contains(got, "Active") {
		t.Errorf("the new channel's row reads %q", got)
	}

	// Tick Import Orders and Write Inventory Back: the preview first.
	p.step("tick tasks",
		chromedp.Click(testID("sync-button")),
		chromedp.WaitVisible(testID("task-"+id+"-import_orders")),
		chromedp.Click(testID("task-"+id+"-import_orders")),
		chromedp.Click(testID("task-"+id+"-write_inventory")),
		chromedp.WaitVisible(testID("preview-count")))
	if got := p.text("preview-count"); got == "" {
		t.Error("the write-back preview says nothing")
	}
	p.step("accept the preview and save",
		chromedp.Click(testID("preview-yes")),
		chromedp.WaitNotPresent(testID("preview-confirm")),
		chromedp.Click(testID("save-settings")),
		chromedp.WaitNotVisible(testID("sync-modal")))
	var m modal
	c.do("GET", "/v1/sync", nil, &m)
	if !m.task(id, "import_orders").Enabled || !m.task(id, "write_inventory").Enabled {
		t.Fatalf("after saving: import %+v, write %+v", m.task(id, "import_orders"), m.task(id, "write_inventory"))
	}

	// The simulator drops the app and its tokens: the page offers Re-authorize.
	if code := c.do("POST", "/dev/channels/"+id+"/uninstall", nil, nil); code != 200 {
		t.Fatalf("uninstall: %d", code)
	}
	p.step("reload: the banner", chromedp.Navigate(c.base+"/"), chromedp.WaitVisible(testID("reauth-"+id)))
	p.step("re-authorize", chromedp.Click(testID("reauth-"+id)))
	allow("re-authorize")
	waitPage(p, `location.hash === "#channel=`+id+`" && !document.querySelector('[data-testid="reauth-banner-`+id+`"]') && !!document.querySelector('[data-testid="`+row+`"]')`)
	if got := p.text(row); !strings.Contains(got, "Active") {
		t.Errorf("after re-authorizing the row reads %q", got)
	}

	// Remove, confirmed inside the page.
	p.step("remove",
		chromedp.Click(testID("remove-"+id)),
		chromedp.WaitVisible(testID("remove-confirm-"+id)),
		chromedp.Click(testID("remove-yes-"+id)),
		chromedp.WaitNotPresent(testID(row)))
	if ch := c.channel(id); ch.ID != "" {
		t.Fatalf("the removed channel is still listed: %+v", ch)
	}
}

// waitPage polls expr until true, across navigations.
func waitPage(p page, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr))
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			p.t.Fatalf("wait for %s: %v\npage state: %s", expr, err, p.state())
		}
	}
}
