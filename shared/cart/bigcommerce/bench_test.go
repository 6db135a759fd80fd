package bigcommerce

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	bcsim "github.com/autosync/autosync/shared/simulator/bigcommerce"
)

// BenchmarkImportThroughput pages through every importable order of a
// simulated Standard store (150 requests per 30 s fixed window) and reports
// how close the connector gets to what that limit allows.
//
// The bound is (150 / 30 s) × 250 orders per page = 1,250 orders/s: every
// request the window admits spent on a full page. It runs in real time,
// the simulator and the connector on the same wall clock; no fast clock is
// injected (the connector's waits are real timers, so a simulator clock
// running faster would let it overrun the window). 150,000 seeded orders
// give about 75,000 importable ones in three statuses: about 300 requests,
// a minute of paced traffic over three windows, so the one-off losses (each
// status's last short page, the id repeated at the top of each page, the
// rare order whose line items need a request of their own) show at their
// real weight. The run starts with a fresh window, as a run whose store
// has been idle would; the pacer spreads each window's quota over the
// window rather than spending it in a burst, so a run that ends mid-window
// is not credited with the rest of that window's quota.
func BenchmarkImportThroughput(b *testing.B) {
	limit := bcsim.Standard
	sim := bcsim.New(bcsim.Options{AccessToken: token, StoreHash: hash, Limit: limit})
	sim.Seed(150_000, 1)
	c, err := New(Config{StoreHash: hash, BaseURL: serve(b, sim), AccessToken: token})
	if err != nil {
		b.Fatal(err)
	}
	q := everything()
	orders := 0
	start := time.Now()
	for b.Loop() {
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
	}
	elapsed := time.Since(start)
	st := sim.Stats()
	requests := st.Requests
	bound := float64(limit.Requests) / limit.Window.Seconds() * ordersPageSize
	rate := float64(orders) / elapsed.Seconds()
	b.ReportMetric(rate, "orders/s")
	b.ReportMetric(bound, "bound-orders/s")
	b.ReportMetric(rate/bound, "of-bound")
	b.ReportMetric(float64(orders), "orders")
	b.ReportMetric(float64(requests), "requests")
	b.ReportMetric(float64(requests)/elapsed.Seconds(), "requests/s")
	b.ReportMetric(float64(orders)/float64(requests), "orders/request")
	b.ReportMetric(elapsed.Seconds(), "seconds")
	b.ReportMetric(float64(st.RateLimited), "429s")
}

// BenchmarkWriteBackRequestsPerSKU pushes a new quantity for each of 10,000
// SKUs in MaxBatch batches, as Write Inventory Back does, and reports the
// requests spent per SKU against the minimum the batch limit allows,
// ceil(10000 / 2000) / 10000. The links come from Listings beforehand and
// are not counted.
func BenchmarkWriteBackRequestsPerSKU(b *testing.B) {
	const n = 10_000
	skus := make([]string, n)
	for i := range skus {
		skus[i] = fmt.Sprintf("WB-%05d", i)
	}
	sim := bcsim.New(bcsim.Options{AccessToken: token, StoreHash: hash, SKUs: skus, Limit: bcsim.Standard})
	c, err := New(Config{StoreHash: hash, BaseURL: serve(b, sim), AccessToken: token})
	if err != nil {
		b.Fatal(err)
	}
	listings := carttest.Listings(b, c, cart.ListingQuery{})
	if len(listings) != n {
		b.Fatalf("%d listings; want %d", len(listings), n)
	}
	const endpoint = "PUT /v3/inventory/adjustments/absolute"
	before := sim.Stats().ByEndpoint[endpoint]
	pushed, round := 0, 0
	for b.Loop() {
		round++
		ups := make([]cart.StockUpdate, len(listings))
		for i, l := range listings {
			ups[i] = cart.StockUpdate{SKU: l.SKU, Link: l.Link, Quantity: (i + round) % 500}
		}
		for lo := 0; lo < len(ups); lo += c.MaxBatch() {
			batch := ups[lo:min(lo+c.MaxBatch(), len(ups))]
			res, err := c.SetStock(b.Context(), batch)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Fatalf("%s: %v", r.SKU, r.Err)
				}
				pushed++
			}
		}
		q := sim.Quantities()
		for _, u := range ups {
			if q[u.SKU] != u.Quantity {
				b.Fatalf("%s: %d; pushed %d", u.SKU, q[u.SKU], u.Quantity)
			}
		}
	}
	requests := sim.Stats().ByEndpoint[endpoint] - before
	perSKU := float64(requests) / float64(pushed)
	minimum := math.Ceil(float64(n)/MaxAdjustmentItems) / n
	b.ReportMetric(perSKU, "requests/SKU")
	b.ReportMetric(minimum, "min-requests/SKU")
	b.ReportMetric(perSKU/minimum, "of-min")
	b.ReportMetric(float64(requests)/float64(round), "requests/run")
}
