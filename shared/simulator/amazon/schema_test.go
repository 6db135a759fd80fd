package amazonsim

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart/amazon/amazontest"
)

// The simulator refuses what Amazon's published schemas refuse in the
// bodies it reads, and its refusals are the models' ErrorList. Each case
// is judged by the schema (amazontest.Validate, on the copies in
// shared/cart/amazon/testdata) and by the simulator; a body the schema
// refuses must be refused, one it accepts (of a known listing) accepted.

func TestPatchBodiesAgreeWithSchema(t *testing.T) {
	f := newFixture(t, Options{})
	const ref = amazontest.ListingsItems + "#/definitions/ListingsItemPatchRequest"
	q := url.Values{"marketplaceIds": {DefaultMarketplaceID}}
	for _, body := range []string{
		`{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":5}]}]}`,
		`{"productType":"PRODUCT","patches":[{"op":"delete","path":"/attributes/fulfillment_availability"}]}`,
		`{"patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[]}]}`,
		`{"productType":"PRODUCT","patches":[]}`,
		`{"productType":"PRODUCT"}`,
		`{"productType":5,"patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[]}]}`,
		`{"productType":"PRODUCT","patches":{"op":"replace"}}`,
		`{"productType":"PRODUCT","patches":[{"op":"upsert","path":"/attributes/fulfillment_availability","value":[]}]}`,
		`{"productType":"PRODUCT","patches":[{"op":"replace","value":[]}]}`,
		`{"productType":"PRODUCT","patches":[{"path":"/attributes/fulfillment_availability","value":[]}]}`,
		`{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":{"quantity":1}}]}`,
		`{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":5}]}]`,
		`[]`,
	} {
		schemaErr := amazontest.Validate(t, ref, []byte(body))
		a := f.do(t, "PATCH", "/listings/2021-08-01/items/"+DefaultSellerID+"/SKU-0001", q, body)
		refused := a.status != 200 || strings.Contains(string(a.body), `"INVALID"`)
		switch {
		case schemaErr != nil && !refused:
			t.Errorf("%s: the schema refuses it (%v) but the simulator answered %d %s", body, schemaErr, a.status, a.body)
		case schemaErr == nil && refused:
			t.Errorf("%s: the schema accepts it but the simulator answered %d %s", body, a.status, a.body)
		}
		if a.status != 200 {
			checkErrorList(t, amazontest.ListingsItems, a.body)
		}
	}
}

func TestFeedCallBodiesAgreeWithSchema(t *testing.T) {
	f := newFixture(t, Options{})
	for _, body := range []string{
		`{"contentType":"application/json; charset=UTF-8"}`,
		`{}`,
		`{"contentType":5}`,
		`"application/json"`,
	} {
		schemaErr := amazontest.Validate(t, amazontest.Feeds+"#/definitions/CreateFeedDocumentSpecification", []byte(body))
		a := f.do(t, "POST", "/feeds/2021-06-30/documents", nil, body)
		if (schemaErr != nil) != (a.status != 201) {
			t.Errorf("createFeedDocument %s: schema says %v, simulator %d %s", body, schemaErr, a.status, a.body)
		}
		if a.status != 201 {
			checkErrorList(t, amazontest.Feeds, a.body)
		}
	}

	var doc feedDocumentJSON
	f.do(t, "POST", "/feeds/2021-06-30/documents", nil, `{"contentType":"`+jsonType+`"}`).json(t, &doc)
	raw(t, "PUT", doc.URL, jsonType, feedBody(DefaultSellerID, map[string]int{"SKU-0001": 3}, []string{"SKU-0001"}))
	many := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("%q,", DefaultMarketplaceID), 26), ",")
	for _, tmpl := range []string{
		`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":[%[1]q],"inputFeedDocumentId":%[2]q}`,
		`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":[%[1]q],"inputFeedDocumentId":%[2]q,"feedOptions":{"a":"b"}}`,
		`{"marketplaceIds":[%[1]q],"inputFeedDocumentId":%[2]q}`,
		`{"feedType":"JSON_LISTINGS_FEED","inputFeedDocumentId":%[2]q}`,
		`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":[%[1]q]}`,
		`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":%[1]q,"inputFeedDocumentId":%[2]q}`,
		`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":[],"inputFeedDocumentId":%[2]q}`,
		`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":[` + many + `],"inputFeedDocumentId":%[2]q}`,
		`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":[%[1]q],"inputFeedDocumentId":%[2]q,"feedOptions":{"a":1}}`,
		`{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":[5],"inputFeedDocumentId":%[2]q}`,
	} {
		body := fmt.Sprintf(tmpl, DefaultMarketplaceID, doc.FeedDocumentID)
		schemaErr := amazontest.Validate(t, amazontest.Feeds+"#/definitions/CreateFeedSpecification", []byte(body))
		a := f.do(t, "POST", "/feeds/2021-06-30/feeds", nil, body)
		if (schemaErr != nil) != (a.status != 202) {
			t.Errorf("createFeed %s: schema says %v, simulator %d %s", body, schemaErr, a.status, a.body)
		}
		if a.status != 202 {
			checkErrorList(t, amazontest.Feeds, a.body)
		}
	}
}

