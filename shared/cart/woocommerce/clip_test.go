package woocommerce

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// A long error message is cut at a character, not inside one.
func TestErrorMessageClippedAtRune(t *testing.T) {
	msg := "a" + strings.Repeat("é", 200) // "é" straddles byte 300
	body, _ := json.Marshal(map[string]string{"code": "x", "message": msg})
	e, ok := decodeError(body)
	if !ok || !utf8.ValidString(e.Message) || !strings.HasSuffix(e.Message, "…") || len(e.Message) > 300+len("…") {
		t.Errorf("got %q (ok %v)", e.Message, ok)
	}
}
