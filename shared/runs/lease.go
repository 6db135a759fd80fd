package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/store"
)

// Lease is a run's exclusive hold on (account, channel, task). Token is the
// lease item's version: every write the holder makes is conditioned on it,
// and every renewal advances it, so a run that lost its lease (it stalled
// past expiry and another run took over) can no longer write anything.
type Lease struct {
	Account string
	Channel string
	Task    catalog.Task
	RunID   string
	Token   int64
	Expires time.Time
}

type leaseDoc struct {
	RunID string `json:"run_id"`
}

// BusyError says another run holds the lease.
type BusyError struct{ Holder string }

func (e *BusyError) Error() string { return "task already running as " + e.Holder }

// ErrLeaseLost means the holder's token is stale: another run has the task now.
var ErrLeaseLost = errors.New("lease lost to another run")

func leaseSK(channel string, task catalog.Task) string {
	return "LEASE#" + channel + "#" + string(task)
}

// Acquire takes the lease for runID for ttl. A live lease held by another
// run gives *BusyError; one held by the same run (a continuation) is taken
// over; an expired one is free.
func (r *Repo) Acquire(ctx context.Context, account, channel string, task catalog.Task, runID string, ttl time.Duration) (Lease, error) {
	pk, sk := store.AccountPK(account), leaseSK(channel, task)
	now := r.Now()
	cur, err := r.Store.Get(ctx, pk, sk)
	cond := store.MustBeNew
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return Lease{}, fmt.Errorf("read lease: %w", err)
	default:
		var d leaseDoc
		if err := json.Unmarshal(cur.Data, &d); err != nil {
			return Lease{}, fmt.Errorf("decode lease: %w", err)
		}
		if d.RunID != runID {
			return Lease{}, &BusyError{Holder: d.RunID}
		}
		cond = store.AtVersion(cur.Version)
	}
	// An expired lease is invisible to Get and counts as absent for
	// MustBeNew, so a crashed run's lease frees itself.
	it := store.Item{PK: pk, SK: sk, Data: mustJSON(leaseDoc{runID}), ExpiresAt: now.Add(ttl)}
	out, err := r.Store.Put(ctx, it, cond)
	if errors.Is(err, store.ErrConditionFailed) {
		// Someone else got there between our read and write.
		holder := "another run"
		if c, gerr := r.Store.Get(ctx, pk, sk); gerr == nil {
			var d leaseDoc
			_ = json.Unmarshal(c.Data, &d)
			holder = d.RunID
		}
		return Lease{}, &BusyError{Holder: holder}
	}
	if err != nil {
		return Lease{}, fmt.Errorf("take lease: %w", err)
	}
	return Lease{Account: account, Channel: channel, Task: task, RunID: runID, Token: out.Version, Expires: out.ExpiresAt}, nil
}

// leaseOp renews the lease inside a transaction, fenced by its token.
func (l Lease) renewOp(now time.Time, ttl time.Duration) store.Op {
	return store.Put(store.Item{PK: store.AccountPK(l.Account), SK: leaseSK(l.Channel, l.Task),
		Data: mustJSON(leaseDoc{l.RunID}), ExpiresAt: now.Add(ttl)}, store.AtVersion(l.Token))
}

// Release gives the lease up; a lost lease is not an error. It expires the
// lease item rather than deleting it, so the version — the fencing token —
// keeps climbing: after a delete a later holder would start again at 1 and
// a stalled run holding token 1 could write again.
func (r *Repo) Release(ctx context.Context, l Lease) error {
	it := store.Item{PK: store.AccountPK(l.Account), SK: leaseSK(l.Channel, l.Task),
		Data: mustJSON(leaseDoc{l.RunID}), ExpiresAt: released}
	_, err := r.Store.Put(ctx, it, store.AtVersion(l.Token))
	if err != nil && !errors.Is(err, store.ErrConditionFailed) {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}

// Checkpoint is where a task resumes. Watermark is the cart time up to which
// everything has been imported; Window is the pass in progress, with the
// cart's page cursor, so a run continues mid-way instead of starting over.
type Checkpoint struct {
	Watermark time.Time `json:"watermark"`
	Window    *Window   `json:"window,omitempty"`
	// State is task-specific (e.g. a phase name or a product offset).
	State map[string]string `json:"state,omitempty"`
}

// Window is one pass over [From, To).
type Window struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Phase  string    `json:"phase"`
	Cursor string    `json:"cursor"`
	Done   int       `json:"done"`
}

func cpSK(channel string, task catalog.Task) string { return "CP#" + channel + "#" + string(task) }

// Checkpoint loads the task's checkpoint (zero when it has none).
func (r *Repo) Checkpoint(ctx context.Context, account, channel string, task catalog.Task) (Checkpoint, error) {
	d, err := store.GetDoc[Checkpoint](ctx, r.Store, store.AccountPK(account), cpSK(channel, task))
	if errors.Is(err, store.ErrNotFound) {
		return Checkpoint{}, nil
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("load checkpoint: %w", err)
	}
	return d.Value, nil
}

// Commit writes the checkpoint and the run record, renewing the lease, all
// in one transaction fenced by the lease token. It returns the renewed lease,
// or ErrLeaseLost when another run has taken the task over.
func (r *Repo) Commit(ctx context.Context, l Lease, ttl time.Duration, cp Checkpoint, run Run) (Lease, error) {
	now := r.Now()
	cpItem, err := store.NewDoc(store.AccountPK(l.Account), cpSK(l.Channel, l.Task), cp, time.Time{})
	if err != nil {
		return l, err
	}
	runItem, err := r.item(run)
	if err != nil {
		return l, err
	}
	err = r.Store.Transact(ctx, []store.Op{l.renewOp(now, ttl), store.Put(cpItem, store.NoCond), store.Put(runItem, store.NoCond)})
	var tx *store.TxError
	if errors.As(err, &tx) {
		return l, ErrLeaseLost
	}
	if err != nil {
		return l, fmt.Errorf("commit checkpoint: %w", err)
	}
	l.Token++
	l.Expires = now.Add(ttl)
	return l, nil
}

// released is the expiry of a released lease: long past on any clock, the
// stores' wall clock or a test's.
var released = time.Unix(1, 0)
