package bigcommerce

import (
	"strconv"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/clock"
	bcsim "github.com/autosync/autosync/shared/simulator/bigcommerce"
)

// TestLive runs the read-only contract against a real store (a BigCommerce
// sandbox store): set AUTOSYNC_LIVE_BIGCOMMERCE_STORE_HASH and
// AUTOSYNC_LIVE_BIGCOMMERCE_TOKEN (an API account token with read/write
// Orders, Products and Information & Settings scopes);
// AUTOSYNC_LIVE_BIGCOMMERCE_LOCATION_ID picks the inventory location.
func TestLive(t *testing.T) {
	env := carttest.LiveEnv(t, "BigCommerce",
		[]string{"AUTOSYNC_LIVE_BIGCOMMERCE_STORE_HASH", "AUTOSYNC_LIVE_BIGCOMMERCE_TOKEN"},
		"AUTOSYNC_LIVE_BIGCOMMERCE_LOCATION_ID")
	loc, _ := strconv.Atoi(env["AUTOSYNC_LIVE_BIGCOMMERCE_LOCATION_ID"])
	c, err := New(Config{
		StoreHash:   env["AUTOSYNC_LIVE_BIGCOMMERCE_STORE_HASH"],
		AccessToken: env["AUTOSYNC_LIVE_BIGCOMMERCE_TOKEN"],
		LocationID:  loc,
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

func liveSim(t *testing.T) (*bcsim.Server, *Client) {
	// Orders a second apart, an hour ago, so the window check has one to
	// bound.
	clk := clock.NewFake(time.Now().Add(-time.Hour).Truncate(time.Second))
	sim, c := newSim(t, bcsim.Options{Now: clk.Now})
	for _, v := range sim.Variants()[:3] {
		sim.CreateOrder([]cart.Line{{SKU: v.SKU, Quantity: 1}})
		clk.Add(time.Second)
	}
	return sim, c
}
