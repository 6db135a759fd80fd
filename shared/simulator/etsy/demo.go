package etsysim

import (
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/simulator"
)

// Demo is the demo account's Etsy channel.
func Demo() simulator.Demo {
	return simulator.Demo{
		Cart: "etsy", Name: "Demo Etsy",
		Config: cart.Config{"shop_id": "4242"},
		// The token expires within the hour; the refresh token renews it.
		Credentials: cart.Credentials{"api_key": "etsydemokey", "shared_secret": "etsydemosecret", "token": "4242.demo", "refresh_token": "4242.demo_refresh"},
		New: func(skus []string) simulator.Simulator {
			sim := New(Options{APIKey: "etsydemokey", SharedSecret: "etsydemosecret", Token: "4242.demo",
				RefreshToken: "4242.demo_refresh", ShopID: 4242, SKUs: skus})
			sim.Seed(50, 47)
			return sim
		},
		// Autosync's app as the simulator knows it: connecting a shop in
		// make dev authorizes it at a simulator like this one.
		App: cart.App{ClientID: "etsydemokey", ClientSecret: "etsydemosecret"},
		Connectable: func(skus []string) simulator.Simulator {
			sim := New(Options{APIKey: "etsydemokey", SharedSecret: "etsydemosecret", ShopID: 4343, SKUs: skus})
			sim.Seed(20, 53)
			return sim
		},
	}
}
