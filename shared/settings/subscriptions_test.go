package settings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/store"
)

type fakeCartHooks struct {
	mu   sync.Mutex
	subs map[string]string // id → topic + " " + address
	next int
	fail error
	last string // last secret
	give string // the secret the cart chose (Squarespace), if any
	// meanwhile, if set, runs once inside the first Subscribe.
	once      sync.Once
	meanwhile func()
}

func (f *fakeCartHooks) Subscriber(channels.Channel, cart.Credentials) (cart.Subscriber, error) {
	return f, nil
}

func (f *fakeCartHooks) Subscribe(_ context.Context, topic cart.Topic, address, secret string) (cart.Subscription, error) {
	if f.meanwhile != nil {
		f.once.Do(f.meanwhile)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return cart.Subscription{}, f.fail
	}
	f.next++
	id := fmt.Sprint("hook-", f.next)
	f.subs[id] = string(topic) + " " + address
	f.last = secret
	return cart.Subscription{ID: id, Secret: f.give}, nil
}

func (f *fakeCartHooks) Unsubscribe(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	delete(f.subs, id)
	return nil
}

func (f *fakeCartHooks) list() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, v := range f.subs {
		out = append(out, v)
	}
	return out
}

// tickInstasync gives the service fake cart webhooks at
// https://hooks.example/ and ticks the shop's instasync_orders.
func (f *fixture) tickInstasync(t *testing.T) *fakeCartHooks {
	t.Helper()
	hooks := &fakeCartHooks{subs: map[string]string{}}
	f.svc.Subscribers, f.svc.WebhookBaseURL = hooks, "https://hooks.example/"
	if _, err := f.svc.Update(context.Background(), "acct", []Change{{f.shop.ID, catalog.InstasyncOrders, true}}); err != nil {
		t.Fatal(err)
	}
	return hooks
}

func TestInstasyncSubscriptions(t *testing.T) {
	f := newFixture(t)
	hooks := f.tickInstasync(t)
	ctx := context.Background()
	want := "orders https://hooks.example/webhooks/shopify/" + f.shop.ID
	if got := hooks.list(); len(got) != 1 || got[0] != want {
		t.Fatalf("subscriptions %v, want [%s]", got, want)
	}
	// Shopify signs with the app's client secret; the receiver checks it.
	secret, err := f.svc.Channels.WebhookSecret(ctx, "acct", f.shop.ID)
	if err != nil || string(secret) != "shpss_fixture" || hooks.last != "shpss_fixture" {
		t.Fatalf("stored secret %q vs subscribed %q (%v)", secret, hooks.last, err)
	}
	if st := f.state(t, f.shop.ID, catalog.InstasyncOrders); st.Indicator != "instasync" {
		t.Fatalf("indicator %s", st.Indicator)
	}
	// A cart outage leaves the change pending; repair finishes it.
	hooks.fail = errors.New("503")
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.InstasyncOrders, false}}); err != nil {
		t.Fatal(err)
	}
	if len(hooks.list()) != 1 {
		t.Fatal("unsubscribed during the outage?")
	}
	hooks.fail = nil
	if _, err := f.svc.Repair(ctx); err != nil {
		t.Fatal(err)
	}
	if got := hooks.list(); len(got) != 0 {
		t.Fatalf("after repair: %v", got)
	}
	// Deleting a channel removes its subscriptions.
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.InstasyncOrders, true}, {f.shop.ID, catalog.InstasyncProducts, true}}); err != nil {
		t.Fatal(err)
	}
	if len(hooks.list()) != 2 {
		t.Fatalf("two topics: %v", hooks.list())
	}
	if err := f.svc.RemoveChannel(ctx, "acct", f.shop.ID); err != nil {
		t.Fatal(err)
	}
	if got := hooks.list(); len(got) != 0 {
		t.Fatalf("subscriptions left after deleting the channel: %v", got)
	}
}

