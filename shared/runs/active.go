package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/store"
)

// The index of active runs: one item per queued or running run, written
// with the run and removed in the write that finishes it, so the sweep
// reads only the runs in flight, never an account's history. It is spread
// over a few partitions so no DynamoDB partition takes every run's writes;
// its sort key starts with the time-ordered run id, so the oldest come first.
const activeShards = 8

func activePK(shard int) string { return fmt.Sprintf("RUNS#ACTIVE#%d", shard) }

func activeShard(account string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(account))
	return int(h.Sum32() % activeShards)
}

type activeDoc struct {
	AccountID string `json:"account_id"`
	RunID     string `json:"run_id"`
}

func activeItem(run Run) store.Item {
	return store.Item{PK: activePK(activeShard(run.AccountID)), SK: run.ID + "#" + run.AccountID,
		Data: mustJSON(activeDoc{run.AccountID, run.ID}), ExpiresAt: run.CreatedAt.Add(Retention)}
}

// Interrupt closes a run that is not finished as interrupted, with msg for
// the merchant. It reports whether it closed it; a finished run is left as
// it is. The write is conditioned on the version read, so a run that
// finishes meanwhile keeps its own ending.
func (r *Repo) Interrupt(ctx context.Context, account, runID, msg string) (bool, error) {
	return r.interrupt(ctx, account, runID, msg, nil)
}

// InterruptUnstored closes a run that may have no record of its own (a
// scheduled run's record rides in its lease until it is stored, see
// Start): it is stored interrupted, unless stored meanwhile, when it is
// closed as Interrupt closes it.
func (r *Repo) InterruptUnstored(ctx context.Context, run Run, msg string) (bool, error) {
	return r.interrupt(ctx, run.AccountID, run.ID, msg, &run)
}

