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

// leaseDoc is the lease item. Its expiry lives in the document, judged by
// the Repo's clock, rather than as the item's store expiry: an expired
// lease must still say which run held it, so that whoever takes it over can
// close that run instead of leaving it "running" for ever.
type leaseDoc struct {
	RunID    string    `json:"run_id"`
	Expires  time.Time `json:"expires"`
	Released bool      `json:"released,omitempty"`
}

// live reports whether the lease still holds at now. A document without an
// expiry was written before the expiry moved into it; the store hid it once
// its item expired, so a visible one is live until its item's expiry.
func (d leaseDoc) live(it store.Item, now time.Time) bool {
	if d.Released || d.RunID == "" {
		return false
	}
	exp := d.Expires
	if exp.IsZero() {
		exp = it.ExpiresAt
	}
	return !exp.IsZero() && now.Before(exp)
}

// BusyError says another run holds the lease.
type BusyError struct{ Holder string }

func (e *BusyError) Error() string { return "task already running as " + e.Holder }

// ErrLeaseLost means the holder's token is stale: another run has the task now.
var ErrLeaseLost = errors.New("lease lost to another run")

func leaseSK(channel string, task catalog.Task) string {
	return "LEASE#" + channel + "#" + string(task)
}

func (r *Repo) leaseItem(account, channel string, task catalog.Task, d leaseDoc) store.Item {
	return store.Item{PK: store.AccountPK(account), SK: leaseSK(channel, task), Data: mustJSON(d)}
}

// Acquire takes the lease for runID for ttl. A live lease held by another
// run gives *BusyError; one held by the same run (a continuation) is taken
// over; an expired one is free, and the run that held it — dead, or it
// would have renewed it — is closed as interrupted.
func (r *Repo) Acquire(ctx context.Context, account, channel string, task catalog.Task, runID string, ttl time.Duration) (Lease, error) {
	pk, sk := store.AccountPK(account), leaseSK(channel, task)
	now := r.Now()
	cur, err := r.Store.Get(ctx, pk, sk)
	cond := store.MustBeNew
	stale := ""
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return Lease{}, fmt.Errorf("read lease: %w", err)
	default:
		var d leaseDoc
		if err := json.Unmarshal(cur.Data, &d); err != nil {
			return Lease{}, fmt.Errorf("decode lease: %w", err)
		}
		if d.RunID != runID && d.live(cur, now) {
			return Lease{}, &BusyError{Holder: d.RunID}
		}
		if d.RunID != runID && !d.Released && d.RunID != "" {
			stale = d.RunID
		}
		cond = store.AtVersion(cur.Version)
	}
	out, err := r.Store.Put(ctx, r.leaseItem(account, channel, task, leaseDoc{RunID: runID, Expires: now.Add(ttl)}), cond)
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
	if stale != "" {
		// Best effort: should this fail, the sweep closes the run.
		_, _ = r.Interrupt(ctx, account, stale, MsgInterrupted)
	}
	return Lease{Account: account, Channel: channel, Task: task, RunID: runID, Token: out.Version, Expires: now.Add(ttl)}, nil
}

// Start takes the task's lease for a new run (not yet stored) and records
// the run running under it: the lease, the run's entry in the index of
// active runs, the run record — three single-item writes instead of
// creating the run queued in a transaction and then marking it running. A
// busy task gives *BusyError and writes nothing. The lease names the run,
// so the task's last-run pointer is not written (LastRuns reads both).
// Should the writer die between two writes, nothing is left running
// unclosable: a lease naming a run never recorded is simply taken over,
// and the sweep drops an index entry whose run never appeared.
func (r *Repo) Start(ctx context.Context, run Run, ttl time.Duration) (Run, Lease, error) {
	l, err := r.Acquire(ctx, run.AccountID, run.ChannelID, run.Task, run.ID, ttl)
	if err != nil {
		return run, Lease{}, err
	}
	now := r.Now().UTC()
	run.Status, run.StartedAt, run.Invocations = Running, &now, 1
	it, err := r.item(run)
	if err == nil {
		_, err = r.Store.Put(ctx, activeItem(run), store.NoCond)
	}
	if err == nil {
		_, err = r.Store.Put(ctx, it, store.MustBeNew)
	}
	if err != nil {
		_ = r.Release(context.WithoutCancel(ctx), l)
		return run, Lease{}, fmt.Errorf("start run %s: %w", run.ID, err)
	}
	return run, l, nil
}

