package amazon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

func skuList(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%05d", prefix, i)
	}
	return out
}

func pushOf(skus []string, q func(i int) int) []cart.StockUpdate {
	out := make([]cart.StockUpdate, len(skus))
	for i, s := range skus {
		out[i] = cart.StockUpdate{SKU: s, Quantity: q(i)}
	}
	return out
}

// checkPushed checks every result is confirmed and the simulator holds
// every pushed quantity.
func checkPushed(t *testing.T, e *env, ups []cart.StockUpdate, res []cart.StockResult) {
	t.Helper()
	if len(res) != len(ups) {
		t.Fatalf("%d results for %d updates", len(res), len(ups))
	}
	q := e.sim.Quantities()
	bad := 0
	for i, u := range ups {
		if res[i].SKU != u.SKU || res[i].Err != nil || q[u.SKU] != u.Quantity {
			if bad++; bad < 5 {
				t.Errorf("%s: result %+v, simulator %d, pushed %d", u.SKU, res[i], q[u.SKU], u.Quantity)
			}
		}
	}
}

// temporarySaying reports whether err is a temporary *cart.Error whose
// message holds text.
func temporarySaying(err error, text string) bool {
	var ce *cart.Error
	return errors.As(err, &ce) && ce.Temporary && strings.Contains(ce.Message, text)
}

// pushCountingFeeds pushes ups with c, checks every quantity arrived,
// and that the simulator has created feeds feeds in all.
func pushCountingFeeds(t *testing.T, e *env, c *Client, ups []cart.StockUpdate, feeds int) {
	t.Helper()
	res, err := c.SetStock(context.Background(), ups)
	if err != nil {
		t.Fatal(err)
	}
	checkPushed(t, e, ups, res)
	if n := e.sim.Stats().ByOperation[amazonsim.OpCreateFeed]; n != feeds {
		t.Errorf("%d feeds created, want %d", n, feeds)
	}
}

// pushPastDeadline pushes ups with c within 30 s of the wall clock,
// which the simulated waits do not move, so a feed's polls run into the
// deadline: the push must end with a *cart.RateLimitedError.
func pushPastDeadline(t *testing.T, c *Client, ups []cart.StockUpdate) *cart.RateLimitedError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rl *cart.RateLimitedError
	if _, err := c.SetStock(ctx, ups); !errors.As(err, &rl) {
		t.Fatalf("past the deadline: %v; want *cart.RateLimitedError", err)
	}
	return rl
}

func TestSetStockLargePushIsOneFeed(t *testing.T) {
	skus := skuList(2_000, "F")
	e := newEnv(t, amazonsim.Options{SKUs: skus})
	e.sim.SetFaults(amazonsim.Faults{DocumentErrors: 1}) // the upload is retried
	ups := pushOf(skus, func(i int) int { return i % 321 })
	t0 := e.clock.Now()
	res, err := e.c.SetStock(context.Background(), ups)
	if err != nil {
		t.Fatal(err)
	}
	checkPushed(t, e, ups, res)
	st := e.sim.Stats()
	for op, want := range map[string]int{amazonsim.OpCreateFeedDocument: 1, amazonsim.OpCreateFeed: 1, amazonsim.OpGetFeedDocument: 1, amazonsim.OpPatchListingsItem: 0} {
		if got := st.ByOperation[op]; got != want {
			t.Errorf("%s: %d requests, want %d", op, got, want)
		}
	}
	if polls := st.ByOperation[amazonsim.OpGetFeed]; polls < 1 || polls > 6 {
		t.Errorf("%d getFeed polls for a feed of %s", polls, amazonsim.DefaultFeedDelay)
	}
	if st.FeedMessagesAccepted != len(skus) || st.QuotaExceeded != 0 || st.Faults.DocumentErrors != 1 {
		t.Errorf("stats %+v", st)
	}
	t.Logf("requests: %v, document transfers %d", st.ByOperation, st.DocumentTransfers)
	if st.TokenSentToDocument != 0 {
		t.Errorf("%d document transfers carried the access token", st.TokenSentToDocument)
	}
	if d := e.clock.Now().Sub(t0); d < amazonsim.DefaultFeedDelay || d > amazonsim.DefaultFeedDelay+2*time.Minute {
		t.Errorf("the push took %s of simulated time", d)
	}
	if n := remembered(); n != 0 {
		t.Errorf("%d finished feeds are still remembered", n)
	}
}

