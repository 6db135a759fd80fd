package amazon

import (
	"errors"
	"net/url"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

func TestAuthorizeURLPerMarketplace(t *testing.T) {
	app := cart.App{ClientID: "amzn1.application-oa2-client.x", ClientSecret: "s", AppID: "amzn1.sp.solution.x"}
	for mkt, want := range map[string]string{
		"ATVPDKIKX0DER":  "https://sellercentral.amazon.com/apps/authorize/consent",
		"A1PA6795UKMFR9": "https://sellercentral-europe.amazon.com/apps/authorize/consent",
		"A1VC38T7YXB528": "https://sellercentral.amazon.co.jp/apps/authorize/consent",
		"A39IBJ37TRP1C6": "https://sellercentral.amazon.com.au/apps/authorize/consent",
	} {
		s, err := authorizeURL(cart.ConnectRequest{Fields: map[string]string{"marketplace_id": mkt}, State: "st", CallbackURL: "https://a.example/oauth/amazon/callback", App: app})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(s)
		q := u.Query()
		if u.Scheme+"://"+u.Host+u.Path != want || q.Get("application_id") != app.AppID || q.Get("state") != "st" || q.Get("version") != "beta" {
			t.Errorf("%s: %s", mkt, s)
		}
	}
	if _, err := authorizeURL(cart.ConnectRequest{Fields: map[string]string{"marketplace_id": "ATVPDKIKX0DER"}, State: "st", App: cart.App{ClientID: "c", ClientSecret: "s"}}); err == nil {
		t.Error("authorize URL without an application id")
	}
}

func TestMarketplaceField(t *testing.T) {
	check := connect.Fields[0].Check
	for in, want := range map[string]string{"ATVPDKIKX0DER": "ATVPDKIKX0DER", " uk ": "A1F83G8C2ARO7P", "JP": "A1VC38T7YXB528"} {
		if got, msg := check(in); got != want || msg != "" {
			t.Errorf("%q: %q %q", in, got, msg)
		}
	}
	for _, in := range []string{"", "XX", "ATVPDKIKX0DER1"} {
		if _, msg := check(in); msg == "" {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestCallbackValues(t *testing.T) {
	ok := url.Values{"spapi_oauth_code": {"ANabc"}, "selling_partner_id": {"A3SELLER1"}, "state": {"s"}}
	if code, seller, err := CallbackValues(ok); err != nil || code != "ANabc" || seller != "A3SELLER1" {
		t.Fatalf("%q %q %v", code, seller, err)
	}
	for _, q := range []url.Values{
		{"selling_partner_id": {"A3SELLER1"}},
		{"spapi_oauth_code": {"ANabc"}},
		{"spapi_oauth_code": {"ANabc"}, "selling_partner_id": {"a3seller1"}},
		{"spapi_oauth_code": {"AN abc"}, "selling_partner_id": {"A3SELLER1"}},
		{"spapi_oauth_code": {"A", "B"}, "selling_partner_id": {"A3SELLER1"}},
		{"spapi_oauth_code": {"ANabc"}, "selling_partner_id": {"A3SELLER1", "A3SELLER2"}},
	} {
		if _, _, err := CallbackValues(q); !errors.Is(err, cart.ErrCallback) {
			t.Errorf("%v: %v", q, err)
		}
	}
}

func FuzzCallbackValues(f *testing.F) {
	f.Add("state=s&selling_partner_id=A3SELLER1&spapi_oauth_code=ANabc")
	f.Add("selling_partner_id=&spapi_oauth_code=%00")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		code, seller, err := CallbackValues(q)
		if err == nil && (code == "" || !sellerID.MatchString(seller)) {
			t.Fatalf("accepted %q %q", code, seller)
		}
	})
}
