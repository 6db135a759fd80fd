package woocommercesim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/testkit"
	"github.com/autosync/autosync/shared/webhook"
	"github.com/autosync/autosync/shared/webhook/webhooktest"
)

const hookSecret = "woo-webhook-secret"

func newReceiver(t *testing.T, status func(n int) int) *webhooktest.Receiver {
	return webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/woocommerce/ch1", Status: status,
		IsPing: func(r *http.Request) bool { return r.Header.Get("X-WC-Webhook-Topic") == "" },
	})
}

func hookStart(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	if opts.WebhookDelayUnit == 0 {
		opts.WebhookDelayUnit = time.Microsecond
	}
	s, api := start(t, opts)
	t.Cleanup(s.Close)
	return s, api
}

type webhookBody struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Status      string   `json:"status"`
	Topic       string   `json:"topic"`
	Resource    string   `json:"resource"`
	Event       string   `json:"event"`
	Hooks       []string `json:"hooks"`
	DeliveryURL string   `json:"delivery_url"`
	Secret      *string  `json:"secret"`
}

func createWebhook(t *testing.T, api, topic, url string) webhookBody {
	t.Helper()
	r := call(t, "POST", api+"/webhooks", "basic", map[string]any{
		"name": "Autosync " + topic, "topic": topic, "delivery_url": url, "secret": hookSecret, "status": "active",
	})
	if r.status != http.StatusCreated {
		t.Fatalf("POST /webhooks: %d %s", r.status, r.body)
	}
	var w webhookBody
	r.json(t, &w)
	return w
}

func verify(t *testing.T, a webhooktest.Arrival, secret string) webhook.Delivery {
	t.Helper()
	d, err := webhook.Verify(catalog.WooCommerce, a.Header, a.Body, []byte(secret), time.Now())
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
	s, api := hookStart(t, Options{SiteURL: "https://shop.example/"})
	rc := newReceiver(t, nil)
	w := createWebhook(t, api, "order.created", rc.URL)
	if w.Status != "active" || w.Resource != "order" || w.Event != "created" || w.DeliveryURL != rc.URL || w.Secret != nil || len(w.Hooks) == 0 {
		t.Errorf("created %+v", w)
	}
	ping := rc.NextPing(t)
	if string(ping.Body) != "webhook_id="+strconv.FormatInt(w.ID, 10) || !strings.HasPrefix(ping.Header.Get("User-Agent"), "WooCommerce/") {
		t.Errorf("ping %v %s", ping.Header, ping.Body)
	}
	if d, err := webhook.Verify(catalog.WooCommerce, ping.Header, ping.Body, []byte(hookSecret), time.Now()); err != nil || !d.Ping {
		t.Errorf("ping verified as %+v %v", d, err)
	}

	id := s.CreateOrder([]cart.Line{{SKU: "SKU-0002", Quantity: 2}})
	a := rc.Next(t)
	d := verify(t, a, hookSecret)
	// The verifier's id is the delivery id and a hash of the body (see
	// webhook.Verify), as WooCommerce reuses a delivery id within a second.
	if did := a.Header.Get("X-WC-Webhook-Delivery-ID"); d.Topic != cart.TopicOrders || d.ResourceID != id ||
		!strings.HasPrefix(d.ID, did+":") || len(did) != 32 {
		t.Errorf("verified %+v; want orders, %s", d, id)
	}
	if _, err := webhook.Verify(catalog.WooCommerce, a.Header, a.Body, []byte("other"), time.Now()); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("verified with another secret: %v", err)
	}
	for k, want := range map[string]string{
		"X-WC-Webhook-Source": "https://shop.example/", "X-WC-Webhook-Topic": "order.created",
		"X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": "created",
		"X-WC-Webhook-ID": strconv.FormatInt(w.ID, 10), "Content-Type": "application/json",
	} {
		if got := a.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(string(a.Body), `"href":"https:\/\/woo.example\/wp-json\/wc\/v3\/orders\/`+id+`"`) {
		t.Errorf("body not encoded as PHP does: %.300s", a.Body)
	}
	var o struct {
		ID        int64  `json:"id"`
		Status    string `json:"status"`
		LineItems []struct {
			SKU      string `json:"sku"`
			Quantity int    `json:"quantity"`
		} `json:"line_items"`
	}
	if err := json.Unmarshal(a.Body, &o); err != nil || strconv.FormatInt(o.ID, 10) != id || o.Status != "processing" ||
		len(o.LineItems) != 1 || o.LineItems[0].SKU != "SKU-0002" {
		t.Errorf("body %s: %v", a.Body, err)
	}
	drain(t, s)
	ds := s.Deliveries()
	if len(ds) != 2 || !ds[0].Ping || ds[1].Ping || !ds[1].Delivered || ds[1].ResourceID != id || ds[1].Topic != "order.created" {
		t.Errorf("deliveries %+v", ds)
	}
}

