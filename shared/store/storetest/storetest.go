// Package storetest is the contract every store.Store adapter must meet.
//
// The port's doc comments say what an adapter does; this suite is where that
// is checked, once, against every adapter. Domain code is tested against one
// adapter (usually bbolt) and trusted on the other only because both pass
// the same suite, so any behaviour domain code relies on belongs here.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/store"
)

// Run runs the contract against the stores newStore returns. newStore is
// called once per subtest; it may return a fresh store each time or share
// one backing store, because every subtest writes only to partitions named
// after itself.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"GetMissing", testGetMissing},
		{"PutVersions", testPutVersions},
		{"Conditions", testConditions},
		{"InvalidCond", testInvalidCond},
		{"DeleteMissing", testDeleteMissing},
		{"DeleteThenPut", testDeleteThenPut},
		{"Expiry", testExpiry},
		{"ExpiryPrecision", testExpiryPrecision},
		{"Data", testData},
		{"DataTooLarge", testDataTooLarge},
		{"InvalidKeys", testInvalidKeys},
		{"MaxKeys", testMaxKeys},
		{"QueryOrder", testQueryOrder},
		{"QueryPaging", testQueryPaging},
		{"QueryAfter", testQueryAfter},
		{"QueryAfterKeyPrefix", testQueryAfterKeyPrefix},
		{"QueryIsolation", testQueryIsolation},
		{"QueryExpired", testQueryExpired},
		{"QueryLimits", testQueryLimits},
		{"QueryInvalid", testQueryInvalid},
		{"QueryEventual", testQueryEventual},
		{"Transact", testTransact},
		{"TransactFailure", testTransactFailure},
		{"TransactExpired", testTransactExpired},
		{"TransactInvalid", testTransactInvalid},
		{"TransactMax", testTransactMax},
		{"ConcurrentIncrements", testConcurrentIncrements},
		{"ConcurrentCreate", testConcurrentCreate},
		{"ContextCanceled", testContextCanceled},
		{"UpdateConcurrent", testUpdateConcurrent},
		{"UpdateAbsent", testUpdateAbsent},
		{"UpdateFnError", testUpdateFnError},
		{"UpdateLimit", testUpdateLimit},
		{"UpdateCanceled", testUpdateCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// seq makes partition keys unique within a process even when a shared
// store outlives one run of the suite (go test -count=2).
var seq atomic.Int64

// partition returns a partition key no other test uses.
func partition(t *testing.T) string {
	return fmt.Sprintf("storetest/%s/%d/%d", t.Name(), time.Now().UnixNano(), seq.Add(1))
}

// past and future are expiries far enough from now that a slow emulator
// cannot cross them during a test.
func past() time.Time   { return time.Now().Add(-time.Hour).Truncate(time.Second) }
func future() time.Time { return time.Now().Add(time.Hour).Truncate(time.Second) }

func mustPut(t *testing.T, s store.Store, it store.Item, c store.Cond) store.Item {
	t.Helper()
	got, err := s.Put(t.Context(), it, c)
	if err != nil {
		t.Fatalf("Put(%s/%s, %+v): %v", it.PK, it.SK, c, err)
	}
	return got
}

func mustGet(t *testing.T, s store.Store, pk, sk string) store.Item {
	t.Helper()
	got, err := s.Get(t.Context(), pk, sk)
	if err != nil {
		t.Fatalf("Get(%s/%s): %v", pk, sk, err)
	}
	return got
}

func mustTransact(t *testing.T, s store.Store, ops ...store.Op) {
	t.Helper()
	if err := s.Transact(t.Context(), ops); err != nil {
		t.Fatalf("Transact: %v", err)
	}
}

func mustQuery(t *testing.T, s store.Store, q store.Query) store.Page {
	t.Helper()
	p, err := s.Query(t.Context(), q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	return p
}

// wantMissing fails unless no live item is at the key.
func wantMissing(t *testing.T, s store.Store, pk, sk string) {
	t.Helper()
	if it, err := s.Get(t.Context(), pk, sk); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%s/%s) = %+v, %v; want ErrNotFound", pk, sk, it, err)
	}
}

// wantItem fails unless the live item at the key has version v and data.
func wantItem(t *testing.T, s store.Store, pk, sk string, v int64, data string) {
	t.Helper()
	got := mustGet(t, s, pk, sk)
	if got.PK != pk || got.SK != sk || got.Version != v || string(got.Data) != data {
		t.Fatalf("Get(%s/%s) = %s/%s v%d %q; want v%d %q", pk, sk, got.PK, got.SK, got.Version, got.Data, v, data)
	}
}

// seed puts one item per sort key under pk, its data the sort key, from a
// few goroutines at once: big partitions stay cheap on a remote store, and
// on the emulator, whose transactions copy the whole table, far cheaper
// than batching them in transactions.
func seed(t *testing.T, s store.Store, pk string, sks []string) {
	t.Helper()
	const workers = 8
	work := make(chan string)
	errs := make(chan error, workers)
	for range workers {
		go func() {
			var first error
			for sk := range work {
				if first != nil {
					continue
				}
				_, first = s.Put(t.Context(), store.Item{PK: pk, SK: sk, Data: []byte(sk)}, store.NoCond)
			}
			errs <- first
		}()
	}
	for _, sk := range sks {
		work <- sk
	}
	close(work)
	for range workers {
		if err := <-errs; err != nil {
			t.Fatalf("seeding %s: %v", pk, err)
		}
	}
}

func testGetMissing(t *testing.T, s store.Store) {
	pk := partition(t)
	wantMissing(t, s, pk, "nothing")
	// An item in the partition does not make its neighbours exist.
	mustPut(t, s, store.Item{PK: pk, SK: "a"}, store.NoCond)
	wantMissing(t, s, pk, "b")
	wantMissing(t, s, pk+"x", "a")
}

