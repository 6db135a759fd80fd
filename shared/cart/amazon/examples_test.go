package amazon

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/amazon/amazontest"
)

// The tests below read every example response Amazon publishes in the
// models the connector uses (each response's "examples" and its
// x-amzn-api-sandbox static cases, in testdata) with the connector's own
// parsers, and compare what they return with the example's own values,
// read from the example generically. The FBA Inventory model publishes no
// example (its sandbox is dynamic only); its answers are checked against
// the model's schema in TestRequestBodiesMatchPublishedSchemas.

// decode reads an example generically.
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// at walks v by object keys and array indexes; nil when absent.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func list(v any) []any {
	a, _ := v.([]any)
	return a
}

// wantErrorMessage is what apiMessage should make of an ErrorList.
func wantErrorMessage(ex map[string]any) string {
	var parts []string
	for _, e := range list(ex["errors"]) {
		m := strings.TrimSpace(str(at(e, "message")))
		if d := strings.TrimSpace(str(at(e, "details"))); d != "" && d != m {
			m += " (" + d + ")"
		}
		if c := strings.TrimSpace(str(at(e, "code"))); c != "" {
			m = c + ": " + m
		}
		parts = append(parts, m)
	}
	return strings.Join(parts, "; ")
}

// checkErrorExample checks a published error answer reads as Amazon's
// message.
func checkErrorExample(t *testing.T, ex amazontest.Example) {
	t.Helper()
	v := decode(t, ex.Body)
	want := wantErrorMessage(v)
	if want == "" {
		t.Fatalf("%s: an error example without errors: %s", ex.Source, ex.Body)
	}
	if got := apiMessage(ex.Body); got != want {
		t.Errorf("%s: apiMessage = %q, want %q", ex.Source, got, want)
	}
}

func TestPublishedOrderExamples(t *testing.T) {
	exs := amazontest.Examples(t, amazontest.Orders, ordersPath, "GET")
	orders := 0
	for _, ex := range exs {
		if ex.Status != "200" {
			checkErrorExample(t, ex)
			continue
		}
		v := decode(t, ex.Body)
		p, err := parseSearchOrders(ex.Body, cart.AwaitingFulfillment)
		if err != nil {
			t.Errorf("%s: %v", ex.Source, err)
			continue
		}
		if want := str(at(v, "pagination", "nextToken")); p.next != want {
			t.Errorf("%s: next token %q, want %q", ex.Source, p.next, want)
		}
		wantOrders := list(v["orders"])
		if len(p.orders) != len(wantOrders) {
			t.Errorf("%s: %d orders, want %d", ex.Source, len(p.orders), len(wantOrders))
			continue
		}
		for i, wo := range wantOrders {
			o := p.orders[i]
			orders++
			created, _ := time.Parse(time.RFC3339, str(at(wo, "createdTime")))
			updated, _ := time.Parse(time.RFC3339, str(at(wo, "lastUpdatedTime")))
			want := cart.Order{ExternalID: str(at(wo, "orderId")), Number: str(at(wo, "orderId")), Filter: cart.AwaitingFulfillment,
				CreatedAt: created.UTC(), UpdatedAt: updated.UTC(),
				Total: str(at(wo, "proceeds", "grandTotal", "amount")), Currency: str(at(wo, "proceeds", "grandTotal", "currencyCode"))}
			if st := str(at(wo, "fulfillment", "fulfillmentStatus")); st != "" {
				want.CartStatus = st
				want.Filter = filterFor(st, cart.AwaitingFulfillment)
			}
			for _, it := range list(at(wo, "orderItems")) {
				q, _ := at(it, "quantityOrdered").(float64)
				want.Lines = append(want.Lines, cart.Line{SKU: str(at(it, "product", "sellerSku")), Quantity: int(q)})
			}
			if g, w := fmt.Sprintf("%+v", o), fmt.Sprintf("%+v", want); g != w {
				t.Errorf("%s: order %d\n got %s\nwant %s", ex.Source, i, g, w)
			}
			if o.CartStatus == "" || len(o.Lines) == 0 || o.Lines[0].SKU == "" {
				t.Errorf("%s: order %s read without status, lines or SKU", ex.Source, o.ExternalID)
			}
		}
	}
	if orders < 3 {
		t.Errorf("only %d orders in Amazon's examples were checked", orders)
	}
}

// TestModelFiles reads the searchOrders example of the model in
// testdata, which a clean clone has: the first order, its SKUs and status.
func TestModelFiles(t *testing.T) {
	ex := amazontest.Examples(t, amazontest.Orders, ordersPath, "GET")[0]
	p, err := parseSearchOrders(ex.Body, cart.AwaitingFulfillment)
	if err != nil || len(p.orders) == 0 || p.orders[0].Lines[0].SKU != "ECHO-DOT-4-CHARCOAL" || p.orders[0].CartStatus != StatusShipped {
		t.Errorf("model example %s: %+v %v", ex.Source, p, err)
	}
}

