package cart

import "testing"

func TestMentions(t *testing.T) {
	digit := func(b byte) bool { return b >= '0' && b <= '9' }
	for _, tc := range []struct {
		text, token string
		want        bool
	}{
		{"variant 10 refused", "10", true},
		{"variant 106 refused", "10", false},
		{"variant 106, variant 10", "10", true},
		{"10", "10", true},
		{"", "10", false},
		{"variant 10", "", false},
	} {
		text := tc.text
		bounded := func(start, end int) bool {
			return (start == 0 || !digit(text[start-1])) && (end == len(text) || !digit(text[end]))
		}
		if got := Mentions(text, tc.token, bounded); got != tc.want {
			t.Errorf("Mentions(%q, %q) = %v", tc.text, tc.token, got)
		}
	}
}