func testPutVersions(t *testing.T, s store.Store) {
	pk := partition(t)
	for v := int64(1); v <= 3; v++ {
		data := fmt.Sprintf(`{"n":%d}`, v)
		got := mustPut(t, s, store.Item{PK: pk, SK: "k", Data: []byte(data)}, store.NoCond)
		if got.PK != pk || got.SK != "k" || got.Version != v || string(got.Data) != data || !got.ExpiresAt.IsZero() {
			t.Fatalf("Put #%d returned %+v; want version %d", v, got, v)
		}
		wantItem(t, s, pk, "k", v, data)
	}
	// The version a caller passes in is ignored: the store maintains it.
	got := mustPut(t, s, store.Item{PK: pk, SK: "k", Version: 42}, store.NoCond)
	if got.Version != 4 {
		t.Fatalf("Put with Version 42 set returned version %d; want 4", got.Version)
	}
}

// state is what sits at a key before a conditional write.
type state int

const (
	absent     state = iota
	live             // version 2, no expiry
	liveExpiry       // version 2, expires in the future
	expired          // version 2, expired
)

func (st state) String() string {
	return [...]string{"absent", "live", "liveExpiry", "expired"}[st]
}

// setUp puts the key into st.
func setUp(t *testing.T, s store.Store, pk, sk string, st state) {
	t.Helper()
	if st == absent {
		return
	}
	mustPut(t, s, store.Item{PK: pk, SK: sk, Data: []byte("old")}, store.NoCond)
	it := store.Item{PK: pk, SK: sk, Data: []byte("old")}
	switch st {
	case liveExpiry:
		it.ExpiresAt = future()
	case expired:
		it.ExpiresAt = past()
	}
	mustPut(t, s, it, store.NoCond)
}

// testConditions runs every condition against every state through every
// kind of write, and checks that a failed condition changes nothing.
func testConditions(t *testing.T, s store.Store) {
	conds := []struct {
		name string
		c    store.Cond
	}{
		{"NoCond", store.NoCond},
		{"MustBeNew", store.MustBeNew},
		{"AtVersion0", store.AtVersion(0)},
		{"MustExist", store.MustExist},
		{"AtVersion2", store.AtVersion(2)},
		{"AtVersion1", store.AtVersion(1)},
		{"AtVersion3", store.AtVersion(3)},
	}
	// holds[state][cond name]; written out rather than derived from
	// Cond.Holds so the table states the contract on its own.
	holds := map[state]map[string]bool{
		absent:     {"NoCond": true, "MustBeNew": true, "AtVersion0": true},
		live:       {"NoCond": true, "MustExist": true, "AtVersion2": true},
		liveExpiry: {"NoCond": true, "MustExist": true, "AtVersion2": true},
		expired:    {"NoCond": true, "MustBeNew": true, "AtVersion0": true},
	}
	writes := []struct {
		name  string
		write func(ctx context.Context, pk, sk string, c store.Cond) error
		// What a successful write leaves: a deleted item, an unchanged
		// one (checks), or else a new version with data "new".
		deletes, checks bool
		tx              bool // failures must be *TxError
	}{
		{name: "Put", write: func(ctx context.Context, pk, sk string, c store.Cond) error {
			_, err := s.Put(ctx, store.Item{PK: pk, SK: sk, Data: []byte("new")}, c)
			return err
		}},
		{name: "Delete", deletes: true, write: func(ctx context.Context, pk, sk string, c store.Cond) error {
			return s.Delete(ctx, pk, sk, c)
		}},
		{name: "TxPut", tx: true, write: func(ctx context.Context, pk, sk string, c store.Cond) error {
			return s.Transact(ctx, []store.Op{store.Put(store.Item{PK: pk, SK: sk, Data: []byte("new")}, c)})
		}},
		{name: "TxDelete", tx: true, deletes: true, write: func(ctx context.Context, pk, sk string, c store.Cond) error {
			return s.Transact(ctx, []store.Op{store.Delete(pk, sk, c)})
		}},
		{name: "TxCheck", tx: true, checks: true, write: func(ctx context.Context, pk, sk string, c store.Cond) error {
			return s.Transact(ctx, []store.Op{store.Check(pk, sk, c)})
		}},
	}
	for _, w := range writes {
		for _, st := range []state{absent, live, liveExpiry, expired} {
			for _, c := range conds {
				if w.checks && c.c.Kind == store.Always {
					continue // a check without a condition is refused; see TransactInvalid
				}
				t.Run(fmt.Sprintf("%s/%s/%s", w.name, st, c.name), func(t *testing.T) {
					pk := partition(t)
					setUp(t, s, pk, "k", st)
					err := w.write(t.Context(), pk, "k", c.c)
					ok := holds[st][c.name]
					if !ok {
						if !errors.Is(err, store.ErrConditionFailed) {
							t.Fatalf("err = %v; want ErrConditionFailed", err)
						}
						var txErr *store.TxError
						if w.tx && (!errors.As(err, &txErr) || fmt.Sprint(txErr.Failed) != "[0]") {
							t.Fatalf("err = %#v; want *TxError failing op [0]", err)
						}
					} else if err != nil {
						t.Fatalf("err = %v; want success", err)
					}
					switch {
					case ok && w.deletes:
						wantMissing(t, s, pk, "k")
					case ok && !w.checks:
						// Versions never go backwards, not even across an
						// expiry: a writer still holding version 2 of an
						// expired lease must not match its successor.
						v := int64(1)
						if st != absent {
							v = 3
						}
						wantItem(t, s, pk, "k", v, "new")
						if got := mustGet(t, s, pk, "k"); !got.ExpiresAt.IsZero() {
							t.Fatalf("ExpiresAt = %v after a put without expiry; want zero", got.ExpiresAt)
						}
					case st == absent || st == expired:
						wantMissing(t, s, pk, "k")
					default:
						wantItem(t, s, pk, "k", 2, "old")
					}
				})
			}
		}
	}
}

