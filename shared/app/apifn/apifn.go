// Package apifn assembles the api function: the HTTP API over the shared
// part (core). Manual runs are handed to the task function (Dispatch); the
// api function runs none itself.
package apifn

import (
	"net/http"

	"github.com/autosync/autosync/shared/app/core"
	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/connect"
	"github.com/autosync/autosync/shared/httpapi"
	"github.com/autosync/autosync/shared/identity"
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
	// Apps are Autosync's app credentials per cart, for connecting
	// channels through the carts' authorization (nil: none configured).
	Apps connect.Apps
	// BaseURL is the public address carts call back (/oauth/...).
	BaseURL string
	// HTTPClient makes the token exchanges (nil: a default client).
	HTTPClient *http.Client
}

// New assembles the HTTP API on c.
func New(c *core.Core, d Deps) *httpapi.API {
	return &httpapi.API{
		Auth: d.Auth, Settings: c.Settings, Channels: c.Channels, Runs: c.Runs, Orders: c.Orders,
		Inventory: c.Inventory, Connectors: c.Connectors, Dispatch: d.Dispatch, Log: c.Log, UI: d.UI, SignIn: d.SignIn,
		Connect: &connect.Service{
			Store: c.Store, Channels: c.Channels, Settings: c.Settings, Connectors: c.Connectors,
			Apps: d.Apps, BaseURL: d.BaseURL, HTTPClient: d.HTTPClient, Now: c.Now, Log: c.Log,
		},
	}
}

// Capabilities is which tasks the executor runs, for the Sync modal to
// show the others unavailable; the api function has no runner of its own.
func Capabilities() settings.Capabilities { return &runner.Runner{} }
