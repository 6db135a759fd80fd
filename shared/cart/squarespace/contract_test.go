package squarespace

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart/carttest"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
)

// TestContract runs the cart contract against the simulator.
func TestContract(t *testing.T) {
	carttest.Contract(t, carttest.Harness{
		New:        newContractEnv,
		FetchOrder: true,
		// Squarespace has no product fetch by id, and no product webhooks.
		FetchProduct: false,
		Webhooks:     true,
		BatchLimit:   maxOperations, // setFiniteOperations per adjustment
		Window: func(t *testing.T, now func() time.Time) carttest.WindowEnv {
			sim, c := newSim(t, squarespacesim.Options{Now: now})
			return carttest.WindowEnv{Source: c, CreateOrder: func() string { return sim.CreateOrder(nil) }, Requests: func() int { return sim.Stats().Requests }}
		},
	})
}

func newContractEnv(t *testing.T, s carttest.Setup) *carttest.Env {
	skus := make([]string, 80)
	for i := range skus {
		skus[i] = fmt.Sprintf("CT-%04d", i)
	}
	opts := squarespacesim.Options{APIKey: apiKey, SKUs: skus, Now: s.Clock.Now, PerMinute: -1, WebhookDelayUnit: time.Microsecond}
	if s.Throttled {
		opts.PerMinute = 0 // Squarespace's own limit, with its minute's cool-down
	}
	sim := squarespacesim.New(opts)
	t.Cleanup(sim.Close)
	if s.Throttled {
		// Another app of the site tripped the limit.
		sim.SetFaults(squarespacesim.Faults{RateLimitStorm: 1000})
	}
	url := serve(t, sim)
	connect := func(t *testing.T, key string) *Client {
		c, err := New(Config{BaseURL: url, APIKey: key, HTTPClient: s.Client})
		if err != nil {
			t.Fatal(err)
		}
		c.retry = fastRetry
		c.pace = newClient(t, url, key).pace // a pacer of its own that does not pace
		if s.Throttled {
			// The connector waits on the simulator's clock: a cool-down
			// costs no real time.
			onClock(c, s.Clock)
		}
		return c
	}
	const address = "https://autosync.example/webhooks/squarespace/contract"
	return &carttest.Env{
		Conn:           connect(t, apiKey),
		BadCredentials: func(t *testing.T) any { return connect(t, "sqsp_revoked_key") },
		SKUs:           skus,
		Quantities:     sim.Quantities,
		FailSKU:        func(sku string) { sim.FailSKU(sku, 1000) },
		WriteItems:     adjustmentItems,
		CreateOrder:    func() string { return sim.CreateOrder(nil) },
		MissingOrderID: "5f00000000000000000fffff",
		Address:        address,
		Subscriptions: func() int {
			n := 0
			for _, w := range sim.WebhookSubscriptions() {
				if w.EndpointURL == address && slices.Contains(w.Topics, "order.create") {
					n++
				}
			}
			return n
		},
		MissingSubscriptionID: "7aff04bb-90e0-4002-96c2-69d8162c8dae",
	}
}

// adjustmentItems counts the operations of an inventory adjustment.
func adjustmentItems(r carttest.Request) int {
	if !strings.HasSuffix(r.Path, adjustmentsPath) {
		return 0
	}
	var body map[string][]json.RawMessage
	if json.Unmarshal(r.Body, &body) != nil {
		return 0
	}
	n := 0
	for _, ops := range body {
		n += len(ops)
	}
	return n
}
