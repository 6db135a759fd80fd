// Package app assembles the whole of Autosync in one process: the local
// stack (shared/devserver) and the tests that drive every path at once.
// Each Lambda function assembles only its own part instead (apifn,
// webhookfn, taskfn over core); this package composes those same parts, so
// the local stack runs the code the functions run.
package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/autosync/autosync/shared/app/apifn"
	"github.com/autosync/autosync/shared/app/core"
	"github.com/autosync/autosync/shared/app/taskfn"
	"github.com/autosync/autosync/shared/app/webhookfn"
	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/connect"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/httpapi"
	"github.com/autosync/autosync/shared/runner"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/webhook"
)

// Deps are the adapters.
type Deps struct {
	Store      store.Store
	Sealer     seal.Sealer
	Scheduler  schedule.Scheduler
	Dispatch   runner.Dispatcher
	Connectors connector.Factory
	Auth       auth.Authenticator
	Log        *slog.Logger
	Now        func() time.Time
	UI         http.Handler
	// WebhookBaseURL is the public base URL carts post webhooks to (and
	// call back after an authorization).
	WebhookBaseURL string
	// Apps are the carts' app credentials for connecting channels.
	Apps connect.Apps
	// HTTPClient makes the carts' token exchanges (nil: a default client).
	HTTPClient *http.Client
}

// App is the assembled service: the three functions' parts over one
// shared core. The executor (taskfn.Task) brings the core's repositories
// and settings (Channels, Runs, Orders, Inventory, Settings), the Runner
// and Repair.
type App struct {
	*taskfn.Task
	API      *httpapi.API
	Webhooks *webhook.Receiver
}

// TaskResult is what the task function returns to its invoker.
type TaskResult = taskfn.Result

// New assembles the service.
func New(d Deps) *App {
	c := core.New(core.Deps{
		Store: d.Store, Sealer: d.Sealer, Scheduler: d.Scheduler, Connectors: d.Connectors,
		WebhookBaseURL: d.WebhookBaseURL, Log: d.Log, Now: d.Now,
	})
	return &App{
		// The local dispatcher's queue holds a run until it starts or the
		// process ends (RecoverAtStart): a day is only a backstop.
		Task: taskfn.New(c, taskfn.Deps{Dispatch: d.Dispatch, QueuedFor: 24 * time.Hour}),
		API: apifn.New(c, apifn.Deps{Auth: d.Auth, Dispatch: d.Dispatch, UI: d.UI,
			Apps: d.Apps, BaseURL: d.WebhookBaseURL, HTTPClient: d.HTTPClient}),
		Webhooks: webhookfn.New(webhookfn.Deps{
			Store: d.Store, Sealer: d.Sealer, Dispatch: d.Dispatch, Log: c.Log, Now: c.Now,
		}),
	}
}

// RecoverAtStart closes every run a previous process left running or
// queued. Only for a process that owns its store alone (the local server,
// whose bbolt file is locked): no run of another worker can be alive.
func (a *App) RecoverAtStart(ctx context.Context) (runs.SweepReport, error) {
	return a.Runs.Sweep(ctx, runs.SweepOptions{DeadBefore: a.Runs.Now(), Limit: 100000})
}

// TaskHandler is the task function's handler (taskfn.Task.Handle).
func (a *App) TaskHandler(ctx context.Context, raw json.RawMessage) (TaskResult, error) {
	return a.Handle(ctx, raw)
}

// WebhookHandler serves POST /webhooks/{cart}/{channel_id}.
func (a *App) WebhookHandler() http.Handler { return a.Webhooks.Handler() }
