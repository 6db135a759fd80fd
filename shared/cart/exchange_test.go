package cart

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
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

func TestPostCode(t *testing.T) {
	var got *http.Request
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, body = r, string(b)
		w.Write([]byte(`{"access_token":"t"}`))
	}))
	defer srv.Close()
	raw, err := PostCode(t.Context(), nil, "Shopify", srv.URL+"/token", "application/json", []byte(`{"code":"c"}`),
		func(hr *http.Request) { hr.Header.Set("User-Agent", "autosync-test") })
	if err != nil || string(raw) != `{"access_token":"t"}` {
		t.Fatalf("got %q, %v", raw, err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/token" || body != `{"code":"c"}` {
		t.Errorf("sent %s %s %q", got.Method, got.URL.Path, body)
	}
	for h, want := range map[string]string{"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "autosync-test"} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("%s: %q, want %q", h, v, want)
		}
	}
	if _, err := PostCode(t.Context(), srv.Client(), "Shopify", "http://[::1]:namedport", "application/json", nil, nil); err == nil {
		t.Error("a token URL that cannot be parsed: no error")
	}
}

func TestPostCodeJSON(t *testing.T) {
	var sent map[string]string
	answer := `{"access_token":"t"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&sent) != nil {
			t.Errorf("not a JSON body: %v", r.Header)
		}
		w.Write([]byte(answer))
	}))
	defer srv.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := PostCodeJSON(t.Context(), srv.Client(), "Shopify", srv.URL, map[string]string{"code": "c"}, &tok); err != nil || tok.AccessToken != "t" {
		t.Fatalf("got %+v, %v", tok, err)
	}
	if sent["code"] != "c" {
		t.Errorf("sent %v", sent)
	}
	answer = `<html>`
	if err := PostCodeJSON(t.Context(), srv.Client(), "Shopify", srv.URL, nil, &tok); !errors.Is(err, ErrCallback) {
		t.Errorf("an answer that is not JSON: %v; want ErrCallback", err)
	}
}
