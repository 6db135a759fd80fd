package woocommercesim

import (
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/simulator"
)

// Demo is the demo account's WooCommerce channel.
func Demo() simulator.Demo {
	return simulator.Demo{
		Cart: "woocommerce", Name: "Demo WooCommerce",
		Config:      cart.Config{"store_url": "https://woo.autosync-demo.example"},
		Credentials: cart.Credentials{"consumer_key": "ck_demo", "consumer_secret": "cs_demo"},
		New: func(skus []string) simulator.Simulator {
			sim := New(Options{ConsumerKey: "ck_demo", ConsumerSecret: "cs_demo", SKUs: skus})
			sim.Seed(60, 44)
			return sim
		},
		// The app name the authorization page shows; keys need no secret.
		App: cart.App{ClientID: "Autosync"},
	}
}
