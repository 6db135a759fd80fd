// Package runs records what the executor did — one Run per trigger — and
// holds the two pieces of state that make runs safe to overlap, crash and
// resume: the lease (one run at a time per account, channel and task, with a
// fencing token) and the checkpoint (where the next page starts).
package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/id"
	"github.com/autosync/autosync/shared/store"
)

// Trigger is what started a run.
type Trigger string

const (
	Schedule     Trigger = "schedule"
	Manual       Trigger = "manual"
	Webhook      Trigger = "webhook"
	Continuation Trigger = "continuation"
)

// Status of a run.
type Status string

const (
	Queued    Status = "queued"
	Running   Status = "running"
	Succeeded Status = "succeeded"
	Partial   Status = "partial"
	Failed    Status = "failed"
	Skipped   Status = "skipped"
	// Interrupted: the run's worker died (its lease expired or was taken
	// over) or a queued run never started. Its work is not lost: the next
	// run of the task resumes from the checkpoint.
	Interrupted Status = "interrupted"
)

// Finished reports whether the run has ended.
func (s Status) Finished() bool {
	return s == Succeeded || s == Partial || s == Failed || s == Skipped || s == Interrupted
}

// Merchant-readable reasons a run was interrupted.
const (
	MsgInterrupted  = "The run stopped unexpectedly (the worker was restarted); its work continues from where it stopped."
	MsgTakenOver    = "The run stalled and another run took over the task; its work continues from where it stopped."
	MsgNeverStarted = "The run was queued but never started (the worker was restarted); the next run of this task does its work."
)

// SkipAlreadyRunning is the skip reason when another run holds the lease.
const SkipAlreadyRunning = "already_running"

// ErrorClass groups failures for merchants and support.
type ErrorClass string

const (
	ClassAuth        ErrorClass = "auth"
	ClassRateLimited ErrorClass = "rate_limited"
	ClassCart        ErrorClass = "cart"
	ClassInternal    ErrorClass = "internal"
)

