package bigcommerce

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/autosync/autosync/shared/cart"
)

func TestDecimal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"361.9500", "361.95"}, {"7.5", "7.50"}, {"7", "7.00"}, {"0.0000", "0.00"}, {"10.1250", "10.125"},
		{"-0", "0.00"}, {"1e2", "100.00"}, {"", ""},
	}
	for _, tt := range tests {
		if got, ok := decimal(tt.in); !ok || got != tt.want {
			t.Errorf("decimal(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"abc", "NaN", "Inf", "1e400", "12,50"} {
		if got, ok := decimal(bad); ok {
			t.Errorf("decimal(%q) = %q; want a failure", bad, got)
		}
	}
}

func TestAPIMessage(t *testing.T) {
	tests := []struct{ body, want string }{
		{`[{"status":401,"message":"No credentials"}]`, "No credentials"},
		{`{"status":422,"title":"[Item with variant_id 106 is tracked by product]","type":"x","errors":{}}`, "[Item with variant_id 106 is tracked by product]"},
		{`{"status":400,"title":"","detail":"the detail"}`, "the detail"},
		{`{"error":"plain"}`, "plain"},
		{`<html>502</html>`, ""},
		{`[]`, ""},
		{`{"title":"` + strings.Repeat("é", 400) + `"}`, strings.Repeat("é", 150) + "…"},
	}
	for _, tt := range tests {
		if got := apiMessage([]byte(tt.body)); got != tt.want {
			t.Errorf("apiMessage(%.40s) = %q; want %q", tt.body, got, tt.want)
		}
	}
}

func TestConsignmentShapes(t *testing.T) {
	li := `[{"id":1,"sku":"A","quantity":2},{"id":2,"sku":null,"quantity":1,"quantity_refunded":1}]`
	tests := []struct {
		name     string
		raw      string
		lines    []cart.Line
		ordered  int
		complete bool
	}{
		{"object", `{"pickups":[],"shipping":[{"id":9,"line_items":` + li + `}],"downloads":[],"email":{"gift_certificates":[]}}`,
			[]cart.Line{{SKU: "A", Quantity: 2}, {Quantity: 0}}, 3, true},
		{"legacy array", `[{"shipping":[{"line_items":` + li + `}]}]`, []cart.Line{{SKU: "A", Quantity: 2}, {Quantity: 0}}, 3, true},
		{"pickup and shipping", `{"pickups":[{"line_items":[{"sku":"P","quantity":1}]}],"shipping":[{"line_items":[{"sku":"S","quantity":4}]}]}`,
			[]cart.Line{{SKU: "S", Quantity: 4}, {SKU: "P", Quantity: 1}}, 5, true},
		{"only a link", `{"url":"https://api.bigcommerce.com/stores/x/v2/orders/1/consignments","resource":"/orders/1/consignments"}`, nil, 0, false},
		{"line items linked", `{"shipping":[{"line_items":[{"url":"u","resource":"/orders/1/products/1"}]}]}`, nil, 0, false},
		{"digital line items as one link", `{"downloads":[{"recipient_email":"a@b","line_items":{"url":"u","resource":"r"}}]}`, nil, 0, false},
		{"truncated", `{"shipping":[{"line_items":[{"sku":"A","quantity":1}],"__warning__":{"message":"Not all line items"}}]}`,
			[]cart.Line{{SKU: "A", Quantity: 1}}, 1, false},
		{"absent", ``, nil, 0, false},
		{"null", `null`, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, ordered, complete, err := consignmentLines([]byte(tt.raw))
			if err != nil || !slices.Equal(lines, tt.lines) || ordered != tt.ordered || complete != tt.complete {
				t.Errorf("= %v, %d, %v, %v; want %v, %d, %v", lines, ordered, complete, err, tt.lines, tt.ordered, tt.complete)
			}
		})
	}
	for _, bad := range []string{`{"shipping":[{"line_items":[{"sku":"A","quantity":-1}]}]}`, `{"shipping":[{"line_items":[{"sku":"A"}]}]}`,
		`{"shipping":[{"line_items":[{"sku":"A","quantity":1.5}]}]}`, `{"shipping":"x"}`} {
		if _, _, _, err := consignmentLines([]byte(bad)); err == nil {
			t.Errorf("consignmentLines(%s) accepted", bad)
		}
	}
}

