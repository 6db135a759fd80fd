package main

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPriceListIsComplete(t *testing.T) {
	p, err := ParsePrices(pricesJSON)
	if err != nil {
		t.Fatal(err)
	}
	if p.Region != "us-east-1" {
		t.Errorf("region %q, want us-east-1", p.Region)
	}
	for _, k := range priceKeys {
		if !strings.HasPrefix(p.Prices[k].Source, "https://") {
			t.Errorf("%s: source %q is not a page", k, p.Prices[k].Source)
		}
	}
}

func TestPriceListRefusesGaps(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":       `{`,
		"missing price":  `{"region":"us-east-1","prices":{}}`,
		"zero per":       strings.Replace(string(pricesJSON), `"per": 10000`, `"per": 0`, 1),
		"negative price": strings.Replace(string(pricesJSON), `"usd": 0.625`, `"usd": -0.625`, 1),
		"no source":      strings.Replace(string(pricesJSON), `"source": "https://aws.amazon.com/kms/pricing/`, `"x": "`, 1),
	} {
		if _, err := ParsePrices([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCost(t *testing.T) {
	p := Prices{Prices: map[string]Price{
		priceWRU: {USD: 0.625, Per: 1e6}, priceRRU: {USD: 0.125, Per: 1e6}, priceKMS: {USD: 0.03, Per: 1e4},
		priceSchedule: {USD: 1, Per: 1e6}, priceGBs: {USD: 0.0000133334, Per: 1}, priceLambda: {USD: 0.2, Per: 1e6},
		priceLogs: {USD: 0.5, Per: 1}, priceAPI: {USD: 1, Per: 1e6},
	}}
	q := Quantities{RRU: 2e6, WRU: 1e6, KMSRequests: 20000, SchedulerInvoke: 3e6, LambdaRequests: 5e6,
		GBSeconds: 100000, LogBytes: 2e9, APIRequests: 1e6}
	want := map[string]float64{
		priceRRU: 0.25, priceWRU: 0.625, priceKMS: 0.06, priceSchedule: 3, priceLambda: 1,
		priceGBs: 1.33334, priceLogs: 1, priceAPI: 1,
	}
	items := p.Cost(q)
	if len(items) != len(priceKeys) {
		t.Fatalf("%d line items, want %d", len(items), len(priceKeys))
	}
	sum := 0.0
	for _, it := range items {
		if math.Abs(it.USD-want[it.Key]) > 1e-9 {
			t.Errorf("%s: $%v, want $%v", it.Key, it.USD, want[it.Key])
		}
		sum += want[it.Key]
	}
	if math.Abs(Total(items)-sum) > 1e-9 {
		t.Errorf("total $%v, want $%v", Total(items), sum)
	}
	if got := p.Cost(q.Scale(2)); math.Abs(Total(got)-2*sum) > 1e-9 {
		t.Errorf("twice the quantities cost $%v, want $%v", Total(got), 2*sum)
	}
}

func TestPerThousandOrders(t *testing.T) {
	// 50 orders an hour for 30 days is 36,000 orders.
	if got := PerThousandOrders(3.73, 1.40, 36000); math.Abs(got-(2.33/36)) > 1e-9 {
		t.Errorf("PerThousandOrders = %v, want %v", got, 2.33/36)
	}
	if got := PerThousandOrders(1, 1, 0); got != 0 {
		t.Errorf("no orders: %v, want 0", got)
	}
}

func TestModelledDuration(t *testing.T) {
	o := Options{CartLatency: 100e6, InvocationOverhead: 10e6, Latency: map[string]time.Duration{
		"dynamodb:": 5e6, "dynamodb:Query": 8e6, "kms:": 8e6,
	}}
	u := &Usage{Calls: map[string]int{"dynamodb:GetItem": 10, "dynamodb:Query": 2, "kms:Decrypt": 1}, CartRequests: 3}
	// 2 invocations × 10 ms + 3 × 100 ms + 10 × 5 ms + 2 × 8 ms + 8 ms
	if got, want := o.Modelled(u, 2), time.Duration(20e6+300e6+50e6+16e6+8e6); got != want {
		t.Errorf("Modelled = %v, want %v", got, want)
	}
	// A quarter of the memory is a quarter of the CPU: the handler's own
	// work takes four times as long; calls and cart requests do not.
	o.MemoryMB, o.OverheadMemoryMB = 256, 1024
	if got, want := o.Modelled(u, 2), time.Duration(80e6+300e6+50e6+16e6+8e6); got != want {
		t.Errorf("Modelled at 256 MB = %v, want %v", got, want)
	}
	o.MemoryMB = 2048
	if got, want := o.Modelled(u, 2), time.Duration(20e6+300e6+50e6+16e6+8e6); got != want {
		t.Errorf("Modelled at 2048 MB = %v, want %v (no faster than measured)", got, want)
	}
}

func TestTaskMemoryFromTemplate(t *testing.T) {
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mb, err := TaskMemory(string(b))
	if err != nil {
		t.Fatal(err)
	}
	// The first MemorySize after the TaskFunction resource, not the
	// Globals' one above it.
	tpl := string(b)
	after := tpl[strings.Index(tpl, "\n  TaskFunction:"):]
	after = after[strings.Index(after, "MemorySize:")+len("MemorySize:"):]
	want, _ := strconv.Atoi(strings.TrimSpace(after[:strings.Index(after, "\n")]))
	if mb != want || want == 0 {
		t.Errorf("task memory %d MB, want %d", mb, want)
	}
	const small = "Globals:\n  Function:\n    MemorySize: 512\nResources:\n  ApiFunction:\n    Properties:\n      MemorySize: 256\n  TaskFunction:\n    Properties:\n      Timeout: 300\n      MemorySize: 1536\n  Other:\n    MemorySize: 64\n"
	if mb, err := TaskMemory(small); err != nil || mb != 1536 {
		t.Errorf("TaskMemory = %d, %v; want 1536", mb, err)
	}
	if _, err := TaskMemory("Resources:\n  TaskFunction:\n    Properties:\n      Timeout: 300\n  Other:\n    MemorySize: 64\n"); err == nil {
		t.Error("a task function without MemorySize was accepted")
	}
}

// Lambda's own log lines per invocation are priced unless the task
// function's SystemLogLevel leaves them out.
func TestTaskPlatformLogBytes(t *testing.T) {
	for _, tc := range []struct {
		name, template string
		want           int
	}{
		{"default level", "Resources:\n  TaskFunction:\n    Properties:\n      LoggingConfig:\n        LogFormat: JSON\n", DefaultOptions.PlatformLogBytes},
		{"WARN", "Resources:\n  TaskFunction:\n    Properties:\n      LoggingConfig:\n        LogFormat: JSON\n        SystemLogLevel: WARN\n", 0},
		{"INFO", "Resources:\n  TaskFunction:\n    Properties:\n      LoggingConfig:\n        SystemLogLevel: INFO\n", DefaultOptions.PlatformLogBytes},
		{"another function's WARN", "Resources:\n  ApiFunction:\n    Properties:\n      LoggingConfig:\n        SystemLogLevel: WARN\n  TaskFunction:\n    Properties:\n      Timeout: 300\n", DefaultOptions.PlatformLogBytes},
	} {
		if got := TaskPlatformLogBytes(tc.template); got != tc.want {
			t.Errorf("%s: %d bytes, want %d", tc.name, got, tc.want)
		}
	}
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := TaskPlatformLogBytes(string(b)); got != 0 {
		t.Errorf("template.yaml: the task function logs Lambda's %d bytes per invocation", got)
	}
}
