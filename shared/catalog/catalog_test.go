package catalog

import "testing"

func TestOfferTable(t *testing.T) {
	// Rows of the capability table (which cart offers which task), spelled out so a change to the
	// map above fails here.
	want := map[Task]string{ // shopify bigcommerce woocommerce etsy squarespace amazon
		ImportOrders:        "AAAAAA",
		WriteInventory:      "AAAAAA",
		ImportProducts:      "AAAOAO",
		ImportProductImages: "AA--A-",
		ImportFBAInventory:  "-----A",
		ImportFBAOrders:     "-----A",
		InstasyncOrders:     "AAA-A-",
		InstasyncProducts:   "AAA---",
	}
	sym := map[Offer]byte{Auto: 'A', Once: 'O', NotOffered: '-'}
	for task, row := range want {
		for i, c := range Carts {
			a := Offered(c, task)
			if got := sym[a.Offer]; got != row[i] {
				t.Errorf("%s on %s: got %c want %c", task, c, got, row[i])
			}
			if a.Offer != Auto && a.Reason == "" {
				t.Errorf("%s on %s: limited offer without a reason", task, c)
			}
		}
	}
}

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