func testInvalidCond(t *testing.T, s store.Store) {
	pk := partition(t)
	mustPut(t, s, store.Item{PK: pk, SK: "k"}, store.NoCond)
	bad := store.Cond{Kind: 99}
	if _, err := s.Put(t.Context(), store.Item{PK: pk, SK: "n"}, bad); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Put with unknown condition kind: %v; want ErrInvalid", err)
	}
	if err := s.Delete(t.Context(), pk, "k", bad); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Delete with unknown condition kind: %v; want ErrInvalid", err)
	}
	if err := s.Transact(t.Context(), []store.Op{store.Put(store.Item{PK: pk, SK: "n"}, bad)}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Transact with unknown condition kind: %v; want ErrInvalid", err)
	}
	wantMissing(t, s, pk, "n")
	wantItem(t, s, pk, "k", 1, "")
}

func testDeleteMissing(t *testing.T, s store.Store) {
	pk := partition(t)
	if err := s.Delete(t.Context(), pk, "k", store.NoCond); err != nil {
		t.Fatalf("Delete missing with NoCond: %v; want nil", err)
	}
	if err := s.Delete(t.Context(), pk, "k", store.MustExist); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("Delete missing with MustExist: %v; want ErrConditionFailed", err)
	}
	wantMissing(t, s, pk, "k")
}

func testDeleteThenPut(t *testing.T, s store.Store) {
	pk := partition(t)
	mustPut(t, s, store.Item{PK: pk, SK: "k"}, store.NoCond)
	mustPut(t, s, store.Item{PK: pk, SK: "k"}, store.NoCond)
	if err := s.Delete(t.Context(), pk, "k", store.AtVersion(2)); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, s, pk, "k")
	// A deleted item is gone, version and all: the next write starts over.
	// Fencing that must survive a delete cannot rely on versions alone.
	if got := mustPut(t, s, store.Item{PK: pk, SK: "k"}, store.MustBeNew); got.Version != 1 {
		t.Fatalf("Put after Delete: version %d; want 1", got.Version)
	}
}

func testExpiry(t *testing.T, s store.Store) {
	pk := partition(t)
	exp := past()
	mustPut(t, s, store.Item{PK: pk, SK: "gone", Data: []byte("x")}, store.NoCond)
	mustPut(t, s, store.Item{PK: pk, SK: "gone", Data: []byte("x"), ExpiresAt: exp}, store.NoCond)
	wantMissing(t, s, pk, "gone")

	// An expiry in the future is visible and reported as written.
	fut := future()
	got := mustPut(t, s, store.Item{PK: pk, SK: "soon", Data: []byte("y"), ExpiresAt: fut}, store.MustBeNew)
	if !got.ExpiresAt.Equal(fut) {
		t.Fatalf("Put returned ExpiresAt %v; want %v", got.ExpiresAt, fut)
	}
	if g := mustGet(t, s, pk, "soon"); !g.ExpiresAt.Equal(fut) || g.Version != 1 {
		t.Fatalf("Get = %+v; want version 1 expiring %v", g, fut)
	}

	// Rewriting without an expiry removes it.
	mustPut(t, s, store.Item{PK: pk, SK: "soon", Data: []byte("z")}, store.AtVersion(1))
	if g := mustGet(t, s, pk, "soon"); !g.ExpiresAt.IsZero() {
		t.Fatalf("ExpiresAt = %v after rewrite without expiry; want zero", g.ExpiresAt)
	}

	// The expired item counts as absent: creating over it succeeds, and
	// its version continues from the expired one.
	got = mustPut(t, s, store.Item{PK: pk, SK: "gone", Data: []byte("new")}, store.MustBeNew)
	if got.Version != 3 {
		t.Fatalf("Put over expired item: version %d; want 3", got.Version)
	}
	wantItem(t, s, pk, "gone", 3, "new")

	// Expiry is "at or before now": an item expiring this very second is
	// gone already, for reads, queries and conditions alike.
	mustPut(t, s, store.Item{PK: pk, SK: "now", ExpiresAt: time.Now().Truncate(time.Second)}, store.NoCond)
	wantMissing(t, s, pk, "now")
	if p := mustQuery(t, s, store.Query{PK: pk, Prefix: "now"}); len(p.Items) != 0 {
		t.Fatalf("Query returned %q, which expires this second", sks(p.Items))
	}
	mustTransact(t, s, store.Check(pk, "now", store.MustBeNew))

	// Writing an already expired item is allowed and leaves nothing visible.
	mustPut(t, s, store.Item{PK: pk, SK: "born-dead", ExpiresAt: past()}, store.MustBeNew)
	wantMissing(t, s, pk, "born-dead")
}

// testExpiryPrecision pins the granularity: expiries are whole seconds,
// rounded up, because DynamoDB's TTL attribute is epoch seconds and an
// expiry must never come early (a lease that ends before its holder
// expects lets two runners in at once). Every adapter rounds alike so code
// tested on one behaves the same on the other.
func testExpiryPrecision(t *testing.T, s store.Store) {
	pk := partition(t)
	whole := future()
	for _, tc := range []struct {
		sk   string
		in   time.Time
		want time.Time
	}{
		{"whole", whole, whole},
		{"ns", whole.Add(time.Nanosecond), whole.Add(time.Second)},
		{"ms", whole.Add(300 * time.Millisecond), whole.Add(time.Second)},
		{"utc", whole.UTC(), whole},
	} {
		got := mustPut(t, s, store.Item{PK: pk, SK: tc.sk, ExpiresAt: tc.in}, store.NoCond)
		if !got.ExpiresAt.Equal(tc.want) {
			t.Errorf("Put(ExpiresAt %v) returned %v; want %v", tc.in, got.ExpiresAt, tc.want)
		}
		if g := mustGet(t, s, pk, tc.sk); !g.ExpiresAt.Equal(tc.want) {
			t.Errorf("Get after Put(ExpiresAt %v) = %v; want %v", tc.in, g.ExpiresAt, tc.want)
		}
	}
}

