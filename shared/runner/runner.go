// Package runner is the task executor: every schedule firing, manual run,
// webhook and continuation comes through Handle. It takes the task's lease,
// loads its checkpoint, runs the task page by page committing progress fenced
// by the lease, and records the run. A run that would outlive its invocation
// saves its place and continues in a new one; it never starts over.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/clock"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runs"
)

// Dispatcher hands an input to another executor invocation
// (an asynchronous Lambda invoke in AWS, a goroutine locally).
type Dispatcher interface {
	Dispatch(ctx context.Context, in runs.Input) error
}

// Connectors builds a channel's cart connector; each task asserts the
// capability it needs of it (connect).
type Connectors interface {
	Connector(ch channels.Channel, creds cart.Credentials) (cart.Connector, error)
}

// OrderStatuses gives a channel's order statuses as support set them (nil: the cart's default).
type OrderStatuses interface {
	OrderStatuses(ctx context.Context, account, channel string) ([]string, error)
}

// ChannelHealth is told when a channel's credentials stop working: refused
// (the channel pauses until re-authorized) or revoked at the cart (the app
// was removed; the channel is disconnected).
type ChannelHealth interface {
	NeedsReauth(ctx context.Context, account, channel, reason string) error
	Disconnect(ctx context.Context, account, channel, reason string) error
}

// Runner executes tasks.
type Runner struct {
	defaults sync.Once

	Runs       *runs.Repo
	Channels   *channels.Repo
	Orders     *orders.Repo
	Inventory  *inventory.Repo
	Statuses   OrderStatuses
	Connectors Connectors
	Health     ChannelHealth
	Dispatch   Dispatcher
	Repair     func(ctx context.Context) error
	// VerifyChannel asks a channel's cart whether it still holds
	// Autosync's authorization and records the answer (connect.Verify).
	VerifyChannel func(ctx context.Context, account, channel string) error
	Now           func() time.Time
	Log           *slog.Logger

	// LeaseTTL is how long a lease lives without a renewal; a crashed
	// run's task is free again after it. Commits and a heartbeat every
	// LeaseTTL/3 renew it while the run works.
	LeaseTTL time.Duration
	// Ticker makes the heartbeat's ticks (time.NewTicker when nil; tests
	// tick by hand).
	Ticker func(d time.Duration) (ticks <-chan time.Time, stop func())
	// AccountCap bounds the runs one account has working at once (0: no
	// cap). A run over it stays queued and is dispatched again after
	// CapDelay, so one account's burst cannot hold every worker. Locally
	// the dispatcher enforces the cap instead (dispatch.Local).
	AccountCap int
	// CapDelay is how long a run over the cap waits before it is
	// dispatched again; Sleep waits (clock.Sleep when nil).
	CapDelay time.Duration
	Sleep    func(ctx context.Context, d time.Duration) error
	// CommitEvery is how much work a pass does between checkpoint
	// commits (besides the one at its end and at a hand-over): what a run
	// resumed after a crash may redo. Commits are fenced transactions of
	// three items; the heartbeat keeps the lease in between.
	CommitEvery time.Duration
	// Reserve is how long before the invocation's deadline a run stops
	// taking pages and hands over to a continuation.
	Reserve time.Duration
	// FirstLookback bounds how far back the first import of a channel reads.
	FirstLookback time.Duration
	// Overlap re-reads the end of the previous window, for carts whose
	// updated_at index lags their writes.
	Overlap time.Duration
	// Implemented overrides which (cart, task) pairs run (tests); nil
	// means what the carts' drivers offer.
	Implemented map[catalog.Cart]map[catalog.Task]bool
}

// Defaults for the tunables.
const (
	DefaultLeaseTTL      = time.Minute
	DefaultCapDelay      = 10 * time.Second
	DefaultReserve       = 20 * time.Second
	DefaultCommitEvery   = 20 * time.Second
	DefaultFirstLookback = 30 * 24 * time.Hour
	DefaultOverlap       = 5 * time.Minute
)

