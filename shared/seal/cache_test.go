package seal

import (
	"context"
	"errors"
	"testing"
)

// countingSealer counts the opens that reach it.
type countingSealer struct {
	Sealer
	opens int
}

func (c *countingSealer) Open(ctx context.Context, sealed []byte, aad string) ([]byte, error) {
	c.opens++
	return c.Sealer.Open(ctx, sealed, aad)
}

func TestCached(t *testing.T) {
	ctx := context.Background()
	aes, err := NewAESGCM(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	inner := &countingSealer{Sealer: aes}
	c := &Cached{Sealer: inner, Max: 2}
	blob := func(s, aad string) []byte {
		b, err := c.Seal(ctx, []byte(s), aad)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, d := blob("secret-a", "acct/ch1"), blob("secret-b", "acct/ch2"), blob("secret-d", "acct/ch3")
	open := func(sealed []byte, aad, want string) {
		t.Helper()
		got, err := c.Open(ctx, sealed, aad)
		if err != nil || string(got) != want {
			t.Fatalf("Open(%s) = %q, %v; want %q", aad, got, err, want)
		}
		got[0] = 'X' // a caller's change must not reach the cache
	}
	for range 3 {
		open(a, "acct/ch1", "secret-a")
	}
	if inner.opens != 1 {
		t.Fatalf("three opens of one blob reached the sealer %d times, want 1", inner.opens)
	}
	// The context is part of the key: a blob under another context is opened
	// (and refused) by the sealer, never answered from the cache.
	if _, err := c.Open(ctx, a, "acct/other"); !errors.Is(err, ErrOpen) {
		t.Fatalf("blob under another context: %v", err)
	}
	if _, err := c.Open(ctx, a, "acct/other"); !errors.Is(err, ErrOpen) || inner.opens != 3 {
		t.Fatalf("a refused blob was remembered: %v after %d opens", err, inner.opens)
	}
	// Bounded: a third blob evicts the oldest.
	open(b, "acct/ch2", "secret-b")
	open(d, "acct/ch3", "secret-d")
	if n := len(c.plain); n != 2 {
		t.Fatalf("cache holds %d entries, want at most 2", n)
	}
	before := inner.opens
	open(a, "acct/ch1", "secret-a")
	open(d, "acct/ch3", "secret-d")
	if inner.opens != before+1 {
		t.Fatalf("after eviction: %d opens reached the sealer, want 1 (the evicted blob)", inner.opens-before)
	}
}
