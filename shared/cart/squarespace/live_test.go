package squarespace

import (
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
)

// TestLive runs the read-only contract against a real site (a Squarespace
// trial site with Commerce): set AUTOSYNC_LIVE_SQUARESPACE_TOKEN (an API
// key with Orders, Products and Inventory read/write permissions).
func TestLive(t *testing.T) {
	env := carttest.LiveEnv(t, "Squarespace", []string{"AUTOSYNC_LIVE_SQUARESPACE_TOKEN"})
	c, err := New(Config{APIKey: env["AUTOSYNC_LIVE_SQUARESPACE_TOKEN"]})
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

func liveSim(t *testing.T) (*squarespacesim.Server, *Client) {
	sim, c := newSim(t, squarespacesim.Options{})
	sim.Seed(5, 1)
	for _, sku := range sim.SKUs()[:2] {
		sim.CreateOrder([]cart.Line{{SKU: sku, Quantity: 1}})
	}
	return sim, c
}
