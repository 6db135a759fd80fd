package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAddRenameRemoveInBrowser: Add channel lists the connectable carts
// with their fields, shows the API's problems, and sends the browser to
// the cart's authorization; a channel is renamed in place, and removed only
// after the in-page confirm.
func TestAddRenameRemoveInBrowser(t *testing.T) {
	api := newFakeAPI("test-token")
	b, base, problems := startBrowser(t, api)
	b.do("open the page",
		chromedp.Navigate(base+"/#token=test-token"),
		chromedp.WaitVisible(tid("channel-shop1")))

	// Add channel: a bad shop domain is refused with the API's words.
	b.do("open Add channel",
		chromedp.Click(tid("add-channel")),
		chromedp.WaitVisible(tid("add-field-shop_domain")),
		chromedp.SendKeys(tid("add-name"), "New shop"),
		chromedp.SendKeys(tid("add-field-shop_domain"), "evil.example.com"),
		chromedp.Click(tid("add-connect")),
		chromedp.WaitVisible(tid("add-error")))
	if got := b.text("add-error"); !strings.Contains(got, "myshopify.com domain") {
		t.Errorf("add error reads %q", got)
	}
	if got := evalIn[[]string](b, `[...document.querySelectorAll('[data-testid="add-cart"] option')].map(o => o.textContent)`); strings.Join(got, ",") != "Shopify,BigCommerce" {
		t.Errorf("carts offered %v", got)
	}
	b.do("connect",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="add-field-shop_domain"]').value = ''`),
		chromedp.SendKeys(tid("add-field-shop_domain"), "new-shop.myshopify.com"),
		chromedp.Click(tid("add-connect")),
		chromedp.WaitReady(`body`))
	waitFor(b, `location.pathname === "/consent"`)
	bodies := api.connectBodies()
	if len(bodies) != 2 || bodies[1]["cart"] != "shopify" || bodies[1]["name"] != "New shop" || bodies[1]["shop_domain"] != "new-shop.myshopify.com" {
		t.Fatalf("connect requests %v", bodies)
	}

	// Back on the page: BigCommerce asks for a name only.
	b.do("back", chromedp.Navigate(base+"/"), chromedp.WaitVisible(tid("channel-shop1")),
		chromedp.Click(tid("add-channel")), chromedp.WaitVisible(tid("add-cart")))
	b.do("choose BigCommerce",
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('[data-testid="add-cart"]'); s.value = 'bigcommerce'; s.dispatchEvent(new Event('change')); })()`),
		chromedp.WaitNotPresent(tid("add-field-shop_domain")),
		chromedp.WaitVisible(tid("add-name")))
	b.do("cancel", chromedp.Click(tid("add-cancel")), chromedp.WaitNotVisible(tid("add-channel-panel")))

	// Rename in place.
	b.do("rename",
		chromedp.Click(tid("rename-woo1")),
		chromedp.WaitVisible(tid("rename-input-woo1")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="rename-input-woo1"]').select()`),
		chromedp.SendKeys(tid("rename-input-woo1"), "Wholesale EU"),
		chromedp.Click(tid("rename-save-woo1")),
		chromedp.WaitNotPresent(tid("rename-input-woo1")))
	waitFor(b, `document.querySelector('[data-testid="channel-woo1"]').textContent.includes("Wholesale EU")`)

	// Remove: Keep changes nothing; Remove deletes.
	b.do("remove, keep",
		chromedp.Click(tid("remove-etsy1")),
		chromedp.WaitVisible(tid("remove-confirm-etsy1")),
		chromedp.Click(tid("remove-keep-etsy1")),
		chromedp.WaitNotPresent(tid("remove-confirm-etsy1")))
	if names := strings.Join(api.channelNames(), ","); !strings.Contains(names, "Acme Handmade") {
		t.Fatalf("Keep removed the channel: %s", names)
	}
	b.do("remove",
		chromedp.Click(tid("remove-etsy1")),
		chromedp.WaitVisible(tid("remove-confirm-etsy1")),
		chromedp.Click(tid("remove-yes-etsy1")),
		chromedp.WaitNotPresent(tid("channel-etsy1")))
	if names := strings.Join(api.channelNames(), ","); strings.Contains(names, "Acme Handmade") || !strings.Contains(names, "Wholesale EU") {
		t.Fatalf("channels after rename and remove: %s", names)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("console problems: %v", p)
	}
}

// waitFor polls expr in the page until it is true (at most the step's 30 s).
func waitFor(b browser, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	// A navigation meanwhile destroys the page's context; poll again in
	// the new page.
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr))
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			b.t.Fatalf("wait for %s: %v\npage state: %s", expr, err, b.state())
		}
	}
}
