package runner

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/store"
)

// staleStore answers eventually consistent queries from a frozen page, as a
// replica that has not caught up would.
type staleStore struct {
	store.Store
	mu       sync.Mutex
	frozen   *store.Page
	eventual int
}

func (s *staleStore) freeze(t *testing.T, q store.Query) {
	p, err := s.Store.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.frozen = &p
	s.mu.Unlock()
}

func (s *staleStore) Query(ctx context.Context, q store.Query) (store.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !q.Eventual {
		return s.Store.Query(ctx, q)
	}
	s.eventual++
	if s.frozen != nil {
		return *s.frozen, nil
	}
	return s.Store.Query(ctx, q)
}

// A scheduled write-back reads the catalog eventually consistent, but pushes
// only what a consistent read of each picked product confirms; runs asked
// for read consistently.
func TestScheduledWriteBackReadsEventually(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	ss := &staleStore{Store: f.inv.Store}
	f.inv.Store = ss
	f.shelf.add("A", 5)
	f.shelf.add("B", 5)
	f.runTask(t, catalog.ImportProducts)
	for sku, q := range map[string]int{"A": 8, "B": 9} {
		if _, err := f.inv.SetOnHand(ctx, "acct", sku, inventory.DefaultWarehouse, q); err != nil {
			t.Fatal(err)
		}
	}
	ss.freeze(t, store.Query{PK: store.AccountPK("acct"), Prefix: "PROD#", Limit: 500})
	// A is back in sync; the stale replica still says it needs pushing.
	if _, err := f.inv.SetOnHand(ctx, "acct", "A", inventory.DefaultWarehouse, 5); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Second)
	run, err := f.r.Handle(ctx, runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: catalog.WriteInventory, Trigger: runs.Schedule})
	if err != nil || run.Status != runs.Succeeded || run.Counts.Pushed != 1 {
		t.Fatalf("scheduled write-back %+v %v; want B pushed alone", run, err)
	}
	if a, b := f.shelf.quantity("A"), f.shelf.quantity("B"); a != 5 || b != 9 || ss.eventual == 0 {
		t.Fatalf("cart A=%d B=%d after %d eventual reads; want A=5 B=9 and the catalog read eventually", a, b, ss.eventual)
	}
	n := ss.eventual
	f.runTask(t, catalog.WriteInventory) // manual
	if ss.eventual != n {
		t.Fatal("a manual write-back read the catalog eventually consistent")
	}
}
