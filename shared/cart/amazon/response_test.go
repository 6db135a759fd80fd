package amazon

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// modelOrders is the searchOrders example of orders_2026.json, trimmed to
// what matters and kept in its shape.
const modelOrders = `{"orders":[{"orderId":"123-4567890-1234567","orderAliases":[{"aliasId":"SELLER-ORDER-2024-001","aliasType":"SELLER_ORDER_ID"}],
"createdTime":"2024-12-25T10:30:00Z","lastUpdatedTime":"2024-12-25T14:45:00Z","programs":["PRIME"],
"salesChannel":{"channelName":"AMAZON","marketplaceId":"ATVPDKIKX0DER","marketplaceName":"Amazon.com"},
"proceeds":{"grandTotal":{"amount":"154.99","currencyCode":"USD"}},
"fulfillment":{"fulfillmentStatus":"PARTIALLY_SHIPPED","fulfilledBy":"MERCHANT","fulfillmentServiceLevel":"STANDARD"},
"orderItems":[{"orderItemId":"12345678901234","quantityOrdered":2,"product":{"asin":"B08N5WRWNW","title":"Echo Dot","sellerSku":"ECHO-DOT-4-CHARCOAL","price":{"unitPrice":{"amount":"49.99","currencyCode":"USD"}}},"fulfillment":{"quantityFulfilled":1,"quantityUnfulfilled":1}},
{"orderItemId":"12345678901235","quantityOrdered":1,"product":{"asin":"B07XJ8C8F5","sellerSku":"FIRE-TV-4K-2021"}}]}],
"pagination":{"nextToken":"2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"},"createdBefore":"2024-12-25T03:00:00Z"}`

const modelInventory = `{"payload":{"granularity":{"granularityType":"Marketplace","granularityId":"ATVPDKIKX0DER"},
"inventorySummaries":[{"asin":"B0EXAMPLE1","fnSku":"X00ABC","sellerSku":"SKU-A","condition":"NewItem","inventoryDetails":{"fulfillableQuantity":12,"inboundWorkingQuantity":0,"inboundShippedQuantity":24,"inboundReceivingQuantity":0,"reservedQuantity":{"totalReservedQuantity":2}},"lastUpdatedTime":"2026-01-01T00:00:00Z","productName":"A","totalQuantity":38},
{"sellerSku":"SKU-B","inventoryDetails":{"fulfillableQuantity":0}}]},"pagination":{"nextToken":"tok"}}`

const modelListings = `{"numberOfResults":3,"pagination":{"nextToken":"xsdflkj324","previousToken":"ilkjsdflkj"},"items":[{"sku":"GM-ZDPI-9B4E",
"summaries":[{"marketplaceId":"ATVPDKIKX0DER","asin":"B071VG5N9D","productType":"LUGGAGE","conditionType":"new_new","status":["BUYABLE"],"itemName":"Hardside Carry-On Spinner Suitcase Luggage","createdDate":"2021-02-01T00:00:00Z","lastUpdatedDate":"2021-03-01T00:00:00Z","mainImage":{"link":"https://www.example.com/luggage.png","height":500,"width":500}},
{"marketplaceId":"A2EUQ1WTGCTBG2","asin":"B071VG5N9D","productType":"LUGGAGE","itemName":"Valise","createdDate":"2021-02-02T01:00:00Z","lastUpdatedDate":"2021-03-05T00:00:00Z"}],
"offers":[{"marketplaceId":"ATVPDKIKX0DER","offerType":"B2C","price":{"currencyCode":"USD","amount":"100.00"}},{"marketplaceId":"A2EUQ1WTGCTBG2","offerType":"B2C","price":{"currencyCode":"CAD","amount":"130.00"}}],
"fulfillmentAvailability":[{"fulfillmentChannelCode":"DEFAULT","quantity":100}]}]}`