func TestWebhookTopics(t *testing.T) {
	s, api := hookStart(t, Options{})
	rc := newReceiver(t, nil)
	for _, topic := range []string{"order.updated", "product.created", "product.updated"} {
		createWebhook(t, api, topic, rc.URL)
	}
	id := s.CreateOrder(nil) // order.created: nobody subscribed
	if err := s.CancelOrder(id); err != nil {
		t.Fatal(err)
	}
	a := rc.Next(t)
	if d := verify(t, a, hookSecret); d.ResourceID != id || a.Header.Get("X-WC-Webhook-Topic") != "order.updated" || !strings.Contains(string(a.Body), `"status":"cancelled"`) {
		t.Errorf("cancel delivered %+v %s", d, a.Body)
	}
	pid := s.CreateProduct("HOOK-1", 6)
	a = rc.Next(t)
	if d := verify(t, a, hookSecret); d.Topic != cart.TopicProducts || d.ResourceID != pid || !strings.Contains(string(a.Body), `"stock_quantity":6`) {
		t.Errorf("product created %+v %s", d, a.Body)
	}
	s.TouchProduct("HOOK-1")
	a = rc.Next(t)
	if d := verify(t, a, hookSecret); d.ResourceID != pid || a.Header.Get("X-WC-Webhook-Topic") != "product.updated" {
		t.Errorf("product updated %+v", d)
	}
	drain(t, s)
	if rc.Pending() != 0 {
		t.Error("unexpected deliveries")
	}
}

