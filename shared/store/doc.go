package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// AccountPK is the partition every record of one account lives in, so an
// account's data is one query away and never mixes with another's.
func AccountPK(account string) string { return "A#" + account }

// Doc is a typed record read from the store with the version it was read at.
type Doc[T any] struct {
	Value   T
	Version int64
}

// GetDoc reads and decodes the JSON document at the key.
func GetDoc[T any](ctx context.Context, s Store, pk, sk string) (Doc[T], error) {
	it, err := s.Get(ctx, pk, sk)
	if err != nil {
		return Doc[T]{}, err
	}
	var v T
	if err := json.Unmarshal(it.Data, &v); err != nil {
		return Doc[T]{}, fmt.Errorf("decode %s/%s: %w", pk, sk, err)
	}
	return Doc[T]{Value: v, Version: it.Version}, nil
}

// NewDoc encodes v as the item at the key.
func NewDoc(pk, sk string, v any, expires time.Time) (Item, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Item{}, fmt.Errorf("encode %s/%s: %w", pk, sk, err)
	}
	return Item{PK: pk, SK: sk, Data: b, ExpiresAt: expires}, nil
}

// PutDoc encodes and writes v under c.
func PutDoc(ctx context.Context, s Store, pk, sk string, v any, c Cond) (int64, error) {
	it, err := NewDoc(pk, sk, v, time.Time{})
	if err != nil {
		return 0, err
	}
	out, err := s.Put(ctx, it, c)
	return out.Version, err
}

// Decode decodes a queried item's document.
func Decode[T any](it Item) (T, error) {
	var v T
	err := json.Unmarshal(it.Data, &v)
	if err != nil {
		err = fmt.Errorf("decode %s/%s: %w", it.PK, it.SK, err)
	}
	return v, err
}

// All pages through a query, calling fn for each item until it returns
// false or max items were visited (0: no cap). It returns the sort key to
// resume after when it stopped early.
func All(ctx context.Context, s Store, q Query, max int, fn func(Item) (bool, error)) (string, error) {
	seen := 0
	for {
		p, err := s.Query(ctx, q)
		if err != nil {
			return "", err
		}
		for _, it := range p.Items {
			seen++
			more, err := fn(it)
			if err != nil {
				return "", err
			}
			if !more || (max > 0 && seen >= max) {
				return it.SK, nil
			}
		}
		if p.Next == "" {
			return "", nil
		}
		q.After = p.Next
	}
}

// Collect pages through a query, decoding each item with match, which also
// says whether the item belongs in the result. It returns up to limit
// matches and the cursor to resume after the last one: empty when no further
// item matches, or, when budget items (0: no cap) were scanned first, the
// cursor of the last item scanned, so a sparse filter cannot make one request
// read a whole partition.
func Collect[T any](ctx context.Context, s Store, q Query, limit, budget int, match func(Item) (T, bool, error)) ([]T, string, error) {
	var out []T
	scanned := 0
	lastKept := ""
	for {
		p, err := s.Query(ctx, q)
		if err != nil {
			return nil, "", err
		}
		for _, it := range p.Items {
			scanned++
			v, ok, err := match(it)
			if err != nil {
				return nil, "", err
			}
			if ok {
				if len(out) == limit {
					return out, lastKept, nil // a further match exists
				}
				out = append(out, v)
				lastKept = it.SK
			}
			if budget > 0 && scanned >= budget {
				return out, it.SK, nil
			}
		}
		if p.Next == "" {
			return out, "", nil
		}
		q.After = p.Next
	}
}
