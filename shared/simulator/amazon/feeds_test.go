package amazonsim

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart/amazon/amazontest"
)

// feedBody is a listings feed of PATCH messages setting quantities.
func feedBody(seller string, qs map[string]int, order []string) string {
	var msgs []string
	for i, sku := range order {
		msgs = append(msgs, fmt.Sprintf(`{"messageId":%d,"sku":%q,"operationType":"PATCH","productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":%d}]}]}`, i+1, sku, qs[sku]))
	}
	return fmt.Sprintf(`{"header":{"sellerId":%q,"version":"2.0","issueLocale":"en_US"},"messages":[%s]}`, seller, strings.Join(msgs, ","))
}

// raw sends a request to an absolute URL without the access token.
func raw(t *testing.T, method, u, contentType, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

const jsonType = "application/json; charset=UTF-8"

// submit creates a document, uploads body and creates a feed of it.
func (f *fixture) submit(t *testing.T, body string) string {
	t.Helper()
	a := f.do(t, "POST", "/feeds/2021-06-30/documents", nil, `{"contentType":"`+jsonType+`"}`)
	var doc feedDocumentJSON
	a.json(t, &doc)
	if a.status != 201 || doc.FeedDocumentID == "" || !strings.HasPrefix(doc.URL, f.url+"/feed-uploads/") {
		t.Fatalf("createFeedDocument: %d %s", a.status, a.body)
	}
	if st, b := raw(t, "PUT", doc.URL, jsonType, body); st != 200 {
		t.Fatalf("upload: %d %s", st, b)
	}
	a = f.do(t, "POST", "/feeds/2021-06-30/feeds", nil, fmt.Sprintf(`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":[%q],"inputFeedDocumentId":%q}`, DefaultMarketplaceID, doc.FeedDocumentID))
	var created struct{ FeedID string }
	a.json(t, &created)
	if a.status != 202 || created.FeedID == "" {
		t.Fatalf("createFeed: %d %s", a.status, a.body)
	}
	return created.FeedID
}

func (f *fixture) feed(t *testing.T, id string) feedJSON {
	t.Helper()
	a := f.do(t, "GET", "/feeds/2021-06-30/feeds/"+id, nil, "")
	if a.status != 200 {
		t.Fatalf("getFeed: %d %s", a.status, a.body)
	}
	var out feedJSON
	a.json(t, &out)
	return out
}

// report fetches a feed's processing report.
func (f *fixture) report(t *testing.T, docID string) reportJSON {
	t.Helper()
	a := f.do(t, "GET", "/feeds/2021-06-30/documents/"+docID, nil, "")
	var doc feedDocumentJSON
	a.json(t, &doc)
	if a.status != 200 || !strings.HasPrefix(doc.URL, f.url+"/feed-documents/") {
		t.Fatalf("getFeedDocument: %d %s", a.status, a.body)
	}
	st, b := raw(t, "GET", doc.URL, "", "")
	if st != 200 {
		t.Fatalf("download: %d %s", st, b)
	}
	if doc.CompressionAlgorithm == "GZIP" {
		z, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(z); err != nil {
			t.Fatal(err)
		}
	}
	var rep reportJSON
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report %s: %v", b, err)
	}
	return rep
}

