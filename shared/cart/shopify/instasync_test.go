package shopify

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
	"github.com/autosync/autosync/shared/webhook/webhooktest"
)

const clientSecret = "shpss_connector_test_secret"

// hookSim is a simulator that signs with clientSecret, retries at once and
// stops delivering when the test ends.
func hookSim(t *testing.T) (*shopifysim.Server, *Client) {
	t.Helper()
	sim, c := newSim(t, shopifysim.Options{ClientSecret: clientSecret, WebhookDelayUnit: time.Microsecond})
	t.Cleanup(sim.Close)
	return sim, c
}

func TestOrderByID(t *testing.T) {
	sim, c := hookSim(t)
	sim.Seed(20, 1)
	id := sim.CreateOrder([]cart.Line{{SKU: "SKU-0002", Quantity: 3}})
	want := carttest.Orders(t, c, everything())
	var fromList cart.Order
	for _, o := range want {
		if o.ExternalID == id {
			fromList = o
		}
	}
	for _, ref := range []string{id, "gid://shopify/Order/" + id} {
		got, err := c.Order(t.Context(), ref)
		if err != nil {
			t.Fatalf("Order(%s): %v", ref, err)
		}
		if !reflect.DeepEqual(got, fromList) {
			t.Errorf("Order(%s) = %+v\nOrders gave %+v", ref, got, fromList)
		}
	}
	if err := sim.CancelOrder(id); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Order(t.Context(), id); err != nil || got.Filter != cart.Cancelled {
		t.Errorf("cancelled order: %+v %v", got, err)
	}
	for _, missing := range []string{"5100999999", "gid://shopify/Order/5100999999", "abc", "", "gid://shopify/Product/1"} {
		_, err := c.Order(t.Context(), missing)
		if !errors.Is(err, cart.ErrNotFound) {
			t.Errorf("Order(%q) = %v; want cart.ErrNotFound", missing, err)
		}
	}
}

func TestOrderByIDWithManyLines(t *testing.T) {
	sim, c := hookSim(t)
	var lines []cart.Line
	for i := range 13 {
		lines = append(lines, cart.Line{SKU: fmt.Sprintf("SKU-%04d", i+1), Quantity: i + 1})
	}
	id := sim.CreateOrder(lines)
	got, err := c.Order(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Lines, lines) {
		t.Errorf("lines %+v; want %+v", got.Lines, lines)
	}
}

func TestProductListings(t *testing.T) {
	sim, c := hookSim(t)
	sim.Seed(0, 3)
	var variants []shopifysim.NewVariant
	for i := range 20 {
		variants = append(variants, shopifysim.NewVariant{SKU: fmt.Sprintf("BIG-%02d", i), Available: i})
	}
	var images []string
	for i := range 8 {
		images = append(images, fmt.Sprintf("https://cdn.example/big-%d.png", i))
	}
	big := sim.AddProduct(shopifysim.NewProduct{Title: "Big", Variants: variants, Images: images})
	everyListing := carttest.Listings(t, c, cart.ListingQuery{})
	for _, p := range sim.Products() {
		var want []cart.Listing
		for _, l := range everyListing {
			if l.Link.ProductID == p.GID {
				want = append(want, l)
			}
		}
		got, err := c.ProductListings(t.Context(), p.ID)
		if err != nil {
			t.Fatalf("ProductListings(%s): %v", p.ID, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ProductListings(%s) = %+v\nListings gave %+v", p.ID, got, want)
		}
	}
	got, err := c.ProductListings(t.Context(), big.GID)
	if err != nil || len(got) != 20 || len(got[19].Images) != 8 || got[19].SKU != "BIG-19" || *got[19].Quantity != 19 {
		t.Errorf("big product: %d listings, %v", len(got), err)
	}
	for _, missing := range []string{"8800999999", "gid://shopify/Product/8800999999", "x"} {
		if _, err := c.ProductListings(t.Context(), missing); !errors.Is(err, cart.ErrNotFound) {
			t.Errorf("ProductListings(%q) = %v; want cart.ErrNotFound", missing, err)
		}
	}
}

func TestSubscribeDeliversSignedWebhooks(t *testing.T) {
	sim, c := hookSim(t)
	rc := webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/shopify/ch1"})
	addr := rc.URL
	sub, err := c.Subscribe(t.Context(), cart.TopicOrders, addr, "a secret Shopify does not use")
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(sub.ID)
	if len(ids) != 2 || sub.Secret != "" {
		t.Fatalf("subscription %+v; want two ids and no secret", sub)
	}
	subs := sim.WebhookSubscriptions()
	if len(subs) != 2 || subs[0].ID != ids[0] || subs[0].Topic != "ORDERS_CREATE" || subs[1].ID != ids[1] ||
		subs[1].Topic != "ORDERS_UPDATED" || subs[0].CallbackURL != addr || subs[0].Format != "JSON" {
		t.Errorf("simulator holds %+v", subs)
	}

	id := sim.CreateOrder(nil)
	a := rc.Next(t)
	d, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(clientSecret), time.Now())
	if err != nil || d.Topic != cart.TopicOrders || d.ResourceID != id {
		t.Fatalf("delivery %+v %v", d, err)
	}
	// The webhook is a signal: the order comes from the API.
	if o, err := c.Order(t.Context(), d.ResourceID); err != nil || o.ExternalID != id {
		t.Errorf("Order(%s) = %+v %v", d.ResourceID, o, err)
	}
	if err := sim.FulfillOrder(id); err != nil {
		t.Fatal(err)
	}
	a = rc.Next(t)
	if d, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(clientSecret), time.Now()); err != nil ||
		d.ResourceID != id || a.Header.Get("X-Shopify-Topic") != "orders/updated" {
		t.Errorf("update delivery %+v %v", d, err)
	}

	// Subscribing again (an answer was lost) takes the subscriptions over.
	again, err := c.Subscribe(t.Context(), cart.TopicOrders, addr, "")
	if err != nil || again.ID != sub.ID {
		t.Errorf("second Subscribe = %+v %v; want %q", again, err, sub.ID)
	}

	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Fatal(err)
	}
	if subs := sim.WebhookSubscriptions(); len(subs) != 0 {
		t.Errorf("left %+v", subs)
	}
	sim.CreateOrder(nil)
	webhooktest.Drain(t, sim)
	if rc.Pending() != 0 {
		t.Error("delivered after Unsubscribe")
	}
	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Errorf("Unsubscribe of missing subscriptions: %v", err)
	}
	if err := c.Unsubscribe(t.Context(), ""); err != nil {
		t.Errorf("Unsubscribe(\"\"): %v", err)
	}
	if err := c.Unsubscribe(t.Context(), "17"); err == nil {
		t.Error("Unsubscribe of a malformed id succeeded")
	}
}

