package runner

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/runs"
)

// streamCart generates orders on demand, page by page, holding none: the
// benchmark measures Autosync's memory, not a simulator's.
type streamCart struct {
	n, pageSize int
	base        time.Time
}

func (s streamCart) Orders(_ context.Context, q cart.OrderQuery) (cart.OrderPage, error) {
	if q.Cancelled {
		return cart.OrderPage{}, nil
	}
	start, _ := strconv.Atoi(q.Cursor)
	end := min(start+s.pageSize, s.n)
	page := cart.OrderPage{Orders: make([]cart.Order, 0, end-start)}
	for i := start; i < end; i++ {
		page.Orders = append(page.Orders, cart.Order{
			ExternalID: strconv.Itoa(1_000_000 + i), Number: fmt.Sprintf("#%d", 1000+i),
			Filter: cart.AwaitingFulfillment, CartStatus: "open/paid/unfulfilled",
			Lines:     []cart.Line{{SKU: fmt.Sprintf("SKU-%03d", i%200), Quantity: 1 + i%3}},
			CreatedAt: s.base, UpdatedAt: s.base.Add(time.Duration(i) * time.Millisecond),
		})
	}
	if end < s.n {
		page.Next = strconv.Itoa(end)
	}
	return page, nil
}

// BenchmarkImportMemory imports AUTOSYNC_BENCH_ORDERS (default 100,000)
// orders through the executor into the embedded store and reports the peak
// heap in use, sampled every 10 ms (BENCHMARKS.md's goal: under 64 MiB).
//
//	go test -run '^$' -bench ImportMemory -benchtime 1x ./shared/runner
func BenchmarkImportMemory(b *testing.B) {
	n := 100_000
	if s := getenv("AUTOSYNC_BENCH_ORDERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for i := 0; i < b.N; i++ {
		f := newFixture(b, 0)
		f.r.Connectors = fakeConnectors{src: streamCart{n: n, pageSize: 250, base: f.clk.Now().Add(-time.Hour)}, shelf: f.shelf}
		var run runs.Run
		var err error
		start := time.Now()
		peak := peakHeap(func() {
			run, err = f.r.Handle(context.Background(), runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: catalog.ImportOrders, Trigger: runs.Manual})
		})
		if err != nil || run.Status != runs.Succeeded || run.Counts.Created != n {
			b.Fatalf("run %+v %v", run, err)
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "orders/s")
	}
}

func getenv(k string) string { return os.Getenv(k) }

// peakHeap runs fn and returns the most heap in use while it ran, sampled
// every 10 ms.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// BenchmarkCatalogMemory imports AUTOSYNC_BENCH_SKUS (default 20,000, the
// cost model's large merchant) products, changes every SKU's stock and
// writes them all back, the largest write-back a channel sees (its first),
// and reports the peak heap of each: what the task function's MemorySize
// is sized by.
//
//	go test -run '^$' -bench CatalogMemory -benchtime 1x ./shared/runner
func BenchmarkCatalogMemory(b *testing.B) {
	n := 20_000
	if s := getenv("AUTOSYNC_BENCH_SKUS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		f := newFixture(b, 0)
		f.shelf.maxBatch = 100
		for j := range n {
			f.shelf.add(fmt.Sprintf("SKU-%05d", j), 3)
		}
		handle := func(task catalog.Task) runs.Run {
			f.clk.Add(time.Second)
			run, err := f.r.Handle(ctx, runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: task, Trigger: runs.Manual})
			if err != nil {
				b.Fatal(err)
			}
			for run.Status == runs.Running || run.Status == runs.Queued {
				run, err = f.r.Handle(ctx, runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: task, Trigger: runs.Continuation, RunID: run.ID})
				if err != nil {
					b.Fatal(err)
				}
			}
			if run.Status != runs.Succeeded {
				b.Fatalf("%s: %+v", task, run)
			}
			return run
		}
		var imported, written runs.Run
		importPeak := peakHeap(func() { imported = handle(catalog.ImportProducts) })
		if imported.Counts.Created != n {
			b.Fatalf("imported %+v", imported.Counts)
		}
		for j := range n {
			if _, err := f.inv.SetOnHand(ctx, "acct", fmt.Sprintf("SKU-%05d", j), "wh_default", 7); err != nil {
				b.Fatal(err)
			}
		}
		writePeak := peakHeap(func() { written = handle(catalog.WriteInventory) })
		if got := f.shelf.quantity(fmt.Sprintf("SKU-%05d", n-1)); got != 7 {
			b.Fatalf("write-back left the cart at %d; run %+v", got, written)
		}
		b.ReportMetric(float64(importPeak)/(1<<20), "import-peak-heap-MiB")
		b.ReportMetric(float64(writePeak)/(1<<20), "writeback-peak-heap-MiB")
	}
}
