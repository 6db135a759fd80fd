package squarespace

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
	"github.com/autosync/autosync/shared/webhook/webhooktest"
)

// hookSim serves a simulator that delivers notifications at once (the
// API key stands for the OAuth token unless opts names one) and returns it
// with its base URL and a client.
func hookSim(t *testing.T, opts squarespacesim.Options) (*squarespacesim.Server, string, *Client) {
	t.Helper()
	opts.APIKey, opts.PerMinute = apiKey, -1
	opts.WebhookDelayUnit = time.Microsecond
	sim := squarespacesim.New(opts)
	base := serve(t, sim)
	t.Cleanup(sim.Close) // before the server closes
	return sim, base, newClient(t, base, apiKey)
}

// rawHook creates a subscription through the API, as another tool would.
func rawHook(t *testing.T, base, endpoint string, topics ...string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"endpointUrl": endpoint, "topics": topics})
	req, _ := http.NewRequest("POST", base+hooksPath, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("User-Agent", "test")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h hookObject
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != 200 {
		t.Fatalf("create: %d %v", resp.StatusCode, err)
	}
	return h.ID
}

func TestSubscribeDeliversVerifiableOrderNotifications(t *testing.T) {
	sim, _, c := hookSim(t, squarespacesim.Options{})
	in := webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/squarespace/ch1"})
	sub, err := c.Subscribe(t.Context(), cart.TopicOrders, in.URL, "a secret Squarespace does not take")
	if err != nil {
		t.Fatal(err)
	}
	if sub.ID == "" || !validSecret(sub.Secret) {
		t.Fatalf("subscription %+v", sub)
	}
	subs := sim.WebhookSubscriptions()
	if len(subs) != 1 || subs[0].ID != sub.ID || subs[0].EndpointURL != in.URL ||
		!slices.Equal(subs[0].Topics, []string{"order.create", "order.update", "extension.uninstall"}) {
		t.Fatalf("subscriptions %+v", subs)
	}

	id := sim.CreateOrder([]cart.Line{{SKU: "SKU-0002", Quantity: 3}})
	a := in.Next(t)
	d, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(sub.Secret), time.Now())
	if err != nil {
		t.Fatalf("delivery does not verify: %v\n%s", err, a.Body)
	}
	if d.Topic != cart.TopicOrders || d.ResourceID != id || d.ID == "" {
		t.Errorf("delivery %+v, want order %s", d, id)
	}
	// The notification is a signal; the order comes from the API.
	o, err := c.Order(t.Context(), d.ResourceID)
	if err != nil || o.ExternalID != id || o.Filter != cart.AwaitingFulfillment || !slices.Equal(o.Lines, []cart.Line{{SKU: "SKU-0002", Quantity: 3}}) {
		t.Errorf("Order(%s) = %+v, %v", d.ResourceID, o, err)
	}

	if err := sim.CancelOrder(id); err != nil {
		t.Fatal(err)
	}
	a = in.Next(t)
	if d, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(sub.Secret), time.Now()); err != nil || d.ResourceID != id {
		t.Errorf("order.update: %+v %v", d, err)
	}
	if o, err := c.Order(t.Context(), id); err != nil || o.Filter != cart.Cancelled {
		t.Errorf("cancelled order reads %+v, %v", o, err)
	}

	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Fatal(err)
	}
	if subs := sim.WebhookSubscriptions(); len(subs) != 0 {
		t.Errorf("after Unsubscribe: %+v", subs)
	}
	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Errorf("Unsubscribe of a missing subscription: %v", err)
	}
	webhooktest.Drain(t, sim)
	sim.CreateOrder(nil)
	webhooktest.Drain(t, sim)
	if in.Pending() != 0 {
		t.Errorf("%d notifications after Unsubscribe", in.Pending())
	}
}

func TestSubscribeProductsIsNotFound(t *testing.T) {
	sim, _, c := hookSim(t, squarespacesim.Options{})
	_, err := c.Subscribe(t.Context(), cart.TopicProducts, "https://hooks.example/x", "")
	var ce *cart.Error
	if !errors.Is(err, cart.ErrNotFound) || !errors.As(err, &ce) || !strings.Contains(ce.Message, "no webhooks for products") {
		t.Errorf("products: %v", err)
	}
	if len(sim.WebhookSubscriptions()) != 0 {
		t.Error("a subscription was made")
	}
	if _, err := c.Subscribe(t.Context(), cart.TopicOrders, "ftp://hooks.example/x", ""); err == nil {
		t.Error("a non-http address was accepted")
	}
	if err := c.Unsubscribe(t.Context(), "../orders"); err == nil {
		t.Error("Unsubscribe of a malformed id")
	}
}

