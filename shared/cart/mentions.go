package cart

import "strings"

// Mentions reports whether text names token (an id, a SKU in a cart's
// error message) where bounded(start, end) accepts the bytes around
// text[start:end] as the token's own edges: "variant 10" must not match
// "variant 106".
func Mentions(text, token string, bounded func(start, end int) bool) bool {
	if token == "" {
		return false
	}
	for from := 0; from < len(text); {
		i := strings.Index(text[from:], token)
		if i < 0 {
			return false
		}
		start := from + i
		if bounded(start, start+len(token)) {
			return true
		}
		from = start + 1
	}
	return false
}
