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
