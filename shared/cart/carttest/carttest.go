// Package carttest holds what the connectors' tests share.
package carttest

import (
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// Retry is a retry policy for tests: the same attempts as production,
// with waits short enough that a test of retries takes milliseconds.
var Retry = cart.Retry{
	Attempts:        4,
	BaseBackoff:     time.Millisecond,
	MaxBackoff:      4 * time.Millisecond,
	AttemptTimeout:  5 * time.Second,
	MinThrottleWait: time.Millisecond,
	MaxThrottleWait: 10 * time.Millisecond,
}
