package amazon

// Write-back through a JSON_LISTINGS_FEED (Feeds API 2021-06-30,
// the Feeds API reference): one feed carries every quantity of a large SetStock call.
// createFeedDocument → upload the document to the presigned URL it returns
// → createFeed → getFeed until DONE, FATAL or CANCELLED → getFeedDocument
// → download the processing report, whose ERROR issues name the messages
// that were not applied. That is four SP-API calls, two document transfers
// and the status polls, for up to MaxFeedBatch SKUs, against one
// patchListingsItem per SKU.
//
// A continuation does not resubmit a feed that is still processing, as
// far as this process can tell: a submitted feed is remembered (package
// state, since the executor builds a new Client per invocation) under a
// digest of the document, so a SetStock call carrying the same quantities
// for the same SKUs resumes polling that feed instead of creating
// another. Memory is all it is: a continuation in another process, or
// one whose batch changed (a quantity moved meanwhile), submits a new
// feed. That is harmless by construction: every message sets an absolute
// quantity (a merge into fulfillment_availability that sets only the
// DEFAULT quantity, keeping the handling time), so a feed applied twice
// leaves the same quantities as once, and the newer of two differing
// feeds wins because Amazon processes a seller's feeds one after another
// in creation order (IN_QUEUE "may be waiting for another IN_PROGRESS
// feed"). The same argument makes a retried createFeed (its answer lost
// on the way) harmless.
//
// The outcome comes two ways. SubmitStock (submit.go) returns a ticket
// after createFeed and StockResults asks getFeed once per call, so the
// executor reads the results on a later run instead of sleeping through
// Amazon's processing. SetStock, for other callers, polls inside the call, on the injectable clock: the first
// getFeed 10 s after createFeed, then doubling waits up to a minute, each
// paced by getFeed's own bucket. A wait that would pass the caller's
// deadline returns *cart.RateLimitedError (the caller continues later
// and its continuation resumes the remembered feed).
//
// A feed is given up only when it can no longer apply. One still IN_QUEUE
// two hours (feedPolicy.giveUp) after its creation is cancelled
// (cancelFeed) and then reported as a temporary failure, so the caller's
// next push of its SKUs, perhaps by patchListingsItem, is not overwritten
// by the old quantities when Amazon gets to the feed. One IN_PROGRESS
// cannot be cancelled and will apply: it is waited for (still
// processing), and only past feedPolicy.unknownAfter (24 hours) is it
// reported as a temporary failure whose outcome is unknown. A cancelFeed
// that does not succeed (the feed started meanwhile, or the request
// failed) leaves the feed watched as IN_PROGRESS; the next poll reads
// its status again and, while it is still queued, tries again. For the
// same reason a getFeed that fails for a moment (5xx, no answer) is not
// a failure of the feed: StockResults reports it still processing, and
// SetStock keeps it remembered for its continuation.
//
// Guesses, in one place (the stored specs hold neither the Feeds model
// nor the feed schemas; Amazon's Feeds API guide and the public
// amzn/selling-partner-api-models files are the reference):
//   - The order of processing above, which the resubmission argument
//     leans on. Were it wrong, a stale feed could land after a newer one;
//     the executor would not see it.
//   - A DONE report's summary counts every message (messagesProcessed)
//     and each invalid one has an ERROR issue with its messageId. A
//     report that does not account for every message this way (an ERROR
//     issue without a messageId, fewer processed messages, more invalid
//     messages than identified) fails the call as a whole, since which
//     quantities applied is then unknown; WARNING and INFO issues do not
//     fail a SKU.
//   - DONE with no ERROR issue for a message means accepted: Amazon
//     applies it asynchronously, as patchListingsItem's ACCEPTED.
//   - FATAL ("some, none, or all of the operations … may have completed")
//     and CANCELLED fail the whole call, temporarily; the next run sends
//     the quantities again. A FATAL feed's report, when it has one, gives
//     the reason.
//   - The document is application/json; charset=UTF-8, uncompressed;
//     the report may be GZIP (compressionAlgorithm) and is read up to
//     16 MiB decompressed.
//   - createFeedDocument's usage plan is the documented 0.5/s burst 15 (one
//     version of the model says 0.0083/s; x-amzn-RateLimit-Limit corrects
//     the pacing either way); getFeedDocument's is the model's 0.0222/s
//     burst 10.
//   - cancelFeed: the model says only IN_QUEUE feeds can be cancelled but
//     not how the refusal of another one looks, so any answer other than
//     2xx is taken as "not cancelled"; a 200 is taken as the feed
//     CANCELLED, nothing of it applied. Its usage plan is the model's
//     2/s burst 15.
//   - MaxFeedBatch is 10,000 messages, inside the current schema's 25,000
//     (older guidance said 10,000).

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/pattern"
)