// TestStaleSubscribeIsUndone: a subscribe overtaken by the merchant
// unticking the task is removed at the cart, not left delivering.
func TestStaleSubscribeIsUndone(t *testing.T) {
	f := newFixture(t)
	hooks := &fakeCartHooks{subs: map[string]string{}}
	f.svc.Subscribers, f.svc.WebhookBaseURL = hooks, "https://hooks.example/"
	ctx := context.Background()
	hooks.meanwhile = func() {
		if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.InstasyncOrders, false}}); err != nil {
			t.Error(err)
		}
	}
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.InstasyncOrders, true}}); err != nil {
		t.Fatal(err)
	}
	if st := f.state(t, f.shop.ID, catalog.InstasyncOrders); st.Enabled {
		t.Fatalf("the later untick lost: %+v", st)
	}
	if got := hooks.list(); len(got) != 0 {
		t.Fatalf("subscriptions left at the cart: %v", got)
	}
	if hooks.next != 1 {
		t.Fatalf("%d subscribes, want 1", hooks.next)
	}
}

// TestInstasyncNeedsAWebhookAddress: an installation without a public
// webhook address offers no instasync; ticking it is refused with the
// reason, and one ticked before shows unticked rather than a bolt that
// nothing feeds.
func TestInstasyncNeedsAWebhookAddress(t *testing.T) {
	f := newFixture(t)
	hooks := &fakeCartHooks{subs: map[string]string{}}
	f.svc.Subscribers = hooks
	ctx := context.Background()
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.InstasyncOrders, true}}); err != nil {
		t.Fatal(err)
	}
	f.svc.WebhookBaseURL = ""
	st := f.state(t, f.shop.ID, catalog.InstasyncOrders)
	if st.Available || st.Enabled || st.Indicator != "none" || st.UnavailableReason != reasonNoWebhookURL {
		t.Fatalf("state without an address: %+v", st)
	}
	_, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.InstasyncProducts, true}})
	var inv *InvalidError
	if !errors.As(err, &inv) || len(inv.Problems) != 1 || inv.Problems[0].Message != reasonNoWebhookURL {
		t.Fatalf("ticking without an address: %v", err)
	}
	// Unticking stays possible, and removes the subscription.
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.InstasyncOrders, false}}); err != nil {
		t.Fatal(err)
	}
	if got := hooks.list(); len(got) != 0 {
		t.Fatalf("subscriptions left: %v", got)
	}
}

// TestRefusedSubscriptionIsARun: a cart that refuses the subscription for
// good (here a credential without the right) leaves a failed run saying
// why, once, however often repair retries; an outage leaves none.
func TestRefusedSubscriptionIsARun(t *testing.T) {
	f := newFixture(t)
	hooks := &fakeCartHooks{subs: map[string]string{}}
	f.svc.Subscribers = hooks
	ctx := context.Background()
	hooks.fail = &cart.Error{Status: 503, Temporary: true, Message: "Shopify is temporarily unavailable"}
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.InstasyncProducts, true}}); err != nil {
		t.Fatal(err)
	}
	if list, _, _ := f.runs.List(ctx, "acct", runs.Filter{Limit: 50}); len(list) != 0 {
		t.Fatalf("an outage recorded runs: %+v", list)
	}
	hooks.fail = &cart.Error{Status: 403, Message: "Shopify refused: the token lacks read_orders", Err: cart.ErrAuth}
	if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.InstasyncOrders, true}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := f.svc.Repair(ctx); err == nil {
			t.Fatal("repair reported success while the cart refuses")
		}
	}
	list, _, err := f.runs.List(ctx, "acct", runs.Filter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	// One each: the orders refusal, and the products subscription that
	// repair retried after the outage and the cart then refused.
	if len(list) != 2 || list[0].Task == list[1].Task {
		t.Fatalf("%d runs, want one failed run per refused task: %+v", len(list), list)
	}
	r := list[0]
	if r.Task != catalog.InstasyncOrders {
		r = list[1]
	}
	if r.Status != runs.Failed || r.Error == nil || r.Error.Class != runs.ClassAuth ||
		!strings.Contains(r.Error.Message, "lacks read_orders") || r.FinishedAt == nil {
		t.Fatalf("run %+v error %+v", r, r.Error)
	}
	if st := f.state(t, f.shop.ID, catalog.InstasyncOrders); st.LastRun == nil || st.LastRun.ID != r.ID {
		t.Fatalf("the modal's last run %+v", st.LastRun)
	}
	// Once the cart accepts, repair subscribes; nothing more is recorded.
	hooks.fail = nil
	if _, err := f.svc.Repair(ctx); err != nil {
		t.Fatal(err)
	}
	if got := hooks.list(); len(got) != 2 {
		t.Fatalf("subscriptions after repair: %v", got)
	}
}

