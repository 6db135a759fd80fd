package connector

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

func TestCheckCredentials(t *testing.T) {
	ctx := context.Background()
	sim := shopifysim.New(shopifysim.Options{AccessToken: "shpat_good"})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	ch := channels.Channel{Type: catalog.Shopify, Config: cart.Config{"shop": "a.myshopify.com", "api_base": srv.URL}}
	f := Factory{AllowLoopbackBase: true}

	got, err := f.CheckCredentials(ctx, ch, cart.Credentials{"access_token": "shpat_good"})
	if err != nil || got["access_token"] != "shpat_good" {
		t.Fatalf("good token: %v %v", got, err)
	}

	_, err = f.CheckCredentials(ctx, ch, cart.Credentials{"access_token": "shpat_bogus"})
	var ce *CheckError
	if !errors.As(err, &ce) || !ce.Refused || !strings.HasPrefix(ce.Message, "Shopify refused these credentials: ") {
		t.Fatalf("bogus token: %v; want refused with Shopify's reason", err)
	}
	if strings.Contains(ce.Message, "shpat_bogus") {
		t.Fatalf("the message repeats the token: %q", ce.Message)
	}

	sim.SetFaults(shopifysim.Faults{ServerErrors: 1000})
	_, err = f.CheckCredentials(ctx, ch, cart.Credentials{"access_token": "shpat_good"})
	if !errors.As(err, &ce) || ce.Refused || !strings.Contains(ce.Message, "try again") {
		t.Fatalf("outage: %v; want a retryable *CheckError", err)
	}

	srv.Close()
	_, err = f.CheckCredentials(ctx, ch, cart.Credentials{"access_token": "shpat_good"})
	if !errors.As(err, &ce) || ce.Refused {
		t.Fatalf("cart down: %v; want a retryable *CheckError", err)
	}

	skip := Factory{AllowLoopbackBase: true, SkipCredentialCheck: true}
	if _, err := skip.CheckCredentials(ctx, ch, cart.Credentials{"access_token": "anything"}); err != nil {
		t.Fatalf("skipped check: %v", err)
	}
}

// An Etsy check that renews the access token returns the renewed pair to
// be stored with the credentials; the refresh token it was given is
// retired at once.
func TestCheckCredentialsKeepsRenewedTokens(t *testing.T) {
	ctx := context.Background()
	sim, base := etsyShop(t, "42.refresh")
	sim.ExpireAccessTokens()
	ch := channels.Channel{Type: catalog.Etsy, Config: cart.Config{"shop_id": "42", "api_base": base}}
	f := Factory{AllowLoopbackBase: true}
	got, err := f.CheckCredentials(ctx, ch, cart.Credentials{"api_key": "k", "shared_secret": "s", "token": "42.tok", "refresh_token": "42.refresh"})
	if err != nil {
		t.Fatal(err)
	}
	if got["token"] != sim.AccessToken() || got["refresh_token"] != sim.RefreshToken() || got["refresh_token"] == "42.refresh" || got["api_key"] != "k" {
		t.Fatalf("credentials to store %v; want the renewed pair (%s, %s) with the rest", got, sim.AccessToken(), sim.RefreshToken())
	}
}
