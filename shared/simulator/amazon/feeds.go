package amazonsim

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Feeds API 2021-06-30, for JSON_LISTINGS_FEED only (Amazon's Feeds API guide; the
// model is feeds_2021-06-30.json, the documents follow
// listings-feed-schema-v2.json and
// listings-feed-processing-report-schema-v2.json):
//
//   - createFeedDocument (POST /feeds/2021-06-30/documents, 201) returns a
//     feedDocumentId and a presigned upload URL served by the simulator
//     itself on the host the request came to: PUT /feed-uploads/{id}.
//   - createFeed (POST /feeds/2021-06-30/feeds, 202) queues the uploaded
//     document as a feed; getFeed (GET /feeds/2021-06-30/feeds/{feedId})
//     shows it IN_QUEUE, then IN_PROGRESS, then DONE (or FATAL).
//   - cancelFeed (DELETE /feeds/2021-06-30/feeds/{feedId}) cancels a feed
//     that is IN_QUEUE: 200 with no body (the model's 200 has none), the
//     feed CANCELLED, nothing of it applied. A feed that is not IN_QUEUE
//     answers 400 InvalidInput and goes on: the model documents that
//     only IN_QUEUE feeds can be cancelled but not the refusal, so its
//     status and code are a guess (400 is the model's one client error
//     for a request that cannot be honoured). An unknown feed answers 404.
//   - getFeedDocument (GET /feeds/2021-06-30/documents/{id}) returns a
//     presigned download URL, GET /feed-documents/{id}, for the
//     processing report ({"header","issues","summary"}).
//
// What the stored specs leave open is settled here, each a guess:
//   - Timing: a feed waits IN_QUEUE for a third of Options.FeedDelay
//     (default 2 minutes) and is IN_PROGRESS for the rest; a seller's
//     feeds are processed one at a time, in creation order, so a feed
//     queued behind another waits for it. Processing happens at the end
//     time, whenever the simulator is next asked anything: the messages'
//     quantities apply then, with that update time. HoldFeeds keeps
//     feeds IN_QUEUE, or keeps them from finishing, for as long as a test
//     wants.
//   - A document that is not JSON, not application/json, lacks the
//     header (sellerId of the seller, version "2.0"), has no messages or
//     more than MaxFeedMessages, or has a message without a unique
//     positive messageId, a sku or a known operationType fails the whole
//     feed: FATAL, with a report whose one issue has no messageId. So does
//     a feed whose document was never uploaded, and a feed FailFeeds
//     marks. Nothing of a FATAL feed applies.
//   - Per message: only PATCH is modelled (UPDATE, PARTIAL_UPDATE and
//     DELETE messages get an ERROR issue); the patches follow
//     patchListingsItem's rules, and an unknown SKU, a product type other
//     than PRODUCT or the listing's, a refused value or a FailSKU count
//     make an ERROR issue for that messageId, the message not applied.
//   - Presigned URLs live DocumentURLTTL (5 minutes, the model's figure);
//     an upload's Content-Type must be the createFeedDocument contentType
//     (S3 signs it); S3 answers errors in XML. An upload is at most
//     MaxFeedDocument bytes (10 MiB, a guess).
//   - createFeedDocument's usage plan is the documented 0.5/s burst 15 (one
//     stored version of the model says 0.0083/s); getFeedDocument's is the
//     model's 0.0222/s burst 10.
//   - Reports are gzip-compressed (compressionAlgorithm GZIP) when
//     Options.CompressReports is set; Amazon compresses some.
const (
	OpCreateFeedDocument = "createFeedDocument"
	OpCreateFeed         = "createFeed"
	OpGetFeed            = "getFeed"
	OpGetFeedDocument    = "getFeedDocument"
	OpCancelFeed         = "cancelFeed"

	// FeedTypeListings is the only feed type the simulator accepts.
	FeedTypeListings = "JSON_LISTINGS_FEED"
	// MaxFeedMessages is listings-feed-schema-v2's messages maxItems.
	MaxFeedMessages = 25_000
	// MaxFeedDocument bounds an uploaded document.
	MaxFeedDocument = 10 << 20
	// DocumentURLTTL is the life of a presigned document URL.
	DocumentURLTTL = 5 * time.Minute
	// DefaultFeedDelay is Options.FeedDelay's default.
	DefaultFeedDelay = 2 * time.Minute
)

// Feed processing statuses.
const (
	FeedInQueue    = "IN_QUEUE"
	FeedInProgress = "IN_PROGRESS"
	FeedDone       = "DONE"
	FeedFatal      = "FATAL"
	FeedCancelled  = "CANCELLED"
)

// document is a feed document: one a client uploads, or a report.
type document struct {
	id          string
	contentType string
	content     []byte // as served: gzip-compressed when gzip
	gzip        bool
	uploaded    bool
	report      bool
}

// presign is what a presigned URL allows.
type presign struct {
	doc     string
	method  string
	expires time.Time
}

// feed is one feed and its schedule.
type feed struct {
	id, feedType, input string
	markets             []string
	created, start, end time.Time
	fatal               bool   // FailFeeds marked it
	status              string // "" until processed or cancelled
	result              string // the report's document id
	messages            int
}

// statusAt is the processing status at now under hold (HoldFeeds); the
// caller has processed the feeds due.
func (f *feed) statusAt(now time.Time, hold string) string {
	switch {
	case f.status != "":
		return f.status
	case hold == FeedInQueue || now.Before(f.start):
		return FeedInQueue
	}
	return FeedInProgress
}

// Feed is a copy of one feed, for tests.
type Feed struct {
	ID, Status, ResultDocumentID string
	Messages                     int // in the document, once processed
	Created, End                 time.Time
}

// FailFeeds makes the next n feeds created end FATAL, nothing applied.
func (s *Server) FailFeeds(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failFeeds = n
}

// HoldFeeds holds every feed not yet processed at status: IN_QUEUE keeps
// them from starting, IN_PROGRESS from finishing (they start on
// schedule). "" lets them follow their schedule again: one whose end has
// passed is processed at the next request. Any other status panics.
func (s *Server) HoldFeeds(status string) {
	if status != "" && status != FeedInQueue && status != FeedInProgress {
		panic("amazonsim: HoldFeeds takes IN_QUEUE, IN_PROGRESS or nothing, not " + status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdFeeds = status
}

// CancelFeeds cancels every feed still IN_QUEUE, as cancelFeed would (the
// seller, or another application, cancelling them), and says how many.
func (s *Server) CancelFeeds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.processFeeds(now)
	n := 0
	for _, f := range s.feedOrder {
		if s.cancel(f, now) {
			n++
		}
	}
	return n
}

// cancel cancels f if it is IN_QUEUE at now, and says whether it did. The
// caller holds s.mu and has processed the feeds due.
func (s *Server) cancel(f *feed, now time.Time) bool {
	if f.statusAt(now, s.holdFeeds) != FeedInQueue {
		return false
	}
	f.status, f.start, f.end = FeedCancelled, now, now
	return true
}

// Feeds returns copies of every feed, oldest first.
func (s *Server) Feeds() []Feed {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.processFeeds(now)
	out := make([]Feed, 0, len(s.feedOrder))
	for _, f := range s.feedOrder {
		out = append(out, Feed{ID: f.id, Status: f.statusAt(now, s.holdFeeds), ResultDocumentID: f.result, Messages: f.messages, Created: f.created, End: f.end})
	}
	return out
}

// processFeeds processes, in order, every feed whose end has come. The
// caller holds s.mu.
func (s *Server) processFeeds(now time.Time) {
	if s.holdFeeds != "" {
		return
	}
	for _, f := range s.feedOrder {
		if f.status == "" && !now.Before(f.end) {
			s.processFeed(f)
		}
	}
}

// Wire shapes of the Feeds API and its documents.
type (
	feedJSON struct {
		FeedID               string   `json:"feedId"`
		FeedType             string   `json:"feedType"`
		MarketplaceIDs       []string `json:"marketplaceIds,omitempty"`
		CreatedTime          string   `json:"createdTime"`
		ProcessingStatus     string   `json:"processingStatus"`
		ProcessingStartTime  string   `json:"processingStartTime,omitempty"`
		ProcessingEndTime    string   `json:"processingEndTime,omitempty"`
		ResultFeedDocumentID string   `json:"resultFeedDocumentId,omitempty"`
	}
	feedDocumentJSON struct {
		FeedDocumentID       string `json:"feedDocumentId"`
		URL                  string `json:"url"`
		CompressionAlgorithm string `json:"compressionAlgorithm,omitempty"`
	}
	listingsFeedJSON struct {
		Header *struct {
			SellerID    string `json:"sellerId"`
			Version     string `json:"version"`
			IssueLocale string `json:"issueLocale"`
		} `json:"header"`
		Messages []json.RawMessage `json:"messages"`
	}
	feedMessageJSON struct {
		MessageID     json.RawMessage `json:"messageId"`
		SKU           string          `json:"sku"`
		OperationType string          `json:"operationType"`
		ProductType   string          `json:"productType"`
		Patches       []patchJSON     `json:"patches"`
	}
	reportIssueJSON struct {
		MessageID     int    `json:"messageId,omitempty"`
		SKU           string `json:"sku,omitempty"`
		Code          string `json:"code"`
		Severity      string `json:"severity"`
		Message       string `json:"message"`
		AttributeName string `json:"attributeName,omitempty"`
	}
	reportSummaryJSON struct {
		Errors            int `json:"errors"`
		Warnings          int `json:"warnings"`
		MessagesProcessed int `json:"messagesProcessed"`
		MessagesAccepted  int `json:"messagesAccepted"`
		MessagesInvalid   int `json:"messagesInvalid"`
	}
	reportJSON struct {
		Header struct {
			SellerID string `json:"sellerId"`
			Version  string `json:"version"`
			FeedID   string `json:"feedId"`
		} `json:"header"`
		Issues  []reportIssueJSON `json:"issues"`
		Summary reportSummaryJSON `json:"summary"`
	}
)

var operationTypes = []string{"UPDATE", "PARTIAL_UPDATE", "PATCH", "DELETE"}

func invalidInput(w http.ResponseWriter, details string) {
	writeErrors(w, http.StatusBadRequest, "InvalidInput", "Invalid input", details)
}

// documentURL is a presigned URL for doc on the host r came to. The caller
// holds s.mu.
func (s *Server) documentURL(r *http.Request, now time.Time, prefix, doc, method string) string {
	for k, p := range s.presigned {
		if !now.Before(p.expires) {
			delete(s.presigned, k)
		}
	}
	sig := strings.ReplaceAll(s.uuid()+s.uuid(), "-", "")
	s.presigned[sig] = &presign{doc: doc, method: method, expires: now.Add(DocumentURLTTL)}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s%s/%s?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=%d&X-Amz-SignedHeaders=content-type%%3Bhost&X-Amz-Signature=%s",
		scheme, r.Host, prefix, doc, int(DocumentURLTTL.Seconds()), sig)
}

// createFeedDocument is POST /feeds/2021-06-30/documents.
func (s *Server) createFeedDocument(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ContentType string `json:"contentType"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil || json.Unmarshal(body, &req) != nil || strings.TrimSpace(req.ContentType) == "" {
		invalidInput(w, "The request body must be a CreateFeedDocumentSpecification with a contentType.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := "amzn1.tortuga.4.na." + s.uuid()
	s.docs[id] = &document{id: id, contentType: req.ContentType}
	writeJSON(w, http.StatusCreated, map[string]string{
		"feedDocumentId": id,
		"url":            s.documentURL(r, s.now(), "/feed-uploads", id, http.MethodPut),
	})
}

// createFeed is POST /feeds/2021-06-30/feeds.
func (s *Server) createFeed(w http.ResponseWriter, r *http.Request) {
	var req struct {
		FeedType            string            `json:"feedType"`
		MarketplaceIDs      []string          `json:"marketplaceIds"`
		InputFeedDocumentID string            `json:"inputFeedDocumentId"`
		FeedOptions         map[string]string `json:"feedOptions"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil || json.Unmarshal(body, &req) != nil {
		invalidInput(w, "The request body must be a CreateFeedSpecification.")
		return
	}
	switch {
	case req.FeedType == "" || req.InputFeedDocumentID == "" || len(req.MarketplaceIDs) == 0:
		invalidInput(w, "feedType, marketplaceIds and inputFeedDocumentId are required.")
		return
	case req.FeedType != FeedTypeListings:
		invalidInput(w, fmt.Sprintf("The simulator accepts feedType %s only.", FeedTypeListings))
		return
	case len(req.MarketplaceIDs) > 25:
		invalidInput(w, "marketplaceIds takes at most 25 marketplaces.")
		return
	case !s.servesAllLocked(req.MarketplaceIDs):
		foreignMarketplace(w)
		return
	case !slices.Contains(req.MarketplaceIDs, s.opts.MarketplaceID):
		invalidInput(w, fmt.Sprintf("The seller does not sell in marketplace %s.", strings.Join(req.MarketplaceIDs, ",")))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	doc, ok := s.docs[req.InputFeedDocumentID]
	if !ok || doc.report {
		invalidInput(w, "The inputFeedDocumentId is not a feed document of this seller.")
		return
	}
	now := s.now()
	s.feedSeq++
	f := &feed{id: strconv.Itoa(50_012_000_000 + s.feedSeq), feedType: req.FeedType, input: doc.id,
		markets: slices.Clone(req.MarketplaceIDs), created: now}
	delay := s.opts.FeedDelay
	f.start = now.Add(delay / 3)
	for _, g := range s.feedOrder {
		if g.status != FeedCancelled && g.end.After(f.start) {
			f.start = g.end // one at a time
		}
	}
	f.end = f.start.Add(delay - delay/3)
	if s.failFeeds > 0 {
		s.failFeeds--
		f.fatal = true
	}
	s.feeds[f.id] = f
	s.feedOrder = append(s.feedOrder, f)
	s.stats.Feeds++
	writeJSON(w, http.StatusAccepted, map[string]string{"feedId": f.id})
}

// getFeed is GET /feeds/2021-06-30/feeds/{feedId}.
func (s *Server) getFeed(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.processFeeds(now)
	f, ok := s.feeds[r.PathValue("feedId")]
	if !ok {
		writeErrors(w, http.StatusNotFound, "NotFound", "The requested feed was not found.", "")
		return
	}
	out := feedJSON{FeedID: f.id, FeedType: f.feedType, MarketplaceIDs: f.markets, CreatedTime: iso(f.created),
		ProcessingStatus: f.statusAt(now, s.holdFeeds), ResultFeedDocumentID: f.result}
	if out.ProcessingStatus != FeedInQueue {
		out.ProcessingStartTime = iso(f.start)
	}
	if f.status != "" {
		out.ProcessingEndTime = iso(f.end)
	}
	writeJSON(w, http.StatusOK, out)
}

// cancelFeed is DELETE /feeds/2021-06-30/feeds/{feedId}.
func (s *Server) cancelFeed(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.processFeeds(now)
	f, ok := s.feeds[r.PathValue("feedId")]
	switch {
	case !ok:
		writeErrors(w, http.StatusNotFound, "NotFound", "The requested feed was not found.", "")
	case !s.cancel(f, now):
		invalidInput(w, fmt.Sprintf("The feed cannot be cancelled: its processingStatus is %s, and only IN_QUEUE feeds can be cancelled.", f.statusAt(now, s.holdFeeds)))
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// getFeedDocument is GET /feeds/2021-06-30/documents/{feedDocumentId}.
func (s *Server) getFeedDocument(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.processFeeds(now)
	doc, ok := s.docs[r.PathValue("feedDocumentId")]
	if !ok {
		writeErrors(w, http.StatusNotFound, "NotFound", "The requested feed document was not found.", "")
		return
	}
	out := feedDocumentJSON{FeedDocumentID: doc.id, URL: s.documentURL(r, now, "/feed-documents", doc.id, http.MethodGet)}
	if doc.gzip {
		out.CompressionAlgorithm = "GZIP"
	}
	writeJSON(w, http.StatusOK, out)
}

// s3Error answers as S3 does.
func s3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, message)
}

// transfer checks a presigned document request and counts it; it answers
// the failures itself. The caller holds s.mu.
func (s *Server) transfer(w http.ResponseWriter, r *http.Request, method string) (*document, bool) {
	s.stats.DocumentTransfers++
	if r.Header.Get("x-amz-access-token") != "" || r.Header.Get("Authorization") != "" {
		s.stats.TokenSentToDocument++
	}
	if s.faults.DocumentErrors > 0 {
		s.faults.DocumentErrors--
		s.stats.Faults.DocumentErrors++
		s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return nil, false
	}
	now := s.now()
	p, ok := s.presigned[r.URL.Query().Get("X-Amz-Signature")]
	doc := s.docs[r.PathValue("docId")]
	switch {
	case !ok || doc == nil || p.doc != doc.id || p.method != method:
		s3Error(w, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return nil, false
	case !now.Before(p.expires):
		s3Error(w, http.StatusForbidden, "AccessDenied", "Request has expired")
		return nil, false
	}
	return doc, true
}

// upload is PUT /feed-uploads/{docId}: the presigned upload URL.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amz-request-id", s.requestID())
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxFeedDocument))
	s.mu.Lock()
	defer s.mu.Unlock()
	doc, ok := s.transfer(w, r, http.MethodPut)
	switch {
	case !ok:
		return
	case r.Header.Get("Content-Type") != doc.contentType:
		// The content type is signed into the URL.
		s3Error(w, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return
	case err != nil:
		s3Error(w, http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
		return
	}
	doc.content, doc.uploaded = body, true
	w.Header().Set("ETag", fmt.Sprintf(`"%016x"`, hash(string(body))))
	w.WriteHeader(http.StatusOK)
}

// download is GET /feed-documents/{docId}: the presigned download URL.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amz-request-id", s.requestID())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.processFeeds(s.now())
	doc, ok := s.transfer(w, r, http.MethodGet)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", doc.contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(doc.content)))
	w.WriteHeader(http.StatusOK)
	w.Write(doc.content)
}

// processFeed processes f at its end time: applies its accepted messages
// and writes its report. The caller holds s.mu.
func (s *Server) processFeed(f *feed) {
	var rep reportJSON
	rep.Header.SellerID, rep.Header.Version, rep.Header.FeedID = s.opts.SellerID, "2.0", f.id
	rep.Issues = []reportIssueJSON{}
	doc := s.docs[f.input]
	fatal := ""
	var msgs []feedMessageJSON
	var ids []int
	switch {
	case f.fatal:
		fatal = "The feed could not be processed because of an internal error. Submit it again."
	case !doc.uploaded:
		fatal = "The feed document has no content: it was not uploaded before the feed was created."
	case !strings.HasPrefix(doc.contentType, "application/json"):
		fatal = fmt.Sprintf("A %s document must be application/json, not %s.", FeedTypeListings, doc.contentType)
	default:
		msgs, ids, fatal = s.readListingsFeed(doc.content)
	}
	if fatal != "" {
		f.status = FeedFatal
		rep.Issues = append(rep.Issues, reportIssueJSON{Code: "4000004", Severity: "ERROR", Message: fatal})
		rep.Summary.Errors = 1
	} else {
		f.status, f.messages = FeedDone, len(msgs)
		updated := f.end.UTC().Truncate(time.Second)
		for i, m := range msgs {
			issues := s.feedMessageIssues(m)
			if len(issues) > 0 {
				for _, is := range issues {
					ri := reportIssueJSON{MessageID: ids[i], SKU: m.SKU, Code: is.Code, Severity: is.Severity, Message: is.Message}
					if len(is.AttributeNames) > 0 {
						ri.AttributeName = is.AttributeNames[0]
					}
					rep.Issues = append(rep.Issues, ri)
				}
				rep.Summary.Errors += len(issues)
				rep.Summary.MessagesInvalid++
				s.stats.FeedMessagesInvalid++
				continue
			}
			rep.Summary.MessagesAccepted++
			s.stats.FeedMessagesAccepted++
			l := s.listings[m.SKU]
			readAvailability(m.Patches).apply(l)
			if updated.After(l.updated) {
				l.updated = updated
			}
		}
		rep.Summary.MessagesProcessed = len(msgs)
	}
	content, _ := json.Marshal(rep)
	report := &document{id: "amzn1.tortuga.4.na." + s.uuid(), contentType: "application/json", uploaded: true, report: true, content: content}
	if s.opts.CompressReports {
		var b bytes.Buffer
		z := gzip.NewWriter(&b)
		z.Write(content)
		z.Close()
		report.content, report.gzip = b.Bytes(), true
	}
	s.docs[report.id] = report
	f.result = report.id
}

// readListingsFeed checks a document against listings-feed-schema-v2 as
// far as the simulator models it; fatal says why it is refused whole.
// The caller holds s.mu.
func (s *Server) readListingsFeed(content []byte) (msgs []feedMessageJSON, ids []int, fatal string) {
	var doc listingsFeedJSON
	if err := json.Unmarshal(content, &doc); err != nil {
		return nil, nil, "The feed document is not valid JSON."
	}
	switch {
	case doc.Header == nil || doc.Header.Version != "2.0":
		return nil, nil, `The feed header is missing or its version is not "2.0".`
	case doc.Header.SellerID != s.opts.SellerID:
		return nil, nil, fmt.Sprintf("The feed header's sellerId %q is not the seller's.", doc.Header.SellerID)
	case len(doc.Messages) == 0 || len(doc.Messages) > MaxFeedMessages:
		return nil, nil, fmt.Sprintf("A feed holds 1 to %d messages, not %d.", MaxFeedMessages, len(doc.Messages))
	}
	seen := make(map[int]bool, len(doc.Messages))
	for i, raw := range doc.Messages {
		var m feedMessageJSON
		var id int
		switch {
		case json.Unmarshal(raw, &m) != nil:
			return nil, nil, fmt.Sprintf("Message %d does not follow the schema.", i+1)
		case json.Unmarshal(m.MessageID, &id) != nil || id < 1:
			return nil, nil, fmt.Sprintf("Message %d has no messageId (a whole number, 1 or more).", i+1)
		case seen[id]:
			return nil, nil, fmt.Sprintf("messageId %d is used by more than one message.", id)
		case m.SKU == "":
			return nil, nil, fmt.Sprintf("Message %d has no sku.", id)
		case !slices.Contains(operationTypes, m.OperationType):
			return nil, nil, fmt.Sprintf("Message %d has operationType %q, not one of %s.", id, m.OperationType, strings.Join(operationTypes, ", "))
		}
		seen[id] = true
		msgs, ids = append(msgs, m), append(ids, id)
	}
	return msgs, ids, ""
}

// feedMessageIssues are the ERROR issues keeping a message from applying.
// The caller holds s.mu.
func (s *Server) feedMessageIssues(m feedMessageJSON) []issueJSON {
	if m.OperationType != "PATCH" {
		return []issueJSON{{Code: "4000005", Severity: "ERROR", Message: fmt.Sprintf("The simulator processes PATCH messages only, not %s.", m.OperationType)}}
	}
	if m.ProductType == "" || len(m.Patches) == 0 {
		return []issueJSON{{Code: "4000006", Severity: "ERROR", Message: "A PATCH message needs a productType and at least one patch."}}
	}
	_, issues, unusable := readPatches(m.Patches)
	if unusable != "" {
		return []issueJSON{{Code: "4000006", Severity: "ERROR", Message: unusable}}
	}
	if is := s.listingIssue(m.SKU, m.ProductType, false); is != nil {
		issues = append(issues, *is)
	}
	return issues
}
