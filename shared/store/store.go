// Package store is the narrow item-store port every piece of durable state in
// Autosync sits on. Two adapters implement it — DynamoDB (production) and
// bbolt (make dev, small users) — and one contract suite (storetest) runs
// against both, so domain code is written once.
//
// An item is addressed by a partition key and a sort key, carries an opaque
// JSON document, a version the store maintains, and an optional expiry.
// Every write may be conditioned on the item's existence or version; that is
// how leases fence stale runs and how upserts avoid lost updates.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Item is one stored record.
type Item struct {
	PK string
	SK string
	// Version is maintained by the store: 1 after the first write, +1 on
	// every write. Callers pass back the version they read to condition a
	// write on it.
	Version int64
	// ExpiresAt, when non-zero, is when the item stops existing. Adapters
	// hide expired items on read even where the backing store deletes them
	// lazily (DynamoDB TTL may lag by days; bbolt and the emulator never
	// delete them).
	ExpiresAt time.Time
	Data      []byte
}

// Expired reports whether the item has an expiry at or before now.
func (it Item) Expired(now time.Time) bool {
	return !it.ExpiresAt.IsZero() && !now.Before(it.ExpiresAt)
}

// CondKind says what must hold for a write to take effect.
type CondKind int

const (
	// Always writes unconditionally.
	Always CondKind = iota
	// IfAbsent requires that no live item exists at the key.
	IfAbsent
	// IfExists requires a live item at the key.
	IfExists
	// IfVersion requires a live item at the key whose version equals Cond.Version.
	IfVersion
)

// Cond conditions a write.
type Cond struct {
	Kind    CondKind
	Version int64
}

// Convenience constructors.
var (
	NoCond    = Cond{Kind: Always}
	MustBeNew = Cond{Kind: IfAbsent}
	MustExist = Cond{Kind: IfExists}
)

// AtVersion conditions a write on the item still being at version v;
// v == 0 means the item must not exist.
func AtVersion(v int64) Cond {
	if v == 0 {
		return MustBeNew
	}
	return Cond{Kind: IfVersion, Version: v}
}

// Holds reports whether an item (ok=false when none is live) satisfies c.
func (c Cond) Holds(it Item, ok bool) bool {
	switch c.Kind {
	case IfAbsent:
		return !ok
	case IfExists:
		return ok
	case IfVersion:
		return ok && it.Version == c.Version
	default:
		return true
	}
}

// OpKind is the kind of one operation in a transaction.
type OpKind int

const (
	OpPut OpKind = iota
	OpDelete
	// OpCheck only asserts Cond on another item; it writes nothing.
	OpCheck
)

// Op is one operation of a transactional write.
type Op struct {
	Kind OpKind
	Item Item // PK and SK always; Data, ExpiresAt for puts
	Cond Cond
}

// Put, Delete and Check build transaction operations.
func Put(it Item, c Cond) Op          { return Op{Kind: OpPut, Item: it, Cond: c} }
func Delete(pk, sk string, c Cond) Op { return Op{Kind: OpDelete, Item: Item{PK: pk, SK: sk}, Cond: c} }
func Check(pk, sk string, c Cond) Op  { return Op{Kind: OpCheck, Item: Item{PK: pk, SK: sk}, Cond: c} }

// MaxTransactItems is the most operations one Transact may carry (DynamoDB's limit).
const MaxTransactItems = 100

// Query selects items of one partition whose sort key starts with Prefix.
type Query struct {
	PK     string
	Prefix string
	// After continues a previous page: only sort keys strictly after it
	// (before it when Desc) are returned.
	After string
	Desc  bool
	// Limit caps the page; 0 means the adapter's default (100), and no
	// adapter returns more than 1000.
	Limit int
	// Eventual allows an eventually consistent read (half the price on
	// DynamoDB) that may miss writes of about the last second. Only for
	// reads a stale answer cannot harm: the next read corrects it and no
	// write is decided from it without a condition.
	Eventual bool
}

// Page is one page of a query. Next is the sort key to pass as After for
// the next page, empty when there is none.
type Page struct {
	Items []Item
	Next  string
}

// Store is the port.
type Store interface {
	// Get returns the live item at the key or ErrNotFound.
	Get(ctx context.Context, pk, sk string) (Item, error)
	// Put writes it under c and returns the written item (with its new version).
	Put(ctx context.Context, it Item, c Cond) (Item, error)
	// Delete removes the item under c. Deleting a missing item with
	// NoCond succeeds.
	Delete(ctx context.Context, pk, sk string, c Cond) error
	// Query returns one page of items in sort-key order.
	Query(ctx context.Context, q Query) (Page, error)
	// Transact applies all ops or none. When a condition fails it returns
	// a *TxError (which matches ErrConditionFailed).
	Transact(ctx context.Context, ops []Op) error
}

// Errors the adapters return; check them with errors.Is.
var (
	ErrNotFound        = errors.New("store: item not found")
	ErrConditionFailed = errors.New("store: condition failed")
	ErrInvalid         = errors.New("store: invalid request")
)

// TxError says which operations of a transaction failed their condition.
type TxError struct {
	Failed []int // indexes into the ops slice
}

func (e *TxError) Error() string {
	return fmt.Sprintf("store: transaction condition failed at op %v", e.Failed)
}

// Is makes a *TxError match ErrConditionFailed.
func (e *TxError) Is(target error) bool { return target == ErrConditionFailed }

// Validate checks what every adapter must refuse alike.
func Validate(ops []Op) error {
	if len(ops) == 0 || len(ops) > MaxTransactItems {
		return fmt.Errorf("%w: transaction of %d operations (1..%d)", ErrInvalid, len(ops), MaxTransactItems)
	}
	seen := make(map[[2]string]bool, len(ops))
	for i, op := range ops {
		if err := ValidateKey(op.Item.PK, op.Item.SK); err != nil {
			return fmt.Errorf("op %d: %w", i, err)
		}
		k := [2]string{op.Item.PK, op.Item.SK}
		if seen[k] {
			// DynamoDB refuses two operations on one item in a transaction.
			return fmt.Errorf("%w: op %d repeats key %s/%s", ErrInvalid, i, op.Item.PK, op.Item.SK)
		}
		seen[k] = true
	}
	return nil
}

// ValidateKey refuses empty or oversized keys (DynamoDB: 2048-byte partition
// key, 1024-byte sort key).
func ValidateKey(pk, sk string) error {
	if pk == "" || sk == "" || len(pk) > 2048 || len(sk) > 1024 {
		return fmt.Errorf("%w: key %q/%q", ErrInvalid, pk, sk)
	}
	return nil
}

// MaxItemBytes is the largest Data an item may carry; DynamoDB's item cap is
// 400 KB including keys and attribute names.
const MaxItemBytes = 350 * 1024
