package devserver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
)

// TestConnectCartsInMakeDev: in make dev a merchant connects each of
// these carts through its simulator's consent page, and re-authorizing
// the channel resumes its schedule.
func TestConnectCartsInMakeDev(t *testing.T) {
	c, _ := startDemo(t, 1)
	for _, body := range []map[string]string{
		{"cart": "etsy", "name": "Connected Etsy"},
		{"cart": "squarespace", "name": "Connected Squarespace"},
		{"cart": "amazon", "name": "Connected Amazon", "marketplace_id": "US"},
	} {
		t.Run(body["cart"], func(t *testing.T) {
			var start struct {
				AuthorizeURL string `json:"authorize_url"`
			}
			if code := c.do("POST", "/v1/channels/connect", body, &start); code != http.StatusOK {
				t.Fatalf("connect: %d", code)
			}
			code, loc := follow(t, start.AuthorizeURL)
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
			if code := c.do("POST", "/v1/channels/"+id+"/reauthorize", nil, &start); code != http.StatusOK {
				t.Fatalf("reauthorize: %d", code)
			}
			if code, loc := follow(t, start.AuthorizeURL); code != http.StatusSeeOther || loc != "/#channel="+id {
				t.Fatalf("re-authorization callback: %d %q", code, loc)
			}
			c.do("GET", "/v1/sync", nil, &m)
			if ts := m.task(id, catalog.ImportOrders); !ts.Enabled || ts.NextRunAt == nil {
				t.Fatalf("import orders after re-authorization: %+v", ts)
			}
		})
	}
}
