package woocommerce

import (
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	woosim "github.com/autosync/autosync/shared/simulator/woocommerce"
)

// BenchmarkImportThroughput pages through every importable order of a
// simulated store.
//
// WooCommerce documents no rate limit, so "unlimited" reports what the
// connector and the simulator manage together (orders/s, requests). The
// "host-10rps" cases put the store behind a host limit of 10 requests a
// second (a token bucket of one second, starting empty so the run measures
// the steady state, answering 429 with Retry-After in whole seconds), for
// which the bound is 10 requests/s × 100 orders per page = 1,000 orders/s.
// "reactive" is the connector not told the limit, learning it from 429s;
// "paced" is the connector configured with RequestsPerSecond: 10. 44,000
// seeded orders hold about 19,800 importable ones: about 20 s at the bound.
// What keeps the fraction below 1: each page after the first re-reads the
// last order of the page before (99 new orders per request, for drift
// detection), and reactively the wait after each 429 rounds up to a second.
func BenchmarkImportThroughput(b *testing.B) {
	cases := []struct {
		name  string
		seed  int
		limit woosim.RateLimit
		pace  float64
	}{
		{"unlimited", 20000, woosim.RateLimit{}, 0},
		{"host-10rps/reactive", 44000, woosim.RateLimit{PerSecond: 10, StartEmpty: true}, 0},
		{"host-10rps/paced", 44000, woosim.RateLimit{PerSecond: 10, StartEmpty: true}, 10},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			sim := woosim.New(woosim.Options{ConsumerKey: testKey, ConsumerSecret: testSecret})
			sim.Seed(tc.seed, 1)
			want := len(sim.Importable())
			ts := httptest.NewServer(sim)
			defer ts.Close()
			c, err := New(Config{BaseURL: ts.URL, ConsumerKey: testKey, ConsumerSecret: testSecret, RequestsPerSecond: tc.pace})
			if err != nil {
				b.Fatal(err)
			}
			q := everything()
			orders, runs := 0, 0
			var elapsed time.Duration
			for b.Loop() {
				// The limit starts with each run, not with the seeding.
				sim.SetRateLimit(tc.limit)
				before := sim.Stats()
				start := time.Now()
				q := q
				for {
					p, err := c.Orders(b.Context(), q)
					if err != nil {
						b.Fatalf("import failed after %d orders: %v", orders, err)
					}
					orders += len(p.Orders)
					if p.Next == "" {
						break
					}
					q.Cursor = p.Next
				}
				elapsed += time.Since(start)
				runs++
				after := sim.Stats()
				b.ReportMetric(float64(after.Requests-before.Requests), "requests")
				b.ReportMetric(float64(after.RateLimited-before.RateLimited), "429s")
			}
			if orders != want*runs {
				b.Fatalf("imported %d orders in %d runs; want %d each", orders, runs, want)
			}
			rate := float64(orders) / elapsed.Seconds()
			b.ReportMetric(rate, "orders/s")
			b.ReportMetric(float64(want), "orders")
			b.ReportMetric(elapsed.Seconds()/float64(runs), "s/run")
			if tc.limit.PerSecond > 0 {
				bound := tc.limit.PerSecond * perPage
				b.ReportMetric(bound, "bound-orders/s")
				b.ReportMetric(rate/bound, "of-bound")
			}
		})
	}
}

// BenchmarkWriteBackRequestsPerSKU pushes new quantities for 10,000 SKUs
// in batches of MaxBatch and counts the write requests the store received,
// per SKU pushed, against the minimum the batch limit allows (1/100).
//
// "simple" is 10,000 simple products: one /products/batch request per 100.
// "variations" is 10,000 variations of 1,000 variable products (10 each),
// handed over in product order: variations go to one request per parent,
// so a batch of 100 costs 10 requests; the minimum those endpoints allow is
// one request per parent (1,000), reported as of-variation-minimum. Each
// write is preceded by one read of its objects' stock tracking, reported
// apart as reads/SKU.
func BenchmarkWriteBackRequestsPerSKU(b *testing.B) {
	const n = 10000
	cases := []struct {
		name       string
		skus       []string
		simpleOnly bool
	}{
		{"simple", skuList(n, func(i int) string { return fmt.Sprintf("W%05d", i) }), true},
		{"variations", skuList(n, func(i int) string { return fmt.Sprintf("V%04d-%d", i/10, i%10) }), false},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			sim := woosim.New(woosim.Options{ConsumerKey: testKey, ConsumerSecret: testSecret, SKUs: tc.skus, SimpleOnly: tc.simpleOnly})
			ts := httptest.NewServer(sim)
			defer ts.Close()
			c, err := New(Config{BaseURL: ts.URL, ConsumerKey: testKey, ConsumerSecret: testSecret})
			if err != nil {
				b.Fatal(err)
			}
			links := sim.Links()
			ups := make([]cart.StockUpdate, 0, n)
			for i, sku := range tc.skus {
				ups = append(ups, cart.StockUpdate{SKU: sku, Link: links[sku], Quantity: i % 50})
			}
			slices.SortStableFunc(ups, func(a, b cart.StockUpdate) int { // product order, as the caller should
				return compareIDs(a.Link.ProductID, b.Link.ProductID)
			})
			pushed, requests, reads, parents := 0, 0, 0, map[string]bool{}
			for _, u := range ups {
				parents[u.Link.ProductID] = true
			}
			for b.Loop() {
				before := sim.Stats()
				for i := 0; i < len(ups); i += c.MaxBatch() {
					batch := ups[i:min(i+c.MaxBatch(), len(ups))]
					res, err := c.SetStock(b.Context(), batch)
					if err != nil {
						b.Fatal(err)
					}
					for _, r := range res {
						if r.Err != nil {
							b.Fatalf("%s: %v", r.SKU, r.Err)
						}
					}
					pushed += len(batch)
				}
				after := sim.Stats()
				requests += writes(after) - writes(before)
				reads += trackingReads(after) - trackingReads(before)
			}
			perSKU := float64(requests) / float64(pushed)
			minimum := 1.0 / float64(c.MaxBatch())
			b.ReportMetric(perSKU, "requests/SKU")
			b.ReportMetric(float64(reads)/float64(pushed), "reads/SKU")
			b.ReportMetric(minimum, "min-requests/SKU")
			b.ReportMetric(perSKU/minimum, "of-minimum")
			if !tc.simpleOnly {
				b.ReportMetric(perSKU/(float64(len(parents))/float64(n)), "of-variation-minimum")
			}
			b.ReportMetric(float64(requests)/float64(pushed/n), "requests/run")
		})
	}
}

func writes(s woosim.Stats) int {
	return s.ByEndpoint["POST /products/batch"] + s.ByEndpoint["POST /products/{id}/variations/batch"] + s.ByEndpoint["PUT /products/{id}"]
}

func trackingReads(s woosim.Stats) int {
	return s.ByEndpoint["GET /products"] + s.ByEndpoint["GET /products/{id}/variations"]
}

func skuList(n int, name func(int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = name(i)
	}
	return out
}

func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
