package bigcommerce

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/autosync/autosync/shared/cart"
)

var testApp = cart.App{ClientID: "app1", ClientSecret: "s3cret"}

func signPayload(t testing.TB, secret string, claims jwt.MapClaims) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyPayload(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"aud": "app1", "iss": "bc", "sub": "stores/abc1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	with := func(k string, v any) jwt.MapClaims {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, good()).SignedString([]byte("s3cret"))
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"good", signPayload(t, "s3cret", good()), nil},
		{"wrong secret", signPayload(t, "other", good()), cart.ErrWebhookSignature},
		{"expired", signPayload(t, "s3cret", with("exp", now.Add(-2*time.Minute).Unix())), cart.ErrWebhookSignature},
		{"no exp", signPayload(t, "s3cret", with("exp", nil)), cart.ErrWebhookSignature},
		{"other aud", signPayload(t, "s3cret", with("aud", "app2")), cart.ErrWebhookSignature},
		{"other iss", signPayload(t, "s3cret", with("iss", "x")), cart.ErrWebhookSignature},
		{"not yet valid", signPayload(t, "s3cret", with("nbf", now.Add(time.Hour).Unix())), cart.ErrWebhookSignature},
		{"HS512", hs512, cart.ErrWebhookSignature},
		{"bad sub", signPayload(t, "s3cret", with("sub", "stores/ABC!")), cart.ErrWebhookPayload},
		{"empty", "", cart.ErrWebhookSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hash, err := VerifyPayload(c.token, testApp, now)
			if !errors.Is(err, c.want) || (c.want == nil && hash != "abc1") {
				t.Fatalf("got %q, %v; want %v", hash, err, c.want)
			}
		})
	}
	if _, err := VerifyPayload(signPayload(t, "", good()), cart.App{ClientID: "app1"}, now); err == nil {
		t.Fatal("an app without a secret verified a payload")
	}
}

func TestNoticeKinds(t *testing.T) {
	orig := now
	t.Cleanup(func() { now = orig })
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	now = func() time.Time { return at }
	tok := signPayload(t, "s3cret", jwt.MapClaims{"aud": "app1", "iss": "bc", "sub": "stores/abc1", "exp": at.Add(time.Hour).Unix()})
	body := []byte(url.Values{"signed_payload_jwt": {tok}}.Encode())
	for cb, want := range map[string]cart.NoticeKind{"uninstall": cart.NoticeUninstalled, "load": cart.NoticeOpened, "remove_user": cart.NoticeOther} {
		h := http.Header{}
		h.Set(cart.NoticeCallbackHeader, cb)
		n, err := notice(h, body, testApp)
		if err != nil || n.Kind != want || n.Store != "abc1" {
			t.Errorf("%s: %+v %v", cb, n, err)
		}
	}
}

func TestExchangeRefusesBadContext(t *testing.T) {
	for _, ctx := range []string{"", "stores/", "stores/ABC", "users/abc", "stores/abc/def"} {
		cb := cart.Callback{Method: "GET", Query: url.Values{"code": {"c"}, "scope": {"s"}, "context": {ctx}}}
		if _, _, err := exchangeCode(t.Context(), cb, cart.ConnectRequest{App: testApp}, nil); !errors.Is(err, cart.ErrCallback) {
			t.Errorf("context %q: %v", ctx, err)
		}
	}
}

func FuzzNotice(f *testing.F) {
	f.Add([]byte("signed_payload_jwt=a.b.c"))
	f.Add([]byte("signed_payload_jwt=" + signPayload(f, "s3cret", jwt.MapClaims{"aud": "app1", "iss": "bc", "sub": "stores/abc1", "exp": 4102444800})))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := notice(http.Header{}, body, testApp)
		if err == nil && !storeHash.MatchString(n.Store) {
			t.Fatalf("accepted store %q", n.Store)
		}
	})
}
