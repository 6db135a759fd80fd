package id

import (
	"testing"
	"time"
)

func TestSortable(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_000)
	a, b := Sortable("r", t0), Sortable("r", t0.Add(time.Millisecond))
	if !(a < b) {
		t.Fatalf("%s !< %s", a, b)
	}
	if !Valid("r", a) || Valid("ch", a) || Valid("r", "r_XYZ!") || Valid("r", "r_") {
		t.Fatal("Valid wrong")
	}
	if New("ch") == New("ch") {
		t.Fatal("New repeats")
	}
}
