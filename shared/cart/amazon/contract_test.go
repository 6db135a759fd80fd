package amazon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

// TestContract runs the cart contract against the simulator. Amazon has
// no order or product fetch by id and no webhooks; those cases skip. Its
// FBA inventory and orders take the re-authorization and rate-limit cases. Its
// order window is the same contract, read once an update is two minutes
// old (searchOrders' lastUpdatedBefore must trail the request so).
func TestContract(t *testing.T) {
	carttest.Contract(t, carttest.Harness{
		New: newContractEnv,
		FBA: true,
		// A patch sets one SKU; a JSON_LISTINGS_FEED document takes up to
		// listings-feed-schema-v2's maxItems messages.
		BatchLimit: amazonsim.MaxFeedMessages,
		Window: func(t *testing.T, now func() time.Time) carttest.WindowEnv {
			sim := amazonsim.New(amazonsim.Options{Now: now})
			ts := httptest.NewServer(sim)
			t.Cleanup(ts.Close)
			c := contractClient(t, sim, ts.URL, now, nil, nil, amazonsim.DefaultRefreshToken)
			return carttest.WindowEnv{Source: c, CreateOrder: func() string { return sim.CreateOrder(nil) },
				Requests: func() int { return sim.Stats().Requests }, Settle: 2 * time.Minute}
		},
	})
}

func contractClient(t *testing.T, sim *amazonsim.Server, url string, now func() time.Time, sleep func(context.Context, time.Duration) error, hc *http.Client, refresh string) *Client {
	t.Helper()
	c, err := New(Config{
		Endpoint: url, LWAEndpoint: url + "/auth/o2/token",
		ClientID: amazonsim.DefaultClientID, ClientSecret: amazonsim.DefaultClientSecret, RefreshToken: refresh,
		SellerID: sim.SellerID(), MarketplaceID: sim.MarketplaceID(),
		Now: now, Sleep: sleep, HTTPClient: hc,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newContractEnv(t *testing.T, s carttest.Setup) *carttest.Env {
	// More SKUs than DefaultFeedThreshold: a whole push goes as a feed,
	// while the contract's smaller calls go as patches.
	skus := make([]string, DefaultFeedThreshold+30)
	for i := range skus {
		skus[i] = fmt.Sprintf("CT-%04d", i)
	}
	opts := amazonsim.Options{SKUs: skus, Now: s.Clock.Now}
	if s.Throttled {
		// A token every 1000 s, a burst of one: spent below.
		opts.Limits = map[string]amazonsim.Limit{}
		for _, op := range []string{amazonsim.OpSearchOrders, amazonsim.OpSearchListingsItems, amazonsim.OpPatchListingsItem,
			amazonsim.OpGetInventorySummaries, amazonsim.OpCreateFeedDocument, amazonsim.OpCreateFeed, amazonsim.OpGetFeed, amazonsim.OpGetFeedDocument} {
			opts.Limits[op] = amazonsim.Limit{Rate: 0.001, Burst: 1}
		}
	}
	sim := amazonsim.New(opts)
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	connect := func(t *testing.T, refresh string) *Client {
		return contractClient(t, sim, ts.URL, s.Clock.Now, s.Clock.Sleep, s.Client, refresh)
	}
	c := connect(t, amazonsim.DefaultRefreshToken)
	if s.Throttled {
		// Each operation's one token spent by the connector itself, whose
		// answers carry x-amzn-RateLimit-Limit: Amazon's 429 names no
		// wait, so the rate is how the connector knows the next token is
		// 1000 s away.
		now := s.Clock.Now()
		if _, err := c.Orders(t.Context(), cart.OrderQuery{UpdatedFrom: now.Add(-24 * time.Hour), UpdatedTo: now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Listings(t.Context(), cart.ListingQuery{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.FBAInventory(t.Context(), time.Time{}, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: skus[0], Quantity: 3}}); err != nil {
			t.Fatal(err)
		}
	}
	return &carttest.Env{
		Conn:           c,
		BadCredentials: func(t *testing.T) any { return connect(t, "Atzr|revoked-refresh-token") },
		SKUs:           skus,
		Quantities:     sim.Quantities,
		FailSKU:        func(sku string) { sim.FailSKU(sku, 1000) },
		WriteItems:     listingsWrites,
		CreateOrder:    func() string { return sim.CreateOrder(nil) },
	}
}

// listingsWrites counts the SKUs a request sets: one for a
// patchListingsItem, the messages of an uploaded feed document.
func listingsWrites(r carttest.Request) int {
	switch {
	case r.Method == http.MethodPatch && strings.Contains(r.Path, "/listings/2021-08-01/items/"):
		return 1
	case r.Method == http.MethodPut && strings.HasPrefix(r.Path, "/feed-uploads/"):
		var doc struct{ Messages []json.RawMessage }
		if json.Unmarshal(r.Body, &doc) != nil {
			return 0
		}
		return len(doc.Messages)
	}
	return 0
}