// setDefaults fills the tunables left zero, once: Handle runs concurrently.
func (r *Runner) setDefaults() { r.defaults.Do(r.fillDefaults) }

func (r *Runner) fillDefaults() {
	if r.LeaseTTL == 0 {
		r.LeaseTTL = DefaultLeaseTTL
	}
	if r.Reserve == 0 {
		r.Reserve = DefaultReserve
	}
	if r.CommitEvery == 0 {
		r.CommitEvery = DefaultCommitEvery
	}
	if r.FirstLookback == 0 {
		r.FirstLookback = DefaultFirstLookback
	}
	if r.Overlap == 0 {
		r.Overlap = DefaultOverlap
	}
	if r.Ticker == nil {
		r.Ticker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	if r.CapDelay == 0 {
		r.CapDelay = DefaultCapDelay
	}
	if r.Sleep == nil {
		r.Sleep = clock.Sleep
	}
}

// errRunFinished means an input named a run that has already ended.
var errRunFinished = errors.New("run already finished")

// errContinue means the run stopped for its deadline with its place saved.
var errContinue = errors.New("continue in a new invocation")

// Handle runs one executor input and returns the run it recorded (zero for
// a repair). An error is returned only when the input itself could not be
// processed (bad input, store down): task failures are recorded on the run.
func (r *Runner) Handle(ctx context.Context, in runs.Input) (runs.Run, error) {
	r.setDefaults()
	if err := in.Validate(); err != nil {
		return runs.Run{}, err
	}
	if in.Action == runs.ActionRepairSchedules {
		if r.Repair == nil {
			return runs.Run{}, errors.New("schedule repair is not wired")
		}
		return runs.Run{}, r.Repair(ctx)
	}
	if in.Action == runs.ActionVerifyChannel {
		if r.VerifyChannel == nil {
			return runs.Run{}, errors.New("channel verification is not wired")
		}
		return runs.Run{}, r.VerifyChannel(ctx, in.AccountID, in.ChannelID)
	}
	log := r.Log.With("account", in.AccountID, "channel", in.ChannelID, "task", in.Task, "trigger", in.Trigger)

	run, err := r.startRun(ctx, in)
	if errors.Is(err, errRunFinished) {
		// E.g. a queued run the sweep closed as never started, whose
		// invocation arrives late: nothing to do, and nothing to retry.
		log.InfoContext(ctx, "run already finished; nothing to do", "run_id", in.RunID, "status", run.Status)
		return run, nil
	}
	if err != nil {
		return runs.Run{}, err
	}
	log = log.With("run_id", run.ID)
	// A run the input names is stored; a new one is stored as it starts,
	// in as few writes as its path needs.
	stored := in.RunID != ""
	if in.Trigger == runs.Webhook {
		now := r.Now().UTC()
		run.Status, run.StartedAt, run.Invocations = runs.Running, &now, 1
		if err := r.Runs.Create(ctx, run); err != nil {
			return runs.Run{}, err
		}
		return r.instasync(ctx, log, run, in)
	}

	if over, err := r.overCap(ctx, log, &run, stored, in); over || err != nil {
		return run, err
	}
	run.Note = "" // why it waited no longer applies

	var lease runs.Lease
	switch {
	case in.Trigger == runs.Continuation:
		lease, err = r.Runs.Acquire(ctx, in.AccountID, in.ChannelID, in.Task, run.ID, r.LeaseTTL)
	case stored:
		lease, err = r.Runs.AcquireFirst(ctx, in.AccountID, in.ChannelID, in.Task, run.ID, r.LeaseTTL)
	default:
		run, lease, err = r.Runs.Start(ctx, run, r.LeaseTTL)
	}
	var busy *runs.BusyError
	if errors.As(err, &busy) && stored && busy.Holder == run.ID {
		// The run itself holds the task: this is a second delivery of its
		// invocation (Lambda delivers asynchronous events at least once).
		// The working invocation owns the record; marking it skipped here
		// could even land after it finished and bury its result.
		log.InfoContext(ctx, "duplicate invocation of a working run; nothing to do")
		return run, nil
	}
	if errors.As(err, &busy) {
		now := r.Now().UTC()
		run.Status, run.SkipReason = runs.Skipped, runs.SkipAlreadyRunning
		run.StartedAt, run.FinishedAt = &now, &now
		log.InfoContext(ctx, "run skipped: task already running", "holder", busy.Holder)
		if !stored {
			return run, r.Runs.Create(ctx, run)
		}
		return run, r.Runs.Save(ctx, run)
	}
	if err != nil {
		return r.fail(ctx, log, run, runs.ClassInternal, "Autosync could not start this run; it will be retried.", err)
	}
	if stored {
		if run.StartedAt == nil {
			now := r.Now().UTC()
			run.StartedAt = &now
		}
		run.Status = runs.Running
		run.Invocations++
		if err := r.Runs.Save(ctx, run); err != nil {
			return run, fmt.Errorf("mark run running: %w", err)
		}
	}

	// Stop taking pages Reserve before the invocation's deadline.
	workCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		workCtx, cancel = context.WithDeadline(ctx, dl.Add(-r.Reserve))
		defer cancel()
	}
	// The heartbeat keeps the short lease while the run works; losing it
	// stops the work (and fencing refuses any write already under way).
	keeper := r.Runs.Keep(lease, r.LeaseTTL)
	workCtx, stopWork := context.WithCancelCause(workCtx)
	defer stopWork(nil)
	hbCtx, stopHB := context.WithCancel(ctx)
	ticks, stopTicks := r.Ticker(max(r.LeaseTTL/3, time.Millisecond))
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		keeper.Heartbeat(hbCtx, ticks, func() { stopWork(runs.ErrLeaseLost) })
	}()

	exec := &execution{Runner: r, log: log, run: run, keeper: keeper, in: in}
	err = exec.do(workCtx)
	stopHB()
	<-hbDone
	stopTicks()
	run = exec.run
	if keeper.Lost() {
		err = runs.ErrLeaseLost
	}
	switch {
	case errors.Is(err, errContinue):
		next := runs.Input{AccountID: in.AccountID, ChannelID: in.ChannelID, Task: in.Task,
			Trigger: runs.Continuation, RunID: run.ID}
		// The continuation loads the run: a scheduled run not stored yet
		// (it stopped before its first commit) is stored now.
		derr := keeper.Record(context.WithoutCancel(ctx), run)
		if derr == nil {
			derr = r.Dispatch.Dispatch(ctx, next)
		}
		if derr != nil {
			// The checkpoint is saved: the next trigger resumes from it.
			return r.failHeld(ctx, log, keeper, run, runs.ClassInternal,
				"This run could not continue; the next run picks up where it stopped.", derr)
		}
		log.InfoContext(ctx, "run continues in a new invocation", "done", run.Progress.Done)
		return run, nil
	case errors.Is(err, runs.ErrLeaseLost):
		// Another run (or the sweep) owns the task now and closed this
		// run, or will; the work carries on from our last commit.
		log.WarnContext(ctx, "run lost its lease", "err", err)
		if _, ierr := r.Runs.InterruptUnstored(context.WithoutCancel(ctx), run, runs.MsgTakenOver); ierr != nil {
			return run, fmt.Errorf("record interrupted run: %w", ierr)
		}
		return r.Runs.Get(context.WithoutCancel(ctx), in.AccountID, run.ID)
	case err != nil:
		class, msg := classify(err)
		r.credentialsRefused(ctx, log, in, err, msg, exec.creds)
		return r.failHeld(ctx, log, keeper, run, class, msg, err)
	}
	now := r.Now().UTC()
	run.FinishedAt = &now
	run.Status = runs.Succeeded
	if run.Counts.Failed > 0 {
		run.Status = runs.Partial
	}
	// A run that found nothing is most runs: its record (the task's last
	// run) is enough, and a line each would be most of the log bill.
	level := slog.LevelInfo
	if run.Quiet() {
		level = slog.LevelDebug
	}
	log.Log(ctx, level, "run finished", "status", run.Status, "fetched", run.Counts.Fetched,
		"created", run.Counts.Created, "updated", run.Counts.Updated, "unchanged", run.Counts.Unchanged,
		"skipped", run.Counts.Skipped, "failed", run.Counts.Failed, "duration", run.Duration(now).String())
	return run, keeper.Finish(ctx, run)
}

