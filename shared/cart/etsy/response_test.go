package etsy

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/autosync/autosync/shared/cart"
)

func TestErrorMessage(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"error":"Exceeded per second rate limit"}`, "Exceeded per second rate limit"},
		{`{"error":"invalid_token","error_description":"access token is expired"}`, "invalid_token: access token is expired"},
		{`[{"path":"/title/1","type":"invalid_characters","message":"contains invalid characters"}]`, "/title/1 contains invalid characters"},
		{`{"error":"unable to update listing","error_list":[{"path":"/title/1","type":"invalid_characters","message":"contains invalid characters"}]}`,
			"unable to update listing (/title/1 contains invalid characters)"},
		{`{"error":"13 O&#39;Connell Street"}`, "13 O'Connell Street"},
		{`{"error":{"code":5}}`, ""},
		{`<html>502 Bad Gateway</html>`, ""},
		{``, ""},
		{`{"error":"` + strings.Repeat("x", 400) + `"}`, strings.Repeat("x", 300) + "…"},
	}
	for _, tt := range tests {
		if got := errorMessage([]byte(tt.body)); got != tt.want {
			t.Errorf("errorMessage(%.40q) = %q; want %q", tt.body, got, tt.want)
		}
	}
}

func TestMoneyDecimal(t *testing.T) {
	tests := []struct {
		m    money
		want string
	}{
		{money{1250, 100, "USD"}, "12.50"},
		{money{5, 100, "USD"}, "0.05"},
		{money{-5, 100, "USD"}, "-0.05"},
		{money{1200, 1, "JPY"}, "1200"},
		{money{12345, 1000, "KWD"}, "12.345"},
		{money{1, 3, "X"}, "0.333333"},
		{money{1, 0, "X"}, ""},
	}
	for _, tt := range tests {
		got, err := tt.m.decimal()
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("%+v: %q, %v; want %q", tt.m, got, err, tt.want)
		}
	}
}

func TestToOrderNulls(t *testing.T) {
	// Nullable fields as Etsy may send them: no SKU, no grand total, only
	// the older timestamp names.
	_, rs, err := parseReceipts([]byte(`{"count":1,"results":[{"receipt_id":4400000001,"status":"Fully Refunded","is_paid":true,"is_shipped":true,
		"create_timestamp":1767225600,"update_timestamp":1767229200,"grandtotal":null,"transactions":[{"transaction_id":1,"sku":null,"quantity":2}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	o, err := toOrder(&rs[0])
	if err != nil {
		t.Fatal(err)
	}
	want := cart.Order{ExternalID: "4400000001", Number: "4400000001", CartStatus: "fully refunded", Filter: cart.Cancelled,
		CreatedAt: time.Unix(1767225600, 0).UTC(), UpdatedAt: time.Unix(1767229200, 0).UTC(), Lines: []cart.Line{{Quantity: 2}}}
	if o.ExternalID != want.ExternalID || o.CartStatus != want.CartStatus || o.Filter != want.Filter || !o.CreatedAt.Equal(want.CreatedAt) ||
		!o.UpdatedAt.Equal(want.UpdatedAt) || len(o.Lines) != 1 || o.Lines[0] != want.Lines[0] || o.Total != "" {
		t.Errorf("order %+v", o)
	}
	for _, bad := range []string{
		`{"results":[]}`,
		`{"count":1,"results":[{"receipt_id":0,"updated_timestamp":1}]}`,
		`{"count":1,"results":[{"receipt_id":1}]}`,
		`{"count":1,"results":[{"receipt_id":1,"updated_timestamp":5,"transactions":[{"quantity":-1}]}]}`,
		`{"count":1,"results":[{"receipt_id":"1","updated_timestamp":5}]}`,
	} {
		if _, _, err := parseReceipts([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestKeysetPageRefusesDisorder(t *testing.T) {
	var rs []receiptJSON
	for i := range pageSize {
		u := int64(1767225600 + i)
		if i == 50 {
			u = 1
		}
		rs = append(rs, receiptJSON{ReceiptID: int64(i + 1), UpdatedTimestamp: &u})
	}
	if _, _, err := keysetPage(rs, 1000, orderCursor{}, 0, time.Time{}); err == nil {
		t.Error("receipts out of update order were accepted")
	}
}

const receiptsSeed = `{"count":2,"results":[{"receipt_id":4400000001,"status":"paid","is_paid":true,"is_shipped":false,"create_timestamp":1767225600,"created_timestamp":1767225600,"update_timestamp":1767229200,"updated_timestamp":1767229200,"grandtotal":{"amount":2495,"divisor":100,"currency_code":"USD"},"transactions":[{"transaction_id":4500000001,"sku":"MUG-BLUE","quantity":2,"listing_id":4300000002,"product_id":4300000003}]},{"receipt_id":4400000002,"status":"canceled","is_paid":false,"is_shipped":false,"updated_timestamp":1767229300,"transactions":[]}]}`

// FuzzParseReceipts feeds outside input to the receipt parser and the
// keyset pager: they must not panic, and what they accept must be usable.
func FuzzParseReceipts(f *testing.F) {
	f.Add([]byte(receiptsSeed))
	f.Add([]byte(`{"count":0,"results":[]}`))
	f.Add([]byte(`{"count":1,"results":[{"receipt_id":1,"updated_timestamp":1,"grandtotal":{"amount":1,"divisor":0}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		count, rs, err := parseReceipts(body)
		if err != nil {
			return
		}
		if count < 0 {
			t.Fatalf("count %d", count)
		}
		page, next, err := keysetPage(rs, count, orderCursor{}, 0, time.Time{})
		if err != nil {
			return
		}
		if next != "" {
			if _, err := decodeOrderCursor(next); err != nil {
				t.Errorf("next cursor %q does not decode: %v", next, err)
			}
		}
		for _, r := range page {
			o, err := toOrder(r)
			if err != nil {
				continue
			}
			if _, err := strconv.ParseUint(o.ExternalID, 10, 64); err != nil || o.UpdatedAt.IsZero() || !cart.ValidFilter(o.Filter) {
				t.Errorf("accepted order %+v", o)
			}
			for _, l := range o.Lines {
				if l.Quantity < 0 {
					t.Errorf("negative line %+v", l)
				}
			}
		}
	})
}

const listingsSeed = `{"count":1,"results":[{"listing_id":4300000002,"title":"Mug &amp; Saucer","state":"active","updated_timestamp":1767225600,"images":[{"listing_image_id":1,"rank":1,"url_fullxfull":"https://i.etsystatic.com/1/il_fullxfull.1.jpg"}],"inventory":{"products":[{"product_id":3,"sku":"MUG-BLUE","is_deleted":false,"offerings":[{"offering_id":4,"quantity":5,"is_enabled":true,"is_deleted":false,"price":{"amount":1250,"divisor":100,"currency_code":"USD"}}],"property_values":[{"property_id":200,"property_name":"Primary color","scale_id":null,"scale_name":null,"value_ids":[9],"values":["Blue"]}]}],"price_on_property":[200],"quantity_on_property":[200],"sku_on_property":[200]}}]}`

// FuzzParseListings feeds outside input to the listing parser and the
// mapping to cart listings.
func FuzzParseListings(f *testing.F) {
	f.Add([]byte(listingsSeed))
	f.Add([]byte(`{"count":0,"results":[]}`))
	f.Add([]byte(`{"count":1,"results":[{"listing_id":1,"inventory":{"products":[{"sku":"A","offerings":[{"quantity":1,"price":null}]}]}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, ls, err := parseListings(body)
		if err != nil {
			return
		}
		for i := range ls {
			if ls[i].Inventory == nil {
				continue
			}
			for _, l := range toListings(&ls[i]) {
				if l.SKU == "" || l.Link.ProductID == "" || l.Quantity == nil || !utf8.ValidString(l.Name) && utf8.ValidString(ls[i].Title) {
					t.Errorf("accepted listing %+v", l)
				}
				if _, err := strconv.ParseFloat(l.Price, 64); err != nil {
					t.Errorf("price %q", l.Price)
				}
			}
		}
	})
}

const inventorySeed = `{"products":[{"product_id":3,"sku":"MUG-BLUE","is_deleted":false,"offerings":[{"offering_id":4,"quantity":5,"is_enabled":true,"is_deleted":false,"price":{"amount":1250,"divisor":100,"currency_code":"USD"}}],"property_values":[{"property_id":200,"property_name":"Primary color","scale_id":null,"value_ids":[9],"values":["Blue"]}]},{"product_id":5,"sku":"MUG-RED","is_deleted":false,"offerings":[{"offering_id":6,"quantity":0,"is_enabled":false,"is_deleted":false,"price":{"amount":1300,"divisor":100,"currency_code":"USD"}}],"property_values":[{"property_id":200,"value_ids":[10],"values":["Red"]}]}],"price_on_property":[200],"quantity_on_property":[200],"sku_on_property":[200]}`

// FuzzParseInventory feeds outside input to the inventory parser and the
// body builder: what is accepted must make a body that encodes, keeps every
// live product and sets the quantity asked for.
func FuzzParseInventory(f *testing.F) {
	f.Add([]byte(inventorySeed), "MUG-BLUE", 7)
	f.Add([]byte(`{"products":[]}`), "X", 0)
	f.Add([]byte(`{"products":[{"sku":"A","offerings":[{"quantity":1,"is_enabled":true,"price":{"amount":1,"divisor":1}}]}],"quantity_on_property":[]}`), "A", 0)
	f.Fuzz(func(t *testing.T, body []byte, sku string, q int) {
		inv, err := parseInventory(body)
		if err != nil {
			return
		}
		q = min(max(q, 0), maxOfferingQuantity)
		put := apply(inv, 1, map[string]int{sku: q}).body
		b, err := json.Marshal(put)
		if err != nil {
			t.Fatalf("body does not encode: %v", err)
		}
		var back map[string]any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("body is not JSON: %v", err)
		}
		live := 0
		for i := range inv.Products {
			if !inv.Products[i].IsDeleted && len(inv.Products[i].live()) > 0 {
				live++
			}
		}
		if len(put.Products) != live {
			t.Errorf("%d products sent; %d live", len(put.Products), live)
		}
		for _, p := range put.Products {
			for _, o := range p.Offerings {
				if strings.TrimSpace(p.SKU) == sku && o.Quantity != q {
					t.Errorf("SKU %q offering quantity %d; want %d", sku, o.Quantity, q)
				}
				if _, err := strconv.ParseFloat(string(o.Price), 64); err != nil {
					t.Errorf("price %q", o.Price)
				}
			}
		}
	})
}

// FuzzErrorMessage: any body gives a short message without panicking.
func FuzzErrorMessage(f *testing.F) {
	f.Add([]byte(`{"error":"Exceeded daily rate limit"}`))
	f.Add([]byte(`[{"path":"/a","message":"b"}]`))
	f.Add([]byte(`{"error":"x","error_list":[{"type":"t"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if m := errorMessage(body); len(m) > 300+len("…") {
			t.Errorf("message of %d bytes", len(m))
		}
	})
}

// FuzzCursors: cursors come back from storage; a bad one is refused, never
// a panic, and a good one round-trips.
func FuzzCursors(f *testing.F) {
	f.Add(orderCursor{S: 1767225600, IDs: []int64{1, 2}}.encode())
	f.Add(orderCursor{S: 1767225600, O: 100}.encode())
	f.Add(listingCursor{O: 100, N: 450}.encode())
	f.Add(listingCursor{S: 1, O: 100, N: 450}.encode())
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := decodeOrderCursor(s); err == nil && s != "" {
			if c2, err := decodeOrderCursor(c.encode()); err != nil || c2.S != c.S || c2.O != c.O || len(c2.IDs) != len(c.IDs) {
				t.Errorf("order cursor %q does not round-trip: %+v", s, c)
			}
		}
		if c, err := decodeListingCursor(s); err == nil && s != "" {
			if c2, err := decodeListingCursor(c.encode()); err != nil || c2 != c {
				t.Errorf("listing cursor %q does not round-trip: %+v", s, c)
			}
		}
	})
}
