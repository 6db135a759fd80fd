package shopifysim

import (
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/simulator"
)

// Demo is the demo account's Shopify channel.
func Demo() simulator.Demo {
	return simulator.Demo{
		Cart: "shopify", Name: "Demo Shopify",
		Config: cart.Config{"shop": "autosync-demo.myshopify.com"},
		// client_secret: the app's secret Shopify signs webhooks with.
		Credentials: cart.Credentials{"access_token": "shpat_demo_token", "client_secret": "shpss_demo_client_secret"},
		New: func(skus []string) simulator.Simulator {
			sim := New(Options{AccessToken: "shpat_demo_token", SKUs: skus, ClientSecret: "shpss_demo_client_secret"})
			sim.Seed(120, 42)
			return sim
		},
		App: cart.App{ClientID: DefaultClientID, ClientSecret: "shpss_demo_client_secret"},
	}
}
