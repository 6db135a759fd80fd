package bigcommercesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/clock"
)

func newClock() *clock.Fake { return clock.NewFake(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)) }

const token = "test-token"

type fixture struct {
	sim *Server
	url string
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	opts.AccessToken = token
	if opts.Limit == (Limit{}) {
		opts.Limit = Limit{Requests: 1_000_000, Window: time.Hour}
	}
	sim := New(opts)
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	return &fixture{sim: sim, url: ts.URL + "/stores/" + sim.StoreHash()}
}

func (f *fixture) do(t *testing.T, method, path string, body any, tok string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if tok != "" {
		req.Header.Set("X-Auth-Token", tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func (f *fixture) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	return f.do(t, http.MethodGet, path, nil, token)
}

type v2Order struct {
	ID           int64           `json:"id"`
	StatusID     int             `json:"status_id"`
	Status       string          `json:"status"`
	DateModified string          `json:"date_modified"`
	ItemsTotal   int             `json:"items_total"`
	TotalIncTax  string          `json:"total_inc_tax"`
	Consignments json.RawMessage `json:"consignments"`
}

func decodeOrders(t *testing.T, b []byte) []v2Order {
	t.Helper()
	var out []v2Order
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("orders %s: %v", b, err)
	}
	return out
}

func TestAuthAndStore(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name, path, tok string
		status          int
		v2              bool
	}{
		{"v2 no token", "/v2/orders", "", 401, true},
		{"v2 wrong token", "/v2/orders", "nope", 401, true},
		{"v3 no token", "/v3/catalog/products", "", 401, false},
		{"unknown path", "/v3/nothing", token, 404, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := f.do(t, http.MethodGet, tt.path, nil, tt.tok)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d; want %d: %s", resp.StatusCode, tt.status, b)
			}
			if tt.v2 {
				var e []struct {
					Status  int    `json:"status"`
					Message string `json:"message"`
				}
				if json.Unmarshal(b, &e) != nil || len(e) != 1 || e[0].Status != tt.status || e[0].Message == "" {
					t.Errorf("v2 error body %s", b)
				}
			} else {
				var e struct {
					Status int    `json:"status"`
					Title  string `json:"title"`
					Type   string `json:"type"`
				}
				if json.Unmarshal(b, &e) != nil || e.Status != tt.status || e.Title == "" || e.Type == "" {
					t.Errorf("v3 error body %s", b)
				}
			}
		})
	}
	req, _ := http.NewRequest(http.MethodGet, strings.Replace(f.url, f.sim.StoreHash(), "otherstore", 1)+"/v2/orders", nil)
	req.Header.Set("X-Auth-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("another store's hash: %d; want 404", resp.StatusCode)
	}
	if st := f.sim.Stats(); st.Unauthorized != 3 {
		t.Errorf("Unauthorized = %d; want 3", st.Unauthorized)
	}
}