// remembered counts the remembered feeds (of every endpoint: the tests
// of this package do not run in parallel).
func remembered() int {
	inflight.mu.Lock()
	defer inflight.mu.Unlock()
	return len(inflight.m)
}

func forgetAll() {
	inflight.mu.Lock()
	defer inflight.mu.Unlock()
	clear(inflight.m)
}

func TestSetStockFeedPerSKUFailure(t *testing.T) {
	skus := skuList(300, "F")
	e := newEnv(t, amazonsim.Options{SKUs: skus, CompressReports: true})
	e.sim.FailSKU("F-00007", 1)
	ups := pushOf(skus[:250], func(i int) int { return 1000 + i })
	ups[20] = cart.StockUpdate{SKU: "NO-SUCH-SKU", Quantity: 3}
	ups[30].Quantity = -1 // refused locally
	ups[40].SKU = ""      // refused locally
	before := e.sim.Quantities()
	res, err := e.c.SetStock(context.Background(), ups)
	if err != nil {
		t.Fatal(err)
	}
	q := e.sim.Quantities()
	for i, u := range ups {
		r := res[i]
		var ce *cart.Error
		switch i {
		case 7, 20, 30, 40:
			if !errors.As(r.Err, &ce) || ce.Message == "" || errors.Is(r.Err, cart.ErrAuth) {
				t.Errorf("%d %s: %v; want a per-SKU *cart.Error", i, u.SKU, r.Err)
			}
			if u.SKU != "" && q[u.SKU] != before[u.SKU] {
				t.Errorf("%s changed to %d although refused", u.SKU, q[u.SKU])
			}
		default:
			if r.Err != nil || q[u.SKU] != u.Quantity {
				t.Errorf("%s: %v, simulator %d, pushed %d", u.SKU, r.Err, q[u.SKU], u.Quantity)
			}
		}
	}
	if !strings.Contains(res[7].Err.Error(), "The attributes are invalid") || !strings.Contains(res[20].Err.Error(), "no listing") {
		t.Errorf("refusals do not carry Amazon's issues: %v / %v", res[7].Err, res[20].Err)
	}
	if st := e.sim.Stats(); st.ByOperation[amazonsim.OpCreateFeed] != 1 || st.ByOperation[amazonsim.OpPatchListingsItem] != 0 || st.FeedMessagesInvalid != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestSetStockSmallPushesPatch(t *testing.T) {
	skus := skuList(200, "S")
	e := newEnv(t, amazonsim.Options{SKUs: skus})
	ups := pushOf(skus[:DefaultFeedThreshold-1], func(i int) int { return i })
	res, err := e.c.SetStock(context.Background(), ups)
	if err != nil {
		t.Fatal(err)
	}
	checkPushed(t, e, ups, res)
	// One accepted patch per SKU. The shared fake clock jumps when one
	// worker sleeps while another's request is in flight, so the odd 429
	// (retried) can happen; it is counted, and only it may add a request.
	st := e.sim.Stats()
	patches := func(st amazonsim.Stats) int { return st.ByOperation[amazonsim.OpPatchListingsItem] - st.QuotaExceeded }
	if st.Patched != len(ups) || patches(st) != len(ups) || st.ByOperation[amazonsim.OpCreateFeed] != 0 || st.ByOperation[amazonsim.OpCreateFeedDocument] != 0 {
		t.Errorf("%d SKUs: %+v", len(ups), st)
	}
	// At the threshold: a feed.
	ups = pushOf(skus[:DefaultFeedThreshold], func(i int) int { return i + 7 })
	if res, err = e.c.SetStock(context.Background(), ups); err != nil {
		t.Fatal(err)
	}
	checkPushed(t, e, ups, res)
	if st := e.sim.Stats(); st.ByOperation[amazonsim.OpCreateFeed] != 1 || patches(st) != DefaultFeedThreshold-1 {
		t.Errorf("%d SKUs: %+v", len(ups), st)
	}

	// Feeds off: patches only, in small batches.
	c := e.client(t, Config{})
	c.feedAt = 0
	off, err := New(Config{ClientID: "id", ClientSecret: "s", RefreshToken: "r", SellerID: "A1SELLER", MarketplaceID: "ATVPDKIKX0DER", FeedThreshold: -1})
	if err != nil || off.MaxBatch() != MaxPatchBatch || e.c.MaxBatch() != MaxFeedBatch {
		t.Errorf("MaxBatch: feeds off %d (%v), on %d", off.MaxBatch(), err, e.c.MaxBatch())
	}
	if _, err := New(Config{ClientID: "id", ClientSecret: "s", RefreshToken: "r", SellerID: "A1SELLER", MarketplaceID: "ATVPDKIKX0DER", FeedThreshold: MaxFeedThreshold + 1}); err == nil {
		t.Error("a feed threshold above the maximum was accepted")
	}
	if _, err := c.SetStock(context.Background(), pushOf(skus[:MaxPatchBatch+1], func(int) int { return 1 })); err == nil {
		t.Error("feeds off: an oversized batch was accepted")
	}
}

func TestSetStockFeedFatalOrCancelled(t *testing.T) {
	skus := skuList(150, "X")
	e := newEnv(t, amazonsim.Options{SKUs: skus})
	ups := pushOf(skus, func(i int) int { return 500 + i })
	before := e.sim.Quantities()

	e.sim.FailFeeds(1)
	_, err := e.c.SetStock(context.Background(), ups)
	if !temporarySaying(err, "FATAL") || !temporarySaying(err, "internal error") {
		t.Errorf("FATAL feed: %v; want a temporary whole-call *cart.Error with Amazon's reason", err)
	}
	if q := e.sim.Quantities(); q[skus[0]] != before[skus[0]] {
		t.Error("a FATAL feed changed a quantity")
	}

	// Cancelled while queued (the first poll's wait is when).
	c := e.client(t, Config{})
	cancelled := false
	c.sleepFn = func(ctx context.Context, d time.Duration) error {
		if !cancelled {
			cancelled = e.sim.CancelFeeds() > 0
		}
		return e.clock.Sleep(ctx, d)
	}
	_, err = c.SetStock(context.Background(), ups)
	if !cancelled || !temporarySaying(err, "cancelled") {
		t.Errorf("cancelled feed: %v", err)
	}

	// Neither is remembered: the next push sends a new feed, which works.
	pushCountingFeeds(t, e, e.c, ups, 3)
}

func TestSetStockFeedPastDeadlineContinues(t *testing.T) {
	skus := skuList(500, "D")
	e := newEnv(t, amazonsim.Options{SKUs: skus})
	ups := pushOf(skus, func(i int) int { return 3 * i })

	// 30 s allow the polls at 10 s and 30 s, not the next at 70 s.
	if rl := pushPastDeadline(t, e.c, ups); rl.RetryAfter <= 0 {
		t.Fatalf("past the deadline: %v; want a wait", rl)
	}
	if fs := e.sim.Feeds(); len(fs) != 1 || fs[0].Status == amazonsim.FeedDone {
		t.Fatalf("feeds %+v; want one still processing", fs)
	}

	// The continuation (a new Client, as the executor builds) resumes the
	// same feed instead of sending another.
	pushCountingFeeds(t, e, e.client(t, Config{}), ups, 1)

	// A continuation in another process does not remember the feed and
	// sends it again: the same absolute quantities, applied twice, leave
	// the same result.
	ups = pushOf(skus, func(i int) int { return 7 * i })
	pushPastDeadline(t, e.c, ups)
	forgetAll()
	res, err := e.client(t, Config{}).SetStock(context.Background(), ups)
	if err != nil {
		t.Fatal(err)
	}
	checkPushed(t, e, ups, res)
	e.clock.Add(time.Hour)
	fs := e.sim.Feeds()
	if len(fs) != 3 || fs[1].Status != amazonsim.FeedDone || fs[2].Status != amazonsim.FeedDone {
		t.Errorf("feeds %+v", fs)
	}
	checkPushed(t, e, ups, res) // both copies processed: still the pushed quantities
}

// TestFeedReportNotAccountingIsWholeFailure checks answers the simulator
// does not give: a DONE report that leaves an invalid message unnamed,
// and a document URL on another scheme than the endpoint's.
func TestFeedReportNotAccountingIsWholeFailure(t *testing.T) {
	var ts *httptest.Server
	h := http.NewServeMux()
	h.HandleFunc("POST /auth/o2/token", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"access_token":"Atza|t","token_type":"bearer","expires_in":3600}`)
	})
	h.HandleFunc("POST /feeds/2021-06-30/documents", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"feedDocumentId":"in1","url":%q}`, ts.URL+"/up")
	})
	h.HandleFunc("PUT /up", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-amz-access-token") != "" {
			w.WriteHeader(400)
		}
	})
	h.HandleFunc("POST /feeds/2021-06-30/feeds", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(202)
		fmt.Fprint(w, `{"feedId":"77"}`)
	})
	h.HandleFunc("GET /feeds/2021-06-30/feeds/77", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"feedId":"77","feedType":"JSON_LISTINGS_FEED","createdTime":"2026-03-02T12:00:00Z","processingStatus":"DONE","resultFeedDocumentId":"rep1"}`)
	})
	h.HandleFunc("GET /feeds/2021-06-30/documents/rep1", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"feedDocumentId":"rep1","url":%q}`, ts.URL+"/down")
	})
	h.HandleFunc("GET /down", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"header":{"sellerId":"A1SELLER","version":"2.0","feedId":"77"},"issues":[{"messageId":1,"code":"1","severity":"ERROR","message":"bad"},{"messageId":2,"severity":"WARNING","message":"meh"}],"summary":{"errors":2,"warnings":1,"messagesProcessed":3,"messagesAccepted":1,"messagesInvalid":2}}`)
	})
	ts = httptest.NewServer(h)
	defer ts.Close()
	clock := amazonsim.NewClock(start)
	c, err := New(Config{Endpoint: ts.URL, LWAEndpoint: ts.URL + "/auth/o2/token", ClientID: "id", ClientSecret: "s", RefreshToken: "r",
		SellerID: "A1SELLER", MarketplaceID: "ATVPDKIKX0DER", FeedThreshold: 3, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SetStock(context.Background(), pushOf([]string{"A", "B", "C"}, func(int) int { return 1 }))
	var ce *cart.Error
	if !errors.As(err, &ce) || !strings.Contains(ce.Message, "does not say which quantities applied") {
		t.Errorf("unaccounted invalid message: %v", err)
	}

	https := &Client{endpoint: "https://sellingpartnerapi-na.amazon.com"}
	for raw, ok := range map[string]bool{
		"https://tortuga-prod-na.s3.amazonaws.com/doc?X-Amz-Signature=x": true,
		"http://tortuga-prod-na.s3.amazonaws.com/doc":                    false,
		"https://user:pw@example.com/doc":                                false,
		"/relative":                                                      false,
	} {
		if _, err := https.documentURL(raw); (err == nil) != ok {
			t.Errorf("documentURL(%q): %v", raw, err)
		}
	}
}

// A quantity push, by patch or by feed, changes only the quantity of the
// listing's DEFAULT fulfillment entry: it merges into fulfillment_availability
// as Amazon's merge operation does. A replace, sent before, put every pushed
// SKU back on Amazon's default handling time, dropping the seller's
// lead_time_to_ship_max_days.
func TestSetStockKeepsTheHandlingTime(t *testing.T) {
	skus := skuList(DefaultFeedThreshold+10, "H")
	e := newEnv(t, amazonsim.Options{SKUs: skus})
	for _, sku := range skus {
		e.sim.SetLeadTime(sku, 5)
	}
	for _, tc := range []struct {
		name string
		skus []string
	}{
		{"patch", skus[:2]},
		{"feed", skus},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ups := pushOf(tc.skus, func(i int) int { return i + 3 })
			res, err := e.c.SetStock(context.Background(), ups)
			if err != nil {
				t.Fatal(err)
			}
			checkPushed(t, e, ups, res)
			for _, u := range ups {
				if d := e.sim.LeadTime(u.SKU); d != 5 {
					t.Fatalf("%s: handling time %d days after the push, want the seller's 5", u.SKU, d)
				}
			}
		})
	}
}