// startRun loads the run an input names, or builds a new one (not yet
// stored: Handle stores it on the way it takes).
func (r *Runner) startRun(ctx context.Context, in runs.Input) (runs.Run, error) {
	if in.RunID != "" {
		run, err := r.Runs.Get(ctx, in.AccountID, in.RunID)
		if err != nil {
			return runs.Run{}, fmt.Errorf("load run %s: %w", in.RunID, err)
		}
		if run.ChannelID != in.ChannelID || run.Task != in.Task {
			return runs.Run{}, fmt.Errorf("run %s is for another task", in.RunID)
		}
		if run.Status.Finished() {
			return run, fmt.Errorf("run %s already %s: %w", in.RunID, run.Status, errRunFinished)
		}
		return run, nil
	}
	return r.Runs.NewRun(in.AccountID, in.ChannelID, in.Task, in.Trigger, runs.Queued), nil
}

// fail records the run as failed and returns it as recorded.
func (r *Runner) fail(ctx context.Context, log *slog.Logger, run runs.Run, class runs.ErrorClass, msg string, cause error) (runs.Run, error) {
	return r.failHeld(ctx, log, nil, run, class, msg, cause)
}

// failHeld is fail for a run holding its lease in k, which it gives up.
func (r *Runner) failHeld(ctx context.Context, log *slog.Logger, k *runs.Keeper, run runs.Run, class runs.ErrorClass, msg string, cause error) (runs.Run, error) {
	now := r.Now().UTC()
	run.Status = runs.Failed
	run.FinishedAt = &now
	run.Error = &runs.RunError{Class: class, Message: msg}
	log.ErrorContext(ctx, "run failed", "class", class, "err", cause)
	save := r.Runs.Save
	if k != nil {
		save = k.Finish
	}
	if err := save(context.WithoutCancel(ctx), run); err != nil {
		return run, fmt.Errorf("record failed run: %w", err)
	}
	return run, nil
}