func TestSubscribeProducts(t *testing.T) {
	sim, c := hookSim(t)
	rc := webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/shopify/ch1"})
	addr := rc.URL
	sub, err := c.Subscribe(t.Context(), cart.TopicProducts, addr, "")
	if err != nil {
		t.Fatal(err)
	}
	subs := sim.WebhookSubscriptions()
	if len(subs) != 2 || subs[0].Topic != "PRODUCTS_CREATE" || subs[1].Topic != "PRODUCTS_UPDATE" {
		t.Fatalf("simulator holds %+v", subs)
	}
	pid := sim.CreateProduct("HOOK-1", 4)
	a := rc.Next(t)
	d, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(clientSecret), time.Now())
	if err != nil || d.Topic != cart.TopicProducts || d.ResourceID != pid {
		t.Fatalf("delivery %+v %v", d, err)
	}
	ls, err := c.ProductListings(t.Context(), d.ResourceID)
	if err != nil || len(ls) != 1 || ls[0].SKU != "HOOK-1" || *ls[0].Quantity != 4 {
		t.Errorf("ProductListings = %+v %v", ls, err)
	}
	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Fatal(err)
	}
	sim.TouchProduct("HOOK-1")
	webhooktest.Drain(t, sim)
	if rc.Pending() != 0 {
		t.Error("delivered after Unsubscribe")
	}
}

func TestSubscribeRefused(t *testing.T) {
	_, c := hookSim(t)
	// Shopify wants https (the simulator lets loopback http through).
	_, err := c.Subscribe(t.Context(), cart.TopicOrders, "http://hooks.example/webhooks", "")
	var ce *cart.Error
	if !errors.As(err, &ce) || !strings.Contains(ce.Message, "Address is invalid") {
		t.Errorf("err = %v; want Shopify's userError", err)
	}
	if _, err := c.Subscribe(t.Context(), "refunds", "https://hooks.example/", ""); err == nil {
		t.Error("unknown topic accepted")
	}
	if _, err := c.Subscribe(t.Context(), cart.TopicOrders, "hooks.example", ""); err == nil {
		t.Error("relative address accepted")
	}
}

func TestInstasyncAuth(t *testing.T) {
	sim := shopifysim.New(shopifysim.Options{AccessToken: "the-right-token"})
	t.Cleanup(sim.Close)
	c := newClient(t, serve(t, sim), token)
	ctx := t.Context()
	calls := map[string]func() error{
		"Order":           func() error { _, err := c.Order(ctx, "5100000001"); return err },
		"ProductListings": func() error { _, err := c.ProductListings(ctx, "8800000001"); return err },
		"Subscribe": func() error {
			_, err := c.Subscribe(ctx, cart.TopicOrders, "https://hooks.example/", "")
			return err
		},
		"Unsubscribe": func() error { return c.Unsubscribe(ctx, "gid://shopify/WebhookSubscription/1") },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, cart.ErrAuth) || strings.Contains(err.Error(), token) {
			t.Errorf("%s: %v; want cart.ErrAuth without the token", name, err)
		}
	}
}

func TestInstasyncCostConstants(t *testing.T) {
	sim, c := hookSim(t)
	step := func(name string, want float64, call func() error) {
		t.Helper()
		before := sim.Stats().RequestedCost
		if err := call(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := sim.Stats().RequestedCost - before; got != want {
			t.Errorf("%s requested %v points; the constants say %v", name, got, want)
		}
	}
	id := sim.CreateOrder(nil)
	step("Order", orderNodeCost, func() error { _, err := c.Order(t.Context(), id); return err })
	sim.Seed(0, 1)
	pid := sim.Products()
	// The first listing read looks the primary location up; the simulator
	// charges nothing for the quantities lists the constants count.
	step("ProductListings", primaryLocationCost+productNodeCost-variantsPerProduct*quantitiesCost, func() error { _, err := c.ProductListings(t.Context(), pid[0].ID); return err })
	var sub cart.Subscription
	step("Subscribe", 2*webhookCreateCost, func() (err error) {
		sub, err = c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/w", "")
		return err
	})
	step("Subscribe again", 2*(webhookCreateCost+webhookFindCost), func() error {
		_, err := c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/w", "")
		return err
	})
	step("Unsubscribe", 2*webhookDeleteCost, func() error { return c.Unsubscribe(t.Context(), sub.ID) })
	step("Unsubscribe again", 2*(webhookDeleteCost+webhookGetCost), func() error { return c.Unsubscribe(t.Context(), sub.ID) })
}