const (
	feedType        = "JSON_LISTINGS_FEED"
	feedContentType = "application/json; charset=UTF-8"
	feedsPath       = "/feeds/" + FeedsVersion
)

// feedPolicy paces the getFeed polls. Tests may change it.
type feedPolicy struct {
	first  time.Duration // the wait before the first poll
	max    time.Duration // polls wait doubling up to this
	giveUp time.Duration // a feed still IN_QUEUE this long after its creation is cancelled
	// unknownAfter bounds the wait for a feed that cannot be cancelled:
	// unfinished this long after its creation, its outcome is reported
	// unknown.
	unknownAfter time.Duration
}

var defaultFeedPolicy = feedPolicy{first: 10 * time.Second, max: time.Minute, giveUp: 2 * time.Hour, unknownAfter: 24 * time.Hour}

// Feed document wire shapes (listings-feed-schema-v2 and the processing
// report schema).
type (
	feedHeader struct {
		SellerID    string `json:"sellerId"`
		Version     string `json:"version"`
		IssueLocale string `json:"issueLocale"`
	}
	feedMessage struct {
		MessageID     int          `json:"messageId"`
		SKU           string       `json:"sku"`
		OperationType string       `json:"operationType"`
		ProductType   string       `json:"productType"`
		Patches       []patchEntry `json:"patches"`
	}
	listingsFeed struct {
		Header   feedHeader    `json:"header"`
		Messages []feedMessage `json:"messages"`
	}
)

// inflight remembers the feeds this process submitted and has not read
// the outcome of, by digest of endpoint, marketplace and document.
var inflight = struct {
	mu sync.Mutex
	m  map[[32]byte]inflightFeed
}{m: map[[32]byte]inflightFeed{}}

type inflightFeed struct {
	id      string
	created time.Time // on the submitting client's clock
}

// maxInflight bounds the memory; the oldest entries go first.
const maxInflight = 1000

func (c *Client) feedKey(doc []byte) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", c.endpoint, c.market)
	h.Write(doc)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (c *Client) recall(k [32]byte) (inflightFeed, bool) {
	inflight.mu.Lock()
	defer inflight.mu.Unlock()
	f, ok := inflight.m[k]
	if ok && c.now().Sub(f.created) > c.feedPoll.unknownAfter {
		delete(inflight.m, k)
		return inflightFeed{}, false
	}
	return f, ok
}

func remember(k [32]byte, f inflightFeed) {
	inflight.mu.Lock()
	defer inflight.mu.Unlock()
	for len(inflight.m) >= maxInflight {
		var oldest [32]byte
		first := true
		for k, v := range inflight.m {
			if first || v.created.Before(inflight.m[oldest].created) {
				oldest, first = k, false
			}
		}
		delete(inflight.m, oldest)
	}
	inflight.m[k] = f
}

func forget(k [32]byte) {
	inflight.mu.Lock()
	defer inflight.mu.Unlock()
	delete(inflight.m, k)
}

// localRefusal is a quantity refused before anything is sent.
func localRefusal(u cart.StockUpdate) error {
	if u.SKU == "" {
		return &cart.Error{Message: "the product has no SKU to address on Amazon"}
	}
	if u.Quantity < 0 {
		return &cart.Error{Message: fmt.Sprintf("quantity %d is below 0", u.Quantity)}
	}
	return nil
}

// errFeedGone is getFeed not knowing a remembered feed.
var errFeedGone = errors.New("amazon does not know the feed")

