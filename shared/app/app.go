// Package app assembles Autosync's use cases from their adapters. The same
// assembly serves the three Lambda functions and the one-process local
// stack; only the adapters handed in differ.
package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/httpapi"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runner"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/settings"
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
	// WebhookBaseURL is the public base URL carts post webhooks to.
	WebhookBaseURL string
}

// App is the assembled service.
type App struct {
	Channels  *channels.Repo
	Runs      *runs.Repo
	Orders    *orders.Repo
	Inventory *inventory.Repo
	Settings  *settings.Service
	Runner    *runner.Runner
	API       *httpapi.API
	Webhooks  *webhook.Receiver
	log       *slog.Logger
}

// Repair is the periodic repair (repair_schedules in AWS, every minute
// locally): it converges the Scheduler on the schedule records and closes
// the runs that outlived their worker (runs.Repo.Sweep). Both are attempted
// whatever the other does.
func (a *App) Repair(ctx context.Context) error {
	rep, err := a.Settings.Repair(ctx)
	a.log.InfoContext(ctx, "schedule repair", "applied", rep.Applied, "restored", rep.Restored, "orphans_deleted", rep.Orphans, "failed", rep.Failed)
	sw, serr := a.Runs.Sweep(ctx, runs.SweepOptions{})
	a.log.InfoContext(ctx, "stale run sweep", "interrupted", sw.Interrupted, "expired", sw.Expired, "dropped", sw.Dropped, "live", sw.Live)
	return errors.Join(err, serr)
}

// RecoverAtStart closes every run a previous process left running or
// queued. Only for a process that owns its store alone (the local server,
// whose bbolt file is locked): no run of another worker can be alive.
func (a *App) RecoverAtStart(ctx context.Context) (runs.SweepReport, error) {
	return a.Runs.Sweep(ctx, runs.SweepOptions{DeadBefore: a.Runs.Now(), Limit: 100000})
}

// New assembles the service.
func New(d Deps) *App {
	if d.Now == nil {
		d.Now = time.Now
	}
	a := &App{
		Channels:  &channels.Repo{Store: d.Store, Sealer: d.Sealer, Now: d.Now},
		Runs:      &runs.Repo{Store: d.Store, Now: d.Now},
		Inventory: &inventory.Repo{Store: d.Store, Now: d.Now},
	}
	a.Orders = &orders.Repo{Store: d.Store, Now: d.Now, Stock: a.Inventory}
	d.Connectors.SaveCredentials = a.Channels.MergeCredentials
	a.Settings = &settings.Service{Store: d.Store, Channels: a.Channels, Runs: a.Runs, Scheduler: d.Scheduler, Now: d.Now, Log: d.Log}
	a.Runner = &runner.Runner{
		Runs: a.Runs, Channels: a.Channels, Orders: a.Orders, Inventory: a.Inventory, Statuses: a.Channels,
		Connectors: d.Connectors, Health: a.Settings, Dispatch: d.Dispatch,
		Repair: a.Repair,
		Now:    d.Now, Log: d.Log,
	}
	a.Settings.Capabilities = a.Runner
	a.Settings.Subscribers, a.Settings.WebhookBaseURL = d.Connectors, d.WebhookBaseURL
	a.Webhooks = &webhook.Receiver{Channels: a.Channels, Store: d.Store, Settings: a.Settings, Dispatch: d.Dispatch, Now: d.Now, Log: d.Log}
	a.log = d.Log
	a.API = &httpapi.API{
		Auth: d.Auth, Settings: a.Settings, Channels: a.Channels, Runs: a.Runs, Orders: a.Orders,
		Inventory: a.Inventory, Connectors: d.Connectors, Dispatch: d.Dispatch, Log: d.Log, UI: d.UI,
	}
	return a
}
