package etsy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
)

// contractSKUsPerListing groups the contract's SKUs in listings of two, so
// that a refused SKU shares its listing's write with another.
const contractSKUsPerListing = 2

// TestContract runs the cart contract against the simulator. Etsy has no
// order or product fetch by id and no webhooks; those cases skip.
func TestContract(t *testing.T) {
	carttest.Contract(t, carttest.Harness{
		New: newContractEnv,
		// updateListingInventory writes one listing's whole inventory: a
		// request carries the SKUs of one listing.
		BatchLimit: contractSKUsPerListing,
		Window: func(t *testing.T, now func() time.Time) carttest.WindowEnv {
			sim, c := newSim(t, etsysim.Options{Now: now})
			return carttest.WindowEnv{Source: c, CreateOrder: func() string { return sim.CreateOrder(nil) }, Requests: func() int { return sim.Stats().Requests }}
		},
	})
}

func newContractEnv(t *testing.T, s carttest.Setup) *carttest.Env {
	skus := make([]string, 40)
	for i := range skus {
		skus[i] = fmt.Sprintf("CT-%04d", i)
	}
	opts := etsysim.Options{APIKey: apiKey, SharedSecret: secret, Token: token, ShopID: shopID, SKUs: skus,
		SKUsPerListing: contractSKUsPerListing, Now: s.Clock.Now, QPS: roomyQPS, QPD: roomyQPD}
	if s.Throttled {
		// A daily quota of one request, spent below: the next frees in
		// hours.
		opts.QPD, opts.DayBucket = 1, time.Hour
	}
	sim := etsysim.New(opts)
	url := serve(t, sim)
	connect := func(t *testing.T, tok, refresh string) *Client {
		c, err := New(Config{BaseURL: url, APIKey: apiKey, SharedSecret: secret, Token: tok, RefreshToken: refresh, ShopID: fmt.Sprint(shopID), HTTPClient: s.Client})
		if err != nil {
			t.Fatal(err)
		}
		// The connector keeps the real clock: it sleeps in real time.
		c.retry = fastRetry
		return c
	}
	if s.Throttled {
		if _, err := connect(t, token, "").Orders(t.Context(), cart.OrderQuery{}); err != nil {
			t.Fatalf("spending the quota: %v", err)
		}
	}
	return &carttest.Env{
		Conn: connect(t, token, ""),
		// The shop owner revoked the app: the access token has expired
		// (401) and the refresh that would mend it is refused.
		BadCredentials: func(t *testing.T) any {
			refresh := sim.RefreshToken()
			sim.ExpireAccessTokens()
			sim.RevokeRefreshTokens()
			return connect(t, token, refresh)
		},
		SKUs:        skus,
		Quantities:  sim.Quantities,
		FailSKU:     func(sku string) { sim.FailSKU(sku, 1000) },
		WriteItems:  inventoryItems,
		CreateOrder: func() string { return sim.CreateOrder(nil) },
	}
}

// inventoryItems counts the SKUs of an updateListingInventory request.
func inventoryItems(r carttest.Request) int {
	if r.Method != http.MethodPut || !strings.HasSuffix(r.Path, "/inventory") {
		return 0
	}
	var body struct{ Products []struct{ SKU string } }
	if json.Unmarshal(r.Body, &body) != nil {
		return 0
	}
	n := 0
	for _, p := range body.Products {
		if p.SKU != "" {
			n++
		}
	}
	return n
}
