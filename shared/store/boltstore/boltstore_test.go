package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/store/boltstore"
	"github.com/autosync/autosync/shared/store/storetest"
)

func open(tb testing.TB) *boltstore.Store {
	tb.Helper()
	s, err := boltstore.Open(filepath.Join(tb.TempDir(), "autosync.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// TestReopen checks that what was written survives closing the file.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "autosync.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := s.Put(ctx, store.Item{PK: "p", SK: "s", Data: []byte("d")}, store.NoCond); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	it, err := s.Get(ctx, "p", "s")
	if err != nil || it.Version != 1 || string(it.Data) != "d" {
		t.Fatalf("after reopen: %+v, %v", it, err)
	}
}

// TestLocked checks that a second Open of a file in use fails rather than
// hanging.
func TestLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "autosync.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s2, err := boltstore.Open(path); err == nil {
		s2.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
}

func BenchmarkPut(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	data := make([]byte, 512)
	i := 0
	for b.Loop() {
		it := store.Item{PK: "acct#1", SK: fmt.Sprintf("order#%09d", i), Data: data}
		if _, err := s.Put(ctx, it, store.MustBeNew); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkUpdate(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	it, err := s.Put(ctx, store.Item{PK: "acct#1", SK: "checkpoint", Data: make([]byte, 512)}, store.NoCond)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if it, err = s.Put(ctx, it, store.AtVersion(it.Version)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQueryPage(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	data := make([]byte, 512)
	// Neighbouring partitions and prefixes make the seek do real work.
	for _, pk := range []string{"acct#0", "acct#1", "acct#2"} {
		for _, prefix := range []string{"order#", "product#"} {
			ops := make([]store.Op, 0, store.MaxTransactItems)
			for i := range 1000 {
				ops = append(ops, store.Put(store.Item{PK: pk, SK: fmt.Sprintf("%s%06d", prefix, i), Data: data}, store.NoCond))
				if len(ops) == cap(ops) {
					if err := s.Transact(ctx, ops); err != nil {
						b.Fatal(err)
					}
					ops = ops[:0]
				}
			}
		}
	}
	for _, desc := range []bool{false, true} {
		b.Run(fmt.Sprintf("desc=%v", desc), func(b *testing.B) {
			q := store.Query{PK: "acct#1", Prefix: "order#", After: "order#000500", Desc: desc, Limit: 100}
			for b.Loop() {
				p, err := s.Query(ctx, q)
				if err != nil || len(p.Items) != 100 {
					b.Fatalf("%d items, %v", len(p.Items), err)
				}
			}
		})
	}
}
