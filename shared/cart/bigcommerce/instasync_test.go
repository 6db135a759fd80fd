package bigcommerce

import (
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	bcsim "github.com/autosync/autosync/shared/simulator/bigcommerce"
	"github.com/autosync/autosync/shared/webhook/webhooktest"
)

const clientSecret = "bc_connector_test_client_secret"

func hookSim(t *testing.T) (*bcsim.Server, *Client) {
	t.Helper()
	sim, c := newSim(t, bcsim.Options{ClientSecret: clientSecret, WebhookDelayUnit: time.Microsecond})
	t.Cleanup(sim.Close)
	return sim, c
}

func TestProductListings(t *testing.T) {
	sim, c := hookSim(t)
	every := carttest.Listings(t, c, cart.ListingQuery{})
	byProduct := map[string][]cart.Listing{}
	for _, l := range every {
		byProduct[l.Link.ProductID] = append(byProduct[l.Link.ProductID], l)
	}
	if len(byProduct) < 10 {
		t.Fatalf("only %d products", len(byProduct))
	}
	for pid, want := range byProduct {
		got, err := c.ProductListings(t.Context(), pid)
		if err != nil {
			t.Fatalf("ProductListings(%s): %v", pid, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ProductListings(%s) = %+v\nListings gave %+v", pid, got, want)
		}
	}
	pid := sim.CreateProduct("NEW-1", 9)
	got, err := c.ProductListings(t.Context(), pid)
	if err != nil || len(got) != 1 || got[0].SKU != "NEW-1" || *got[0].Quantity != 9 || got[0].Link.ProductID != pid {
		t.Errorf("new product: %+v %v", got, err)
	}
	for _, missing := range []string{"999999", "abc", "0", "1/../2"} {
		if _, err := c.ProductListings(t.Context(), missing); !errors.Is(err, cart.ErrNotFound) {
			t.Errorf("ProductListings(%q) = %v; want cart.ErrNotFound", missing, err)
		}
	}
}

func TestSubscribeOrders(t *testing.T) {
	sim, c := hookSim(t)
	rc := webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/bigcommerce/ch1"})
	addr := rc.URL
	sub, err := c.Subscribe(t.Context(), cart.TopicOrders, addr, "unused: BigCommerce signs with the client secret")
	if err != nil {
		t.Fatal(err)
	}
	hooks := sim.Hooks()
	if sub.Secret != "" || len(hooks) != 1 || strconv.FormatInt(hooks[0].ID, 10) != sub.ID || hooks[0].Scope != "store/order/*" ||
		hooks[0].Destination != addr || !hooks[0].IsActive || len(hooks[0].Headers) != 0 {
		t.Fatalf("subscription %+v; simulator holds %+v", sub, hooks)
	}
	id := sim.CreateOrder([]cart.Line{{SKU: "SKU-0003", Quantity: 2}})
	a := rc.Next(t)
	d, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(clientSecret), time.Now())
	if err != nil || d.Topic != cart.TopicOrders || d.ResourceID != id {
		t.Fatalf("delivery %+v %v", d, err)
	}
	if o, err := c.Order(t.Context(), d.ResourceID); err != nil || o.ExternalID != id || o.Lines[0].Quantity != 2 {
		t.Errorf("Order(%s) = %+v %v", d.ResourceID, o, err)
	}
	if err := sim.CancelOrder(id); err != nil {
		t.Fatal(err)
	}
	for range 2 { // store/order/updated and store/order/statusUpdated
		a := rc.Next(t)
		if d, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(clientSecret), time.Now()); err != nil || d.ResourceID != id {
			t.Errorf("cancel delivery %+v %v", d, err)
		}
	}

	// Subscribing again takes the hook over (and reactivates it).
	if _, err := c.do(t.Context(), request{method: http.MethodPut, path: "/v3/hooks/" + sub.ID, body: []byte(`{"is_active":false}`)}); err != nil {
		t.Fatal(err)
	}
	again, err := c.Subscribe(t.Context(), cart.TopicOrders, addr, "")
	if err != nil || again.ID != sub.ID {
		t.Errorf("second Subscribe = %+v %v; want %s", again, err, sub.ID)
	}
	if hooks := sim.Hooks(); len(hooks) != 1 || !hooks[0].IsActive {
		t.Errorf("hooks %+v", hooks)
	}

	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Fatal(err)
	}
	sim.CreateOrder(nil)
	webhooktest.Drain(t, sim)
	if rc.Pending() != 0 || len(sim.Hooks()) != 0 {
		t.Errorf("after Unsubscribe: %d deliveries, hooks %+v", rc.Pending(), sim.Hooks())
	}
	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Errorf("Unsubscribe of a missing hook: %v", err)
	}
	if err := c.Unsubscribe(t.Context(), "gid://x"); err == nil {
		t.Error("Unsubscribe of a malformed id succeeded")
	}
}

