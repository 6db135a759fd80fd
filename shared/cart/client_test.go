package cart

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

func TestHTTPClientFollowsNoRedirect(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer ts.Close()
	given := &http.Client{Timeout: time.Minute}
	hc := HTTPClient(given)
	resp, err := hc.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("got %d; the redirect was followed", resp.StatusCode)
	}
	if given.CheckRedirect != nil || hc.Timeout != time.Minute {
		t.Error("the given client was changed, or its settings not kept")
	}
	if HTTPClient(nil).CheckRedirect == nil {
		t.Error("a default client follows redirects")
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.0.0.2": true,
		"::1": true, "example.com": false, "10.0.0.1": false, "": false, "localhost.example": false} {
		if IsLoopback(host) != want {
			t.Errorf("IsLoopback(%q) = %v", host, !want)
		}
	}
}

func TestOrderStatuses(t *testing.T) {
	defaults := func() []string { return []string{"paid"} }
	if got, err := OrderStatuses(OrderQuery{}, defaults); err != nil || !reflect.DeepEqual(got, []string{"paid"}) {
		t.Errorf("nil: got %v, %v", got, err)
	}
	if got, err := OrderStatuses(OrderQuery{Statuses: []string{"a", "b"}}, defaults); err != nil || !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("set: got %v, %v", got, err)
	}
	var ce *Error
	if _, err := OrderStatuses(OrderQuery{Statuses: []string{}}, defaults); !errors.As(err, &ce) {
		t.Errorf("empty: got %v, want a *Error", err)
	}
}
