package cart

import (
	"reflect"
	"testing"
)

func TestAppendImages(t *testing.T) {
	got := AppendImages([]string{"https://cdn.example/a.png"},
		"https://cdn.example/b.png", "https://cdn.example/a.png", "/relative.png", "ftp://cdn.example/c.png",
		"http://cdn.example/d.png", "https:///nohost.png", "%zz", "https://cdn.example/b.png")
	want := []string{"https://cdn.example/a.png", "https://cdn.example/b.png", "http://cdn.example/d.png"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := AppendImages(nil); got != nil {
		t.Errorf("nothing to append: %q", got)
	}
}