// renewOp renews the lease inside a transaction, fenced by its token.
func (r *Repo) renewOp(l Lease, exp time.Time) store.Op {
	return store.Put(r.leaseItem(l.Account, l.Channel, l.Task, leaseDoc{RunID: l.RunID, Expires: exp}), store.AtVersion(l.Token))
}

// Renew extends a held lease by ttl (the heartbeat of a working run). It
// returns ErrLeaseLost when the token moved on: the run must stop writing.
func (r *Repo) Renew(ctx context.Context, l Lease, ttl time.Duration) (Lease, error) {
	exp := r.Now().Add(ttl)
	out, err := r.Store.Put(ctx, r.leaseItem(l.Account, l.Channel, l.Task, leaseDoc{RunID: l.RunID, Expires: exp}), store.AtVersion(l.Token))
	if errors.Is(err, store.ErrConditionFailed) {
		return l, ErrLeaseLost
	}
	if err != nil {
		return l, fmt.Errorf("renew lease: %w", err)
	}
	l.Token, l.Expires = out.Version, exp
	return l, nil
}

// Release gives the lease up; a lost lease is not an error. It marks the
// lease item released rather than deleting it, so the version — the
// fencing token — keeps climbing: after a delete a later holder would start
// again at 1 and a stalled run holding token 1 could write again.
func (r *Repo) Release(ctx context.Context, l Lease) error {
	_, err := r.Store.Put(ctx, r.leaseItem(l.Account, l.Channel, l.Task, leaseDoc{RunID: l.RunID, Released: true}), store.AtVersion(l.Token))
	if err != nil && !errors.Is(err, store.ErrConditionFailed) {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}

// InFlight counts the account's live leases other than the given task's:
// the runs the account has working right now. The account's leases are one
// item per (channel, task), so this reads a handful of items.
func (r *Repo) InFlight(ctx context.Context, account, channel string, task catalog.Task) (int, error) {
	now, own, n := r.Now(), leaseSK(channel, task), 0
	_, err := store.All(ctx, r.Store, store.Query{PK: store.AccountPK(account), Prefix: "LEASE#"}, 0, func(it store.Item) (bool, error) {
		var d leaseDoc
		if err := json.Unmarshal(it.Data, &d); err != nil {
			return false, err
		}
		if it.SK != own && d.live(it, now) {
			n++
		}
		return true, nil
	})
	if err != nil {
		return 0, fmt.Errorf("count runs in flight: %w", err)
	}
	return n, nil
}

// Checkpoint is where a task resumes. Watermark is the cart time up to which
// everything has been imported; Window is the pass in progress, with the
// cart's page cursor, so a run continues mid-way instead of starting over.
type Checkpoint struct {
	Watermark time.Time `json:"watermark"`
	Window    *Window   `json:"window,omitempty"`
	// FullAt is when the last completed pass over everything (a window
	// from zero) began; a task that reads only changes otherwise goes over
	// everything again once it is old enough.
	FullAt time.Time `json:"full_at,omitzero"`
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
	exp := r.Now().Add(ttl)
	cpItem, err := store.NewDoc(store.AccountPK(l.Account), cpSK(l.Channel, l.Task), cp, time.Time{})
	if err != nil {
		return l, err
	}
	runItem, err := r.item(run)
	if err != nil {
		return l, err
	}
	err = r.Store.Transact(ctx, []store.Op{r.renewOp(l, exp), store.Put(cpItem, store.NoCond), store.Put(runItem, store.NoCond)})
	var tx *store.TxError
	if errors.As(err, &tx) {
		return l, ErrLeaseLost
	}
	if err != nil {
		return l, fmt.Errorf("commit checkpoint: %w", err)
	}
	l.Token++
	l.Expires = exp
	return l, nil
}
