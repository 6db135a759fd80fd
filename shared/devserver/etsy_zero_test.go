package devserver

import (
	"strings"
	"testing"

	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
)

// TestDemoEtsyZeroStockDeactivates: on the local stack, an Etsy listing
// whose every variation reaches 0 in Autosync ends inactive on Etsy (no
// SKU suspended, nothing offered, orders refused), the products API says
// deactivated, and it is active again with the right quantities when
// stock returns.
func TestDemoEtsyZeroStockDeactivates(t *testing.T) {
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
	sim := simAny.(*etsysim.Server)
	// The demo's Etsy shop sells TEE-S and TEE-M as one listing.
	var tees etsysim.Listing
	for _, l := range sim.Listings() {
		if strings.Join(l.SKUs, ",") == "TEE-S,TEE-M" {
			tees = l
		}
	}
	if tees.ID == "" {
		t.Fatalf("no TEE-S/TEE-M listing in %+v", sim.Listings())
	}
	c.runOnce("import_products", etsyID)
	for _, sku := range tees.SKUs {
		if code := c.do("PUT", "/v1/products/"+sku+"/inventory", map[string]any{"warehouse_id": "wh_default", "on_hand": 0}, nil); code != 200 {
			t.Fatalf("set stock: %d", code)
		}
	}
	runs := c.runOnce("write_inventory", etsyID)
	var detail struct {
		Status string
		Detail []string
	}
	c.do("GET", "/v1/sync/runs/"+runs[0].ID, nil, &detail)
	if detail.Status != "succeeded" || !strings.Contains(strings.Join(detail.Detail, "\n"), "deactivated for want of stock: 1") {
		t.Errorf("run %s %q", detail.Status, detail.Detail)
	}
	if state := listingState(sim, tees.ID); state != "inactive" {
		t.Fatalf("listing %s; want inactive", state)
	}
	q := c.cartQuantities(etsyID)
	for _, sku := range tees.SKUs {
		if n, offered := q[sku]; offered {
			t.Errorf("Etsy still offers %d of %s", n, sku)
		}
	}
	states := channelStates(c, etsyID)
	if states["TEE-S"] != "deactivated" || states["TEE-M"] != "deactivated" {
		t.Errorf("channel states %v", states)
	}
	for sku, s := range states {
		if s == "suspended" {
			t.Errorf("%s suspended", sku)
		}
	}
	if code := c.do("POST", "/dev/channels/"+etsyID+"/orders", map[string]any{"lines": []map[string]any{{"sku": "TEE-M", "quantity": 1}}}, nil); code != 409 {
		t.Errorf("an order against the inactive listing: %d; want 409", code)
	}

	if code := c.do("PUT", "/v1/products/TEE-M/inventory", map[string]any{"warehouse_id": "wh_default", "on_hand": 7}, nil); code != 200 {
		t.Fatalf("set stock: %d", code)
	}
	c.runOnce("write_inventory", etsyID)
	if state := listingState(sim, tees.ID); state != "active" {
		t.Fatalf("listing %s; want active", state)
	}
	var want int
	for _, p := range c.products("") {
		if p.SKU == "TEE-M" {
			for _, s := range p.Inventory {
				if s.WarehouseID == "wh_default" {
					want = s.Available
				}
			}
		}
	}
	if q := c.cartQuantities(etsyID); q["TEE-M"] != want || q["TEE-S"] != 0 || want == 0 {
		t.Errorf("Etsy offers TEE-M %d, TEE-S %d; want %d and 0", q["TEE-M"], q["TEE-S"], want)
	}
	if states := channelStates(c, etsyID); states["TEE-S"] == "deactivated" || states["TEE-M"] == "deactivated" {
		t.Errorf("channel states after reactivation %v", states)
	}
}

func listingState(sim *etsysim.Server, id string) string {
	for _, l := range sim.Listings() {
		if l.ID == id {
			return l.State
		}
	}
	return ""
}

// channelStates is each product's state on the channel, from the products
// API.
func channelStates(c client, channel string) map[string]string {
	var page struct {
		Products []struct {
			SKU      string
			Channels []struct {
				ChannelID string `json:"channel_id"`
				State     string
			}
		}
	}
	c.do("GET", "/v1/products?limit=200&channel_id="+channel, nil, &page)
	out := map[string]string{}
	for _, p := range page.Products {
		for _, ch := range p.Channels {
			if ch.ChannelID == channel {
				out[p.SKU] = ch.State
			}
		}
	}
	return out
}

// TestDemoEtsyNothingOfferedAtZero is the oversell measurement: with every
// SKU at 0 available in Autosync, one write-back leaves Etsy offering 0
// units of them (before: Etsy refused the last variation of each listing,
// the SKU was suspended after three runs and the listing kept selling).
func TestDemoEtsyNothingOfferedAtZero(t *testing.T) {
	c, _ := startDemo(t, 1)
	var chans struct{ Channels []struct{ ID, Type string } }
	c.do("GET", "/v1/channels", nil, &chans)
	etsyID := ""
	for _, ch := range chans.Channels {
		if ch.Type == "etsy" {
			etsyID = ch.ID
		}
	}
	c.runOnce("import_products", etsyID)
	for _, sku := range DemoSKUs {
		if code := c.do("PUT", "/v1/products/"+sku+"/inventory", map[string]any{"warehouse_id": "wh_default", "on_hand": 0}, nil); code != 200 {
			t.Fatalf("set stock of %s: %d", sku, code)
		}
	}
	for range 3 {
		if runs := c.runOnce("write_inventory", etsyID); runs[0].Status != "succeeded" {
			t.Fatalf("write inventory: %+v", runs[0])
		}
	}
	offered := 0
	q := c.cartQuantities(etsyID)
	for _, sku := range DemoSKUs {
		offered += q[sku]
	}
	if offered != 0 {
		t.Errorf("Etsy offers %d units of SKUs Autosync has none of: %v", offered, q)
	}
	for sku, s := range channelStates(c, etsyID) {
		if s == "suspended" {
			t.Errorf("%s suspended", sku)
		}
	}
}