func TestSubscribeTakesOverTheAddress(t *testing.T) {
	sim, base, c := hookSim(t, squarespacesim.Options{})
	in := webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/squarespace/ch1"})
	other := rawHook(t, base, "https://other.example/hook", "extension.uninstall") // never sent here
	first := rawHook(t, base, in.URL, "order.create")
	rawHook(t, base, in.URL, "order.create") // a duplicate, made by a lost answer

	sub, err := c.Subscribe(t.Context(), cart.TopicOrders, in.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	if sub.ID != first {
		t.Errorf("took %s, want the first at the address, %s", sub.ID, first)
	}
	subs := sim.WebhookSubscriptions()
	if len(subs) != 2 || subs[0].ID != other || subs[1].ID != first ||
		!slices.Equal(subs[1].Topics, []string{"order.create", "order.update", "extension.uninstall"}) {
		t.Errorf("subscriptions %+v", subs)
	}

	// Again (the record of it was lost): the same subscription, a new secret.
	again, err := c.Subscribe(t.Context(), cart.TopicOrders, in.URL, "")
	if err != nil || again.ID != sub.ID || again.Secret == sub.Secret {
		t.Fatalf("again: %+v %v; first %+v", again, err, sub)
	}
	sim.CreateOrder(nil)
	a := in.Next(t)
	if _, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(again.Secret), time.Now()); err != nil {
		t.Errorf("the current secret: %v", err)
	}
	if _, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(sub.Secret), time.Now()); !errors.Is(err, cart.ErrWebhookSignature) {
		t.Errorf("the rotated-out secret: %v", err)
	}
	webhooktest.Drain(t, sim)
	if in.Pending() != 0 {
		t.Error("a duplicate subscription still delivers")
	}
}

// TestSubscribeLostCreateAnswer: Squarespace makes the subscription but
// the answer is lost. Subscribe does not create another; it finds the one
// made and rotates its secret, which it now knows.
func TestSubscribeLostCreateAnswer(t *testing.T) {
	sim := squarespacesim.New(squarespacesim.Options{APIKey: apiKey, PerMinute: -1, WebhookDelayUnit: time.Microsecond})
	var mu sync.Mutex
	creates := 0
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == hooksPath {
			mu.Lock()
			creates++
			n := creates
			mu.Unlock()
			if n == 1 {
				sim.ServeHTTP(httptest.NewRecorder(), r) // made...
				panic(http.ErrAbortHandler)              // ...and the answer lost
			}
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(sim.Close)
	c := newClient(t, base, apiKey)
	in := webhooktest.NewReceiver(t, webhooktest.Options{Path: "/webhooks/squarespace/ch1"})

	sub, err := c.Subscribe(t.Context(), cart.TopicOrders, in.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	if subs := sim.WebhookSubscriptions(); len(subs) != 1 || subs[0].ID != sub.ID {
		t.Fatalf("subscriptions %+v, want only %s", subs, sub.ID)
	}
	mu.Lock()
	if creates != 1 {
		t.Errorf("%d creates, want 1", creates)
	}
	mu.Unlock()
	sim.CreateOrder(nil)
	a := in.Next(t)
	if _, err := Driver.Webhooks.Verify(a.Header, a.Body, []byte(sub.Secret), time.Now()); err != nil {
		t.Errorf("delivery does not verify with the secret Subscribe returned: %v", err)
	}
}

func TestSubscribeNeedsOAuth(t *testing.T) {
	sim, _, c := hookSim(t, squarespacesim.Options{OAuthToken: "oauth-token"})
	_, err := c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/x", "")
	var ce *cart.Error
	if !errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || ce.Status != http.StatusForbidden || !strings.Contains(ce.Message, "OAuth") {
		t.Errorf("Subscribe with an API key: %v", err)
	}
	if err := c.Unsubscribe(t.Context(), "7aff04bb-90e0-4002-96c2-69d8162c8dae"); !errors.Is(err, cart.ErrAuth) {
		t.Errorf("Unsubscribe with an API key: %v", err)
	}
	if len(sim.WebhookSubscriptions()) != 0 {
		t.Error("a subscription was made")
	}
	// The same site's orders still import with the key.
	if _, err := c.Orders(t.Context(), window(time.Now())); err != nil {
		t.Errorf("Orders with the key: %v", err)
	}
	oauth := newClient(t, serve(t, sim), "oauth-token")
	if _, err := oauth.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/x", ""); err != nil {
		t.Errorf("Subscribe with the OAuth token: %v", err)
	}
}

func TestSubscribeSiteFull(t *testing.T) {
	sim, base, c := hookSim(t, squarespacesim.Options{})
	for i := range MaxSubscriptions {
		rawHook(t, base, "https://other.example/"+string(rune('a'+i)), "order.create")
	}
	_, err := c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/x", "")
	var ce *cart.Error
	if !errors.As(err, &ce) || !strings.Contains(ce.Message, "25 webhook subscriptions") {
		t.Errorf("a full site: %v", err)
	}
	if n := len(sim.WebhookSubscriptions()); n != MaxSubscriptions {
		t.Errorf("%d subscriptions", n)
	}
}
