package bigcommerce

import (
	"testing"

	bcsim "github.com/autosync/autosync/shared/simulator/bigcommerce"
	"github.com/autosync/autosync/shared/testkit"
)

// inMemory is newSim without a socket, for tests in a synctest bubble:
// the client's pacer and the simulator's window then both read the
// bubble's clock, so a pacing test asserts the same thing however loaded
// the machine is.
func inMemory(t *testing.T, opts bcsim.Options) (*bcsim.Server, *Client) {
	t.Helper()
	opts.AccessToken, opts.StoreHash = token, hash
	if opts.Limit == (bcsim.Limit{}) {
		opts.Limit = roomy
	}
	sim := bcsim.New(opts)
	c, err := New(Config{StoreHash: hash, BaseURL: "http://127.0.0.1", AccessToken: token, HTTPClient: testkit.Client(sim)})
	if err != nil {
		t.Fatal(err)
	}
	c.retry = fastRetry
	c.pacer.margin = fastRetry.paceMargin
	return sim, c
}