// TestFeedDocumentsAgreeWithSchema: a document listings-feed-schema-v2
// refuses is refused when processed: the feed FATAL or the message
// INVALID, never applied.
func TestFeedDocumentsAgreeWithSchema(t *testing.T) {
	msg := `{"messageId":1,"sku":"SKU-0001","operationType":"PATCH","productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":%d}]}]}`
	doc := func(header, messages string) string { return `{"header":` + header + `,"messages":[` + messages + `]}` }
	hdr := fmt.Sprintf(`{"sellerId":%q,"version":"2.0"}`, DefaultSellerID)
	for i, body := range []string{
		doc(hdr, fmt.Sprintf(msg, 7)),
		doc(fmt.Sprintf(`{"sellerId":%q,"version":"1.0"}`, DefaultSellerID), fmt.Sprintf(msg, 7)),
		doc(`{"version":"2.0"}`, fmt.Sprintf(msg, 7)),
		doc(hdr, ""),
		doc(hdr, strings.Replace(fmt.Sprintf(msg, 7), `"messageId":1`, `"messageId":0`, 1)),
		doc(hdr, strings.Replace(fmt.Sprintf(msg, 7), `"messageId":1`, `"messageId":"1"`, 1)),
		doc(hdr, strings.Replace(fmt.Sprintf(msg, 7), `"sku":"SKU-0001"`, `"sku":""`, 1)),
		doc(hdr, strings.Replace(fmt.Sprintf(msg, 7), `"operationType":"PATCH"`, `"operationType":"UPSERT"`, 1)),
		doc(hdr, strings.Replace(fmt.Sprintf(msg, 7), `"op":"replace"`, `"op":"upsert"`, 1)),
		doc(hdr, strings.Replace(fmt.Sprintf(msg, 7), `"patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":7}]}]`, `"patches":[]`, 1)),
		doc(hdr, strings.Replace(fmt.Sprintf(msg, 7), `"productType":"PRODUCT",`, ``, 1)),
		`{"messages":[` + fmt.Sprintf(msg, 7) + `]}`,
	} {
		f := newFixture(t, Options{})
		before := f.sim.Quantities()["SKU-0001"]
		schemaErr := amazontest.Validate(t, amazontest.ListingsFeed, []byte(body))
		id := f.submit(t, body)
		f.clock.Add(DefaultFeedDelay + 1)
		fd := f.feed(t, id)
		applied := f.sim.Quantities()["SKU-0001"] == 7 && before != 7
		refused := fd.ProcessingStatus == FeedFatal
		if fd.ProcessingStatus == FeedDone {
			rep := f.report(t, fd.ResultFeedDocumentID)
			refused = rep.Summary.MessagesInvalid > 0
		}
		switch {
		case schemaErr != nil && (!refused || applied):
			t.Errorf("case %d: the schema refuses it (%v) but the feed was %s, applied %v: %s", i, schemaErr, fd.ProcessingStatus, applied, body)
		case schemaErr == nil && (refused || !applied):
			t.Errorf("case %d: the schema accepts it but the feed was %s, applied %v: %s", i, fd.ProcessingStatus, applied, body)
		}
	}
}

// checkErrorList checks a refusal is the model's ErrorList.
func checkErrorList(t *testing.T, model string, body []byte) {
	t.Helper()
	if err := amazontest.Validate(t, model+"#/definitions/ErrorList", body); err != nil {
		t.Errorf("the refusal is not an ErrorList: %v: %s", err, body)
	}
}
