package devserver

import (
	"net/url"
	"testing"
	"time"

	woocommercesim "github.com/autosync/autosync/shared/simulator/woocommerce"
)

type product struct {
	SKU       string
	Inventory []struct {
		WarehouseID string `json:"warehouse_id"`
		OnHand      int    `json:"on_hand"`
		Committed   int
		Available   int
	}
	Channels []struct {
		ChannelID string `json:"channel_id"`
		NeedsSync bool   `json:"needs_sync"`
		Suspended bool
		Quantity  int
	}
}

func (c client) products(query string) []product {
	var out []product
	cursor := ""
	for {
		var page struct {
			Products   []product
			NextCursor *string `json:"next_cursor"`
		}
		path := "/v1/products?limit=200&" + query
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		if code := c.do("GET", path, nil, &page); code != 200 {
			c.t.Fatalf("GET %s: %d", path, code)
		}
		out = append(out, page.Products...)
		if page.NextCursor == nil {
			return out
		}
		cursor = *page.NextCursor
	}
}

// runOnce runs one task once on each channel and waits for every run to end.
func (c client) runOnce(task string, chans ...string) []run {
	c.t.Helper()
	var req []map[string]string
	for _, ch := range chans {
		req = append(req, map[string]string{"channel_id": ch, "task": task})
	}
	var out struct{ Runs []run }
	if code := c.do("POST", "/v1/sync/runs", map[string]any{"runs": req}, &out); code != 202 {
		c.t.Fatalf("sync once %s: %d", task, code)
	}
	done := make([]run, len(out.Runs))
	waitFor(c.t, task+" runs to finish", 60*time.Second, func() bool {
		for i, r := range out.Runs {
			c.do("GET", "/v1/sync/runs/"+r.ID, nil, &done[i])
			if s := done[i].Status; s == "queued" || s == "running" {
				return false
			}
		}
		return true
	})
	for _, r := range done {
		if r.Status == "failed" || r.Status == "skipped" {
			c.t.Fatalf("%s run %s %s (%s): %+v", task, r.ID, r.Status, r.SkipReason2, r.Error)
		}
	}
	return done
}

func (c client) cartQuantities(ch string) map[string]int {
	var out struct{ Quantities map[string]int }
	if code := c.do("GET", "/dev/channels/"+ch+"/inventory", nil, &out); code != 200 {
		c.t.Fatalf("dev inventory: %d", code)
	}
	return out.Quantities
}

// TestDemoInventoryFansOut walks issue 4's "done means" on the local stack:
// three carts selling the same SKUs, orders committing stock, a stock
// change reaching every cart with the reserve applied, and a SKU the cart
// keeps refusing ending up suspended until its quantity changes.
func TestDemoInventoryFansOut(t *testing.T) {
	c, srv := startDemo(t, 1)
	var chans struct{ Channels []struct{ ID, Type string } }
	c.do("GET", "/v1/channels", nil, &chans)
	ids := map[string]string{}
	var all []string
	for _, ch := range chans.Channels {
		ids[ch.Type] = ch.ID
		if ch.Type == "shopify" || ch.Type == "bigcommerce" || ch.Type == "woocommerce" {
			all = append(all, ch.ID)
		}
	}
	if len(all) != 3 {
		t.Fatalf("demo channels %v", ids)
	}
	c.runOnce("import_products", all...)
	c.runOnce("import_orders", all...)

	// Orders committed stock.
	committed := 0
	for _, p := range c.products("") {
		for _, s := range p.Inventory {
			committed += s.Committed
		}
	}
	if committed == 0 {
		t.Fatal("imported orders committed no stock")
	}

	// Support sets a reserve of 2 on BigCommerce.
	var tok struct{ Token string }
	c.do("POST", "/dev/token", map[string]string{"account_id": DemoAccount, "scope": "autosync/admin"}, &tok)
	admin := client{t: t, base: c.base, token: tok.Token}
	if code := admin.do("PUT", "/v1/admin/accounts/demo/channels/"+ids["bigcommerce"]+"/inventory-policy",
		map[string]any{"warehouses": []string{"wh_default"}, "reserve": 2}, nil); code != 200 {
		t.Fatalf("inventory policy: %d", code)
	}

	// A stock change flags the SKU for every channel.
	var mug product
	if code := c.do("PUT", "/v1/products/MUG-BLUE/inventory", map[string]any{"warehouse_id": "wh_default", "on_hand": 50}, &mug); code != 200 {
		t.Fatalf("set stock: %d", code)
	}
	flagged := map[string]bool{}
	for _, ch := range mug.Channels {
		flagged[ch.ChannelID] = ch.NeedsSync
	}
	for _, ch := range all {
		if !flagged[ch] {
			t.Errorf("MUG-BLUE not in Needs Sync for %s: %+v", ch, mug.Channels)
		}
	}

	c.runOnce("write_inventory", all...)
	if left := c.products("filter=needs_sync"); len(left) != 0 {
		t.Fatalf("%d products still in Needs Sync after write-back, e.g. %+v", len(left), left[0])
	}
	avail := mug.Inventory[0].Available
	for typ, ch := range ids {
		if typ != "shopify" && typ != "bigcommerce" && typ != "woocommerce" {
			continue
		}
		want := avail
		if typ == "bigcommerce" {
			want = max(avail-2, 0)
		}
		if got := c.cartQuantities(ch)["MUG-BLUE"]; got != want {
			t.Errorf("%s shows MUG-BLUE %d, want %d", typ, got, want)
		}
	}

	// WooCommerce refuses TEE-M three times: it is suspended there, and a
	// new quantity brings it back.
	simAny, _ := srv.Simulator(ids["woocommerce"])
	simAny.(*woocommercesim.Server).FailSKU("TEE-M", 3)
	setStock := func(n int) {
		if code := c.do("PUT", "/v1/products/TEE-M/inventory", map[string]any{"warehouse_id": "wh_default", "on_hand": n}, nil); code != 200 {
			t.Fatalf("set TEE-M: %d", code)
		}
	}
	setStock(500)
	for i := 0; i < 3; i++ {
		runs := c.runOnce("write_inventory", ids["woocommerce"])
		if runs[0].Status != "partial" {
			t.Fatalf("write-back %d with a refused SKU: %s", i+1, runs[0].Status)
		}
	}
	suspended := c.products("filter=sync_suspended&channel_id=" + ids["woocommerce"])
	if len(suspended) != 1 || suspended[0].SKU != "TEE-M" {
		t.Fatalf("sync_suspended = %v", skus(suspended))
	}
	if n := len(c.products("filter=needs_sync&channel_id=" + ids["woocommerce"])); n != 0 {
		t.Fatalf("a suspended SKU stays out of Needs Sync; %d there", n)
	}
	setStock(501)
	back := c.products("filter=needs_sync&channel_id=" + ids["woocommerce"])
	if len(back) != 1 || back[0].SKU != "TEE-M" {
		t.Fatalf("after a change, needs_sync = %v", skus(back))
	}
	c.runOnce("write_inventory", ids["woocommerce"])
	if got := c.cartQuantities(ids["woocommerce"])["TEE-M"]; got <= 0 {
		t.Fatalf("TEE-M in WooCommerce: %d", got)
	}
}

func skus(ps []product) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.SKU)
	}
	return out
}
