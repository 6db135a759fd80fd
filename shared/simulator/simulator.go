// Package simulator holds what the cart simulators share with the local
// development server: the Simulator a demo channel is backed by, and the
// Demo each simulator package exports (its demo.go) so the demo account
// gets one channel per cart without the server knowing any cart. The list
// of demos is package demos.
package simulator

import (
	"context"
	"net/http"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
)

// Simulator is what the dev routes need of a cart simulator.
type Simulator interface {
	http.Handler
	// CreateOrder adds an importable order and returns its cart id, or ""
	// when the cart would not sell it.
	CreateOrder(lines []cart.Line) string
	// Quantities is the cart's current sellable quantity per SKU.
	Quantities() map[string]int
}

// Demo is one cart's channel in the demo account and the simulator behind
// it. Config and Credentials are what the channel is created with (the
// server adds "api_base", the simulator's address); the simulator accepts
// exactly those credentials.
type Demo struct {
	Cart        catalog.Cart
	Name        string
	Config      cart.Config
	Credentials cart.Credentials
	// New starts a fresh simulator selling skus, seeded deterministically
	// so a restarted demo shows the same orders.
	New func(skus []string) Simulator
	// App is the app the simulator's authorization grants to (client id
	// and secret), for connecting channels through the cart's own
	// authorization; the zero App when the simulator offers none.
	App cart.App
	// Connectable starts the store merchants connect in make dev through
	// App, when New's store would be the demo channel's own (a fixed
	// store id): a store of its own, so connecting it adds a channel
	// rather than re-authorizing the demo's. Nil: New.
	Connectable func(skus []string) Simulator
}

// IDSkipper is a simulator whose order and line ids can be moved n places
// ahead: make dev restarts its simulators over a store that kept what
// they handed out, and an order created after a restart must never take
// the id of a different one created before it.
type IDSkipper interface {
	SkipIDs(n int64)
}

// Uninstaller is a simulator that can play a merchant removing the app:
// every token stops working and the cart's uninstall notice for store is
// posted to target. It returns the status the app answered.
type Uninstaller interface {
	Uninstall(ctx context.Context, client *http.Client, target, store string) (int, error)
}

// AppRemover is a simulator of a cart that sends no uninstall notice
// (Etsy, Amazon, WooCommerce; Squarespace's extension.uninstall goes only
// to webhook subscriptions): RemoveApp plays the merchant removing the app
// or revoking its access, after which the cart no longer holds the app's
// authorization. Autosync learns of it from the cart's next answer.
type AppRemover interface {
	RemoveApp()
}
