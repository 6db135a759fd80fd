// Package webhookfn assembles the webhook function: the receiver, the
// channel repository it reads secrets from and the settings it asks whether
// an instasync task is ticked. It needs neither the connectors nor the
// scheduler nor the executor, and links none of them (a test holds that):
// this function answers carts, so its cold start is kept short.
package webhookfn

import (
	"log/slog"
	"time"

	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/settings"
	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/webhook"
)

// Deps are the webhook function's adapters.
type Deps struct {
	Store    store.Store
	Sealer   seal.Sealer
	Dispatch webhook.Dispatcher
	Log      *slog.Logger
	Now      func() time.Time
}

// New assembles the receiver. Its settings service only reads whether a
// task is ticked (Enabled), which touches the store alone.
func New(d Deps) *webhook.Receiver {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	chs := &channels.Repo{Store: d.Store, Sealer: d.Sealer, Now: d.Now}
	return &webhook.Receiver{
		Channels: chs, Store: d.Store,
		Settings: &settings.Service{Store: d.Store, Channels: chs, Now: d.Now, Log: d.Log},
		Dispatch: d.Dispatch, Now: d.Now, Log: d.Log,
	}
}