func (r *Repo) interrupt(ctx context.Context, account, runID, msg string, unstored *Run) (bool, error) {
	var closed *Run
	err := store.Retry(ctx, 5, func() error {
		d, err := store.GetDoc[Run](ctx, r.Store, store.AccountPK(account), runSK(runID))
		cond := store.AtVersion(d.Version)
		switch {
		case errors.Is(err, store.ErrNotFound) && unstored != nil && !unstored.Status.Finished():
			d.Value, cond = *unstored, store.MustBeNew
		case errors.Is(err, store.ErrNotFound):
			return nil
		case err != nil:
			return fmt.Errorf("load: %w", err)
		}
		run := d.Value
		run.AccountID = account
		if run.Status.Finished() {
			return nil
		}
		now := r.Now().UTC()
		run.Status, run.FinishedAt = Interrupted, &now
		run.Error = &RunError{Class: ClassInterrupted, Message: msg}
		run.Note = "" // why it was waiting no longer applies
		it, err := r.item(run)
		if err != nil {
			return err
		}
		// A lost write means the run wrote meanwhile: Retry looks again.
		if _, err := r.Store.Put(ctx, it, cond); err != nil {
			return err
		}
		closed = &run
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("interrupt run %s: %w", runID, err)
	}
	if closed == nil {
		return false, nil
	}
	// A separate write (a transaction would bill both twice): should
	// it not happen, the sweep drops the entry of a finished run.
	a := activeItem(*closed)
	if err := r.Store.Delete(ctx, a.PK, a.SK, store.NoCond); err != nil {
		return true, fmt.Errorf("interrupt run %s: leave the active index: %w", runID, err)
	}
	return true, nil
}

// ClassInterrupted is the error class of an interrupted run.
const ClassInterrupted ErrorClass = "interrupted"

// SweepOptions bound a sweep of stale runs.
type SweepOptions struct {
	// QueuedFor: a run queued longer than this (since it was created or
	// last marked waiting at the account's cap) never started (its
	// invocation was lost) and is closed. It must stay well above
	// RequeueRefresh, or runs waiting at the cap are closed.
	QueuedFor time.Duration
	// DeadBefore, when set, declares every run created before it dead:
	// the local server at start-up, whose previous process held the
	// data folder alone, so no run of it survives.
	DeadBefore time.Time
	// Limit bounds the active runs one sweep looks at (default 1000).
	Limit int
}

// SweepReport says what a sweep did.
type SweepReport struct {
	Interrupted int `json:"interrupted"`
	Expired     int `json:"expired"`
	Dropped     int `json:"dropped"`
	Live        int `json:"live"`
}

// DefaultQueuedFor is how long a run may stay queued before the sweep
// closes it as never started.
const DefaultQueuedFor = 15 * time.Minute

// Sweep closes the runs that outlived their worker: running runs whose
// lease expired (or, with DeadBefore, whose process is gone) and queued
// runs that never started. Their work continues from the checkpoint at the
// task's next run. It reads only the index of active runs.
func (r *Repo) Sweep(ctx context.Context, o SweepOptions) (SweepReport, error) {
	var rep SweepReport
	if o.QueuedFor <= 0 {
		o.QueuedFor = DefaultQueuedFor
	}
	if o.Limit <= 0 {
		o.Limit = 1000
	}
	now := r.Now().UTC()
	var errs []error
	for shard := 0; shard < activeShards && rep.Interrupted+rep.Expired+rep.Dropped+rep.Live < o.Limit; shard++ {
		var docs []activeEntry
		_, err := store.All(ctx, r.Store, store.Query{PK: activePK(shard), Limit: 200}, o.Limit, func(it store.Item) (bool, error) {
			var d activeDoc
			if err := json.Unmarshal(it.Data, &d); err != nil {
				return false, err
			}
			e := activeEntry{activeDoc: d}
			if !it.ExpiresAt.IsZero() {
				e.created = it.ExpiresAt.Add(-Retention)
			}
			docs = append(docs, e)
			return true, nil
		})
		if err != nil {
			return rep, fmt.Errorf("read active runs: %w", err)
		}
		for _, d := range docs {
			if err := r.sweepOne(ctx, d, o, now, &rep); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return rep, errors.Join(errs...)
}

// activeEntry is an index entry as the sweep reads it, with when it was
// written (its expiry less the retention).
type activeEntry struct {
	activeDoc
	created time.Time
}

func (r *Repo) sweepOne(ctx context.Context, d activeEntry, o SweepOptions, now time.Time, rep *SweepReport) error {
	run, err := r.Get(ctx, d.AccountID, d.RunID)
	if errors.Is(err, ErrNotFound) && !d.created.IsZero() && now.Sub(d.created) < o.QueuedFor &&
		(o.DeadBefore.IsZero() || !d.created.Before(o.DeadBefore)) {
		// The entry is written before its run: the run may be on its way.
		rep.Live++
		return nil
	}
	if errors.Is(err, ErrNotFound) || (err == nil && run.Status.Finished()) {
		a := activeItem(Run{ID: d.RunID, AccountID: d.AccountID})
		rep.Dropped++
		return r.Store.Delete(ctx, a.PK, a.SK, store.NoCond)
	}
	if err != nil {
		return err
	}
	dead := !o.DeadBefore.IsZero() && run.CreatedAt.Before(o.DeadBefore)
	msg := MsgInterrupted
	switch run.Status {
	case Queued:
		// A run waiting at the account's cap is re-queued, not lost: its
		// age counts from its last recorded re-queue (MarkWaiting).
		if !dead && now.Sub(run.queuedSince()) < o.QueuedFor {
			rep.Live++
			return nil
		}
		msg = MsgNeverStarted
	default:
		held, err := r.freeLease(ctx, run, dead, now)
		if err != nil {
			return err
		}
		// A running run without its lease: an instasync import (which
		// takes none) is dead once as old as a queued run may be.
		if held || (!dead && !r.leaseNamed(ctx, run) && now.Sub(run.CreatedAt) < o.QueuedFor) {
			rep.Live++
			return nil
		}
	}
	closed, err := r.Interrupt(ctx, d.AccountID, d.RunID, msg)
	if err != nil {
		return err
	}
	if closed && run.Status == Queued {
		rep.Expired++
	} else if closed {
		rep.Interrupted++
	}
	return nil
}

// freeLease reports whether run still holds a live lease; if the lease
// names it but has expired (or the run is dead), it takes the lease over —
// released, its token advanced — so the dead run can write nothing more.
func (r *Repo) freeLease(ctx context.Context, run Run, dead bool, now time.Time) (bool, error) {
	cur, err := r.Store.Get(ctx, store.AccountPK(run.AccountID), leaseSK(run.ChannelID, run.Task))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read lease: %w", err)
	}
	var d leaseDoc
	if err := json.Unmarshal(cur.Data, &d); err != nil {
		return false, fmt.Errorf("decode lease: %w", err)
	}
	if d.RunID != run.ID || d.Released {
		return false, nil
	}
	if d.live(cur, now) && !dead {
		return true, nil
	}
	_, err = r.Store.Put(ctx, r.leaseItem(run.AccountID, run.ChannelID, run.Task, leaseDoc{RunID: run.ID, Released: true}), store.AtVersion(cur.Version))
	if errors.Is(err, store.ErrConditionFailed) {
		return true, nil // renewed or taken meanwhile: look again next sweep
	}
	return false, err
}

// leaseNamed reports whether the task's lease item names run (live or not).
func (r *Repo) leaseNamed(ctx context.Context, run Run) bool {
	d, err := store.GetDoc[leaseDoc](ctx, r.Store, store.AccountPK(run.AccountID), leaseSK(run.ChannelID, run.Task))
	return err == nil && d.Value.RunID == run.ID
}

// queuedDoc points at a task's queued manual run.
type queuedDoc struct {
	RunID string `json:"run_id"`
}

func queuedSK(channel string, task catalog.Task) string { return "QR#" + channel + "#" + string(task) }

// QueueManual records a queued manual run of the task, or returns the one
// already queued (created false): pressing Sync once again, or a script
// posting thousands of runs, adds nothing to the queue while one waits.
func (r *Repo) QueueManual(ctx context.Context, account, channel string, task catalog.Task) (Run, bool, error) {
	pk, sk := store.AccountPK(account), queuedSK(channel, task)
	var run Run
	created := false
	err := store.Retry(ctx, 5, func() error {
		ptr, err := store.GetDoc[queuedDoc](ctx, r.Store, pk, sk)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return fmt.Errorf("read queued run: %w", err)
		default:
			queued, err := r.Get(ctx, account, ptr.Value.RunID)
			if err == nil && queued.Status == Queued {
				run, created = queued, false
				return nil
			}
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		run = r.NewRun(account, channel, task, Manual, Queued)
		it, err := r.item(run)
		if err != nil {
			return err
		}
		last, err := store.NewDoc(pk, lastSK(channel, task), lastRun{run.ID}, time.Time{})
		if err != nil {
			return err
		}
		q, err := store.NewDoc(pk, sk, queuedDoc{run.ID}, time.Time{})
		if err != nil {
			return err
		}
		// A lost write means another request queued one meanwhile: Retry
		// reads again and returns that one.
		created = true
		return r.Store.Transact(ctx, []store.Op{store.Put(it, store.MustBeNew), store.Put(last, store.NoCond),
			store.Put(activeItem(run), store.NoCond), store.Put(q, store.AtVersion(ptr.Version))})
	})
	if err != nil {
		return Run{}, false, fmt.Errorf("queue run: %w", err)
	}
	return run, created, nil
}