func TestFeedLifecycle(t *testing.T) {
	f := newFixture(t, Options{FeedDelay: 90 * time.Second})
	before := f.sim.Quantities()
	f.sim.FailSKU("SKU-0003", 1)
	qs := map[string]int{"SKU-0001": 11, "SKU-0002": 0, "SKU-0003": 33, "NO-SUCH": 4, "SKU-0005": 55}
	id := f.submit(t, feedBody(DefaultSellerID, qs, []string{"SKU-0001", "SKU-0002", "SKU-0003", "NO-SUCH", "SKU-0005"}))

	fd := f.feed(t, id)
	if fd.ProcessingStatus != FeedInQueue || fd.FeedType != FeedTypeListings || fd.ResultFeedDocumentID != "" || fd.ProcessingStartTime != "" {
		t.Errorf("new feed: %+v", fd)
	}
	f.clock.Add(45 * time.Second)
	if fd := f.feed(t, id); fd.ProcessingStatus != FeedInProgress || fd.ProcessingStartTime == "" {
		t.Errorf("after 45 s: %+v", fd)
	}
	if q := f.sim.Quantities(); q["SKU-0001"] != before["SKU-0001"] {
		t.Error("a feed applied before it was processed")
	}
	f.clock.Add(45 * time.Second)
	fd = f.feed(t, id)
	if fd.ProcessingStatus != FeedDone || fd.ResultFeedDocumentID == "" || fd.ProcessingEndTime != iso(t0.Add(90*time.Second)) {
		t.Fatalf("after 90 s: %+v", fd)
	}
	q := f.sim.Quantities()
	for sku, want := range map[string]int{"SKU-0001": 11, "SKU-0002": 0, "SKU-0005": 55, "SKU-0003": before["SKU-0003"]} {
		if q[sku] != want {
			t.Errorf("%s = %d, want %d", sku, q[sku], want)
		}
	}
	rep := f.report(t, fd.ResultFeedDocumentID)
	if rep.Header.FeedID != id || rep.Header.SellerID != DefaultSellerID || rep.Header.Version != "2.0" {
		t.Errorf("report header %+v", rep.Header)
	}
	want := reportSummaryJSON{Errors: 2, MessagesProcessed: 5, MessagesAccepted: 3, MessagesInvalid: 2}
	if rep.Summary != want {
		t.Errorf("summary %+v, want %+v", rep.Summary, want)
	}
	failed := map[int]string{}
	for _, is := range rep.Issues {
		if is.Severity != "ERROR" || is.Message == "" {
			t.Errorf("issue %+v", is)
		}
		failed[is.MessageID] = is.SKU
	}
	if len(failed) != 2 || failed[3] != "SKU-0003" || failed[4] != "NO-SUCH" {
		t.Errorf("issues by message: %v", failed)
	}
	for _, l := range f.sim.Listings() {
		if l.SKU == "SKU-0001" && !l.UpdatedAt.Equal(t0.Add(90*time.Second)) {
			t.Errorf("SKU-0001 updated %s, want the processing end", l.UpdatedAt)
		}
	}
	st := f.sim.Stats()
	if st.Feeds != 1 || st.FeedMessagesAccepted != 3 || st.FeedMessagesInvalid != 2 || st.TokenSentToDocument != 0 || st.DocumentTransfers != 2 {
		t.Errorf("stats %+v", st)
	}

	// Feeds are processed one at a time: the second waits in the queue
	// until the first is done, and the later feed's quantity wins.
	a := f.submit(t, feedBody(DefaultSellerID, map[string]int{"SKU-0001": 1}, []string{"SKU-0001"}))
	f.clock.Add(10 * time.Second)
	b := f.submit(t, feedBody(DefaultSellerID, map[string]int{"SKU-0001": 2}, []string{"SKU-0001"}))
	f.clock.Add(50 * time.Second) // b would have started 30 s after its creation
	if fa, fb := f.feed(t, a), f.feed(t, b); fa.ProcessingStatus != FeedInProgress || fb.ProcessingStatus != FeedInQueue {
		t.Errorf("queued feeds: %s %s", fa.ProcessingStatus, fb.ProcessingStatus)
	}
	f.clock.Add(30 * time.Second)
	if fa, fb := f.feed(t, a), f.feed(t, b); fa.ProcessingStatus != FeedDone || fb.ProcessingStatus != FeedInProgress || f.sim.Quantities()["SKU-0001"] != 1 {
		t.Errorf("first done: %s %s", fa.ProcessingStatus, fb.ProcessingStatus)
	}
	f.clock.Add(60 * time.Second)
	if fb := f.feed(t, b); fb.ProcessingStatus != FeedDone || f.sim.Quantities()["SKU-0001"] != 2 {
		t.Errorf("second feed: %s, SKU-0001 = %d", fb.ProcessingStatus, f.sim.Quantities()["SKU-0001"])
	}
}

