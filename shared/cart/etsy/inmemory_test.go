package etsy

import (
	"testing"

	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
	"github.com/autosync/autosync/shared/testkit"
)

// inMemory is newSim without a socket, for tests in a synctest bubble:
// the client's limiter and the simulator's per-second window then both
// read the bubble's clock, so a pacing test takes no real time and
// asserts the same thing however loaded the machine is.
func inMemory(t *testing.T, opts etsysim.Options) (*etsysim.Server, *Client) {
	t.Helper()
	opts.APIKey, opts.SharedSecret, opts.Token, opts.ShopID = apiKey, secret, token, shopID
	if opts.QPS == 0 {
		opts.QPS = roomyQPS
	}
	if opts.QPD == 0 {
		opts.QPD = roomyQPD
	}
	sim := etsysim.New(opts)
	return sim, newClient(t, "http://127.0.0.1", Config{APIKey: apiKey, SharedSecret: secret, Token: token, HTTPClient: testkit.Client(sim)})
}
