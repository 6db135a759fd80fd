// Package boltstore implements store.Store on a bbolt file, the embedded
// default of make dev and of single-machine installs.
//
// All items live in one bucket under composite keys
//
//	uvarint(len(pk)) | pk | sk
//
// The length prefix keeps partitions apart even when one partition key is
// a prefix of another ("a"+"bc" and "ab"+"c" would otherwise collide), and
// within a partition keys sort by sort key bytes, DynamoDB's order, so a
// prefix query is one cursor Seek and a forward or backward scan.
//
// Every write is a single bbolt read-write transaction that reads the
// current item, checks the condition and writes, so conditions are atomic
// with their writes and a crash leaves either all of a write or none.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/autosync/autosync/shared/store"
)

// itemsBucket holds every item. Its name carries the key and value format
// so a future incompatible layout can live beside it during a migration.
var itemsBucket = []byte("items.v1")

const (
	// ctxEvery is how many keys a query scans between context checks.
	ctxEvery = 256
)

// Store is a store.Store backed by one bbolt file. It is safe for
// concurrent use; bbolt serialises writers and lets readers run alongside.
type Store struct {
	db *bolt.DB
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the database file at path. bbolt locks the file,
// so a second process opening the same path fails after a second instead
// of waiting forever.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("bolt open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(itemsBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt open %s: create bucket: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file. It waits for running transactions to finish.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("bolt close: %w", err)
	}
	return nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, pk, sk string) (store.Item, error) {
	if err := store.ValidateKeyUTF8(pk, sk); err != nil {
		return store.Item{}, fmt.Errorf("bolt get: %w", err)
	}
	var it store.Item
	err := s.tx(ctx, false, func(b *bolt.Bucket) error {
		raw := b.Get(key(pk, sk))
		if raw == nil {
			return store.ErrNotFound
		}
		v, err := decodeValue(raw)
		if err != nil {
			return err
		}
		if v.expired(time.Now()) {
			return store.ErrNotFound
		}
		it = v.item(pk, sk)
		return nil
	})
	if err != nil {
		return store.Item{}, fmt.Errorf("bolt get %s/%s: %w", pk, sk, err)
	}
	return it, nil
}

// tx runs fn on the items bucket in one transaction, read-write or
// read-only, unless ctx is done.
func (s *Store) tx(ctx context.Context, writable bool, fn func(b *bolt.Bucket) error) error {
	run := s.db.View
	if writable {
		run = s.db.Update
	}
	return run(func(tx *bolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(tx.Bucket(itemsBucket))
	})
}

// loadHeld loads the item at k for a write under c, which must hold.
func loadHeld(b *bolt.Bucket, k []byte, c store.Cond) (value, bool, error) {
	cur, stored, err := load(b, k)
	if err != nil {
		return value{}, false, err
	}
	if !holds(c, cur, stored, time.Now()) {
		return value{}, false, store.ErrConditionFailed
	}
	return cur, stored, nil
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, it store.Item, c store.Cond) (store.Item, error) {
	if err := store.ValidatePut(it, c); err != nil {
		return store.Item{}, fmt.Errorf("bolt put: %w", err)
	}
	var out store.Item
	err := s.tx(ctx, true, func(b *bolt.Bucket) error {
		k := key(it.PK, it.SK)
		cur, stored, err := loadHeld(b, k, c)
		if err != nil {
			return err
		}
		out, err = put(b, k, it, cur, stored)
		return err
	})
	if err != nil {
		return store.Item{}, fmt.Errorf("bolt put %s/%s: %w", it.PK, it.SK, err)
	}
	return out, nil
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, pk, sk string, c store.Cond) error {
	if err := store.ValidateDelete(pk, sk, c); err != nil {
		return fmt.Errorf("bolt delete: %w", err)
	}
	err := s.tx(ctx, true, func(b *bolt.Bucket) error {
		k := key(pk, sk)
		_, stored, err := loadHeld(b, k, c)
		if err != nil {
			return err
		}
		if !stored {
			return nil
		}
		return b.Delete(k)
	})
	if err != nil {
		return fmt.Errorf("bolt delete %s/%s: %w", pk, sk, err)
	}
	return nil
}

