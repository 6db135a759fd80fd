package woocommerce

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart/carttest"
	woosim "github.com/autosync/autosync/shared/simulator/woocommerce"
)

// TestContract runs the cart contract against the simulator.
func TestContract(t *testing.T) {
	carttest.Contract(t, carttest.Harness{
		New:          newContractEnv,
		FetchOrder:   true,
		FetchProduct: true,
		Webhooks:     true,
		BatchLimit:   perPage, // woocommerce_rest_batch_items_limit
		Window: func(t *testing.T, now func() time.Time) carttest.WindowEnv {
			sim, c := newSim(t, woosim.Options{Now: now})
			return carttest.WindowEnv{Source: c, CreateOrder: func() string { return sim.CreateOrder(nil) }, Requests: func() int { return sim.Stats().Requests }}
		},
	})
}

func newContractEnv(t *testing.T, s carttest.Setup) *carttest.Env {
	// Simple products and, last, the variations of variable ones: the
	// contract pushes the SKUs in reverse, so one call goes to both kinds
	// of batch.
	var skus []string
	for i := range 110 {
		skus = append(skus, fmt.Sprintf("CT%04d", i))
	}
	for _, p := range []string{"TEE", "CAP"} {
		for _, v := range []string{"S", "M", "L"} {
			skus = append(skus, p+"-"+v)
		}
	}
	opts := woosim.Options{ConsumerKey: testKey, ConsumerSecret: testSecret, SKUs: skus, Now: s.Clock.Now, WebhookDelayUnit: time.Microsecond}
	if s.Throttled {
		// One request every 100 s, none left: the host's Retry-After
		// outlasts the contract's deadline.
		opts.RateLimit = woosim.RateLimit{PerSecond: 0.01, Burst: 1, StartEmpty: true}
	}
	sim := woosim.New(opts)
	t.Cleanup(sim.Close)
	url := serve(t, sim)
	connect := func(t *testing.T, key string) *Client {
		c, err := New(Config{BaseURL: url, ConsumerKey: key, ConsumerSecret: testSecret, HTTPClient: s.Client})
		if err != nil {
			t.Fatal(err)
		}
		// The connector keeps the real clock: it sleeps in real time.
		c.retry = fastRetry
		return c
	}
	const address = "https://autosync.example/webhooks/woocommerce/contract"
	return &carttest.Env{
		Conn:           connect(t, testKey),
		BadCredentials: func(t *testing.T) any { return connect(t, "ck_revoked0000000000000000000000000000000") },
		SKUs:           skus,
		Quantities:     sim.Quantities,
		FailSKU:        func(sku string) { sim.FailSKU(sku, 1000) },
		WriteItems:     batchItems,
		CreateOrder:    func() string { return sim.CreateOrder(nil) },
		MissingOrderID: "999999", MissingProductID: "999999",
		Address: address,
		Subscriptions: func() int {
			n := 0
			for _, w := range sim.Webhooks() {
				if w.DeliveryURL == address && w.Topic == "order.created" {
					n++
				}
			}
			return n
		},
		MissingSubscriptionID: "999998 999999",
	}
}

// batchItems counts the updates of a products or variations batch.
func batchItems(r carttest.Request) int {
	if !strings.HasSuffix(r.Path, "/batch") {
		return 0
	}
	var body struct{ Update []json.RawMessage }
	if json.Unmarshal(r.Body, &body) != nil {
		return 0
	}
	return len(body.Update)
}
