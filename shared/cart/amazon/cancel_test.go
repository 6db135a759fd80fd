package amazon

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

// A feed given up on must not apply later: Amazon would set its old
// quantities over the newer push that replaced it, and nothing would
// notice (the daily full read compares against what was pushed). So a
// feed still IN_QUEUE past the give-up age is cancelled before it is
// reported given up, and one IN_PROGRESS (which cannot be cancelled and
// will apply) is waited for, up to feedPolicy.unknownAfter.

// feedCase is one state a quantity feed is held in past the give-up age.
type feedCase struct {
	name string
	hold string        // amazonsim.HoldFeeds while the feed is asked about
	age  time.Duration // how old the feed is when asked
	// startOnCancel makes the feed start between getFeed's answer and
	// the cancelFeed request, so that cancelFeed finds it IN_PROGRESS.
	startOnCancel bool

	cancels int    // cancelFeed requests expected
	status  string // the feed's status at Amazon once the hold is lifted
	err     string // in the error; "" when the feed is still processing
}

var feedCases = []feedCase{
	{name: "queued past the give-up age is cancelled", hold: amazonsim.FeedInQueue, age: defaultFeedPolicy.giveUp + time.Minute,
		cancels: 1, status: amazonsim.FeedCancelled, err: "cancelled it"},
	{name: "in progress past the give-up age is kept", hold: amazonsim.FeedInProgress, age: defaultFeedPolicy.giveUp + time.Hour,
		status: amazonsim.FeedDone},
	{name: "started while being cancelled is kept", hold: amazonsim.FeedInQueue, age: defaultFeedPolicy.giveUp + time.Minute, startOnCancel: true,
		cancels: 1, status: amazonsim.FeedDone},
	{name: "in progress past the last bound is unknown", hold: amazonsim.FeedInProgress, age: defaultFeedPolicy.unknownAfter + time.Minute,
		status: amazonsim.FeedDone, err: "unknown"},
}

// newFeedEnv is newEnv with feeds held in c.hold; when c.startOnCancel,
// a cancelFeed request first lets the held feeds start.
func newFeedEnv(t *testing.T, skus []string, c feedCase) *env {
	t.Helper()
	clock := amazonsim.NewClock(start)
	sim := amazonsim.New(amazonsim.Options{SKUs: skus, Now: clock.Now})
	sim.HoldFeeds(c.hold)
	h := http.Handler(sim)
	if c.startOnCancel {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete {
				sim.HoldFeeds(amazonsim.FeedInProgress)
			}
			sim.ServeHTTP(w, r)
		})
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	e := &env{sim: sim, clock: clock, url: ts.URL}
	e.c = e.client(t, Config{})
	return e
}

// checkAfterwards lifts the hold, pushes newer quantities for a few SKUs
// by patch (as the next run would push the given-up feed's SKUs), lets a
// day pass and checks the feed's fate: a cancelled feed never applied
// over the newer quantities; a finished one applied (the patches came
// after it).
func checkAfterwards(t *testing.T, e *env, c feedCase, ups []cart.StockUpdate, before map[string]int) {
	t.Helper()
	var newer []cart.StockUpdate
	if c.status == amazonsim.FeedCancelled {
		newer = pushOf([]string{ups[0].SKU, ups[1].SKU, ups[2].SKU}, func(i int) int { return 70 + i })
		if res, err := e.c.SetStock(context.Background(), newer); err != nil || res[0].Err != nil {
			t.Fatalf("the newer push: %v", err)
		}
	}
	e.sim.HoldFeeds("")
	e.clock.Add(24 * time.Hour)
	fs := e.sim.Feeds()
	if len(fs) != 1 || fs[0].Status != c.status {
		t.Errorf("feeds %+v; want one %s", fs, c.status)
	}
	q := e.sim.Quantities()
	if c.status == amazonsim.FeedCancelled {
		checkPushed(t, e, newer, []cart.StockResult{{SKU: newer[0].SKU}, {SKU: newer[1].SKU}, {SKU: newer[2].SKU}})
		if sku := ups[5].SKU; q[sku] != before[sku] {
			t.Errorf("%s = %d after the feed was cancelled, was %d: the cancelled feed applied", sku, q[sku], before[sku])
		}
		return
	}
	for _, u := range ups {
		if q[u.SKU] != u.Quantity {
			t.Fatalf("%s = %d, the feed pushed %d", u.SKU, q[u.SKU], u.Quantity)
		}
	}
}

