package seal

import (
	"context"
	"errors"
	"time"
)

// DataKeys holds the shared record of the data key every execution
// environment seals under (package seal/datakeys keeps it in the table).
// Only the KMS-wrapped form is stored: it opens only through KMS.
type DataKeys interface {
	// Current returns the record, or ErrNoDataKey when there is none.
	Current(ctx context.Context) (DataKey, error)
	// Replace writes next in place of old, only if the record is still old
	// (old.Version; 0: only if there is no record), and returns the record
	// now current: next, with its version, when it was written; the record
	// another writer put first when it was not.
	Replace(ctx context.Context, old, next DataKey) (DataKey, error)
}

// DataKey is the shared record.
type DataKey struct {
	// Wrapped is the data key as KMS wrapped it.
	Wrapped []byte
	// Created is when it was generated; it seals until MaxAge after.
	Created time.Time
	// KeyID is the KMS key it is wrapped under: a record under another
	// key (the stack's key changed) is replaced, not used.
	KeyID string
	// Version is the record's version as read, what Replace conditions on.
	Version int64
}

// ErrNoDataKey means no shared data key has been recorded yet.
var ErrNoDataKey = errors.New("seal: no shared data key")
