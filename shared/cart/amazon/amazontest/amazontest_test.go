package amazontest

import (
	"net/url"
	"testing"
)

func TestSchemasCompile(t *testing.T) {
	for _, ref := range []string{
		Orders + "#/definitions/SearchOrdersResponse",
		FBAInventory + "#/definitions/GetInventorySummariesResponse",
		ListingsItems + "#/definitions/ListingsItemPatchRequest",
		ListingsItems + "#/definitions/ItemSearchResults",
		Feeds + "#/definitions/CreateFeedSpecification",
		ListingsFeed, ProcessingReport,
	} {
		Schema(t, ref)
	}
	if err := Validate(t, Feeds+"#/definitions/CreateFeedSpecification", []byte(`{"feedType":"JSON_LISTINGS_FEED"}`)); err == nil {
		t.Error("a createFeed body without marketplaceIds and document passed")
	}
	if err := Validate(t, ListingsFeed, Read(t, "schemas/listings-feed-schema-v2.example.json")); err != nil {
		t.Errorf("Amazon's own example: %v", err)
	}
	for ref, body := range map[string]string{
		ListingsItems + "#/definitions/ListingsItemPatchRequest": `{"productType":"PRODUCT","patches":[{"op":"upsert","path":"/attributes/x"}]}`,
		Feeds + "#/definitions/CreateFeedSpecification":          `{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":"ATVPDKIKX0DER","inputFeedDocumentId":"d"}`,
		ListingsFeed:                       `{"header":{"sellerId":"A1","version":"1.0"},"messages":[{"messageId":1,"sku":"S","operationType":"PATCH"}]}`,
		Orders + "#/definitions/ErrorList": `{"errors":[{"message":"no code"}]}`,
	} {
		if err := Validate(t, ref, []byte(body)); err == nil {
			t.Errorf("%s accepted %s", ref, body)
		}
	}
	if len(Examples(t, Orders, "/orders/2026-01-01/orders", "GET")) < 2 {
		t.Error("searchOrders examples not found")
	}
}

// ValidateQuery holds a query to the operation's declared parameters.
func TestValidateQuery(t *testing.T) {
	const inv = "/fba/inventory/v1/summaries"
	base := "details=true&granularityType=Marketplace&granularityId=M&marketplaceIds=M"
	for _, tc := range []struct {
		model, template, query string
		ok                     bool
	}{
		{FBAInventory, inv, base, true},
		{FBAInventory, inv, base + "&startDateTime=2026-12-05T10:00:00Z", true},
		{FBAInventory, inv, base + "&startDateTime=2026-12-05", false},
		{FBAInventory, inv, base + "&startDateTime=yesterday", false},
		{FBAInventory, inv, base + "&since=2026-12-05T10:00:00Z", false},
		{FBAInventory, inv, base + "&granularityType=Country", false},
		{FBAInventory, inv, "details=yes&granularityType=Marketplace&granularityId=M&marketplaceIds=M", false},
		{FBAInventory, inv, "details=true&granularityType=Marketplace&granularityId=M", false},
		{FBAInventory, inv, "granularityType=Marketplace&granularityId=M&marketplaceIds=M,N", false},
		{ListingsItems, "/listings/2021-08-01/items/{sellerId}", "marketplaceIds=M&pageSize=20&includedData=summaries,offers", true},
		{ListingsItems, "/listings/2021-08-01/items/{sellerId}", "marketplaceIds=M&pageSize=21", false},
		{ListingsItems, "/listings/2021-08-01/items/{sellerId}", "marketplaceIds=M&pageSize=x", false},
		{ListingsItems, "/listings/2021-08-01/items/{sellerId}", "marketplaceIds=M&includedData=summaries,prices", false},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		if err := ValidateQuery(t, tc.model, tc.template, "GET", q); (err == nil) != tc.ok {
			t.Errorf("%s: got %v, want ok=%v", tc.query, err, tc.ok)
		}
	}
}
