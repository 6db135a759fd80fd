package bigcommercesim

import (
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/simulator"
)

// Demo is the demo account's BigCommerce channel.
func Demo() simulator.Demo {
	return simulator.Demo{
		Cart: "bigcommerce", Name: "Demo BigCommerce",
		Config:      cart.Config{"store_hash": "autosyncdemo"},
		Credentials: cart.Credentials{"access_token": "bc_demo_token", "client_secret": "bc_demo_client_secret"},
		New: func(skus []string) simulator.Simulator {
			sim := New(Options{AccessToken: "bc_demo_token", StoreHash: "autosyncdemo", SKUs: skus,
				ClientSecret: "bc_demo_client_secret", ClientID: DefaultClientID})
			sim.Seed(80, 43)
			return sim
		},
		App: cart.App{ClientID: DefaultClientID, ClientSecret: "bc_demo_client_secret"},
		Connectable: func(skus []string) simulator.Simulator {
			sim := New(Options{StoreHash: "autosyncshop", SKUs: skus, ClientSecret: "bc_demo_client_secret", ClientID: DefaultClientID})
			sim.Seed(20, 53)
			return sim
		},
	}
}
