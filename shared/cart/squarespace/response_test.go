package squarespace

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/autosync/autosync/shared/cart"
)

// docOrders is a page in the form of the Orders API reference: orderNumber
// a string, totals at the top level, nullable fields null.
const docOrders = `{"result":[{"id":"585d498fdee9f31a60284a37","orderNumber":"1","createdOn":"2016-12-23T16:00:15.269Z",
"modifiedOn":"2016-12-23T16:05:00.123Z","channel":"web","testmode":false,"customerEmail":"a@example.com",
"billingAddress":null,"shippingAddress":null,"fulfillmentStatus":"PENDING",
"lineItems":[{"id":"585d498fdee9f31a60284a3a","variantId":"b6a0b3ff-73a2-4f22-a5d9-a8a2c2b8c3c6","sku":"SQ1234",
"productId":"5a8c5d3a9140b7a9ed7c4c2c","productName":"Cotton Tee","quantity":2,"unitPricePaid":{"value":"20.00","currency":"USD"},
"variantOptions":null,"customizations":null,"imageUrl":null,"lineItemType":"PHYSICAL"},
{"id":"x2","variantId":null,"sku":null,"productId":null,"productName":"Gift card","quantity":1,"lineItemType":"GIFT_CARD"}],
"grandTotal":{"value":"45.99","currency":"USD"},"fulfilledOn":null}],
"pagination":{"hasNextPage":true,"nextPageCursor":"b785f6c2d1","nextPageUrl":"https://api.squarespace.com/1.0/commerce/orders?cursor=b785f6c2d1"}}`

func TestParseOrdersShapes(t *testing.T) {
	orders, next, err := parseOrders([]byte(docOrders))
	if err != nil {
		t.Fatal(err)
	}
	o := orders[0]
	if next != "b785f6c2d1" || o.ExternalID != "585d498fdee9f31a60284a37" || o.Number != "1" || o.Filter != cart.AwaitingFulfillment ||
		o.CartStatus != "PENDING" || o.Total != "45.99" || o.Currency != "USD" || o.UpdatedAt.Nanosecond() != 123e6 ||
		len(o.Lines) != 2 || o.Lines[0] != (cart.Line{SKU: "SQ1234", Quantity: 2}) || o.Lines[1] != (cart.Line{Quantity: 1}) {
		t.Errorf("order %+v, next %q", o, next)
	}

	// A third-party list-orders example, kept as it was published:
	// orderNumber a number, totals nested, no SKU on the line.
	orders, next, err = parseOrders([]byte(thirdPartyOrders))
	if err != nil {
		t.Fatalf("third-party example: %v", err)
	}
	if next != "" || len(orders) != 1 || orders[0].Number != "1042" || orders[0].Total != "70.77" || orders[0].Lines[0] != (cart.Line{Quantity: 2}) {
		t.Errorf("third-party example: %+v", orders)
	}
}

const thirdPartyOrders = `{"result":[{"id":"order-abc-123","orderNumber":1042,"createdOn":"2026-04-15T09:30:00Z",
"modifiedOn":"2026-04-15T09:31:00Z","channel":"SQUARESPACE","testmode":false,"customerEmail":"customer@example.com",
"fulfillmentStatus":"PENDING","lineItems":[{"id":"li-001","productName":"Organic Cotton T-Shirt","quantity":2,
"unitPricePaid":{"currency":"USD","value":"29.99"}}],"totals":{"subtotal":{"currency":"USD","value":"59.98"},
"shipping":{"currency":"USD","value":"5.99"},"taxTotal":{"currency":"USD","value":"4.80"},
"grandTotal":{"currency":"USD","value":"70.77"}}}],"pagination":{"hasNextPage":false,"nextPageCursor":null,"nextPageUrl":null}}`

