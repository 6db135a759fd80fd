package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
)

// TestReplayFreshIDs: the delivery id headers are not signed, so one
// captured signed body sent again with a fresh id each time must still be
// one import, not one per request.
func TestReplayFreshIDs(t *testing.T) {
	e := newEnv(t)
	path := "/webhooks/shopify/" + e.ch.ID
	body := []byte(`{"id":4242,"name":"#4242"}`)
	for i := range 1000 {
		if w := e.post(path, body, e.signed(body, fmt.Sprintf("forged-%d", i))); w.Code != http.StatusOK {
			t.Fatalf("replay %d: %d %s", i, w.Code, w.Body)
		}
	}
	if n := e.disp.count(); n != 1 {
		t.Fatalf("one signed body replayed 1,000 times with fresh ids made %d imports, want 1", n)
	}
	// A different body (the order changed) is a new event.
	body2 := []byte(`{"id":4242,"name":"#4242","updated_at":"2030-01-01T00:00:01Z"}`)
	if w := e.post(path, body2, e.signed(body2, "forged-x")); w.Code != http.StatusOK || e.disp.count() != 2 {
		t.Fatalf("a changed body: %d, %d imports", w.Code, e.disp.count())
	}
}

// TestReplayAfterFailedHandOver: a body whose hand-over failed is not
// remembered, so the cart's retry (or the same body under a new id)
// still imports.
func TestReplayAfterFailedHandOver(t *testing.T) {
	e := newEnv(t)
	path := "/webhooks/shopify/" + e.ch.ID
	body := []byte(`{"id":5}`)
	e.disp.err = fmt.Errorf("queue full")
	if w := e.post(path, body, e.signed(body, "a")); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("failed hand-over: %d", w.Code)
	}
	e.disp.err = nil
	if w := e.post(path, body, e.signed(body, "b")); w.Code != http.StatusOK || e.disp.count() != 1 {
		t.Fatalf("retry: %d, %d imports", w.Code, e.disp.count())
	}
}

// TestWooCommerceSameSecondDistinct: WooCommerce may send two different
// events of one webhook in the same second under the same delivery id;
// different bodies are different events. A replay of either with fresh
// delivery ids is one import each.
func TestWooCommerceSameSecondDistinct(t *testing.T) {
	e := newEnv(t)
	secret := "woo-secret"
	ch, err := e.rc.Channels.Create(context.Background(), "acct", channels.Channel{Type: catalog.WooCommerce, Name: "W"},
		cart.Credentials{"consumer_key": "ck", "consumer_secret": "cs"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.rc.Channels.SetWebhookSecret(context.Background(), "acct", ch.ID, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	path := "/webhooks/woocommerce/" + ch.ID
	send := func(body, delivery string) int {
		h := http.Header{}
		h.Set("X-WC-Webhook-Signature", b64mac([]byte(secret), body))
		h.Set("X-WC-Webhook-Topic", "order.updated")
		h.Set("X-WC-Webhook-Delivery-ID", delivery)
		return e.post(path, []byte(body), h).Code
	}
	a, b := `{"id":1,"status":"processing"}`, `{"id":2,"status":"processing"}`
	if send(a, "77") != 200 || send(b, "77") != 200 || e.disp.count() != 2 {
		t.Fatalf("two events in one second: %d imports, want 2", e.disp.count())
	}
	for i := range 50 {
		send(a, fmt.Sprint(1000+i))
		send(b, fmt.Sprint(2000+i))
	}
	if e.disp.count() != 2 {
		t.Fatalf("replays with fresh delivery ids made %d imports, want 2", e.disp.count())
	}
}

// TestMalformedChannelID: a channel id no channel can have is 404 (it was
// a store error answered 503, which carts retry for hours).
func TestMalformedChannelID(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{"id":1}`)
	for _, ch := range []string{"%ff", "ch_%ff%fe", url.PathEscape("ch_\x00abcdefgh"), strings.Repeat("a", 3000), "ch_" + strings.Repeat("a", 60), "%E2%80%AE"} {
		w := e.post("/webhooks/shopify/"+ch, body, e.signed(body, "ev"))
		if w.Code != http.StatusNotFound {
			t.Errorf("channel %.40q: %d %s, want 404", ch, w.Code, w.Body)
		}
	}
	if e.disp.count() != 0 {
		t.Fatal("a malformed channel id imported")
	}
}

// TestDedupeWindowCoversRetries: the carts retry for at most 48 hours
// (Shopify: 8 times over 4 hours since 2024); the window must cover that.
func TestDedupeWindowCoversRetries(t *testing.T) {
	if DedupeTTL < 48*time.Hour {
		t.Fatalf("DedupeTTL %s is shorter than the carts' retries", DedupeTTL)
	}
}

// TestReplayConcurrent: copies of one signed body arriving together (a
// replay burst) still import once: the body is claimed conditionally
// before the hand-over.
func TestReplayConcurrent(t *testing.T) {
	e := newEnv(t)
	path := "/webhooks/shopify/" + e.ch.ID
	body := []byte(`{"id":9191}`)
	var wg sync.WaitGroup
	codes := make([]int, 64)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.post(path, body, e.signed(body, fmt.Sprint("burst-", i))).Code
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("copy %d answered %d", i, c)
		}
	}
	if n := e.disp.count(); n != 1 {
		t.Fatalf("64 concurrent copies made %d imports, want 1", n)
	}
}
