package shopifysim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	carts "github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/testkit"
	"github.com/autosync/autosync/shared/webhook"
	"github.com/autosync/autosync/shared/webhook/webhooktest"
)

const hookSecret = "shpss_test_client_secret"

func newReceiver(t *testing.T, status func(n int) int) *webhooktest.Receiver {
	return webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/shopify/ch1", Status: status})
}

// hookSim starts a simulator whose retries come at once.
func hookSim(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	opts.AccessToken, opts.ClientSecret = "tok", hookSecret
	if opts.WebhookDelayUnit == 0 {
		opts.WebhookDelayUnit = time.Microsecond
	}
	s := New(opts)
	t.Cleanup(s.Close)
	return s, serve(t, s)
}

const createHookDoc = `mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id topic format callbackUrl }
    userErrors { field message }
  }
}`

type createHookData struct {
	WebhookSubscriptionCreate struct {
		WebhookSubscription *struct {
			ID          string `json:"id"`
			Topic       string `json:"topic"`
			Format      string `json:"format"`
			CallbackURL string `json:"callbackUrl"`
		} `json:"webhookSubscription"`
		UserErrors []struct {
			Field   []string `json:"field"`
			Message string   `json:"message"`
		} `json:"userErrors"`
	} `json:"webhookSubscriptionCreate"`
}

func createHook(t *testing.T, url, topic, callback string) createHookData {
	t.Helper()
	status, r, raw := post(t, url, "tok", createHookDoc, map[string]any{
		"topic": topic, "sub": map[string]any{"callbackUrl": callback, "format": "JSON"},
	})
	if status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("webhookSubscriptionCreate: %d %s", status, raw)
	}
	var d createHookData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func subscribe(t *testing.T, url, topic, callback string) string {
	t.Helper()
	d := createHook(t, url, topic, callback)
	if w := d.WebhookSubscriptionCreate.WebhookSubscription; w == nil || len(d.WebhookSubscriptionCreate.UserErrors) > 0 {
		t.Fatalf("webhookSubscriptionCreate: %+v", d)
	}
	return d.WebhookSubscriptionCreate.WebhookSubscription.ID
}

func verify(t *testing.T, a webhooktest.Arrival, secret string) webhook.Delivery {
	t.Helper()
	d, err := webhook.Verify(carts.Shopify, a.Header, a.Body, []byte(secret), time.Now())
	if err != nil {
		t.Fatalf("delivery does not verify: %v\n%v\n%s", err, a.Header, a.Body)
	}
	return d
}

func drain(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.DrainWebhooks(ctx); err != nil {
		t.Fatalf("DrainWebhooks: %v", err)
	}
}

func TestWebhookOrderCreated(t *testing.T) {
	s, url := hookSim(t, Options{Shop: "demo.myshopify.com"})
	rc := newReceiver(t, nil)
	subscribe(t, url, "ORDERS_CREATE", rc.URL)
	id := s.CreateOrder([]cart.Line{{SKU: "SKU-0003", Quantity: 2}})
	a := rc.Next(t)

	d := verify(t, a, hookSecret)
	if d.Topic != cart.TopicOrders || d.ResourceID != id || d.ID != a.Header.Get("X-Shopify-Event-Id") {
		t.Errorf("verified %+v; want orders, resource %s, id = event id", d, id)
	}
	if _, err := webhook.Verify(carts.Shopify, a.Header, a.Body, []byte("another secret"), time.Now()); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("verified with the wrong secret: %v", err)
	}
	for k, want := range map[string]string{
		"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": "demo.myshopify.com",
		"X-Shopify-API-Version": "2026-10", "Content-Type": "application/json",
	} {
		if got := a.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, a.Header.Get("X-Shopify-Triggered-At")); err != nil {
		t.Errorf("X-Shopify-Triggered-At: %v", err)
	}
	if a.Header.Get("X-Shopify-Webhook-Id") == "" {
		t.Error("no X-Shopify-Webhook-Id")
	}
	var body struct {
		ID                json.Number `json:"id"`
		Name              string      `json:"name"`
		FinancialStatus   string      `json:"financial_status"`
		FulfillmentStatus *string     `json:"fulfillment_status"`
		LineItems         []struct {
			SKU       string `json:"sku"`
			Quantity  int    `json:"quantity"`
			VariantID *int64 `json:"variant_id"`
		} `json:"line_items"`
	}
	if err := json.Unmarshal(a.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.ID.String() != id || body.FinancialStatus != "paid" || body.FulfillmentStatus != nil ||
		len(body.LineItems) != 1 || body.LineItems[0].SKU != "SKU-0003" || body.LineItems[0].Quantity != 2 {
		t.Errorf("body %s", a.Body)
	}
	if !strings.HasPrefix(string(a.Body), `{"id":`+id+`,`) {
		t.Errorf("the id is not a bare number first: %.60s", a.Body)
	}

	drain(t, s)
	ds := s.Deliveries()
	if len(ds) != 1 || !ds[0].Delivered || ds[0].Attempt != 1 || ds[0].Status != 200 || ds[0].ResourceID != id ||
		ds[0].Topic != "orders/create" || ds[0].URL != rc.URL {
		t.Errorf("deliveries %+v", ds)
	}
	if rc.Pending() != 0 {
		t.Error("orders/create delivered more than once")
	}
}

