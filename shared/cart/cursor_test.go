package cart

import (
	"strings"
	"testing"
)

func TestCursor(t *testing.T) {
	type pos struct {
		O int64  `json:"o"`
		T string `json:"t,omitempty"`
	}
	s := EncodeCursor(pos{O: 42, T: "tok"})
	var got pos
	if !DecodeCursor(s, 64, &got) || got != (pos{O: 42, T: "tok"}) {
		t.Fatalf("round trip %q: %+v", s, got)
	}
	got = pos{O: 7}
	if !DecodeCursor("", 64, &got) || got.O != 7 {
		t.Errorf("the first page changed the position: %+v", got)
	}
	for name, s := range map[string]string{
		"not base64":          "!!",
		"not JSON":            "bm90IGpzb24",
		"longer than the max": EncodeCursor(pos{T: strings.Repeat("x", 100)}),
	} {
		var p pos
		if DecodeCursor(s, 64, &p) {
			t.Errorf("%s: %q read as %+v", name, s, p)
		}
	}
}
