package cart

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfter parses a Retry-After header: delta-seconds (hosts send
// integers; a decimal is accepted) or an HTTP date, capped at limit so an
// absurd value cannot overflow or stall a run. Zero means absent or unusable.
func RetryAfter(h string, now time.Time, limit time.Duration) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(h, 64); err == nil {
		if s <= 0 || math.IsNaN(s) {
			return 0
		}
		return min(time.Duration(math.Min(s, limit.Seconds())*float64(time.Second)), limit)
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(t.Sub(now), 0), limit)
	}
	return 0
}