func TestSubscribeProducts(t *testing.T) {
	sim, c := hookSim(t)
	rc := webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/bigcommerce/ch1"})
	addr := rc.URL
	sub, err := c.Subscribe(t.Context(), cart.TopicProducts, addr, "")
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(sub.ID)
	hooks := sim.Hooks()
	if len(ids) != 2 || len(hooks) != 2 || hooks[0].Scope != "store/product/created" || hooks[1].Scope != "store/product/updated" {
		t.Fatalf("subscription %+v; hooks %+v", sub, hooks)
	}
	pid := sim.CreateProduct("HOOKED", 3)
	sim.SetQuantity("HOOKED", 1) // stock changes send nothing
	sim.TouchProduct("HOOKED")
	for _, scope := range []string{"store/product/created", "store/product/updated"} {
		a := rc.Next(t)
		d, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(clientSecret), time.Now())
		if err != nil || d.Topic != cart.TopicProducts || d.ResourceID != pid || !strings.Contains(string(a.Body), scope) {
			t.Errorf("%s delivery %+v %v %s", scope, d, err, a.Body)
		}
	}
	if ls, err := c.ProductListings(t.Context(), pid); err != nil || len(ls) != 1 || *ls[0].Quantity != 1 {
		t.Errorf("ProductListings = %+v %v", ls, err)
	}
	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil || len(sim.Hooks()) != 0 {
		t.Errorf("Unsubscribe: %v, hooks %+v", err, sim.Hooks())
	}
	webhooktest.Drain(t, sim)
}

func TestSubscribeRefused(t *testing.T) {
	_, c := hookSim(t)
	_, err := c.Subscribe(t.Context(), cart.TopicOrders, "http://hooks.example/webhooks", "")
	var ce *cart.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusUnprocessableEntity || !strings.Contains(ce.Message, "destination") {
		t.Errorf("err = %v; want a 422 naming the destination", err)
	}
	if _, err := c.Subscribe(t.Context(), "refunds", "https://hooks.example/", ""); err == nil {
		t.Error("unknown topic accepted")
	}
}

// A failed create is not retried blindly: it may have taken effect.
func TestSubscribeCreateIsNotRetried(t *testing.T) {
	sim := bcsim.New(bcsim.Options{AccessToken: token, StoreHash: hash, Limit: roomy})
	t.Cleanup(sim.Close)
	var posts, failed atomic.Int32
	c := newClient(t, serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if posts.Add(1) == 1 {
				failed.Add(1)
				w.WriteHeader(http.StatusBadGateway)
				return
			}
		}
		sim.ServeHTTP(w, r)
	})), token)
	_, err := c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/w", "")
	var ce *cart.Error
	if !errors.As(err, &ce) || !ce.Temporary || posts.Load() != 1 {
		t.Fatalf("err = %v after %d POSTs; want one temporary failure", err, posts.Load())
	}
	sub, err := c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/w", "")
	if err != nil || len(sim.Hooks()) != 1 || strconv.FormatInt(sim.Hooks()[0].ID, 10) != sub.ID {
		t.Errorf("retry by the caller: %+v %v, hooks %+v", sub, err, sim.Hooks())
	}
}

func TestInstasyncAuth(t *testing.T) {
	sim := bcsim.New(bcsim.Options{AccessToken: "the-right-token", StoreHash: hash, Limit: roomy})
	t.Cleanup(sim.Close)
	c := newClient(t, serve(t, sim), token)
	ctx := t.Context()
	calls := map[string]func() error{
		"Order":           func() error { _, err := c.Order(ctx, "100"); return err },
		"ProductListings": func() error { _, err := c.ProductListings(ctx, "111"); return err },
		"Subscribe": func() error {
			_, err := c.Subscribe(ctx, cart.TopicOrders, "https://hooks.example/", "")
			return err
		},
		"Unsubscribe": func() error { return c.Unsubscribe(ctx, "25000001") },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, cart.ErrAuth) || strings.Contains(err.Error(), token) {
			t.Errorf("%s: %v; want cart.ErrAuth without the token", name, err)
		}
	}
}
