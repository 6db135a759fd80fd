package devserver

import (
	"testing"
)

// TestDemoEveryCart runs every task the capability table offers on every
// demo channel by hand, and checks a stock change reaches Etsy, Squarespace
// and Amazon (issue 5's acceptance), as it does the other carts.
func TestDemoEveryCart(t *testing.T) {
	c, _ := startDemo(t, 1)
	// Every available autosync task runs once by hand on every channel.
	var raw struct {
		Channels []struct {
			Channel struct{ ID, Type string }
			Tasks   []struct {
				Task      string
				Mode      string
				Available bool
			}
		}
	}
	c.do("GET", "/v1/sync", nil, &raw)
	byType := map[string]string{}
	for _, sec := range raw.Channels {
		byType[sec.Channel.Type] = sec.Channel.ID
	}
	if len(byType) != 6 {
		t.Fatalf("demo has %d cart types, want all 6: %v", len(byType), byType)
	}
	ran := 0
	for _, sec := range raw.Channels {
		for _, task := range sec.Tasks {
			if !task.Available || task.Mode != "autosync" {
				continue
			}
			runs := c.runOnce(task.Task, sec.Channel.ID)
			if runs[0].Status != "succeeded" && runs[0].Status != "partial" {
				t.Errorf("%s on %s: %s", task.Task, sec.Channel.Type, runs[0].Status)
			}
			ran++
		}
	}
	if ran < 20 {
		t.Fatalf("only %d tasks ran", ran)
	}
	if code := c.do("PUT", "/v1/products/SOCKS-3PK/inventory", map[string]any{"warehouse_id": "wh_default", "on_hand": 900}, nil); code != 200 {
		t.Fatalf("set stock: %d", code)
	}
	var all []string
	for _, typ := range []string{"etsy", "squarespace", "amazon"} {
		all = append(all, byType[typ])
	}
	c.runOnce("write_inventory", all...)
	var p []product
	for _, pr := range c.products("") {
		if pr.SKU == "SOCKS-3PK" {
			p = append(p, pr)
		}
	}
	if len(p) != 1 {
		t.Fatal("SOCKS-3PK not in the catalog")
	}
	want := 0
	for _, s := range p[0].Inventory {
		if s.WarehouseID == "wh_default" {
			want = s.Available
		}
	}
	if want == 0 {
		t.Fatal("no stock left to push: raise on_hand")
	}
	for _, typ := range []string{"etsy", "squarespace", "amazon"} {
		if got := c.cartQuantities(byType[typ])["SOCKS-3PK"]; got != want {
			t.Errorf("%s shows SOCKS-3PK %d, want %d", typ, got, want)
		}
	}
}
