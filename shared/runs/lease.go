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
	// unstored is the run's record while it has no item of its own: it
	// rides in the lease item (see Start) until a commit stores it.
	unstored *Run
}

// leaseDoc is the lease item. Its expiry lives in the document, judged by
// the Repo's clock, rather than as the item's store expiry: an expired
// lease must still say which run held it, so that whoever takes it over can
// close that run instead of leaving it "running" for ever.
type leaseDoc struct {
	RunID    string    `json:"run_id"`
	Expires  time.Time `json:"expires"`
	Released bool      `json:"released,omitempty"`
	// Run is the record of a scheduled run that has none of its own yet:
	// while it works, and after it finished having found nothing (see
	// Start and Finish). It then serves as the task's last run.
	Run *leaseRun `json:"run,omitempty"`
}

// leaseRun is a run as its lease keeps it: only what a run that has found
// nothing can have (no counts, error or detail), and its id, channel and
// task are the lease's. Kept small because every run of an account reads
// all of its leases (InFlight), and DynamoDB bills reads by size.
type leaseRun struct {
	Trigger     Trigger    `json:"trigger"`
	Status      Status     `json:"status"`
	CreatedAt   time.Time  `json:"created"`
	StartedAt   *time.Time `json:"started,omitempty"`
	FinishedAt  *time.Time `json:"finished,omitempty"`
	Invocations int        `json:"inv,omitempty"`
}

func toLeaseRun(run *Run) *leaseRun {
	if run == nil {
		return nil
	}
	return &leaseRun{Trigger: run.Trigger, Status: run.Status, CreatedAt: run.CreatedAt,
		StartedAt: run.StartedAt, FinishedAt: run.FinishedAt, Invocations: run.Invocations}
}

// run is the record r keeps for the lease's run.
func (d leaseDoc) run(account, channel string, task catalog.Task) Run {
	r := d.Run
	return Run{ID: d.RunID, AccountID: account, ChannelID: channel, Task: task, Trigger: r.Trigger,
		Status: r.Status, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Invocations: r.Invocations}
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
	return r.acquire(ctx, account, channel, task, runID, ttl, nil, 0)
}

// AcquireFirst is Acquire for an invocation that starts a stored run (not
// a continuation). A lease of the same run renewed within the last half of
// ttl is *BusyError too: the run is working in another delivery of this
// invocation (Lambda delivers asynchronous events at least once). One
// older than that lost its heartbeat (renewed every ttl/3), so its holder
// is gone, e.g. timed out, and this invocation, Lambda's retry, takes over.
func (r *Repo) AcquireFirst(ctx context.Context, account, channel string, task catalog.Task, runID string, ttl time.Duration) (Lease, error) {
	return r.acquire(ctx, account, channel, task, runID, ttl, nil, ttl/2)
}

// acquire is Acquire, carrying the record of an unstored run in the lease.
// A live lease of the same run is taken over unless it expires more than
// working from now (zero: always taken over).
func (r *Repo) acquire(ctx context.Context, account, channel string, task catalog.Task, runID string, ttl time.Duration, unstored *Run, working time.Duration) (Lease, error) {
	pk, sk := store.AccountPK(account), leaseSK(channel, task)
	now := r.Now()
	cur, err := r.Store.Get(ctx, pk, sk)
	cond := store.MustBeNew
	var stale *leaseDoc
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return Lease{}, fmt.Errorf("read lease: %w", err)
	default:
		var d leaseDoc
		if err := json.Unmarshal(cur.Data, &d); err != nil {
			return Lease{}, fmt.Errorf("decode lease: %w", err)
		}
		ownWorking := working > 0 && d.live(cur, now.Add(working))
		if (d.RunID != runID && d.live(cur, now)) || (d.RunID == runID && ownWorking) {
			return Lease{}, &BusyError{Holder: d.RunID}
		}
		if d.RunID != runID && !d.Released && d.RunID != "" {
			stale = &d
		}
		cond = store.AtVersion(cur.Version)
	}
	out, err := r.Store.Put(ctx, r.leaseItem(account, channel, task, leaseDoc{RunID: runID, Expires: now.Add(ttl), Run: toLeaseRun(unstored)}), cond)
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
	if stale != nil {
		// Best effort: should this fail, the sweep closes a stored run;
		// an unstored one shows as interrupted in its lease until then.
		if stale.Run != nil {
			_, _ = r.InterruptUnstored(ctx, stale.run(account, channel, task), MsgInterrupted)
		} else {
			_, _ = r.Interrupt(ctx, account, stale.RunID, MsgInterrupted)
		}
	}
	return Lease{Account: account, Channel: channel, Task: task, RunID: runID, Token: out.Version, Expires: now.Add(ttl), unstored: unstored}, nil
}