func TestWebhooksAPI(t *testing.T) {
	s, api := hookStart(t, Options{})
	rc := newReceiver(t, nil)
	w := createWebhook(t, api, "order.created", rc.URL)
	createWebhook(t, api, "order.updated", rc.URL)
	for _, tc := range []struct {
		body map[string]any
		code string
	}{
		{map[string]any{"topic": "order.exploded", "delivery_url": rc.URL}, "woocommerce_rest_shop_webhook_invalid_topic"},
		{map[string]any{"delivery_url": rc.URL}, "woocommerce_rest_shop_webhook_invalid_topic"},
		{map[string]any{"topic": "order.created", "delivery_url": "ftp://x"}, "woocommerce_rest_shop_webhook_invalid_delivery_url"},
		{map[string]any{"topic": "order.created"}, "woocommerce_rest_shop_webhook_invalid_delivery_url"},
	} {
		r := call(t, "POST", api+"/webhooks", "basic", tc.body)
		if e := r.wpErr(t); r.status != http.StatusBadRequest || e.Code != tc.code {
			t.Errorf("POST %v: %d %s; want 400 %s", tc.body, r.status, r.body, tc.code)
		}
	}
	r := call(t, "GET", api+"/webhooks", "basic", nil)
	var list []webhookBody
	r.json(t, &list)
	if r.status != 200 || len(list) != 2 || r.header.Get("X-WP-Total") != "2" || list[0].Topic != "order.updated" {
		t.Errorf("list %d %s", r.status, r.body)
	}
	path := api + "/webhooks/" + strconv.FormatInt(w.ID, 10)
	r = call(t, "PUT", path, "basic", map[string]any{"status": "paused"})
	if r.status != 200 || !strings.Contains(string(r.body), `"status":"paused"`) {
		t.Errorf("PUT: %d %s", r.status, r.body)
	}
	r = call(t, "GET", api+"/webhooks?status=paused", "basic", nil)
	if r.json(t, &list); len(list) != 1 || list[0].ID != w.ID {
		t.Errorf("paused list %s", r.body)
	}
	if r := call(t, "DELETE", path, "basic", nil); r.status != http.StatusNotImplemented || r.wpErr(t).Code != "woocommerce_rest_trash_not_supported" {
		t.Errorf("DELETE without force: %d %s", r.status, r.body)
	}
	if r := call(t, "DELETE", path+"?force=true", "basic", nil); r.status != 200 || !strings.Contains(string(r.body), `"topic":"order.created"`) {
		t.Errorf("DELETE: %d %s", r.status, r.body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if r := call(t, m, path+"?force=true", "basic", nil); r.status != http.StatusNotFound || r.wpErr(t).Code != "woocommerce_rest_shop_webhook_invalid_id" {
			t.Errorf("%s missing: %d %s", m, r.status, r.body)
		}
	}
	if r := call(t, "PUT", path, "basic", map[string]any{"status": "active"}); r.status != http.StatusBadRequest {
		t.Errorf("PUT missing: %d %s", r.status, r.body)
	}
	if r := call(t, "POST", api+"/webhooks", "none", map[string]any{"topic": "order.created", "delivery_url": rc.URL}); r.status != 401 || r.wpErr(t).Code != "woocommerce_rest_cannot_create" {
		t.Errorf("no keys: %d %s", r.status, r.body)
	}
	if ws := s.Webhooks(); len(ws) != 1 || ws[0].Topic != "order.updated" || ws[0].Secret != hookSecret {
		t.Errorf("Webhooks %+v", ws)
	}
}

func TestWebhookPausedAndDeletedGetNothing(t *testing.T) {
	s, api := hookStart(t, Options{})
	rc := newReceiver(t, nil)
	paused := createWebhook(t, api, "order.created", rc.URL)
	call(t, "PUT", api+"/webhooks/"+strconv.FormatInt(paused.ID, 10), "basic", map[string]any{"status": "paused"})
	deleted := createWebhook(t, api, "order.created", rc.URL)
	call(t, "DELETE", api+"/webhooks/"+strconv.FormatInt(deleted.ID, 10)+"?force=true", "basic", nil)
	s.CreateOrder(nil)
	drain(t, s)
	if rc.Pending() != 0 {
		t.Error("delivered to a paused or deleted webhook")
	}
}

func TestWebhookNoRetriesAndDisabling(t *testing.T) {
	s, api := hookStart(t, Options{})
	failing := true
	var mu sync.Mutex
	rc := newReceiver(t, func(int) int {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	w := createWebhook(t, api, "order.created", rc.URL)
	order := func() {
		t.Helper()
		s.CreateOrder(nil)
		drain(t, s)
	}
	for i := 1; i <= 6; i++ {
		order()
		if ws := s.Webhooks(); ws[0].Status != "active" || ws[0].Failures != i {
			t.Fatalf("after %d failures: %+v", i, ws[0])
		}
	}
	if n := rc.Pending(); n != 6 {
		t.Errorf("%d arrivals for 6 orders; WooCommerce does not retry", n)
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	order()
	if ws := s.Webhooks(); ws[0].Failures != 0 {
		t.Errorf("a success left %d failures", ws[0].Failures)
	}
	mu.Lock()
	failing = true
	mu.Unlock()
	for range 7 {
		order()
	}
	if ws := s.Webhooks(); ws[0].Status != "disabled" {
		t.Fatalf("after 7 failures in a row: %+v", ws[0])
	}
	before := len(s.Deliveries())
	order()
	if len(s.Deliveries()) != before {
		t.Error("delivered to a disabled webhook")
	}
	// Re-enabling through the API clears the count.
	call(t, "PUT", api+"/webhooks/"+strconv.FormatInt(w.ID, 10), "basic", map[string]any{"status": "active"})
	if ws := s.Webhooks(); ws[0].Status != "active" || ws[0].Failures != 0 {
		t.Errorf("re-enabled: %+v", ws[0])
	}
	for _, d := range s.Deliveries() {
		if d.Attempt != 1 {
			t.Errorf("attempt %d: WooCommerce does not retry", d.Attempt)
		}
	}
}

// WC_Webhook::get_new_delivery_id is wp_hash(id . time()): one webhook's
// deliveries within one second share it.
func TestWebhookDeliveryIDIsPerSecond(t *testing.T) {
	clock := newClock()
	s, api := hookStart(t, Options{Now: clock.Now})
	rc := newReceiver(t, nil)
	createWebhook(t, api, "order.created", rc.URL)
	first, second := s.CreateOrder(nil), s.CreateOrder(nil)
	a, b := rc.Next(t), rc.Next(t)
	da, db := verify(t, a, hookSecret), verify(t, b, hookSecret)
	deliveryID := func(a webhooktest.Arrival) string { return a.Header.Get("X-WC-Webhook-Delivery-ID") }
	if deliveryID(a) != deliveryID(b) || da.ResourceID != first || db.ResourceID != second {
		t.Errorf("same second: %s %+v, %s %+v", deliveryID(a), da, deliveryID(b), db)
	}
	clock.Add(time.Second)
	s.CreateOrder(nil)
	c := rc.Next(t)
	verify(t, c, hookSecret)
	if deliveryID(c) == deliveryID(a) {
		t.Error("the next second reused the delivery id")
	}
}

func TestWebhookFaults(t *testing.T) {
	t.Run("duplicate", func(t *testing.T) {
		s, api := hookStart(t, Options{})
		rc := newReceiver(t, nil)
		createWebhook(t, api, "order.created", rc.URL)
		s.SetWebhookFaults(WebhookFaults{Duplicate: 1})
		id := s.CreateOrder(nil)
		a, b := rc.Next(t), rc.Next(t)
		if verify(t, a, hookSecret) != verify(t, b, hookSecret) || string(a.Body) != string(b.Body) || verify(t, a, hookSecret).ResourceID != id {
			t.Error("the copy is not the same request")
		}
	})
	t.Run("out of order, payload read at delivery", func(t *testing.T) {
		s, api := hookStart(t, Options{})
		rc := newReceiver(t, nil)
		createWebhook(t, api, "order.created", rc.URL)
		createWebhook(t, api, "order.updated", rc.URL)
		s.SetWebhookFaults(WebhookFaults{OutOfOrder: 1})
		id := s.CreateOrder(nil)
		if err := s.CancelOrder(id); err != nil {
			t.Fatal(err)
		}
		a, b := rc.Next(t), rc.Next(t)
		if a.Header.Get("X-WC-Webhook-Topic") != "order.updated" || b.Header.Get("X-WC-Webhook-Topic") != "order.created" {
			t.Errorf("order: %s then %s", a.Header.Get("X-WC-Webhook-Topic"), b.Header.Get("X-WC-Webhook-Topic"))
		}
		if !strings.Contains(string(b.Body), `"status":"cancelled"`) {
			t.Errorf("the late order.created should carry the order as it is now: %.200s", b.Body)
		}
	})
	t.Run("fail first", func(t *testing.T) {
		s, api := hookStart(t, Options{})
		rc := newReceiver(t, nil)
		createWebhook(t, api, "order.created", rc.URL)
		s.SetWebhookFaults(WebhookFaults{FailFirst: 1})
		s.CreateOrder(nil)
		verify(t, rc.Next(t), hookSecret)
		drain(t, s)
		ds := s.Deliveries()
		if rc.Pending() != 0 || len(ds) != 2 || ds[1].Delivered || !strings.Contains(ds[1].Err, "timed out") || s.Webhooks()[0].Failures != 1 {
			t.Errorf("deliveries %+v, webhook %+v", ds, s.Webhooks())
		}
	})
}

func TestWebhookClose(t *testing.T) {
	s, api := hookStart(t, Options{})
	rc := newReceiver(t, nil)
	createWebhook(t, api, "order.created", rc.URL)
	rc.NextPing(t)
	s.Close()
	testkit.NoGoroutine(t, "outbox.(*Outbox).")
	s.CreateOrder(nil)
	if err := s.DrainWebhooks(t.Context()); err == nil {
		t.Error("DrainWebhooks after Close")
	}
	if rc.Pending() != 0 {
		t.Error("delivered after Close")
	}
}
