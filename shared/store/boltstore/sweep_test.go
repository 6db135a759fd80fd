package boltstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/store"
)

// Sweep deletes expired items, across more than one batch, and keeps the
// live ones and those without an expiry.
func TestSweepDeletesExpiredItems(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	n := 2*sweepBatch + 7
	var ops []store.Op
	for i := range n {
		it := store.Item{PK: "p", SK: fmt.Sprintf("k%05d", i), Data: []byte(`{}`)}
		switch i % 3 {
		case 0:
			it.ExpiresAt = now.Add(time.Hour) // expired by the sweep's clock below
		case 1:
			it.ExpiresAt = now.Add(3 * time.Hour) // still live then
		}
		ops = append(ops, store.Put(it, store.NoCond))
		if len(ops) == store.MaxTransactItems || i == n-1 {
			if err := s.Transact(ctx, ops); err != nil {
				t.Fatal(err)
			}
			ops = nil
		}
	}
	later := now.Add(2 * time.Hour)
	deleted, err := s.Sweep(ctx, later)
	if want := (n + 2) / 3; err != nil || deleted != want {
		t.Fatalf("swept %d, %v; want %d", deleted, err, want)
	}
	// The swept items were live by the real clock, which reads go by: a
	// read that misses them shows they are gone, not hidden.
	left := 0
	for i := range n {
		_, err := s.Get(ctx, "p", fmt.Sprintf("k%05d", i))
		switch {
		case err == nil:
			left++
		case !errors.Is(err, store.ErrNotFound):
			t.Fatal(err)
		}
	}
	if left != n-deleted {
		t.Fatalf("%d items left, want %d", left, n-deleted)
	}
	if again, err := s.Sweep(ctx, later); err != nil || again != 0 {
		t.Fatalf("second sweep %d, %v", again, err)
	}
	// A key written again after its expired item was swept starts over.
	if _, err := s.Put(ctx, store.Item{PK: "p", SK: "k00000"}, store.MustBeNew); err != nil {
		t.Fatal(err)
	}
}
