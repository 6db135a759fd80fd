// Package core builds what the api and task functions share: the
// repositories over the one store, the connector factory and the settings
// service. Each is a thin view holding no state of its own, so building
// them per cold start costs nothing; the webhook function needs none of the
// connectors or the scheduler and builds its two pieces itself
// (webhookfn).
package core

import (
	"log/slog"
	"time"

	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/settings"
	"github.com/autosync/autosync/shared/store"
)

// Deps are the adapters the shared pieces are built on.
type Deps struct {
	Store      store.Store
	Sealer     seal.Sealer
	Scheduler  schedule.Scheduler
	Connectors connector.Factory
	// Capabilities says which tasks the executor runs (nil: whatever the
	// catalog offers).
	Capabilities settings.Capabilities
	// WebhookBaseURL is the public base URL carts post webhooks to.
	WebhookBaseURL string
	Log            *slog.Logger
	Now            func() time.Time
}

// Core is the assembled shared part.
type Core struct {
	Store      store.Store
	Channels   *channels.Repo
	Runs       *runs.Repo
	Orders     *orders.Repo
	Inventory  *inventory.Repo
	Settings   *settings.Service
	Connectors connector.Factory
	Log        *slog.Logger
	Now        func() time.Time
}

// New builds the shared part.
func New(d Deps) *Core {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	c := &Core{
		Store:     d.Store,
		Channels:  &channels.Repo{Store: d.Store, Sealer: d.Sealer, Now: d.Now},
		Runs:      &runs.Repo{Store: d.Store, Now: d.Now},
		Inventory: &inventory.Repo{Store: d.Store, Now: d.Now},
		Log:       d.Log,
		Now:       d.Now,
	}
	c.Orders = &orders.Repo{Store: d.Store, Now: d.Now, Stock: c.Inventory}
	// Credentials a connector renews (Etsy's rotating refresh token) are
	// saved, sealed, with the channel.
	d.Connectors.SaveCredentials = c.Channels.MergeCredentials
	// and read back when a refresh is refused, in case another run of the
	// channel rotated the token first.
	d.Connectors.LoadCredentials = c.Channels.Credentials
	c.Connectors = d.Connectors
	c.Settings = &settings.Service{
		Store: d.Store, Channels: c.Channels, Runs: c.Runs, Scheduler: d.Scheduler,
		Subscribers: d.Connectors, WebhookBaseURL: d.WebhookBaseURL, Capabilities: d.Capabilities,
		Now: d.Now, Log: d.Log,
	}
	return c
}
