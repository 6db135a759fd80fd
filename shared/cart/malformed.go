package cart

import (
	"errors"
	"fmt"
)

// ErrMalformed is an answer a connector cannot read: not in the shape the
// cart documents.
var ErrMalformed = errors.New("malformed response")

// Malformed is ErrMalformed saying what was wrong.
func Malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}