func TestParseOrdersCompleteness(t *testing.T) {
	body := `[
	 {"id":100,"status_id":11,"date_modified":"Wed, 10 Jan 2018 21:05:30 +0000","date_created":"Wed, 10 Jan 2018 21:05:30 +0000",
	  "total_inc_tax":"12.5000","currency_code":"usd","items_total":3,"items_shipped":0,
	  "consignments":{"shipping":[{"line_items":[{"sku":"A","quantity":3}]}]}},
	 {"id":101,"status_id":9,"date_modified":"2018-01-10T21:05:30+00:00","items_total":5,
	  "consignments":{"shipping":[{"line_items":[{"sku":"A","quantity":3}]}]}},
	 {"id":99,"status_id":9,"date_modified":"Wed, 10 Jan 2018 21:05:30 +0000"}
	]`
	p, err := parseOrders([]byte(body), 99, 11)
	if err != nil {
		t.Fatal(err)
	}
	if p.count != 3 || p.last != 101 || len(p.orders) != 2 || !slices.Equal(p.more, []int{1}) {
		t.Fatalf("page %+v", p)
	}
	o := p.orders[0]
	want := time.Date(2018, 1, 10, 21, 5, 30, 0, time.UTC)
	if o.ExternalID != "100" || o.Number != "#100" || o.Total != "12.50" || o.Currency != "USD" || !o.UpdatedAt.Equal(want) ||
		o.CartStatus != "Awaiting Fulfillment" || o.Filter != cart.AwaitingFulfillment {
		t.Errorf("order %+v", o)
	}
	if p, err := parseOrders(nil, 0, 11); err != nil || p.count != 0 || len(p.orders) != 0 {
		t.Errorf("204 page: %+v, %v", p, err)
	}
}

// FuzzParseOrders feeds outside input to the order parsers: they must not
// panic, and what they accept must be usable.
func FuzzParseOrders(f *testing.F) {
	f.Add([]byte(`[{"id":100,"status_id":11,"status":"Awaiting Fulfillment","date_modified":"Wed, 10 Jan 2018 21:05:30 +0000","date_created":"Wed, 10 Jan 2018 21:05:30 +0000","total_inc_tax":"361.9500","currency_code":"USD","items_total":17,"items_shipped":0,"consignments":{"pickups":[],"shipping":[{"id":9,"line_items":[{"id":1,"sku":"S-GREE","quantity":17,"quantity_refunded":0}],"items_total":17}],"downloads":[],"email":{"gift_certificates":[]}}}]`), int64(0))
	f.Add([]byte(`[{"id":5100000001,"status_id":2,"date_modified":"2018-01-10T21:05:30Z","items_total":"2","items_shipped":2.0,"consignments":[{"shipping":[{"line_items":[{"sku":null,"quantity":"2"}],"__warning__":{"message":"x"}}]}]}]`), int64(1))
	f.Add([]byte(`[{"id":7,"status_id":14,"date_modified":"Wed, 10 Jan 2018 21:05:30 +0000","consignments":{"url":"u"}}]`), int64(7))
	f.Add([]byte(``), int64(0))
	f.Add([]byte(`[{"id":1,"sku":"A","quantity":1}]`), int64(0))
	f.Add([]byte(`{"id":100,"status_id":5,"date_modified":"Wed, 10 Jan 2018 21:05:30 +0000"}`), int64(0))
	f.Fuzz(func(t *testing.T, body []byte, after int64) {
		if after < 0 {
			after = -after
		}
		check := func(o cart.Order) {
			if n, err := strconv.ParseInt(o.ExternalID, 10, 64); err != nil || n <= 0 {
				t.Errorf("accepted order id %q", o.ExternalID)
			}
			if !cart.ValidFilter(o.Filter) || o.UpdatedAt.IsZero() || o.CartStatus == "" {
				t.Errorf("accepted order %+v", o)
			}
			if _, ok := decimal(o.Total); !ok {
				t.Errorf("accepted total %q", o.Total)
			}
			for _, l := range o.Lines {
				if l.Quantity < 0 {
					t.Errorf("accepted line %+v", l)
				}
			}
		}
		if p, err := parseOrders(body, after, 11); err == nil {
			if p.last < after || len(p.orders) > p.count {
				t.Errorf("page %+v after %d", p, after)
			}
			for _, i := range p.more {
				if i < 0 || i >= len(p.orders) {
					t.Errorf("more index %d of %d", i, len(p.orders))
				}
			}
			for _, o := range p.orders {
				check(o)
				if n, _ := strconv.ParseInt(o.ExternalID, 10, 64); n <= after {
					t.Errorf("order %s repeats the previous page (after %d)", o.ExternalID, after)
				}
			}
		}
		if o, _, err := parseOrder(body); err == nil {
			check(o)
		}
		if lines, n, err := parseOrderProducts(body); err == nil {
			if len(lines) != n {
				t.Errorf("%d lines of %d", len(lines), n)
			}
			for _, l := range lines {
				if l.Quantity < 0 {
					t.Errorf("accepted line %+v", l)
				}
			}
		}
		if m := apiMessage(body); len(m) > 303 || !utf8.ValidString(m) && utf8.Valid(body) {
			t.Errorf("message %q", m)
		}
	})
}

