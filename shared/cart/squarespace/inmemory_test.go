package squarespace

import (
	"net/http"
	"testing"

	"golang.org/x/time/rate"

	"github.com/autosync/autosync/shared/testkit"
)

// inMemoryClient is newClient reaching h without a socket, for tests in a
// synctest bubble: attempt timeouts and waits are then the bubble's fake
// time, which a loaded machine cannot stretch.
func inMemoryClient(t *testing.T, h http.Handler) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: "http://127.0.0.1", APIKey: apiKey, HTTPClient: testkit.Client(h)})
	if err != nil {
		t.Fatal(err)
	}
	c.retry = fastRetry
	c.pace = &pacer{lim: rate.NewLimiter(rate.Inf, 1)}
	return c
}