func TestFeedFailures(t *testing.T) {
	f := newFixture(t, Options{CompressReports: true, AccessTokenTTL: 48 * time.Hour})
	ok := feedBody(DefaultSellerID, map[string]int{"SKU-0001": 9}, []string{"SKU-0001"})
	before := f.sim.Quantities()["SKU-0001"]
	fatal := map[string]string{
		"other seller": feedBody("AOTHERSELLER", map[string]int{"SKU-0001": 9}, []string{"SKU-0001"}),
		"not json":     "{",
		"no messages":  `{"header":{"sellerId":"` + DefaultSellerID + `","version":"2.0","issueLocale":"en_US"},"messages":[]}`,
		"duplicate id": strings.Replace(feedBody(DefaultSellerID, map[string]int{"A": 1, "B": 2}, []string{"SKU-0001", "SKU-0002"}), `"messageId":2`, `"messageId":1`, 1),
		"no sku":       strings.Replace(ok, `"sku":"SKU-0001",`, "", 1),
	}
	ids := map[string]string{}
	for name, body := range fatal {
		ids[name] = f.submit(t, body)
	}
	f.sim.FailFeeds(1)
	ids["injected"] = f.submit(t, ok)
	f.clock.Add(time.Hour)
	for name, id := range ids {
		fd := f.feed(t, id)
		if fd.ProcessingStatus != FeedFatal || fd.ResultFeedDocumentID == "" {
			t.Errorf("%s: %+v", name, fd)
			continue
		}
		rep := f.report(t, fd.ResultFeedDocumentID) // gzip-compressed
		if len(rep.Issues) != 1 || rep.Issues[0].MessageID != 0 || rep.Issues[0].Severity != "ERROR" || rep.Summary.MessagesProcessed != 0 {
			t.Errorf("%s: report %+v", name, rep)
		}
	}
	if q := f.sim.Quantities()["SKU-0001"]; q != before {
		t.Errorf("a FATAL feed applied: %d", q)
	}

	// Message-level problems are issues, not a FATAL feed.
	id := f.submit(t, strings.Replace(ok, `"quantity":9`, `"quantity":-1`, 1))
	f.clock.Add(time.Hour)
	if fd := f.feed(t, id); fd.ProcessingStatus != FeedDone || f.report(t, fd.ResultFeedDocumentID).Summary.MessagesInvalid != 1 {
		t.Errorf("negative quantity: %+v", fd)
	}

	// Not uploaded; cancelled while queued.
	a := f.do(t, "POST", "/feeds/2021-06-30/documents", nil, `{"contentType":"`+jsonType+`"}`)
	var doc feedDocumentJSON
	a.json(t, &doc)
	a = f.do(t, "POST", "/feeds/2021-06-30/feeds", nil, fmt.Sprintf(`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":[%q],"inputFeedDocumentId":%q}`, DefaultMarketplaceID, doc.FeedDocumentID))
	var created struct{ FeedID string }
	a.json(t, &created)
	queued := f.submit(t, ok)
	if n := f.sim.CancelFeeds(); n != 2 {
		t.Errorf("cancelled %d feeds", n)
	}
	f.clock.Add(time.Hour)
	if fd := f.feed(t, queued); fd.ProcessingStatus != FeedCancelled || fd.ResultFeedDocumentID != "" {
		t.Errorf("cancelled: %+v", fd)
	}

	// Presigned URLs: expiry, method, content type, token.
	a = f.do(t, "POST", "/feeds/2021-06-30/documents", nil, `{"contentType":"`+jsonType+`"}`)
	a.json(t, &doc)
	if st, _ := raw(t, "PUT", doc.URL, "text/plain", ok); st != 403 {
		t.Errorf("upload with another content type: %d", st)
	}
	if st, _ := raw(t, "GET", strings.Replace(doc.URL, "/feed-uploads/", "/feed-documents/", 1), "", ""); st != 403 {
		t.Errorf("download with an upload signature: %d", st)
	}
	if st, _ := raw(t, "PUT", strings.Replace(doc.URL, "Signature=", "Signature=x", 1), jsonType, ok); st != 403 {
		t.Errorf("forged signature: %d", st)
	}
	f.sim.SetFaults(Faults{DocumentErrors: 1})
	if st, _ := raw(t, "PUT", doc.URL, jsonType, ok); st != 500 {
		t.Errorf("injected document error: %d", st)
	}
	f.clock.Add(DocumentURLTTL)
	if st, b := raw(t, "PUT", doc.URL, jsonType, ok); st != 403 || !strings.Contains(string(b), "expired") {
		t.Errorf("expired URL: %d %s", st, b)
	}

	// API refusals.
	for name, c := range map[string]struct {
		method, path, body string
		status             int
	}{
		"no content type": {"POST", "/feeds/2021-06-30/documents", `{}`, 400},
		"feed type":       {"POST", "/feeds/2021-06-30/feeds", fmt.Sprintf(`{"feedType":"POST_PRODUCT_DATA","marketplaceIds":[%q],"inputFeedDocumentId":%q}`, DefaultMarketplaceID, doc.FeedDocumentID), 400},
		"marketplace":     {"POST", "/feeds/2021-06-30/feeds", fmt.Sprintf(`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":["A2EUQ1WTGCTBG2"],"inputFeedDocumentId":%q}`, doc.FeedDocumentID), 400},
		"other region":    {"POST", "/feeds/2021-06-30/feeds", fmt.Sprintf(`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":["A1F83G8C2ARO7P"],"inputFeedDocumentId":%q}`, doc.FeedDocumentID), 403},
		"unknown doc":     {"POST", "/feeds/2021-06-30/feeds", fmt.Sprintf(`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":[%q],"inputFeedDocumentId":"nope"}`, DefaultMarketplaceID), 400},
		"unknown feed":    {"GET", "/feeds/2021-06-30/feeds/123", "", 404},
		"unknown report":  {"GET", "/feeds/2021-06-30/documents/nope", "", 404},
	} {
		if a := f.do(t, c.method, c.path, nil, c.body); a.status != c.status {
			t.Errorf("%s: %d %s", name, a.status, a.body)
		}
	}
}