func TestFixedWindow(t *testing.T) {
	clk := newClock()
	f := newFixture(t, Options{Now: clk.Now, Limit: Limit{Requests: 3, Window: 30 * time.Second}})
	check := func(resp *http.Response, status int, left, reset string) {
		t.Helper()
		h := resp.Header
		if resp.StatusCode != status || h.Get("X-Rate-Limit-Requests-Left") != left || h.Get("X-Rate-Limit-Time-Reset-Ms") != reset ||
			h.Get("X-Rate-Limit-Requests-Quota") != "3" || h.Get("X-Rate-Limit-Time-Window-Ms") != "30000" {
			t.Errorf("status %d headers %v; want %d left %s reset %s", resp.StatusCode, h, status, left, reset)
		}
	}
	resp, _ := f.get(t, "/v3/catalog/products")
	check(resp, 200, "2", "30000")
	clk.Add(10 * time.Second)
	resp, _ = f.get(t, "/v2/orders")
	check(resp, 204, "1", "20000")
	resp, _ = f.get(t, "/v2/orders")
	check(resp, 204, "0", "20000")
	clk.Add(5*time.Second + 500*time.Microsecond)
	resp, b := f.get(t, "/v2/orders")
	check(resp, 429, "0", "15000") // rounded up
	if !strings.Contains(string(b), "Too many requests") {
		t.Errorf("429 body %s", b)
	}
	clk.Add(15 * time.Second)
	resp, _ = f.get(t, "/v2/orders")
	check(resp, 204, "2", "30000")
	st := f.sim.Stats()
	if st.RateLimited != 1 || st.Requests != 5 || st.ByEndpoint["GET /v2/orders"] != 4 || st.ByEndpoint["GET /v3/catalog/products"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaults(t *testing.T) {
	f := newFixture(t, Options{Limit: Limit{Requests: 100, Window: time.Minute}})
	f.sim.SetFaults(Faults{RateLimitStorm: 1, Overload: 1, ServerErrors: 3})
	resp, _ := f.get(t, "/v2/orders")
	if resp.StatusCode != 429 || resp.Header.Get("X-Rate-Limit-Requests-Left") != "0" || resp.Header.Get("X-Rate-Limit-Time-Reset-Ms") == "" {
		t.Errorf("storm: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = f.get(t, "/v2/orders")
	if resp.StatusCode != 429 || resp.Header.Get("X-Rate-Limit-Requests-Left") != "" {
		t.Errorf("overload: %d %v", resp.StatusCode, resp.Header)
	}
	for _, want := range []int{500, 502, 503} {
		if resp, _ := f.get(t, "/v2/orders"); resp.StatusCode != want {
			t.Errorf("server error %d; want %d", resp.StatusCode, want)
		}
	}
	f.sim.SetFaults(Faults{Drop: 1})
	req, _ := http.NewRequest(http.MethodGet, f.url+"/v2/orders", nil)
	req.Header.Set("X-Auth-Token", token)
	// A fresh connection: Go's transport re-sends a GET whose reused
	// connection closes, which would hide the drop.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := fresh.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped connection answered %d", resp.StatusCode)
	}
	want := FaultCounts{RateLimitStorm: 1, Overload: 1, ServerErrors: 3, Drop: 1}
	if got := f.sim.Stats().Faults; got != want {
		t.Errorf("faults %+v; want %+v", got, want)
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	clk := newClock()
	a := New(Options{Now: clk.Now})
	b := New(Options{Now: clk.Now})
	a.Seed(500, 7)
	b.Seed(500, 7)
	oa, ob := a.Orders(), b.Orders()
	if len(oa) != 500 || fmt.Sprint(oa) != fmt.Sprint(ob) {
		t.Fatal("the same seed gave different orders")
	}
	if fmt.Sprint(a.Quantities()) != fmt.Sprint(b.Quantities()) || len(a.Quantities()) != 60 {
		t.Fatal("the same SKUs gave different catalogs")
	}
	counts := map[int]int{}
	for _, o := range oa {
		counts[o.StatusID]++
		if o.ItemsTotal == 0 || o.Total == "" {
			t.Errorf("order %+v", o)
		}
	}
	for _, s := range []int{AwaitingFulfillment, AwaitingShipment, AwaitingPickup, Shipped, Cancelled, Refunded, PartiallyShipped} {
		if counts[s] == 0 {
			t.Errorf("no orders in status %d (%s)", s, StatusNames[s])
		}
	}
	if n := len(a.Importable()); n < 200 || n > 300 {
		t.Errorf("%d of 500 importable; want about half", n)
	}
}

func TestListOrders(t *testing.T) {
	clk := newClock()
	f := newFixture(t, Options{Now: clk.Now})
	var ids []string
	for i := range 5 {
		ids = append(ids, f.sim.CreateOrder([]cart.Line{{SKU: "SKU-0001", Quantity: i + 1}}))
		clk.Add(time.Second)
	}
	if err := f.sim.ShipOrder(ids[1]); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	rfc := func(t time.Time) string { return url.QueryEscape(t.Format(time.RFC1123Z)) }
	iso := func(t time.Time) string { return url.QueryEscape(t.Format("2006-01-02T15:04:05.000-07:00")) }
	tests := []struct {
		name  string
		query string
		want  []int // indexes into ids
	}{
		{"all", "", []int{0, 1, 2, 3, 4}},
		{"status", "status_id=11", []int{0, 2, 3, 4}},
		{"shipped", "status_id=2", []int{1}},
		{"min_id inclusive", "min_id=" + ids[2], []int{2, 3, 4}},
		{"max_id inclusive", "max_id=" + ids[1], []int{0, 1}},
		{"dates inclusive, RFC-2822", "min_date_modified=" + rfc(t0.Add(time.Second)) + "&max_date_modified=" + rfc(t0.Add(3*time.Second)), []int{2, 3}},
		{"dates ISO-8601 with offset", "min_date_modified=" + iso(t0.In(time.FixedZone("", -4*3600)).Add(2*time.Second)) + "&status_id=11", []int{2, 3, 4}},
		{"shipped order modified later", "min_date_modified=" + rfc(t0.Add(5*time.Second)), []int{1}},
		{"sort desc", "sort=id:desc&limit=2", []int{4, 3}},
		{"sort date_modified", "sort=date_modified:asc", []int{0, 2, 3, 4, 1}},
		{"page 2", "limit=2&page=2", []int{2, 3}},
		{"page past the end", "limit=2&page=9", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := f.get(t, "/v2/orders?"+tt.query)
			if tt.want == nil {
				if resp.StatusCode != http.StatusNoContent || len(b) != 0 {
					t.Fatalf("status %d body %q; want 204 and no body", resp.StatusCode, b)
				}
				return
			}
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			var got []string
			for _, o := range decodeOrders(t, b) {
				got = append(got, strconv.FormatInt(o.ID, 10))
			}
			var want []string
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v; want %v", got, want)
			}
		})
	}
	for _, q := range []string{"status_id=x", "min_date_modified=yesterday", "sort=total", "page=0", "limit=-1"} {
		if resp, _ := f.get(t, "/v2/orders?"+q); resp.StatusCode != 400 {
			t.Errorf("%s: status %d; want 400", q, resp.StatusCode)
		}
	}
}

func TestOrderConsignments(t *testing.T) {
	f := newFixture(t, Options{})
	lines := make([]cart.Line, 60)
	for i := range lines {
		lines[i] = cart.Line{SKU: fmt.Sprintf("SKU-%04d", 1+i%60), Quantity: 1}
	}
	big := f.sim.CreateOrder(lines)
	small := f.sim.CreateOrder(nil)

	_, b := f.get(t, "/v2/orders/"+small)
	var o map[string]any
	json.Unmarshal(b, &o)
	if c, _ := o["consignments"].(map[string]any); c["resource"] != "/orders/"+small+"/consignments" {
		t.Errorf("without include, consignments = %v", o["consignments"])
	}

	_, b = f.get(t, "/v2/orders/"+big+"?include=consignments.line_items&consignment_structure=object")
	var full struct {
		ItemsTotal   int `json:"items_total"`
		Consignments struct {
			Shipping []struct {
				LineItems []struct {
					SKU      string `json:"sku"`
					Quantity int    `json:"quantity"`
				} `json:"line_items"`
				Warning *struct {
					Message string `json:"message"`
				} `json:"__warning__"`
			} `json:"shipping"`
		} `json:"consignments"`
	}
	if err := json.Unmarshal(b, &full); err != nil {
		t.Fatal(err)
	}
	sh := full.Consignments.Shipping
	if full.ItemsTotal != 60 || len(sh) != 1 || len(sh[0].LineItems) != 50 || sh[0].Warning == nil ||
		!strings.Contains(sh[0].Warning.Message, "/v2/orders/{order_id}/products") {
		t.Errorf("big order: items_total %d, consignments %+v", full.ItemsTotal, sh)
	}

	_, b = f.get(t, "/v2/orders/"+big+"?include=consignments.line_items")
	var legacy []map[string]any
	if err := json.Unmarshal(mustField(t, b, "consignments"), &legacy); err != nil || len(legacy) != 1 {
		t.Errorf("legacy structure: %v", err)
	}

	var got []cart.Line
	for page := 1; ; page++ {
		resp, b := f.get(t, fmt.Sprintf("/v2/orders/%s/products?limit=25&page=%d", big, page))
		if resp.StatusCode == 204 {
			break
		}
		var ps []cart.Line
		json.Unmarshal(b, &ps)
		got = append(got, ps...)
	}
	if !slices.Equal(got, lines) {
		t.Errorf("products: %v", got)
	}
	if resp, b := f.get(t, "/v2/orders/99999"); resp.StatusCode != 404 || !strings.Contains(string(b), "not found") {
		t.Errorf("unknown order: %d %s", resp.StatusCode, b)
	}
}

func mustField(t *testing.T, b []byte, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m[name]
}

func TestProducts(t *testing.T) {
	var skus []string
	for i := range 700 {
		skus = append(skus, fmt.Sprintf("V-%d", i))
	}
	f := newFixture(t, Options{SKUs: skus})
	seen := map[string]bool{}
	var after int64
	pages := 0
	for {
		resp, b := f.get(t, fmt.Sprintf("/v3/catalog/products?include=variants,images&limit=250&sort=id&direction=asc&id:greater=%d", after))
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		pages++
		var d struct {
			Data []struct {
				ID                int64  `json:"id"`
				InventoryTracking string `json:"inventory_tracking"`
				Variants          []struct {
					ID             int64  `json:"id"`
					SKU            string `json:"sku"`
					InventoryLevel int    `json:"inventory_level"`
				} `json:"variants"`
				Images []struct {
					URLZoom string `json:"url_zoom"`
				} `json:"images"`
			} `json:"data"`
			Meta struct {
				Pagination struct {
					Total       int `json:"total"`
					CurrentPage int `json:"current_page"`
					TotalPages  int `json:"total_pages"`
				} `json:"pagination"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		for _, p := range d.Data {
			if p.ID <= after || len(p.Variants) == 0 || p.Images == nil {
				t.Errorf("product %+v after %d", p, after)
			}
			after = p.ID
			for _, v := range p.Variants {
				seen[v.SKU] = true
			}
		}
		if d.Meta.Pagination.CurrentPage >= d.Meta.Pagination.TotalPages {
			break
		}
	}
	if len(seen) != 700 || pages < 2 {
		t.Errorf("saw %d SKUs in %d pages", len(seen), pages)
	}
}

func TestAdjustments(t *testing.T) {
	f := newFixture(t, Options{})
	vs := f.sim.Variants()
	var byProduct, byVariantInOptions Variant
	for _, v := range vs {
		if v.TrackedBy == "product" && byProduct.SKU == "" {
			byProduct = v
		}
		if v.TrackedBy == "variant" && byVariantInOptions.SKU == "" {
			byVariantInOptions = v
		}
	}
	item := func(kv ...any) map[string]any {
		m := map[string]any{"location_id": 1}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	put := func(items ...map[string]any) (int, string) {
		resp, b := f.do(t, http.MethodPut, "/v3/inventory/adjustments/absolute", map[string]any{"reason": "test", "items": items}, token)
		var p struct {
			Title string `json:"title"`
		}
		json.Unmarshal(b, &p)
		if resp.StatusCode == 422 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("422 content type %q", resp.Header.Get("Content-Type"))
		}
		return resp.StatusCode, p.Title
	}

	if s, title := put(item("variant_id", byProduct.VariantID, "quantity", 7), item("sku", byVariantInOptions.SKU, "quantity", 8)); s != 200 {
		t.Fatalf("status %d %s", s, title)
	}
	q := f.sim.Quantities()
	if q[byProduct.SKU] != 7 || q[byVariantInOptions.SKU] != 8 {
		t.Fatalf("quantities %d %d", q[byProduct.SKU], q[byVariantInOptions.SKU])
	}

	before := f.sim.Quantities()
	s, title := put(
		item("variant_id", byProduct.VariantID, "quantity", 1),
		item("variant_id", 999999, "quantity", 1),
		item("product_id", byVariantInOptions.ProductID, "quantity", 1),
		item("sku", "NOPE", "quantity", 1),
		map[string]any{"location_id": 7, "variant_id": byProduct.VariantID, "quantity": 1},
		item("variant_id", byProduct.VariantID, "quantity", -1),
	)
	want := fmt.Sprintf("[Item with variant_id 999999 does not exist, Item with product_id %d is tracked by variant, please update stock by variant id or sku, "+
		"Item with sku NOPE does not exist, Location with id 7 does not exist, Item with variant_id %d has an invalid quantity -1: it must be between 0 and 2147483647]",
		byVariantInOptions.ProductID, byProduct.VariantID)
	if s != 422 || title != want {
		t.Errorf("rejection: %d\n%s\nwant\n%s", s, title, want)
	}
	if fmt.Sprint(f.sim.Quantities()) != fmt.Sprint(before) {
		t.Error("a rejected payload changed stock")
	}

	f.sim.FailSKU(byProduct.SKU, 2)
	for range 2 {
		if s, title := put(item("sku", byProduct.SKU, "quantity", 3)); s != 422 || !strings.Contains(title, "sku "+byProduct.SKU) {
			t.Errorf("FailSKU: %d %s", s, title)
		}
	}
	if s, _ := put(item("sku", byProduct.SKU, "quantity", 3)); s != 200 || f.sim.Quantities()[byProduct.SKU] != 3 {
		t.Errorf("after FailSKU ran out: %d", s)
	}

	many := make([]map[string]any, MaxAdjustmentItems+1)
	for i := range many {
		many[i] = item("variant_id", byProduct.VariantID, "quantity", i)
	}
	if s, title := put(many...); s != 422 || !strings.Contains(title, "2000") {
		t.Errorf("2001 items: %d %s", s, title)
	}
	if s, _ := put(many[:MaxAdjustmentItems]...); s != 200 || f.sim.Quantities()[byProduct.SKU] != MaxAdjustmentItems-1 {
		t.Errorf("2000 items: %d; the last one applied last", s)
	}
	st := f.sim.Stats()
	if st.Adjusted != 2+1+MaxAdjustmentItems || st.Rejected != 5+2 {
		t.Errorf("stats adjusted %d rejected %d", st.Adjusted, st.Rejected)
	}

	resp, b := f.get(t, "/v3/inventory/locations/1/items?limit=1000")
	var items struct {
		Data []struct {
			Identity struct {
				SKU string `json:"sku"`
			} `json:"identity"`
			AvailableToSell int `json:"available_to_sell"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &items); err != nil || resp.StatusCode != 200 || len(items.Data) != len(vs) {
		t.Fatalf("location items: %d %v %d", resp.StatusCode, err, len(items.Data))
	}
	q = f.sim.Quantities()
	for _, it := range items.Data {
		if q[it.Identity.SKU] != it.AvailableToSell {
			t.Errorf("%s: %d; Quantities says %d", it.Identity.SKU, it.AvailableToSell, q[it.Identity.SKU])
		}
	}
	if resp, _ := f.get(t, "/v3/inventory/locations/2/items"); resp.StatusCode != 404 {
		t.Errorf("unknown location: %d", resp.StatusCode)
	}
}
