package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// sweepBatch is how many keys one write transaction of Sweep looks at, so
// writers wait for a sweep a few milliseconds at a time.
const sweepBatch = 1000

// Sweep deletes the items that expired at or before now, as DynamoDB's TTL
// does in production (reads hide them either way; this gives their space
// back). A deleted item's version starts again at 1, as after DynamoDB's
// deletion. It returns how many items it deleted.
func (s *Store) Sweep(ctx context.Context, now time.Time) (int, error) {
	total := 0
	var from []byte
	for {
		n, next, err := s.sweepFrom(ctx, from, now)
		total += n
		if err != nil {
			return total, fmt.Errorf("bolt sweep: %w", err)
		}
		if next == nil {
			return total, nil
		}
		from = next
	}
}

// sweepFrom deletes the expired items among sweepBatch keys from from (the
// first key when nil) and returns the key to continue at, nil at the end.
func (s *Store) sweepFrom(ctx context.Context, from []byte, now time.Time) (deleted int, next []byte, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := tx.Bucket(itemsBucket)
		c := b.Cursor()
		k, raw := c.First()
		if from != nil {
			k, raw = c.Seek(from)
		}
		// Deleting under a moving cursor can skip keys; collect, then delete.
		var expired [][]byte
		for n := 0; k != nil; k, raw = c.Next() {
			if n == sweepBatch {
				next = bytes.Clone(k)
				break
			}
			n++
			v, err := decodeValue(raw)
			if err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			if v.expired(now) {
				expired = append(expired, bytes.Clone(k))
			}
		}
		for _, k := range expired {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		deleted = len(expired)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return deleted, next, nil
}
