package cart

import "time"

// EmptyWindow says whether q's window [UpdatedFrom, UpdatedTo) holds
// nothing: both ends set and the end not after the start.
func (q OrderQuery) EmptyWindow() bool { return emptyWindow(q.UpdatedFrom, q.UpdatedTo) }

// EmptyWindow says whether q's window [UpdatedFrom, UpdatedTo) holds
// nothing: both ends set and the end not after the start.
func (q ListingQuery) EmptyWindow() bool { return emptyWindow(q.UpdatedFrom, q.UpdatedTo) }

func emptyWindow(from, to time.Time) bool {
	return !from.IsZero() && !to.IsZero() && !from.Before(to)
}

// CeilSecond is the first whole Unix second at or after t: the bound to
// ask a cart that filters by whole seconds for everything before t.
func CeilSecond(t time.Time) int64 { return t.Add(time.Second - time.Nanosecond).Unix() }
