// Package taskfn assembles the task function, the one executor: the runner
// over the shared part (core), and the periodic repair it is invoked for.
package taskfn

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/autosync/autosync/shared/app/core"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/connect"
	"github.com/autosync/autosync/shared/runner"
	"github.com/autosync/autosync/shared/runs"
)

// AccountCap is how many runs one account may have working at once in
// AWS, where Lambda runs every invocation at once: the cap keeps one
// account's burst from taking the account-wide concurrency (see
// runner.Runner.AccountCap). Locally the dispatcher caps instead.
const AccountCap = 8

// Deps are what the executor needs beyond the shared part.
type Deps struct {
	// Dispatch hands continuations (and runs over the cap) to an executor.
	Dispatch   runner.Dispatcher
	AccountCap int
	// QueuedFor is how long the repair's sweep lets a run stay queued
	// before closing it as never started (zero: runs.DefaultQueuedFor,
	// for Lambda, whose lost invocations it catches). The local server's
	// queue is in memory and lives as long as the process, whose death
	// RecoverAtStart handles: a run waiting in it is not lost, however
	// long the account's backlog.
	QueuedFor time.Duration
}

// Task is the assembled executor.
type Task struct {
	*core.Core
	Runner    *runner.Runner
	queuedFor time.Duration
}

// New assembles the executor on c. The runner tells c's settings which
// tasks it runs.
func New(c *core.Core, d Deps) *Task {
	t := &Task{Core: c, queuedFor: d.QueuedFor}
	// Verify needs no cart app: it checks the credentials the channel holds.
	verifier := &connect.Service{Store: c.Store, Channels: c.Channels, Settings: c.Settings, Connectors: c.Connectors, Now: c.Now, Log: c.Log}
	t.Runner = &runner.Runner{
		Runs: c.Runs, Channels: c.Channels, Orders: c.Orders, Inventory: c.Inventory, Statuses: c.Channels,
		Connectors: c.Connectors, Health: c.Settings, Dispatch: d.Dispatch,
		Repair: t.Repair, AccountCap: d.AccountCap,
		VerifyChannel: func(ctx context.Context, account, channel string) error {
			_, err := verifier.Verify(ctx, account, channel)
			if errors.Is(err, channels.ErrNotFound) {
				return nil // removed meanwhile: nothing to verify
			}
			return err
		},
		Now: c.Now, Log: c.Log,
	}
	c.Settings.Capabilities = t.Runner
	return t
}

// Repair is the periodic repair (repair_schedules in AWS, every minute
// locally): it converges the Scheduler on the schedule records and closes
// the runs that outlived their worker (runs.Repo.Sweep). Both are attempted
// whatever the other does.
func (t *Task) Repair(ctx context.Context) error {
	rep, err := t.Settings.Repair(ctx)
	t.Log.InfoContext(ctx, "schedule repair", "applied", rep.Applied, "restored", rep.Restored, "orphans_deleted", rep.Orphans, "failed", rep.Failed)
	sw, serr := t.Runs.Sweep(ctx, runs.SweepOptions{QueuedFor: t.queuedFor})
	t.Log.InfoContext(ctx, "stale run sweep", "interrupted", sw.Interrupted, "expired", sw.Expired, "dropped", sw.Dropped, "live", sw.Live)
	if err := errors.Join(err, serr); err != nil {
		t.Log.ErrorContext(ctx, "repair failed; Lambda retries it", "err", err)
		return err
	}
	return nil
}

// Result is what the task function returns to its invoker.
type Result struct {
	RunID  string `json:"run_id,omitempty"`
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Handle is the task function's Lambda handler. A malformed input is
// answered, not returned as an error: Lambda would retry it for nothing.
// Store or dispatch failures are returned so Lambda retries the event.
func (t *Task) Handle(ctx context.Context, raw json.RawMessage) (Result, error) {
	in, err := runs.ParseInput(raw)
	if err != nil {
		t.Log.ErrorContext(ctx, "invalid executor input", "err", err)
		return Result{Error: "invalid input: " + err.Error()}, nil
	}
	run, err := t.Runner.Handle(ctx, in)
	if err != nil {
		// Lambda logs only the bare error: this line says whose it was.
		t.Log.ErrorContext(ctx, "invocation failed; Lambda retries it", "account", in.AccountID, "channel", in.ChannelID,
			"task", string(in.Task), "trigger", string(in.Trigger), "action", string(in.Action), "run", cmp.Or(run.ID, in.RunID), "err", err)
		return Result{}, err
	}
	return Result{RunID: run.ID, Status: string(run.Status)}, nil
}