func TestPublishedListingsExamples(t *testing.T) {
	items := 0
	for _, ex := range amazontest.Examples(t, amazontest.ListingsItems, "/listings/2021-08-01/items/{sellerId}", "GET") {
		if ex.Status != "200" {
			checkErrorExample(t, ex)
			continue
		}
		v := decode(t, ex.Body)
		wantItems := list(v["items"])
		market := str(at(wantItems, 0, "summaries", 0, "marketplaceId"))
		ls, next, err := parseListings(ex.Body, market)
		if err != nil || len(ls) != len(wantItems) {
			t.Errorf("%s: %d listings %v, want %d", ex.Source, len(ls), err, len(wantItems))
			continue
		}
		if want := str(at(v, "pagination", "nextToken")); next != want {
			t.Errorf("%s: next %q, want %q", ex.Source, next, want)
		}
		for i, wi := range wantItems {
			items++
			l := ls[i]
			if l.SKU != str(at(wi, "sku")) || l.Name != str(at(wi, "summaries", 0, "itemName")) || l.Link.ProductID != str(at(wi, "summaries", 0, "asin")) {
				t.Errorf("%s: item %d read as %+v", ex.Source, i, l.Listing)
			}
			if q, ok := at(wi, "fulfillmentAvailability", 0, "quantity").(float64); ok && (l.Quantity == nil || *l.Quantity != int(q)) {
				t.Errorf("%s: %s quantity %v, want %v", ex.Source, l.SKU, l.Quantity, q)
			}
		}
	}
	if items == 0 {
		t.Error("no listing of Amazon's examples was checked")
	}

	subs := 0
	for _, ex := range amazontest.Examples(t, amazontest.ListingsItems, "/listings/2021-08-01/items/{sellerId}/{sku}", "PATCH") {
		if ex.Status != "200" {
			checkErrorExample(t, ex)
			continue
		}
		v := decode(t, ex.Body)
		sub, err := parseSubmission(ex.Body)
		if err != nil {
			t.Errorf("%s: %v", ex.Source, err)
			continue
		}
		subs++
		var issues []string
		for _, is := range list(v["issues"]) {
			if str(at(is, "severity")) == "ERROR" {
				issues = append(issues, str(at(is, "message"))+" ("+str(at(is, "code"))+")")
			}
		}
		if sub.status != str(v["status"]) || sub.issues != strings.Join(issues, "; ") {
			t.Errorf("%s: read %+v, want status %s issues %q", ex.Source, sub, v["status"], issues)
		}
	}
	if subs < 3 {
		t.Errorf("%d patch submissions checked", subs)
	}
}

func TestPublishedFeedExamples(t *testing.T) {
	checked := 0
	for _, op := range []struct{ method, path string }{
		{"POST", feedsPath + "/documents"}, {"POST", feedsPath + "/feeds"},
		{"GET", feedsPath + "/feeds/{feedId}"}, {"GET", feedsPath + "/documents/{feedDocumentId}"},
	} {
		for _, ex := range amazontest.Examples(t, amazontest.Feeds, op.path, op.method) {
			checked++
			if ex.Status[0] != '2' {
				checkErrorExample(t, ex)
				continue
			}
			v := decode(t, ex.Body)
			switch {
			case strings.HasSuffix(op.path, "/documents"), strings.HasSuffix(op.path, "{feedDocumentId}"):
				d, err := parseFeedDocument(ex.Body)
				if err != nil || d.ID != str(v["feedDocumentId"]) || d.URL != str(v["url"]) || d.Compression != str(v["compressionAlgorithm"]) {
					t.Errorf("%s: read %+v %v", ex.Source, d, err)
				}
				c := &Client{endpoint: "https://sellingpartnerapi-na.amazon.com"}
				if _, err := c.documentURL(d.URL); err != nil {
					t.Errorf("%s: document URL %q refused: %v", ex.Source, d.URL, err)
				}
			case op.method == "POST":
				id, err := parseCreateFeed(ex.Body)
				if err != nil || id != str(v["feedId"]) {
					t.Errorf("%s: read %q %v", ex.Source, id, err)
				}
			default:
				f, err := parseFeed(ex.Body)
				if err != nil || f.id != str(v["feedId"]) || f.status != str(v["processingStatus"]) || f.result != str(v["resultFeedDocumentId"]) {
					t.Errorf("%s: read %+v %v", ex.Source, f, err)
				}
			}
		}
	}
	if checked < 8 {
		t.Errorf("%d feed examples checked", checked)
	}

	raw := amazontest.Read(t, "schemas/listings-feed-processing-report-schema-v2.example.json")
	v := decode(t, raw)
	rep, err := parseReport(raw)
	if err != nil || rep.Header == nil || rep.Header.FeedID != str(at(v, "header", "feedId")) || rep.Summary == nil {
		t.Fatalf("processing report example: %+v %v", rep, err)
	}
	if n, _ := at(v, "summary", "messagesProcessed").(float64); rep.Summary.MessagesProcessed != int(n) {
		t.Errorf("messagesProcessed %d, want %v", rep.Summary.MessagesProcessed, n)
	}
	if n, _ := at(v, "summary", "messagesInvalid").(float64); rep.Summary.MessagesInvalid != int(n) {
		t.Errorf("messagesInvalid %d, want %v", rep.Summary.MessagesInvalid, n)
	}
	wantIssues := list(v["issues"])
	if len(rep.Issues) != len(wantIssues) || len(wantIssues) == 0 {
		t.Fatalf("%d issues, want %d", len(rep.Issues), len(wantIssues))
	}
	for i, wi := range wantIssues {
		id, _ := at(wi, "messageId").(float64)
		is := rep.Issues[i]
		if is.MessageID != int(id) || is.Code != str(at(wi, "code")) || is.Severity != str(at(wi, "severity")) || is.Message != str(at(wi, "message")) {
			t.Errorf("issue %d read as %+v, want %v", i, is, wi)
		}
	}
}

