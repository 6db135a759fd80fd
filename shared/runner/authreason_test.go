package runner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// A refusal the cart explains (a read-only WooCommerce key) tells the
// merchant what to fix; a bare one keeps the generic advice.
func TestAuthRefusalShowsTheCartsReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("push: %w", &cart.Error{Status: 401, Message: "The API key is read-only: create a key with Read/Write permissions.", Err: cart.ErrAuth}),
			"The API key is read-only: create a key with Read/Write permissions."},
		{fmt.Errorf("x: %w", cart.ErrAuth), "The cart refused this channel's credentials. Re-authorize the channel to resume its tasks."},
	}
	for _, tc := range tests {
		if _, msg := classify(tc.err); !strings.Contains(msg, tc.want) || !strings.Contains(msg, "Re-authorize") {
			t.Errorf("%v → %q; want it to say %q", tc.err, msg, tc.want)
		}
	}
}
