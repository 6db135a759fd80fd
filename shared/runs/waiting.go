package runs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/autosync/autosync/shared/store"
)

// RequeueRefresh is how often a run waiting at the account's cap records
// that it still waits (MarkWaiting). It is a third of DefaultQueuedFor, so
// the sweep sees a waiting run's mark renewed twice before it would judge
// the run never started; a sweep's QueuedFor must stay well above it.
const RequeueRefresh = DefaultQueuedFor / 3

// queuedSince is when a queued run last showed it was alive: its creation,
// or its last recorded re-queue.
func (r Run) queuedSince() time.Time {
	if r.RequeuedAt != nil && r.RequeuedAt.After(r.CreatedAt) {
		return *r.RequeuedAt
	}
	return r.CreatedAt
}

// MarkWaiting records on a queued run, as the caller read it, that it was
// re-queued and still waits to start, with note telling the merchant why.
// It writes only when the note changes or the last mark is RequeueRefresh
// old, so a run re-queued every few seconds costs a write every few
// minutes. The write is conditioned on the version read and made only
// while the run is queued: a run that started or finished meanwhile keeps
// its own record. It returns the run as stored.
func (r *Repo) MarkWaiting(ctx context.Context, run Run, note string) (Run, error) {
	now := r.Now().UTC()
	if run.Status == Queued && run.Note == note && now.Sub(run.queuedSince()) < RequeueRefresh {
		return run, nil
	}
	out := run
	err := store.Retry(ctx, 5, func() error {
		d, err := store.GetDoc[Run](ctx, r.Store, store.AccountPK(run.AccountID), runSK(run.ID))
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		cur := d.Value
		cur.AccountID = run.AccountID
		out = cur
		if cur.Status != Queued {
			return nil
		}
		cur.RequeuedAt, cur.Note = &now, note
		it, err := r.item(cur)
		if err != nil {
			return err
		}
		// A lost write means the run changed meanwhile: Retry looks again.
		if _, err := r.Store.Put(ctx, it, store.AtVersion(d.Version)); err != nil {
			return err
		}
		out = cur
		return nil
	})
	if err != nil {
		return run, fmt.Errorf("mark run %s waiting: %w", run.ID, err)
	}
	return out, nil
}
