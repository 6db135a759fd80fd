package amazon

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

// BenchmarkImportThroughput pages through every importable order of a
// simulated seller whose searchOrders runs at the documented usage plan
// (0.0056 requests/s, burst 20) with the largest page (100 orders), on a
// simulated clock shared by simulator and connector: the connector's
// pacing waits are real waits in simulated time, so a run that takes hours
// on Amazon takes a second here, and the simulator rejects (429) any
// request that comes early.
//
// The bound is the steady state the usage plan allows: 0.0056 requests/s
// × 100 orders = 0.56 orders/s (2,016 orders/h). The burst of 20 requests
// is free once per idle hour (the bucket refills in 20 / 0.0056 s = 59.5
// min) and would let a short run beat any rate, so it is reported apart:
// of-bound is measured over the pages after the 20th request, from the
// 20th request to the last (each of those pages costs one refill). What
// keeps it below 1 is the pacing margin (1% of a refill, the most the
// connector waits beyond the refill, for rounding and reordering) and the
// last, short page. 40,000 seeded orders give about 13,000 importable
// ones: about 130 pages, 110 of them paced.
func BenchmarkImportThroughput(b *testing.B) {
	e := newEnv(b, amazonsim.Options{})
	e.sim.Seed(40_000, 1)
	want := len(e.sim.Importable())
	limit := e.sim.Limit(amazonsim.OpSearchOrders)
	q := cart.OrderQuery{UpdatedFrom: start.AddDate(0, 0, -61), UpdatedTo: start}
	var (
		requests, orders, steadyOrders int
		burstEnd, last                 time.Time // when the burst's last request and the last request were sent
	)
	requestsBefore := e.sim.Stats().ByOperation[amazonsim.OpSearchOrders]
	first := e.clock.Now()
	realStart := time.Now()
	for b.Loop() {
		q := q
		got := 0
		for {
			p, err := e.c.Orders(b.Context(), q)
			if err != nil {
				b.Fatalf("import failed after %d orders: %v", orders, err)
			}
			// The simulated clock does not move during a request: its
			// reading after the call is when the request was sent.
			now := e.clock.Now()
			requests = e.sim.Stats().ByOperation[amazonsim.OpSearchOrders] - requestsBefore
			switch {
			case requests == limit.Burst:
				burstEnd = now
			case requests > limit.Burst:
				steadyOrders += len(p.Orders)
			}
			got += len(p.Orders)
			last = now
			if p.Next == "" {
				break
			}
			q.Cursor = p.Next
		}
		if got != want {
			b.Fatalf("imported %d orders, want %d", got, want)
		}
		orders += got
	}
	st := e.sim.Stats()
	bound := limit.Rate * ordersPageSize
	steady := float64(steadyOrders) / last.Sub(burstEnd).Seconds()
	overall := float64(orders) / last.Sub(first).Seconds()
	b.ReportMetric(steady, "orders/s")
	b.ReportMetric(bound, "bound-orders/s")
	b.ReportMetric(steady/bound, "of-bound")
	b.ReportMetric(overall, "orders/s-with-burst")
	b.ReportMetric(float64(orders), "orders")
	b.ReportMetric(float64(requests), "requests")
	b.ReportMetric(float64(orders)/float64(requests), "orders/request")
	b.ReportMetric(last.Sub(first).Hours(), "simulated-hours")
	b.ReportMetric(time.Since(realStart).Seconds(), "real-seconds")
	b.ReportMetric(float64(st.QuotaExceeded), "429s")
}