func TestWebhookOrderUpdatesAndProducts(t *testing.T) {
	s, url := hookSim(t, Options{})
	rc := newReceiver(t, nil)
	subscribe(t, url, "ORDERS_UPDATED", rc.URL)
	subscribe(t, url, "PRODUCTS_CREATE", rc.URL)
	subscribe(t, url, "PRODUCTS_UPDATE", rc.URL)

	id := s.CreateOrder(nil) // orders/create: nobody subscribed
	if err := s.CancelOrder(id); err != nil {
		t.Fatal(err)
	}
	a := rc.Next(t)
	if d := verify(t, a, hookSecret); d.Topic != cart.TopicOrders || d.ResourceID != id || a.Header.Get("X-Shopify-Topic") != "orders/updated" {
		t.Errorf("cancel delivered %+v %v", d, a.Header)
	}
	var o struct {
		CancelledAt *string `json:"cancelled_at"`
	}
	if json.Unmarshal(a.Body, &o); o.CancelledAt == nil {
		t.Errorf("cancelled order without cancelled_at: %s", a.Body)
	}

	pid := s.CreateProduct("NEW-SKU", 7)
	a = rc.Next(t)
	if d := verify(t, a, hookSecret); d.Topic != cart.TopicProducts || d.ResourceID != pid || a.Header.Get("X-Shopify-Topic") != "products/create" {
		t.Errorf("product delivered %+v %v", d, a.Header)
	}
	var p struct {
		Variants []struct {
			SKU               string `json:"sku"`
			InventoryQuantity int    `json:"inventory_quantity"`
			InventoryItemID   int64  `json:"inventory_item_id"`
		} `json:"variants"`
	}
	if json.Unmarshal(a.Body, &p); len(p.Variants) != 1 || p.Variants[0].SKU != "NEW-SKU" || p.Variants[0].InventoryQuantity != 7 || p.Variants[0].InventoryItemID == 0 {
		t.Errorf("product body %s", a.Body)
	}
	if !s.TouchProduct("NEW-SKU") || s.TouchProduct("NO-SUCH-SKU") {
		t.Fatal("TouchProduct")
	}
	a = rc.Next(t)
	if d := verify(t, a, hookSecret); d.ResourceID != pid || a.Header.Get("X-Shopify-Topic") != "products/update" {
		t.Errorf("touch delivered %+v %v", d, a.Header)
	}
	drain(t, s)
	if rc.Pending() != 0 {
		t.Errorf("%d unexpected deliveries", rc.Pending())
	}
}

type hooksData struct {
	WebhookSubscriptions struct {
		Nodes []struct {
			ID          string `json:"id"`
			Topic       string `json:"topic"`
			CallbackURL string `json:"callbackUrl"`
		} `json:"nodes"`
	} `json:"webhookSubscriptions"`
	WebhookSubscription *struct {
		ID string `json:"id"`
	} `json:"webhookSubscription"`
}

