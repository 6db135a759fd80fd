package shopifysim

import (
	"encoding/json"
	"strings"
	"testing"
)

// connectorQuery is the shape of the query the Shopify connector sends.
const connectorQuery = `query Orders($first: Int!, $after: String, $query: String!, $lines: Int!) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id legacyResourceId name createdAt updatedAt cancelledAt closed
      displayFinancialStatus displayFulfillmentStatus tags
      totalPriceSet { shopMoney { amount currencyCode } }
      lineItems(first: $lines) { pageInfo { hasNextPage endCursor } nodes { sku quantity } }
    }
  }
}`

func TestRequestedCost(t *testing.T) {
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		// Shopify's documented examples: a connection of 10 nodes with
		// scalar fields costs 2 + 10 = 12.
		{"edges", `{ orders(first: 10) { edges { cursor node { id name } } } }`, nil, 12},
		{"nodes and pageInfo", `{ orders(first: 10) { nodes { id } pageInfo { hasNextPage } } }`, nil, 12},
		{"nodes and edges count once", `{ orders(first: 10) { nodes { id } edges { node { id } } } }`, nil, 12},
		{"nested objects", `{ orders(first: 10) { nodes { totalPriceSet { shopMoney { amount } } } } }`, nil, 32},
		{"nested connection", `{ orders(first: 5) { nodes { lineItems(first: 3) { nodes { sku } } } } }`, nil, 2 + 5*(1+2+3)},
		{"first zero", `{ orders(first: 0) { nodes { id } } }`, nil, 2},
		{"single object", `{ order(id: "gid://shopify/Order/1") { id name } }`, nil, 1},
		{"order lines", `query($id: ID!) { order(id: $id) { lineItems(first: 250) { nodes { sku quantity } } } }`,
			map[string]any{"id": "gid://shopify/Order/1"}, 253},
		{"typename is free", `{ __typename orders(first: 1) { __typename nodes { __typename } } }`, nil, 3},
		{"aliases", `{ a: orders(first: 1) { nodes { id } } b: orders(first: 2) { nodes { id } } }`, nil, 3 + 4},
		{"merged duplicate", `{ orders(first: 1) { nodes { id } } orders(first: 1) { nodes { name } } }`, nil, 3},
		{"connector page", connectorQuery, map[string]any{"first": 50, "query": "", "lines": 10}, 752},
		{"default variable", `query($n: Int = 4) { orders(first: $n) { nodes { id } } }`, nil, 6},
		// Products: each variant 1 + inventoryItem 1; each medium 1 +
		// preview 1 + image 1.
		{"products", `{ products(first: 10) { nodes { id variants(first: 5) { nodes { sku inventoryItem { id } } } media(first: 2) { nodes { preview { image { url } } } } } } }`,
			nil, 2 + 10*(1+(2+5*2)+(2+2*3))},
		{"primary location", `{ location { id } }`, nil, 1},
		// A mutation field costs 10; lists of user errors cost nothing.
		{"mutation", `mutation($in: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $in) @idempotent(key: "k") { inventoryAdjustmentGroup { id } userErrors { code field message } } }`,
			map[string]any{"in": map[string]any{"name": "available", "reason": "correction", "quantities": []any{}}}, 11},
		{"mutation errors only", `mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: []}) @idempotent(key: "k") { userErrors { code } } }`, nil, 10},
		{"list of objects", `{ inventoryItem(id: "gid://shopify/InventoryItem/1") { inventoryLevel(locationId: "gid://shopify/Location/1") { quantities(names: ["available"]) { name quantity } } } }`, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := costOf(tt.query, tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("cost = %d; want %d", got, tt.want)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  string // substring of the first error
	}{
		{"unknown top-level field", `{ customers(first: 1) { nodes { id } } }`, nil, "Field 'customers' doesn't exist on type 'QueryRoot'"},
		{"unknown order field", `{ orders(first: 1) { nodes { bogus } } }`, nil, "Field 'bogus' doesn't exist on type 'Order'"},
		{"mutation", `mutation { orderCancel(orderId: "x") { job { id } } }`, nil, "doesn't exist on type 'Mutation'"},
		{"missing first", `{ orders { nodes { id } } }`, nil, "you must provide one of first or last"},
		{"first too big", `{ orders(first: 251) { nodes { id } } }`, nil, "between 0 and 250"},
		{"last", `{ orders(last: 5) { nodes { id } } }`, nil, "pages forward only"},
		{"selection on scalar", `{ orders(first: 1) { nodes { id { x } } } }`, nil, "Selections can't be made on scalars"},
		{"object without selection", `{ orders(first: 1) { nodes { totalPriceSet } } }`, nil, "Field must have selections"},
		{"unknown argument", `{ orders(first: 1, colour: RED) { nodes { id } } }`, nil, "doesn't accept argument 'colour'"},
		{"bad enum", `{ orders(first: 1, sortKey: SIDEWAYS) { nodes { id } } }`, nil, "has an invalid value (SIDEWAYS)"},
		{"string for int", `{ orders(first: "1") { nodes { id } } }`, nil, "has an invalid value"},
		{"undeclared variable", `{ orders(first: $n) { nodes { id } } }`, nil, "Variable $n is used by query but not declared"},
		{"missing variable", `query($n: Int!) { orders(first: $n) { nodes { id } } }`, nil, "Variable $n of type Int! was provided invalid value"},
		{"wrong variable type", `query($n: Int!) { orders(first: $n) { nodes { id } } }`, map[string]any{"n": "x"}, "was provided invalid value"},
		{"variable type mismatch", `query($n: String) { orders(first: $n) { nodes { id } } }`, map[string]any{"n": "x"}, "Type mismatch"},
		{"required argument", `{ order { id } }`, nil, "missing required arguments: id"},
		{"conflict", `{ x: orders(first: 1) { nodes { id } } x: order(id: "1") { id } }`, nil, "field conflict"},
		{"fragment", `{ orders(first: 1) { nodes { ...F } } } fragment F on Order { id }`, nil, "fragments are not supported"},
		{"directive", `{ orders(first: 1) @include(if: true) { nodes { id } } }`, nil, "Directive '@include' is not supported by the simulator"},
		{"operation directive", `query @live { orders(first: 1) { nodes { id } } }`, nil, "directives are not supported"},
		{"idempotent on a query", `{ orders(first: 1) @idempotent(key: "k") { nodes { id } } }`, nil, "The @idempotent directive is not supported on field 'orders'"},
		{"idempotency key required", `mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: []}) { userErrors { code } } }`, nil, "requires an idempotency key"},
		{"blank idempotency key", `mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: []}) @idempotent(key: " ") { userErrors { code } } }`, nil, "The idempotency key cannot be an empty string or whitespace only."},
		{"idempotency key of another type", `mutation($k: Int!) { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: []}) @idempotent(key: $k) { userErrors { code } } }`, map[string]any{"k": 1}, "Type mismatch on variable $k"},
		{"removed compareQuantity", `mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: [{inventoryItemId: "1", locationId: "1", quantity: 1, compareQuantity: 0}]}) @idempotent(key: "k") { userErrors { code } } }`, nil, "has an invalid value"},
		{"removed ignoreCompareQuantity", `mutation($in: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $in) @idempotent(key: "k") { userErrors { code } } }`,
			map[string]any{"in": map[string]any{"name": "available", "reason": "correction", "quantities": []any{}, "ignoreCompareQuantity": true}}, "invalid value for ignoreCompareQuantity (Field is not defined on InventorySetQuantitiesInput)"},
		{"syntax", `{ orders(first: 1) { nodes { id } }`, nil, "syntax error"},
		{"empty", ``, nil, "syntax error"},
		{"bad number", `{ orders(first: 01) { nodes { id } } }`, nil, "invalid number"},
		{"deep", strings.Repeat("{ a ", 100) + strings.Repeat("}", 100), nil, "nested too deeply"},
		{"input object field missing", `mutation($in: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $in) { userErrors { code } } }`,
			map[string]any{"in": map[string]any{"name": "available", "quantities": []any{}}}, "invalid value for reason (Expected value to not be null)"},
		{"input object unknown field", `mutation($in: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $in) { userErrors { code } } }`,
			map[string]any{"in": map[string]any{"name": "available", "reason": "x", "quantities": []any{}, "x": 1}}, "invalid value for x (Field is not defined on InventorySetQuantitiesInput)"},
		{"list variable mismatch", `query($n: [String!]) { inventoryItem(id: "gid://shopify/InventoryItem/1") { inventoryLevel(locationId: "x") { quantities(names: $n) { name } } } }`,
			nil, "Type mismatch on variable $n"},
		{"nested variable mismatch", `mutation($q: String!) { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: [{inventoryItemId: "1", locationId: "1", quantity: $q}]}) { userErrors { code } } }`,
			map[string]any{"q": "1"}, "Type mismatch on variable $q"},
		{"scalar for input object", `mutation { inventorySetQuantities(input: "x") { userErrors { code } } }`, nil, "has an invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := costOf(tt.query, tt.vars)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v; want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseDocumentValues(t *testing.T) {
	doc, err := parseDocument(`# comment
query Q($a: [String!] = ["x", "y\u0041"], $b: Float = -1.5e3) {
  orders(first: 1, query: """block "quoted" text""") { nodes { id } }
}
query R { order(id: "gid://shopify/Order/1") { id } }`)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.ops) != 2 || doc.ops[0].name != "Q" || doc.ops[1].name != "R" {
		t.Fatalf("operations = %+v", doc.ops)
	}
	if got := doc.ops[0].vars[0].def.String(); got != `["x","yA"]` {
		t.Errorf("default = %s", got)
	}
	if got := doc.ops[0].sel[0].arg("query").val.raw; got != `block "quoted" text` {
		t.Errorf("block string = %q", got)
	}
	if _, err := pickOperation(doc, ""); err == nil {
		t.Error("pickOperation with two operations and no name succeeded")
	}
	if op, err := pickOperation(doc, "R"); err != nil || op.name != "R" {
		t.Errorf("pickOperation(R) = %v, %v", op, err)
	}
}

// FuzzParseDocument checks that hostile documents neither panic nor hang
// the parser, the checker or the cost calculation.
func FuzzParseDocument(f *testing.F) {
	f.Add(connectorQuery)
	f.Add(`{ orders(first: 10) { edges { node { id } } } }`)
	f.Add(`query($x: [[Int!]]! = [[1]]) { a: order(id: "\u00e9") { __typename } }`)
	f.Add(`mutation($n: Int!) { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: [{inventoryItemId: "gid://shopify/InventoryItem/1", locationId: "gid://shopify/Location/1", quantity: $n, changeFromQuantity: null}]}) @idempotent(key: "k") { inventoryAdjustmentGroup { id changes { item { id } } } userErrors { code field message } } }`)
	f.Add(`mutation($k: String!) { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: []}) @idempotent(key: $k) @idempotent @skip(if: true) { userErrors { code } } }`)
	f.Add(`query($in: InventorySetQuantitiesInput = {name: "x", reason: "y", quantities: []}) { products(first: 3, query: "sku:A") { nodes { media(first: 2) { nodes { preview { image { url } } } } } } }`)
	f.Fuzz(func(t *testing.T, q string) {
		doc, err := parseDocument(q)
		if err != nil {
			return
		}
		for _, op := range doc.ops {
			c := newChecker(op, nil)
			c.checkOperation(op)
		}
	})
}

// costOf checks query and returns its requested cost.
func costOf(query string, vars map[string]any) (int, error) {
	doc, err := parseDocument(query)
	if err != nil {
		return 0, err
	}
	raw := map[string]json.RawMessage{}
	for k, v := range vars {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		raw[k] = b
	}
	c := newChecker(doc.ops[0], raw)
	cost := c.checkOperation(doc.ops[0])
	if len(c.errs) > 0 {
		return 0, c.errs[0]
	}
	return cost, nil
}