// FuzzParseProducts does the same for the catalog parser.
func FuzzParseProducts(f *testing.F) {
	f.Add([]byte(`{"data":[{"id":111,"name":"Jar","price":7.95,"inventory_level":3,"inventory_tracking":"product","date_modified":"2018-09-05T20:42:07+00:00","variants":[{"id":301,"sku":"J-1","price":null,"inventory_level":3,"option_values":[]}],"images":[{"id":2,"sort_order":1,"url_zoom":"https://cdn11.bigcommerce.com/a.jpg"},{"id":1,"sort_order":0,"url_standard":"https://cdn11.bigcommerce.com/b.jpg"}]}],"meta":{"pagination":{"total":1,"count":1,"per_page":250,"current_page":1,"total_pages":1}}}`))
	f.Add([]byte(`{"data":[{"id":112,"name":"Tee","price":"10","inventory_tracking":"variant","date_modified":"2018-09-05T20:42:07Z","variants":[{"id":5,"sku":"T-S","price":12.5,"inventory_level":1,"image_url":"https://x/y.jpg","option_values":[{"label":"S","option_display_name":"Size"}]},{"id":6,"sku":"","inventory_level":2}]}],"meta":{}}`))
	f.Add([]byte(`{"data":[],"meta":{"pagination":{"current_page":1,"total_pages":0}}}`))
	f.Add([]byte(`{"status":422,"title":"bad"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parseProducts(body, productsPageSize)
		if err != nil {
			return
		}
		for _, l := range p.listings {
			pid, err1 := strconv.ParseInt(l.Link.ProductID, 10, 64)
			vid, err2 := strconv.ParseInt(l.Link.VariantID, 10, 64)
			if l.SKU == "" || strings.TrimSpace(l.SKU) != l.SKU || err1 != nil || err2 != nil || pid <= 0 || vid <= 0 || pid > p.last || l.UpdatedAt.IsZero() {
				t.Errorf("accepted listing %+v (last %d)", l, p.last)
			}
			if _, ok := decimal(l.Price); !ok {
				t.Errorf("accepted price %q", l.Price)
			}
			for _, u := range l.Images {
				if len(cart.AppendImages(nil, u)) != 1 { // not an absolute http(s) URL
					t.Errorf("accepted image %q", u)
				}
			}
		}
	})
}

// FuzzRateHeaders feeds arbitrary rate headers to the parser and the pacer:
// no panic, sane values, and waits that stay within the window.
func FuzzRateHeaders(f *testing.F) {
	f.Add("150", "35", "30000", "15000", int64(0))
	f.Add("150", "0", "30000", "1", int64(5))
	f.Add("", "1", "30000", "0", int64(0))
	f.Add("1000000", "999999", "0", "3600000", int64(100))
	f.Add("-1", "x", "1e3", " 5", int64(0))
	f.Fuzz(func(t *testing.T, quota, left, window, reset string, later int64) {
		h := http.Header{}
		h.Set(hdrQuota, quota)
		h.Set(hdrLeft, left)
		h.Set(hdrWindow, window)
		h.Set(hdrReset, reset)
		rs, ok := parseRate(h)
		if !ok {
			return
		}
		if rs.quota <= 0 || rs.left < 0 || rs.left > rs.quota || rs.window <= 0 || rs.window > maxRateDuration ||
			rs.resetIn < 0 || rs.resetIn > rs.window {
			t.Fatalf("parsed %+v", rs)
		}
		p := pacer{margin: 20 * time.Millisecond}
		t0 := time.Unix(1_700_000_000, 0)
		p.observe(t0, rs)
		now := t0.Add(time.Duration(later%int64(2*time.Hour)) * time.Nanosecond)
		if later < 0 {
			now = t0
		}
		for range 3 {
			w := p.reserve(now)
			if w < 0 || w > rs.window+rs.resetIn+p.margin {
				t.Fatalf("wait %v with %+v", w, rs)
			}
			now = now.Add(w)
		}
	})
}

// FuzzRejection: attributing a 422 to items must not panic, and an item it
// names is named in the title.
func FuzzRejection(f *testing.F) {
	f.Add("[Item with variant_id 106 is tracked by product, please update stock by product id]", "variant_id 106")
	f.Add("[Item with sku A-1 does not exist, Item with sku A does not exist]", "sku A")
	f.Add("", "sku ")
	f.Add("variant_id 1", "variant_id 1")
	f.Fuzz(func(t *testing.T, title, identity string) {
		msg, ok := rejection(title, identity)
		if ok && (identity == "" || !strings.Contains(title, identity) || msg == "") {
			t.Errorf("rejection(%q, %q) = %q", title, identity, msg)
		}
		if !ok && msg != "" {
			t.Errorf("message %q without a match", msg)
		}
	})
}

// FuzzOrderCursor: a saved cursor is outside input too.
func FuzzOrderCursor(f *testing.F) {
	f.Add("o1.11,9,8.0.0")
	f.Add("o1.5,4,6.2.5100000001")
	f.Add("o1.011.0.1")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseOrderCursor(s)
		if err != nil {
			return
		}
		if len(c.statuses) == 0 || c.index < 0 || c.index >= len(c.statuses) || c.after < 0 {
			t.Fatalf("accepted %q as %+v", s, c)
		}
		back, err := parseOrderCursor(c.String())
		if err != nil || !slices.Equal(back.statuses, c.statuses) || back.index != c.index || back.after != c.after {
			t.Errorf("%q: round trip %+v → %q → %+v, %v", s, c, c.String(), back, err)
		}
	})
}

// TestVariantImagesFirst: a variant's own image leads its listing's
// images unless the product already lists it, which keeps the product's
// order.
func TestVariantImagesFirst(t *testing.T) {
	for variant, want := range map[string][]string{
		"https://x/c.jpg": {"https://x/c.jpg", "https://x/a.jpg", "https://x/b.jpg"},
		"https://x/b.jpg": {"https://x/a.jpg", "https://x/b.jpg"},
		"":                {"https://x/a.jpg", "https://x/b.jpg"},
		"/relative.jpg":   {"https://x/a.jpg", "https://x/b.jpg"},
	} {
		body := `{"data":[{"id":112,"name":"Tee","price":"10","inventory_tracking":"variant","date_modified":"2018-09-05T20:42:07Z",
			"images":[{"id":2,"sort_order":1,"url_zoom":"https://x/b.jpg"},{"id":1,"sort_order":0,"url_zoom":"https://x/a.jpg"}],
			"variants":[{"id":5,"sku":"T-S","price":12.5,"inventory_level":1,"image_url":"` + variant + `"}]}],"meta":{}}`
		p, err := parseProducts([]byte(body), productsPageSize)
		if err != nil || len(p.listings) != 1 {
			t.Fatalf("%q: %+v, %v", variant, p, err)
		}
		if got := p.listings[0].Images; !slices.Equal(got, want) {
			t.Errorf("variant image %q: images %q, want %q", variant, got, want)
		}
	}
}
