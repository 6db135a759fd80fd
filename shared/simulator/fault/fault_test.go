package fault

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/html":
			HTMLError(w, http.StatusBadGateway)
		case "/drop":
			Drop(w)
		case "/slow":
			if Delay(r, time.Hour) {
				io.WriteString(w, "late")
			}
		}
	}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/html")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "502 Bad Gateway") {
		t.Errorf("HTML error: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	if resp, err := http.Get(srv.URL + "/drop"); err == nil {
		resp.Body.Close()
		t.Error("a dropped connection answered")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/slow", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Error("a delayed answer came before the client gave up")
	}
}
