// Package devserver runs the whole of Autosync in one process — the HTTP
// API and Sync page, the executor, an in-process scheduler, an embedded bbolt
// store — and, with the demo, cart simulators behind a demo account. It is
// make dev, and how a small merchant runs Autosync on one machine.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/autosync/autosync/shared/app"
	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/dispatch"
	"github.com/autosync/autosync/shared/httpapi"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/schedule/local"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store/boltstore"
	"github.com/autosync/autosync/shared/ui"
)

// Options are make dev's flags.
type Options struct {
	Addr  string  // -addr
	Data  string  // -data
	Demo  bool    // -demo
	Speed float64 // -speed
	// InvocationTimeout is the local stand-in for the Lambda timeout: runs
	// longer than it continue in a new invocation, as in AWS.
	InvocationTimeout time.Duration
	Log               *slog.Logger
	// Ready, when set, is called once the server serves, with its base
	// URL and the demo token (tests use it instead of parsing output).
	Ready func(s *Server, baseURL, token string)
	// HTTP bounds what one connection may hold; zero fields take
	// DefaultHTTPLimits.
	HTTP HTTPLimits
	// CartClient is the HTTP client connectors use; nil is the default.
	// Tests pass one that reaches only loopback addresses, so a channel
	// naming a real cart's host never sends traffic off the machine.
	CartClient *http.Client
}

// HTTPLimits bound the server's connections, so slow or endless clients
// cannot hold them (and their goroutines and buffers) forever.
type HTTPLimits struct {
	ReadHeaderTimeout time.Duration // the request line and headers
	ReadTimeout       time.Duration // the whole request, body included
	WriteTimeout      time.Duration // from the end of the headers to the end of the answer
	IdleTimeout       time.Duration // a kept-alive connection between requests
	MaxHeaderBytes    int
	MaxBody           int64 // any request body; the routes' own limits are lower
}

// DefaultHTTPLimits are generous for the API (bodies up to 1 MiB, answers
// in well under a second) and short for a client that trickles.
var DefaultHTTPLimits = HTTPLimits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      60 * time.Second,
	IdleTimeout:       2 * time.Minute,
	MaxHeaderBytes:    64 << 10,
	MaxBody:           2 << 20,
}

// withDefaults takes the default for every limit not set (zero or less).
func (l HTTPLimits) withDefaults() HTTPLimits {
	d := DefaultHTTPLimits
	return HTTPLimits{
		ReadHeaderTimeout: positiveOr(l.ReadHeaderTimeout, d.ReadHeaderTimeout),
		ReadTimeout:       positiveOr(l.ReadTimeout, d.ReadTimeout),
		WriteTimeout:      positiveOr(l.WriteTimeout, d.WriteTimeout),
		IdleTimeout:       positiveOr(l.IdleTimeout, d.IdleTimeout),
		MaxHeaderBytes:    positiveOr(l.MaxHeaderBytes, d.MaxHeaderBytes),
		MaxBody:           positiveOr(l.MaxBody, d.MaxBody),
	}
}