func testData(t *testing.T, s store.Store) {
	pk := partition(t)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, tc := range []struct {
		sk   string
		data []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"json", []byte(`{"id":"o-1","total":"12.50","tags":["a","b"]}`)},
		{"binary", all},
	} {
		in := bytes.Clone(tc.data)
		got := mustPut(t, s, store.Item{PK: pk, SK: tc.sk, Data: in}, store.NoCond)
		if !bytes.Equal(got.Data, tc.data) {
			t.Errorf("%s: Put returned data %q; want %q", tc.sk, got.Data, tc.data)
		}
		// The store keeps its own copy: the caller may reuse its buffer.
		for i := range in {
			in[i] ^= 0xff
		}
		g := mustGet(t, s, pk, tc.sk)
		if !bytes.Equal(g.Data, tc.data) {
			t.Errorf("%s: Get data %q; want %q", tc.sk, g.Data, tc.data)
		}
		// And hands out copies: scribbling on one does not reach the store.
		for i := range g.Data {
			g.Data[i] ^= 0xff
		}
		if g := mustGet(t, s, pk, tc.sk); !bytes.Equal(g.Data, tc.data) {
			t.Errorf("%s: data changed through a returned slice: %q", tc.sk, g.Data)
		}
	}
}

func testDataTooLarge(t *testing.T, s store.Store) {
	pk := partition(t)
	full := bytes.Repeat([]byte("x"), store.MaxItemBytes)
	mustPut(t, s, store.Item{PK: pk, SK: "full", Data: full}, store.NoCond)
	if g := mustGet(t, s, pk, "full"); !bytes.Equal(g.Data, full) {
		t.Fatalf("Get of a MaxItemBytes item returned %d bytes", len(g.Data))
	}
	big := append(full, 'y')
	if _, err := s.Put(t.Context(), store.Item{PK: pk, SK: "big", Data: big}, store.NoCond); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Put of %d bytes: %v; want ErrInvalid", len(big), err)
	}
	err := s.Transact(t.Context(), []store.Op{
		store.Put(store.Item{PK: pk, SK: "small"}, store.NoCond),
		store.Put(store.Item{PK: pk, SK: "big", Data: big}, store.NoCond),
	})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Transact with a %d-byte put: %v; want ErrInvalid", len(big), err)
	}
	wantMissing(t, s, pk, "big")
	wantMissing(t, s, pk, "small")

	// DynamoDB caps a transaction at 4 MB of items in all, so every
	// adapter refuses what would fail there: 11 full items pass, 12 do not.
	var ops []store.Op
	for i := range 12 {
		ops = append(ops, store.Put(store.Item{PK: pk, SK: fmt.Sprintf("tx%02d", i), Data: full}, store.NoCond))
	}
	if err := s.Transact(t.Context(), ops); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Transact of 12 items of %d bytes: %v; want ErrInvalid", len(full), err)
	}
	wantMissing(t, s, pk, "tx00")
	mustTransact(t, s, ops[:11]...)
	wantItem(t, s, pk, "tx10", 1, string(full))
}

func testInvalidKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, k := range []struct{ pk, sk string }{
		{"", "k"},
		{"p", ""},
		{string(bytes.Repeat([]byte("p"), 2049)), "k"},
		{"p", string(bytes.Repeat([]byte("s"), 1025))},
		// DynamoDB strings are UTF-8.
		{"p\xff", "k"},
		{"p", "k\xc3"},
	} {
		name := fmt.Sprintf("%.10q/%.10q(len %d/%d)", k.pk, k.sk, len(k.pk), len(k.sk))
		if _, err := s.Get(ctx, k.pk, k.sk); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Get %s: %v; want ErrInvalid", name, err)
		}
		if _, err := s.Put(ctx, store.Item{PK: k.pk, SK: k.sk}, store.NoCond); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Put %s: %v; want ErrInvalid", name, err)
		}
		if err := s.Delete(ctx, k.pk, k.sk, store.NoCond); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Delete %s: %v; want ErrInvalid", name, err)
		}
		if err := s.Transact(ctx, []store.Op{store.Put(store.Item{PK: k.pk, SK: k.sk}, store.NoCond)}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Transact %s: %v; want ErrInvalid", name, err)
		}
	}
}

func testMaxKeys(t *testing.T, s store.Store) {
	pk := partition(t)
	pk += string(bytes.Repeat([]byte("p"), 2048-len(pk)))
	sk := string(bytes.Repeat([]byte("s"), 1024))
	mustPut(t, s, store.Item{PK: pk, SK: sk, Data: []byte("d")}, store.MustBeNew)
	wantItem(t, s, pk, sk, 1, "d")
	p := mustQuery(t, s, store.Query{PK: pk, Prefix: sk[:10]})
	if len(p.Items) != 1 || p.Items[0].SK != sk {
		t.Fatalf("Query returned %d items; want the one", len(p.Items))
	}
}

// sks returns the sort keys of items.
func sks(items []store.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.SK
	}
	return out
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func equal(a, b []string) bool { return fmt.Sprintf("%q", a) == fmt.Sprintf("%q", b) }

