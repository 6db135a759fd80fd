package cart

import (
	"net/http"
	"net/url"
	"testing"
)

func TestJSONRequest(t *testing.T) {
	req, err := JSONRequest(t.Context(), http.MethodPost, "https://api.example/v1/x", url.Values{"a": {"1"}}, []byte(`{}`), "autosync-test")
	if err != nil {
		t.Fatal(err)
	}
	if req.URL.String() != "https://api.example/v1/x?a=1" || req.Method != http.MethodPost {
		t.Errorf("%s %s", req.Method, req.URL)
	}
	for h, want := range map[string]string{"Accept": "application/json", "Content-Type": "application/json", "User-Agent": "autosync-test"} {
		if got := req.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	get, err := JSONRequest(t.Context(), http.MethodGet, "https://api.example/v1/x", nil, nil, "autosync-test")
	if err != nil || get.Header.Get("Content-Type") != "" || get.Body != nil {
		t.Errorf("a GET says it has a JSON body: %v, %v", get.Header, err)
	}
	if _, err := JSONRequest(t.Context(), "BAD METHOD", "https://api.example", nil, nil, "x"); err == nil {
		t.Error("an invalid method: no error")
	}
}