// FuzzParseFeedAnswers: the Feeds API's answers and the processing report
// never panic the parsers, and what they accept is usable.
func FuzzParseFeedAnswers(f *testing.F) {
	f.Add([]byte(`{"feedId":"3485934"}`))
	f.Add([]byte(`{"feedId":"FeedId1","feedType":"POST_PRODUCT_DATA","processingStatus":"DONE","resultFeedDocumentId":"d"}`))
	f.Add([]byte(`{"feedDocumentId":"d","url":"https://x/y","compressionAlgorithm":"GZIP"}`))
	f.Add([]byte(`{"header":{"sellerId":"A1","version":"2.0","feedId":"1"},"issues":[{"messageId":1,"code":"90220","severity":"ERROR","message":"m"}],"summary":{"messagesProcessed":1,"messagesAccepted":0,"messagesInvalid":1}}`))
	f.Add([]byte(`{"feedId":""}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if id, err := parseCreateFeed(body); err == nil && !feedIDRE.MatchString(id) {
			t.Errorf("accepted feed id %q", id)
		}
		parseFeed(body)
		if d, err := parseFeedDocument(body); err == nil {
			c := &Client{endpoint: "https://sellingpartnerapi-eu.amazon.com"}
			if u, err := c.documentURL(d.URL); err == nil && !strings.HasPrefix(u, "https://") {
				t.Errorf("accepted document URL %q", u)
			}
		}
		if rep, err := parseReport(body); err == nil {
			for _, is := range rep.Issues {
				if len(is.text()) > maxMessage+8 {
					t.Errorf("issue text of %d bytes", len(is.text()))
				}
			}
		}
	})
}

// TestVersionsMatchModels: each version constant is the version of the
// model copy in testdata, every path the connector calls is in its model,
// and the feed header's version is the one the feed schema fixes.
func TestVersionsMatchModels(t *testing.T) {
	for _, tc := range []struct{ model, version, path, method string }{
		{amazontest.Orders, OrdersVersion, ordersPath, "GET"},
		{amazontest.FBAInventory, FBAInventoryVersion, inventoryPath, "GET"},
		{amazontest.ListingsItems, ListingsVersion, "/listings/" + ListingsVersion + "/items/{sellerId}", "GET"},
		{amazontest.ListingsItems, ListingsVersion, "/listings/" + ListingsVersion + "/items/{sellerId}/{sku}", "PATCH"},
		{amazontest.Feeds, FeedsVersion, feedsPath + "/feeds", "POST"},
		{amazontest.Feeds, FeedsVersion, feedsPath + "/documents", "POST"},
	} {
		var m struct {
			Info  struct{ Version string }
			Paths map[string]map[string]json.RawMessage
		}
		if err := json.Unmarshal(amazontest.Read(t, tc.model), &m); err != nil {
			t.Fatal(err)
		}
		if m.Info.Version != tc.version {
			t.Errorf("%s is version %s, the connector says %s", tc.model, m.Info.Version, tc.version)
		}
		if _, ok := m.Paths[tc.path][strings.ToLower(tc.method)]; !ok {
			t.Errorf("%s has no %s %s", tc.model, tc.method, tc.path)
		}
	}
	header := fmt.Sprintf(`{"header":{"sellerId":"A1","version":%q},"messages":[{"messageId":1,"sku":"S","operationType":"DELETE"}]}`, ListingsFeedVersion)
	if err := amazontest.Validate(t, amazontest.ListingsFeed, []byte(header)); err != nil {
		t.Errorf("feed version %s: %v", ListingsFeedVersion, err)
	}
}
