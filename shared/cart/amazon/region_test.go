package amazon

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/amazon/region"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

// TestRegionHosts is the finding of issue 9: a UK and a Japanese seller
// were sent to the North America host. Each channel's calls must go to
// its marketplace's region host (Login with Amazon being global), where
// the simulator of that region serves them.
func TestRegionHosts(t *testing.T) {
	clock := amazonsim.NewClock(start)
	skus := skuList(120, "R")
	g := amazonsim.NewGlobal(amazonsim.Options{Now: clock.Now, SKUs: skus}, "A1F83G8C2ARO7P", "A1VC38T7YXB528")
	for _, tc := range []struct {
		market  string
		sandbox bool
		host    string
	}{
		{"A1F83G8C2ARO7P", false, "sellingpartnerapi-eu.amazon.com"},
		{"A1VC38T7YXB528", false, "sellingpartnerapi-fe.amazon.com"},
		{"A1VC38T7YXB528", true, "sandbox.sellingpartnerapi-fe.amazon.com"},
		{"ATVPDKIKX0DER", false, "sellingpartnerapi-na.amazon.com"},
	} {
		m, _ := region.Lookup(tc.market)
		sim := g.Server(m.Region)
		id := sim.CreateOrder([]cart.Line{{SKU: skus[0], Quantity: 2}})
		sim.SetFBAQuantity(skus[1], 7)
		before := len(g.Hosts())
		c, err := New(Config{ClientID: amazonsim.DefaultClientID, ClientSecret: amazonsim.DefaultClientSecret, RefreshToken: amazonsim.DefaultRefreshToken,
			SellerID: amazonsim.DefaultSellerID, MarketplaceID: tc.market, Sandbox: tc.sandbox, HTTPClient: g.Client(), Now: clock.Now, Sleep: clock.Sleep})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		clock.Add(10 * time.Minute) // searchOrders reads up to two minutes ago
		page, err := c.Orders(ctx, cart.OrderQuery{UpdatedFrom: start.AddDate(0, 0, -60), UpdatedTo: clock.Now()})
		if err != nil || !slices.ContainsFunc(page.Orders, func(o cart.Order) bool { return o.ExternalID == id }) {
			t.Fatalf("%s orders: %+v %v", tc.market, page, err)
		}
		stock, err := c.FBAInventory(ctx, time.Time{}, "")
		if err != nil || !slices.ContainsFunc(stock.Items, func(s cart.FBAStock) bool { return s.SKU == skus[1] && s.Fulfillable == 7 }) {
			t.Fatalf("%s FBA: %+v %v", tc.market, stock, err)
		}
		res, err := c.SetStock(ctx, []cart.StockUpdate{{SKU: skus[2], Quantity: 4}})
		if err != nil || res[0].Err != nil || sim.Quantities()[skus[2]] != 4 {
			t.Fatalf("%s stock: %+v %v", tc.market, res, err)
		}
		if tc.market == "A1F83G8C2ARO7P" { // a push of 100+ SKUs is a feed
			ups := pushOf(skus, func(i int) int { return i + 1 })
			res, err := c.SetStock(ctx, ups)
			if err != nil {
				t.Fatalf("%s feed: %v", tc.market, err)
			}
			checkPushedTo(t, sim, ups, res)
			if st := sim.Stats(); st.Feeds != 1 || st.DocumentTransfers < 2 {
				t.Errorf("%s: %d feeds, %d document transfers", tc.market, st.Feeds, st.DocumentTransfers)
			}
		}
		hosts := g.Hosts()[before:]
		if hosts[0] != amazonsim.LWAHost {
			t.Errorf("%s: token from %s, want %s", tc.market, hosts[0], amazonsim.LWAHost)
		}
		for _, h := range hosts[1:] {
			if h != tc.host {
				t.Errorf("%s: a call went to %s, want %s (all: %v)", tc.market, h, tc.host, hosts)
			}
		}
	}
}

// TestForeignRegionRefused: the simulator of a region refuses a
// marketplace another region serves, as Amazon does, and the connector
// reports it instead of reading nothing.
func TestForeignRegionRefused(t *testing.T) {
	g := amazonsim.NewGlobal(amazonsim.Options{}, "A1F83G8C2ARO7P")
	c, err := New(Config{ClientID: amazonsim.DefaultClientID, ClientSecret: amazonsim.DefaultClientSecret, RefreshToken: amazonsim.DefaultRefreshToken,
		SellerID: amazonsim.DefaultSellerID, MarketplaceID: "A1F83G8C2ARO7P", HTTPClient: g.Client(),
		Endpoint: region.NorthAmerica.Endpoint(false)}) // a wrong host forced
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.FBAInventory(context.Background(), time.Time{}, "")
	var ce *cart.Error
	if !errors.As(err, &ce) || ce.Status != 403 || !strings.Contains(ce.Message, "not valid for region") {
		t.Fatalf("UK marketplace on the NA host: %v", err)
	}
	if n := g.Server(region.NorthAmerica).Stats().ForeignMarketplace; n == 0 {
		t.Error("the NA simulator did not count a foreign marketplace")
	}
	if _, err := New(Config{ClientID: "i", ClientSecret: "s", RefreshToken: "r", SellerID: "A1SELLER", MarketplaceID: "A1F83G8C2ARO7P", Region: "fe"}); err == nil ||
		!strings.Contains(err.Error(), "Europe") {
		t.Errorf("UK marketplace in region fe: %v", err)
	}
}

func checkPushedTo(t *testing.T, sim *amazonsim.Server, ups []cart.StockUpdate, res []cart.StockResult) {
	t.Helper()
	q := sim.Quantities()
	for i, u := range ups {
		if res[i].Err != nil || q[u.SKU] != u.Quantity {
			t.Fatalf("%s: %+v, simulator %d", u.SKU, res[i], q[u.SKU])
		}
	}
}
