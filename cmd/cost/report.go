package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// ordersPerMonth is a profile's orders in a 30-day month.
func ordersPerMonth(p Profile) float64 { return p.OrdersPerHour * 24 * 30 }

// Report prints one profile's table and returns its dollars per merchant-month.
func Report(w io.Writer, r Result, months []TaskMonth, prices Prices, scale string) float64 {
	p := r.Profile
	fmt.Fprintf(w, "\n== %s: 6 channels, %d SKUs (%d at FBA), %.0f orders/hour\n", p.Name, p.SKUs, p.FBASKUs, p.OrdersPerHour)
	fmt.Fprintf(w, "simulated: %d SKUs per channel (%d at FBA), %d hour(s) of scheduled runs, %d orders, %.1f s; %s\n",
		r.SimSKUs, r.SimFBASKUs, p.Hours, r.Orders, r.Wall.Seconds(), scale)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "task\truns/mo\tDDB calls/mo\tRRU/mo\tWRU/mo\tKMS/mo\tcart req/mo\tGB-s/mo\tmeasured GB-s/mo\tlog MB/mo\t$/merchant-mo\t")
	var total Quantities
	type line struct {
		name string
		usd  float64
	}
	var lines []line
	for _, t := range months {
		total = total.Add(t.Q)
		items := prices.Cost(t.Q)
		for _, it := range items {
			lines = append(lines, line{t.Task + " " + it.Key, it.USD})
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.1f\t%.4f\t\n", t.Task,
			t.Q.LambdaRequests, t.DDBCalls, t.Q.RRU, t.Q.WRU, t.Q.KMSRequests, t.CartRequests, t.Q.GBSeconds, t.MeasuredGBs, t.Q.LogBytes/1e6, Total(items))
	}
	items := prices.Cost(total)
	fmt.Fprintf(tw, "total\t%.0f\t\t%.0f\t%.0f\t%.0f\t\t%.0f\t\t%.1f\t%.4f\t\n", total.LambdaRequests, total.RRU, total.WRU, total.KMSRequests, total.GBSeconds, total.LogBytes/1e6, Total(items))
	tw.Flush()
	fmt.Fprint(w, "by service:")
	for _, it := range items {
		fmt.Fprintf(w, " %s $%.4f;", it.Key, it.USD)
	}
	fmt.Fprintln(w)
	sort.Slice(lines, func(i, j int) bool { return lines[i].usd > lines[j].usd })
	fmt.Fprint(w, "top 5 line items:")
	for _, l := range lines[:min(5, len(lines))] {
		fmt.Fprintf(w, " %s $%.4f;", l.name, l.usd)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "per run in the simulated window:")
	for _, t := range r.Tasks {
		n := float64(max(t.Invocations, 1))
		keys := make([]string, 0, len(t.Usage.Calls))
		for k := range t.Usage.Calls {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %.1f", strings.TrimPrefix(k, "dynamodb:"), float64(t.Usage.Calls[k])/n))
		}
		fmt.Fprintf(w, "  %s: %.1f RRU, %.1f WRU, %.1f cart requests, %.0f log bytes; %s\n", t.Task,
			t.Usage.RRU/n, t.Usage.WRU/n, float64(t.CartRequests)/n, float64(t.LogBytes)/n, strings.Join(parts, ", "))
	}
	fmt.Fprint(w, "AWS calls in the simulated window:")
	calls := map[string]int{}
	for _, t := range r.Tasks {
		for k, n := range t.Usage.Calls {
			calls[k] += n
		}
	}
	keys := make([]string, 0, len(calls))
	for k := range calls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, " %s=%d", k, calls[k])
	}
	fmt.Fprintln(w)
	return Total(items)
}

