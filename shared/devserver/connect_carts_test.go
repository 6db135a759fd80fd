package devserver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/simulator"
)

// TestConnectCartsInMakeDev: in make dev a merchant connects each of
// these carts through its simulator's consent page; removing the app at
// the cart (POST /dev/channels/{id}/uninstall: these carts send no
// uninstall notice, so the route asks the cart as the next run would)
// disconnects the channel and deletes its schedule; re-authorizing brings
// it back with its schedule resumed.
func TestConnectCartsInMakeDev(t *testing.T) {
	c, _ := startDemo(t, 1)
	for _, body := range []map[string]string{
		{"cart": "etsy", "name": "Connected Etsy"},
		{"cart": "squarespace", "name": "Connected Squarespace"},
		{"cart": "amazon", "name": "Connected Amazon", "marketplace_id": "US"},
		{"cart": "woocommerce", "name": "Connected WooCommerce", "store_url": "https://connected.example.com"},
	} {
		t.Run(body["cart"], func(t *testing.T) {
			// WooCommerce posts the keys to the callback server to server
			// and sends the browser to the return page; the others send
			// the browser to the callback. Both end on the page with the
			// channel selected, in the browser that started.
			br := browser()
			code, loc := followIn(t, br, startInBrowser(t, c, br, "/v1/channels/connect", body))
			if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/#channel=ch_") {
				t.Fatalf("callback: %d %q", code, loc)
			}
			id := strings.TrimPrefix(loc, "/#channel=")
			if ch := c.channel(id); ch.Status != "active" || ch.Name != body["name"] || ch.Type != body["cart"] {
				t.Fatalf("connected channel %+v", ch)
			}
			var m modal
			c.do("PUT", "/v1/sync", map[string]any{"tasks": []map[string]any{{"channel_id": id, "task": catalog.ImportOrders, "enabled": true}}}, &m)
			if !m.task(id, catalog.ImportOrders).Enabled {
				t.Fatal("import orders not enabled on the connected channel")
			}
			var removed struct {
				Status        string `json:"status"`
				ChannelStatus string `json:"channel_status"`
			}
			if code := c.do("POST", "/dev/channels/"+id+"/uninstall", nil, &removed); code != http.StatusOK || removed.ChannelStatus != "disconnected" {
				t.Fatalf("uninstall: %d %+v", code, removed)
			}
			if ch := c.channel(id); ch.Status != "disconnected" {
				t.Fatalf("after uninstall: %+v", ch)
			}
			c.do("GET", "/v1/sync", nil, &m)
			if ts := m.task(id, catalog.ImportOrders); !ts.Enabled || ts.NextRunAt != nil {
				t.Fatalf("import orders while disconnected: %+v; want kept ticked with no schedule", ts)
			}
			if code, loc := followIn(t, br, startInBrowser(t, c, br, "/v1/channels/"+id+"/reauthorize", nil)); code != http.StatusSeeOther || loc != "/#channel="+id {
				t.Fatalf("re-authorization callback: %d %q", code, loc)
			}
			if ch := c.channel(id); ch.Status != "active" {
				t.Fatalf("after re-authorization: %+v", ch)
			}
			c.do("GET", "/v1/sync", nil, &m)
			if ts := m.task(id, catalog.ImportOrders); !ts.Enabled || ts.NextRunAt == nil {
				t.Fatalf("import orders after re-authorization: %+v", ts)
			}
		})
	}
}

// TestSquarespaceUninstallNoticeInMakeDev: with instasync ticked, the
// channel's webhook subscription takes Squarespace's extension.uninstall;
// the site removing the extension then disconnects the channel through
// that notice alone (the executor asks Squarespace, which refuses the
// refresh token), before any run.
func TestSquarespaceUninstallNoticeInMakeDev(t *testing.T) {
	c, srv := startDemo(t, 1)
	br := browser()
	code, loc := followIn(t, br, startInBrowser(t, c, br, "/v1/channels/connect", map[string]string{"cart": "squarespace", "name": "Noticed Squarespace"}))
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/#channel=ch_") {
		t.Fatalf("callback: %d %q", code, loc)
	}
	id := strings.TrimPrefix(loc, "/#channel=")
	var m modal
	c.do("PUT", "/v1/sync", map[string]any{"tasks": []map[string]any{{"channel_id": id, "task": catalog.InstasyncOrders, "enabled": true}}}, &m)
	if !m.task(id, catalog.InstasyncOrders).Enabled {
		t.Fatal("instasync orders not enabled on the connected channel")
	}
	ch, err := srv.App.Channels.Get(t.Context(), DemoAccount, id)
	if err != nil {
		t.Fatal(err)
	}
	sim, ok := srv.sims.forChannel(ch)
	rm, removable := sim.(simulator.AppRemover)
	if !ok || !removable {
		t.Fatalf("no removable simulator behind %s", id)
	}
	rm.RemoveApp()
	waitFor(t, "the uninstall notice to disconnect the channel", 20*time.Second, func() bool { return c.channel(id).Status == "disconnected" })
	if ch := c.channel(id); !strings.Contains(ch.StatusReason, "no longer holds") {
		t.Fatalf("disconnected channel %+v", ch)
	}
}
