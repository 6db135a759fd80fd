package settings

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/store"
)

// TestInstasyncWebhookSecret: Shopify and BigCommerce sign deliveries with
// the app's client secret, so instasync on a channel without one (created
// with a bare access token) is refused and changes nothing rather than
// subscribing with a made-up secret every genuine delivery fails; with one
// it subscribes and the receiver checks that secret. WooCommerce and
// Squarespace sign with the subscription's own secret, as before.
func TestInstasyncWebhookSecret(t *testing.T) {
	cases := []struct {
		name    string
		cart    catalog.Cart
		creds   cart.Credentials
		given   string // the secret the cart chose, if it chooses one
		refused bool
		// secret is what the receiver must check: "" for the one
		// Autosync made and gave the cart.
		secret string
	}{
		{name: "shopify token only", cart: catalog.Shopify, creds: cart.Credentials{"access_token": "t"}, refused: true},
		{name: "bigcommerce token only", cart: catalog.BigCommerce, creds: cart.Credentials{"access_token": "t"}, refused: true},
		{name: "shopify authorized", cart: catalog.Shopify, creds: cart.Credentials{"access_token": "t", "client_secret": "shpss_app"}, secret: "shpss_app"},
		{name: "bigcommerce authorized", cart: catalog.BigCommerce, creds: cart.Credentials{"access_token": "t", "client_secret": "bc_app"}, secret: "bc_app"},
		{name: "woocommerce", cart: catalog.WooCommerce, creds: cart.Credentials{"consumer_key": "ck", "consumer_secret": "cs"}},
		{name: "squarespace", cart: catalog.Squarespace, creds: cart.Credentials{"access_token": "t", "client_secret": "oauth"}, given: "sq-chosen", secret: "sq-chosen"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			ch, err := f.svc.Channels.Create(ctx, "acct", channels.Channel{Type: c.cart, Name: "C"}, c.creds)
			if err != nil {
				t.Fatal(err)
			}
			hooks := &fakeCartHooks{subs: map[string]string{}, give: c.given}
			f.svc.Subscribers = hooks
			_, err = f.svc.Update(ctx, "acct", []Change{{ch.ID, catalog.InstasyncOrders, true}})
			secret, serr := f.svc.Channels.WebhookSecret(ctx, "acct", ch.ID)
			if serr != nil {
				t.Fatal(serr)
			}
			if c.refused {
				var inv *InvalidError
				if !errors.As(err, &inv) || len(inv.Problems) != 1 || !strings.Contains(inv.Problems[0].Message, "re-authorize the channel") ||
					!strings.Contains(inv.Problems[0].Message, carts.Label(c.cart)) {
					t.Fatalf("tick: %v, want refused with the reason", err)
				}
				if st := f.state(t, ch.ID, catalog.InstasyncOrders); st.Enabled {
					t.Errorf("tick kept: %+v", st)
				}
				if _, err := store.GetDoc[subRecord](ctx, f.svc.Store, subsPK, subKey("acct", ch.ID, catalog.InstasyncOrders)); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("subscription record: %v, want none", err)
				}
				if hooks.next != 0 || len(secret) != 0 {
					t.Errorf("%d subscribes, secret %q; want none", hooks.next, secret)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := hooks.list(); len(got) != 1 {
				t.Fatalf("subscriptions %v, want one", got)
			}
			want := c.secret
			if want == "" {
				want = hooks.last
			}
			if len(secret) == 0 || string(secret) != want {
				t.Fatalf("receiver's secret %q, want %q", secret, want)
			}
		})
	}
}

// TestReauthorizeHealsMadeUpSecret: a Shopify channel whose instasync was
// ticked while it had no client secret got a made-up secret sealed;
// re-authorizing through Shopify (which stores the client secret) makes
// the receiver check the client secret the deliveries are signed with.
func TestReauthorizeHealsMadeUpSecret(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ch, err := f.svc.Channels.Create(ctx, "acct", channels.Channel{Type: catalog.Shopify, Name: "Old"}, cart.Credentials{"access_token": "t"})
	if err != nil {
		t.Fatal(err)
	}
	// What ticking instasync left behind before the fix.
	if err := f.svc.Channels.SetWebhookSecret(ctx, "acct", ch.ID, []byte("0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Reauthorize(ctx, "acct", ch.ID, cart.Credentials{"access_token": "t2", "client_secret": "shpss_app"}); err != nil {
		t.Fatal(err)
	}
	secret, err := f.svc.Channels.WebhookSecret(ctx, "acct", ch.ID)
	if err != nil || string(secret) != "shpss_app" {
		t.Fatalf("secret after re-authorizing %q (%v), want the client secret", secret, err)
	}
}

// TestResubscribeWithoutClientSecretIsRefused: a Shopify channel whose
// instasync was ticked, disconnected, and then given a bare access token
// (no client secret) subscribes nothing with a made-up secret; the
// refusal is a failed run saying how to fix it, and nothing is sealed.
func TestResubscribeWithoutClientSecretIsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	hooks := f.tickInstasync(t)
	if err := f.svc.Disconnect(ctx, "acct", f.shop.ID, "uninstalled"); err != nil {
		t.Fatal(err)
	}
	hooks.subs = map[string]string{} // what the uninstall did at the cart
	subscribes := hooks.next
	if _, err := f.svc.Reauthorize(ctx, "acct", f.shop.ID, cart.Credentials{"access_token": "bare"}); err != nil {
		t.Fatal(err)
	}
	if hooks.next != subscribes {
		t.Fatalf("subscribed %d times without the client secret (secret %q)", hooks.next-subscribes, hooks.last)
	}
	if secret, err := f.svc.Channels.WebhookSecret(ctx, "acct", f.shop.ID); err != nil || len(secret) != 0 {
		t.Fatalf("webhook secret %q (%v), want none", secret, err)
	}
	list, _, err := f.runs.List(ctx, "acct", runs.Filter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Error == nil || !strings.Contains(list[0].Error.Message, "re-authorize the channel") {
		t.Fatalf("runs %+v, want one failed run saying to re-authorize", list)
	}
}
