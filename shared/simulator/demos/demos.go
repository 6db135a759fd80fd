// Package demos lists the cart simulators' demo channels, in the order the
// Sync modal shows the carts: the local development server's demo account
// has one channel per entry. Adding a cart's simulator is one line here.
package demos

import (
	"github.com/autosync/autosync/shared/simulator"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
	bigcommercesim "github.com/autosync/autosync/shared/simulator/bigcommerce"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
	woocommercesim "github.com/autosync/autosync/shared/simulator/woocommerce"
)

// All returns every cart's demo channel.
func All() []simulator.Demo {
	return []simulator.Demo{
		shopifysim.Demo(),
		bigcommercesim.Demo(),
		woocommercesim.Demo(),
		etsysim.Demo(),
		squarespacesim.Demo(),
		amazonsim.Demo(),
	}
}
