package devserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/connect"
	"github.com/autosync/autosync/shared/simulator"
	"github.com/autosync/autosync/shared/simulator/demos"
)

// DemoAccount is the account -demo seeds.
const DemoAccount = "demo"

// DemoSKUs are the products every demo cart sells.
var DemoSKUs = []string{"MUG-BLUE", "MUG-RED", "TEE-S", "TEE-M", "TEE-L", "CAP-BLACK", "POSTER-A2", "SOCKS-3PK"}

// Simulator is what the dev routes need of a cart simulator.
type Simulator = simulator.Simulator

type simulators struct {
	mu      sync.Mutex
	byChan  map[string]Simulator
	byBase  map[string]Simulator
	servers []*http.Server
}

func newSimulators() *simulators {
	return &simulators{byChan: map[string]Simulator{}, byBase: map[string]Simulator{}}
}

// serveApps starts, for each cart whose simulator grants an app, one
// simulator standing for every store merchants connect in make dev, and
// returns the apps pointed at them.
func (s *simulators) serveApps() (connect.StaticApps, error) {
	apps := connect.StaticApps{}
	for _, dc := range demos.All() {
		if dc.App.ClientID == "" {
			continue
		}
		start := dc.New
		if dc.Connectable != nil {
			start = dc.Connectable
		}
		sim := start(DemoSKUs)
		base, err := s.serve(sim)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.byBase[base] = sim
		s.mu.Unlock()
		app := dc.App
		app.APIBase = base
		apps[dc.Cart] = app
	}
	return apps, nil
}

// forChannel is the simulator behind a channel: a demo channel's own, or
// the one a connected channel's api_base names.
func (s *simulators) forChannel(ch channels.Channel) (Simulator, bool) {
	if sim, ok := s.get(ch.ID); ok {
		return sim, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sim, ok := s.byBase[ch.Config["api_base"]]
	return sim, ok
}

// serve starts sim on a loopback port and returns its base URL.
func (s *simulators) serve(sim Simulator) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("simulator listen: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	base := "http://" + ln.Addr().String()
	s.mu.Lock()
	s.servers = append(s.servers, srv)
	s.byBase[base] = sim
	s.mu.Unlock()
	return base, nil
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
	for _, sim := range s.byBase {
		if c, ok := sim.(interface{ Close() }); ok {
			c.Close()
		}
	}
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
	for _, dc := range demos.All() {
		sim := dc.New(DemoSKUs)
		// The store keeps what earlier starts imported: orders created
		// from now on take ids no earlier start handed out.
		if sk, ok := sim.(simulator.IDSkipper); ok {
			sk.SkipIDs(start * demoIDsPerStart)
		}
		base, err := s.sims.serve(sim)
		if err != nil {
			return err
		}
		var ch channels.Channel
		for _, e := range existing {
			if e.Type == dc.Cart && e.Name == dc.Name {
				ch = e
			}
		}
		if ch.ID == "" {
			cfg := cart.Config{"api_base": base}
			for k, v := range dc.Config {
				cfg[k] = v
			}
			if ch, err = s.App.Channels.Create(ctx, DemoAccount, channels.Channel{Type: dc.Cart, Name: dc.Name, Config: cfg}, dc.Credentials); err != nil {
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
			if _, err = s.App.Settings.Reauthorize(ctx, DemoAccount, ch.ID, dc.Credentials); err != nil {
				return err
			}
		}
		s.sims.set(ch.ID, sim)
		// The cart's uninstall notice names the store only.
		if err := s.App.API.Connect.Own(ctx, ch); err != nil {
			return err
		}
	}
	return nil
}