func TestWebhookSubscriptionAPI(t *testing.T) {
	s, url := hookSim(t, Options{})
	const cb = "https://hooks.example/webhooks/shopify/ch1"
	id := subscribe(t, url, "ORDERS_CREATE", cb)
	if !strings.HasPrefix(id, "gid://shopify/WebhookSubscription/") {
		t.Errorf("id %q", id)
	}
	subscribe(t, url, "ORDERS_UPDATED", cb)

	for _, tc := range []struct{ topic, callback, msg string }{
		{"ORDERS_CREATE", cb, "Address for this topic has already been taken"},
		{"ORDERS_CREATE", "http://hooks.example/x", "Address is invalid"},
		{"ORDERS_CREATE", "not a url", "Address is invalid"},
		{"ORDERS_CREATE", "", "Address can't be blank"},
	} {
		d := createHook(t, url, tc.topic, tc.callback)
		if ue := d.WebhookSubscriptionCreate.UserErrors; d.WebhookSubscriptionCreate.WebhookSubscription != nil || len(ue) != 1 || ue[0].Message != tc.msg {
			t.Errorf("create %s %q: %+v; want %q", tc.topic, tc.callback, d, tc.msg)
		}
	}
	status, r, raw := post(t, url, "tok", createHookDoc, map[string]any{"topic": "ORDERS_EXPLODED", "sub": map[string]any{"callbackUrl": cb}})
	if status != http.StatusOK || len(r.Errors) == 0 {
		t.Errorf("unknown topic accepted: %s", raw)
	}

	const listDoc = `query($topics: [WebhookSubscriptionTopic!], $url: URL, $id: ID!) {
  webhookSubscriptions(first: 10, topics: $topics, callbackUrl: $url) { nodes { id topic callbackUrl } }
  webhookSubscription(id: $id) { id }
}`
	list := func(vars map[string]any) hooksData {
		t.Helper()
		status, r, raw := post(t, url, "tok", listDoc, vars)
		if status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("list: %s", raw)
		}
		var d hooksData
		json.Unmarshal(r.Data, &d)
		return d
	}
	d := list(map[string]any{"topics": []string{"ORDERS_CREATE"}, "url": cb, "id": id})
	if n := d.WebhookSubscriptions.Nodes; len(n) != 1 || n[0].ID != id || n[0].Topic != "ORDERS_CREATE" || n[0].CallbackURL != cb ||
		d.WebhookSubscription == nil || d.WebhookSubscription.ID != id {
		t.Errorf("list %+v", d)
	}
	if d := list(map[string]any{"id": id}); len(d.WebhookSubscriptions.Nodes) != 2 {
		t.Errorf("unfiltered list %+v", d)
	}

	const deleteDoc = `mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }`
	del := func(id string) (string, []string) {
		t.Helper()
		status, r, raw := post(t, url, "tok", deleteDoc, map[string]any{"id": id})
		if status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("delete: %s", raw)
		}
		var d struct {
			WebhookSubscriptionDelete struct {
				Deleted    *string `json:"deletedWebhookSubscriptionId"`
				UserErrors []struct {
					Message string `json:"message"`
				} `json:"userErrors"`
			} `json:"webhookSubscriptionDelete"`
		}
		json.Unmarshal(r.Data, &d)
		var msgs []string
		for _, e := range d.WebhookSubscriptionDelete.UserErrors {
			msgs = append(msgs, e.Message)
		}
		if d.WebhookSubscriptionDelete.Deleted == nil {
			return "", msgs
		}
		return *d.WebhookSubscriptionDelete.Deleted, msgs
	}
	if got, errs := del(id); got != id || len(errs) != 0 {
		t.Errorf("delete: %q %v", got, errs)
	}
	if got, errs := del(id); got != "" || len(errs) != 1 || errs[0] != "Webhook subscription does not exist" {
		t.Errorf("delete again: %q %v", got, errs)
	}
	if d := list(map[string]any{"id": id}); d.WebhookSubscription != nil || len(d.WebhookSubscriptions.Nodes) != 1 {
		t.Errorf("after delete %+v", d)
	}
	if subs := s.WebhookSubscriptions(); len(subs) != 1 || subs[0].Topic != "ORDERS_UPDATED" || subs[0].APIVersion != "2026-10" {
		t.Errorf("WebhookSubscriptions %+v", subs)
	}

	status, _, _ = post(t, url, "wrong", deleteDoc, map[string]any{"id": id})
	if status != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", status)
	}
}

