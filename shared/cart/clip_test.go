package cart

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"cut ascii", "abcdef", 5, "abcde…"},
		{"empty", "", 3, ""},
		{"zero", "abc", 0, "…"},
		{"negative", "abc", -1, "…"},
		// "é" is 2 bytes: a cut at 4 falls inside the second one.
		{"two-byte at boundary", "abéé", 5, "abé…"},
		{"two-byte split", "aéé", 4, "aé…"},
		// "€" is 3 bytes; "𝄞" is 4.
		{"three-byte split", "€€", 4, "€…"},
		{"three-byte split at 1", "€", 1, "…"},
		{"four-byte split", "a𝄞b", 4, "a…"},
		{"four-byte whole", "a𝄞b", 5, "a𝄞…"},
		{"multi-byte fits", "€𝄞", 7, "€𝄞"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clip(tt.s, tt.n)
			if got != tt.want {
				t.Errorf("Clip(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Clip(%q, %d) = %q is not valid UTF-8", tt.s, tt.n, got)
			}
		})
	}
}

func FuzzClip(f *testing.F) {
	f.Add("abcdef", 3)
	f.Add("aé€𝄞", 4)
	f.Add(strings.Repeat("€", 200), 300)
	f.Add("\xff\xfe", 1)
	f.Fuzz(func(t *testing.T, s string, n int) {
		got := Clip(s, n)
		if len(s) <= n {
			if got != s {
				t.Fatalf("Clip(%q, %d) = %q, want it unchanged", s, n, got)
			}
			return
		}
		if !strings.HasSuffix(got, "…") {
			t.Fatalf("Clip(%q, %d) = %q: a cut is not marked", s, n, got)
		}
		body := strings.TrimSuffix(got, "…")
		if len(body) > max(n, 0) || !strings.HasPrefix(s, body) {
			t.Fatalf("Clip(%q, %d) = %q: not a prefix of at most %d bytes", s, n, got, n)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Clip(%q, %d) = %q is not valid UTF-8", s, n, got)
		}
	})
}
