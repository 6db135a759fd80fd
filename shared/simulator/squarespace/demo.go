package squarespacesim

import (
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/simulator"
)

// Demo is the demo account's Squarespace channel.
func Demo() simulator.Demo {
	return simulator.Demo{
		Cart: "squarespace", Name: "Demo Squarespace",
		Credentials: cart.Credentials{"api_key": "sqsp_demo_key"},
		New: func(skus []string) simulator.Simulator {
			sim := New(Options{APIKey: "sqsp_demo_key", SKUs: skus})
			sim.Seed(50, 46)
			return sim
		},
		// Autosync's OAuth client as the simulator's provider knows it:
		// connecting a site in make dev authorizes it at a simulator like
		// this one.
		App: cart.App{ClientID: DefaultClientID, ClientSecret: DefaultClientSecret},
	}
}
