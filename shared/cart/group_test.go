package cart

import (
	"errors"
	"reflect"
	"testing"
)

func TestGroupUpdates(t *testing.T) {
	updates := []StockUpdate{
		{SKU: "a", Link: Link{ProductID: "1"}},
		{SKU: "b", Link: Link{ProductID: "2"}},
		{SKU: "c", Link: Link{ProductID: ""}},
		{SKU: "d", Link: Link{ProductID: "1"}},
	}
	refused := errors.New("no listing")
	var seen []int
	results, groups := GroupUpdates(updates, func(i int, u StockUpdate) (string, error) {
		seen = append(seen, i)
		if u.Link.ProductID == "" {
			return "", refused
		}
		return u.Link.ProductID, nil
	})
	if !reflect.DeepEqual(seen, []int{0, 1, 2, 3}) {
		t.Errorf("key saw %v; want every update in order", seen)
	}
	want := []*UpdateGroup[string]{{Key: "1", Index: []int{0, 3}}, {Key: "2", Index: []int{1}}}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("groups %+v; want %+v", groups, want)
	}
	for i, r := range results {
		if r.SKU != updates[i].SKU {
			t.Errorf("result %d: SKU %q", i, r.SKU)
		}
		if (r.Err != nil) != (i == 2) || i == 2 && !errors.Is(r.Err, refused) {
			t.Errorf("result %d: err %v", i, r.Err)
		}
	}
}

func TestCheckUpdates(t *testing.T) {
	updates := []StockUpdate{{SKU: "a", Quantity: 1}, {SKU: "b", Quantity: -1}, {SKU: "c", Quantity: 2}}
	results, pending := CheckUpdates(updates, func(_ int, u StockUpdate) error {
		if u.Quantity < 0 {
			return errors.New("negative")
		}
		return nil
	})
	if !reflect.DeepEqual(pending, []int{0, 2}) || results[1].Err == nil || results[0].Err != nil || results[2].SKU != "c" {
		t.Errorf("pending %v, results %+v", pending, results)
	}
	if _, pending := CheckUpdates(updates[1:2], func(int, StockUpdate) error { return errors.New("no") }); pending != nil {
		t.Errorf("nothing accepted: pending %v", pending)
	}
}
