package storetest

import (
	"testing"

	"github.com/autosync/autosync/shared/store"
)

// testQueryAfterKeyPrefix: After may be a strict prefix of later keys, and
// those keys come after it, whether or not After names an item itself.
// inventory.ChangedSince reads its time-keyed change log this way
// ("CHG#<time>" before "CHG#<time>#<id>").
func testQueryAfterKeyPrefix(t *testing.T, s store.Store) {
	pk := partition(t)
	seed(t, s, pk, []string{"c#1#a", "c#1#b", "c#2", "c#2#a", "c#3#x", "d#1"})
	for _, tc := range []struct {
		after string
		limit int
		want  []string
	}{
		{"c#1", 100, []string{"c#1#a", "c#1#b", "c#2", "c#2#a", "c#3#x"}}, // names no item
		{"c#2", 100, []string{"c#2#a", "c#3#x"}},                          // names one
		{"c#2", 1, []string{"c#2#a", "c#3#x"}},                            // in pages of one
		{"c#3", 100, []string{"c#3#x"}},
		{"c#3#x", 100, nil},
	} {
		got := pages(t, s, store.Query{PK: pk, Prefix: "c#", After: tc.after, Limit: tc.limit})
		if !equal(got, tc.want) {
			t.Errorf("After %q limit %d: %q; want %q", tc.after, tc.limit, got, tc.want)
		}
	}
}
