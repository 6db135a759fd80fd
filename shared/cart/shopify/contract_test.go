package shopify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart/carttest"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

// TestContract runs the cart contract against the simulator.
func TestContract(t *testing.T) {
	carttest.Contract(t, carttest.Harness{
		New:          newContractEnv,
		FetchOrder:   true,
		FetchProduct: true,
		Webhooks:     true,
		BatchLimit:   maxStockBatch, // inventorySetQuantities: 250 quantities
		Window: func(t *testing.T, now func() time.Time) carttest.WindowEnv {
			sim, c := newSim(t, shopifysim.Options{Now: now})
			return carttest.WindowEnv{Source: c, CreateOrder: func() string { return sim.CreateOrder(nil) }, Requests: func() int { return sim.Stats().Requests }}
		},
	})
}

func newContractEnv(t *testing.T, s carttest.Setup) *carttest.Env {
	skus := make([]string, maxStockBatch+10)
	for i := range skus {
		skus[i] = fmt.Sprintf("CT-%04d", i)
	}
	opts := shopifysim.Options{AccessToken: token, Plan: roomy, Now: s.Clock.Now, SKUs: skus, WebhookDelayUnit: time.Microsecond}
	if s.Throttled {
		// A point every ten seconds from an empty bucket: the cheapest
		// call waits longer than the contract's deadline.
		opts.Plan, opts.StartEmpty = shopifysim.Plan{MaximumAvailable: 2000, RestoreRate: 0.1}, true
	}
	sim := shopifysim.New(opts)
	t.Cleanup(sim.Close)
	sim.Seed(0, 1)
	url := serve(t, sim)
	connect := func(t *testing.T, tok string) *Client {
		c, err := New(Config{Shop: "demo.myshopify.com", BaseURL: url, AccessToken: tok, HTTPClient: s.Client})
		if err != nil {
			t.Fatal(err)
		}
		// The connector keeps the real clock: it sleeps in real time.
		c.retry = fastRetry
		return c
	}
	const address = "https://autosync.example/webhooks/shopify/contract"
	return &carttest.Env{
		Conn:           connect(t, token),
		BadCredentials: func(t *testing.T) any { return connect(t, "shpat_revoked") },
		SKUs:           skus,
		Quantities:     sim.Quantities,
		FailSKU:        func(sku string) { sim.FailSKU(sku, 1000) },
		WriteItems:     setQuantitiesItems,
		CreateOrder:    func() string { return sim.CreateOrder(nil) },
		MissingOrderID: "5100999999", MissingProductID: "8800999999",
		Address: address,
		Subscriptions: func() int {
			n := 0
			for _, s := range sim.WebhookSubscriptions() {
				if s.CallbackURL == address && s.Topic == "ORDERS_CREATE" {
					n++
				}
			}
			return n
		},
		MissingSubscriptionID: "gid://shopify/WebhookSubscription/999999001 gid://shopify/WebhookSubscription/999999002",
	}
}

// setQuantitiesItems counts the quantities an inventorySetQuantities
// request sets.
func setQuantitiesItems(r carttest.Request) int {
	var body struct {
		Query     string
		Variables struct {
			Input struct {
				Quantities []json.RawMessage
			}
		}
	}
	if json.Unmarshal(r.Body, &body) != nil || !strings.Contains(body.Query, "inventorySetQuantities") {
		return 0
	}
	return len(body.Variables.Input.Quantities)
}
