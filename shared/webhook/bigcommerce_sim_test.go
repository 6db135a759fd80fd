package webhook

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	bcsim "github.com/autosync/autosync/shared/simulator/bigcommerce"
)

// The store/order/* hook Autosync subscribes gets every order scope,
// transactions and metafields included. Each is answered 2xx at once (a
// refused one is retried for 48 hours, then the hook is deactivated and
// every order event with it); a transaction imports its order, a
// metafield nothing.
func TestBigCommerceOrderScopesEndToEnd(t *testing.T) {
	const secret, tok, hash = "bc-e2e-client-secret", "bc-e2e-token", "abc123"
	e := newEnv(t)
	ctx := t.Context()
	sim := bcsim.New(bcsim.Options{AccessToken: tok, StoreHash: hash, ClientSecret: secret, WebhookDelayUnit: time.Microsecond})
	t.Cleanup(sim.Close)
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	recv := httptest.NewServer(e.srv)
	t.Cleanup(recv.Close)
	ch, err := e.rc.Channels.Create(ctx, "acct", channels.Channel{Type: catalog.BigCommerce, Name: "B"},
		cart.Credentials{"access_token": tok, "client_secret": secret})
	if err != nil {
		t.Fatal(err)
	}
	// Built as the service builds it, through the cart's driver.
	d, ok := carts.Lookup(catalog.BigCommerce)
	if !ok {
		t.Fatal("no BigCommerce driver")
	}
	conn, err := d.New(cart.Build{Config: cart.Config{"store_hash": hash, "api_base": api.URL}, Credentials: cart.Credentials{"access_token": tok}})
	if err != nil {
		t.Fatal(err)
	}
	c, ok := conn.(cart.Subscriber)
	if !ok {
		t.Fatal("the BigCommerce connector subscribes no webhooks")
	}
	if _, err := c.Subscribe(ctx, cart.TopicOrders, recv.URL+"/webhooks/bigcommerce/"+ch.ID, ""); err != nil {
		t.Fatal(err)
	}

	id := sim.CreateOrder(nil)
	if _, err := sim.RecordTransaction(id); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetOrderMetafield(id); err != nil {
		t.Fatal(err)
	}
	drainCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sim.DrainWebhooks(drainCtx); err != nil {
		t.Fatal(err)
	}

	ds := sim.Deliveries()
	if len(ds) != 3 {
		t.Errorf("%d delivery attempts for 3 events (retries of a refused one?): %+v", len(ds), ds)
	}
	for _, d := range ds {
		if !d.Delivered {
			t.Errorf("delivery of %s refused", d.Topic)
		}
	}
	if hooks := sim.Hooks(); len(hooks) != 1 || !hooks[0].IsActive {
		t.Errorf("hooks after the deliveries: %+v", hooks)
	}
	e.disp.mu.Lock()
	defer e.disp.mu.Unlock()
	if len(e.disp.ins) != 2 {
		t.Fatalf("dispatched %+v; want the created order and its transaction", e.disp.ins)
	}
	for _, in := range e.disp.ins {
		if in.ChannelID != ch.ID || in.Task != catalog.InstasyncOrders || in.ResourceID != id {
			t.Errorf("dispatched %+v; want order %s", in, id)
		}
	}
}
