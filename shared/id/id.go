// Package id makes the identifiers Autosync hands out: short, URL- and
// schedule-name-safe ([0-9a-z_]), and for runs ordered by time so the newest
// come first in a descending key query.
package id

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"time"
)

var enc = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("id: crypto/rand: %v", err)) // the platform is broken
	}
	return enc.EncodeToString(b)
}

// New returns prefix_ followed by 16 random base32 characters (80 bits).
func New(prefix string) string { return prefix + "_" + random(10) }

// Sortable returns prefix_ then the time in milliseconds (fixed width, so
// lexical order is time order) and 8 random characters to break ties.
func Sortable(prefix string, t time.Time) string {
	return fmt.Sprintf("%s_%011x%s", prefix, t.UnixMilli(), random(5))
}

// Valid reports whether s looks like an id this package made with prefix.
func Valid(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) < 8 || len(rest) > 40 {
		return false
	}
	for _, r := range rest {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'v') {
			return false
		}
	}
	return true
}
