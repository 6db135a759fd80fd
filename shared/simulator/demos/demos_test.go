package demos

import (
	"context"
	"maps"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/catalog"
)

// TestEveryCartHasADemo: the demo account has one channel per registered
// cart, in the registry's order.
func TestEveryCartHasADemo(t *testing.T) {
	var got []catalog.Cart
	names := map[string]bool{}
	for _, d := range All() {
		got = append(got, d.Cart)
		if d.Name == "" || names[d.Name] || d.New == nil {
			t.Errorf("%s: demo without a name, with a duplicate name or without New", d.Cart)
		}
		names[d.Name] = true
	}
	if want := carts.IDs(); !slices.Equal(got, want) {
		t.Fatalf("demos for %v, registered carts %v", got, want)
	}
}

// TestDemoChannelsConnect: each demo channel passes its driver's
// validation, and the connector its driver builds from it has its
// credentials accepted by the demo's simulator.
func TestDemoChannelsConnect(t *testing.T) {
	for _, demo := range All() {
		t.Run(string(demo.Cart), func(t *testing.T) {
			d, ok := carts.Lookup(demo.Cart)
			if !ok {
				t.Fatalf("no driver for %s", demo.Cart)
			}
			if ps := d.Validate(demo.Config, demo.Credentials); len(ps) > 0 {
				t.Fatalf("demo channel refused by its driver: %+v", ps)
			}
			sim := demo.New([]string{"MUG-BLUE", "TEE-M"})
			if c, ok := sim.(interface{ Close() }); ok {
				defer c.Close()
			}
			ts := httptest.NewServer(sim)
			defer ts.Close()
			cfg := maps.Clone(demo.Config)
			if cfg == nil {
				cfg = cart.Config{}
			}
			cfg["api_base"] = ts.URL
			conn, err := d.New(cart.Build{AccountID: "demo", ChannelID: "ch1", Config: cfg, Credentials: demo.Credentials,
				HTTPClient: carttest.LoopbackClient()})
			if err != nil {
				t.Fatalf("build connector: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := conn.CheckCredentials(ctx); err != nil {
				t.Fatalf("the simulator refused the demo credentials: %v", err)
			}
			offersMatch(t, d.Offers, conn)
			if w, ok := conn.(cart.StockWriter); ok && w.MaxBatch() != d.Limits.StockBatch {
				t.Errorf("the connector writes %d stock updates a call, the driver says %d", w.MaxBatch(), d.Limits.StockBatch)
			}
			// Wrong credentials are refused: the check asks the simulator.
			wrong := maps.Clone(demo.Credentials)
			for k := range wrong {
				wrong[k] = "wrong-" + k
			}
			conn, err = d.New(cart.Build{Config: cfg, Credentials: wrong, HTTPClient: carttest.LoopbackClient()})
			if err != nil {
				t.Fatalf("build connector: %v", err)
			}
			if err := conn.CheckCredentials(ctx); err == nil {
				t.Fatal("the simulator accepted wrong credentials")
			}
		})
	}
}

// offersMatch: the driver offers a task only when its connector has what
// the executor runs the task with (it may have more: WooCommerce lists
// products but offers no image import).
func offersMatch(t *testing.T, offers map[catalog.Task]catalog.Availability, conn cart.Connector) {
	t.Helper()
	_, orders := conn.(cart.OrderSource)
	_, listings := conn.(cart.ListingSource)
	_, stock := conn.(cart.StockWriter)
	_, fbaInv := conn.(cart.FBAInventorySource)
	_, fbaOrders := conn.(cart.FBAOrderSource)
	_, orderFetch := conn.(cart.OrderFetcher)
	_, listingFetch := conn.(cart.ListingFetcher)
	_, subscriber := conn.(cart.Subscriber)
	for task, built := range map[catalog.Task]bool{
		catalog.ImportOrders:        orders,
		catalog.WriteInventory:      stock,
		catalog.ImportProducts:      listings,
		catalog.ImportProductImages: listings,
		catalog.ImportFBAInventory:  fbaInv,
		catalog.ImportFBAOrders:     fbaOrders,
		catalog.InstasyncOrders:     orderFetch && subscriber,
		catalog.InstasyncProducts:   listingFetch && subscriber,
	} {
		if offers[task].Available() && !built {
			t.Errorf("%s is offered but the connector cannot run it", task)
		}
	}
}
