package woocommerce

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	woosim "github.com/autosync/autosync/shared/simulator/woocommerce"
	"github.com/autosync/autosync/shared/webhook/webhooktest"
)

const hookSecret = "whs_autosync_channel_secret"

func hookSim(t *testing.T) (*woosim.Server, *Client) {
	t.Helper()
	sim, c := newSim(t, woosim.Options{WebhookDelayUnit: time.Microsecond})
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
	if len(byProduct) < 40 {
		t.Fatalf("only %d products", len(byProduct))
	}
	variable := 0
	for pid, want := range byProduct {
		got, err := c.ProductListings(t.Context(), pid)
		if err != nil {
			t.Fatalf("ProductListings(%s): %v", pid, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ProductListings(%s) = %+v\nListings gave %+v", pid, got, want)
		}
		if len(want) > 1 {
			variable++
		}
	}
	if variable == 0 {
		t.Error("no variable product checked")
	}
	pid := sim.CreateProduct("NEW-ONE", 12)
	got, err := c.ProductListings(t.Context(), pid)
	if err != nil || len(got) != 1 || got[0].SKU != "NEW-ONE" || *got[0].Quantity != 12 {
		t.Errorf("new product: %+v %v", got, err)
	}
	for _, missing := range []string{"999999", "abc", "-3"} {
		if _, err := c.ProductListings(t.Context(), missing); !errors.Is(err, cart.ErrNotFound) {
			t.Errorf("ProductListings(%q) = %v; want cart.ErrNotFound", missing, err)
		}
	}
}

func TestSubscribeOrders(t *testing.T) {
	sim, c := hookSim(t)
	rc := webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/woocommerce/ch1", IsPing: func(r *http.Request) bool { return r.Header.Get("X-WC-Webhook-Topic") == "" }})
	addr := rc.URL
	sub, err := c.Subscribe(t.Context(), cart.TopicOrders, addr, hookSecret)
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(sub.ID)
	ws := sim.Webhooks()
	if sub.Secret != "" || len(ids) != 2 || len(ws) != 2 || strconv.FormatInt(ws[0].ID, 10) != ids[0] || ws[0].Topic != "order.created" ||
		ws[1].Topic != "order.updated" || ws[0].Secret != hookSecret || ws[0].DeliveryURL != addr || ws[0].Status != "active" {
		t.Fatalf("subscription %+v; simulator holds %+v", sub, ws)
	}
	id := sim.CreateOrder([]cart.Line{{SKU: "SKU-0005", Quantity: 4}})
	a := rc.Next(t)
	d, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(hookSecret), time.Now())
	if err != nil || d.Topic != cart.TopicOrders || d.ResourceID != id {
		t.Fatalf("delivery %+v %v", d, err)
	}
	if o, err := c.Order(t.Context(), d.ResourceID); err != nil || o.ExternalID != id || o.Lines[0].Quantity != 4 {
		t.Errorf("Order(%s) = %+v %v", d.ResourceID, o, err)
	}
	if err := sim.CompleteOrder(id); err != nil {
		t.Fatal(err)
	}
	a = rc.Next(t)
	if d, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(hookSecret), time.Now()); err != nil ||
		d.ResourceID != id || a.Header.Get("X-WC-Webhook-Topic") != "order.updated" {
		t.Errorf("update delivery %+v %v", d, err)
	}

	// Subscribing again, with a new secret, takes the webhooks over.
	again, err := c.Subscribe(t.Context(), cart.TopicOrders, addr, "new-secret")
	if err != nil || again.ID != sub.ID {
		t.Fatalf("second Subscribe = %+v %v; want %s", again, err, sub.ID)
	}
	if ws := sim.Webhooks(); len(ws) != 2 || ws[0].Secret != "new-secret" {
		t.Errorf("webhooks %+v", ws)
	}
	sim.CancelOrder(sim.CreateOrder(nil))
	for range 2 {
		a := rc.Next(t)
		if _, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte("new-secret"), time.Now()); err != nil {
			t.Errorf("signed with the old secret: %v", err)
		}
	}

	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Fatal(err)
	}
	sim.CreateOrder(nil)
	webhooktest.Drain(t, sim)
	if rc.Pending() != 0 || len(sim.Webhooks()) != 0 {
		t.Errorf("after Unsubscribe: %d deliveries, webhooks %+v", rc.Pending(), sim.Webhooks())
	}
	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Errorf("Unsubscribe of missing webhooks: %v", err)
	}
	if err := c.Unsubscribe(t.Context(), "12 x"); err == nil {
		t.Error("Unsubscribe of a malformed id succeeded")
	}
}

