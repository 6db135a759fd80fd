package catalog

import "testing"

func TestIntervals(t *testing.T) {
	tests := []struct {
		task Task
		in   Interval
		ok   bool
	}{
		{ImportOrders, Every10m, true},
		{ImportProducts, Every10m, false},
		{ImportProductImages, Every1h, false},
		{ImportProductImages, Every6h, true},
		{ImportFBAOrders, Every1d, true},
		{InstasyncOrders, Every1h, false},
	}
	for _, tc := range tests {
		s, _ := Spec(tc.task)
		if got := s.Allows(tc.in); got != tc.ok {
			t.Errorf("%s allows %s = %v, want %v", tc.task, tc.in, got, tc.ok)
		}
	}
	for _, s := range Tasks {
		if s.Mode == Autosync && !s.Allows(s.DefaultInterval) {
			t.Errorf("%s: default %s not allowed", s.ID, s.DefaultInterval)
		}
		for _, i := range s.Allowed {
			if i.Rate() == "" || i.Duration() == 0 {
				t.Errorf("interval %s has no rate", i)
			}
		}
	}
}