func testQueryOrder(t *testing.T, s store.Store) {
	pk := partition(t)
	// Sort keys order by their UTF-8 bytes (DynamoDB's order for strings),
	// which is also code point order.
	want := []string{"u#", "u#0", "u#A", "u#a", "u#a#1", "u#z", "u#\u00e9", "u#\u65e5\u672c", "u#\U0001F600"}
	// Written out of order, with one item rewritten so that write order
	// cannot be mistaken for key order.
	for _, i := range []int{4, 0, 8, 2, 6, 1, 7, 3, 5, 4} {
		mustPut(t, s, store.Item{PK: pk, SK: want[i], Data: []byte(want[i]), ExpiresAt: future()}, store.NoCond)
	}
	mustPut(t, s, store.Item{PK: pk, SK: "t", Data: []byte("before")}, store.NoCond)
	mustPut(t, s, store.Item{PK: pk, SK: "v", Data: []byte("after")}, store.NoCond)

	asc := mustQuery(t, s, store.Query{PK: pk, Prefix: "u#"})
	if got := sks(asc.Items); !equal(got, want) || asc.Next != "" {
		t.Fatalf("ascending: %q next %q; want %q next \"\"", got, asc.Next, want)
	}
	desc := mustQuery(t, s, store.Query{PK: pk, Prefix: "u#", Desc: true})
	if got := sks(desc.Items); !equal(got, reversed(want)) || desc.Next != "" {
		t.Fatalf("descending: %q next %q; want %q", got, desc.Next, reversed(want))
	}
	// Items come back whole, as Get sees them.
	for _, it := range asc.Items {
		g := mustGet(t, s, pk, it.SK)
		if it.PK != pk || it.Version != g.Version || !it.ExpiresAt.Equal(g.ExpiresAt) || !bytes.Equal(it.Data, g.Data) {
			t.Fatalf("Query item %+v differs from Get %+v", it, g)
		}
	}
	if it := asc.Items[len(asc.Items)-1]; it.Version != 1 {
		t.Fatalf("Query item %q version %d; want 1", it.SK, it.Version)
	}
	if it := asc.Items[4]; it.Version != 2 {
		t.Fatalf("Query item %q version %d; want 2", it.SK, it.Version)
	}

	all := mustQuery(t, s, store.Query{PK: pk})
	wantAll := append(append([]string{"t"}, want...), "v")
	if got := sks(all.Items); !equal(got, wantAll) {
		t.Fatalf("empty prefix: %q; want the whole partition %q", got, wantAll)
	}
	if p := mustQuery(t, s, store.Query{PK: pk, Prefix: "w"}); len(p.Items) != 0 || p.Next != "" {
		t.Fatalf("prefix matching nothing: %q next %q", sks(p.Items), p.Next)
	}
	if p := mustQuery(t, s, store.Query{PK: partition(t)}); len(p.Items) != 0 || p.Next != "" {
		t.Fatalf("empty partition: %q next %q", sks(p.Items), p.Next)
	}
}

// pages reads a whole query page by page and checks the shape of each
// page: every page but the last is full, Next is the last sort key of its
// page, and Next is empty exactly when nothing follows, so a caller never
// pays for a trailing empty page.
func pages(t *testing.T, s store.Store, q store.Query) []string {
	t.Helper()
	var got []string
	for n := 1; ; n++ {
		if n > 10000 {
			t.Fatal("paging does not end")
		}
		p := mustQuery(t, s, q)
		if len(p.Items) > q.Limit {
			t.Fatalf("page of %d items for Limit %d", len(p.Items), q.Limit)
		}
		if len(p.Items) == 0 && n > 1 {
			t.Fatalf("page %d is empty; the previous page's Next should have been empty", n)
		}
		got = append(got, sks(p.Items)...)
		if p.Next == "" {
			return got
		}
		// A page with a successor is full, and Next is its last key.
		if len(p.Items) != q.Limit {
			t.Fatalf("page of %d items with Next %q; want %d", len(p.Items), p.Next, q.Limit)
		}
		if last := p.Items[len(p.Items)-1].SK; p.Next != last {
			t.Fatalf("Next = %q; want last sort key %q", p.Next, last)
		}
		if q.After != "" && (!q.Desc && p.Next <= q.After || q.Desc && p.Next >= q.After) {
			t.Fatalf("Next %q does not move past After %q (desc=%v)", p.Next, q.After, q.Desc)
		}
		q.After = p.Next
	}
}

func testQueryPaging(t *testing.T, s store.Store) {
	pk := partition(t)
	var want []string
	for i := range 150 {
		want = append(want, fmt.Sprintf("item#%04d", i))
	}
	// Neighbours just outside the prefix on both sides, and in nearby
	// partitions, must never leak into a page.
	seed(t, s, pk, append([]string{"item", "item!", "itel#9", "item$", "items#0001", "itemz"}, want...))
	seed(t, s, pk+"#", want[:5])
	seed(t, s, pk[:len(pk)-1], want[:5])

	for _, limit := range []int{1, 7, 100, 149, 150, 151} {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("limit%d/desc=%v", limit, desc), func(t *testing.T) {
				got := pages(t, s, store.Query{PK: pk, Prefix: "item#", Limit: limit, Desc: desc})
				w := want
				if desc {
					w = reversed(want)
				}
				if !equal(got, w) {
					t.Fatalf("paged %d items; want each of %d exactly once, in order:\n got %q\nwant %q", len(got), len(w), got, w)
				}
			})
		}
	}
}

func testQueryAfter(t *testing.T, s store.Store) {
	pk := partition(t)
	seed(t, s, pk, []string{"l#1", "m#1", "m#2", "m#3", "m#4", "m#5", "n#1"})
	for _, tc := range []struct {
		after string
		desc  bool
		want  []string
	}{
		{"", false, []string{"m#1", "m#2", "m#3", "m#4", "m#5"}},
		{"m#3", false, []string{"m#4", "m#5"}},
		{"m#25", false, []string{"m#3", "m#4", "m#5"}}, // a key that does not exist
		{"m#", false, []string{"m#1", "m#2", "m#3", "m#4", "m#5"}},
		{"a", false, []string{"m#1", "m#2", "m#3", "m#4", "m#5"}}, // before the prefix
		{"m", false, []string{"m#1", "m#2", "m#3", "m#4", "m#5"}},
		{"m#5", false, nil},
		{"m#6", false, nil},
		{"z", false, nil}, // past the prefix
		{"", true, []string{"m#5", "m#4", "m#3", "m#2", "m#1"}},
		{"m#3", true, []string{"m#2", "m#1"}},
		{"m#25", true, []string{"m#2", "m#1"}},
		{"z", true, []string{"m#5", "m#4", "m#3", "m#2", "m#1"}},
		{"m$", true, []string{"m#5", "m#4", "m#3", "m#2", "m#1"}},
		{"m#1", true, nil},
		{"m#", true, nil},
		{"a", true, nil},
	} {
		p := mustQuery(t, s, store.Query{PK: pk, Prefix: "m#", After: tc.after, Desc: tc.desc})
		if got := sks(p.Items); !equal(got, tc.want) || p.Next != "" {
			t.Errorf("After %q desc=%v: %q next %q; want %q", tc.after, tc.desc, got, p.Next, tc.want)
		}
	}
}

