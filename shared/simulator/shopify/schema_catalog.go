package shopifysim

// The catalog and inventory part of the schema: products with variants and
// media, locations, inventory items and levels, and the
// inventorySetQuantities mutation. Field names and types are
// those of the GraphQL Admin API (2026-10); only what a connector reading
// listings and writing stock needs is served. Deprecated fields are left out
// (Product.images, Shop.primaryLocation): the primary location is
// location() with no id, as Shopify documents it.

// connectionNodes are the node types whose Connection and Edge types are
// generated.
var connectionNodes = []string{"Order", "LineItem", "Product", "ProductVariant", "Media", "Location", "InventoryLevel"}

func init() {
	add := func(typ string, fields map[string]fieldDef) {
		if schema[typ] == nil {
			schema[typ] = map[string]fieldDef{}
		}
		for k, v := range fields {
			schema[typ][k] = v
		}
	}
	id := map[string]string{"id": "ID!"}
	add("QueryRoot", map[string]fieldDef{
		"products": {kind: kindConnection, typ: "ProductConnection", args: withArgs(pageArgs, map[string]string{
			"sortKey": "ProductSortKeys", "query": "String", "savedSearchId": "ID",
		})},
		"product":        {kind: kindObject, typ: "Product", args: id},
		"productVariant": {kind: kindObject, typ: "ProductVariant", args: id},
		"inventoryItem":  {kind: kindObject, typ: "InventoryItem", args: id},
		// With no id, location returns the shop's primary location.
		"location": {kind: kindObject, typ: "Location", args: map[string]string{"id": "ID"}},
		"locations": {kind: kindConnection, typ: "LocationConnection", args: withArgs(pageArgs, map[string]string{
			"includeInactive": "Boolean", "includeLegacy": "Boolean",
		})},
	})
	add("Mutation", map[string]fieldDef{
		// Shopify prices every mutation field at 10 points.
		"inventorySetQuantities": {kind: kindObject, typ: "InventorySetQuantitiesPayload", cost: 10,
			args: map[string]string{"input": "InventorySetQuantitiesInput!"}},
	})
	add("Product", map[string]fieldDef{
		"id":               {typ: "ID!"},
		"legacyResourceId": {typ: "UnsignedInt64!"},
		"title":            {typ: "String!"},
		"handle":           {typ: "String!"},
		"status":           {typ: "ProductStatus!"},
		"vendor":           {typ: "String!"},
		"productType":      {typ: "String!"},
		"createdAt":        {typ: "DateTime!"},
		"updatedAt":        {typ: "DateTime!"},
		"totalInventory":   {typ: "Int!"},
		"tracksInventory":  {typ: "Boolean!"},
		"variants":         {kind: kindConnection, typ: "ProductVariantConnection", args: pageArgs},
		"media":            {kind: kindConnection, typ: "MediaConnection", args: pageArgs},
	})
	add("ProductVariant", map[string]fieldDef{
		"id":                {typ: "ID!"},
		"legacyResourceId":  {typ: "UnsignedInt64!"},
		"title":             {typ: "String!"},
		"displayName":       {typ: "String!"},
		"sku":               {typ: "String"},
		"price":             {typ: "Money!"},
		"position":          {typ: "Int!"},
		"inventoryQuantity": {typ: "Int"},
		"createdAt":         {typ: "DateTime!"},
		"updatedAt":         {typ: "DateTime!"},
		"inventoryItem":     {kind: kindObject, typ: "InventoryItem"},
		"product":           {kind: kindObject, typ: "Product"},
	})
	add("InventoryItem", map[string]fieldDef{
		"id":               {typ: "ID!"},
		"legacyResourceId": {typ: "UnsignedInt64!"},
		"sku":              {typ: "String"},
		"tracked":          {typ: "Boolean!"},
		"createdAt":        {typ: "DateTime!"},
		"updatedAt":        {typ: "DateTime!"},
		"variant":          {kind: kindObject, typ: "ProductVariant"},
		"inventoryLevel":   {kind: kindObject, typ: "InventoryLevel", args: map[string]string{"locationId": "ID!"}},
		"inventoryLevels":  {kind: kindConnection, typ: "InventoryLevelConnection", args: pageArgs},
	})
	add("InventoryLevel", map[string]fieldDef{
		"id":         {typ: "ID!"},
		"createdAt":  {typ: "DateTime!"},
		"updatedAt":  {typ: "DateTime!"},
		"quantities": {kind: kindList, typ: "InventoryQuantity", args: map[string]string{"names": "[String!]!"}},
		"item":       {kind: kindObject, typ: "InventoryItem"},
		"location":   {kind: kindObject, typ: "Location"},
	})
	add("InventoryQuantity", map[string]fieldDef{
		"name":      {typ: "String!"},
		"quantity":  {typ: "Int!"},
		"updatedAt": {typ: "DateTime"},
	})
	add("Location", map[string]fieldDef{
		"id":                   {typ: "ID!"},
		"legacyResourceId":     {typ: "UnsignedInt64!"},
		"name":                 {typ: "String!"},
		"isActive":             {typ: "Boolean!"},
		"fulfillsOnlineOrders": {typ: "Boolean!"},
		"shipsInventory":       {typ: "Boolean!"},
		"createdAt":            {typ: "DateTime!"},
		"updatedAt":            {typ: "DateTime!"},
		"inventoryLevel":       {kind: kindObject, typ: "InventoryLevel", args: map[string]string{"inventoryItemId": "ID!"}},
		"inventoryLevels":      {kind: kindConnection, typ: "InventoryLevelConnection", args: pageArgs},
	})
	// Media is an interface; without fragments only its own fields can be
	// selected, and preview.image is how a client reads an image's URL.
	add("Media", map[string]fieldDef{
		"id":               {typ: "ID!"},
		"alt":              {typ: "String"},
		"mediaContentType": {typ: "MediaContentType!"},
		"status":           {typ: "MediaStatus!"},
		"preview":          {kind: kindObject, typ: "MediaPreviewImage"},
	})
	add("MediaPreviewImage", map[string]fieldDef{
		"image":  {kind: kindObject, typ: "Image"},
		"status": {typ: "MediaPreviewImageStatus!"},
	})
	add("Image", map[string]fieldDef{
		"id":      {typ: "ID"},
		"url":     {typ: "URL!"},
		"altText": {typ: "String"},
		"width":   {typ: "Int"},
		"height":  {typ: "Int"},
	})
	add("InventorySetQuantitiesPayload", map[string]fieldDef{
		"inventoryAdjustmentGroup": {kind: kindObject, typ: "InventoryAdjustmentGroup"},
		"userErrors":               {kind: kindList, typ: "InventorySetQuantitiesUserError"},
	})
	add("InventorySetQuantitiesUserError", map[string]fieldDef{
		"code":    {typ: "InventorySetQuantitiesUserErrorCode"},
		"field":   {typ: "[String!]"},
		"message": {typ: "String!"},
	})
	add("InventoryAdjustmentGroup", map[string]fieldDef{
		"id":                   {typ: "ID!"},
		"createdAt":            {typ: "DateTime!"},
		"reason":               {typ: "String!"},
		"referenceDocumentUri": {typ: "String"},
		"changes": {kind: kindList, typ: "InventoryChange", args: map[string]string{
			"inventoryItemIds": "[ID!]", "locationIds": "[ID!]", "quantityNames": "[String!]",
		}},
	})
	add("InventoryChange", map[string]fieldDef{
		"name":                {typ: "String!"},
		"delta":               {typ: "Int!"},
		"quantityAfterChange": {typ: "Int"},
		"ledgerDocumentUri":   {typ: "String"},
		"item":                {kind: kindObject, typ: "InventoryItem"},
		"location":            {kind: kindObject, typ: "Location"},
	})

	enums["ProductSortKeys"] = []string{"CREATED_AT", "ID", "INVENTORY_TOTAL", "PRODUCT_TYPE",
		"PUBLISHED_AT", "RELEVANCE", "TITLE", "UPDATED_AT", "VENDOR"}
}

// inputObjects are the input object types: field name → input type.
var inputObjects = map[string]map[string]string{
	// 2026-10: ignoreCompareQuantity and compareQuantity were removed in
	// 2026-04; each quantity carries changeFromQuantity instead, a key that
	// must be given even when null (setQuantities checks that).
	"InventorySetQuantitiesInput": {
		"name":                 "String!",
		"reason":               "String!",
		"referenceDocumentUri": "String",
		"quantities":           "[InventoryQuantityInput!]!",
	},
	"InventoryQuantityInput": {
		"inventoryItemId":    "ID!",
		"locationId":         "ID!",
		"quantity":           "Int!",
		"changeFromQuantity": "Int",
	},
}

// concreteType is what __typename reports for an object of type typ; the
// simulator's only media are images.
func concreteType(typ string) string {
	if typ == "Media" {
		return "MediaImage"
	}
	return typ
}
