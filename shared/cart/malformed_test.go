package cart

import (
	"errors"
	"testing"
)

func TestMalformed(t *testing.T) {
	err := Malformed("order %d has no id", 7)
	if !errors.Is(err, ErrMalformed) || err.Error() != "malformed response: order 7 has no id" {
		t.Errorf("got %v", err)
	}
}