// credentialsRefused tells Health about a run the cart refused: a revoked
// authorization disconnects the channel, refused credentials pause it.
//
// used are the credentials the refused requests carried. When the stored
// ones differ by now, the channel was re-authorized (or its token renewed)
// while the run worked: the refusal is of credentials no longer in use,
// and marking the channel would pause the one the merchant just put right.
// The next run, with the new credentials, finds out for itself.
func (r *Runner) credentialsRefused(ctx context.Context, log *slog.Logger, in runs.Input, err error, msg string, used cart.Credentials) {
	if r.Health == nil || !errors.Is(err, cart.ErrAuth) {
		return
	}
	if used != nil {
		now, cerr := r.Channels.Credentials(ctx, in.AccountID, in.ChannelID)
		if cerr == nil && !maps.Equal(now, used) {
			log.InfoContext(ctx, "credentials refused, but the channel's changed since the run read them; channel not marked")
			return
		}
	}
	mark, status := r.Health.NeedsReauth, channels.NeedsReauth
	if errors.Is(err, cart.ErrRevoked) {
		mark, status = r.Health.Disconnect, channels.Disconnected
	}
	if herr := mark(ctx, in.AccountID, in.ChannelID, msg); herr != nil {
		log.ErrorContext(ctx, "could not mark the channel", "status", status, "err", herr)
	}
}

