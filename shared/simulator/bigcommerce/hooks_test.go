package bigcommercesim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/testkit"
	"github.com/autosync/autosync/shared/webhook"
	"github.com/autosync/autosync/shared/webhook/webhooktest"
)

const hookSecret = "bc_test_client_secret"

func newReceiver(t *testing.T, status func(n int) int) *webhooktest.Receiver {
	return webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/bigcommerce/ch1", Status: status})
}

func hookFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	opts.ClientSecret = hookSecret
	if opts.WebhookDelayUnit == 0 {
		opts.WebhookDelayUnit = time.Microsecond
	}
	f := newFixture(t, opts)
	t.Cleanup(f.sim.Close)
	return f
}

type hookBody struct {
	ID          int64             `json:"id"`
	ClientID    string            `json:"client_id"`
	StoreHash   string            `json:"store_hash"`
	Scope       string            `json:"scope"`
	Destination string            `json:"destination"`
	Headers     map[string]string `json:"headers"`
	IsActive    bool              `json:"is_active"`
	CreatedAt   int64             `json:"created_at"`
	UpdatedAt   int64             `json:"updated_at"`
}

func (f *fixture) hook(t *testing.T, scope, dest string, headers map[string]string) hookBody {
	t.Helper()
	resp, b := f.do(t, http.MethodPost, "/v3/hooks", map[string]any{
		"scope": scope, "destination": dest, "is_active": true, "headers": headers,
	}, token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v3/hooks: %d %s", resp.StatusCode, b)
	}
	var d struct {
		Data hookBody `json:"data"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d.Data
}

func verify(t *testing.T, a webhooktest.Arrival, secret string) webhook.Delivery {
	t.Helper()
	d, err := webhook.Verify(catalog.BigCommerce, a.Header, a.Body, []byte(secret), time.Now())
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

type callbackBody struct {
	Scope   string `json:"scope"`
	StoreID string `json:"store_id"`
	Data    struct {
		Type   string `json:"type"`
		ID     int64  `json:"id"`
		Status *struct {
			Previous int `json:"previous_status_id"`
			New      int `json:"new_status_id"`
		} `json:"status"`
	} `json:"data"`
	Hash      string `json:"hash"`
	CreatedAt int64  `json:"created_at"`
	Producer  string `json:"producer"`
}

func decodeCallback(t *testing.T, a webhooktest.Arrival) callbackBody {
	t.Helper()
	var c callbackBody
	if err := json.Unmarshal(a.Body, &c); err != nil {
		t.Fatalf("callback %s: %v", a.Body, err)
	}
	return c
}

func TestWebhookOrderCreated(t *testing.T) {
	f := hookFixture(t, Options{StoreHash: "abc123"})
	rc := newReceiver(t, nil)
	f.hook(t, "store/order/*", rc.URL, map[string]string{"X-Custom": "yes"})
	id := f.sim.CreateOrder([]cart.Line{{SKU: "SKU-0004", Quantity: 1}})
	a := rc.Next(t)
	d := verify(t, a, hookSecret)
	if d.Topic != cart.TopicOrders || d.ResourceID != id || d.ID != a.Header.Get("webhook-id") {
		t.Errorf("verified %+v; want orders, %s", d, id)
	}
	if _, err := webhook.Verify(catalog.BigCommerce, a.Header, a.Body, []byte("wrong"), time.Now()); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("verified with the wrong secret: %v", err)
	}
	if a.Header.Get("X-Custom") != "yes" || a.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", a.Header)
	}
	if !strings.HasPrefix(a.Header.Get("webhook-signature"), "v1,") {
		t.Errorf("signature %q", a.Header.Get("webhook-signature"))
	}
	cb := decodeCallback(t, a)
	if cb.Scope != "store/order/created" || cb.StoreID != f.sim.StoreID() || cb.Data.Type != "order" ||
		strconv.FormatInt(cb.Data.ID, 10) != id || len(cb.Hash) != 40 || cb.Producer != "stores/abc123" || cb.CreatedAt == 0 {
		t.Errorf("callback %s", a.Body)
	}
	if !strings.HasPrefix(string(a.Body), `{"scope":"store/order/created","store_id":"`) {
		t.Errorf("field order: %s", a.Body)
	}

	if err := f.sim.CancelOrder(id); err != nil {
		t.Fatal(err)
	}
	up, st := decodeCallback(t, rc.Next(t)), decodeCallback(t, rc.Next(t))
	if up.Scope != "store/order/updated" || st.Scope != "store/order/statusUpdated" || st.Data.Status == nil ||
		st.Data.Status.Previous != AwaitingFulfillment || st.Data.Status.New != Cancelled || up.Hash == st.Hash {
		t.Errorf("cancel sent %+v and %+v", up, st)
	}
	drain(t, f.sim)
	if ds := f.sim.Deliveries(); len(ds) != 3 || !ds[0].Delivered || ds[0].Topic != "store/order/created" || ds[0].ResourceID != id {
		t.Errorf("deliveries %+v", ds)
	}
}

func TestWebhookScopesMatch(t *testing.T) {
	f := hookFixture(t, Options{})
	created := newReceiver(t, nil)
	products := newReceiver(t, nil)
	f.hook(t, "store/order/created", created.URL, nil)
	f.hook(t, "store/product/created", products.URL, nil)
	f.hook(t, "store/product/updated", products.URL, nil)

	id := f.sim.CreateOrder(nil)
	if err := f.sim.ShipOrder(id); err != nil { // updated and statusUpdated: nobody listens
		t.Fatal(err)
	}
	if d := verify(t, created.Next(t), hookSecret); d.ResourceID != id {
		t.Errorf("got order %s", d.ResourceID)
	}
	pid := f.sim.CreateProduct("HOOK-SKU", 5)
	a := products.Next(t)
	if d := verify(t, a, hookSecret); d.Topic != cart.TopicProducts || d.ResourceID != pid || decodeCallback(t, a).Scope != "store/product/created" {
		t.Errorf("product created: %+v %s", d, a.Body)
	}
	if !f.sim.TouchProduct("HOOK-SKU") {
		t.Fatal("TouchProduct")
	}
	a = products.Next(t)
	if d := verify(t, a, hookSecret); d.ResourceID != pid || decodeCallback(t, a).Scope != "store/product/updated" {
		t.Errorf("product updated: %+v %s", d, a.Body)
	}
	drain(t, f.sim)
	if created.Pending()+products.Pending() != 0 {
		t.Error("unexpected deliveries")
	}
	resp, b := f.get(t, "/v3/catalog/products/"+pid+"?include=variants,images")
	var p struct {
		Data struct {
			ID       int64 `json:"id"`
			Variants []struct {
				SKU            string `json:"sku"`
				InventoryLevel int    `json:"inventory_level"`
			} `json:"variants"`
		} `json:"data"`
	}
	if json.Unmarshal(b, &p); resp.StatusCode != 200 || strconv.FormatInt(p.Data.ID, 10) != pid || len(p.Data.Variants) != 1 ||
		p.Data.Variants[0].SKU != "HOOK-SKU" || p.Data.Variants[0].InventoryLevel != 5 {
		t.Errorf("GET product: %d %s", resp.StatusCode, b)
	}
	if resp, _ := f.get(t, "/v3/catalog/products/999999"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing product: %d", resp.StatusCode)
	}
}

func TestHooksAPI(t *testing.T) {
	f := hookFixture(t, Options{})
	const dest = "https://hooks.example/webhooks/bigcommerce/ch1"
	h := f.hook(t, "store/order/*", dest, map[string]string{})
	if h.ID == 0 || h.Scope != "store/order/*" || h.Destination != dest || !h.IsActive || h.ClientID == "" || h.StoreHash != f.sim.StoreHash() {
		t.Errorf("created %+v", h)
	}
	f.hook(t, "store/product/created", dest, nil)

	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"scope": "store/order/*"}, "destination"},
		{map[string]any{"destination": dest}, "scope"},
		{map[string]any{"scope": "store/nothing", "destination": dest}, "scope"},
		{map[string]any{"scope": "store/order/*", "destination": "http://hooks.example/x"}, "destination"},
		{map[string]any{"scope": "store/order/*", "destination": "https://hooks.example:8443/x"}, "destination"},
	} {
		resp, b := f.do(t, http.MethodPost, "/v3/hooks", tc.body, token)
		var p struct {
			Errors map[string]string `json:"errors"`
		}
		json.Unmarshal(b, &p)
		if resp.StatusCode != http.StatusUnprocessableEntity || p.Errors[tc.field] == "" {
			t.Errorf("POST %v: %d %s; want 422 naming %s", tc.body, resp.StatusCode, b, tc.field)
		}
	}

	list := func(q string) []hookBody {
		t.Helper()
		resp, b := f.get(t, "/v3/hooks"+q)
		var d struct {
			Data []hookBody `json:"data"`
			Meta struct {
				Pagination struct {
					Total int `json:"total"`
				} `json:"pagination"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(b, &d); err != nil || resp.StatusCode != 200 || d.Meta.Pagination.Total != len(d.Data) {
			t.Fatalf("GET /v3/hooks%s: %d %s", q, resp.StatusCode, b)
		}
		return d.Data
	}
	if got := list(""); len(got) != 2 {
		t.Errorf("list %+v", got)
	}
	if got := list("?scope=store/order/*&destination=" + dest); len(got) != 1 || got[0].ID != h.ID {
		t.Errorf("filtered list %+v", got)
	}
	path := "/v3/hooks/" + strconv.FormatInt(h.ID, 10)
	resp, b := f.do(t, http.MethodPut, path, map[string]any{"is_active": false}, token)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"is_active":false`) {
		t.Errorf("PUT: %d %s", resp.StatusCode, b)
	}
	if got := list("?is_active=false"); len(got) != 1 || got[0].ID != h.ID {
		t.Errorf("inactive %+v", got)
	}
	if resp, b := f.get(t, path); resp.StatusCode != 200 || !strings.Contains(string(b), `"id":`+strconv.FormatInt(h.ID, 10)) {
		t.Errorf("GET: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do(t, http.MethodDelete, path, nil, token); resp.StatusCode != 200 || !strings.Contains(string(b), `"scope":"store/order/*"`) {
		t.Errorf("DELETE: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do(t, http.MethodDelete, path, nil, token); resp.StatusCode != http.StatusNotFound {
		t.Errorf("DELETE again: %d %s", resp.StatusCode, b)
	}
	if resp, _ := f.do(t, http.MethodGet, "/v3/hooks", nil, "wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}
	if hs := f.sim.Hooks(); len(hs) != 1 || hs[0].Scope != "store/product/created" {
		t.Errorf("Hooks %+v", hs)
	}
}

func TestWebhookInactiveAndDeletedHooksGetNothing(t *testing.T) {
	f := hookFixture(t, Options{})
	rc := newReceiver(t, nil)
	inactive := f.hook(t, "store/order/*", rc.URL, nil)
	f.do(t, http.MethodPut, "/v3/hooks/"+strconv.FormatInt(inactive.ID, 10), map[string]any{"is_active": false}, token)
	deleted := f.hook(t, "store/order/created", rc.URL, nil)
	f.do(t, http.MethodDelete, "/v3/hooks/"+strconv.FormatInt(deleted.ID, 10), nil, token)
	f.sim.CreateOrder(nil)
	drain(t, f.sim)
	if rc.Pending() != 0 || len(f.sim.Deliveries()) != 0 {
		t.Errorf("delivered to inactive or deleted hooks")
	}
}

func TestWebhookRetrySchedule(t *testing.T) {
	f := hookFixture(t, Options{})
	rc := newReceiver(t, func(n int) int {
		if n <= 3 {
			return http.StatusBadGateway
		}
		return http.StatusNoContent
	})
	f.hook(t, "store/order/created", rc.URL, nil)
	f.sim.CreateOrder(nil)
	first := rc.Next(t)
	for range 3 {
		a := rc.Next(t)
		if a.Header.Get("webhook-id") != first.Header.Get("webhook-id") || string(a.Body) != string(first.Body) {
			t.Error("a retry is not the same message")
		}
		verify(t, a, hookSecret)
	}
	drain(t, f.sim)
	ds := f.sim.Deliveries()
	if len(ds) != 4 || ds[2].Delivered || !ds[3].Delivered || ds[3].Status != http.StatusNoContent {
		t.Errorf("deliveries %+v", ds)
	}
	// Retries follow 60 s, 180 s, 300 s: with a 1 ms unit the gaps are at
	// least 60, 180 and 300 ms.
	f2 := hookFixture(t, Options{WebhookDelayUnit: time.Millisecond})
	rc2 := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	f2.hook(t, "store/order/created", rc2.URL, nil)
	f2.sim.CreateOrder(nil)
	drain(t, f2.sim)
	ds = f2.sim.Deliveries()
	if len(ds) != 3 || ds[1].At.Sub(ds[0].At) < 60*time.Millisecond || ds[2].At.Sub(ds[1].At) < 180*time.Millisecond {
		t.Errorf("schedule: %+v", ds)
	}
}

func TestWebhookFailingEveryRetryDeactivatesHook(t *testing.T) {
	f := hookFixture(t, Options{})
	rc := newReceiver(t, func(int) int { return http.StatusInternalServerError })
	h := f.hook(t, "store/order/*", rc.URL, nil)
	f.sim.CreateOrder(nil)
	drain(t, f.sim)
	ds := f.sim.Deliveries()
	if len(ds) != 12 || ds[11].Attempt != 12 {
		t.Fatalf("%d attempts; want 1 + BigCommerce's 11 retries", len(ds))
	}
	hs := f.sim.Hooks()
	if len(hs) != 1 || hs[0].ID != h.ID || hs[0].IsActive {
		t.Errorf("hooks after giving up: %+v", hs)
	}
	f.sim.CreateOrder(nil)
	drain(t, f.sim)
	if len(f.sim.Deliveries()) != 12 {
		t.Error("delivered to a deactivated hook")
	}
}

func TestWebhookFaults(t *testing.T) {
	t.Run("duplicate", func(t *testing.T) {
		f := hookFixture(t, Options{})
		rc := newReceiver(t, nil)
		f.hook(t, "store/order/*", rc.URL, nil)
		f.sim.SetWebhookFaults(WebhookFaults{Duplicate: 1})
		id := f.sim.CreateOrder(nil)
		a, b := verify(t, rc.Next(t), hookSecret), verify(t, rc.Next(t), hookSecret)
		if a != b || a.ResourceID != id {
			t.Errorf("copies differ: %+v %+v", a, b)
		}
	})
	t.Run("out of order", func(t *testing.T) {
		f := hookFixture(t, Options{})
		rc := newReceiver(t, nil)
		f.hook(t, "store/order/created", rc.URL, nil)
		f.sim.SetWebhookFaults(WebhookFaults{OutOfOrder: 1})
		first, second := f.sim.CreateOrder(nil), f.sim.CreateOrder(nil)
		if d := verify(t, rc.Next(t), hookSecret); d.ResourceID != second {
			t.Errorf("first arrival %s, want %s", d.ResourceID, second)
		}
		if d := verify(t, rc.Next(t), hookSecret); d.ResourceID != first {
			t.Errorf("second arrival %s, want %s", d.ResourceID, first)
		}
	})
	t.Run("fail first", func(t *testing.T) {
		f := hookFixture(t, Options{})
		rc := newReceiver(t, nil)
		f.hook(t, "store/order/created", rc.URL, nil)
		f.sim.SetWebhookFaults(WebhookFaults{FailFirst: 1})
		f.sim.CreateOrder(nil)
		a, b := rc.Next(t), rc.Next(t)
		if verify(t, a, hookSecret) != verify(t, b, hookSecret) {
			t.Error("the retry is another message")
		}
		drain(t, f.sim)
		if ds := f.sim.Deliveries(); len(ds) != 2 || ds[0].Delivered || !ds[1].Delivered {
			t.Errorf("deliveries %+v", ds)
		}
	})
}

func TestWebhookTimestampFollowsTheClock(t *testing.T) {
	clock := newClock()
	f := hookFixture(t, Options{Now: clock.Now})
	rc := newReceiver(t, nil)
	f.hook(t, "store/order/created", rc.URL, nil)
	f.sim.CreateOrder(nil)
	a := rc.Next(t)
	if _, err := webhook.Verify(catalog.BigCommerce, a.Header, a.Body, []byte(hookSecret), clock.Now()); err != nil {
		t.Errorf("verify at the simulator's time: %v", err)
	}
	if _, err := webhook.Verify(catalog.BigCommerce, a.Header, a.Body, []byte(hookSecret), clock.Now().Add(10*time.Minute)); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("a replay 10 minutes later verified: %v", err)
	}
}

func TestWebhookCloseStopsRetries(t *testing.T) {
	f := hookFixture(t, Options{WebhookDelayUnit: time.Hour})
	rc := newReceiver(t, func(int) int { return http.StatusInternalServerError })
	f.hook(t, "store/order/*", rc.URL, nil)
	f.sim.CreateOrder(nil)
	rc.Next(t) // the first try; the retry would wait 60 "hours"
	f.sim.Close()
	testkit.NoGoroutine(t, "outbox.(*Outbox).")
	f.sim.CreateOrder(nil)
	if err := f.sim.DrainWebhooks(t.Context()); err == nil {
		t.Error("DrainWebhooks after Close")
	}
	if rc.Pending() != 0 {
		t.Error("delivered after Close")
	}
}
