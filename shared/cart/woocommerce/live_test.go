package woocommerce

import (
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	woosim "github.com/autosync/autosync/shared/simulator/woocommerce"
)

// TestLive runs the read-only contract against a real store (a local
// WordPress with WooCommerce, or a staging site): set
// AUTOSYNC_LIVE_WOOCOMMERCE_URL (https, or http on localhost),
// AUTOSYNC_LIVE_WOOCOMMERCE_KEY and AUTOSYNC_LIVE_WOOCOMMERCE_SECRET (a
// Read/Write REST API key).
func TestLive(t *testing.T) {
	env := carttest.LiveEnv(t, "WooCommerce", []string{
		"AUTOSYNC_LIVE_WOOCOMMERCE_URL", "AUTOSYNC_LIVE_WOOCOMMERCE_KEY", "AUTOSYNC_LIVE_WOOCOMMERCE_SECRET",
	})
	c, err := New(Config{
		BaseURL:        env["AUTOSYNC_LIVE_WOOCOMMERCE_URL"],
		ConsumerKey:    env["AUTOSYNC_LIVE_WOOCOMMERCE_KEY"],
		ConsumerSecret: env["AUTOSYNC_LIVE_WOOCOMMERCE_SECRET"],
	})
	if err != nil {
		t.Fatal(err)
	}
	carttest.Live(t, c)
}

// The live contract holds on the simulator, so a failure against a real
// store is the store's difference, not the contract's.
func TestLiveContractOnSimulator(t *testing.T) {
	t.Setenv(carttest.LiveWriteVar, "1")
	_, c := liveSim(t)
	carttest.Live(t, c)
}

func liveSim(t *testing.T) (*woosim.Server, *Client) {
	sim, c := newSim(t, woosim.Options{})
	for sku := range sim.Links() {
		sim.CreateOrder([]cart.Line{{SKU: sku, Quantity: 1}})
		break
	}
	return sim, c
}