// newHeldPush is newFeedEnv for c with 150 SKUs named after prefix, the
// quantities a push of them sends and the quantities held before it.
func newHeldPush(t *testing.T, prefix string, c feedCase) (*env, []cart.StockUpdate, map[string]int) {
	t.Helper()
	skus := skuList(150, prefix)
	e := newFeedEnv(t, skus, c)
	return e, pushOf(skus, func(i int) int { return 500 + i }), e.sim.Quantities()
}

// checkResults asks for the results of the feed ticket, which must be
// done, and checks them as the results of ups.
func checkResults(t *testing.T, e *env, ticket string, ups []cart.StockUpdate) {
	t.Helper()
	res, done, err := e.c.StockResults(context.Background(), ticket)
	if err != nil || !done {
		t.Fatalf("results: done %v, %v", done, err)
	}
	for i := range res {
		res[i].SKU = ups[i].SKU // StockResults leaves the SKUs to the caller
	}
	checkPushed(t, e, ups, res)
}

func checkCancels(t *testing.T, e *env, c feedCase) {
	t.Helper()
	if n := e.sim.Stats().ByOperation[amazonsim.OpCancelFeed]; n != c.cancels {
		t.Errorf("%d cancelFeed requests, want %d", n, c.cancels)
	}
}

func TestStockResultsPastGiveUpAge(t *testing.T) {
	for _, c := range feedCases {
		t.Run(c.name, func(t *testing.T) {
			e, ups, before := newHeldPush(t, "Q", c)
			_, ticket, err := e.c.SubmitStock(context.Background(), ups)
			if err != nil || ticket == "" {
				t.Fatalf("submit: %q, %v", ticket, err)
			}
			e.clock.Add(c.age)
			res, done, err := e.c.StockResults(context.Background(), ticket)
			switch {
			case c.err == "" && (err != nil || done || res != nil):
				t.Fatalf("at %s: done %v, %v; want still processing", c.age, done, err)
			case c.err != "" && (done || !temporarySaying(err, c.err)):
				t.Fatalf("at %s: done %v, %v; want a temporary *cart.Error saying %q", c.age, done, err, c.err)
			}
			checkCancels(t, e, c)
			if c.err == "" {
				// Kept: its results come when Amazon finishes it.
				e.sim.HoldFeeds("")
				e.clock.Add(amazonsim.DefaultFeedDelay)
				checkResults(t, e, ticket, ups)
			}
			checkAfterwards(t, e, c, ups, before)
		})
	}
}

func TestSetStockPastGiveUpAge(t *testing.T) {
	for _, c := range feedCases {
		t.Run(c.name, func(t *testing.T) {
			e, ups, before := newHeldPush(t, "W", c)
			// A kept feed finishes once it is older than the case's age.
			release := start.Add(c.age)
			e.c.sleepFn = func(ctx context.Context, d time.Duration) error {
				if c.err == "" && !e.clock.Now().Before(release) {
					e.sim.HoldFeeds("")
				}
				return e.clock.Sleep(ctx, d)
			}
			res, err := e.c.SetStock(context.Background(), ups)
			switch {
			case c.err == "":
				if err != nil {
					t.Fatalf("%v; want the feed waited for", err)
				}
				checkPushed(t, e, ups, res)
				if e.clock.Now().Before(release) {
					t.Errorf("SetStock returned at %s, before the feed finished", e.clock.Now().Sub(start))
				}
			case !temporarySaying(err, c.err):
				t.Fatalf("%v; want a temporary *cart.Error saying %q", err, c.err)
			}
			checkCancels(t, e, c)
			if n := remembered(); n != 0 {
				t.Errorf("%d feeds still remembered", n)
			}
			checkAfterwards(t, e, c, ups, before)
		})
	}
}

