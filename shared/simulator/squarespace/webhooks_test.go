package squarespacesim

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/testkit"
	"github.com/autosync/autosync/shared/webhook"
	"github.com/autosync/autosync/shared/webhook/webhooktest"
)

func newReceiver(t *testing.T, status func(n int) int) *webhooktest.Receiver {
	return webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/squarespace/ch1", Status: status})
}

// hookSim serves a simulator whose retries come at once; the API key
// stands for the OAuth token unless opts names one.
func hookSim(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	if opts.WebhookDelayUnit == 0 {
		opts.WebhookDelayUnit = time.Microsecond
	}
	s, base := serve(t, opts)
	t.Cleanup(s.Close) // runs before the server closes
	return s, base
}

// hookCall sends a Webhook Subscriptions API request with token.
func hookCall(t *testing.T, method, u, token, body string) answer {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	return call(t, method, u, b, map[string]string{"Authorization": "Bearer " + token})
}

type subJSON struct {
	ID          string   `json:"id"`
	EndpointURL string   `json:"endpointUrl"`
	Topics      []string `json:"topics"`
	Secret      *string  `json:"secret"`
	CreatedOn   string   `json:"createdOn"`
	UpdatedOn   string   `json:"updatedOn"`
}

// subscribe creates a subscription and returns it, secret included.
func subscribe(t *testing.T, base, endpoint string, topics ...string) subJSON {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"endpointUrl": endpoint, "topics": topics})
	a := hookCall(t, "POST", base+"/1.0/webhook_subscriptions", key, string(body))
	if a.status != http.StatusOK {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	var sub subJSON
	if err := json.Unmarshal(a.body, &sub); err != nil || sub.Secret == nil {
		t.Fatalf("create answered %s (%v)", a.body, err)
	}
	return sub
}

