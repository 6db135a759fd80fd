package carttest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLoopbackClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := LoopbackClient()
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("loopback refused: %v", err)
	}
	resp.Body.Close()
	for _, u := range []string{"https://walk.myshopify.com/admin", "http://10.0.0.1/", "http://[2001:db8::1]:80/"} {
		if _, err := c.Get(u); err == nil || !strings.Contains(err.Error(), "loopback addresses only") {
			t.Errorf("GET %s: %v, want a refusal before dialing", u, err)
		}
	}
}