func TestFeedRateLimits(t *testing.T) {
	f := newFixture(t, Options{})
	ok := feedBody(DefaultSellerID, map[string]int{"SKU-0001": 9}, []string{"SKU-0001"})
	for range 15 {
		f.submit(t, ok)
	}
	a := f.do(t, "POST", "/feeds/2021-06-30/feeds", nil, `{}`)
	if a.status != 429 || a.errorCode(t) != "QuotaExceeded" {
		t.Errorf("16th createFeed: %d %s", a.status, a.body)
	}
	f.clock.Add(f.sim.Limit(OpCreateFeed).Interval())
	if a := f.do(t, "POST", "/feeds/2021-06-30/feeds", nil, `{}`); a.status != 400 || a.header.Get("x-amzn-RateLimit-Limit") != "0.0083" {
		t.Errorf("after one refill: %d, rate %q", a.status, a.header.Get("x-amzn-RateLimit-Limit"))
	}
	for op, want := range map[string]Limit{OpCreateFeedDocument: {0.5, 15}, OpCreateFeed: {0.0083, 15}, OpGetFeed: {2, 15}, OpGetFeedDocument: {0.0222, 10}} {
		if got := f.sim.Limit(op); got != want {
			t.Errorf("%s: %+v, want %+v", op, got, want)
		}
	}
}

// cancelFeed (DELETE /feeds/2021-06-30/feeds/{feedId}) cancels a feed
// only while it is IN_QUEUE; HoldFeeds keeps feeds in a status for as
// long as a test wants.
func TestCancelFeed(t *testing.T) {
	ok := feedBody(DefaultSellerID, map[string]int{"SKU-0001": 9}, []string{"SKU-0001"})
	for _, tc := range []struct {
		name   string
		hold   string
		wait   time.Duration
		status int    // cancelFeed's answer
		after  string // the feed's status after the answer, and after the hold is lifted
	}{
		{"queued", "", 0, 200, FeedCancelled},
		{"held in the queue for a day", FeedInQueue, 24 * time.Hour, 200, FeedCancelled},
		{"in progress", "", 40 * time.Second, 400, FeedDone},
		{"held in progress for a day", FeedInProgress, 24 * time.Hour, 400, FeedDone},
		{"done", "", time.Hour, 400, FeedDone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{FeedDelay: 90 * time.Second, AccessTokenTTL: 48 * time.Hour})
			before := f.sim.Quantities()["SKU-0001"]
			f.sim.HoldFeeds(tc.hold)
			id := f.submit(t, ok)
			f.clock.Add(tc.wait)
			if tc.hold != "" {
				if got := f.feed(t, id).ProcessingStatus; got != tc.hold {
					t.Fatalf("held %s, the feed is %s after %s", tc.hold, got, tc.wait)
				}
			}
			a := f.do(t, "DELETE", "/feeds/2021-06-30/feeds/"+id, nil, "")
			if a.status != tc.status || a.header.Get("x-amzn-RateLimit-Limit") != "2.0" {
				t.Fatalf("cancelFeed: %d %s (rate %q), want %d", a.status, a.body, a.header.Get("x-amzn-RateLimit-Limit"), tc.status)
			}
			if a.status != 200 {
				checkErrorList(t, amazontest.Feeds, a.body)
			} else if len(a.body) != 0 {
				t.Errorf("cancelFeed 200 with a body: %s", a.body)
			}
			f.sim.HoldFeeds("")
			f.clock.Add(time.Hour)
			fd := f.feed(t, id)
			if fd.ProcessingStatus != tc.after {
				t.Errorf("after cancelFeed and an hour: %s, want %s", fd.ProcessingStatus, tc.after)
			}
			if q := f.sim.Quantities()["SKU-0001"]; (q == 9) != (tc.after == FeedDone) || (q == before) == (tc.after == FeedDone) {
				t.Errorf("SKU-0001 = %d (was %d) with the feed %s", q, before, tc.after)
			}
		})
	}
	f := newFixture(t, Options{})
	if a := f.do(t, "DELETE", "/feeds/2021-06-30/feeds/123", nil, ""); a.status != 404 {
		t.Errorf("unknown feed: %d %s", a.status, a.body)
	}
	if got := f.sim.Limit(OpCancelFeed); got != (Limit{2, 15}) {
		t.Errorf("cancelFeed's usage plan %+v", got)
	}
}