func positiveOr[T time.Duration | int | int64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// newHTTPServer serves h within the limits.
func newHTTPServer(h http.Handler, l HTTPLimits) *http.Server {
	l = l.withDefaults()
	return &http.Server{
		Handler:           http.MaxBytesHandler(h, l.MaxBody),
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}

// Server is a running local stack.
type Server struct {
	App       *app.App
	tokens    auth.HS256
	sims      *simulators
	scheduler *local.Scheduler
}

// Run serves until ctx ends, printing where to open it to out.
func Run(ctx context.Context, o Options, out io.Writer) error {
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.InvocationTimeout == 0 {
		o.InvocationTimeout = 5 * time.Minute
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if err := os.MkdirAll(o.Data, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	st, err := boltstore.Open(filepath.Join(o.Data, "autosync.db"))
	if err != nil {
		return fmt.Errorf("open store (is another make dev using %s?): %w", o.Data, err)
	}
	defer st.Close()
	key, err := seal.LoadOrCreateKey(filepath.Join(o.Data, "seal.key"))
	if err != nil {
		return err
	}
	sealer, err := seal.NewAESGCM(key)
	if err != nil {
		return err
	}
	secret, err := auth.LoadOrCreateSecret(filepath.Join(o.Data, "token.secret"))
	if err != nil {
		return err
	}
	tokens := auth.HS256{Secret: secret}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var a *app.App
	disp := dispatch.NewLocal(ctx, func(ctx context.Context, in runs.Input) error {
		_, err := a.Runner.Handle(ctx, in)
		return err
	}, 4, o.InvocationTimeout, o.Log)
	defer disp.Close()
	sched := local.New(func(ctx context.Context, name string, input []byte) {
		in, err := runs.ParseInput(input)
		if err != nil {
			o.Log.ErrorContext(ctx, "bad schedule input", "schedule", name, "err", err)
			return
		}
		if err := disp.Dispatch(ctx, in); err != nil {
			o.Log.ErrorContext(ctx, "dispatch scheduled run", "schedule", name, "err", err)
		}
	}, o.Speed, time.Now)

	sims := newSimulators()
	apps, err := sims.serveApps()
	if err != nil {
		sims.Close()
		return err
	}
	a = app.New(app.Deps{
		Store: st, Sealer: sealer, Scheduler: sched, Dispatch: disp,
		Connectors: connector.Factory{AllowLoopbackBase: true, HTTPClient: o.CartClient},
		Auth:       tokens, Log: o.Log, UI: ui.Handler(),
		Apps: apps, HTTPClient: o.CartClient,
	})
	s := &Server{App: a, tokens: tokens, sims: sims, scheduler: sched}
	a.API.Extra = func(mux httpapi.Mux) {
		s.devRoutes(mux)
		// One process serves the carts' webhooks too (a function of its
		// own in AWS); the route is named so the route walk finds it.
		wh := a.WebhookHandler()
		mux.Handle("POST /webhooks/{cart}/{channel_id}", wh)
		mux.Handle("/webhooks/", wh)
	}

	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	base := "http://" + ln.Addr().String()
	// The simulators post their webhooks here.
	a.Settings.WebhookBaseURL = base
	// ... and the carts' authorizations call back here.
	a.API.Connect.BaseURL = base

	var token string
	if o.Demo {
		if err := s.seedDemo(ctx, o.Data); err != nil {
			sims.Close()
			ln.Close()
			return fmt.Errorf("seed demo account: %w", err)
		}
		if token, err = tokens.Issue(DemoAccount, auth.ScopeMerchant, 30*24*time.Hour); err != nil {
			ln.Close()
			return err
		}
	}
	defer s.sims.Close()

	// Runs a killed process left running or queued are closed as
	// interrupted (their leases released), so Activity shows no ghost and
	// their tasks run again at once, resuming from their checkpoints.
	if rep, err := a.RecoverAtStart(ctx); err != nil {
		o.Log.WarnContext(ctx, "close runs of the previous process", "err", err)
	} else if rep.Interrupted+rep.Expired > 0 {
		o.Log.InfoContext(ctx, "closed runs of the previous process", "interrupted", rep.Interrupted, "never_started", rep.Expired)
	}
	// The in-process scheduler keeps nothing across restarts: repair
	// re-creates every recorded schedule before it starts firing.
	if rep, err := a.Settings.Repair(ctx); err != nil {
		o.Log.WarnContext(ctx, "schedule repair at start", "err", err, "failed", rep.Failed)
	}
	sched.Start(ctx)
	defer sched.Stop()
	go s.repairLoop(ctx, o.Log)
	go sweepLoop(ctx, st, o.Log)

	srv := newHTTPServer(a.API.Handler(), o.HTTP)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	fmt.Fprintf(out, "Autosync is running at %s\n", base)
	if o.Demo {
		fmt.Fprintf(out, "Open the demo account: %s/#token=%s\n", base, token)
		fmt.Fprintf(out, "Merchant token for account %q (API: Authorization: Bearer ...):\n%s\n", DemoAccount, token)
	} else {
		fmt.Fprintf(out, "Get a token: curl -s -X POST %s/dev/token -d '{\"account_id\":\"me\",\"scope\":\"autosync/merchant\"}'\n", base)
	}
	fmt.Fprintf(out, "Data folder: %s; scheduler speed: %gx\n", o.Data, o.Speed)
	if o.Ready != nil {
		o.Ready(s, base, token)
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	shutdown, cancelShutdown := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelShutdown()
	return srv.Shutdown(shutdown)
}

// repairLoop plays the role of the repair schedule in AWS.
func (s *Server) repairLoop(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.App.Repair(ctx); err != nil {
				log.WarnContext(ctx, "repair", "err", err)
			}
		}
	}
}