// Start takes the task's lease for a new scheduled run (not yet stored)
// and records the run running in the lease item itself: one single-item
// write. Most scheduled runs find nothing to do, and such a run never gets
// an item of its own: Finish leaves its record in the released lease,
// where it serves as the task's last run, so it costs two writes in all.
// A run with something to show is stored by its first commit (Commit), by
// Store before it continues elsewhere, or by Finish. A busy task gives
// *BusyError and writes nothing. Should the run's worker die unstored, the
// run shows as interrupted in its expired lease, and whoever takes the
// lease over stores it so (Acquire).
func (r *Repo) Start(ctx context.Context, run Run, ttl time.Duration) (Run, Lease, error) {
	now := r.Now().UTC()
	run.Status, run.StartedAt, run.Invocations = Running, &now, 1
	snap := run
	l, err := r.acquire(ctx, run.AccountID, run.ChannelID, run.Task, run.ID, ttl, &snap, 0)
	if err != nil {
		return run, Lease{}, err
	}
	return run, l, nil
}

// Record gives an unstored run its record and its entry in the index of
// active runs (a no-op for a stored one), e.g. before it continues in
// another invocation, which loads it.
func (r *Repo) Record(ctx context.Context, l Lease, run Run) (Lease, error) {
	if l.unstored == nil {
		return l, nil
	}
	it, err := r.item(run)
	if err != nil {
		return l, err
	}
	if _, err := r.Store.Put(ctx, activeItem(run), store.NoCond); err != nil {
		return l, fmt.Errorf("store run %s: index it: %w", run.ID, err)
	}
	if _, err := r.Store.Put(ctx, it, store.NoCond); err != nil {
		return l, fmt.Errorf("store run %s: %w", run.ID, err)
	}
	l.unstored = nil
	return l, nil
}

// Quiet reports whether a finished run has nothing to show: it succeeded
// and found nothing. A quiet scheduled run is not kept in the history.
func (r Run) Quiet() bool {
	return r.Status == Succeeded && r.Counts == (Counts{}) && r.Error == nil && len(r.Detail) == 0
}

// Finish records a finished run and gives its lease up. A stored run is
// saved (and leaves the index of active runs) after the release, as
// before. An unstored quiet one is written into the released lease — its
// only write — and any other unstored one gets its record first, then the
// release, so the task's last run is never lost between the two.
func (r *Repo) Finish(ctx context.Context, l Lease, run Run) error {
	// A release that fails leaves a lease that expires on its own within
	// its ttl: not worth failing the run for.
	if l.unstored == nil {
		_ = r.Release(ctx, l)
		return r.Save(ctx, run)
	}
	if run.Quiet() {
		_, err := r.Store.Put(ctx, r.leaseItem(l.Account, l.Channel, l.Task, leaseDoc{RunID: l.RunID, Released: true, Run: toLeaseRun(&run)}), store.AtVersion(l.Token))
		if errors.Is(err, store.ErrConditionFailed) {
			// Taken over as stalled, and perhaps stored as interrupted:
			// the run did finish, so its record says so.
			return r.Save(ctx, run)
		}
		if err != nil {
			return fmt.Errorf("finish run %s: %w", run.ID, err)
		}
		return nil
	}
	it, err := r.item(run)
	if err != nil {
		return err
	}
	if _, err := r.Store.Put(ctx, it, store.NoCond); err != nil {
		return fmt.Errorf("finish run %s: %w", run.ID, err)
	}
	l.unstored = nil
	_ = r.Release(ctx, l)
	return nil
}

// renewOp renews the lease inside a transaction, fenced by its token.
func (r *Repo) renewOp(l Lease, exp time.Time) store.Op {
	return store.Put(r.leaseItem(l.Account, l.Channel, l.Task, leaseDoc{RunID: l.RunID, Expires: exp}), store.AtVersion(l.Token))
}

// Renew extends a held lease by ttl (the heartbeat of a working run). It
// returns ErrLeaseLost when the token moved on: the run must stop writing.
func (r *Repo) Renew(ctx context.Context, l Lease, ttl time.Duration) (Lease, error) {
	exp := r.Now().Add(ttl)
	out, err := r.Store.Put(ctx, r.leaseItem(l.Account, l.Channel, l.Task, leaseDoc{RunID: l.RunID, Expires: exp, Run: toLeaseRun(l.unstored)}), store.AtVersion(l.Token))
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
	// An unstored run released unfinished stays in the lease, where it
	// shows as interrupted.
	_, err := r.Store.Put(ctx, r.leaseItem(l.Account, l.Channel, l.Task, leaseDoc{RunID: l.RunID, Released: true, Run: toLeaseRun(l.unstored)}), store.AtVersion(l.Token))
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
	// Eventually consistent: the cap is a fairness bound, and a lease
	// taken in the last second counted by the next run is close enough.
	_, err := store.All(ctx, r.Store, store.Query{PK: store.AccountPK(account), Prefix: "LEASE#", Eventual: true}, 0, func(it store.Item) (bool, error) {
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
	if l.unstored != nil {
		// The run's first commit stores it: its index entry first, so the
		// sweep finds it should its worker die from here on.
		if _, err := r.Store.Put(ctx, activeItem(run), store.NoCond); err != nil {
			return l, fmt.Errorf("commit checkpoint: index run %s: %w", run.ID, err)
		}
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
	l.Expires, l.unstored = exp, nil
	return l, nil
}
