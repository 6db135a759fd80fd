package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Retry runs attempt until it returns anything but a conditional write lost
// to a concurrent writer, re-running it after Contended's jittered back-off
// at most limit times. attempt must do the whole read-modify-write, reads
// included, so each run starts from what the store holds then. Retry
// returns attempt's last error unchanged: after limit retries, or when ctx
// ends during a back-off, that is the lost write (matching
// ErrConditionFailed).
//
// Retry is for writes that span several items in one Transact; Update is
// the whole loop for one document.
func Retry(ctx context.Context, limit int, attempt func() error) error {
	for n := 0; ; n++ {
		err := attempt()
		if !Contended(ctx, err, n, limit) {
			return err
		}
	}
}

// Update changes the JSON document at pk/sk by optimistic read-modify-write:
// it reads the document (the zero T and found=false when there is none),
// lets fn change it, and writes it back on condition that nobody wrote it
// in between (or created it, when it was absent). A write lost to a
// concurrent writer is retried from the read, as Retry does, at most limit
// times, so fn may run more than once, each time on a freshly read value;
// it must not keep state from a previous run.
//
// An error from fn stops the update without a write and is returned
// unchanged; that is how fn refuses (a missing item it will not create, a
// change that is not allowed). Store errors are wrapped with the key; after
// limit lost writes the error matches ErrConditionFailed. Update returns
// the document as written, with its new version.
func Update[T any](ctx context.Context, s Store, pk, sk string, limit int, fn func(v *T, found bool) error) (Doc[T], error) {
	var out Doc[T]
	var fnErr error
	err := Retry(ctx, limit, func() error {
		var v T
		var version int64
		cur, err := s.Get(ctx, pk, sk)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return fmt.Errorf("read %s/%s: %w", pk, sk, err)
		default:
			if err := json.Unmarshal(cur.Data, &v); err != nil {
				return fmt.Errorf("decode %s/%s: %w", pk, sk, err)
			}
			version = cur.Version
		}
		// fn's error must not be retried even when it matches
		// ErrConditionFailed, so it leaves Retry as nil.
		if fnErr = fn(&v, version != 0); fnErr != nil {
			return nil
		}
		it, err := NewDoc(pk, sk, v, time.Time{})
		if err != nil {
			return err
		}
		written, err := s.Put(ctx, it, AtVersion(version))
		if err != nil {
			return fmt.Errorf("write %s/%s: %w", pk, sk, err)
		}
		out = Doc[T]{Value: v, Version: written.Version}
		return nil
	})
	if fnErr != nil {
		return Doc[T]{}, fnErr
	}
	if err != nil {
		return Doc[T]{}, err
	}
	return out, nil
}
