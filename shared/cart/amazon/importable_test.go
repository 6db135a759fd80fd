package amazon

import (
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

func TestImportable(t *testing.T) {
	var c Client
	for _, tc := range []struct {
		status   string
		tags     []string
		statuses []string
		want     bool
	}{
		// The defaults: unshipped and partially shipped.
		{StatusUnshipped, nil, nil, true},
		{StatusPartiallyShipped, nil, []string{}, true},
		// Orders awaiting payment or availability are not imported.
		{StatusPending, nil, nil, false},
		{StatusPendingAvailability, nil, nil, false},
		{StatusShipped, nil, nil, false},
		{"", nil, nil, false}, // the answer left the status out
		// Amazon's own fulfilment is not the merchant's import.
		{StatusUnshipped, []string{"FBA"}, nil, false},
		// A channel's own statuses, in any spelling, replace the defaults.
		{StatusPending, nil, []string{"Pending", "Unshipped"}, true},
		{StatusUnshipped, nil, []string{"PartiallyShipped"}, false},
		// Statuses the query refuses select nothing.
		{StatusUnshipped, nil, []string{"Unshipped", "Paid"}, false},
	} {
		o := cart.Order{ExternalID: "1", CartStatus: tc.status, Tags: tc.tags, Filter: filterFor(tc.status, cart.AwaitingFulfillment)}
		if got := c.Importable(o, tc.statuses); got != tc.want {
			t.Errorf("%q %v with %q: %v, want %v", tc.status, tc.tags, tc.statuses, got, tc.want)
		}
	}
}
