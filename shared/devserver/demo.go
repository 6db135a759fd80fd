package devserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
	bigcommercesim "github.com/autosync/autosync/shared/simulator/bigcommerce"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
	woocommercesim "github.com/autosync/autosync/shared/simulator/woocommerce"
)

// DemoAccount is the account -demo seeds.
const DemoAccount = "demo"

// DemoSKUs are the products every demo cart sells.
var DemoSKUs = []string{"MUG-BLUE", "MUG-RED", "TEE-S", "TEE-M", "TEE-L", "CAP-BLACK", "POSTER-A2", "SOCKS-3PK"}

// Simulator is what the dev routes need of a cart simulator.
type Simulator interface {
	http.Handler
	// CreateOrder adds an importable order and returns its cart id, or ""
	// when the cart would not sell it.
	CreateOrder(lines []cart.Line) string
	// Quantities is the cart's current sellable quantity per SKU.
	Quantities() map[string]int
}

type simulators struct {
	mu      sync.Mutex
	byChan  map[string]Simulator
	servers []*http.Server
}

func newSimulators() *simulators { return &simulators{byChan: map[string]Simulator{}} }

// serve starts sim on a loopback port and returns its base URL.
func (s *simulators) serve(sim Simulator) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("simulator listen: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	s.mu.Lock()
	s.servers = append(s.servers, srv)
	s.mu.Unlock()
	return "http://" + ln.Addr().String(), nil
}

func (s *simulators) set(channel string, sim Simulator) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byChan[channel] = sim
}

func (s *simulators) get(channel string) (Simulator, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sim, ok := s.byChan[channel]
	return sim, ok
}

// Simulator returns the simulator behind a demo channel.
func (s *Server) Simulator(channel string) (Simulator, bool) { return s.sims.get(channel) }

func (s *simulators) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, srv := range s.servers {
		_ = srv.Close()
	}
	// Simulators that deliver webhooks stop their delivery goroutines.
	for _, sim := range s.byChan {
		if c, ok := sim.(interface{ Close() }); ok {
			c.Close()
		}
	}
}

// demoChannel is one cart of the demo account.
type demoChannel struct {
	cart   catalog.Cart
	name   string
	config cart.Config
	creds  cart.Credentials
	sim    func() Simulator
}