// classify maps a task error to its class and a merchant-safe message.
func classify(err error) (runs.ErrorClass, string) {
	var ce *cart.Error
	var rl *cart.RateLimitedError
	switch {
	case errors.Is(err, cart.ErrRevoked):
		return runs.ClassAuth, "The cart no longer holds Autosync's authorization: the app was removed or its access revoked. Re-authorize the channel to connect it again."
	case errors.Is(err, cart.ErrAuth) && errors.As(err, &ce) && ce.Message != "":
		// The cart's reason may say what to fix (a read-only key).
		msg := "The cart refused this channel's credentials: " + ce.Message
		if msg[len(msg)-1] != '.' {
			msg += "."
		}
		return runs.ClassAuth, msg + " Re-authorize the channel to resume its tasks."
	case errors.Is(err, cart.ErrAuth):
		return runs.ClassAuth, "The cart refused this channel's credentials. Re-authorize the channel to resume its tasks."
	case errors.As(err, &rl):
		return runs.ClassRateLimited, "The cart kept rate-limiting requests; the next run continues where this one stopped."
	case errors.As(err, &ce):
		msg := ce.Message
		if msg == "" {
			msg = "The cart returned an error."
		}
		if ce.Temporary {
			msg += " The next run will try again."
		}
		return runs.ClassCart, msg
	case errors.Is(err, errUnsupported):
		return runs.ClassCart, "This task is not available for this channel."
	}
	return runs.ClassInternal, "Autosync hit an internal error; the next run will try again."
}

var errUnsupported = errors.New("task not supported for channel")

// Supports reports whether the executor can run task for cart: what the
// cart's driver offers (a driver offers only what its connector does),
// unless Implemented narrows it.
func (r *Runner) Supports(c catalog.Cart, t catalog.Task) bool {
	if r.Implemented != nil {
		return r.Implemented[c][t]
	}
	return carts.Offered(c, t).Available()
}

// execution is one invocation's work on a run.
type execution struct {
	*Runner
	log    *slog.Logger
	run    runs.Run
	keeper *runs.Keeper
	in     runs.Input
	// creds are the channel's credentials as the run read them.
	creds cart.Credentials
}

func (e *execution) do(ctx context.Context) error {
	ch, err := e.Channels.Get(ctx, e.in.AccountID, e.in.ChannelID)
	if err != nil {
		return fmt.Errorf("load channel: %w", err)
	}
	if av := carts.Offered(ch.Type, e.in.Task); !av.Available() || !e.Supports(ch.Type, e.in.Task) {
		return errUnsupported
	}
	creds, err := e.Channels.Credentials(ctx, e.in.AccountID, e.in.ChannelID)
	if err != nil {
		return err
	}
	e.creds = creds
	switch e.in.Task {
	case catalog.ImportOrders:
		src, err := connect[cart.OrderSource](e.Runner, ch, creds)
		if err != nil {
			return err
		}
		statuses, err := e.orderStatuses(ctx, e.in.AccountID, e.in.ChannelID)
		if err != nil {
			return err
		}
		return e.importOrders(ctx, src, statuses)
	case catalog.ImportProducts, catalog.ImportProductImages:
		src, err := connect[cart.ListingSource](e.Runner, ch, creds)
		if err != nil {
			return err
		}
		if e.in.Task == catalog.ImportProducts {
			return e.importProducts(ctx, src)
		}
		return e.importImages(ctx, src)
	case catalog.WriteInventory:
		w, err := connect[cart.StockWriter](e.Runner, ch, creds)
		if err != nil {
			return err
		}
		return e.writeInventory(ctx, w)
	case catalog.ImportFBAInventory:
		src, err := connect[cart.FBAInventorySource](e.Runner, ch, creds)
		if err != nil {
			return err
		}
		return e.importFBAInventory(ctx, ch, src)
	case catalog.ImportFBAOrders:
		src, err := connect[cart.FBAOrderSource](e.Runner, ch, creds)
		if err != nil {
			return err
		}
		return e.importFBAOrders(ctx, src)
	}
	return errUnsupported
}

