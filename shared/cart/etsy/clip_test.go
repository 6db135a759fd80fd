package etsy

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// A long error message is cut at a character, not inside one.
func TestErrorMessageClippedAtRune(t *testing.T) {
	msg := "a" + strings.Repeat("é", 200) // "é" straddles byte 300
	body, _ := json.Marshal(map[string]string{"error": msg})
	got := errorMessage(body)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || len(got) > 300+len("…") {
		t.Errorf("got %q", got)
	}
}
