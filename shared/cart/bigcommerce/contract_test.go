package bigcommerce

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart/carttest"
	bcsim "github.com/autosync/autosync/shared/simulator/bigcommerce"
)

// TestContract runs the cart contract against the simulator.
func TestContract(t *testing.T) {
	carttest.Contract(t, carttest.Harness{
		New:          newContractEnv,
		FetchOrder:   true,
		FetchProduct: true,
		Webhooks:     true,
		BatchLimit:   bcsim.MaxAdjustmentItems, // items per adjustment payload
		Window: func(t *testing.T, now func() time.Time) carttest.WindowEnv {
			sim, c := newSim(t, bcsim.Options{Now: now})
			return carttest.WindowEnv{Source: c, CreateOrder: func() string { return sim.CreateOrder(nil) }, Requests: func() int { return sim.Stats().Requests }}
		},
	})
}

func newContractEnv(t *testing.T, s carttest.Setup) *carttest.Env {
	skus := make([]string, 120)
	for i := range skus {
		skus[i] = fmt.Sprintf("CT-%04d", i)
	}
	opts := bcsim.Options{AccessToken: token, StoreHash: hash, SKUs: skus, Now: s.Clock.Now, Limit: roomy, WebhookDelayUnit: time.Microsecond}
	if s.Throttled {
		opts.Limit = bcsim.Limit{Requests: 1, Window: time.Hour}
	}
	sim := bcsim.New(opts)
	t.Cleanup(sim.Close)
	if s.Throttled {
		// Other apps spent the hour's quota.
		sim.SetFaults(bcsim.Faults{RateLimitStorm: 1000})
	}
	url := serve(t, sim)
	connect := func(t *testing.T, tok string) *Client {
		c, err := New(Config{StoreHash: hash, BaseURL: url, AccessToken: tok, HTTPClient: s.Client})
		if err != nil {
			t.Fatal(err)
		}
		// The connector keeps the real clock: it sleeps in real time.
		c.retry = fastRetry
		c.pacer.margin = fastRetry.paceMargin
		return c
	}
	const address = "https://autosync.example/webhooks/bigcommerce/contract"
	return &carttest.Env{
		Conn:           connect(t, token),
		BadCredentials: func(t *testing.T) any { return connect(t, "bc_revoked_token") },
		SKUs:           skus,
		Quantities:     sim.Quantities,
		FailSKU:        func(sku string) { sim.FailSKU(sku, 1000) },
		WriteItems:     adjustmentItems,
		CreateOrder:    func() string { return sim.CreateOrder(nil) },
		MissingOrderID: "999999", MissingProductID: "999999",
		Address: address,
		Subscriptions: func() int {
			n := 0
			for _, h := range sim.Hooks() {
				if h.Destination == address && strings.HasPrefix(h.Scope, "store/order/") {
					n++
				}
			}
			return n
		},
		MissingSubscriptionID: "999999",
	}
}

// adjustmentItems counts the items of an absolute inventory adjustment.
func adjustmentItems(r carttest.Request) int {
	if !strings.HasSuffix(r.Path, "/v3/inventory/adjustments/absolute") {
		return 0
	}
	var body struct{ Items []json.RawMessage }
	if json.Unmarshal(r.Body, &body) != nil {
		return 0
	}
	return len(body.Items)
}
