package shopify

import (
	"testing"

	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
	"github.com/autosync/autosync/shared/testkit"
)

// inMemory is newSim without a socket, for tests in a synctest bubble:
// the client's pacing and the simulator's bucket then both read the
// bubble's clock, so a pacing test asserts the same thing however loaded
// the machine is.
func inMemory(t *testing.T, opts shopifysim.Options) (*shopifysim.Server, *Client) {
	t.Helper()
	opts.AccessToken = token
	if opts.Plan == (shopifysim.Plan{}) {
		opts.Plan = roomy
	}
	sim := shopifysim.New(opts)
	c, err := New(Config{Shop: "demo.myshopify.com", BaseURL: "http://127.0.0.1", AccessToken: token, HTTPClient: testkit.Client(sim)})
	if err != nil {
		t.Fatal(err)
	}
	c.retry = fastRetry
	return sim, c
}
