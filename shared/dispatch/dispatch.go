// Package dispatch hands executor inputs to a new executor invocation:
// an asynchronous Lambda invoke in AWS, a bounded pool of goroutines locally.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/runs"
)

// LambdaAPI queues an asynchronous invocation (awsapi.Client).
type LambdaAPI interface {
	InvokeAsync(ctx context.Context, function string, payload []byte) error
}

// Lambda invokes the task function asynchronously (InvocationType Event):
// Lambda queues the event and retries it, so the caller answers at once.
type Lambda struct {
	API      LambdaAPI
	Function string
}

// Dispatch queues one invocation.
func (l Lambda) Dispatch(ctx context.Context, in runs.Input) error {
	if err := l.API.InvokeAsync(ctx, l.Function, in.JSON()); err != nil {
		return fmt.Errorf("dispatch %s run: %w", in.Task, err)
	}
	return nil
}

// Handler runs one executor input.
type Handler func(ctx context.Context, in runs.Input) error

// Local runs inputs in-process on Workers goroutines, each with a
// Lambda-like Timeout so continuations happen locally as they do in AWS.
// Work waits in one queue per account, and the workers serve the accounts
// in turn, each account at most PerAccount runs at once: one account's
// thousands of queued runs delay another account's run by at most the
// runs already working, never by its backlog.
type Local struct {
	handle     Handler
	timeout    time.Duration
	log        *slog.Logger
	ctx        context.Context
	perAccount int

	mu      sync.Mutex
	wake    *sync.Cond
	queues  map[string][]runs.Input
	turn    []string // accounts with queued work, next served first
	running map[string]int
	closed  bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

// NewLocal starts a local dispatcher bound to ctx: when it ends, pending
// work is dropped (the sweep closes its queued runs). An account may use
// all workers but one, so another account's run always finds one free.
func NewLocal(ctx context.Context, h Handler, workers int, timeout time.Duration, log *slog.Logger) *Local {
	return NewLocalCapped(ctx, h, workers, max(workers-1, 1), timeout, log)
}

// NewLocalCapped is NewLocal with an explicit per-account cap.
func NewLocalCapped(ctx context.Context, h Handler, workers, perAccount int, timeout time.Duration, log *slog.Logger) *Local {
	l := &Local{handle: h, timeout: timeout, log: log, ctx: ctx, perAccount: max(perAccount, 1),
		queues: map[string][]runs.Input{}, running: map[string]int{}, stop: make(chan struct{})}
	l.wake = sync.NewCond(&l.mu)
	for i := 0; i < max(workers, 1); i++ {
		l.wg.Add(1)
		go l.work()
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-l.stop:
		}
		l.mu.Lock()
		l.wake.Broadcast()
		l.mu.Unlock()
	}()
	return l
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("dispatcher closed")

// Dispatch queues the input behind its account's earlier ones.
func (l *Local) Dispatch(_ context.Context, in runs.Input) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if len(l.queues[in.AccountID]) == 0 {
		l.turn = append(l.turn, in.AccountID)
	}
	l.queues[in.AccountID] = append(l.queues[in.AccountID], in)
	l.wake.Signal()
	return nil
}

// Queued is how many inputs wait for a worker.
func (l *Local) Queued() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, q := range l.queues {
		n += len(q)
	}
	return n
}

// next takes the first input of the first account in turn that is under
// its cap, and sends that account to the back of the turn. Called locked.
func (l *Local) next() (runs.Input, bool) {
	for i, acct := range l.turn {
		if l.running[acct] >= l.perAccount {
			continue
		}
		q := l.queues[acct]
		in := q[0]
		l.turn = append(l.turn[:i:i], l.turn[i+1:]...)
		if len(q) == 1 {
			delete(l.queues, acct)
		} else {
			l.queues[acct] = q[1:]
			l.turn = append(l.turn, acct)
		}
		l.running[acct]++
		return in, true
	}
	return runs.Input{}, false
}

func (l *Local) work() {
	defer l.wg.Done()
	for {
		l.mu.Lock()
		var in runs.Input
		for {
			if l.ctx.Err() != nil {
				l.mu.Unlock()
				return
			}
			var ok bool
			if in, ok = l.next(); ok {
				break
			}
			if l.closed && len(l.turn) == 0 {
				l.mu.Unlock()
				return
			}
			l.wake.Wait()
		}
		l.mu.Unlock()
		l.run(in)
		l.mu.Lock()
		if l.running[in.AccountID]--; l.running[in.AccountID] == 0 {
			delete(l.running, in.AccountID)
		}
		l.wake.Broadcast() // the account may be under its cap again
		l.mu.Unlock()
	}
}

func (l *Local) run(in runs.Input) {
	ctx, cancel := context.WithTimeout(l.ctx, l.timeout)
	defer cancel()
	if err := l.handle(ctx, in); err != nil {
		l.log.ErrorContext(ctx, "executor invocation failed", "account", in.AccountID,
			"channel", in.ChannelID, "task", in.Task, "run_id", in.RunID, "err", err)
	}
}

// Close stops taking work, lets the workers finish what is queued (unless
// ctx has ended) and waits for them.
func (l *Local) Close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.stop)
	}
	l.wake.Broadcast()
	l.mu.Unlock()
	l.wg.Wait()
}