func TestWebhookUnsubscribeStopsDeliveries(t *testing.T) {
	s, url := hookSim(t, Options{})
	rc := newReceiver(t, nil)
	id := subscribe(t, url, "ORDERS_CREATE", rc.URL)
	post(t, url, "tok", `mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { userErrors { message } } }`, map[string]any{"id": id})
	s.CreateOrder(nil)
	drain(t, s)
	if rc.Pending() != 0 || len(s.Deliveries()) != 0 {
		t.Errorf("delivered after unsubscribing: %d %+v", rc.Pending(), s.Deliveries())
	}
}

func TestWebhookRetriesCarryTheOriginal(t *testing.T) {
	s, url := hookSim(t, Options{})
	rc := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	subscribe(t, url, "ORDERS_CREATE", rc.URL)
	s.CreateOrder(nil)
	first := rc.Next(t)
	for range 2 {
		a := rc.Next(t)
		for _, k := range []string{"X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Triggered-At", "X-Shopify-Hmac-Sha256"} {
			if a.Header.Get(k) != first.Header.Get(k) {
				t.Errorf("retry changed %s: %q, was %q", k, a.Header.Get(k), first.Header.Get(k))
			}
		}
		if string(a.Body) != string(first.Body) {
			t.Error("retry changed the body")
		}
		verify(t, a, hookSecret)
	}
	drain(t, s)
	ds := s.Deliveries()
	if len(ds) != 3 || ds[0].Delivered || ds[1].Delivered || !ds[2].Delivered || ds[2].Attempt != 3 || ds[0].Status != 500 {
		t.Errorf("deliveries %+v", ds)
	}
	if len(s.WebhookSubscriptions()) != 1 {
		t.Error("a delivered subscription was removed")
	}
}

func TestWebhookFailingEveryTryRemovesSubscription(t *testing.T) {
	s, url := hookSim(t, Options{})
	rc := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	subscribe(t, url, "ORDERS_CREATE", rc.URL)
	s.CreateOrder(nil)
	drain(t, s)
	ds := s.Deliveries()
	if len(ds) != 8 || ds[7].Attempt != 8 || ds[7].Delivered {
		t.Fatalf("%d attempts, want Shopify's 8: %+v", len(ds), ds)
	}
	if subs := s.WebhookSubscriptions(); len(subs) != 0 {
		t.Errorf("subscription kept after 8 failed tries: %+v", subs)
	}
	s.CreateOrder(nil)
	drain(t, s)
	if n := len(s.Deliveries()); n != 8 {
		t.Errorf("delivered to a removed subscription: %d", n)
	}
}

func TestWebhookTimeoutIsRetried(t *testing.T) {
	s, url := hookSim(t, Options{WebhookTimeout: 100 * time.Millisecond})
	release := make(chan struct{})
	var once sync.Once
	got := make(chan webhooktest.Arrival, 10)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- webhooktest.Arrival{Header: r.Header.Clone(), Body: body}
		first := false
		once.Do(func() { first = true })
		if first {
			select { // hang until the simulator gives up
			case <-r.Context().Done():
			case <-release:
			}
		}
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(release) })
	subscribe(t, url, "ORDERS_CREATE", ts.URL+"/hook")
	s.CreateOrder(nil)
	drain(t, s)
	ds := s.Deliveries()
	if len(ds) != 2 || ds[0].Delivered || ds[0].Err == "" || ds[0].Status != 0 || !ds[1].Delivered || ds[1].ID != ds[0].ID {
		t.Errorf("deliveries %+v", ds)
	}
}