// Transact implements store.Store. All conditions are checked before
// anything is written, inside the one bbolt transaction that then applies
// the writes, so a failed condition leaves nothing behind and every
// failing operation is reported.
func (s *Store) Transact(ctx context.Context, ops []store.Op) error {
	if err := store.ValidateOps(ops); err != nil {
		return fmt.Errorf("bolt transact: %w", err)
	}
	err := s.tx(ctx, true, func(b *bolt.Bucket) error {
		now := time.Now()
		keys := make([][]byte, len(ops))
		curs := make([]value, len(ops))
		stored := make([]bool, len(ops))
		var failed []int
		for i, op := range ops {
			keys[i] = key(op.Item.PK, op.Item.SK)
			var err error
			curs[i], stored[i], err = load(b, keys[i])
			if err != nil {
				return fmt.Errorf("op %d: %w", i, err)
			}
			if !holds(op.Cond, curs[i], stored[i], now) {
				failed = append(failed, i)
			}
		}
		if failed != nil {
			return &store.TxError{Failed: failed}
		}
		// Validate guarantees distinct keys, so no write below changes
		// what a later operation's condition saw.
		for i, op := range ops {
			var err error
			switch op.Kind {
			case store.OpPut:
				_, err = put(b, keys[i], op.Item, curs[i], stored[i])
			case store.OpDelete:
				if stored[i] {
					err = b.Delete(keys[i])
				}
			}
			if err != nil {
				return fmt.Errorf("op %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt transact: %w", err)
	}
	return nil
}

// Query implements store.Store. It reads one page in one read-only
// transaction, skipping expired items, and looks one live item past the
// page so that Next is empty exactly when nothing follows.
func (s *Store) Query(ctx context.Context, q store.Query) (store.Page, error) {
	limit, err := store.PageLimit(q)
	if err != nil {
		return store.Page{}, fmt.Errorf("bolt query: %w", err)
	}
	var page store.Page
	err = s.tx(ctx, false, func(b *bolt.Bucket) error {
		c := b.Cursor()
		part := key(q.PK, "")
		prefix := key(q.PK, q.Prefix)
		k, raw, step := position(c, part, prefix, q)
		now := time.Now()
		for n := 1; k != nil && bytes.HasPrefix(k, prefix); n++ {
			if n%ctxEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			v, err := decodeValue(raw)
			if err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			if !v.expired(now) {
				if len(page.Items) == limit {
					page.Next = page.Items[limit-1].SK
					break
				}
				page.Items = append(page.Items, v.item(q.PK, string(k[len(part):])))
			}
			k, raw = step()
		}
		return nil
	})
	if err != nil {
		return store.Page{}, fmt.Errorf("bolt query %s/%s*: %w", q.PK, q.Prefix, err)
	}
	return page, nil
}

// position places c on the first key the query may return and returns the
// function that steps to the next one in query order. A nil key means the
// query is empty.
func position(c *bolt.Cursor, part, prefix []byte, q store.Query) (k, v []byte, step func() ([]byte, []byte)) {
	// An After outside the prefix either lies before every key with the
	// prefix or after all of them, so it either changes nothing or leaves
	// nothing.
	afterInside := q.After != "" && strings.HasPrefix(q.After, q.Prefix)
	afterBelow := q.After != "" && !afterInside && q.After < q.Prefix
	afterAbove := q.After != "" && !afterInside && q.After > q.Prefix
	if !q.Desc {
		switch {
		case afterAbove:
			return nil, nil, c.Next
		case afterInside:
			after := key(q.PK, q.After)
			k, v = c.Seek(after)
			if bytes.Equal(k, after) {
				k, v = c.Next()
			}
			return k, v, c.Next
		default:
			k, v = c.Seek(prefix)
			return k, v, c.Next
		}
	}
	switch {
	case afterBelow:
		return nil, nil, c.Prev
	case afterInside:
		k, v = before(c, key(q.PK, q.After))
		return k, v, c.Prev
	default:
		if end := successor(prefix); end != nil {
			k, v = before(c, end)
		} else {
			k, v = c.Last()
		}
		return k, v, c.Prev
	}
}

// before places c on the last key strictly before x.
func before(c *bolt.Cursor, x []byte) ([]byte, []byte) {
	if k, _ := c.Seek(x); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// successor returns the smallest key greater than every key starting with
// p, or nil when there is none (p is all 0xff).
func successor(p []byte) []byte {
	s := bytes.Clone(p)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0xff {
			s[i]++
			return s[:i+1]
		}
	}
	return nil
}

// key builds the composite bbolt key; see the package comment.
func key(pk, sk string) []byte {
	k := make([]byte, 0, binary.MaxVarintLen64+len(pk)+len(sk))
	k = binary.AppendUvarint(k, uint64(len(pk)))
	k = append(k, pk...)
	return append(k, sk...)
}

// load returns the value stored at k, expired or not.
func load(b *bolt.Bucket, k []byte) (v value, stored bool, err error) {
	raw := b.Get(k)
	if raw == nil {
		return value{}, false, nil
	}
	v, err = decodeValue(raw)
	if err != nil {
		return value{}, false, fmt.Errorf("key %q: %w", k, err)
	}
	return v, true, nil
}

// holds evaluates c against what is stored; an expired item is absent.
func holds(c store.Cond, cur value, stored bool, now time.Time) bool {
	live := stored && !cur.expired(now)
	return c.Holds(store.Item{Version: cur.Version}, live)
}

// put writes it over cur. The version continues from whatever is stored,
// even an expired item, so that a writer still holding a version of an
// expired item cannot match the item that replaced it.
func put(b *bolt.Bucket, k []byte, it store.Item, cur value, stored bool) (store.Item, error) {
	v := value{Version: 1, Data: it.Data}
	if stored {
		v.Version = cur.Version + 1
	}
	if !it.ExpiresAt.IsZero() {
		v.Expires, v.HasExpiry = ceilSeconds(it.ExpiresAt), true
	}
	if err := b.Put(k, v.encode()); err != nil {
		return store.Item{}, err
	}
	it.Version = v.Version
	it.ExpiresAt = v.expiresAt()
	return it, nil
}

// item builds the port's Item, copying Data out of bbolt's memory map.
func (v value) item(pk, sk string) store.Item {
	it := store.Item{PK: pk, SK: sk, Version: v.Version, ExpiresAt: v.expiresAt()}
	if len(v.Data) > 0 {
		it.Data = bytes.Clone(v.Data)
	}
	return it
}
