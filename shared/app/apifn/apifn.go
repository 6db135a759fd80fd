// Package apifn assembles the api function: the HTTP API over the shared
// part (core). Manual runs are handed to the task function (Dispatch); the
// api function runs none itself.
package apifn

import (
	"github.com/autosync/autosync/shared/identity"
	"net/http"

	"github.com/autosync/autosync/shared/app/core"
	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/httpapi"
	"github.com/autosync/autosync/shared/runner"
	"github.com/autosync/autosync/shared/settings"
)

// Deps are what the HTTP API needs beyond the shared part.
type Deps struct {
	Auth     auth.Authenticator
	Dispatch runner.Dispatcher
	// UI serves the Sync page (nil: none).
	UI http.Handler
	// SignIn is the stack's hosted sign-in page (zero: none).
	SignIn identity.SignIn
}

// New assembles the HTTP API on c.
func New(c *core.Core, d Deps) *httpapi.API {
	return &httpapi.API{
		Auth: d.Auth, Settings: c.Settings, Channels: c.Channels, Runs: c.Runs, Orders: c.Orders,
		Inventory: c.Inventory, Connectors: c.Connectors, Dispatch: d.Dispatch, Log: c.Log, UI: d.UI, SignIn: d.SignIn,
	}
}

// Capabilities is which tasks the executor runs, for the Sync modal to
// show the others unavailable; the api function has no runner of its own.
func Capabilities() settings.Capabilities { return &runner.Runner{} }