func TestParseModelExamples(t *testing.T) {
	p, err := parseSearchOrders([]byte(modelOrders), cart.AwaitingFulfillment)
	if err != nil {
		t.Fatal(err)
	}
	if p.next != "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4" || len(p.orders) != 1 {
		t.Fatalf("%+v", p)
	}
	o := p.orders[0]
	want := cart.Order{ExternalID: "123-4567890-1234567", Number: "123-4567890-1234567", CartStatus: StatusPartiallyShipped,
		Filter: cart.AwaitingFulfillment, Total: "154.99", Currency: "USD",
		CreatedAt: time.Date(2024, 12, 25, 10, 30, 0, 0, time.UTC), UpdatedAt: time.Date(2024, 12, 25, 14, 45, 0, 0, time.UTC),
		Lines: []cart.Line{{SKU: "ECHO-DOT-4-CHARCOAL", Quantity: 2}, {SKU: "FIRE-TV-4K-2021", Quantity: 1}}}
	if g, _ := json.Marshal(o); string(g) != string(must(json.Marshal(want))) {
		t.Errorf("order\n%s\nwant\n%s", g, must(json.Marshal(want)))
	}

	items, next, err := parseInventory([]byte(modelInventory))
	if err != nil || next != "tok" || len(items) != 2 || items[0] != (cart.FBAStock{SKU: "SKU-A", Fulfillable: 12}) || items[1].Fulfillable != 0 {
		t.Errorf("inventory %+v %q %v", items, next, err)
	}
	if _, _, err := parseInventory([]byte(`{"payload":{"inventorySummaries":[{"sellerSku":"X"}]}}`)); err == nil {
		t.Error("summary without details accepted")
	}

	ls, next, err := parseListings([]byte(modelListings), "ATVPDKIKX0DER")
	if err != nil || next != "xsdflkj324" || len(ls) != 1 {
		t.Fatalf("listings %+v %q %v", ls, next, err)
	}
	l := ls[0]
	if l.SKU != "GM-ZDPI-9B4E" || l.Name != "Hardside Carry-On Spinner Suitcase Luggage" || l.Price != "100.00" || l.Link.ProductID != "B071VG5N9D" ||
		l.Quantity == nil || *l.Quantity != 100 || len(l.Images) != 1 || l.Images[0] != "https://www.example.com/luggage.png" || !l.UpdatedAt.Equal(time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("listing %+v", l)
	}

	sub, err := parseSubmission([]byte(`{"sku":"VALIDATION_INVALID","status":"INVALID","submissionId":"a1","identifiers":[],"issues":[{"code":"90000900","message":"The attributes are invalid.","severity":"ERROR","attributeNames":["fake_attribute"],"categories":["INVALID_ATTRIBUTE"]},{"code":"1","message":"just so","severity":"WARNING","categories":[]}]}`))
	if err != nil || sub.status != "INVALID" || sub.issues != "The attributes are invalid. (90000900)" {
		t.Errorf("submission %+v %v", sub, err)
	}
	if m := apiMessage([]byte(`{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource.","details":""}]}`)); m != "QuotaExceeded: You exceeded your quota for the requested resource." {
		t.Errorf("apiMessage = %q", m)
	}
	if tok, ttl, err := parseLWAToken([]byte(`{"access_token":"Atza|x","refresh_token":"Atzr|y","token_type":"bearer","expires_in":3600}`)); err != nil || tok != "Atza|x" || ttl != time.Hour {
		t.Errorf("token %q %s %v", tok, ttl, err)
	}
	if code, desc := parseLWAError([]byte(`{"error_description":"The request has an invalid grant parameter : refresh_token","error":"invalid_grant"}`)); code != "invalid_grant" || !strings.Contains(desc, "refresh_token") {
		t.Errorf("LWA error %q %q", code, desc)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzParseOrders(f *testing.F) {
	f.Add([]byte(modelOrders))
	f.Add([]byte(`{"orders":[]}`))
	f.Add([]byte(`{"orders":[{"orderId":"1","createdTime":"2026-01-01T00:00:00Z","lastUpdatedTime":"2026-01-01T00:00:00.5+02:00","orderItems":[{"quantityOrdered":-1}]}]}`))
	f.Add([]byte(`{"orders":[{"orderId":"1","createdTime":"x","lastUpdatedTime":"2026-01-01T00:00:00Z","proceeds":{"grandTotal":{"amount":12.5,"currencyCode":"usd"}}}]}`))
	f.Add([]byte(`{"errors":[{"code":"InvalidInput","message":"m"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		apiMessage(body)
		p, err := parseSearchOrders(body, cart.AwaitingFulfillment)
		if err != nil {
			return
		}
		for _, o := range p.orders {
			if !orderIDRE.MatchString(o.ExternalID) || o.UpdatedAt.Location() != time.UTC || !cart.ValidFilter(o.Filter) {
				t.Errorf("accepted order %+v", o)
			}
			if o.Total != "" && (!decimalRE.MatchString(o.Total) || !currencyRE.MatchString(o.Currency)) {
				t.Errorf("accepted total %q %q", o.Total, o.Currency)
			}
			for _, l := range o.Lines {
				if l.Quantity < 0 {
					t.Errorf("accepted line %+v", l)
				}
			}
			var c cursor
			c.seen(o.ExternalID, o.UpdatedAt)
		}
	})
}

func FuzzParseInventory(f *testing.F) {
	f.Add([]byte(modelInventory))
	f.Add([]byte(`{"payload":{"inventorySummaries":[]}}`))
	f.Add([]byte(`{"payload":{"inventorySummaries":[{"sellerSku":"A","inventoryDetails":{"fulfillableQuantity":-4}}]}}`))
	f.Add([]byte(`{"errors":[{"code":"InvalidInput","message":"m"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, _, err := parseInventory(body)
		if err != nil {
			return
		}
		for _, it := range items {
			if it.Fulfillable < 0 {
				t.Errorf("accepted %+v", it)
			}
		}
	})
}

func FuzzParseListings(f *testing.F) {
	f.Add([]byte(modelListings))
	f.Add([]byte(`{"numberOfResults":0,"items":[]}`))
	f.Add([]byte(`{"items":[{"sku":"A","summaries":[{"lastUpdatedDate":"2026-01-01T00:00:00Z"}],"attributes":{"main_product_image_locator":[{"media_location":"https://x/1.jpg"}],"other_product_image_locator_1":[{"media_location":"javascript:alert(1)","marketplace_id":"ATVPDKIKX0DER"}],"fulfillment_availability":[{"fulfillment_channel_code":"DEFAULT","quantity":-3}],"item_name":[{"value":"N"}]}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ls, _, err := parseListings(body, "ATVPDKIKX0DER")
		if err != nil {
			return
		}
		for _, l := range ls {
			if l.SKU == "" || l.updated.IsZero() || (l.Quantity != nil && *l.Quantity < 0) || len(l.Images) > maxImages {
				t.Errorf("accepted %+v", l)
			}
			for _, u := range l.Images {
				if !isURL(u) {
					t.Errorf("accepted image %q", u)
				}
			}
			if l.Price != "" && !decimalRE.MatchString(l.Price) {
				t.Errorf("accepted price %q", l.Price)
			}
		}
	})
}

func FuzzParseSubmissionAndToken(f *testing.F) {
	f.Add([]byte(`{"sku":"GM-ZDPI-9B4E","status":"ACCEPTED","submissionId":"f1dc2914","issues":[]}`))
	f.Add([]byte(`{"access_token":"Atza|x","token_type":"bearer","expires_in":3600}`))
	f.Add([]byte(`{"error":"invalid_grant","error_description":"bad"}`))
	f.Add([]byte(`{"access_token":"Atza|x","expires_in":-1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if s, err := parseSubmission(body); err == nil && s.status != "ACCEPTED" && s.status != "INVALID" && s.status != "VALID" {
			t.Errorf("accepted status %q", s.status)
		}
		if tok, ttl, err := parseLWAToken(body); err == nil && (tok == "" || ttl <= 0 || strings.ContainsAny(tok, "\r\n")) {
			t.Errorf("accepted token %q %s", tok, ttl)
		}
		code, desc := parseLWAError(body)
		if len(code) > maxMessage+3 || len(desc) > maxMessage+3 {
			t.Errorf("unbounded LWA error %d %d", len(code), len(desc))
		}
	})
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(cursor{F: true, S: time.Unix(0, 0), T: "tok", I: []string{"a"}}.encode())
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			return
		}
		if len(c.I) > maxCursorIDs {
			t.Errorf("cursor with %d ids", len(c.I))
		}
		c.restart()
		c.seen("x", time.Now())
		if _, err := decodeCursor(c.encode()); err != nil && s != "" {
			t.Errorf("re-encoded cursor unreadable: %v", err)
		}
	})
}

// A listing Amazon fulfils (FBA: an AMAZON_* channel and no DEFAULT one)
// is reported not ours, with its ASIN and no quantity: Import Products
// unlinks it, since write-back would send it a merchant-fulfilled
// quantity, which Amazon adds beside the FBA offer. Listings with a DEFAULT
// entry, or none at all, are ours.
func TestParseListingsMarksAmazonFulfilledNotOurs(t *testing.T) {
	item := func(sku, availability, attrs string) string {
		return `{"sku":"` + sku + `","summaries":[{"marketplaceId":"M","asin":"B0` + sku + `","itemName":"x","lastUpdatedDate":"2026-01-01T00:00:00Z"}]` +
			availability + attrs + `}`
	}
	body := `{"items":[` + strings.Join([]string{
		item("FBA1", `,"fulfillmentAvailability":[{"fulfillmentChannelCode":"AMAZON_NA","quantity":40}]`, ""),
		item("FBA2", "", `,"attributes":{"fulfillment_availability":[{"fulfillment_channel_code":"AMAZON_EU"}]}`),
		item("MFN", `,"fulfillmentAvailability":[{"fulfillmentChannelCode":"DEFAULT","quantity":4}]`, ""),
		item("BOTH", `,"fulfillmentAvailability":[{"fulfillmentChannelCode":"AMAZON_NA","quantity":1},{"fulfillmentChannelCode":"DEFAULT","quantity":2}]`, ""),
		item("BARE", "", ""),
	}, ",") + `]}`
	ls, _, err := parseListings([]byte(body), "M")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range ls {
		if l.NotOurs {
			got = append(got, l.SKU+"(not ours)")
			if l.Quantity != nil || l.Link.ProductID != "B0"+l.SKU || l.updated.IsZero() {
				t.Errorf("%s: quantity %v, link %+v, updated %v; want no quantity, its ASIN and its update time", l.SKU, l.Quantity, l.Link, l.updated)
			}
			continue
		}
		got = append(got, l.SKU)
	}
	if want := "FBA1(not ours),FBA2(not ours),MFN,BOTH,BARE"; strings.Join(got, ",") != want {
		t.Fatalf("listings %v, want %s", got, want)
	}
}
