package devserver

import (
	"context"
	"testing"

	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
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

// An Etsy access token that expires mid-life is renewed with the refresh
// token, and the rotated tokens are saved sealed with the channel.
func TestDemoEtsyTokenRefresh(t *testing.T) {
	c, srv := startDemo(t, 1)
	var chans struct{ Channels []struct{ ID, Type string } }
	c.do("GET", "/v1/channels", nil, &chans)
	etsyID := ""
	for _, ch := range chans.Channels {
		if ch.Type == "etsy" {
			etsyID = ch.ID
		}
	}
	simAny, _ := srv.Simulator(etsyID)
	simAny.(*etsysim.Server).ExpireAccessTokens()
	if runs := c.runOnce("import_orders", etsyID); runs[0].Status != "succeeded" {
		t.Fatalf("import after the token expired: %+v", runs[0])
	}
	creds, err := srv.App.Channels.Credentials(context.Background(), DemoAccount, etsyID)
	if err != nil {
		t.Fatal(err)
	}
	if creds["token"] == "4242.demo" || creds["refresh_token"] == "4242.demo_refresh" || creds["token_expiry"] == "" {
		t.Fatalf("rotated tokens not saved: token changed %v, refresh changed %v, expiry %q",
			creds["token"] != "4242.demo", creds["refresh_token"] != "4242.demo_refresh", creds["token_expiry"])
	}
}