// setStockFeed sends updates as one JSON_LISTINGS_FEED; see the top of
// this file.
func (c *Client) setStockFeed(ctx context.Context, updates []cart.StockUpdate) ([]cart.StockResult, error) {
	results, index, doc, err := c.quantityFeed(updates)
	if err != nil || doc == nil {
		return results, err
	}
	key := c.feedKey(doc)
	var f feedStatus
	for attempt := 0; ; attempt++ {
		known, resumed := c.recall(key)
		if !resumed {
			id, err := c.submitFeed(ctx, doc)
			if err != nil {
				return nil, fmt.Errorf("amazon: sending the quantity feed: %w", err)
			}
			known = inflightFeed{id: id, created: c.now()}
			remember(key, known)
		}
		f, err = c.awaitFeed(ctx, known, resumed)
		if errors.Is(err, errFeedGone) && resumed && attempt == 0 {
			forget(key) // not Amazon's any more: send it again
			continue
		}
		var rl *cart.RateLimitedError
		switch {
		case err == nil:
		case errors.As(err, &rl) || ctx.Err() != nil || unansweredForNow(err):
			// Still processing, as far as is known: a continuation
			// resumes it.
			return nil, fmt.Errorf("amazon: waiting for quantity feed %s: %w", known.id, err)
		default:
			forget(key)
			return nil, fmt.Errorf("amazon: waiting for quantity feed %s: %w", known.id, feedGone(err))
		}
		break
	}
	refused, err := c.feedOutcome(ctx, f, len(index))
	if err != nil {
		var rl *cart.RateLimitedError
		if !errors.As(err, &rl) && ctx.Err() == nil {
			forget(key) // the outcome is known: the feed is done with
		} // else the continuation reads the report of the same feed
		return nil, fmt.Errorf("amazon: quantity feed %s: %w", f.id, err)
	}
	forget(key)
	refuse(results, index, refused)
	return results, nil
}

// quantityFeed builds the feed of updates: the results, holding the
// refusals of updates refused locally; which update each message is
// (message j+1 is updates[index[j]]); and the document, nil when every
// update was refused.
func (c *Client) quantityFeed(updates []cart.StockUpdate) ([]cart.StockResult, []int, []byte, error) {
	results, index := cart.CheckUpdates(updates, func(_ int, u cart.StockUpdate) error { return localRefusal(u) })
	msgs := make([]feedMessage, len(index))
	for j, i := range index {
		u := updates[i]
		msgs[j] = feedMessage{MessageID: j + 1, SKU: u.SKU, OperationType: "PATCH", ProductType: productType,
			Patches: []patchEntry{{Op: "merge", Path: "/attributes/fulfillment_availability",
				Value: []availability{{FulfillmentChannelCode: "DEFAULT", Quantity: u.Quantity}}}}}
	}
	if len(msgs) == 0 {
		return results, index, nil, nil
	}
	doc, err := json.Marshal(listingsFeed{Header: feedHeader{SellerID: c.seller, Version: ListingsFeedVersion, IssueLocale: "en_US"}, Messages: msgs})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("amazon: encoding the feed: %w", err)
	}
	return results, index, doc, nil
}

// refuse records a finished feed's refusals (by messageId) in results.
func refuse(results []cart.StockResult, index []int, refused map[int]string) {
	for id, why := range refused {
		results[index[id-1]].Err = &cart.Error{Message: "Amazon refused the quantity: " + why}
	}
}

// feedGone makes errFeedGone a temporary failure of the push.
func feedGone(err error) error {
	if errors.Is(err, errFeedGone) {
		return &cart.Error{Temporary: true, Message: "Amazon did not find the quantity feed it had just created", Err: err}
	}
	return err
}

// submitFeed uploads doc and creates a feed of it: the feed's id.
func (c *Client) submitFeed(ctx context.Context, doc []byte) (string, error) {
	body, _ := json.Marshal(map[string]string{"contentType": feedContentType})
	resp, err := c.do(ctx, request{op: opCreateFeedDocument, method: http.MethodPost, path: feedsPath + "/documents", body: body})
	if err != nil {
		return "", err
	}
	if !resp.ok() {
		return "", failure(resp)
	}
	created, err := parseFeedDocument(resp.body)
	if err != nil || created.ID == "" {
		return "", &cart.Error{Status: resp.status, Message: "Amazon sent a feed document answer that could not be read"}
	}
	upload, err := c.documentURL(created.URL)
	if err != nil {
		return "", err
	}
	if _, err := c.document(ctx, http.MethodPut, upload, doc); err != nil {
		return "", err
	}
	body, _ = json.Marshal(map[string]any{"feedType": feedType, "marketplaceIds": []string{c.market}, "inputFeedDocumentId": created.ID})
	resp, err = c.do(ctx, request{op: opCreateFeed, method: http.MethodPost, path: feedsPath + "/feeds", body: body})
	if err != nil {
		return "", err
	}
	if !resp.ok() {
		return "", failure(resp)
	}
	id, err := parseCreateFeed(resp.body)
	if err != nil {
		return "", &cart.Error{Status: resp.status, Message: "Amazon sent a createFeed answer that could not be read", Err: err}
	}
	return id, nil
}

