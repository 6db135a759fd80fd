// Command cost is Autosync's cost model (make cost): it runs the task
// function's executor against the AWS emulator (moto_server) and the six
// cart simulators for named merchant profiles, counts every AWS call, prices
// DynamoDB by the sizes of the items each call touches, and extrapolates a
// simulated window of scheduled runs to a 30-day month at the us-east-1
// on-demand prices of prices.json.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	profiles := flag.String("profiles", "idle,typical,large", "comma-separated merchant profiles: "+profileNames())
	endpoint := flag.String("endpoint", os.Getenv("AUTOSYNC_AWS_ENDPOINT"), "a running AWS emulator; empty starts moto_server")
	latency := flag.Duration("cart-latency", DefaultOptions.CartLatency, "modelled latency of one cart request, added to run durations")
	simSKUs := flag.Int("sim-skus", DefaultOptions.SimSKUs, "SKUs per channel simulated; costs are carried to the profiles' catalogs along the per-SKU slope")
	hours := flag.Int("hours", 0, "override the profiles' simulated hours (exploration)")
	measured := flag.Bool("measured", false, "bill measured run durations instead of modelled ones")
	flag.Parse()
	o := DefaultOptions
	o.CartLatency, o.Measured, o.SimSKUs = *latency, *measured, *simSKUs
	for k, p := range Profiles {
		if *hours > 0 {
			p.Hours = *hours
		}
		Profiles[k] = p
	}
	if err := run(context.Background(), os.Stdout, *endpoint, strings.Split(*profiles, ","), o); err != nil {
		fmt.Fprintln(os.Stderr, "cost:", err)
		os.Exit(1)
	}
}

func profileNames() string {
	var n []string
	for k := range Profiles {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}

func run(ctx context.Context, w io.Writer, endpoint string, names []string, o Options) error {
	prices, err := ParsePrices(pricesJSON)
	if err != nil {
		return err
	}
	if err := taskFigures("template.yaml", &o); err != nil {
		return err
	}
	if endpoint == "" {
		ep, stop, err := startMoto(ctx)
		if err != nil {
			return err
		}
		defer stop()
		endpoint = ep
	}
	// The catalog is simulated smaller than the profiles' and carried to
	// their size along the per-SKU slope of two idle runs.
	idleP := Profiles["idle"]
	half := max(o.SimSKUs/2, 1)
	fmt.Fprintf(w, "cost model: idle at %d SKUs, then one merchant at %d SKUs through idle and each profile's order rate, a simulated hour each\n", half, o.SimSKUs)
	idle1, err := Run(ctx, endpoint, idleP, half)
	if err != nil {
		return fmt.Errorf("idle at %d SKUs: %w", half, err)
	}
	// One merchant at the full simulated catalog goes through idle, then
	// each other profile's order rate, an hour each: one setup and warm-up.
	phases := []Profile{idleP}
	for _, name := range names {
		p, ok := Profiles[strings.TrimSpace(name)]
		if !ok {
			return fmt.Errorf("unknown profile %q (have %s)", name, profileNames())
		}
		if p.Name != "idle" {
			phases = append(phases, p)
		}
	}
	out, err := RunPhases(ctx, endpoint, o.SimSKUs, phases...)
	if err != nil {
		return fmt.Errorf("profiles at %d SKUs: %w", o.SimSKUs, err)
	}
	idle2 := out[0]
	byName := map[string]Result{}
	for _, r := range out {
		byName[r.Profile.Name] = r
	}
	m1, m2 := Months(idle1, o), Months(idle2, o)
	totals, idleAt := map[string]float64{}, map[string]float64{}
	var results []Result
	for _, name := range names {
		p := Profiles[strings.TrimSpace(name)]
		res := byName[p.Name]
		months := Months(res, o)
		scale := ""
		if f := p.OrdersPerHour / p.simOrders(); p.OrdersPerHour > 0 && f != 1 {
			months = ScaleOrders(months, m2, f)
			scale = fmt.Sprintf("what %.0f orders/hour add over idle at the same catalog taken ×%g; ", p.simOrders(), f)
		}
		months = ExtrapolateSKUs(months, o.SimSKUs, m1, half, m2, o.SimSKUs, p.SKUs)
		scale += fmt.Sprintf("carried from %d to %d SKUs along the idle slope between %d and %d SKUs", o.SimSKUs, p.SKUs, half, o.SimSKUs)
		totals[p.Name] = Report(w, res, months, prices, scale)
		// The idle merchant with this profile's catalog, for what orders add.
		var idleQ Quantities
		for _, t := range ExtrapolateSKUs(m2, o.SimSKUs, m1, half, m2, o.SimSKUs, p.SKUs) {
			idleQ = idleQ.Add(t.Q)
		}
		idleAt[p.Name] = Total(prices.Cost(idleQ))
		results = append(results, res)
	}
	PrintAssumptions(w, prices, o)
	return Summary(w, results, totals, idleAt)
}

// taskFigures reads the task function's MemorySize and platform log bytes
// per invocation from the SAM template.
func taskFigures(path string, o *Options) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read task function figures: %w", err)
	}
	if o.MemoryMB, err = TaskMemory(string(b)); err != nil {
		return err
	}
	o.PlatformLogBytes = TaskPlatformLogBytes(string(b))
	return nil
}

// startMoto starts moto_server on a free loopback port.
func startMoto(ctx context.Context) (string, func(), error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return "", nil, fmt.Errorf("moto_server not installed (make tools): %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start moto_server: %w", err)
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/moto-api/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return url, stop, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("moto_server did not answer on %s within 60 s", url)
}