// BenchmarkWriteBackRequestsPerSKU pushes a new quantity for every SKU
// of a seller in SetStock calls of MaxBatch, as Write Inventory Back
// does, down both write-back paths, and counts the requests the simulator
// received (time is simulated, shared by simulator and connector):
//
//   - patch: 2,000 SKUs with feeds off (Config.FeedThreshold < 0, so
//     MaxBatch is MaxPatchBatch): one patchListingsItem per SKU, against
//     the minimum of 1 that call allows (it addresses one SKU; Amazon has
//     no batch listings call). The listings are read beforehand and not
//     counted. simulated-SKUs/s shows the pacing (5 patches/s after a
//     burst of 5); with five patches in flight the shared clock advances
//     a little more than real waits would, so it is a lower bound.
//   - feed: 10,000 SKUs, one SetStock call of MaxFeedBatch: one
//     JSON_LISTINGS_FEED. requests/SKU counts every HTTP request (SP-API
//     calls, the document upload and the report download) per SKU;
//     sp-api-requests/feed is set against the minimum of 4 a feed needs
//     (createFeedDocument, createFeed, one getFeed, getFeedDocument) and
//     http-requests/feed against 6 (those and the two transfers). The
//     extra requests are the getFeed polls while the simulator processes
//     the feed (amazonsim.DefaultFeedDelay, 2 minutes, a guess at
//     Amazon's typical time), at 10 s then doubling up to 1 minute.
func BenchmarkWriteBackRequestsPerSKU(b *testing.B) {
	b.Run("patch", func(b *testing.B) {
		const n = 2_000
		skus := make([]string, n)
		for i := range skus {
			skus[i] = fmt.Sprintf("WB-%05d", i)
		}
		e := newEnv(b, amazonsim.Options{SKUs: skus})
		c := e.client(b, Config{})
		c.feedAt = 0 // Config.FeedThreshold: -1
		if c.MaxBatch() != MaxPatchBatch {
			b.Fatalf("MaxBatch %d with feeds off", c.MaxBatch())
		}
		listings := carttest.Listings(b, c, cart.ListingQuery{})
		if len(listings) != n {
			b.Fatalf("%d listings; want %d", len(listings), n)
		}
		before := e.sim.Stats()
		t0 := e.clock.Now()
		pushed, round := 0, 0
		for b.Loop() {
			round++
			ups := make([]cart.StockUpdate, len(listings))
			for i, l := range listings {
				ups[i] = cart.StockUpdate{SKU: l.SKU, Link: l.Link, Quantity: (i + round) % 500}
			}
			pushed += push(b, e, c, ups)
		}
		st := e.sim.Stats()
		requests := st.Requests - before.Requests
		if creates := st.ByOperation[amazonsim.OpCreateFeed]; creates != 0 {
			b.Fatalf("%d feeds with feeds off", creates)
		}
		perSKU := float64(requests) / float64(pushed)
		const minimum = 1.0
		b.ReportMetric(perSKU, "requests/SKU")
		b.ReportMetric(minimum, "min-requests/SKU")
		b.ReportMetric(perSKU/minimum, "of-min")
		b.ReportMetric(math.Round(float64(pushed)/e.clock.Now().Sub(t0).Seconds()*100)/100, "simulated-SKUs/s")
		b.ReportMetric(float64(st.QuotaExceeded-before.QuotaExceeded), "429s")
	})
	b.Run("feed", func(b *testing.B) {
		const n = MaxFeedBatch
		skus := make([]string, n)
		for i := range skus {
			skus[i] = fmt.Sprintf("WB-%05d", i)
		}
		e := newEnv(b, amazonsim.Options{SKUs: skus})
		before := e.sim.Stats()
		t0 := e.clock.Now()
		pushed, round := 0, 0
		for b.Loop() {
			round++
			ups := make([]cart.StockUpdate, n)
			for i, sku := range skus {
				ups[i] = cart.StockUpdate{SKU: sku, Quantity: (i + round) % 500}
			}
			pushed += push(b, e, e.c, ups)
		}
		st := e.sim.Stats()
		feeds := st.ByOperation[amazonsim.OpCreateFeed] - before.ByOperation[amazonsim.OpCreateFeed]
		if feeds != round || st.ByOperation[amazonsim.OpPatchListingsItem] != 0 {
			b.Fatalf("%d feeds and %d patches for %d pushes", feeds, st.ByOperation[amazonsim.OpPatchListingsItem], round)
		}
		api := st.Requests - before.Requests
		http := api + st.DocumentTransfers - before.DocumentTransfers
		polls := st.ByOperation[amazonsim.OpGetFeed] - before.ByOperation[amazonsim.OpGetFeed]
		const minAPI, minHTTP = 4.0, 6.0
		b.ReportMetric(float64(http)/float64(pushed), "requests/SKU")
		b.ReportMetric(float64(api)/float64(feeds), "sp-api-requests/feed")
		b.ReportMetric(minAPI, "min-sp-api-requests/feed")
		b.ReportMetric(float64(http)/float64(feeds), "http-requests/feed")
		b.ReportMetric(minHTTP, "min-http-requests/feed")
		b.ReportMetric(float64(http)/float64(feeds)/minHTTP, "of-min")
		b.ReportMetric(float64(polls)/float64(feeds), "getFeed-polls/feed")
		b.ReportMetric(e.clock.Now().Sub(t0).Seconds()/float64(feeds), "simulated-s/feed")
		b.ReportMetric(float64(st.QuotaExceeded-before.QuotaExceeded), "429s")
	})
}

// push sends ups in SetStock calls of c.MaxBatch() and checks every
// quantity reached the simulator; it returns how many it pushed.
func push(b *testing.B, e *env, c *Client, ups []cart.StockUpdate) int {
	b.Helper()
	pushed := 0
	for lo := 0; lo < len(ups); lo += c.MaxBatch() {
		res, err := c.SetStock(b.Context(), ups[lo:min(lo+c.MaxBatch(), len(ups))])
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
	q := e.sim.Quantities()
	for _, u := range ups {
		if q[u.SKU] != u.Quantity {
			b.Fatalf("%s: %d; pushed %d", u.SKU, q[u.SKU], u.Quantity)
		}
	}
	return pushed
}
