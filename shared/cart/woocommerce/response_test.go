package woocommerce

import (
	"encoding/binary"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

const orderSample = `[{"id":727,"number":"727","status":"processing","currency":"USD","total":"29.35",
 "date_created_gmt":"2017-03-22T19:28:02","date_modified_gmt":"2017-03-22T19:28:08",
 "line_items":[{"id":315,"name":"Woo Single #1","product_id":93,"variation_id":0,"quantity":2,"sku":"","price":3},
  {"id":316,"name":"Ship Your Idea","product_id":22,"variation_id":23,"quantity":1,"sku":"Bar3","price":12}]}]`

func TestParseOrdersShapes(t *testing.T) {
	orders, keys, err := parseOrders([]byte(orderSample))
	if err != nil {
		t.Fatal(err)
	}
	o := orders[0]
	want := cart.Order{ExternalID: "727", Number: "727", CartStatus: "processing", Filter: cart.AwaitingFulfillment,
		CreatedAt: time.Date(2017, 3, 22, 19, 28, 2, 0, time.UTC), UpdatedAt: time.Date(2017, 3, 22, 19, 28, 8, 0, time.UTC),
		Total: "29.35", Currency: "USD"}
	lines := o.Lines
	o.Lines = nil
	if o.ExternalID != want.ExternalID || o.Number != want.Number || o.Filter != want.Filter || !o.CreatedAt.Equal(want.CreatedAt) ||
		!o.UpdatedAt.Equal(want.UpdatedAt) || o.Total != want.Total || o.Currency != want.Currency || o.CartStatus != want.CartStatus {
		t.Errorf("order = %+v; want %+v", o, want)
	}
	if !slices.Equal(lines, []cart.Line{{SKU: "", Quantity: 2}, {SKU: "Bar3", Quantity: 1}}) {
		t.Errorf("lines = %+v", lines)
	}
	if keys[0] != (keyed{id: 727, sec: want.UpdatedAt.Unix()}) {
		t.Errorf("key = %+v", keys[0])
	}
	// Numbers as strings, ids as strings, nulls, a plugin's numeric number.
	orders, _, err = parseOrders([]byte(`[{"id":"12","number":1012,"status":"wc-completed","total":30,"date_created_gmt":null,
		"date_modified_gmt":"2025-01-01T00:00:00Z","line_items":[{"sku":null,"quantity":"3"},{"sku":"A","quantity":2.0}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if o := orders[0]; o.ExternalID != "12" || o.Number != "1012" || o.Filter != cart.Shipped || o.Total != "30" ||
		!o.CreatedAt.IsZero() || !slices.Equal(o.Lines, []cart.Line{{Quantity: 3}, {SKU: "A", Quantity: 2}}) {
		t.Errorf("order = %+v", o)
	}
	for _, bad := range []string{
		`[{"id":0,"status":"processing","date_modified_gmt":"2025-01-01T00:00:00"}]`,
		`[{"id":1,"status":"processing"}]`,
		`[{"id":1,"status":"","date_modified_gmt":"2025-01-01T00:00:00"}]`,
		`[{"id":1,"status":"processing","date_modified_gmt":"2025-01-01T00:00:00","line_items":[{"quantity":-1}]}]`,
		`[{"id":1,"status":"processing","date_modified_gmt":"2025-01-01T00:00:00","line_items":[{"quantity":1.5}]}]`,
		`{"code":"x"}`,
	} {
		if _, _, err := parseOrders([]byte(bad)); err == nil {
			t.Errorf("parseOrders(%s) accepted", bad)
		}
	}
}

func TestParseCatalogShapes(t *testing.T) {
	ps, _, err := parseProducts([]byte(`[{"id":5,"name":"Tee","type":"variable","sku":"TEE","price":"","manage_stock":false,"stock_quantity":null,
		"images":[{"id":1,"src":"https://x/a.jpg"},{"id":2,"src":"https://x/a.jpg"},{"id":3,"src":" "}],"variations":[6,7,8],"date_modified_gmt":"2025-01-01T00:00:00"}]`))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := parseVariations([]byte(`[
		{"id":6,"sku":"TEE-S","price":"9.00","manage_stock":true,"stock_quantity":4,"image":{"id":9,"src":"https://x/s.jpg"},"attributes":[{"name":"Size","option":"S"}],"date_modified_gmt":"2025-01-02T00:00:00"},
		{"id":7,"sku":"TEE-M","price":"9.00","manage_stock":"parent","stock_quantity":"7","image":[],"attributes":[]},
		{"id":8,"sku":"TEE","manage_stock":false,"stock_quantity":null,"image":null}]`))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := variationListing(ps[0], vs[0])
	if !ok || s.SKU != "TEE-S" || s.Name != "Tee - S" || *s.Quantity != 4 || !slices.Equal(s.Images, []string{"https://x/s.jpg", "https://x/a.jpg"}) ||
		s.Link != (cart.Link{ProductID: "5", VariantID: "6"}) || s.UpdatedAt.Day() != 2 {
		t.Errorf("TEE-S = %+v", s)
	}
	// Stock managed by the parent: its quantity is the parent's, shared
	// with the other variations, not the variation's own.
	m, ok := variationListing(ps[0], vs[1])
	if !ok || m.Name != "Tee" || m.Quantity != nil || !slices.Equal(m.Images, []string{"https://x/a.jpg"}) || m.UpdatedAt.Day() != 1 {
		t.Errorf("TEE-M = %+v", m)
	}
	if _, ok := variationListing(ps[0], vs[2]); ok {
		t.Error("a variation showing its parent's SKU was listed")
	}
	if _, ok := simpleListing(wcProduct{ID: wcInt{5, true}, SKU: " "}); ok {
		t.Error("a product without a SKU was listed")
	}
	items, err := parseBatch([]byte(`{"update":[{"id":5,"stock_quantity":3,"manage_stock":true},
		{"id":6,"error":{"code":"woocommerce_rest_product_invalid_id","message":"Invalid ID.","data":{"status":400}}}]}`))
	if err != nil || len(items) != 2 || items[1].Error == nil || items[1].Error.Data.Status.N != 400 {
		t.Fatalf("parseBatch = %+v, %v", items, err)
	}
	if err := confirm(&items[0], cart.StockUpdate{SKU: "A", Quantity: 3}); err != nil {
		t.Errorf("confirm: %v", err)
	}
	if err := confirm(&items[0], cart.StockUpdate{SKU: "A", Quantity: 4}); err == nil || !strings.Contains(err.Error(), "kept the stock") {
		t.Errorf("confirm of another quantity: %v", err)
	}
}

func TestParseLinks(t *testing.T) {
	h := []string{
		`<https://x.example/wp-json/wc/v3/products/5/variations?page=1&status=a,b>; rel="prev", <https://x.example/wp-json/wc/v3/products/5/variations?page=3&per_page=100>; rel="next"`,
		`<https://x.example/?page=9>; title="a;b, c"; rel=last`,
		`<https://x.example/?page=4>; rel="next"`, // a duplicate next: the first wins
	}
	got := parseLinks(h)
	want := map[string]string{
		"prev": "https://x.example/wp-json/wc/v3/products/5/variations?page=1&status=a,b",
		"next": "https://x.example/wp-json/wc/v3/products/5/variations?page=3&per_page=100",
		"last": "https://x.example/?page=9",
	}
	if len(got) != len(want) {
		t.Errorf("parseLinks = %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q; want %q", k, got[k], v)
		}
	}
	hdr := http.Header{"Link": h}
	if n, ok := nextPage(hdr, 2); !ok || n != 3 {
		t.Errorf("nextPage = %d, %v", n, ok)
	}
	if _, ok := nextPage(hdr, 3); ok {
		t.Error("a next page that does not advance was taken")
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, k := range []keyset{{from: 0}, {from: 1735689600, n: 3, seen: []int64{5, 9, 12}}, {from: -5, n: 1, seen: []int64{1}}} {
		got, err := decodeCursor(k.encode())
		if err != nil || got.from != k.from || got.n != k.n || !slices.Equal(got.seen, k.seen) {
			t.Errorf("round trip of %+v = %+v, %v", k, got, err)
		}
	}
	for _, bad := range []string{"", "k1.", "k1.1.2", "k1.1.-1.", "k1.1.1.5-6", "k1.01.0.", "k1.1.1.0", "k2.1.0.", "k1.1.1.5,6", "k1.x.0."} {
		if _, err := decodeCursor(bad); err == nil {
			t.Errorf("decodeCursor(%q) accepted", bad)
		}
	}
}

// FuzzParseOrders feeds outside input to the orders parser: it must not
// panic, and what it accepts must be usable orders.
func FuzzParseOrders(f *testing.F) {
	f.Add([]byte(orderSample))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"id":"12","number":1012,"status":"completed","total":30,"date_modified_gmt":"2025-01-01T00:00:00Z","line_items":[{"sku":null,"quantity":"3"}]}]`))
	f.Add([]byte(`{"code":"rest_invalid_param","message":"x","data":{"status":400}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		orders, keys, err := parseOrders(body)
		if o, err := parseOrder(body); err == nil {
			orders = append(orders, o)
		}
		if err != nil && len(orders) == 0 {
			return
		}
		if len(keys) > len(orders) {
			t.Fatalf("%d keys for %d orders", len(keys), len(orders))
		}
		for _, o := range orders {
			if n, err := strconv.ParseInt(o.ExternalID, 10, 64); err != nil || n <= 0 {
				t.Errorf("accepted order id %q", o.ExternalID)
			}
			if !cart.ValidFilter(o.Filter) || o.UpdatedAt.IsZero() || o.CartStatus == "" || o.Number == "" {
				t.Errorf("accepted order %+v", o)
			}
			for _, l := range o.Lines {
				if l.Quantity < 0 {
					t.Errorf("accepted line %+v", l)
				}
			}
		}
	})
}