func TestParseRefusals(t *testing.T) {
	tests := []struct {
		body string
		ok   bool
	}{
		{`{"result":[],"pagination":{"hasNextPage":false,"nextPageCursor":null,"nextPageUrl":null}}`, true},
		{`{"result":null,"pagination":{}}`, false},
		{`{"pagination":{}}`, false},
		{`{"result":[],"pagination":{"hasNextPage":true,"nextPageCursor":null}}`, false},
		{`{"result":[{"id":"a/b","modifiedOn":"2020-01-01T00:00:00Z","fulfillmentStatus":"PENDING"}],"pagination":{}}`, false},
		{`{"result":[{"id":"ab","fulfillmentStatus":"PENDING"}],"pagination":{}}`, false},
		{`{"result":[{"id":"ab","modifiedOn":"2020-01-01T00:00:00Z"}],"pagination":{}}`, false},
		{`{"result":[{"id":"ab","modifiedOn":"2020-01-01T00:00:00Z","fulfillmentStatus":"PENDING","lineItems":[{"sku":"A","quantity":-1}]}],"pagination":{}}`, false},
		{`{"result":[{"id":"ab","modifiedOn":"2020-01-01T00:00:00Z","fulfillmentStatus":"CANCELED","orderNumber":7,"grandTotal":{"value":"1e5","currency":"USD"}}],"pagination":{}}`, true},
		{`<html>`, false},
	}
	for _, tt := range tests {
		_, _, err := parseOrders([]byte(tt.body))
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.body, err)
		}
		var ce *cart.Error
		if err != nil && (!errors.As(err, &ce) || !errors.Is(err, cart.ErrMalformed) || ce.Message == "") {
			t.Errorf("%s: %v is not a malformed *cart.Error", tt.body, err)
		}
	}
}

// docProducts is a page in the v2 form: variantAttributes order, stock,
// pricing, images; one unlimited variant, one without a SKU, one
// non-physical product.
const docProducts = `{"products":[{"id":"5ed539b66505ca7c5f4a3a5a","type":"PHYSICAL","name":"Tee",
"variantAttributes":["Size","Color"],"modifiedOn":"2021-01-02T03:04:05.006Z",
"variants":[{"id":"v1","sku":"TEE-S-BLK","pricing":{"basePrice":{"value":"20.00","currency":"USD"},"salePrice":{"value":"0.00","currency":"USD"},"onSale":false},
"stock":{"quantity":4,"unlimited":false},"attributes":{"Color":"Black","Size":"S"}},
{"id":"v2","sku":"TEE-M-BLK","stock":{"quantity":0,"unlimited":true},"attributes":{"Color":"Black","Size":"M"}},
{"id":"v3","sku":null,"stock":{"quantity":1,"unlimited":false}}],
"images":[{"url":"https://images.squarespace-cdn.com/a.jpg"},{"url":"javascript:alert(1)"},{"url":"https://images.squarespace-cdn.com/a.jpg"}]},
{"id":"svc","type":"SERVICE","name":"Lesson","modifiedOn":"2021-01-02T03:04:05Z","variants":[{"id":"s1","sku":"LESSON"}]}],
"pagination":{"hasNextPage":false,"nextPageCursor":null}}`

func TestParseProducts(t *testing.T) {
	ls, next, err := parseProducts([]byte(docProducts))
	if err != nil || next != "" {
		t.Fatal(err, next)
	}
	if len(ls) != 2 {
		t.Fatalf("listings %+v", ls)
	}
	a, b := ls[0], ls[1]
	if a.SKU != "TEE-S-BLK" || a.Name != "Tee - S / Black" || a.Price != "20.00" || a.Quantity == nil || *a.Quantity != 4 ||
		a.Link != (cart.Link{ProductID: "5ed539b66505ca7c5f4a3a5a", VariantID: "v1"}) ||
		len(a.Images) != 1 || a.Images[0] != "https://images.squarespace-cdn.com/a.jpg" || a.UpdatedAt.IsZero() {
		t.Errorf("listing %+v", a)
	}
	if b.Quantity != nil || b.Price != "" {
		t.Errorf("unlimited listing %+v", b)
	}
}