func testQueryIsolation(t *testing.T, s store.Store) {
	base := partition(t)
	// Partition keys that are prefixes of one another, and pairs whose
	// concatenated keys collide ("a"+"bc" == "ab"+"c"), stay apart.
	items := []struct{ pk, sk string }{
		{base + "a", "bc"},
		{base + "ab", "c"},
		{base + "a#", "1"},
		{base + "a#1", "0"},
		{base + "a", "#10"},
	}
	for _, it := range items {
		mustPut(t, s, store.Item{PK: it.pk, SK: it.sk}, store.NoCond)
	}
	for _, tc := range []struct {
		pk, prefix string
		desc       bool
		want       []string
	}{
		{base + "a", "", false, []string{"#10", "bc"}},
		{base + "a", "", true, []string{"bc", "#10"}},
		{base + "a", "b", false, []string{"bc"}},
		{base + "a", "#1", true, []string{"#10"}},
		{base + "ab", "", false, []string{"c"}},
		{base + "ab", "", true, []string{"c"}},
		{base + "a#", "", true, []string{"1"}},
		{base + "a#1", "", false, []string{"0"}},
		{base, "", false, nil},
		{base, "", true, nil},
		{base + "b", "", true, nil},
	} {
		p := mustQuery(t, s, store.Query{PK: tc.pk, Prefix: tc.prefix, Desc: tc.desc})
		if got := sks(p.Items); !equal(got, tc.want) {
			t.Errorf("Query(%q, prefix %q, desc=%v) = %q; want %q", tc.pk[len(base):], tc.prefix, tc.desc, got, tc.want)
		}
		for _, it := range p.Items {
			if it.PK != tc.pk {
				t.Errorf("Query(%q) returned an item of partition %q", tc.pk, it.PK)
			}
		}
	}
	wantMissing(t, s, base+"a", "c")
	wantMissing(t, s, base+"ab", "bc")
}

func testQueryExpired(t *testing.T, s store.Store) {
	pk := partition(t)
	// Runs of expired items between live ones, longer than a page, so that
	// an adapter whose backend counts expired items against the page size
	// must keep reading to fill the page.
	var ops []store.Op
	var want []string
	for i := range 60 {
		sk := fmt.Sprintf("e#%03d", i)
		it := store.Item{PK: pk, SK: sk}
		if i%4 == 0 {
			want = append(want, sk)
		} else {
			it.ExpiresAt = past()
		}
		ops = append(ops, store.Put(it, store.NoCond))
	}
	// A tail of expired items: the last page must still end with Next "".
	for i := range 20 {
		ops = append(ops, store.Put(store.Item{PK: pk, SK: fmt.Sprintf("e#9%02d", i), ExpiresAt: past()}, store.NoCond))
	}
	mustTransact(t, s, ops[:50]...)
	mustTransact(t, s, ops[50:]...)

	for _, limit := range []int{1, 2, 3, 15, 16, 100} {
		if got := pages(t, s, store.Query{PK: pk, Prefix: "e#", Limit: limit}); !equal(got, want) {
			t.Errorf("limit %d ascending: %q; want %q", limit, got, want)
		}
		if got := pages(t, s, store.Query{PK: pk, Prefix: "e#", Limit: limit, Desc: true}); !equal(got, reversed(want)) {
			t.Errorf("limit %d descending: %q; want %q", limit, got, reversed(want))
		}
	}
}

func testQueryLimits(t *testing.T, s store.Store) {
	pk := partition(t)
	var want []string
	for i := range 1005 {
		want = append(want, fmt.Sprintf("%05d", i))
	}
	seed(t, s, pk, want)

	p := mustQuery(t, s, store.Query{PK: pk})
	if len(p.Items) != 100 || p.Next != want[99] {
		t.Fatalf("default limit: %d items, next %q; want 100, next %q", len(p.Items), p.Next, want[99])
	}
	for _, limit := range []int{1000, 1001, 5000} {
		p = mustQuery(t, s, store.Query{PK: pk, Limit: limit})
		if got := sks(p.Items); !equal(got, want[:1000]) || p.Next != want[999] {
			t.Fatalf("limit %d: %d items, next %q; want the first 1000, next %q", limit, len(p.Items), p.Next, want[999])
		}
	}
	p = mustQuery(t, s, store.Query{PK: pk, Limit: 5000, After: p.Next})
	if got := sks(p.Items); !equal(got, want[1000:]) || p.Next != "" {
		t.Fatalf("after the cap: %q next %q; want %q", got, p.Next, want[1000:])
	}
	p = mustQuery(t, s, store.Query{PK: pk, Limit: 5000, Desc: true})
	if len(p.Items) != 1000 || p.Items[0].SK != want[1004] || p.Next != want[5] {
		t.Fatalf("descending cap: %d items from %q, next %q", len(p.Items), p.Items[0].SK, p.Next)
	}
}

