// Command local runs the whole of Autosync in one process (make dev).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/autosync/autosync/shared/devserver"
)

func main() {
	var o devserver.Options
	flag.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address to serve on")
	flag.StringVar(&o.Data, "data", ".autosync", "folder for the embedded store and local keys")
	flag.BoolVar(&o.Demo, "demo", false, "seed account demo with a channel per cart, backed by simulators")
	flag.Float64Var(&o.Speed, "speed", 1, "run the local scheduler N times faster than real time")
	level := flag.String("log-level", "info", "debug, info, warn or error")
	flag.Parse()
	var l slog.Level
	if err := l.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintln(os.Stderr, "bad -log-level:", err)
		os.Exit(2)
	}
	o.Log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := devserver.Run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "autosync:", err)
		os.Exit(1)
	}
}
