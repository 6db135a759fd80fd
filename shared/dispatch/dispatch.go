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

// Local runs inputs in-process, at most Workers at once, each with a
// Lambda-like Timeout so continuations happen locally as they do in AWS.
type Local struct {
	handle  Handler
	timeout time.Duration
	log     *slog.Logger
	sem     chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	ctx     context.Context
	closed  bool
}

// NewLocal starts a local dispatcher bound to ctx: when it ends, pending work stops.
func NewLocal(ctx context.Context, h Handler, workers int, timeout time.Duration, log *slog.Logger) *Local {
	return &Local{handle: h, timeout: timeout, log: log, sem: make(chan struct{}, workers), ctx: ctx}
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("dispatcher closed")

// Dispatch starts the input in the background.
func (l *Local) Dispatch(_ context.Context, in runs.Input) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		select {
		case l.sem <- struct{}{}:
		case <-l.ctx.Done():
			return
		}
		defer func() { <-l.sem }()
		ctx, cancel := context.WithTimeout(l.ctx, l.timeout)
		defer cancel()
		if err := l.handle(ctx, in); err != nil {
			l.log.ErrorContext(ctx, "executor invocation failed", "account", in.AccountID,
				"channel", in.ChannelID, "task", in.Task, "run_id", in.RunID, "err", err)
		}
	}()
	return nil
}

// Close stops taking work and waits for what is running.
func (l *Local) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.wg.Wait()
}