// PrintAssumptions states what the figures rest on.
func PrintAssumptions(w io.Writer, prices Prices, o Options) {
	dur := fmt.Sprintf("modelled: each AWS call at an in-region latency %v, %v per cart request, %v per invocation (%v at %d MB, scaled by CPU share)"+
		" (the measured column is wall time here against moto and loopback simulators, less the meter's own reads, plus the same cart latency; -measured bills it)",
		latencies(o.Latency), o.CartLatency, o.overhead(), o.InvocationOverhead, o.OverheadMemoryMB)
	if o.Measured {
		dur = fmt.Sprintf("measured wall time against moto and loopback simulators, less the meter's own reads, plus %v per cart request", o.CartLatency)
	}
	fmt.Fprintf(w, "\nAssumptions: task function %d MB arm64 (template.yaml); billed duration %s; %d bytes of Lambda platform log per invocation;"+
		" a month is 30 days; each tick of the window stands for one interval (tasks slower than the window run once at its end);"+
		" the daily pass over everything of Import FBA Inventory and Write Inventory Back is one run per channel measured a day after the windows, priced 30 times a month on top of them (it replaces a run: a slight over-count);"+
		" Lambda's own log lines at its SystemLogLevel (template.yaml);"+
		" KMS: one environment, warm after the warm-up (each new environment opens each data key once: a lower bound);"+
		" no free tiers; DynamoDB units from item sizes (reads: 4 KB, half when eventually consistent; writes: 1 KB, the larger of before and after; ×2 in transactions).\n",
		o.MemoryMB, dur, o.PlatformLogBytes)
	fmt.Fprintln(w, "Prices (us-east-1, prices.json):")
	for _, k := range priceKeys {
		p := prices.Prices[k]
		fmt.Fprintf(w, "  %s: $%g per %g (%s, read %s)\n", k, p.USD, p.Per, p.Source, p.Date)
	}
}

// Summary prints the per-1000-orders figure and, last, the summary line.
// idleAt is, per profile, an idle merchant's month with its catalog.
func Summary(w io.Writer, results []Result, totals, idleAt map[string]float64) error {
	idle, okI := totals["idle"]
	typical, okT := totals["typical"]
	var typicalP Profile
	for _, r := range results {
		if r.Profile.Name == "typical" {
			typicalP = r.Profile
		}
	}
	for _, r := range results {
		if r.Profile.Name == "large" {
			fmt.Fprintf(w, "large: $%.2f per merchant-month (idle with its %d SKUs: $%.2f); per 1000 orders from large: $%.4f\n",
				totals["large"], r.Profile.SKUs, idleAt["large"], PerThousandOrders(totals["large"], idleAt["large"], ordersPerMonth(r.Profile)))
		}
	}
	if !okI || !okT {
		fmt.Fprintln(w, "cost: the summary line needs the idle and typical profiles")
		return nil
	}
	fmt.Fprintf(w, "per 1000 orders (the summary's): (typical − idle) over typical's %.0f orders a month\n", ordersPerMonth(typicalP))
	fmt.Fprintf(w, "cost: idle $%.2f per merchant-month; typical $%.2f per merchant-month; $%.3f per 1000 orders\n",
		idle, typical, PerThousandOrders(typical, idle, ordersPerMonth(typicalP)))
	return nil
}

// PerThousandOrders is the marginal cost of 1,000 orders: the difference
// between a busy and an idle merchant's month over the busy one's orders.
func PerThousandOrders(busy, idle, orders float64) float64 {
	if orders <= 0 {
		return 0
	}
	return (busy - idle) / orders * 1000
}

// TaskMemory finds the TaskFunction resource's MemorySize in a SAM template.
func TaskMemory(template string) (int, error) {
	v, ok := taskProperty(template, "MemorySize")
	if !ok {
		return 0, fmt.Errorf("template: no MemorySize for TaskFunction")
	}
	return strconv.Atoi(v)
}

// TaskPlatformLogBytes is what Lambda itself logs per invocation of the
// TaskFunction: its start and report lines (INFO), unless the function's
// SystemLogLevel is WARN.
func TaskPlatformLogBytes(template string) int {
	if v, _ := taskProperty(template, "SystemLogLevel"); v == "WARN" {
		return 0
	}
	return DefaultOptions.PlatformLogBytes
}

// taskProperty finds a scalar property of the TaskFunction resource in a
// SAM template, at any depth under it.
func taskProperty(template, key string) (string, bool) {
	in := false
	for _, l := range strings.Split(template, "\n") {
		switch {
		case strings.HasPrefix(l, "  TaskFunction:"):
			in = true
		case in && strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") && strings.TrimSpace(l) != "":
			in = false // the next resource
		case in:
			k, v, ok := strings.Cut(strings.TrimSpace(l), ":")
			if ok && k == key && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v), true
			}
		}
	}
	return "", false
}

func latencies(m map[string]time.Duration) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %v", strings.TrimSuffix(k, ":"), m[k]))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
