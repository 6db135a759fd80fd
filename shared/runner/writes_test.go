package runner

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/store"
)

// countingStore counts the product items written and read through it.
type countingStore struct {
	store.Store
	mu                    sync.Mutex
	prodWrites, prodReads int
}

func isProd(sk string) bool { return strings.HasPrefix(sk, "PROD#") }

func (s *countingStore) Get(ctx context.Context, pk, sk string) (store.Item, error) {
	if isProd(sk) {
		s.mu.Lock()
		s.prodReads++
		s.mu.Unlock()
	}
	return s.Store.Get(ctx, pk, sk)
}

func (s *countingStore) Put(ctx context.Context, it store.Item, c store.Cond) (store.Item, error) {
	if isProd(it.SK) {
		s.mu.Lock()
		s.prodWrites++
		s.mu.Unlock()
	}
	return s.Store.Put(ctx, it, c)
}

func (s *countingStore) Transact(ctx context.Context, ops []store.Op) error {
	s.mu.Lock()
	for _, op := range ops {
		if op.Kind != store.OpCheck && isProd(op.Item.SK) {
			s.prodWrites++
		}
	}
	s.mu.Unlock()
	return s.Store.Transact(ctx, ops)
}

func (s *countingStore) Query(ctx context.Context, q store.Query) (store.Page, error) {
	p, err := s.Store.Query(ctx, q)
	s.mu.Lock()
	for _, it := range p.Items {
		if isProd(it.SK) {
			s.prodReads++
		}
	}
	s.mu.Unlock()
	return p, err
}

func (s *countingStore) reset() (writes, reads int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writes, reads = s.prodWrites, s.prodReads
	s.prodWrites, s.prodReads = 0, 0
	return writes, reads
}

// An FBA import that finds Amazon's quantities as stored writes no product.
func TestFBAUnchangedWritesNothing(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	cs := &countingStore{Store: f.inv.Store}
	f.inv.Store = cs
	amazon, err := f.r.Channels.Create(ctx, "acct", channels.Channel{Type: catalog.Amazon, Name: "Amazon"}, cart.Credentials{"refresh_token": "x"})
	if err != nil {
		t.Fatal(err)
	}
	f.ch = amazon
	f.r.Implemented = map[catalog.Cart]map[catalog.Task]bool{catalog.Amazon: {catalog.ImportFBAInventory: true}}

	run := f.runTask(t, catalog.ImportFBAInventory)
	if w, _ := cs.reset(); run.Status != runs.Succeeded || w != 3 || run.Counts.Created != 3 {
		t.Fatalf("first import: %d product writes, run %+v", w, run)
	}
	run = f.runTask(t, catalog.ImportFBAInventory)
	if w, _ := cs.reset(); run.Status != runs.Succeeded || w != 0 || run.Counts.Unchanged != 3 {
		t.Fatalf("identical import: %d product writes, run %+v", w, run)
	}
	p, _, _ := f.inv.Get(ctx, "acct", "B")
	if s, ok := p.Stock[FBAWarehouse(f.ch.ID)]; !ok || s.OnHand != 0 {
		t.Fatalf("B's FBA stock %+v", p.Stock)
	}
}