// FuzzParseCatalog feeds outside input to the product, variation and batch
// parsers and the listings built from them.
func FuzzParseCatalog(f *testing.F) {
	f.Add([]byte(`[{"id":5,"name":"Tee","type":"simple","sku":"TEE","price":"9.00","manage_stock":true,"stock_quantity":3,"images":[{"src":"https://x/a.jpg"}],"variations":[],"date_modified_gmt":"2025-01-01T00:00:00"}]`))
	f.Add([]byte(`[{"id":6,"sku":"TEE-S","manage_stock":"parent","stock_quantity":"7","image":[],"attributes":[{"option":"S"}]}]`))
	f.Add([]byte(`{"update":[{"id":5,"stock_quantity":3,"manage_stock":true},{"id":6,"error":{"code":"x","message":"y","data":{"status":"500"}}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ps, keys, err := parseProducts(body)
		if err == nil {
			if len(keys) != len(ps) {
				t.Fatalf("%d keys for %d products", len(keys), len(ps))
			}
			for _, p := range ps {
				if l, ok := simpleListing(p); ok && (l.SKU == "" || l.Link.ProductID == "" || l.Link.VariantID != "") {
					t.Errorf("listing %+v", l)
				}
			}
		}
		parent := wcProduct{ID: wcInt{1, true}, Name: "P"}
		if vs, err := parseVariations(body); err == nil {
			for _, v := range vs {
				if l, ok := variationListing(parent, v); ok && (l.SKU == "" || l.Link.VariantID == "" || l.Link.ProductID != "1") {
					t.Errorf("listing %+v", l)
				}
			}
		}
		if items, err := parseBatch(body); err == nil {
			for i := range items {
				confirm(&items[i], cart.StockUpdate{SKU: "S", Quantity: 1})
			}
		}
		decodeError(body)
	})
}

// FuzzLinkHeader: the Link parser must not panic, every target it returns
// must come from the input, and nextPage must only move forward.
func FuzzLinkHeader(f *testing.F) {
	f.Add(`<https://x.example/?page=2>; rel="next", <https://x.example/?page=9>; rel="last"`, 1)
	f.Add(`<a>;rel=next;x="y,z",<b>; rel="prev first"`, 3)
	f.Add(`<`, 0)
	f.Add(`<x>; rel="`, 0)
	f.Fuzz(func(t *testing.T, v string, current int) {
		for rel, target := range parseLinks([]string{v}) {
			if !strings.Contains(v, "<"+target+">") || rel == "" || strings.ContainsAny(rel, " \t") {
				t.Errorf("parseLinks(%q) gave %q → %q", v, rel, target)
			}
		}
		if n, ok := nextPage(http.Header{"Link": {v}}, current); ok && n <= current {
			t.Errorf("nextPage(%q, %d) = %d", v, current, n)
		}
	})
}

// FuzzCursor: a cursor is accepted only in the form encode makes, and a
// page of any shape either fails or moves the keyset forward.
func FuzzCursor(f *testing.F) {
	f.Add("k1.1735689600.2.5-9", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add("k1.0.0.", []byte{})
	f.Fuzz(func(t *testing.T, s string, page []byte) {
		k, err := decodeCursor(s)
		if err != nil {
			return
		}
		if k.encode() != s {
			t.Fatalf("decodeCursor(%q) = %+v, which encodes differently", s, k)
		}
		var keys []keyed
		for len(page) >= 4 {
			keys = append(keys, keyed{id: int64(page[0]%8) + 1, sec: k.from + int64(binary.BigEndian.Uint16(page[1:3])%3)})
			page = page[4:]
		}
		o, excluded := max(0, k.n-1), 0
		if k.n <= len(k.seen) {
			o, excluded = 0, len(k.seen)
		}
		st, err := k.advance(o, excluded, keys, o+len(keys)+1, true, excluded == 0)
		if err != nil || st.drift || st.next == nil {
			return
		}
		if st.next.from < k.from || st.next.from == k.from && st.next.n <= k.n || len(st.next.seen) > perPage {
			t.Errorf("advance(%+v, %v) = %+v: no progress", k, keys, st.next)
		}
		if _, err := decodeCursor(st.next.encode()); err != nil && st.next.from != noBound {
			t.Errorf("next cursor %q does not decode: %v", st.next.encode(), err)
		}
	})
}
