package amazon

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/amazon/amazontest"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

// exchange is one request the connector sent and the answer it got.
type exchange struct {
	method, path string
	query        url.Values
	body         []byte
	status       int
	answer       []byte
}

// recorder serves h and keeps every exchange.
type recorder struct {
	h  http.Handler
	mu sync.Mutex
	xs []exchange
}

type teeWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (w *teeWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }
func (w *teeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	tw := &teeWriter{ResponseWriter: w}
	rec.h.ServeHTTP(tw, r)
	rec.mu.Lock()
	rec.xs = append(rec.xs, exchange{r.Method, r.URL.Path, r.URL.Query(), body, tw.status, tw.buf.Bytes()})
	rec.mu.Unlock()
}

// TestRequestBodiesMatchPublishedSchemas drives every call the connector
// makes (orders, FBA stock, listings, a patch, a feed) and checks each
// body it sends against Amazon's published schema: the patch against
// ListingsItemPatchRequest, createFeedDocument and createFeed against the
// Feeds model, the uploaded document against listings-feed-schema-v2. The
// simulator's answers are checked against the same models (the 2xx
// shapes, the ErrorList of a refusal, the processing report schema).
func TestRequestBodiesMatchPublishedSchemas(t *testing.T) {
	skus := skuList(150, "C")
	clock := amazonsim.NewClock(start)
	sim := amazonsim.New(amazonsim.Options{SKUs: skus, Now: clock.Now})
	sim.Seed(40, 7)
	rec := &recorder{h: sim}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	c, err := New(Config{Endpoint: ts.URL, LWAEndpoint: ts.URL + "/auth/o2/token",
		ClientID: amazonsim.DefaultClientID, ClientSecret: amazonsim.DefaultClientSecret, RefreshToken: amazonsim.DefaultRefreshToken,
		SellerID: sim.SellerID(), MarketplaceID: sim.MarketplaceID(), Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	clock.Add(5 * 60e9)
	if _, err := c.Orders(ctx, cart.OrderQuery{UpdatedFrom: start.AddDate(0, 0, -60), UpdatedTo: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FBAInventory(ctx, time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FBAInventory(ctx, clock.Now().Add(-48*time.Hour), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Listings(ctx, cart.ListingQuery{}); err != nil {
		t.Fatal(err)
	}
	sim.FailSKU(skus[1], 1)
	if res, err := c.SetStock(ctx, pushOf(skus[:2], func(i int) int { return 5 + i })); err != nil || res[0].Err != nil || res[1].Err == nil {
		t.Fatalf("patch: %+v %v", res, err)
	}
	sim.FailSKU(skus[3], 1)
	if res, err := c.SetStock(ctx, pushOf(skus, func(i int) int { return i })); err != nil || res[0].Err != nil || res[3].Err == nil {
		t.Fatalf("feed: %v", err)
	}
	// The same feed submitted, and its results asked for while processing and after.
	_, ticket, err := c.SubmitStock(ctx, pushOf(skus, func(i int) int { return 2 * i }))
	if err != nil || ticket == "" {
		t.Fatalf("submit: %q %v", ticket, err)
	}
	if _, done, err := c.StockResults(ctx, ticket); err != nil || done {
		t.Fatalf("results while processing: %v %v", done, err)
	}
	clock.Add(amazonsim.DefaultFeedDelay + time.Minute)
	if res, done, err := c.StockResults(ctx, ticket); err != nil || !done || len(res) != len(skus) {
		t.Fatalf("results: %v %v", done, err)
	}
	// A feed still queued past the give-up age is cancelled (cancelFeed,
	// 200), and a finished one cannot be (400).
	sim.HoldFeeds(amazonsim.FeedInQueue)
	_, queued, err := c.SubmitStock(ctx, pushOf(skus, func(i int) int { return 3 * i }))
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(defaultFeedPolicy.giveUp)
	if _, done, err := c.StockResults(ctx, queued); done || err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("a queued feed past the give-up age: %v %v", done, err)
	}
	sim.HoldFeeds("")
	if fs := sim.Feeds(); len(fs) == 0 || fs[0].Status != amazonsim.FeedDone {
		t.Fatalf("feeds %+v", fs)
	} else if cancelled, err := c.cancelFeed(ctx, fs[0].ID); cancelled || err == nil {
		t.Fatalf("cancelling a finished feed: %v %v", cancelled, err)
	}
	// A refusal: a listing search in a marketplace of the region the
	// seller does not sell in.
	c2, _ := New(Config{Endpoint: ts.URL, LWAEndpoint: ts.URL + "/auth/o2/token",
		ClientID: amazonsim.DefaultClientID, ClientSecret: amazonsim.DefaultClientSecret, RefreshToken: amazonsim.DefaultRefreshToken,
		SellerID: sim.SellerID(), MarketplaceID: "A2EUQ1WTGCTBG2", Now: clock.Now, Sleep: clock.Sleep})
	if _, err := c2.FBAInventory(ctx, time.Time{}, ""); err == nil {
		t.Fatal("FBA stock of a marketplace the seller does not sell in")
	}

	seen := map[string]int{}
	for _, x := range rec.xs {
		if x.path == "/auth/o2/token" {
			continue
		}
		if strings.HasPrefix(x.path, "/feed-uploads/") {
			seen["feed document"]++
			if err := amazontest.Validate(t, amazontest.ListingsFeed, x.body); err != nil {
				t.Errorf("the feed document does not match listings-feed-schema-v2: %v", err)
			}
			continue
		}
		if strings.HasPrefix(x.path, "/feed-documents/") {
			seen["processing report"]++
			if err := amazontest.Validate(t, amazontest.ProcessingReport, x.answer); err != nil {
				t.Errorf("the simulator's processing report does not match its schema: %v\n%s", err, x.answer)
			}
			continue
		}
		model, tmpl, ok := amazontest.Route(x.method, x.path)
		if !ok {
			t.Errorf("%s %s is in no model the connector uses", x.method, x.path)
			continue
		}
		if err := amazontest.ValidateQuery(t, model, tmpl, x.method, x.query); err != nil {
			t.Errorf("%s %s: the query does not match the model: %v", x.method, x.path, err)
		}
		for name := range x.query {
			seen["query "+name]++
		}
		if ref := amazontest.BodySchema(t, model, tmpl, x.method); ref != "" {
			seen[ref]++
			if err := amazontest.Validate(t, ref, x.body); err != nil {
				t.Errorf("%s %s: the body does not match %s: %v\n%s", x.method, x.path, ref, err, x.body)
			}
		} else if len(x.body) > 0 {
			t.Errorf("%s %s: a body the operation does not take", x.method, x.path)
		}
		ref := amazontest.ResponseSchema(t, model, tmpl, x.method, x.status)
		if ref == "" {
			switch {
			case !amazontest.ResponseListed(t, model, tmpl, x.method, x.status):
				t.Errorf("%s %s: the simulator answered %d, which the model does not list", x.method, x.path, x.status)
			case len(x.answer) > 0:
				t.Errorf("%s %s %d: the model gives this answer no body, the simulator sent %.200s", x.method, x.path, x.status, x.answer)
			default:
				seen[fmt.Sprintf("%s %s %d", x.method, tmpl, x.status)]++
			}
			continue
		}
		seen[ref]++
		if err := amazontest.Validate(t, ref, x.answer); err != nil {
			t.Errorf("%s %s %d: the simulator's answer does not match %s: %v\n%.600s", x.method, x.path, x.status, ref, err, x.answer)
		}
	}
	for _, want := range []string{"feed document", "processing report", "query startDateTime",
		amazontest.ListingsItems + "#/definitions/ListingsItemPatchRequest",
		amazontest.Feeds + "#/definitions/CreateFeedDocumentSpecification",
		amazontest.Feeds + "#/definitions/CreateFeedSpecification",
		amazontest.Orders + "#/definitions/SearchOrdersResponse",
		amazontest.FBAInventory + "#/definitions/GetInventorySummariesResponse",
		amazontest.ListingsItems + "#/definitions/ItemSearchResults",
		amazontest.ListingsItems + "#/definitions/ListingsItemSubmissionResponse",
		amazontest.Feeds + "#/definitions/Feed",
		amazontest.Feeds + "#/definitions/FeedDocument",
		amazontest.Feeds + "#/definitions/CreateFeedResponse",
		amazontest.Feeds + "#/definitions/CreateFeedDocumentResponse",
		amazontest.Feeds + "#/definitions/ErrorList",
		"DELETE /feeds/2021-06-30/feeds/{feedId} 200",
	} {
		if seen[want] == 0 {
			t.Errorf("nothing checked against %s", want)
		}
	}
}
