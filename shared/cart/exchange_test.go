package cart

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestExchangeCode(t *testing.T) {
	for _, tc := range []struct {
		status    int
		body      string
		callback  bool // ErrCallback: start again
		temporary bool
	}{
		{200, `{"access_token":"t"}`, false, false},
		{400, `{"error":"invalid_grant"}`, true, false},
		{401, ``, true, false},
		{502, `<html>`, false, true},
		{503, ``, false, true},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			w.Write([]byte(tc.body))
		}))
		hr, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("code=c"))
		raw, err := ExchangeCode(srv.Client(), "Shopify", hr)
		srv.Close()
		if got := errors.Is(err, ErrCallback); got != tc.callback {
			t.Errorf("%d: ErrCallback = %v, want %v (%v)", tc.status, got, tc.callback, err)
		}
		var ce *Error
		if got := errors.As(err, &ce) && ce.Temporary; got != tc.temporary {
			t.Errorf("%d: temporary = %v, want %v (%v)", tc.status, got, tc.temporary, err)
		}
		if tc.status == 200 && (err != nil || string(raw) != tc.body) {
			t.Errorf("200: %q, %v", raw, err)
		}
		if tc.temporary && !strings.Contains(ce.Message, "Shopify") {
			t.Errorf("%d: message %q does not name the cart", tc.status, ce.Message)
		}
	}
	// A cart that cannot be reached is neither: a transport error.
	hr, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/token", nil)
	if _, err := ExchangeCode(&http.Client{}, "Etsy", hr); err == nil || errors.Is(err, ErrCallback) {
		t.Errorf("unreachable: %v", err)
	}
}

func TestGrantRevoked(t *testing.T) {
	for body, want := range map[string]bool{
		`{"error":"invalid_grant","error_description":"refresh_token is revoked"}`: true,
		`{"error":"invalid_client"}`:                          false,
		`{"error":"invalid_request","error_description":"x"}`: false,
		`{"error":["invalid_grant"]}`:                         false,
		`<html>invalid_grant</html>`:                          false,
		``:                                                    false,
	} {
		if got := GrantRevoked([]byte(body)); got != want {
			t.Errorf("GrantRevoked(%q) = %v; want %v", body, got, want)
		}
	}
}

func FuzzGrantRevoked(f *testing.F) {
	f.Add([]byte(`{"error":"invalid_grant"}`))
	f.Add([]byte(`{"error":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if GrantRevoked(body) && !bytes.Contains(body, []byte("invalid_grant")) && !bytes.Contains(body, []byte(`\u`)) {
			t.Errorf("GrantRevoked(%q) without invalid_grant in it", body)
		}
	})
}