// A webhook WooCommerce disabled after failed deliveries comes back when
// the channel subscribes again.
func TestSubscribeReenablesDisabledWebhook(t *testing.T) {
	sim, c := hookSim(t)
	var fail atomic.Bool
	fail.Store(true)
	ch := make(chan string, 50)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-WC-Webhook-Topic") == "" {
			return // ping
		}
		ch <- r.Header.Get("X-WC-Webhook-Topic")
		if fail.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(ts.Close)
	sub, err := c.Subscribe(t.Context(), cart.TopicOrders, ts.URL+"/hook", hookSecret)
	if err != nil {
		t.Fatal(err)
	}
	for range 7 {
		sim.CreateOrder(nil)
	}
	webhooktest.Drain(t, sim)
	if ws := sim.Webhooks(); ws[0].Status != "disabled" || ws[1].Status != "active" {
		t.Fatalf("webhooks %+v", ws)
	}
	fail.Store(false)
	again, err := c.Subscribe(t.Context(), cart.TopicOrders, ts.URL+"/hook", hookSecret)
	if err != nil || again.ID != sub.ID || sim.Webhooks()[0].Status != "active" {
		t.Fatalf("Subscribe = %+v %v; webhooks %+v", again, err, sim.Webhooks())
	}
	for len(ch) > 0 {
		<-ch
	}
	sim.CreateOrder(nil)
	select {
	case got := <-ch:
		if got != "order.created" {
			t.Errorf("got %s", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing delivered to the re-enabled webhook")
	}
}

func TestSubscribeProducts(t *testing.T) {
	sim, c := hookSim(t)
	rc := webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/woocommerce/ch1", IsPing: func(r *http.Request) bool { return r.Header.Get("X-WC-Webhook-Topic") == "" }})
	addr := rc.URL
	sub, err := c.Subscribe(t.Context(), cart.TopicProducts, addr, hookSecret)
	if err != nil {
		t.Fatal(err)
	}
	if ws := sim.Webhooks(); len(ws) != 2 || ws[0].Topic != "product.created" || ws[1].Topic != "product.updated" {
		t.Fatalf("webhooks %+v", ws)
	}
	pid := sim.CreateProduct("HOOKED", 2)
	sim.TouchProduct("HOOKED")
	for _, topic := range []string{"product.created", "product.updated"} {
		a := rc.Next(t)
		d, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(hookSecret), time.Now())
		if err != nil || d.Topic != cart.TopicProducts || d.ResourceID != pid || a.Header.Get("X-WC-Webhook-Topic") != topic {
			t.Errorf("%s delivery %+v %v", topic, d, err)
		}
	}
	if ls, err := c.ProductListings(t.Context(), pid); err != nil || len(ls) != 1 || ls[0].SKU != "HOOKED" {
		t.Errorf("ProductListings = %+v %v", ls, err)
	}
	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil || len(sim.Webhooks()) != 0 {
		t.Errorf("Unsubscribe: %v", err)
	}
}

func TestSubscribeRefused(t *testing.T) {
	_, c := hookSim(t)
	if _, err := c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/w", ""); err == nil {
		t.Error("no secret accepted")
	}
	if _, err := c.Subscribe(t.Context(), "refunds", "https://hooks.example/w", "s"); err == nil {
		t.Error("unknown topic accepted")
	}
	_, err := c.Subscribe(t.Context(), cart.TopicOrders, "ftp://hooks.example/w", "s")
	if err == nil {
		t.Error("ftp address accepted")
	}
}

// A failed create is not retried blindly: it may have taken effect.
func TestSubscribeCreateIsNotRetried(t *testing.T) {
	sim := woosim.New(woosim.Options{ConsumerKey: testKey, ConsumerSecret: testSecret})
	t.Cleanup(sim.Close)
	var posts atomic.Int32
	c := newClient(t, serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && posts.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		sim.ServeHTTP(w, r)
	})), Config{})
	_, err := c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/w", "s")
	var ce *cart.Error
	if !errors.As(err, &ce) || !ce.Temporary || posts.Load() != 1 || len(sim.Webhooks()) != 0 {
		t.Fatalf("err = %v after %d POSTs; want one temporary failure", err, posts.Load())
	}
	if _, err := c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/w", "s"); err != nil || len(sim.Webhooks()) != 2 {
		t.Errorf("retry by the caller: %v, webhooks %+v", err, sim.Webhooks())
	}
}

func TestInstasyncAuth(t *testing.T) {
	sim := woosim.New(woosim.Options{ConsumerKey: testKey, ConsumerSecret: "cs_other"})
	t.Cleanup(sim.Close)
	c := newClient(t, serve(t, sim), Config{})
	ctx := t.Context()
	calls := map[string]func() error{
		"Order":           func() error { _, err := c.Order(ctx, "1001"); return err },
		"ProductListings": func() error { _, err := c.ProductListings(ctx, "1001"); return err },
		"Subscribe": func() error {
			_, err := c.Subscribe(ctx, cart.TopicOrders, "https://hooks.example/", "s")
			return err
		},
		"Unsubscribe": func() error { return c.Unsubscribe(ctx, "1") },
	}
	for name, call := range calls {
		err := call()
		noKeys(t, err)
		if !errors.Is(err, cart.ErrAuth) {
			t.Errorf("%s: %v; want cart.ErrAuth", name, err)
		}
	}
}