func TestParseAPIError(t *testing.T) {
	e := parseAPIError(400, []byte(`{"type":"INVALID_REQUEST_ERROR","subtype":"INVALID_ARGUMENT","message":"Variant v-1 was not found.","details":{"variantId":"v-2"},"contextId":"C1"}`))
	if e.Type != "INVALID_REQUEST_ERROR" || e.Subtype != "INVALID_ARGUMENT" || e.ContextID != "C1" || !e.names("v-1") || !e.names("v-2") || e.names("v-3") {
		t.Errorf("%+v", e)
	}
	if r := e.reason(); r != "Variant v-1 was not found. (INVALID_REQUEST_ERROR/INVALID_ARGUMENT)" {
		t.Errorf("reason %q", r)
	}
	if e := parseAPIError(502, []byte("<html>bad gateway</html>")); e.Status != 502 || e.Type != "" || e.reason() != "Bad Gateway" {
		t.Errorf("%+v", e)
	}
}

// FuzzParseOrders feeds outside input to the order parsers: they must not
// panic, and what they accept must be usable.
func FuzzParseOrders(f *testing.F) {
	f.Add([]byte(docOrders))
	f.Add([]byte(`{"result":[],"pagination":{"hasNextPage":false}}`))
	f.Add([]byte(`{"id":"ab","orderNumber":12,"modifiedOn":"2020-01-01T00:00:00Z","fulfillmentStatus":"FULFILLED","totals":{"grandTotal":{"value":"1.00","currency":"EUR"}}}`))
	f.Add([]byte(`{"type":"NOT_FOUND","subtype":null,"message":"x","details":null,"contextId":"c"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(o cart.Order) {
			if !idRE.MatchString(o.ExternalID) || o.UpdatedAt.IsZero() || !cart.ValidFilter(o.Filter) {
				t.Errorf("accepted order %+v", o)
			}
			if o.Total != "" && !decimalRE.MatchString(o.Total) {
				t.Errorf("accepted total %q", o.Total)
			}
			for _, l := range o.Lines {
				if l.Quantity < 0 {
					t.Errorf("accepted line %+v", l)
				}
			}
		}
		if orders, next, err := parseOrders(body); err == nil {
			for _, o := range orders {
				check(o)
			}
			_ = next
		}
		if o, err := parseOrder(body); err == nil {
			check(o)
		}
	})
}

// FuzzParseProducts does the same for the product parser.
func FuzzParseProducts(f *testing.F) {
	f.Add([]byte(docProducts))
	f.Add([]byte(`{"products":[],"pagination":{"hasNextPage":true,"nextPageCursor":"c"}}`))
	f.Add([]byte(`{"products":[{"id":"p","modifiedOn":"2020-01-01T00:00:00Z","variants":[{"id":"v","sku":" A ","stock":{"quantity":-3}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ls, next, err := parseProducts(body)
		if err != nil {
			return
		}
		_ = next
		for _, l := range ls {
			if strings.TrimSpace(l.SKU) == "" || l.SKU != strings.TrimSpace(l.SKU) || !idRE.MatchString(l.Link.VariantID) ||
				!idRE.MatchString(l.Link.ProductID) || l.UpdatedAt.IsZero() || l.Quantity != nil && *l.Quantity < 0 {
				t.Errorf("accepted listing %+v", l)
			}
			for _, im := range l.Images {
				if !strings.HasPrefix(im, "https://") && !strings.HasPrefix(im, "http://") {
					t.Errorf("accepted image %q", im)
				}
			}
		}
	})
}

// FuzzParseAPIError feeds error bodies to the error parser and the
// variant matcher.
func FuzzParseAPIError(f *testing.F) {
	f.Add([]byte(`{"type":"INVALID_REQUEST_ERROR","subtype":null,"message":"Variant v-1 was not found.","details":null,"contextId":"C"}`), "v-1")
	f.Add([]byte(`<html></html>`), "x")
	f.Add([]byte(`{"message":7}`), "")
	f.Fuzz(func(t *testing.T, body []byte, id string) {
		e := parseAPIError(400, body)
		if r := e.reason(); r == "" || len(r) > 400+len(e.Type)+len(e.Subtype) {
			t.Errorf("reason %q", r)
		}
		if !utf8.ValidString(e.reason()) && utf8.Valid(body) && utf8.ValidString(e.Message) {
			t.Errorf("reason %q cuts a character", e.reason())
		}
		if e.names(id) && id == "" {
			t.Error("the empty id is named")
		}
		_ = e.Error()
	})
}