func demoChannels() []demoChannel {
	return []demoChannel{{
		cart: catalog.Shopify, name: "Demo Shopify",
		config: cart.Config{"shop": "autosync-demo.myshopify.com"},
		// client_secret: the app's secret Shopify signs webhooks with.
		creds: cart.Credentials{"access_token": "shpat_demo_token", "client_secret": "shpss_demo_client_secret"},
		sim: func() Simulator {
			sim := shopifysim.New(shopifysim.Options{AccessToken: "shpat_demo_token", SKUs: DemoSKUs, ClientSecret: "shpss_demo_client_secret"})
			sim.Seed(120, 42)
			return sim
		},
	}, {
		cart: catalog.BigCommerce, name: "Demo BigCommerce",
		config: cart.Config{"store_hash": "autosyncdemo"},
		creds:  cart.Credentials{"access_token": "bc_demo_token", "client_secret": "bc_demo_client_secret"},
		sim: func() Simulator {
			sim := bigcommercesim.New(bigcommercesim.Options{AccessToken: "bc_demo_token", StoreHash: "autosyncdemo", SKUs: DemoSKUs,
				ClientSecret: "bc_demo_client_secret"})
			sim.Seed(80, 43)
			return sim
		},
	}, {
		cart: catalog.WooCommerce, name: "Demo WooCommerce",
		config: cart.Config{"store_url": "https://woo.autosync-demo.example"},
		creds:  cart.Credentials{"consumer_key": "ck_demo", "consumer_secret": "cs_demo"},
		sim: func() Simulator {
			sim := woocommercesim.New(woocommercesim.Options{ConsumerKey: "ck_demo", ConsumerSecret: "cs_demo", SKUs: DemoSKUs})
			sim.Seed(60, 44)
			return sim
		},
	}, {
		cart: catalog.Etsy, name: "Demo Etsy",
		config: cart.Config{"shop_id": "4242"},
		// The token expires within the hour; the refresh token renews it.
		creds: cart.Credentials{"api_key": "etsydemokey", "shared_secret": "etsydemosecret", "token": "4242.demo", "refresh_token": "4242.demo_refresh"},
		sim: func() Simulator {
			sim := etsysim.New(etsysim.Options{APIKey: "etsydemokey", SharedSecret: "etsydemosecret", Token: "4242.demo",
				RefreshToken: "4242.demo_refresh", ShopID: 4242, SKUs: DemoSKUs})
			sim.Seed(50, 47)
			return sim
		},
	}, {
		cart: catalog.Squarespace, name: "Demo Squarespace",
		creds: cart.Credentials{"api_key": "sqsp_demo_key"},
		sim: func() Simulator {
			sim := squarespacesim.New(squarespacesim.Options{APIKey: "sqsp_demo_key", SKUs: DemoSKUs})
			sim.Seed(50, 46)
			return sim
		},
	}, {
		cart: catalog.Amazon, name: "Demo Amazon",
		config: cart.Config{"seller_id": "A2DEMOSELLER", "marketplace_id": "ATVPDKIKX0DER"},
		creds:  cart.Credentials{"client_id": "amzn1.application-oa2-client.demo", "client_secret": "demo-lwa-secret", "refresh_token": "Atzr|demo"},
		sim: func() Simulator {
			sim := amazonsim.New(amazonsim.Options{ClientID: "amzn1.application-oa2-client.demo", ClientSecret: "demo-lwa-secret",
				RefreshToken: "Atzr|demo", SellerID: "A2DEMOSELLER", MarketplaceID: "ATVPDKIKX0DER", SKUs: DemoSKUs})
			sim.Seed(60, 45)
			return sim
		},
	}}
}

// seedDemo creates (or, after a restart, re-points) the demo channels at
// fresh simulators. Simulators are seeded deterministically, so a restart
// shows the same orders and re-importing them creates nothing new.
func (s *Server) seedDemo(ctx context.Context, data string) error {
	existing, err := s.App.Channels.List(ctx, DemoAccount)
	if err != nil {
		return err
	}
	start, err := nextDemoStart(data)
	if err != nil {
		return err
	}
	for _, dc := range demoChannels() {
		sim := dc.sim()
		// The store keeps what earlier starts imported: orders created
		// from now on take ids no earlier start handed out.
		if sk, ok := sim.(interface{ SkipIDs(n int64) }); ok {
			sk.SkipIDs(start * demoIDsPerStart)
		}
		base, err := s.sims.serve(sim)
		if err != nil {
			return err
		}
		var ch channels.Channel
		for _, e := range existing {
			if e.Type == dc.cart && e.Name == dc.name {
				ch = e
			}
		}
		if ch.ID == "" {
			cfg := cart.Config{"api_base": base}
			for k, v := range dc.config {
				cfg[k] = v
			}
			if ch, err = s.App.Channels.Create(ctx, DemoAccount, channels.Channel{Type: dc.cart, Name: dc.name, Config: cfg}, dc.creds); err != nil {
				return err
			}
		} else {
			if _, err = s.App.Channels.UpdateConfig(ctx, DemoAccount, ch.ID, func(c cart.Config) error {
				c["api_base"] = base
				return nil
			}); err != nil {
				return err
			}
			// A restarted simulator knows only its initial tokens, and
			// accepts them: the channel is re-authorized, which resumes
			// its ticked tasks (saving the credentials alone made it
			// "active" with its schedules still paused).
			if _, err = s.App.Settings.Reauthorize(ctx, DemoAccount, ch.ID, dc.creds); err != nil {
				return err
			}
		}
		s.sims.set(ch.ID, sim)
	}
	return nil
}
