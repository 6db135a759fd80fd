package shopify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A long error message is cut at a character, not inside one.
func TestErrorMessageClippedAtRune(t *testing.T) {
	msg := "a" + strings.Repeat("é", 200) // "é" straddles byte 300
	got := gqlErrors{{Message: msg}}.message()
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || len(got) > 300+len("…") {
		t.Errorf("got %q", got)
	}
	got = (&UserError{Message: msg}).cartError().Message
	if !utf8.ValidString(got) {
		t.Errorf("user error: got %q", got)
	}
}