func TestWebhookFaults(t *testing.T) {
	t.Run("duplicate", func(t *testing.T) {
		s, url := hookSim(t, Options{})
		rc := newReceiver(t, nil)
		subscribe(t, url, "ORDERS_CREATE", rc.URL)
		s.SetWebhookFaults(WebhookFaults{Duplicate: 1})
		id := s.CreateOrder(nil)
		a, b := rc.Next(t), rc.Next(t)
		da, db := verify(t, a, hookSecret), verify(t, b, hookSecret)
		if da != db || da.ResourceID != id {
			t.Errorf("copies verify differently: %+v %+v", da, db)
		}
		if a.Header.Get("X-Shopify-Webhook-Id") == b.Header.Get("X-Shopify-Webhook-Id") {
			t.Error("Shopify's duplicate keeps the webhook id")
		}
		s.CreateOrder(nil) // the fault is spent
		rc.Next(t)
		drain(t, s)
		if rc.Pending() != 0 {
			t.Error("the fault outlived its count")
		}
		if ds := s.Deliveries(); len(ds) != 3 || ds[0].Duplicate || !ds[1].Duplicate || ds[2].Duplicate {
			t.Errorf("deliveries %+v", ds)
		}
	})
	t.Run("out of order", func(t *testing.T) {
		s, url := hookSim(t, Options{})
		rc := newReceiver(t, nil)
		subscribe(t, url, "ORDERS_CREATE", rc.URL)
		s.SetWebhookFaults(WebhookFaults{OutOfOrder: 1})
		first := s.CreateOrder(nil)
		second := s.CreateOrder(nil)
		if d := verify(t, rc.Next(t), hookSecret); d.ResourceID != second {
			t.Errorf("first arrival is order %s, want the later %s", d.ResourceID, second)
		}
		if d := verify(t, rc.Next(t), hookSecret); d.ResourceID != first {
			t.Errorf("second arrival is order %s, want the held %s", d.ResourceID, first)
		}
	})
	t.Run("held with nothing following", func(t *testing.T) {
		s, url := hookSim(t, Options{})
		rc := newReceiver(t, nil)
		subscribe(t, url, "ORDERS_CREATE", rc.URL)
		s.SetWebhookFaults(WebhookFaults{OutOfOrder: 1})
		id := s.CreateOrder(nil)
		if d := verify(t, rc.Next(t), hookSecret); d.ResourceID != id {
			t.Errorf("got %s", d.ResourceID)
		}
	})
	t.Run("fail first", func(t *testing.T) {
		s, url := hookSim(t, Options{})
		rc := newReceiver(t, nil)
		subscribe(t, url, "ORDERS_CREATE", rc.URL)
		s.SetWebhookFaults(WebhookFaults{FailFirst: 1})
		s.CreateOrder(nil)
		a, b := rc.Next(t), rc.Next(t)
		if verify(t, a, hookSecret) != verify(t, b, hookSecret) || a.Header.Get("X-Shopify-Webhook-Id") != b.Header.Get("X-Shopify-Webhook-Id") {
			t.Error("the retry after a timeout is not the same delivery")
		}
		drain(t, s)
		ds := s.Deliveries()
		if len(ds) != 2 || ds[0].Delivered || !strings.Contains(ds[0].Err, "timed out") || ds[0].Status != 200 || !ds[1].Delivered {
			t.Errorf("deliveries %+v", ds)
		}
	})
}

func TestWebhookCloseStopsRetries(t *testing.T) {
	s, url := hookSim(t, Options{WebhookDelayUnit: time.Hour})
	rc := newReceiver(t, func(int) int { return http.StatusBadGateway })
	subscribe(t, url, "ORDERS_CREATE", rc.URL)
	s.CreateOrder(nil)
	rc.Next(t) // the first try; the retry would wait 2 "hours"
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waits for a pending retry")
	}
	testkit.NoGoroutine(t, "outbox.(*Outbox).")
	s.CreateOrder(nil)
	if err := s.DrainWebhooks(t.Context()); err == nil {
		t.Error("DrainWebhooks after Close")
	}
	if rc.Pending() != 0 {
		t.Error("delivered after Close")
	}
	s.Close() // twice is fine
}

func TestWebhookManySubscribersConcurrently(t *testing.T) {
	s, url := hookSim(t, Options{})
	var rcs []*webhooktest.Receiver
	for range 3 {
		rc := newReceiver(t, nil)
		subscribe(t, url, "ORDERS_CREATE", rc.URL)
		rcs = append(rcs, rc)
	}
	var wg sync.WaitGroup
	ids := make(chan string, 20)
	for range 20 {
		wg.Go(func() { ids <- s.CreateOrder(nil) })
	}
	wg.Wait()
	close(ids)
	want := map[string]bool{}
	for id := range ids {
		want[id] = true
	}
	drain(t, s)
	for i, rc := range rcs {
		seen := map[string]bool{}
		for range 20 {
			seen[verify(t, rc.Next(t), hookSecret).ResourceID] = true
		}
		if len(seen) != 20 {
			t.Errorf("receiver %d saw %d orders", i, len(seen))
		}
		for id := range seen {
			if !want[id] {
				t.Errorf("unknown order %s", id)
			}
		}
	}
	if n := len(s.Deliveries()); n != 60 {
		t.Errorf("%d deliveries, want 60", n)
	}
}
