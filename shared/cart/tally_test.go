package cart

import (
	"sync"
	"testing"
)

func TestTally(t *testing.T) {
	type counts struct{ Reads, Writes int }
	var tl Tally[counts]
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tl.Add(func(c *counts) { c.Reads++ })
			tl.Add(func(c *counts) { c.Writes += 2 })
		}()
	}
	wg.Wait()
	if got := tl.Get(); got != (counts{Reads: 50, Writes: 100}) {
		t.Errorf("got %+v", got)
	}
}
