package cart

import "unicode/utf8"

// Clip bounds a message quoted to a merchant to n bytes, cutting at a rune
// boundary (never inside a multi-byte character) and marking the cut with
// "…". A string of at most n bytes comes back unchanged.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n, 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