// Counts are what a run did, item by item. Every record an import fetched
// lands in exactly one of Created, Updated, Unchanged, Skipped and Failed,
// so they add up to Fetched (Accounted).
type Counts struct {
	Fetched   int `json:"fetched"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Skipped records are not ours to import: filtered out by status, a
	// cancel or shipment of an order never imported.
	Skipped int `json:"skipped"`
	Pushed  int `json:"pushed"`
	Failed  int `json:"failed"`
}

// Accounted reports whether every fetched record is in exactly one bucket.
func (c Counts) Accounted() bool {
	return c.Created+c.Updated+c.Unchanged+c.Skipped+c.Failed == c.Fetched
}

// Progress is how far a run has come; Total is 0 when the cart cannot say.
type Progress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// RunError is a failure safe to show a merchant.
type RunError struct {
	Class   ErrorClass `json:"class"`
	Message string     `json:"message"`
}

// Run is one execution of a task.
type Run struct {
	ID         string       `json:"id"`
	AccountID  string       `json:"-"`
	ChannelID  string       `json:"channel_id"`
	Task       catalog.Task `json:"task"`
	Trigger    Trigger      `json:"trigger"`
	Status     Status       `json:"status"`
	SkipReason string       `json:"skip_reason"`
	CreatedAt  time.Time    `json:"created_at"`
	StartedAt  *time.Time   `json:"started_at"`
	FinishedAt *time.Time   `json:"finished_at"`
	Counts     Counts       `json:"counts"`
	Progress   Progress     `json:"progress"`
	Error      *RunError    `json:"error"`
	// Invocations counts the executor invocations the run spanned
	// (1 + continuations), for support reading a long run.
	Invocations int `json:"invocations"`
	// Detail is for support: e.g. the SKUs a push failed for (bounded).
	Detail []string `json:"detail,omitempty"`
	// RequeuedAt is when a queued run was last re-queued at the account's
	// cap of runs in flight, recorded at most every RequeueRefresh (see
	// MarkWaiting): the sweep counts a queued run's age from it when it is
	// later than CreatedAt, so a run kept waiting is not closed as never
	// started.
	RequeuedAt *time.Time `json:"requeued_at,omitempty"`
	// Note tells the merchant why a queued run has not started yet; empty
	// once it starts.
	Note string `json:"note,omitempty"`
}

// Duration is how long the run took, or has taken so far.
func (r Run) Duration(now time.Time) time.Duration {
	if r.StartedAt == nil {
		return 0
	}
	end := now
	if r.FinishedAt != nil {
		end = *r.FinishedAt
	}
	return end.Sub(*r.StartedAt)
}

// Retention is how long run records are kept.
const Retention = 90 * 24 * time.Hour

// ErrNotFound is returned for an unknown run.
var ErrNotFound = errors.New("run not found")

// Repo stores runs, leases and checkpoints.
type Repo struct {
	Store store.Store
	Now   func() time.Time
}

func runSK(runID string) string { return "RUN#" + runID }

func lastSK(channel string, task catalog.Task) string {
	return "LR#" + channel + "#" + string(task)
}

// NewRun builds a run record (not yet stored) with a fresh time-ordered id.
func (r *Repo) NewRun(account, channel string, task catalog.Task, trig Trigger, status Status) Run {
	now := r.Now().UTC()
	return Run{ID: id.Sortable("run", now), AccountID: account, ChannelID: channel, Task: task,
		Trigger: trig, Status: status, CreatedAt: now}
}

type lastRun struct {
	RunID string `json:"run_id"`
}

// Create stores a new run and makes it the task's last run. Each item is
// its own single-item write (a transaction bills every item twice), in an
// order that leaves nothing unclosable should the writer die between two:
// a run not yet finished enters the index of active runs before its record
// exists (the sweep leaves a young entry without a run alone and drops an
// old one), and the last-run pointer is written after the record (a pointer
// to the previous run, or to a run not written, is harmless).
func (r *Repo) Create(ctx context.Context, run Run) error {
	it, err := r.item(run)
	if err != nil {
		return err
	}
	ptr, err := store.NewDoc(store.AccountPK(run.AccountID), lastSK(run.ChannelID, run.Task), lastRun{run.ID}, time.Time{})
	if err != nil {
		return err
	}
	if !run.Status.Finished() {
		if _, err := r.Store.Put(ctx, activeItem(run), store.NoCond); err != nil {
			return fmt.Errorf("create run %s: index it: %w", run.ID, err)
		}
	}
	if _, err := r.Store.Put(ctx, it, store.MustBeNew); err != nil {
		return fmt.Errorf("create run %s: %w", run.ID, err)
	}
	if _, err := r.Store.Put(ctx, ptr, store.NoCond); err != nil {
		return fmt.Errorf("create run %s: point at it: %w", run.ID, err)
	}
	return nil
}

func (r *Repo) item(run Run) (store.Item, error) {
	return store.NewDoc(store.AccountPK(run.AccountID), runSK(run.ID), run, run.CreatedAt.Add(Retention))
}

// Save overwrites a run record (the executor owns a run while it holds the
// lease). A finished run then leaves the index of active runs: two
// single-item writes, cheaper than one transaction of both; should the
// second not happen, the sweep drops the entry of a finished run.
func (r *Repo) Save(ctx context.Context, run Run) error {
	it, err := r.item(run)
	if err != nil {
		return err
	}
	if _, err := r.Store.Put(ctx, it, store.NoCond); err != nil {
		return fmt.Errorf("save run %s: %w", run.ID, err)
	}
	if run.Status.Finished() {
		a := activeItem(run)
		if err := r.Store.Delete(ctx, a.PK, a.SK, store.NoCond); err != nil {
			return fmt.Errorf("save run %s: leave the active index: %w", run.ID, err)
		}
	}
	return nil
}

// Get returns one of the account's runs.
func (r *Repo) Get(ctx context.Context, account, runID string) (Run, error) {
	d, err := store.GetDoc[Run](ctx, r.Store, store.AccountPK(account), runSK(runID))
	if errors.Is(err, store.ErrNotFound) {
		return Run{}, ErrNotFound
	}
	d.Value.AccountID = account
	return d.Value, err
}

// Filter narrows a run listing.
type Filter struct {
	ChannelID string
	Task      catalog.Task
	Limit     int
	// Cursor is the opaque next_cursor of a previous page.
	Cursor string
}

// scanBudget bounds how many run records one listing reads when filtering,
// so a rarely-run task cannot make a request read an account's whole history;
// the cursor lets the client continue.
const scanBudget = 2000

// List returns the account's runs newest first and the cursor of the next page.
func (r *Repo) List(ctx context.Context, account string, f Filter) ([]Run, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 20
	}
	q := store.Query{PK: store.AccountPK(account), Prefix: "RUN#", Desc: true, After: f.Cursor, Limit: 100}
	out, next, err := store.Collect(ctx, r.Store, q, limit, scanBudget, func(it store.Item) (Run, bool, error) {
		run, err := store.Decode[Run](it)
		run.AccountID = account
		return run, (f.ChannelID == "" || run.ChannelID == f.ChannelID) && (f.Task == "" || run.Task == f.Task), err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	return out, next, nil
}

// LastRuns returns the latest run of each (channel, task) that has one,
// keyed by channel then task. The latest is the newer (run ids are
// time-ordered) of the task's last-run pointer and the run its lease
// names: a run that starts under the lease is named by it and writes no
// pointer, and a scheduled run not stored (yet) is recorded in the lease
// itself (see Start); one whose lease expired while it ran shows as
// interrupted.
func (r *Repo) LastRuns(ctx context.Context, account string) (map[string]map[catalog.Task]Run, error) {
	out := map[string]map[catalog.Task]Run{}
	named := map[string][]string{} // channel#task: the runs named
	inLease := map[string]Run{}    // run id: its record, kept in its lease
	var keys []string
	now := r.Now()
	for _, prefix := range []string{"LR#", "LEASE#"} {
		_, err := store.All(ctx, r.Store, store.Query{PK: store.AccountPK(account), Prefix: prefix}, 0, func(it store.Item) (bool, error) {
			p, err := store.Decode[leaseDoc](it) // a pointer is a lease without the rest
			if err != nil || p.RunID == "" {
				return err == nil, err
			}
			k := strings.TrimPrefix(it.SK, prefix)
			if p.Run != nil {
				channel, task, _ := strings.Cut(k, "#")
				run := p.run(account, channel, catalog.Task(task))
				if !run.Status.Finished() && !p.live(it, now) {
					run.Status = Interrupted
					run.Error = &RunError{Class: ClassInterrupted, Message: MsgInterrupted}
				}
				inLease[p.RunID] = run
			}
			if named[k] == nil {
				keys = append(keys, k)
			}
			named[k] = append(named[k], p.RunID)
			return true, nil
		})
		if err != nil {
			return nil, fmt.Errorf("last runs: %w", err)
		}
	}
	for _, k := range keys {
		ids := named[k]
		slices.Sort(ids)
		for _, rid := range slices.Backward(slices.Compact(ids)) {
			run, ok := inLease[rid]
			if !ok {
				var err error
				run, err = r.Get(ctx, account, rid)
				if errors.Is(err, ErrNotFound) {
					continue // expired, or its writer died before recording it
				}
				if err != nil {
					return nil, err
				}
			}
			run.AccountID = account
			if out[run.ChannelID] == nil {
				out[run.ChannelID] = map[catalog.Task]Run{}
			}
			out[run.ChannelID][run.Task] = run
			break
		}
	}
	return out, nil
}

// DeleteChannel removes the channel's last-run pointers, leases and
// checkpoints; run records age out on their own.
func (r *Repo) DeleteChannel(ctx context.Context, account, channel string) error {
	for _, prefix := range []string{"LR#", "LEASE#", "CP#", "QR#"} {
		var keys []string
		_, err := store.All(ctx, r.Store, store.Query{PK: store.AccountPK(account), Prefix: prefix + channel + "#"}, 0, func(it store.Item) (bool, error) {
			keys = append(keys, it.SK)
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("delete channel state: %w", err)
		}
		for _, k := range keys {
			if err := r.Store.Delete(ctx, store.AccountPK(account), k, store.NoCond); err != nil {
				return fmt.Errorf("delete channel state %s: %w", k, err)
			}
		}
	}
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