func verify(t *testing.T, a webhooktest.Arrival, secret string) webhook.Delivery {
	t.Helper()
	d, err := webhook.Verify(catalog.Squarespace, a.Header, a.Body, []byte(secret), time.Now())
	if err != nil {
		t.Fatalf("notification does not verify: %v\n%v\n%s", err, a.Header, a.Body)
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

type notificationBody struct {
	ID             string `json:"id"`
	WebsiteID      string `json:"websiteId"`
	SubscriptionID string `json:"subscriptionId"`
	Topic          string `json:"topic"`
	CreatedOn      string `json:"createdOn"`
	Data           struct {
		OrderID string  `json:"orderId"`
		Update  *string `json:"update"`
	} `json:"data"`
}

func parseNotification(t *testing.T, a webhooktest.Arrival) notificationBody {
	t.Helper()
	var n notificationBody
	if err := json.Unmarshal(a.Body, &n); err != nil {
		t.Fatalf("body %s: %v", a.Body, err)
	}
	return n
}

func TestWebhookOrderCreated(t *testing.T) {
	s, base := hookSim(t, Options{WebsiteID: "5f3c3d55ac435e1a051f77b3"})
	rc := newReceiver(t, nil)
	sub := subscribe(t, base, rc.URL, "order.create", "order.update")
	if _, err := uuid.Parse(sub.ID); err != nil {
		t.Errorf("subscription id %q is not a UUID", sub.ID)
	}
	if k, err := hex.DecodeString(*sub.Secret); err != nil || len(k) != 32 || *sub.Secret != strings.ToUpper(*sub.Secret) {
		t.Errorf("secret %q: want 64 upper-case hex digits", *sub.Secret)
	}
	if sub.EndpointURL != rc.URL || !slices.Equal(sub.Topics, []string{"order.create", "order.update"}) {
		t.Errorf("subscription %+v", sub)
	}

	id := s.CreateOrder([]cart.Line{{SKU: "SKU-0003", Quantity: 2}})
	a := rc.Next(t)
	d := verify(t, a, *sub.Secret)
	n := parseNotification(t, a)
	if d.Topic != cart.TopicOrders || d.ResourceID != id || d.ID != n.ID {
		t.Errorf("verified %+v; want orders, order %s, id = notification id %s", d, id, n.ID)
	}
	if n.WebsiteID != "5f3c3d55ac435e1a051f77b3" || n.SubscriptionID != sub.ID || n.Topic != "order.create" ||
		n.Data.OrderID != id || n.Data.Update != nil || len(n.ID) != 24 {
		t.Errorf("body %s", a.Body)
	}
	if o, _ := s.Order(id); n.CreatedOn != stampString(o.ModifiedOn) {
		t.Errorf("createdOn %s, order modified %s", n.CreatedOn, o.ModifiedOn)
	}
	for k, want := range map[string]string{"User-Agent": "Squarespace/1.0", "Content-Type": "application/json"} {
		if got := a.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if sig := a.Header.Get("Squarespace-Signature"); len(sig) != 64 || sig != strings.ToLower(sig) {
		t.Errorf("signature %q: want lower-case hex as Squarespace's Node example computes", sig)
	}
	for _, wrong := range []string{strings.Repeat("AB", 32), "not hex"} {
		if _, err := webhook.Verify(catalog.Squarespace, a.Header, a.Body, []byte(wrong), time.Now()); !errors.Is(err, webhook.ErrSignature) {
			t.Errorf("verified with secret %q: %v", wrong, err)
		}
	}

	drain(t, s)
	ds := s.Deliveries()
	if len(ds) != 1 || !ds[0].Delivered || ds[0].Attempt != 1 || ds[0].Status != 200 || ds[0].ResourceID != id ||
		ds[0].Topic != "order.create" || ds[0].URL != rc.URL || ds[0].ID != n.ID || ds[0].Subscription != sub.ID {
		t.Errorf("deliveries %+v", ds)
	}
	if rc.Pending() != 0 {
		t.Error("order.create delivered more than once")
	}
}

func TestWebhookOrderUpdates(t *testing.T) {
	s, base := hookSim(t, Options{})
	rc := newReceiver(t, nil)
	sub := subscribe(t, base, rc.URL, "order.update")

	cancelled := s.CreateOrder(nil) // order.create: nobody subscribed
	fulfilled := s.CreateOrder(nil)
	if err := s.CancelOrder(cancelled); err != nil {
		t.Fatal(err)
	}
	if err := s.FulfillOrder(fulfilled); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ id, update string }{{cancelled, Canceled}, {fulfilled, Fulfilled}} {
		a := rc.Next(t)
		d := verify(t, a, *sub.Secret)
		n := parseNotification(t, a)
		if d.Topic != cart.TopicOrders || d.ResourceID != want.id || n.Topic != "order.update" ||
			n.Data.Update == nil || *n.Data.Update != want.update {
			t.Errorf("got %+v %s; want order.update %s of %s", d, a.Body, want.update, want.id)
		}
	}
	if err := s.CancelOrder(fulfilled); !errors.Is(err, ErrState) {
		t.Errorf("cancelling a fulfilled order: %v", err)
	}
	s.Seed(5, 1) // history: no notifications
	drain(t, s)
	if rc.Pending() != 0 || len(s.Deliveries()) != 2 {
		t.Errorf("%d unexpected notifications; deliveries %+v", rc.Pending(), s.Deliveries())
	}
}

func TestWebhookSubscriptionAPI(t *testing.T) {
	s, base := hookSim(t, Options{OAuthToken: "oauth-token"})
	const ep = "https://hooks.example/webhooks/squarespace/ch1"
	hooks := base + "/1.0/webhook_subscriptions"

	// The API key may read orders but not manage webhooks.
	if a := hookCall(t, "GET", hooks, key, ""); a.status != http.StatusForbidden || errorObject(t, a.body)["type"] != "AUTHORIZATION_ERROR" {
		t.Errorf("API key on webhooks: %d %s", a.status, a.body)
	}
	if a := hookCall(t, "GET", hooks, "nope", ""); a.status != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", a.status)
	}
	for _, tok := range []string{key, "oauth-token"} {
		if a := hookCall(t, "GET", base+"/1.0/commerce/orders", tok, ""); a.status != http.StatusOK {
			t.Errorf("orders with %s: %d", tok, a.status)
		}
	}
	if st := s.Stats(); st.Forbidden != 1 || st.Unauthorized != 1 {
		t.Errorf("stats %+v", st)
	}

	const tok = "oauth-token"
	a := hookCall(t, "POST", hooks, tok, `{"endpointUrl":"`+ep+`","topics":["order.create","order.create","extension.uninstall"]}`)
	if a.status != http.StatusOK {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	var made subJSON
	json.Unmarshal(a.body, &made)
	if made.Secret == nil || made.ID == "" || !slices.Equal(made.Topics, []string{"order.create", "extension.uninstall"}) ||
		made.CreatedOn == "" || made.UpdatedOn != made.CreatedOn {
		t.Errorf("created %s", a.body)
	}

	for _, tc := range []struct{ name, body, ctype string }{
		{"no endpoint", `{"topics":["order.create"]}`, ""},
		{"plain http", `{"endpointUrl":"http://hooks.example/x","topics":["order.create"]}`, ""},
		{"not a url", `{"endpointUrl":"hooks","topics":["order.create"]}`, ""},
		{"no topics", `{"endpointUrl":"` + ep + `"}`, ""},
		{"empty topics", `{"endpointUrl":"` + ep + `","topics":[]}`, ""},
		{"unknown topic", `{"endpointUrl":"` + ep + `","topics":["product.create"]}`, ""},
		{"not json", `{"endpointUrl":`, ""},
		{"wrong type", `{"endpointUrl":"` + ep + `","topics":["order.create"]}`, "text/plain"},
	} {
		h := map[string]string{"Authorization": "Bearer " + tok}
		if tc.ctype != "" {
			h["Content-Type"] = tc.ctype
		}
		a := call(t, "POST", hooks, []byte(tc.body), h)
		if a.status != http.StatusBadRequest && !(tc.ctype != "" && a.status == http.StatusUnsupportedMediaType) {
			t.Errorf("%s: %d %s", tc.name, a.status, a.body)
			continue
		}
		errorObject(t, a.body)
	}

	var list struct {
		Subs []subJSON `json:"webhookSubscriptions"`
	}
	a = hookCall(t, "GET", hooks, tok, "")
	if json.Unmarshal(a.body, &list); a.status != 200 || len(list.Subs) != 1 || list.Subs[0].ID != made.ID || list.Subs[0].Secret != nil {
		t.Errorf("list: %d %s", a.status, a.body)
	}
	var one subJSON
	a = hookCall(t, "GET", hooks+"/"+made.ID, tok, "")
	if json.Unmarshal(a.body, &one); a.status != 200 || one.ID != made.ID || one.Secret != nil || one.EndpointURL != ep {
		t.Errorf("get: %d %s", a.status, a.body)
	}

	// A partial update keeps what it does not name.
	a = hookCall(t, "POST", hooks+"/"+made.ID, tok, `{"topics":["order.update"]}`)
	if json.Unmarshal(a.body, &one); a.status != 200 || one.EndpointURL != ep || !slices.Equal(one.Topics, []string{"order.update"}) || one.Secret != nil {
		t.Errorf("update: %d %s", a.status, a.body)
	}
	if subs := s.WebhookSubscriptions(); len(subs) != 1 || !slices.Equal(subs[0].Topics, []string{"order.update"}) {
		t.Errorf("WebhookSubscriptions %+v", subs)
	}

	var rot struct {
		Secret string `json:"secret"`
	}
	a = hookCall(t, "POST", hooks+"/"+made.ID+"/actions/rotateSecret", tok, "")
	if json.Unmarshal(a.body, &rot); a.status != 200 || rot.Secret == "" || rot.Secret == *made.Secret {
		t.Errorf("rotate: %d %s", a.status, a.body)
	}

	if a := hookCall(t, "DELETE", hooks+"/"+made.ID, tok, ""); a.status != http.StatusNoContent || len(a.body) != 0 {
		t.Errorf("delete: %d %s", a.status, a.body)
	}
	for _, r := range []struct{ method, path, body string }{
		{"DELETE", "/" + made.ID, ""}, {"GET", "/" + made.ID, ""}, {"POST", "/" + made.ID, `{"topics":["order.create"]}`},
		{"POST", "/" + made.ID + "/actions/rotateSecret", ""},
	} {
		a := hookCall(t, r.method, hooks+r.path, tok, r.body)
		if a.status != http.StatusNotFound {
			t.Errorf("%s %s after delete: %d", r.method, r.path, a.status)
			continue
		}
		if e := errorObject(t, a.body); e["type"] != "INVALID_REQUEST_ERROR" || e["subtype"] != "INVALID_ARGUMENT" {
			t.Errorf("%s %s: error %v", r.method, r.path, e)
		}
	}

	// A site holds at most 25.
	for i := range MaxWebhookSubscriptions {
		if a := hookCall(t, "POST", hooks, tok, `{"endpointUrl":"https://hooks.example/`+string(rune('a'+i))+`","topics":["order.create"]}`); a.status != 200 {
			t.Fatalf("subscription %d: %d %s", i+1, a.status, a.body)
		}
	}
	if a := hookCall(t, "POST", hooks, tok, `{"endpointUrl":"`+ep+`","topics":["order.create"]}`); a.status != http.StatusBadRequest {
		t.Errorf("26th subscription: %d %s", a.status, a.body)
	}
}

func TestWebhookRetryAfterRotateIsSignedWithTheNewSecret(t *testing.T) {
	s, base := hookSim(t, Options{})
	rotated := make(chan string, 1)
	var subID string
	rc := newReceiver(t, func(n int) int {
		if n > 1 {
			return http.StatusOK
		}
		// The first try fails, and the secret is rotated before its retry.
		var rot struct {
			Secret string `json:"secret"`
		}
		a := hookCall(t, "POST", base+"/1.0/webhook_subscriptions/"+subID+"/actions/rotateSecret", key, "")
		json.Unmarshal(a.body, &rot)
		rotated <- rot.Secret
		return http.StatusInternalServerError
	})
	sub := subscribe(t, base, rc.URL, "order.create")
	subID = sub.ID
	s.CreateOrder(nil)
	first, retry := rc.Next(t), rc.Next(t)
	secret := <-rotated
	verify(t, first, *sub.Secret)
	verify(t, retry, secret)
	if _, err := webhook.Verify(catalog.Squarespace, retry.Header, retry.Body, []byte(*sub.Secret), time.Now()); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("the rotated-out secret still verifies: %v", err)
	}
	if string(first.Body) != string(retry.Body) {
		t.Error("the retry changed the body")
	}
}

func TestWebhookEachSubscriptionItsOwnNotification(t *testing.T) {
	s, base := hookSim(t, Options{})
	rc1, rc2 := newReceiver(t, nil), newReceiver(t, nil)
	sub1 := subscribe(t, base, rc1.URL, "order.create")
	sub2 := subscribe(t, base, rc2.URL, "order.create")
	id := s.CreateOrder(nil)
	a1, a2 := rc1.Next(t), rc2.Next(t)
	d1, d2 := verify(t, a1, *sub1.Secret), verify(t, a2, *sub2.Secret)
	if d1.ResourceID != id || d2.ResourceID != id || d1.ID == d2.ID {
		t.Errorf("deliveries %+v %+v: want the order in two notifications", d1, d2)
	}
	if parseNotification(t, a1).SubscriptionID != sub1.ID || parseNotification(t, a2).SubscriptionID != sub2.ID {
		t.Error("subscriptionId is not the receiving subscription's")
	}
	if _, err := webhook.Verify(catalog.Squarespace, a1.Header, a1.Body, []byte(*sub2.Secret), time.Now()); err == nil {
		t.Error("one subscription's notification verifies with another's secret")
	}
	drain(t, s)
	if ds := s.Deliveries(); len(ds) != 2 || ds[0].EventID != ds[1].EventID {
		t.Errorf("deliveries %+v: want one event, two notifications", ds)
	}
}

func TestWebhookUnsubscribeStopsDeliveries(t *testing.T) {
	s, base := hookSim(t, Options{})
	rc := newReceiver(t, nil)
	sub := subscribe(t, base, rc.URL, "order.create", "order.update")
	if a := hookCall(t, "DELETE", base+"/1.0/webhook_subscriptions/"+sub.ID, key, ""); a.status != http.StatusNoContent {
		t.Fatalf("delete: %d", a.status)
	}
	id := s.CreateOrder(nil)
	s.CancelOrder(id)
	drain(t, s)
	if rc.Pending() != 0 || len(s.Deliveries()) != 0 {
		t.Errorf("delivered after unsubscribing: %d %+v", rc.Pending(), s.Deliveries())
	}
}

func TestWebhookRetriesCarryTheOriginal(t *testing.T) {
	s, base := hookSim(t, Options{})
	rc := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	sub := subscribe(t, base, rc.URL, "order.create")
	s.CreateOrder(nil)
	first := rc.Next(t)
	for range 2 {
		a := rc.Next(t)
		if a.Header.Get("Squarespace-Signature") != first.Header.Get("Squarespace-Signature") || string(a.Body) != string(first.Body) {
			t.Error("a retry is not the same notification")
		}
		verify(t, a, *sub.Secret)
	}
	drain(t, s)
	ds := s.Deliveries()
	if len(ds) != 3 || ds[0].Delivered || ds[1].Delivered || !ds[2].Delivered || ds[2].Attempt != 3 || ds[0].Status != 500 ||
		ds[0].ID != ds[2].ID {
		t.Errorf("deliveries %+v", ds)
	}
	if len(s.WebhookSubscriptions()) != 1 {
		t.Error("a delivered subscription was deleted")
	}
}

func TestWebhookRetrySchedule(t *testing.T) {
	total := 0
	for i, w := range webhookRetries {
		if i > 0 && w <= webhookRetries[i-1] {
			t.Errorf("retry %d waits %d s, no longer than the one before", i+1, w)
		}
		total += w
	}
	// "Squarespace attempts delivery several times for up to 48 hours."
	if len(webhookRetries) < 3 || total > 48*3600 || total < 40*3600 {
		t.Errorf("%d retries over %.1f h; want several, spanning most of 48 h", len(webhookRetries), float64(total)/3600)
	}
}

func TestWebhookFailingEveryTryDeletesSubscription(t *testing.T) {
	s, base := hookSim(t, Options{})
	rc := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	subscribe(t, base, rc.URL, "order.create")
	s.CreateOrder(nil)
	drain(t, s)
	ds := s.Deliveries()
	if n := len(webhookRetries) + 1; len(ds) != n || ds[n-1].Attempt != n || ds[n-1].Delivered {
		t.Fatalf("%d attempts, want %d: %+v", len(ds), n, ds)
	}
	if subs := s.WebhookSubscriptions(); len(subs) != 0 {
		t.Errorf("subscription kept after every try failed: %+v", subs)
	}
	s.CreateOrder(nil)
	drain(t, s)
	if n := len(s.Deliveries()); n != len(webhookRetries)+1 {
		t.Errorf("delivered to a deleted subscription: %d", n)
	}
}

func TestWebhookTimeoutIsRetried(t *testing.T) {
	s, base := hookSim(t, Options{WebhookTimeout: 100 * time.Millisecond})
	release := make(chan struct{})
	var once sync.Once
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
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
	subscribe(t, base, ts.URL+"/hook", "order.create")
	s.CreateOrder(nil)
	drain(t, s)
	ds := s.Deliveries()
	if len(ds) != 2 || ds[0].Delivered || ds[0].Err == "" || ds[0].Status != 0 || !ds[1].Delivered || ds[1].ID != ds[0].ID {
		t.Errorf("deliveries %+v", ds)
	}
}

func TestWebhookFaults(t *testing.T) {
	t.Run("duplicate", func(t *testing.T) {
		s, base := hookSim(t, Options{})
		rc := newReceiver(t, nil)
		sub := subscribe(t, base, rc.URL, "order.create")
		s.SetWebhookFaults(WebhookFaults{Duplicate: 1})
		id := s.CreateOrder(nil)
		a, b := rc.Next(t), rc.Next(t)
		da, db := verify(t, a, *sub.Secret), verify(t, b, *sub.Secret)
		if da != db || da.ResourceID != id || string(a.Body) != string(b.Body) {
			t.Errorf("the copy is not the same notification: %+v %+v", da, db)
		}
		s.CreateOrder(nil) // the fault is spent
		rc.Next(t)
		drain(t, s)
		if rc.Pending() != 0 {
			t.Error("the fault outlived its count")
		}
		if ds := s.Deliveries(); len(ds) != 3 || ds[0].Duplicate || !ds[1].Duplicate || ds[2].Duplicate || ds[0].ID != ds[1].ID {
			t.Errorf("deliveries %+v", ds)
		}
	})
	t.Run("out of order", func(t *testing.T) {
		s, base := hookSim(t, Options{})
		rc := newReceiver(t, nil)
		sub := subscribe(t, base, rc.URL, "order.create", "order.update")
		s.SetWebhookFaults(WebhookFaults{OutOfOrder: 1})
		id := s.CreateOrder(nil)
		if err := s.CancelOrder(id); err != nil {
			t.Fatal(err)
		}
		// The update overtakes the create.
		if n := parseNotification(t, rc.Next(t)); n.Topic != "order.update" || n.Data.OrderID != id {
			t.Errorf("first arrival %+v, want the later order.update", n)
		}
		a := rc.Next(t)
		if n := parseNotification(t, a); n.Topic != "order.create" {
			t.Errorf("second arrival %+v, want the held order.create", n)
		}
		verify(t, a, *sub.Secret)
	})
	t.Run("held with nothing following", func(t *testing.T) {
		s, base := hookSim(t, Options{})
		rc := newReceiver(t, nil)
		subscribe(t, base, rc.URL, "order.create")
		s.SetWebhookFaults(WebhookFaults{OutOfOrder: 1})
		id := s.CreateOrder(nil)
		drain(t, s) // sends what it holds
		if n := parseNotification(t, rc.Next(t)); n.Data.OrderID != id {
			t.Errorf("got %+v", n)
		}
	})
	t.Run("fail first", func(t *testing.T) {
		s, base := hookSim(t, Options{})
		rc := newReceiver(t, nil)
		sub := subscribe(t, base, rc.URL, "order.create")
		s.SetWebhookFaults(WebhookFaults{FailFirst: 1})
		s.CreateOrder(nil)
		a, b := rc.Next(t), rc.Next(t)
		if verify(t, a, *sub.Secret) != verify(t, b, *sub.Secret) {
			t.Error("the retry after a timeout is not the same notification")
		}
		drain(t, s)
		ds := s.Deliveries()
		if len(ds) != 2 || ds[0].Delivered || !strings.Contains(ds[0].Err, "timed out") || ds[0].Status != 200 || !ds[1].Delivered {
			t.Errorf("deliveries %+v", ds)
		}
	})
}

func TestWebhookCloseStopsRetries(t *testing.T) {
	s, base := hookSim(t, Options{WebhookDelayUnit: time.Hour})
	rc := newReceiver(t, func(int) int { return http.StatusBadGateway })
	subscribe(t, base, rc.URL, "order.create")
	s.CreateOrder(nil)
	rc.Next(t) // the first try; the retry would wait a minute of hours
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

func TestWebhookManyOrdersConcurrently(t *testing.T) {
	s, base := hookSim(t, Options{})
	rc := newReceiver(t, nil)
	sub := subscribe(t, base, rc.URL, "order.create", "order.update")
	var wg sync.WaitGroup
	ids := make(chan string, 20)
	for range 20 {
		wg.Go(func() {
			id := s.CreateOrder(nil)
			s.FulfillOrder(id)
			ids <- id
		})
	}
	wg.Wait()
	close(ids)
	want := map[string]bool{}
	for id := range ids {
		want[id] = true
	}
	drain(t, s)
	seen := map[string]int{}
	for range 40 {
		seen[verify(t, rc.Next(t), *sub.Secret).ResourceID]++
	}
	for id := range want {
		if seen[id] != 2 {
			t.Errorf("order %s: %d notifications, want create and update", id, seen[id])
		}
	}
	if n := len(s.Deliveries()); n != 40 {
		t.Errorf("%d deliveries, want 40", n)
	}
}

// Removing the extension posts extension.uninstall, with the extension's
// client id as Squarespace's example shows it, to the subscriptions to
// that topic only; it verifies as an uninstall notice.
func TestWebhookExtensionUninstall(t *testing.T) {
	s, base := hookSim(t, Options{ClientID: "sqsp_cid"})
	gone, orders := newReceiver(t, nil), newReceiver(t, nil)
	sub := subscribe(t, base, gone.URL, "order.create", "extension.uninstall")
	subscribe(t, base, orders.URL, "order.create")
	s.RemoveApp()
	a := gone.Next(t)
	d := verify(t, a, *sub.Secret)
	var n struct {
		Topic string `json:"topic"`
		Data  struct {
			ClientID string `json:"clientId"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.Body, &n); err != nil || n.Topic != "extension.uninstall" || n.Data.ClientID != "sqsp_cid" {
		t.Fatalf("notice %s (%v)", a.Body, err)
	}
	if !d.Uninstalled || d.Topic != "" || d.ResourceID != "" {
		t.Fatalf("verified %+v, want an uninstall notice", d)
	}
	drain(t, s)
	if gone.Pending() != 0 || orders.Pending() != 0 {
		t.Errorf("unexpected notifications: %d, %d", gone.Pending(), orders.Pending())
	}
}
