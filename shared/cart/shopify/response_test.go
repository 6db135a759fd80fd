package shopify

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

func TestDecodeErrorShapes(t *testing.T) {
	tests := []struct {
		body string
		want string
		code string
	}{
		{`{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`,
			"[API] Invalid API key or access token (unrecognized login or wrong password)", ""},
		{`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}]}`, "Throttled", "THROTTLED"},
		{`{"errors":{"order":["is invalid"]}}`, "order: [is invalid]", ""},
		{`{"errors":null,"data":{}}`, "Shopify rejected the request", ""},
	}
	for _, tt := range tests {
		r, err := decodeResponse([]byte(tt.body))
		if err != nil {
			t.Fatalf("%s: %v", tt.body, err)
		}
		if got := r.Errors.message(); got != tt.want {
			t.Errorf("%s: message %q; want %q", tt.body, got, tt.want)
		}
		if tt.code != "" && !r.Errors.has(tt.code) {
			t.Errorf("%s: no %s", tt.body, tt.code)
		}
	}
}

func TestParseOrdersNulls(t *testing.T) {
	// Nullable fields as Shopify may send them: no financial status, no
	// SKU, no price set.
	p, err := parseOrders([]byte(`{"orders":{"pageInfo":{"hasNextPage":true,"endCursor":"c1"},"nodes":[
		{"id":"gid://shopify/Order/1","legacyResourceId":"1","name":"#1001","createdAt":"2025-01-01T00:00:00Z",
		 "updatedAt":"2025-01-01T00:00:00Z","cancelledAt":null,"closed":false,"displayFinancialStatus":null,
		 "displayFulfillmentStatus":"FULFILLED","tags":[],"totalPriceSet":null,
		 "lineItems":{"pageInfo":{"hasNextPage":true,"endCursor":"l1"},"nodes":[{"sku":null,"currentQuantity":2},{"sku":"GONE","currentQuantity":0}]}}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	o := p.orders[0]
	// The line with no units left (all removed or refunded) is left out.
	if o.CartStatus != "open/unknown/fulfilled" || o.Filter != cart.Shipped || len(o.Lines) != 1 || o.Lines[0] != (cart.Line{Quantity: 2}) || p.next != "c1" {
		t.Errorf("order = %+v, next %q", o, p.next)
	}
	if len(p.moreLines) != 1 || p.moreLines[0] != (moreLines{index: 0, gid: "gid://shopify/Order/1", after: "l1"}) {
		t.Errorf("moreLines = %+v", p.moreLines)
	}
}

// FuzzParseResponse feeds outside input to the response parsers: they must
// not panic, and what they accept must be a usable page.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(emptyPage))
	f.Add([]byte(`{"data":{"orders":{"pageInfo":{"hasNextPage":true,"endCursor":"abc"},"nodes":[{"id":"gid://shopify/Order/5100000001","legacyResourceId":"5100000001","name":"#1001","createdAt":"2025-05-31T10:00:00Z","updatedAt":"2025-06-01T10:00:00Z","cancelledAt":null,"closed":false,"displayFinancialStatus":"PAID","displayFulfillmentStatus":"UNFULFILLED","tags":["vip"],"totalPriceSet":{"shopMoney":{"amount":"12.50","currencyCode":"USD"}},"lineItems":{"pageInfo":{"hasNextPage":false,"endCursor":"x"},"nodes":[{"sku":"A","currentQuantity":1}]}}]}},"extensions":{"cost":{"requestedQueryCost":752,"actualQueryCost":8,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":1992,"restoreRate":100}}}}`))
	f.Add([]byte(`{"data":{"order":{"lineItems":{"pageInfo":{"hasNextPage":true,"endCursor":"n"},"nodes":[{"sku":"B","currentQuantity":3}]}}}}`))
	f.Add([]byte(`{"errors":"Not Found"}`))
	f.Add([]byte(`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":752,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":3,"restoreRate":100}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodeResponse(body)
		if err != nil {
			return
		}
		r.Errors.message()
		r.Errors.has("THROTTLED")
		if r.Extensions.Cost != nil {
			var b costBucket
			b.observe(b.at, r.Extensions.Cost.ThrottleStatus)
			b.reserve(b.at, ordersQueryCost)
		}
		if p, err := parseOrders(r.Data); err == nil {
			for _, o := range p.orders {
				if _, err := strconv.ParseUint(o.ExternalID, 10, 64); err != nil {
					t.Errorf("accepted order id %q", o.ExternalID)
				}
				if !cart.ValidFilter(o.Filter) || o.UpdatedAt.IsZero() {
					t.Errorf("accepted order %+v", o)
				}
				for _, l := range o.Lines {
					if l.Quantity < 0 {
						t.Errorf("accepted line %+v", l)
					}
				}
			}
			for _, m := range p.moreLines {
				if m.index >= len(p.orders) || m.gid == "" || m.after == "" {
					t.Errorf("bad moreLines %+v", m)
				}
			}
		}
		if lines, _, err := parseOrderLines(r.Data); err == nil {
			for _, l := range lines {
				if l.Quantity < 0 {
					t.Errorf("accepted line %+v", l)
				}
			}
		}
	})
}

// A listing's quantity is the available quantity of the variant's level at
// the location read; none when the variant is not stocked there.
func TestParseProductsLevel(t *testing.T) {
	q := func(n int) *int { return &n }
	tests := []struct {
		name  string
		level string
		want  *int
	}{
		{"available", `{"quantities":[{"name":"available","quantity":4}]}`, q(4)},
		{"oversold", `{"quantities":[{"name":"available","quantity":-3}]}`, q(-3)},
		{"not stocked at the location", `null`, nil},
		{"no available quantity", `{"quantities":[]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseProducts([]byte(`{"products":{"pageInfo":{"hasNextPage":false},"nodes":[{"id":"gid://shopify/Product/1","title":"Tee",` +
				`"updatedAt":"2025-06-01T10:00:00Z","media":{"nodes":[]},"variants":{"nodes":[{"id":"gid://shopify/ProductVariant/2","sku":"TEE",` +
				`"price":"1.00","inventoryItem":{"id":"gid://shopify/InventoryItem/3","inventoryLevel":` + tt.level + `}}]}}]}}`))
			if err != nil {
				t.Fatal(err)
			}
			ls := p.products[0].listings()
			if len(ls) != 1 || (ls[0].Quantity == nil) != (tt.want == nil) || tt.want != nil && *ls[0].Quantity != *tt.want {
				t.Errorf("listings %+v; want quantity %v", ls, tt.want)
			}
		})
	}
}

// FuzzParseCatalogResponses feeds outside input to the parsers of the
// listing and write-back answers: they must not panic, and what they accept
// must be usable — listings with a SKU and ids write-back can send back,
// absolute image URLs, user errors whose item index is in range or absent.
func FuzzParseCatalogResponses(f *testing.F) {
	f.Add([]byte(`{"products":{"pageInfo":{"hasNextPage":true,"endCursor":"c"},"nodes":[{"id":"gid://shopify/Product/1","title":"Tee","updatedAt":"2025-06-01T10:00:00Z",` +
		`"media":{"pageInfo":{"hasNextPage":true,"endCursor":"m"},"nodes":[{"mediaContentType":"IMAGE","preview":{"image":{"url":"https://cdn.shopify.com/a.png"}}},{"mediaContentType":"VIDEO","preview":null}]},` +
		`"variants":{"pageInfo":{"hasNextPage":false,"endCursor":"v"},"nodes":[{"id":"gid://shopify/ProductVariant/2","title":"S","sku":"TEE-S","price":"10.00","inventoryItem":{"id":"gid://shopify/InventoryItem/3","inventoryLevel":{"quantities":[{"name":"available","quantity":-3}]}}},` +
		`{"id":"gid://shopify/ProductVariant/4","title":"Default Title","sku":null,"price":"1.00","inventoryItem":{"id":"gid://shopify/InventoryItem/5","inventoryLevel":null}}]}}]}}`))
	f.Add([]byte(`{"product":{"variants":{"pageInfo":{"hasNextPage":false},"nodes":[{"id":"gid://shopify/ProductVariant/9","sku":"X","inventoryItem":{"id":"gid://shopify/InventoryItem/10"}}]}}}`))
	f.Add([]byte(`{"inventorySetQuantities":{"inventoryAdjustmentGroup":null,"userErrors":[{"code":"INVALID_INVENTORY_ITEM","field":["input","quantities","1","inventoryItemId"],"message":"The specified inventory item could not be found."},{"code":null,"field":null,"message":""}]}}`))
	f.Add([]byte(`{"inventorySetQuantities":{"inventoryAdjustmentGroup":{"id":"gid://shopify/InventoryAdjustmentGroup/1"},"userErrors":[]}}`))
	f.Add([]byte(`{"location":{"id":"gid://shopify/Location/7","name":"Main","isActive":true}}`))
	f.Add([]byte(`{"location":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := parseProducts(data); err == nil {
			for _, pr := range p.products {
				if !isGID(pr.gid, "Product") || pr.updatedAt.IsZero() {
					t.Errorf("accepted product %+v", pr)
				}
				for _, l := range pr.listings() {
					if l.SKU == "" || strings.TrimSpace(l.SKU) != l.SKU {
						t.Errorf("accepted SKU %q", l.SKU)
					}
					if _, ok := inventoryItemGID(l.Link.InventoryItemID); !ok || !isGID(l.Link.VariantID, "ProductVariant") {
						t.Errorf("accepted link %+v", l.Link)
					}
					for _, u := range l.Images {
						if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
							t.Errorf("accepted image %q", u)
						}
					}
				}
			}
		}
		if errs, err := parseSetQuantities(data); err == nil {
			for _, ue := range errs {
				if k, ok := quantityIndex(ue.Field); ok && k < 0 {
					t.Errorf("index %d from %v", k, ue.Field)
				}
				if ce := ue.cartError(); ce.Message == "" || ce.Temporary {
					t.Errorf("user error %+v became %+v", ue, ce)
				}
			}
		}
		if id, err := parseLocation(data); err == nil && !isGID(id, "Location") {
			t.Errorf("accepted location %q", id)
		}
	})
}

func TestPageOf(t *testing.T) {
	nodes, next, err := pageOf[struct{ ID string }]([]byte(`{"orders":{"pageInfo":{"hasNextPage":true,"endCursor":"c2"},"nodes":[{"id":"a"}]}}`), "orders")
	if err != nil || next != "c2" || len(nodes) != 1 || nodes[0].ID != "a" {
		t.Fatalf("got %v, %q, %v", nodes, next, err)
	}
	for _, data := range []string{
		`{"orders":5}`, `[]`, `{}`, `{"orders":null}`, `{"products":{"nodes":[]}}`,
		`{"orders":{"pageInfo":{"hasNextPage":true},"nodes":[]}}`,
	} {
		if _, _, err := pageOf[struct{ ID string }]([]byte(data), "orders"); !errors.Is(err, cart.ErrMalformed) {
			t.Errorf("%s: %v; want cart.ErrMalformed", data, err)
		}
	}
}