// TestDisconnectForgetsSubscriptions: a disconnected channel's
// subscription records are settled without asking the cart (the cart
// dropped them with the app), an absent record is not created, and
// re-authorizing subscribes the ticked task again.
func TestDisconnectForgetsSubscriptions(t *testing.T) {
	f := newFixture(t)
	hooks := f.tickInstasync(t)
	ctx := context.Background()
	if len(hooks.list()) != 1 {
		t.Fatalf("subscriptions %v", hooks.list())
	}
	hooks.fail = errors.New("the cart must not be asked")
	if err := f.svc.Disconnect(ctx, "acct", f.shop.ID, "uninstalled"); err != nil {
		t.Fatal(err)
	}
	d, err := store.GetDoc[subRecord](ctx, f.svc.Store, subsPK, subKey("acct", f.shop.ID, catalog.InstasyncOrders))
	if err != nil {
		t.Fatal(err)
	}
	if r := d.Value; r.Want || r.SubscriptionID != "" || r.Gen != r.AppliedGen {
		t.Errorf("record after disconnect %+v, want unwanted, no id, applied", r)
	}
	if _, err := store.GetDoc[subRecord](ctx, f.svc.Store, subsPK, subKey("acct", f.shop.ID, catalog.InstasyncProducts)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("products record: %v, want none created", err)
	}
	hooks.fail = nil
	hooks.subs = map[string]string{} // what the uninstall did at the cart
	if _, err := f.svc.Reauthorize(ctx, "acct", f.shop.ID, cart.Credentials{"access_token": "new", "client_secret": "shpss_fixture"}); err != nil {
		t.Fatal(err)
	}
	if got := hooks.list(); len(got) != 1 {
		t.Errorf("subscriptions after re-authorizing %v, want the ticked task's", got)
	}
}

// Instasync ticked on a channel that needs re-authorization subscribes
// nothing (its credentials are refused: repair would ask the cart every
// pass); re-authorizing the channel subscribes it.
func TestInstasyncTickedWhileNeedingReauthSubscribesOnReauthorize(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.svc.NeedsReauth(ctx, "acct", f.shop.ID, "refused"); err != nil {
		t.Fatal(err)
	}
	hooks := f.tickInstasync(t)
	if _, err := f.svc.Repair(ctx); err != nil {
		t.Fatal(err)
	}
	if got := hooks.list(); len(got) != 0 {
		t.Fatalf("subscribed for a channel that needs re-authorization: %v", got)
	}
	if st := f.state(t, f.shop.ID, catalog.InstasyncOrders); !st.Enabled {
		t.Fatalf("the tick was not kept: %+v", st)
	}
	if _, err := f.svc.Reauthorize(ctx, "acct", f.shop.ID, cart.Credentials{"access_token": "fresh", "client_secret": "shpss_fixture"}); err != nil {
		t.Fatal(err)
	}
	if got := hooks.list(); len(got) != 1 {
		t.Fatalf("after re-authorizing: subscriptions %v, want one", got)
	}
}
