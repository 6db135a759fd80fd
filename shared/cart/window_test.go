package cart

import (
	"testing"
	"time"
)

func TestEmptyWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		from, to time.Time
		empty    bool
	}{
		{time.Time{}, time.Time{}, false},
		{t0, time.Time{}, false},
		{time.Time{}, t0, false},
		{t0, t0.Add(time.Second), false},
		{t0, t0, true},
		{t0.Add(time.Second), t0, true},
	} {
		if got := (OrderQuery{UpdatedFrom: tc.from, UpdatedTo: tc.to}).EmptyWindow(); got != tc.empty {
			t.Errorf("orders [%v, %v): %v", tc.from, tc.to, got)
		}
		if got := (ListingQuery{UpdatedFrom: tc.from, UpdatedTo: tc.to}).EmptyWindow(); got != tc.empty {
			t.Errorf("listings [%v, %v): %v", tc.from, tc.to, got)
		}
	}
}

func TestCeilSecond(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want int64
	}{
		{time.Unix(100, 0), 100},
		{time.Unix(100, 1), 101},
		{time.Unix(100, 999_999_999), 101},
		{time.Unix(-5, 500), -4},
		{time.Unix(0, 0), 0},
	} {
		if got := CeilSecond(tc.t); got != tc.want {
			t.Errorf("CeilSecond(%v) = %d, want %d", tc.t, got, tc.want)
		}
	}
}
