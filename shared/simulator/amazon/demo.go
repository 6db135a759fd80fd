package amazonsim

import (
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/simulator"
)

// Demo is the demo account's Amazon channel (with FBA stock and orders).
func Demo() simulator.Demo {
	return simulator.Demo{
		Cart: "amazon", Name: "Demo Amazon",
		Config:      cart.Config{"seller_id": "A2DEMOSELLER", "marketplace_id": "ATVPDKIKX0DER"},
		Credentials: cart.Credentials{"client_id": "amzn1.application-oa2-client.demo", "client_secret": "demo-lwa-secret", "refresh_token": "Atzr|demo"},
		New: func(skus []string) simulator.Simulator {
			sim := New(Options{ClientID: "amzn1.application-oa2-client.demo", ClientSecret: "demo-lwa-secret",
				RefreshToken: "Atzr|demo", SellerID: "A2DEMOSELLER", MarketplaceID: "ATVPDKIKX0DER", SKUs: skus})
			sim.Seed(60, 45)
			return sim
		},
		// Autosync's SP-API application as the simulator knows it:
		// connecting a seller in make dev authorizes at a simulator like
		// this one.
		App: cart.App{ClientID: "amzn1.application-oa2-client.demo", ClientSecret: "demo-lwa-secret", AppID: DefaultApplicationID},
		Connectable: func(skus []string) simulator.Simulator {
			sim := New(Options{ClientID: "amzn1.application-oa2-client.demo", ClientSecret: "demo-lwa-secret",
				SellerID: "A3CONNECTSELLER", MarketplaceID: "ATVPDKIKX0DER", SKUs: skus})
			sim.Seed(20, 53)
			return sim
		},
	}
}
