package cart

import (
	"errors"
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var c Cache
	fetches := 0
	fetch := func(v string, expires time.Time, err error) func() (string, time.Time, error) {
		return func() (string, time.Time, error) { fetches++; return v, expires, err }
	}
	if v, err := c.Get(t0, fetch("a", t0.Add(time.Minute), nil)); v != "a" || err != nil {
		t.Fatalf("first: %q, %v", v, err)
	}
	if v, _ := c.Get(t0.Add(30*time.Second), fetch("b", time.Time{}, nil)); v != "a" || fetches != 1 {
		t.Errorf("before expiry: %q after %d fetches; want the cached a", v, fetches)
	}
	if v, _ := c.Get(t0.Add(time.Minute), fetch("b", time.Time{}, nil)); v != "b" || fetches != 2 {
		t.Errorf("at expiry: %q after %d fetches; want a fetched b", v, fetches)
	}
	if v, _ := c.Get(t0.Add(time.Hour), fetch("c", time.Time{}, nil)); v != "b" {
		t.Errorf("no expiry: %q; want b until dropped", v)
	}
	c.Drop("stale")
	if v, _ := c.Get(t0, fetch("c", time.Time{}, nil)); v != "b" {
		t.Errorf("dropping another value dropped b: got %q", v)
	}
	c.Drop("b")
	if _, err := c.Get(t0, fetch("", time.Time{}, errors.New("down"))); err == nil {
		t.Error("a failed fetch: no error")
	}
	if v, _ := c.Get(t0, fetch("d", time.Time{}, nil)); v != "d" {
		t.Errorf("after a failed fetch: %q; want a new fetch", v)
	}
}
