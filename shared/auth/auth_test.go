package auth

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/golang-jwt/jwt/v5"
)

func TestHS256(t *testing.T) {
	secret, err := LoadOrCreateSecret(filepath.Join(t.TempDir(), "token.secret"))
	if err != nil {
		t.Fatal(err)
	}
	h := HS256{Secret: secret}
	good, _ := h.Issue("acct1", ScopeMerchant+" "+ScopeAdmin, time.Hour)
	expired, _ := h.Issue("acct1", ScopeMerchant, -time.Minute)
	other, _ := HS256{Secret: []byte("another-secret-another-secret-xx")}.Issue("acct1", ScopeMerchant, time.Hour)
	none := jwt.NewWithClaims(jwt.SigningMethodNone, claims{AccountID: "acct1", RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}})
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	noAcct, _ := h.Issue("", ScopeMerchant, time.Hour)
	tests := []struct {
		name, header string
		ok           bool
	}{
		{"valid", "Bearer " + good, true},
		{"missing", "", false},
		{"not bearer", "Basic " + good, false},
		{"garbage", "Bearer a.b.c", false},
		{"expired", "Bearer " + expired, false},
		{"wrong key", "Bearer " + other, false},
		{"alg none", "Bearer " + noneTok, false},
		{"no account", "Bearer " + noAcct, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/sync", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			p, err := h.Authenticate(r)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok && !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("err %v is not ErrUnauthenticated", err)
			}
			if tc.ok && (p.AccountID != "acct1" || !p.Has(ScopeAdmin)) {
				t.Fatalf("principal %+v", p)
			}
		})
	}
}

func TestAPIGatewayClaims(t *testing.T) {
	r := httptest.NewRequest("GET", "/v1/sync", nil)
	if _, err := (APIGateway{}).Authenticate(r); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("no context: %v", err)
	}
	acc := core.RequestAccessorV2{}
	req, err := acc.EventToRequestWithContext(context.Background(), events.APIGatewayV2HTTPRequest{
		RawPath: "/v1/sync", RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/v1/sync"},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"account_id": "a9", "scope": "autosync/merchant"}},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := (APIGateway{}).Authenticate(req)
	if err != nil || p.AccountID != "a9" || !p.Has(ScopeMerchant) || p.Has(ScopeAdmin) {
		t.Fatalf("%+v %v", p, err)
	}
}

// TestAccountClaimStrict: an account id is used exactly as signed or not at
// all; a padded " demo " must not read account demo, nor may a control
// character or an oversized id reach a store key.
func TestAccountClaimStrict(t *testing.T) {
	h := HS256{Secret: []byte("0123456789abcdef0123456789abcdef")}
	for _, acct := range []string{" demo ", "demo ", "\tdemo", "de\x00mo", "demo\n", "\u202edemo", "\xff", string(make([]byte, 129))} {
		tok, err := h.Issue(acct, ScopeMerchant, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/v1/sync", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		if p, err := h.Authenticate(r); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("account %q: principal %+v, err %v; want refused", acct, p, err)
		}
		if p, err := fromClaims(acct, ScopeMerchant); err == nil {
			t.Errorf("API Gateway claims with account %q accepted as %+v", acct, p)
		}
	}
}
