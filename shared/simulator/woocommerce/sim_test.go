package woocommercesim

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

const key, secret = "ck_test", "cs_test"

func start(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	if opts.ConsumerKey == "" {
		opts.ConsumerKey, opts.ConsumerSecret = key, secret
	}
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL + APIRoot
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
}

func (r result) wpErr(t *testing.T) wpError {
	t.Helper()
	var e wpError
	r.json(t, &e)
	return e
}

// call sends a request with Basic auth unless auth is "query" or "none".
func call(t *testing.T, method, u, auth string, body any) result {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	if auth == "query" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "consumer_key=" + key + "&consumer_secret=" + secret
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth == "basic" {
		req.SetBasicAuth(key, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header, b}
}

func TestAuth(t *testing.T) {
	_, api := start(t, Options{})
	_, stripped := start(t, Options{StripAuthorization: true})
	tests := []struct {
		name   string
		url    string
		auth   string
		user   string
		status int
		code   string
	}{
		{"basic", api + "/orders", "basic", "", 200, ""},
		{"query string", api + "/orders", "query", "", 200, ""},
		{"none", api + "/orders", "none", "", 401, "woocommerce_rest_cannot_view"},
		{"none, one order", api + "/orders/5", "none", "", 401, "woocommerce_rest_cannot_view"},
		// A key the store does not have sets no error: the request runs as
		// a visitor, refused as one without keys.
		{"wrong key", api + "/orders", "basic", "ck_other:" + secret, 401, "woocommerce_rest_cannot_view"},
		{"wrong secret", api + "/orders", "basic", key + ":cs_other", 401, "woocommerce_rest_authentication_error"},
		{"header stripped", stripped + "/orders", "basic", "", 401, "woocommerce_rest_cannot_view"},
		{"header stripped, query string", stripped + "/orders", "query", "", 200, ""},
		{"no route", api + "/nothing", "none", "", 404, "rest_no_route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r result
			if tt.user != "" {
				u, _ := url.Parse(tt.url)
				k, s, _ := strings.Cut(tt.user, ":")
				u.User = url.UserPassword(k, s)
				r = call(t, "GET", u.String(), "none", nil)
			} else {
				r = call(t, "GET", tt.url, tt.auth, nil)
			}
			if r.status != tt.status {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if tt.code != "" {
				if e := r.wpErr(t); e.Code != tt.code || e.Data["status"] != float64(tt.status) || e.Message == "" {
					t.Errorf("error %+v; want code %s", e, tt.code)
				}
			}
		})
	}
	// Writes without keys are refused before anything changes.
	s, api2 := start(t, Options{})
	before := s.Quantities()
	r := call(t, "POST", api2+"/products/batch", "none", map[string]any{"update": []any{map[string]any{"id": 1001, "stock_quantity": 0}}})
	if r.status != 401 || r.wpErr(t).Code != "woocommerce_rest_cannot_batch" {
		t.Errorf("unauthenticated batch: %d %s", r.status, r.body)
	}
	if !mapsEqual(before, s.Quantities()) {
		t.Error("an unauthenticated batch changed stock")
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

type orderOut struct {
	ID              int64  `json:"id"`
	Status          string `json:"status"`
	DateModified    string `json:"date_modified"`
	DateModifiedGMT string `json:"date_modified_gmt"`
	LineItems       []struct {
		SKU         string `json:"sku"`
		Quantity    int    `json:"quantity"`
		ProductID   int64  `json:"product_id"`
		VariationID int64  `json:"variation_id"`
	} `json:"line_items"`
}

func TestOrdersParameters(t *testing.T) {
	clk := newClock()
	s, api := start(t, Options{Now: clk.Now})
	s.Seed(300, 7)
	var made []string
	for range 5 {
		clk.Add(time.Second)
		made = append(made, s.CreateOrder(nil))
	}
	get := func(q string) ([]orderOut, result) {
		r := call(t, "GET", api+"/orders?"+q, "basic", nil)
		var out []orderOut
		if r.status == 200 {
			r.json(t, &out)
		}
		return out, r
	}
	// The status forms WordPress accepts are the same filter.
	a, ra := get("status=processing,on-hold&per_page=100")
	b, _ := get("status=processing&status=on-hold&per_page=100")
	c, _ := get("status[]=on-hold&status[]=processing&per_page=100")
	if len(a) == 0 || len(a) != len(b) || len(a) != len(c) {
		t.Errorf("status forms gave %d, %d, %d orders", len(a), len(b), len(c))
	}
	for _, o := range a {
		if o.Status != Processing && o.Status != OnHold {
			t.Errorf("status filter let %s through", o.Status)
		}
	}
	total, _ := strconv.Atoi(ra.header.Get("X-WP-Total"))
	if pages, _ := strconv.Atoi(ra.header.Get("X-WP-TotalPages")); total < len(a) || pages != (total+99)/100 {
		t.Errorf("X-WP-Total %d, X-WP-TotalPages %d", total, pages)
	}
	// Page 2 links to 1 and 3; the last page has no next.
	_, r := get("status=processing,on-hold&per_page=10&page=2")
	links := strings.Join(r.header.Values("Link"), ", ")
	if !strings.Contains(links, `?page=1&per_page=10&status=processing%2Con-hold>; rel="prev"`) || !strings.Contains(links, `?page=3&per_page=10&status=processing%2Con-hold>; rel="next"`) {
		t.Errorf("Link: %s", links)
	}
	last := (total + 9) / 10
	if _, r := get(fmt.Sprintf("status=processing,on-hold&per_page=10&page=%d", last)); strings.Contains(strings.Join(r.header.Values("Link"), ","), "next") {
		t.Errorf("the last page links to a next one")
	}
	// Default: ten per page, newest first, all statuses but trash.
	d, r := get("")
	if len(d) != 10 || r.header.Get("X-WP-Total") != strconv.Itoa(305) || d[0].ID != mustInt(made[4]) {
		t.Errorf("default page: %d orders, total %s, first %d", len(d), r.header.Get("X-WP-Total"), d[0].ID)
	}
	// Modified window, exclusive at both ends, GMT or site-local.
	gmt := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }
	t1 := clk.Now().Add(-3 * time.Second) // made[1]
	t3 := clk.Now().Add(-1 * time.Second) // made[3]
	w, _ := get("dates_are_gmt=true&modified_after=" + gmt(t1.Add(-time.Second)) + "&modified_before=" + gmt(t3) + "&orderby=modified&order=asc")
	if len(w) != 2 || w[0].ID != mustInt(made[1]) || w[1].ID != mustInt(made[2]) {
		t.Errorf("GMT window gave %v", idsOf(w))
	}
	local := t1.Add(-time.Second).In(time.FixedZone("", -3*3600)).Format("2006-01-02T15:04:05")
	l, _ := get("modified_after=" + local + "&orderby=modified&order=asc")
	if len(l) != 4 || l[0].ID != mustInt(made[1]) {
		t.Errorf("local window gave %v", idsOf(l))
	}
	z, _ := get("dates_are_gmt=true&modified_after=" + url.QueryEscape(t1.Add(-time.Second).In(time.FixedZone("", 3600)).Format(time.RFC3339)) + "&orderby=modified&order=asc")
	if len(z) != 4 {
		t.Errorf("a zoned modified_after gave %v", idsOf(z))
	}
	if l[0].DateModified == l[0].DateModifiedGMT {
		t.Errorf("local and GMT dates agree: %s", l[0].DateModified)
	}
	// Offset, as WordPress takes it: instead of page, totals unchanged.
	o, r := get("orderby=modified&order=asc&per_page=3&offset=302&page=7")
	if len(o) != 3 || o[0].ID != mustInt(made[2]) || r.header.Get("X-WP-Total") != "305" {
		t.Errorf("offset page %v, total %s", idsOf(o), r.header.Get("X-WP-Total"))
	}
	// _fields keeps only what is named (and id).
	r = call(t, "GET", api+"/orders?per_page=1&_fields=status,line_items", "basic", nil)
	var m []map[string]any
	r.json(t, &m)
	if len(m) != 1 || len(m[0]) != 3 || m[0]["id"] == nil || m[0]["line_items"] == nil {
		t.Errorf("_fields gave %v", m)
	}
	// Invalid parameters.
	for q, param := range map[string]string{
		"per_page=101": "per_page", "per_page=0": "per_page", "page=0": "page", "page=x": "page",
		"status=shipped": "status", "orderby=price": "orderby", "order=up": "order",
		"modified_after=yesterday": "modified_after", "dates_are_gmt=maybe": "dates_are_gmt",
	} {
		_, r := get(q)
		if e := r.wpErr(t); r.status != 400 || e.Code != "rest_invalid_param" || e.Message != "Invalid parameter(s): "+param {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	// One order; an unknown one.
	r = call(t, "GET", api+"/orders/"+made[0], "basic", nil)
	var one orderOut
	r.json(t, &one)
	if r.status != 200 || one.ID != mustInt(made[0]) || len(one.LineItems) != 1 || one.LineItems[0].SKU != "SKU-0001" || one.LineItems[0].ProductID == 0 {
		t.Errorf("order %s: %d %s", made[0], r.status, r.body)
	}
	if r := call(t, "GET", api+"/orders/1", "basic", nil); r.status != 404 || r.wpErr(t).Code != "woocommerce_rest_shop_order_invalid_id" {
		t.Errorf("unknown order: %d %s", r.status, r.body)
	}
}

func mustInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func idsOf(os []orderOut) []int64 {
	var out []int64
	for _, o := range os {
		out = append(out, o.ID)
	}
	return out
}

func TestSeedIsDeterministic(t *testing.T) {
	clk := newClock()
	a, b := New(Options{Now: clk.Now}), New(Options{Now: clk.Now})
	a.Seed(200, 3)
	b.Seed(200, 3)
	oa, ob := a.Orders(), b.Orders()
	if len(oa) != 200 {
		t.Fatalf("%d orders", len(oa))
	}
	statuses := map[string]int{}
	for i := range oa {
		if oa[i].ID != ob[i].ID || oa[i].Status != ob[i].Status || !oa[i].Modified.Equal(ob[i].Modified) || !slices.Equal(oa[i].Lines, ob[i].Lines) {
			t.Fatalf("order %d differs: %+v vs %+v", i, oa[i], ob[i])
		}
		if oa[i].Modified.Before(oa[i].Created) || oa[i].Modified.After(clk.Now()) {
			t.Errorf("order %+v modified outside [created, now]", oa[i])
		}
		statuses[oa[i].Status]++
	}
	for _, s := range []string{Pending, Processing, OnHold, Completed, Cancelled, Refunded, Failed} {
		if statuses[s] == 0 {
			t.Errorf("no %s order", s)
		}
	}
	if len(a.Importable()) != statuses[Processing] {
		t.Errorf("Importable() = %d; %d are processing", len(a.Importable()), statuses[Processing])
	}
}

func TestOrderLifecycleMovesStock(t *testing.T) {
	clk := newClock()
	s, _ := start(t, Options{Now: clk.Now})
	q0 := s.Quantities()
	clk.Add(time.Minute)
	id := s.CreateOrder([]cart.Line{{SKU: "SKU-0002", Quantity: 2}, {SKU: "VAR-03-C", Quantity: 1}})
	o, _ := s.Order(id)
	if o.Status != Processing || !o.Modified.Equal(clk.Now()) || !slices.Contains(s.Importable(), id) {
		t.Errorf("new order %+v", o)
	}
	if q := s.Quantities(); q["SKU-0002"] != q0["SKU-0002"]-2 || q["VAR-03-C"] != q0["VAR-03-C"]-1 {
		t.Errorf("paying did not reduce stock")
	}
	clk.Add(time.Minute)
	if err := s.CancelOrder(id); err != nil {
		t.Fatal(err)
	}
	if q := s.Quantities(); !mapsEqual(q, q0) {
		t.Errorf("cancelling did not restore stock")
	}
	if o, _ := s.Order(id); o.Status != Cancelled || !o.Modified.Equal(clk.Now()) || slices.Contains(s.Importable(), id) {
		t.Errorf("cancelled order %+v", o)
	}
	if err := s.CancelOrder(id); err == nil {
		t.Error("cancelled twice")
	}
	id2 := s.CreateOrder(nil)
	if err := s.CompleteOrder(id2); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.Order(id2); o.Status != Completed {
		t.Errorf("completed order %+v", o)
	}
	if err := s.CompleteOrder("12345678"); err == nil {
		t.Error("completed an unknown order")
	}
}

type productOut struct {
	ID            int64  `json:"id"`
	Type          string `json:"type"`
	SKU           string `json:"sku"`
	ManageStock   any    `json:"manage_stock"`
	StockQuantity *int   `json:"stock_quantity"`
	Images        []struct {
		Src string `json:"src"`
	} `json:"images"`
	Variations []int64 `json:"variations"`
	Error      *struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Data    map[string]any `json:"data"`
	} `json:"error"`
}

func TestCatalog(t *testing.T) {
	s, api := start(t, Options{SKUs: []string{"MUG-BLUE", "MUG-RED", "TEE-S", "TEE-M", "TEE-L", "CAP-BLACK", "POSTER-A2"}})
	r := call(t, "GET", api+"/products?per_page=100&orderby=id&order=asc", "basic", nil)
	var ps []productOut
	r.json(t, &ps)
	var types []string
	for _, p := range ps {
		types = append(types, p.Type+":"+p.SKU)
		if len(p.Images) == 0 {
			t.Errorf("product %d has no image", p.ID)
		}
	}
	if want := []string{"variable:", "variable:", "simple:CAP-BLACK", "simple:POSTER-A2"}; !slices.Equal(types, want) {
		t.Errorf("products %v; want %v", types, want)
	}
	tee := ps[1]
	r = call(t, "GET", fmt.Sprintf("%s/products/%d/variations?per_page=2&orderby=id&order=asc", api, tee.ID), "basic", nil)
	var vs []productOut
	r.json(t, &vs)
	if len(tee.Variations) != 3 || len(vs) != 2 || vs[0].SKU != "TEE-S" || r.header.Get("X-WP-Total") != "3" ||
		!strings.Contains(strings.Join(r.header.Values("Link"), ","), `page=2>; rel="next"`) {
		t.Errorf("variations %+v, headers %v", vs, r.header)
	}
	if r := call(t, "GET", api+"/products/1/variations", "basic", nil); r.status != 404 {
		t.Errorf("variations of an unknown product: %d", r.status)
	}
	if r := call(t, "GET", api+"/products?sku=CAP-BLACK", "basic", nil); !bytes.Contains(r.body, []byte(`"CAP-BLACK"`)) || r.header.Get("X-WP-Total") != "1" {
		t.Errorf("sku filter: %s", r.body)
	}
	want := map[string]cart.Link{}
	for _, p := range ps {
		if p.Type == "simple" {
			want[p.SKU] = cart.Link{ProductID: strconv.FormatInt(p.ID, 10)}
		}
	}
	for sku, l := range want {
		if s.Links()[sku] != l {
			t.Errorf("Links()[%s] = %+v; want %+v", sku, s.Links()[sku], l)
		}
	}
	if l := s.Links()["TEE-M"]; l.ProductID != strconv.FormatInt(tee.ID, 10) || l.VariantID != strconv.FormatInt(tee.Variations[1], 10) {
		t.Errorf("Links()[TEE-M] = %+v", l)
	}
}

func TestBatch(t *testing.T) {
	clk := newClock()
	s, api := start(t, Options{Now: clk.Now})
	links := s.Links()
	id := func(sku string) int64 { return mustInt(links[sku].ProductID) }
	vid := func(sku string) int64 { return mustInt(links[sku].VariantID) }
	s.FailSKU("SKU-0002", 1)
	clk.Add(time.Hour)
	r := call(t, "POST", api+"/products/batch", "basic", map[string]any{"update": []any{
		map[string]any{"id": id("SKU-0001"), "stock_quantity": 7, "manage_stock": true},
		map[string]any{"id": id("SKU-0002"), "stock_quantity": 8, "manage_stock": true},
		map[string]any{"id": 999999, "stock_quantity": 9, "manage_stock": true},
		map[string]any{"id": strconv.FormatInt(id("SKU-0003"), 10), "stock_quantity": "10", "manage_stock": true},
	}})
	var resp struct {
		Update []productOut `json:"update"`
	}
	r.json(t, &resp)
	if r.status != 200 || len(resp.Update) != 4 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	u := resp.Update
	if u[0].Error != nil || *u[0].StockQuantity != 7 || u[0].ManageStock != true {
		t.Errorf("update 0: %+v", u[0])
	}
	if u[1].Error == nil || u[1].Error.Code != "woocommerce_rest_product_not_saved" || u[1].ID != id("SKU-0002") || u[1].Error.Data["status"] != float64(500) {
		t.Errorf("update 1: %+v", u[1])
	}
	if u[2].Error == nil || u[2].Error.Code != "woocommerce_rest_product_invalid_id" || u[2].Error.Data["status"] != float64(400) {
		t.Errorf("update 2: %+v", u[2])
	}
	if u[3].Error != nil || *u[3].StockQuantity != 10 {
		t.Errorf("update 3: %+v", u[3])
	}
	q := s.Quantities()
	if q["SKU-0001"] != 7 || q["SKU-0002"] == 8 || q["SKU-0003"] != 10 {
		t.Errorf("quantities %d %d %d", q["SKU-0001"], q["SKU-0002"], q["SKU-0003"])
	}
	// The failure was consumed: the same update now succeeds.
	r = call(t, "PUT", fmt.Sprintf("%s/products/%d", api, id("SKU-0002")), "basic", map[string]any{"stock_quantity": 8, "manage_stock": true})
	if r.status != 200 || s.Quantities()["SKU-0002"] != 8 {
		t.Errorf("PUT: %d %s", r.status, r.body)
	}
	// Variations: per parent; a variation of another parent is refused.
	parent := links["VAR-02-A"].ProductID
	r = call(t, "POST", api+"/products/"+parent+"/variations/batch", "basic", map[string]any{"update": []any{
		map[string]any{"id": vid("VAR-02-A"), "stock_quantity": 1, "manage_stock": true},
		map[string]any{"id": vid("VAR-03-A"), "stock_quantity": 2, "manage_stock": true},
	}})
	r.json(t, &resp)
	if len(resp.Update) != 2 || resp.Update[0].Error != nil || resp.Update[1].Error == nil ||
		resp.Update[1].Error.Code != "woocommerce_rest_product_variation_invalid_id" {
		t.Errorf("variations batch: %s", r.body)
	}
	if q := s.Quantities(); q["VAR-02-A"] != 1 || q["VAR-03-A"] == 2 {
		t.Errorf("variation quantities %d %d", q["VAR-02-A"], q["VAR-03-A"])
	}
	// Without manage_stock the quantity of an unmanaged product is ignored.
	call(t, "PUT", fmt.Sprintf("%s/products/%d", api, id("SKU-0004")), "basic", map[string]any{"manage_stock": false})
	call(t, "PUT", fmt.Sprintf("%s/products/%d", api, id("SKU-0004")), "basic", map[string]any{"stock_quantity": 99})
	if s.Quantities()["SKU-0004"] == 99 {
		t.Error("the stock of an unmanaged product changed")
	}
	// Over the batch limit: WooCommerce's 413, nothing applied.
	var many []any
	for range 101 {
		many = append(many, map[string]any{"id": id("SKU-0005"), "stock_quantity": 0, "manage_stock": true})
	}
	r = call(t, "POST", api+"/products/batch", "basic", map[string]any{"update": many})
	if e := r.wpErr(t); r.status != 413 || e.Code != "woocommerce_rest_request_entity_too_large" || e.Message != "Unable to accept more than 100 items for this request." {
		t.Errorf("101 items: %d %s", r.status, r.body)
	}
	if s.Quantities()["SKU-0005"] == 0 {
		t.Error("an oversized batch was applied")
	}
	if r := call(t, "POST", api+"/products/batch", "basic", "not an object"); r.status != 400 {
		t.Errorf("bad body: %d", r.status)
	}
	st := s.Stats()
	if st.ByEndpoint["POST /products/batch"] != 3 || st.ByEndpoint["PUT /products/{id}"] != 3 || st.ByEndpoint["POST /products/{id}/variations/batch"] != 1 {
		t.Errorf("stats %+v", st.ByEndpoint)
	}
}

func TestRateLimitAndFaults(t *testing.T) {
	clk := newClock()
	s, api := start(t, Options{Now: clk.Now, RateLimit: RateLimit{PerSecond: 2, Burst: 2}})
	for i := range 2 {
		if r := call(t, "GET", api+"/orders", "basic", nil); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := call(t, "GET", api+"/orders", "basic", nil)
	if r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Errorf("over the limit: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	clk.Add(500 * time.Millisecond)
	if r := call(t, "GET", api+"/orders", "none", nil); r.status != 401 {
		t.Errorf("after refill: %d", r.status) // the host admits it; WordPress refuses it
	}
	st := s.Stats()
	if st.RateLimited != 1 || st.Requests != 4 || st.Unauthorized != 1 || st.ByEndpoint["GET /orders"] != 4 {
		t.Errorf("stats %+v", st)
	}
	s.SetRateLimit(RateLimit{PerSecond: 0.01, Burst: 1, StartEmpty: true})
	if r := call(t, "GET", api+"/orders", "basic", nil); r.status != 429 || r.header.Get("Retry-After") != "100" {
		t.Errorf("slow limit: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	s.SetRateLimit(RateLimit{})
	s.SetFaults(Faults{ServerErrors: 2, RateLimit429: 1, RetryAfter: 3 * time.Second})
	for _, want := range []int{502, 503, 429, 200} {
		r := call(t, "GET", api+"/orders", "basic", nil)
		if r.status != want {
			t.Errorf("status %d; want %d", r.status, want)
		}
		if want == 429 && r.header.Get("Retry-After") != "3" {
			t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
		}
	}
	s.SetFaults(Faults{Drop: 1})
	req, _ := http.NewRequest("GET", api+"/orders", nil)
	// A fresh connection: net/http resends a GET whose reused connection
	// closes before answering.
	fresh := &http.Client{Transport: &http.Transport{}}
	if resp, err := fresh.Do(req); err == nil {
		resp.Body.Close()
		t.Error("a dropped connection answered")
	}
	if f := s.Stats().Faults; f != (FaultCounts{Drop: 1, ServerErrors: 2, RateLimit429: 1}) {
		t.Errorf("faults %+v", f)
	}
}

func TestDefaultCatalog(t *testing.T) {
	s := New(Options{})
	skus := s.SKUs()
	if len(skus) != 60 || skus[0] != "SKU-0001" || skus[59] != "VAR-05-D" {
		t.Fatalf("SKUs %v", skus)
	}
	links := s.Links()
	if links["SKU-0001"].VariantID != "" || links["VAR-01-A"].VariantID == "" || links["VAR-01-A"].ProductID != links["VAR-01-D"].ProductID {
		t.Errorf("links %+v %+v", links["SKU-0001"], links["VAR-01-A"])
	}
	for sku, q := range s.Quantities() {
		if q < 5 || q > 50 {
			t.Errorf("%s starts with %d", sku, q)
		}
	}
	if l := New(Options{SKUs: []string{"A-1", "A-2"}, SimpleOnly: true}).Links(); l["A-1"].VariantID != "" {
		t.Errorf("SimpleOnly made variations: %+v", l)
	}
}