// A continuation more than the give-up age after the feed's creation
// resumes the remembered feed in progress rather than sending another.
func TestSetStockContinuationResumesFeedPastGiveUpAge(t *testing.T) {
	skus := skuList(150, "R")
	e := newFeedEnv(t, skus, feedCase{hold: amazonsim.FeedInProgress})
	ups := pushOf(skus, func(i int) int { return 9 + i })
	// The wait that would pass the deadline ends the call at once.
	pushPastDeadline(t, e.c, ups)
	e.clock.Add(defaultFeedPolicy.giveUp + time.Hour)
	e.sim.HoldFeeds("")
	pushCountingFeeds(t, e, e.client(t, Config{}), ups, 1)
}

// Amazon failing to answer getFeed says nothing of the feed, which may
// still apply: StockResults reports it still processing (the caller
// keeps its SKUs in flight and asks again) until the last bound, rather
// than an error that would have the SKUs pushed again under it.
func TestStockResultsWhenAmazonCannotBeAsked(t *testing.T) {
	for _, tc := range []struct {
		name   string
		age    time.Duration
		faults amazonsim.Faults
		err    string // "" when still processing
	}{
		{"server errors", time.Hour, amazonsim.Faults{ServerErrors: 100}, ""},
		{"dropped connections", time.Hour, amazonsim.Faults{Drop: 100}, ""},
		{"server errors past the last bound", defaultFeedPolicy.unknownAfter + time.Minute, amazonsim.Faults{ServerErrors: 100}, "outcome is unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			skus := skuList(150, "U")
			e := newFeedEnv(t, skus, feedCase{hold: amazonsim.FeedInQueue})
			ups := pushOf(skus, func(i int) int { return 40 + i })
			_, ticket, err := e.c.SubmitStock(context.Background(), ups)
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Add(tc.age)
			e.sim.SetFaults(tc.faults)
			_, done, err := e.c.StockResults(context.Background(), ticket)
			switch {
			case tc.err == "" && (done || err != nil):
				t.Fatalf("done %v, %v; want still processing", done, err)
			case tc.err != "" && (done || err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("done %v, %v; want an error saying %q", done, err, tc.err)
			case tc.err != "":
				return
			}
			e.sim.SetFaults(amazonsim.Faults{})
			e.sim.HoldFeeds("")
			e.clock.Add(time.Hour)
			checkResults(t, e, ticket, ups)
		})
	}
}

// SetStock's wait failing for a moment keeps the feed remembered, so the
// continuation resumes it rather than sending another over it.
func TestSetStockContinuationResumesFeedAfterFailedPoll(t *testing.T) {
	skus := skuList(150, "P")
	e := newFeedEnv(t, skus, feedCase{})
	ups := pushOf(skus, func(i int) int { return 4 + i })
	c := e.client(t, Config{})
	failed := false
	c.sleepFn = func(ctx context.Context, d time.Duration) error {
		if !failed { // the wait before the first poll: the feed exists
			failed = true
			e.sim.SetFaults(amazonsim.Faults{ServerErrors: 100})
		}
		return e.clock.Sleep(ctx, d)
	}
	var ce *cart.Error
	if _, err := c.SetStock(context.Background(), ups); !errors.As(err, &ce) || !ce.Temporary {
		t.Fatalf("polls failing: %v; want a temporary *cart.Error", err)
	}
	if n := remembered(); n != 1 {
		t.Fatalf("%d feeds remembered, want the one in flight", n)
	}
	e.sim.SetFaults(amazonsim.Faults{})
	pushCountingFeeds(t, e, e.client(t, Config{}), ups, 1)
}