// feedDocument is a createFeedDocument or getFeedDocument answer.
type feedDocument struct {
	ID          string `json:"feedDocumentId"`
	URL         string `json:"url"`
	Compression string `json:"compressionAlgorithm"`
}

func parseFeedDocument(body []byte) (feedDocument, error) {
	var d feedDocument
	err := json.Unmarshal(body, &d)
	return d, err
}

// parseCreateFeed reads a createFeed answer: the feed's id.
func parseCreateFeed(body []byte) (string, error) {
	var feed struct {
		FeedID string `json:"feedId"`
	}
	if err := json.Unmarshal(body, &feed); err != nil {
		return "", err
	}
	if !feedIDRE.MatchString(feed.FeedID) {
		return "", fmt.Errorf("feed id %q", clip(feed.FeedID))
	}
	return feed.FeedID, nil
}

// parseFeed reads a getFeed answer.
func parseFeed(body []byte) (feedStatus, error) {
	var v struct {
		FeedID               string `json:"feedId"`
		ProcessingStatus     string `json:"processingStatus"`
		ResultFeedDocumentID string `json:"resultFeedDocumentId"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return feedStatus{}, err
	}
	return feedStatus{id: v.FeedID, status: v.ProcessingStatus, result: v.ResultFeedDocumentID}, nil
}

var feedIDRE = pattern.New(`^[0-9A-Za-z._-]{1,128}$`)

// feedStatus is a parsed getFeed answer.
type feedStatus struct {
	id, status, result string
}

// awaitFeed polls getFeed until the feed is DONE, FATAL or CANCELLED.
// pollNow skips the first wait (a remembered feed has waited already).
func (c *Client) awaitFeed(ctx context.Context, f inflightFeed, pollNow bool) (feedStatus, error) {
	wait := c.feedPoll.first
	if pollNow {
		wait = 0
	}
	for {
		if wait > 0 {
			if err := c.loop().Pace(ctx, wait, nil); err != nil {
				return feedStatus{}, err
			}
		}
		v, done, err := c.getFeed(ctx, f)
		if done || err != nil {
			return v, err
		}
		if wait == 0 {
			wait = c.feedPoll.first
		} else {
			wait = min(2*wait, c.feedPoll.max)
		}
	}
}

// getFeed asks for f's status once: done when it is DONE, FATAL or
// CANCELLED; errFeedGone when Amazon does not know it. Past the give-up
// age a feed still IN_QUEUE is cancelled, and then reported as a
// temporary *cart.Error; one that cannot be cancelled is still
// processing until unknownAfter, then a temporary *cart.Error saying its
// outcome is unknown (see the top of this file).
func (c *Client) getFeed(ctx context.Context, f inflightFeed) (feedStatus, bool, error) {
	resp, err := c.do(ctx, request{op: opGetFeed, method: http.MethodGet, path: feedsPath + "/feeds/" + url.PathEscape(f.id)})
	if err == nil && resp.status == http.StatusNotFound {
		return feedStatus{}, false, errFeedGone
	}
	if err == nil && !resp.ok() {
		err = failure(resp)
	}
	if err != nil {
		return feedStatus{}, false, unanswered{err}
	}
	v, err := parseFeed(resp.body)
	if err != nil || v.id != f.id {
		return feedStatus{}, false, &cart.Error{Status: resp.status, Message: "Amazon sent a feed status that could not be read"}
	}
	switch v.status {
	case "DONE", "FATAL", "CANCELLED":
		return v, true, nil
	case "IN_QUEUE", "IN_PROGRESS":
	default:
		return feedStatus{}, false, &cart.Error{Status: resp.status, Message: fmt.Sprintf("Amazon sent feed status %q, not one this connector knows", clip(v.status))}
	}
	age := c.now().Sub(f.created)
	if v.status == "IN_QUEUE" && age >= c.feedPoll.giveUp {
		cancelled, err := c.cancelFeed(ctx, f.id)
		if cancelled {
			return feedStatus{}, false, &cart.Error{Temporary: true, Message: fmt.Sprintf(
				"Amazon had not started the quantity feed %s after %s, so Autosync cancelled it: none of its quantities applied", f.id, c.feedPoll.giveUp)}
		}
		if err != nil && ctx.Err() != nil {
			return feedStatus{}, false, err
		}
		// Not cancelled: it may have started, so it is watched as
		// IN_PROGRESS (a failed request is tried again at the next poll).
	}
	if age >= c.feedPoll.unknownAfter {
		return feedStatus{}, false, &cart.Error{Temporary: true, Message: fmt.Sprintf(
			"Amazon has not finished the quantity feed %s after %s (still %s): its outcome is unknown, whether its quantities applied or may still apply",
			f.id, c.feedPoll.unknownAfter, v.status)}
	}
	return v, false, nil
}

// cancelFeed asks Amazon to cancel feed id: cancelled when it answers
// 2xx. Any other answer (Amazon refuses feeds no longer IN_QUEUE) is not
// cancelled, with the reason as err.
func (c *Client) cancelFeed(ctx context.Context, id string) (cancelled bool, err error) {
	resp, err := c.do(ctx, request{op: opCancelFeed, method: http.MethodDelete, path: feedsPath + "/feeds/" + url.PathEscape(id)})
	if err != nil {
		return false, err
	}
	if !resp.ok() {
		return false, failure(resp)
	}
	return true, nil
}

// unanswered is getFeed's request failing: nothing was learnt of the
// feed.
type unanswered struct{ error }

func (u unanswered) Unwrap() error { return u.error }

// unansweredForNow says whether err is getFeed failing for a moment (a
// temporary failure, or a wait that would pass the deadline): the feed
// may still apply, and asking later may tell.
func unansweredForNow(err error) bool {
	var u unanswered
	var rl *cart.RateLimitedError
	var ce *cart.Error
	return errors.As(err, &u) && (errors.As(err, &rl) || errors.As(err, &ce) && ce.Temporary)
}

// feedOutcome reads a finished feed: the ERROR issues of each message
// (by messageId, 1 to n) that Amazon did not apply, or the reason the
// feed as a whole failed.
func (c *Client) feedOutcome(ctx context.Context, f feedStatus, n int) (map[int]string, error) {
	switch f.status {
	case "CANCELLED":
		return nil, &cart.Error{Temporary: true, Message: "Amazon cancelled the quantity feed before processing it; nothing was applied"}
	case "FATAL":
		msg := "Amazon could not process the quantity feed (FATAL); some, none or all of the quantities may have been applied"
		if f.result != "" {
			// Best effort: the reason, when the report can be read.
			if rep, err := c.feedReport(ctx, f); err == nil {
				var why []string
				for _, is := range rep.Issues {
					if is.Severity == "ERROR" {
						why = append(why, is.text())
					}
				}
				if len(why) > 0 {
					msg += ": " + clip(strings.Join(why, "; "))
				}
			} else if ctx.Err() != nil {
				return nil, err
			}
		}
		return nil, &cart.Error{Temporary: true, Message: msg}
	}
	if f.result == "" {
		return nil, &cart.Error{Message: "Amazon finished the quantity feed without a processing report, so which quantities applied is unknown"}
	}
	rep, err := c.feedReport(ctx, f)
	if err != nil {
		return nil, err
	}
	byMsg := map[int]string{}
	var general []string
	for _, is := range rep.Issues {
		switch {
		case is.Severity != "ERROR": // WARNING, INFO: applied
		case is.MessageID >= 1 && is.MessageID <= n:
			if byMsg[is.MessageID] != "" {
				byMsg[is.MessageID] += "; "
			}
			byMsg[is.MessageID] = clip(byMsg[is.MessageID] + is.text())
		default:
			general = append(general, is.text())
		}
	}
	s := rep.Summary
	if s == nil || len(general) > 0 || s.MessagesProcessed < n || s.MessagesInvalid > len(byMsg) {
		msg := "Amazon's processing report of the quantity feed does not say which quantities applied"
		if s != nil {
			msg += fmt.Sprintf(" (%d of %d messages processed, %d invalid, %d with their issues)", s.MessagesProcessed, n, s.MessagesInvalid, len(byMsg))
		}
		if len(general) > 0 {
			msg += ": " + clip(strings.Join(general, "; "))
		}
		return nil, &cart.Error{Message: msg}
	}
	return byMsg, nil
}

// report is a parsed processing report.
type report struct {
	Header *struct {
		FeedID string `json:"feedId"`
	} `json:"header"`
	Issues  []reportIssue `json:"issues"`
	Summary *struct {
		MessagesProcessed int `json:"messagesProcessed"`
		MessagesAccepted  int `json:"messagesAccepted"`
		MessagesInvalid   int `json:"messagesInvalid"`
	} `json:"summary"`
}

type reportIssue struct {
	MessageID int    `json:"messageId"`
	Code      string `json:"code"`
	Severity  string `json:"severity"`
	Message   string `json:"message"`
}

// text is the issue as a merchant reads it: "message (code)".
func (is reportIssue) text() string {
	m := strings.TrimSpace(is.Message)
	if m == "" {
		m = "no reason given"
	}
	if is.Code != "" {
		m += " (" + is.Code + ")"
	}
	return clip(m)
}

// feedReport fetches and reads f's processing report.
func (c *Client) feedReport(ctx context.Context, f feedStatus) (report, error) {
	resp, err := c.do(ctx, request{op: opGetFeedDocument, method: http.MethodGet, path: feedsPath + "/documents/" + url.PathEscape(f.result)})
	if err != nil {
		return report{}, err
	}
	if !resp.ok() {
		return report{}, failure(resp)
	}
	d, err := parseFeedDocument(resp.body)
	if err != nil {
		return report{}, &cart.Error{Status: resp.status, Message: "Amazon sent a feed document answer that could not be read"}
	}
	u, err := c.documentURL(d.URL)
	if err != nil {
		return report{}, err
	}
	body, err := c.document(ctx, http.MethodGet, u, nil)
	if err != nil {
		return report{}, err
	}
	switch d.Compression {
	case "":
	case "GZIP":
		z, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			body, err = io.ReadAll(io.LimitReader(z, maxResponse+1))
		}
		if err != nil || len(body) > maxResponse {
			return report{}, &cart.Error{Message: "Amazon's processing report could not be decompressed", Err: err}
		}
	default:
		return report{}, &cart.Error{Message: fmt.Sprintf("Amazon's processing report is compressed with %q, which this connector cannot read", clip(d.Compression))}
	}
	rep, err := parseReport(body)
	if err != nil {
		return report{}, &cart.Error{Message: "Amazon's processing report could not be read", Err: err}
	}
	if rep.Header == nil || rep.Header.FeedID != f.id {
		return report{}, &cart.Error{Message: fmt.Sprintf("Amazon's processing report is not the report of feed %s", f.id)}
	}
	return rep, nil
}

// parseReport reads a processing report (listings-feed-processing-report-schema-v2).
func parseReport(body []byte) (report, error) {
	var rep report
	err := json.Unmarshal(body, &rep)
	return rep, err
}

// documentURL checks a presigned document URL from Amazon: http(s) with a
// host and no user info, and https whenever the SP-API endpoint is.
func (c *Client) documentURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	ok := err == nil && u.Host != "" && u.User == nil && (u.Scheme == "https" || u.Scheme == "http" && strings.HasPrefix(c.endpoint, "http://"))
	if !ok || len(raw) > 8192 {
		return "", &cart.Error{Message: "Amazon sent a feed document URL that is not usable"}
	}
	return u.String(), nil
}

var s3CodeRE = pattern.New(`<Code>([A-Za-z]{1,64})</Code>`)

// document sends one request to a presigned document URL (S3, not the
// SP-API): no access token, which must stay with the SP-API, and no usage
// plan; temporary failures are retried as do retries them (uploading the
// same document again, or downloading it again, is harmless). It returns
// the body of a 2xx answer.
func (c *Client) document(ctx context.Context, method, u string, body []byte) ([]byte, error) {
	what := "downloading Amazon's processing report"
	if method == http.MethodPut {
		what = "uploading the feed document"
	}
	l := c.loop()
	l.Doing = what
	return cart.Do(ctx, l, cart.Call[[]byte]{
		Build: func(ctx context.Context, _ cart.Attempt) (*http.Request, error) {
			req, err := cart.NewRequest(ctx, method, u, nil, body)
			if err != nil {
				return nil, fmt.Errorf("building the request: %w", err)
			}
			if body != nil {
				req.Header.Set("Content-Type", feedContentType) // signed into an upload URL
			}
			req.Header.Set("User-Agent", userAgent)
			return req, nil
		},
		Classify: func(r *cart.Response) ([]byte, error) {
			s := r.Status
			if s >= 200 && s < 300 {
				return r.Body, nil
			}
			msg := fmt.Sprintf("%s: Amazon answered HTTP %d", what, s)
			if m := s3CodeRE.FindSubmatch(r.Body); m != nil {
				msg += " (" + string(m[1]) + ")"
			}
			if s >= 500 || s == http.StatusTooManyRequests {
				return nil, &cart.Temporary{Status: s, Message: msg}
			}
			return nil, &cart.Error{Status: s, Message: msg}
		},
	})
}