// orderStatuses are the cart statuses a channel's orders are imported
// in, as support set them; nil means the cart's defaults.
func (r *Runner) orderStatuses(ctx context.Context, account, channel string) ([]string, error) {
	if r.Statuses == nil {
		return nil, nil
	}
	statuses, err := r.Statuses.OrderStatuses(ctx, account, channel)
	if err != nil {
		return nil, fmt.Errorf("load the channel's order statuses: %w", err)
	}
	return statuses, nil
}

// connect builds the channel's connector as T, the capability a task
// needs; a channel that cannot give it is errUnsupported.
func connect[T any](r *Runner, ch channels.Channel, creds cart.Credentials) (T, error) {
	var zero T
	c, err := r.Connectors.Connector(ch, creds)
	if err != nil {
		return zero, fmt.Errorf("%w: %w", errUnsupported, err)
	}
	t, ok := c.(T)
	if !ok {
		return zero, fmt.Errorf("%w: %s does not offer it", errUnsupported, ch.Type)
	}
	return t, nil
}

// commit saves the checkpoint and the run, fenced by the lease.
func (e *execution) commit(ctx context.Context, cp runs.Checkpoint) error {
	return e.keeper.Commit(context.WithoutCancel(ctx), cp, e.run)
}

// overCap reports whether the account already has AccountCap runs
// working; if so the run stays queued (stored now if it was not) and is
// dispatched again after CapDelay (the wait spaces the retries; Lambda's
// async queue holds it). The stored run says why it waits, and its
// re-queues are recorded on it every few minutes (runs.MarkWaiting) so the
// sweep does not close a run that waits as one that never started.
func (r *Runner) overCap(ctx context.Context, log *slog.Logger, run *runs.Run, stored bool, in runs.Input) (bool, error) {
	if r.AccountCap <= 0 || in.Trigger == runs.Continuation {
		return false, nil
	}
	n, err := r.Runs.InFlight(ctx, in.AccountID, in.ChannelID, in.Task)
	if err != nil || n < r.AccountCap {
		return false, err
	}
	log.InfoContext(ctx, "account at its cap of runs in flight; run stays queued", "in_flight", n, "cap", r.AccountCap)
	note := capNote(r.AccountCap)
	if !stored {
		run.Note = note
		if err := r.Runs.Create(ctx, *run); err != nil {
			return true, err
		}
	} else {
		marked, err := r.Runs.MarkWaiting(ctx, *run, note)
		switch {
		case err != nil:
			// The re-queue matters more than its mark: the next
			// re-queue marks it again.
			log.WarnContext(ctx, "could not mark the run waiting at the cap", "err", err)
		case marked.Status != runs.Queued:
			// Another invocation started it, or it was closed, meanwhile.
			*run = marked
			log.InfoContext(ctx, "run left the queue meanwhile; not re-queued", "status", marked.Status)
			return true, nil
		default:
			*run = marked
		}
	}
	if err := r.Sleep(ctx, r.CapDelay); err != nil {
		return true, err
	}
	again := in
	again.RunID = run.ID
	if err := r.Dispatch.Dispatch(ctx, again); err != nil {
		return true, fmt.Errorf("requeue run over the account cap: %w", err)
	}
	return true, nil
}

// capNote tells the merchant why a run waits at the account's cap. It
// names the cap, not the count of runs in flight, so it stays the same
// from one re-queue to the next and is not rewritten each time.
func capNote(limit int) string {
	return fmt.Sprintf("Waiting for this account's other runs to finish: it runs at most %d at once.", limit)
}
