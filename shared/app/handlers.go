package app

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/autosync/autosync/shared/runs"
)

// TaskResult is what the task function returns to its invoker.
type TaskResult struct {
	RunID  string `json:"run_id,omitempty"`
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// TaskHandler is the task function's Lambda handler. A malformed input is
// answered, not returned as an error: Lambda would retry it for nothing.
// Store or dispatch failures are returned so Lambda retries the event.
func (a *App) TaskHandler(ctx context.Context, raw json.RawMessage) (TaskResult, error) {
	in, err := runs.ParseInput(raw)
	if err != nil {
		a.Runner.Log.ErrorContext(ctx, "invalid executor input", "err", err)
		return TaskResult{Error: "invalid input: " + err.Error()}, nil
	}
	run, err := a.Runner.Handle(ctx, in)
	if err != nil {
		return TaskResult{}, err
	}
	return TaskResult{RunID: run.ID, Status: string(run.Status)}, nil
}

// WebhookHandler serves POST /webhooks/{cart}/{channel_id}.
func (a *App) WebhookHandler() http.Handler { return a.Webhooks.Handler() }
