package channels

import (
	"context"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
)

// TestWebhookSecret: Shopify and BigCommerce sign every delivery with the
// app's client secret, so a channel's client_secret credential is its
// webhook secret even over a secret sealed earlier (one made up for a
// channel connected with a bare access token, which never verified a
// genuine delivery): re-authorizing heals such a channel. Carts that sign
// with the subscription's secret keep the sealed one.
func TestWebhookSecret(t *testing.T) {
	cases := []struct {
		cart   catalog.Cart
		creds  cart.Credentials // after re-authorizing
		sealed string
		want   string
	}{
		{catalog.Shopify, cart.Credentials{"access_token": "t", "client_secret": "app-secret"}, "made-up", "app-secret"},
		{catalog.BigCommerce, cart.Credentials{"access_token": "t", "client_secret": "app-secret"}, "made-up", "app-secret"},
		{catalog.Shopify, cart.Credentials{"access_token": "t", "client_secret": "app-secret"}, "", "app-secret"},
		// Without the client secret nothing can verify a genuine delivery.
		{catalog.Shopify, cart.Credentials{"access_token": "t"}, "made-up", ""},
		{catalog.BigCommerce, cart.Credentials{"access_token": "t"}, "made-up", ""},
		{catalog.WooCommerce, cart.Credentials{"consumer_key": "k", "consumer_secret": "s"}, "per-hook", "per-hook"},
		{catalog.Squarespace, cart.Credentials{"access_token": "t", "client_secret": "oauth-secret"}, "per-hook", "per-hook"},
		{catalog.Squarespace, cart.Credentials{"access_token": "t"}, "", ""},
	}
	for _, c := range cases {
		t.Run(string(c.cart)+"/"+c.sealed+"/"+c.creds["client_secret"], func(t *testing.T) {
			r := testRepo(t)
			ctx := context.Background()
			ch, err := r.Create(ctx, "a", Channel{Type: c.cart, Name: "S"}, cart.Credentials{"access_token": "first"})
			if err != nil {
				t.Fatal(err)
			}
			if c.sealed != "" {
				if err := r.SetWebhookSecret(ctx, "a", ch.ID, []byte(c.sealed)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := r.UpdateCredentials(ctx, "a", ch.ID, c.creds); err != nil {
				t.Fatal(err)
			}
			got, err := r.WebhookSecret(ctx, "a", ch.ID)
			if err != nil || string(got) != c.want {
				t.Fatalf("webhook secret %q (%v), want %q", got, err, c.want)
			}
		})
	}
}
