package pattern

import (
	"slices"
	"sync"
	"testing"
)

func TestRegexp(t *testing.T) {
	re := New(`^([a-z]+)-([0-9]{1,3})$`)
	var wg sync.WaitGroup
	for range 8 { // first use from many goroutines compiles once, safely
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !re.MatchString("ab-12") || re.MatchString("ab-1234") {
				t.Error("MatchString")
			}
		}()
	}
	wg.Wait()
	if got := re.FindStringSubmatch("ab-12"); !slices.Equal(got, []string{"ab-12", "ab", "12"}) {
		t.Errorf("FindStringSubmatch %q", got)
	}
	if got := re.FindSubmatch([]byte("x-1")); len(got) != 3 || string(got[2]) != "1" {
		t.Errorf("FindSubmatch %q", got)
	}
	if re.String() != `^([a-z]+)-([0-9]{1,3})$` {
		t.Error(re.String())
	}
}

func TestBadExpressionPanicsAtFirstUse(t *testing.T) {
	re := New(`(`) // no panic yet
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	re.MatchString("x")
}
