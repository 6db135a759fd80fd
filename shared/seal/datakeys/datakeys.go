// Package datakeys keeps seal.Envelope's shared current data key in the
// table: one item, DATAKEY/current, holding the key as KMS wrapped it
// (KMS ciphertext, which opens only through KMS; the plaintext key is never
// stored), when it was generated and the KMS key it is wrapped under. The
// item's version is what a replacement is conditioned on, so of two
// environments rotating at once one writes and the other reads its key.
package datakeys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store"
)

// The item's key: a global partition of its own.
const (
	PK = "DATAKEY"
	SK = "current"
)

// Store is seal.DataKeys over a store.Store.
type Store struct{ st store.Store }

var _ seal.DataKeys = (*Store)(nil)

// New keeps the record in st.
func New(st store.Store) *Store { return &Store{st: st} }

// record is the item's document.
type record struct {
	Wrapped []byte    `json:"wrapped"` // base64 in JSON
	Created time.Time `json:"created"`
	KeyID   string    `json:"kms_key"`
}

// Current implements seal.DataKeys.
func (s *Store) Current(ctx context.Context) (seal.DataKey, error) {
	d, err := store.GetDoc[record](ctx, s.st, PK, SK)
	if errors.Is(err, store.ErrNotFound) {
		return seal.DataKey{}, seal.ErrNoDataKey
	}
	if err != nil {
		return seal.DataKey{}, fmt.Errorf("data key record: %w", err)
	}
	return seal.DataKey{Wrapped: d.Value.Wrapped, Created: d.Value.Created, KeyID: d.Value.KeyID, Version: d.Version}, nil
}

// Replace implements seal.DataKeys: it writes next only at old's version
// (none when old.Version is 0), and otherwise reads the record that was
// written first.
func (s *Store) Replace(ctx context.Context, old, next seal.DataKey) (seal.DataKey, error) {
	if len(next.Wrapped) == 0 || next.Created.IsZero() || next.KeyID == "" {
		return seal.DataKey{}, fmt.Errorf("data key record: %w: a wrapped key, its creation and its KMS key are required", store.ErrInvalid)
	}
	it, err := store.NewDoc(PK, SK, record{Wrapped: next.Wrapped, Created: next.Created.UTC(), KeyID: next.KeyID}, time.Time{})
	if err != nil {
		return seal.DataKey{}, fmt.Errorf("data key record: %w", err)
	}
	out, err := s.st.Put(ctx, it, store.AtVersion(old.Version))
	switch {
	case err == nil:
		next.Version = out.Version
		return next, nil
	case !errors.Is(err, store.ErrConditionFailed):
		return seal.DataKey{}, fmt.Errorf("data key record: write: %w", err)
	}
	won, err := s.Current(ctx)
	if err != nil {
		return seal.DataKey{}, fmt.Errorf("data key record: replaced meanwhile, then: %w", err)
	}
	return won, nil
}
