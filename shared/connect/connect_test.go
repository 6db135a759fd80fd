package connect

import (
	"context"
	"net/url"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

func TestFields(t *testing.T) {
	cn := &cart.Connect{Fields: []cart.Field{{Name: "shop", Check: func(v string) (string, string) {
		if v == "" {
			return "", "required"
		}
		return v + "!", ""
	}}}}
	got, ps := Fields(cn, map[string]string{"shop": "a"})
	if len(ps) != 0 || got["shop"] != "a!" {
		t.Fatalf("%v %v", got, ps)
	}
	if _, ps := Fields(cn, map[string]string{}); len(ps) != 1 || ps[0].Field != "shop" {
		t.Fatalf("missing field: %v", ps)
	}
	if _, ps := Fields(cn, map[string]string{"shop": "a", "other": "b"}); len(ps) != 1 || ps[0].Field != "other" {
		t.Fatalf("unknown field: %v", ps)
	}
}

// FuzzParseCallback: any query string is parsed or refused, never more
// than the bounds let through, and what is accepted round-trips.
func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{
		"code=0907a61c0c8d55e99db179b68161bc00&hmac=700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173",
		"", "state=%zz", "a=1&a=2;b", "state=" + string(make([]byte, 5000)),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := ParseCallback(raw)
		if err != nil {
			return
		}
		if len(raw) > 4096 || len(q) > 32 {
			t.Fatalf("accepted %d bytes, %d parameters", len(raw), len(q))
		}
		again, err := url.ParseQuery(q.Encode())
		if err != nil || len(again) != len(q) {
			t.Fatalf("re-encoded query does not parse the same: %v", err)
		}
	})
}

func TestSecretApps(t *testing.T) {
	secrets := map[string]string{
		"arn:shopify": `{"api_key":"cid","api_secret":"sec"}`,
		"arn:etsy":    `{"api_key":"","api_secret":""}`,
		"arn:bad":     `not json`,
	}
	reads := 0
	a := &SecretApps{
		Getenv: func(k string) string {
			return map[string]string{"CART_APP_SECRET_SHOPIFY": "arn:shopify", "CART_APP_SECRET_ETSY": "arn:etsy", "CART_APP_SECRET_AMAZON": "arn:bad"}[k]
		},
		Read: func(_ context.Context, id string) (string, error) { reads++; return secrets[id], nil },
	}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		app, ok, err := a.App(ctx, "shopify")
		if err != nil || !ok || app.ClientID != "cid" || app.ClientSecret != "sec" || app.APIBase != "" {
			t.Fatalf("shopify: %+v %v %v", app, ok, err)
		}
	}
	if reads != 1 {
		t.Errorf("%d reads of a secret already read", reads)
	}
	if _, ok, err := a.App(ctx, "etsy"); ok || err != nil {
		t.Errorf("an empty secret is an app: %v %v", ok, err)
	}
	if _, ok, err := a.App(ctx, "bigcommerce"); ok || err != nil {
		t.Errorf("a cart without a variable has an app: %v %v", ok, err)
	}
	if _, _, err := a.App(ctx, "amazon"); err == nil {
		t.Error("a malformed secret is not an error")
	}
	if _, ok, _ := a.App(ctx, "nope"); ok {
		t.Error("an unknown cart has an app")
	}
}
