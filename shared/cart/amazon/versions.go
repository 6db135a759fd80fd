package amazon

// The version of each SP-API this connector is written against, one
// constant per versioned API; every path is built from them. They move
// only together with the model copies in testdata (docs/api-versions.md,
// "Amazon"), and TestVersionsMatchModels holds them to those copies.
const (
	// OrdersVersion is Orders API 2026-01-01 (searchOrders). Orders v0
	// (getOrders, getOrderItems) is deprecated; Amazon asks for migration
	// by 27 March 2027.
	OrdersVersion = "2026-01-01"
	// FBAInventoryVersion is FBA Inventory API v1 (getInventorySummaries).
	FBAInventoryVersion = "v1"
	// ListingsVersion is Listings Items API 2021-08-01
	// (searchListingsItems, patchListingsItem); the JSON_LISTINGS_FEED
	// report names the same version.
	ListingsVersion = "2021-08-01"
	// FeedsVersion is Feeds API 2021-06-30 (createFeedDocument,
	// createFeed, getFeed, cancelFeed, getFeedDocument). Feeds 2020-09-04 was removed
	// on 27 June 2024.
	FeedsVersion = "2021-06-30"
	// ListingsFeedVersion is the JSON_LISTINGS_FEED document schema
	// version (listings-feed-schema-v2), sent in the feed header.
	ListingsFeedVersion = "2.0"
)
