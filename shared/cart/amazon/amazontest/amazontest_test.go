package amazontest

import "testing"

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