func testQueryInvalid(t *testing.T, s store.Store) {
	if _, err := s.Query(t.Context(), store.Query{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Query without PK: %v; want ErrInvalid", err)
	}
	if _, err := s.Query(t.Context(), store.Query{PK: string(bytes.Repeat([]byte("p"), 2049))}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Query with oversized PK: %v; want ErrInvalid", err)
	}
	if _, err := s.Query(t.Context(), store.Query{PK: partition(t), Limit: -1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Query with negative Limit: %v; want ErrInvalid", err)
	}
	if _, err := s.Query(t.Context(), store.Query{PK: partition(t), Prefix: "\xff"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Query with a prefix that is not UTF-8: %v; want ErrInvalid", err)
	}
}

func testTransact(t *testing.T, s store.Store) {
	pk := partition(t)
	mustPut(t, s, store.Item{PK: pk, SK: "a", Data: []byte("a1")}, store.NoCond)
	mustPut(t, s, store.Item{PK: pk, SK: "b", Data: []byte("b1")}, store.NoCond)
	mustPut(t, s, store.Item{PK: pk, SK: "c", Data: []byte("c1")}, store.NoCond)
	mustPut(t, s, store.Item{PK: pk, SK: "c", Data: []byte("c2")}, store.NoCond)
	exp := future()

	mustTransact(t, s,
		store.Put(store.Item{PK: pk, SK: "a", Data: []byte("a2")}, store.AtVersion(1)),
		store.Delete(pk, "b", store.MustExist),
		store.Check(pk, "c", store.AtVersion(2)),
		store.Put(store.Item{PK: pk, SK: "d", Data: []byte("d1"), ExpiresAt: exp}, store.MustBeNew),
		store.Put(store.Item{PK: pk, SK: "e", Data: []byte("e1")}, store.NoCond),
		store.Delete(pk, "missing", store.NoCond),
		// Another partition in the same transaction.
		store.Put(store.Item{PK: pk + "/other", SK: "a", Data: []byte("o1")}, store.MustBeNew),
	)
	wantItem(t, s, pk, "a", 2, "a2")
	wantMissing(t, s, pk, "b")
	wantItem(t, s, pk, "c", 2, "c2") // checked, not written
	wantItem(t, s, pk, "d", 1, "d1")
	wantItem(t, s, pk, "e", 1, "e1")
	wantItem(t, s, pk+"/other", "a", 1, "o1")
	if g := mustGet(t, s, pk, "d"); !g.ExpiresAt.Equal(exp) {
		t.Fatalf("transactional put: ExpiresAt %v; want %v", g.ExpiresAt, exp)
	}

	// Transactional puts advance versions like single ones.
	mustTransact(t, s, store.Put(store.Item{PK: pk, SK: "a", Data: []byte("a3")}, store.NoCond))
	wantItem(t, s, pk, "a", 3, "a3")

	// A transaction of passing checks alone succeeds and writes nothing.
	mustTransact(t, s, store.Check(pk, "a", store.MustExist), store.Check(pk, "b", store.MustBeNew))
	wantItem(t, s, pk, "a", 3, "a3")
	wantMissing(t, s, pk, "b")
}

func testTransactFailure(t *testing.T, s store.Store) {
	pk := partition(t)
	mustPut(t, s, store.Item{PK: pk, SK: "a", Data: []byte("a1")}, store.NoCond)
	mustPut(t, s, store.Item{PK: pk, SK: "b", Data: []byte("b1")}, store.NoCond)
	mustPut(t, s, store.Item{PK: pk, SK: "c", Data: []byte("c1")}, store.NoCond)

	for _, tc := range []struct {
		name   string
		ops    []store.Op
		failed []int
	}{
		{"check", []store.Op{
			store.Put(store.Item{PK: pk, SK: "a", Data: []byte("x")}, store.AtVersion(1)),
			store.Delete(pk, "b", store.NoCond),
			store.Check(pk, "c", store.AtVersion(7)),
			store.Put(store.Item{PK: pk, SK: "d", Data: []byte("x")}, store.MustBeNew),
		}, []int{2}},
		{"put", []store.Op{
			store.Delete(pk, "b", store.MustExist),
			store.Put(store.Item{PK: pk, SK: "a", Data: []byte("x")}, store.MustBeNew),
		}, []int{1}},
		{"delete", []store.Op{
			store.Put(store.Item{PK: pk, SK: "d", Data: []byte("x")}, store.NoCond),
			store.Delete(pk, "missing", store.MustExist),
		}, []int{1}},
		// Every failing operation is reported, not just the first.
		{"several", []store.Op{
			store.Put(store.Item{PK: pk, SK: "d", Data: []byte("x")}, store.MustExist),
			store.Delete(pk, "a", store.AtVersion(1)),
			store.Check(pk, "b", store.MustBeNew),
			store.Put(store.Item{PK: pk, SK: "c", Data: []byte("x")}, store.AtVersion(2)),
		}, []int{0, 2, 3}},
	} {
		err := s.Transact(t.Context(), tc.ops)
		var txErr *store.TxError
		if !errors.As(err, &txErr) || !errors.Is(err, store.ErrConditionFailed) {
			t.Fatalf("%s: err = %v; want a *TxError matching ErrConditionFailed", tc.name, err)
		}
		if fmt.Sprint(txErr.Failed) != fmt.Sprint(tc.failed) {
			t.Errorf("%s: Failed = %v; want %v", tc.name, txErr.Failed, tc.failed)
		}
		// Nothing of a failed transaction took effect.
		wantItem(t, s, pk, "a", 1, "a1")
		wantItem(t, s, pk, "b", 1, "b1")
		wantItem(t, s, pk, "c", 1, "c1")
		wantMissing(t, s, pk, "d")
	}
}

func testTransactExpired(t *testing.T, s store.Store) {
	pk := partition(t)
	mustPut(t, s, store.Item{PK: pk, SK: "x", ExpiresAt: past()}, store.NoCond)
	for _, op := range []store.Op{
		store.Check(pk, "x", store.MustExist),
		store.Check(pk, "x", store.AtVersion(1)),
		store.Delete(pk, "x", store.MustExist),
		store.Put(store.Item{PK: pk, SK: "x"}, store.AtVersion(1)),
	} {
		if err := s.Transact(t.Context(), []store.Op{op}); !errors.Is(err, store.ErrConditionFailed) {
			t.Errorf("%+v on an expired item: %v; want ErrConditionFailed", op, err)
		}
	}
	mustTransact(t, s, store.Check(pk, "x", store.MustBeNew))
	mustTransact(t, s, store.Put(store.Item{PK: pk, SK: "x", Data: []byte("new")}, store.MustBeNew))
	wantItem(t, s, pk, "x", 2, "new")
}

func testTransactInvalid(t *testing.T, s store.Store) {
	pk := partition(t)
	mustPut(t, s, store.Item{PK: pk, SK: "a"}, store.NoCond)
	put := func(sk string) store.Op { return store.Put(store.Item{PK: pk, SK: sk}, store.NoCond) }
	tooMany := make([]store.Op, store.MaxTransactItems+1)
	for i := range tooMany {
		tooMany[i] = put(fmt.Sprintf("n%03d", i))
	}
	for _, tc := range []struct {
		name string
		ops  []store.Op
	}{
		{"none", nil},
		{"tooMany", tooMany},
		{"sameKeyTwice", []store.Op{put("n"), put("m"), put("n")}},
		{"putAndCheckSameKey", []store.Op{put("a"), store.Check(pk, "a", store.MustExist)}},
		{"deleteAndPutSameKey", []store.Op{store.Delete(pk, "a", store.NoCond), put("a")}},
		{"emptyKey", []store.Op{put("n"), store.Delete(pk, "", store.NoCond)}},
		{"checkWithoutCond", []store.Op{put("n"), store.Check(pk, "a", store.NoCond)}},
		{"unknownOp", []store.Op{put("n"), {Kind: 99, Item: store.Item{PK: pk, SK: "a"}}}},
	} {
		if err := s.Transact(t.Context(), tc.ops); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v; want ErrInvalid", tc.name, err)
		}
	}
	// None of the refused transactions wrote anything.
	p := mustQuery(t, s, store.Query{PK: pk})
	if got := sks(p.Items); !equal(got, []string{"a"}) {
		t.Fatalf("after refused transactions the partition holds %q", got)
	}
	wantItem(t, s, pk, "a", 1, "")
}

func testTransactMax(t *testing.T, s store.Store) {
	pk := partition(t)
	ops := make([]store.Op, store.MaxTransactItems)
	for i := range ops {
		ops[i] = store.Put(store.Item{PK: pk, SK: fmt.Sprintf("%03d", i)}, store.MustBeNew)
	}
	mustTransact(t, s, ops...)
	if p := mustQuery(t, s, store.Query{PK: pk, Limit: 1000}); len(p.Items) != store.MaxTransactItems {
		t.Fatalf("%d items after a transaction of %d puts", len(p.Items), store.MaxTransactItems)
	}
}

// testConcurrentIncrements proves conditions are checked atomically with the
// write: with a check-then-write race, two writers would both succeed from
// the same version and an increment would be lost.
func testConcurrentIncrements(t *testing.T, s store.Store) {
	pk := partition(t)
	const workers, each = 8, 15
	errs := make(chan error, workers)
	for range workers {
		go func() { errs <- increment(t.Context(), s, pk, each) }()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	want := fmt.Sprint(workers * each)
	wantItem(t, s, pk, "counter", workers*each, want)
}

// increment adds one to the counter at pk n times by read-modify-write,
// retrying on conflict as domain code does.
func increment(ctx context.Context, s store.Store, pk string, n int) error {
	for range n {
		for attempt := 0; ; attempt++ {
			if attempt > 1000 {
				return errors.New("increment: no progress after 1000 attempts")
			}
			cur, err := s.Get(ctx, pk, "counter")
			var count int
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			default:
				if _, err := fmt.Sscan(string(cur.Data), &count); err != nil {
					return fmt.Errorf("counter %q: %w", cur.Data, err)
				}
			}
			next := store.Item{PK: pk, SK: "counter", Data: []byte(fmt.Sprint(count + 1))}
			_, err = s.Put(ctx, next, store.AtVersion(cur.Version))
			if errors.Is(err, store.ErrConditionFailed) {
				continue
			}
			if err != nil {
				return err
			}
			break
		}
	}
	return nil
}

func testConcurrentCreate(t *testing.T, s store.Store) {
	pk := partition(t)
	const workers = 8
	var won atomic.Int64
	errs := make(chan error, workers)
	for i := range workers {
		go func() {
			_, err := s.Put(t.Context(), store.Item{PK: pk, SK: "lease", Data: []byte(fmt.Sprint(i))}, store.MustBeNew)
			if err == nil {
				won.Add(1)
			} else if errors.Is(err, store.ErrConditionFailed) {
				err = nil
			}
			errs <- err
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if won.Load() != 1 {
		t.Fatalf("%d writers created the item; want exactly 1", won.Load())
	}
	if g := mustGet(t, s, pk, "lease"); g.Version != 1 {
		t.Fatalf("version %d; want 1", g.Version)
	}
}

func testContextCanceled(t *testing.T, s store.Store) {
	pk := partition(t)
	mustPut(t, s, store.Item{PK: pk, SK: "a"}, store.NoCond)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: %v; want context.Canceled", op, err)
		}
	}
	_, err := s.Get(ctx, pk, "a")
	check("Get", err)
	_, err = s.Put(ctx, store.Item{PK: pk, SK: "b"}, store.NoCond)
	check("Put", err)
	check("Delete", s.Delete(ctx, pk, "a", store.NoCond))
	_, err = s.Query(ctx, store.Query{PK: pk})
	check("Query", err)
	check("Transact", s.Transact(ctx, []store.Op{store.Put(store.Item{PK: pk, SK: "b"}, store.NoCond)}))
	wantMissing(t, s, pk, "b")
	wantItem(t, s, pk, "a", 1, "")
}

// testQueryEventual: an eventually consistent query pages like a consistent
// one. It may miss the newest writes (so the test asserts no more than a
// subset), but never returns an item twice, out of order, or not written.
func testQueryEventual(t *testing.T, s store.Store) {
	pk := partition(t)
	written := map[string]string{}
	for i := range 7 {
		sk := fmt.Sprintf("e#%d", i)
		written[sk] = fmt.Sprint("v", i)
		mustPut(t, s, store.Item{PK: pk, SK: sk, Data: []byte(written[sk])}, store.NoCond)
	}
	mustPut(t, s, store.Item{PK: pk, SK: "f#0", Data: []byte("other")}, store.NoCond)
	var got []string
	q := store.Query{PK: pk, Prefix: "e#", Limit: 3, Eventual: true}
	for pages := 0; ; pages++ {
		if pages > 7 {
			t.Fatalf("eventual query did not end: %q", got)
		}
		p := mustQuery(t, s, q)
		for _, it := range p.Items {
			if want, ok := written[it.SK]; !ok || string(it.Data) != want {
				t.Fatalf("eventual query returned %q %q, never written", it.SK, it.Data)
			}
			if len(got) > 0 && it.SK <= got[len(got)-1] {
				t.Fatalf("eventual query returned %q after %q", it.SK, got)
			}
			got = append(got, it.SK)
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
}
