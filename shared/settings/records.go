package settings

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/autosync/autosync/shared/store"
)

// Schedule records live in schedShards partitions, "SCHED#00" to
// "SCHED#0f", chosen by a hash of the schedule name: at 100,000 merchants
// one partition would carry every settings save, pause and repair write
// against DynamoDB's 1,000 writes/s per partition.
//
// A record that is pending (or may be: its generation was just bumped) has
// a marker at the same name in its shard's queue partition "SCHEDQ#xx",
// written in the same transaction as the record and deleted in the same
// transaction that marks it applied. Repair reads the queue partitions, not
// the records, so a pass costs what is pending, not what exists.
const schedShards = 16

// legacySchedPK is the single partition records lived in before sharding.
// A record found there is moved to its shard when next written (lazily) or
// by repair (a bounded batch per pass); reads fall back to it meanwhile.
const legacySchedPK = "SCHED"

func shardOf(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % schedShards)
}

func schedShardPK(shard int) string { return fmt.Sprintf("SCHED#%02x", shard) }
func schedQueuePK(shard int) string { return fmt.Sprintf("SCHEDQ#%02x", shard) }

// schedPKOf is the partition of the named schedule's record.
func schedPKOf(name string) string { return schedShardPK(shardOf(name)) }

// marker is a queue entry; its key says everything.
type marker struct{}

func markerOp(queuePK, key string) (store.Op, error) {
	it, err := store.NewDoc(queuePK, key, marker{}, time.Time{})
	if err != nil {
		return store.Op{}, err
	}
	return store.Put(it, store.NoCond), nil
}

// recordOps builds the writes that set the record r of name, conditioned on
// version, with its queue marker when it is pending.
func recordOps(name string, r record, version int64) ([]store.Op, error) {
	it, err := store.NewDoc(schedPKOf(name), name, r, time.Time{})
	if err != nil {
		return nil, err
	}
	ops := []store.Op{store.Put(it, store.AtVersion(version))}
	q := schedQueuePK(shardOf(name))
	if r.pending() {
		m, err := markerOp(q, name)
		if err != nil {
			return nil, err
		}
		return append(ops, m), nil
	}
	// Applied: its marker goes in the same transaction, so a change that
	// lands after this write (and writes its own marker) cannot lose it.
	return append(ops, store.Delete(q, name, store.NoCond)), nil
}

// putRecord writes r at name under the version read, with its marker.
func (s *Service) putRecord(ctx context.Context, name string, r record, version int64) error {
	ops, err := recordOps(name, r, version)
	if err != nil {
		return err
	}
	return s.Store.Transact(ctx, ops)
}

// getRecord loads the named record from its shard, falling back to the
// legacy partition. With move set, a legacy record is moved to its shard
// first (and queued when pending), so the version returned is the shard's.
func (s *Service) getRecord(ctx context.Context, name string, move bool) (store.Doc[record], error) {
	d, err := store.GetDoc[record](ctx, s.Store, schedPKOf(name), name)
	if !errors.Is(err, store.ErrNotFound) {
		return d, err
	}
	old, err := s.Store.Get(ctx, legacySchedPK, name)
	if err != nil {
		return store.Doc[record]{}, err
	}
	if !move {
		r, err := store.Decode[record](old)
		return store.Doc[record]{Value: r, Version: old.Version}, err
	}
	if err := s.migrate(ctx, old); err != nil && !errors.Is(err, store.ErrConditionFailed) {
		return store.Doc[record]{}, err
	}
	// Moved, by this call or a concurrent one.
	return store.GetDoc[record](ctx, s.Store, schedPKOf(name), name)
}

// migrate moves one legacy record to its shard in one transaction. The
// record's version restarts at 1 in the shard; a writer holding the legacy
// version fails its condition on the legacy key (now gone) and reloads.
func (s *Service) migrate(ctx context.Context, old store.Item) error {
	r, err := store.Decode[record](old)
	if err != nil {
		return fmt.Errorf("decode legacy schedule record %s: %w", old.SK, err)
	}
	ops, err := recordOps(old.SK, r, 0)
	if err != nil {
		return err
	}
	ops = append(ops, store.Delete(legacySchedPK, old.SK, store.AtVersion(old.Version)))
	if err := s.Store.Transact(ctx, ops); err != nil {
		if errors.Is(err, store.ErrConditionFailed) {
			return err
		}
		return fmt.Errorf("move schedule record %s to its shard: %w", old.SK, err)
	}
	return nil
}

// Webhook subscription records stay in one partition ("SUBS": a write per
// instasync tick, far below a partition's limit) but are queued the same
// way, in subsQueuePK.
const subsQueuePK = "SUBSQ"

// subOps builds the writes that set the subscription record r at key,
// conditioned on version, with its queue marker.
func subOps(key string, r subRecord, version int64) ([]store.Op, error) {
	it, err := store.NewDoc(subsPK, key, r, time.Time{})
	if err != nil {
		return nil, err
	}
	ops := []store.Op{store.Put(it, store.AtVersion(version))}
	if r.Gen != r.AppliedGen {
		m, err := markerOp(subsQueuePK, key)
		if err != nil {
			return nil, err
		}
		return append(ops, m), nil
	}
	return append(ops, store.Delete(subsQueuePK, key, store.NoCond)), nil
}
