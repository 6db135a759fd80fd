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
	if len(Examples(t, Orders, "/orders/2026-01-01/orders", "GET")) < 2 {
		t.Error("searchOrders examples not found")
	}
}
