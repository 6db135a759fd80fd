package etsysim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/clock"
)

type answer struct {
	status int
	header http.Header
	body   string
}

// call sends one request with the default credentials unless headers
// replace them ("" removes one).
func call(t *testing.T, s *Server, method, path, body string, headers map[string]string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("x-api-key", DefaultAPIKey+":"+DefaultSharedSecret)
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return answer{rec.Code, rec.Header(), rec.Body.String()}
}

func shopPath(s *Server, rest string) string {
	return fmt.Sprintf("/v3/application/shops/%d%s", s.ShopID(), rest)
}

func TestAuthenticate(t *testing.T) {
	s := New(Options{})
	path := shopPath(s, "/receipts")
	tests := []struct {
		name    string
		headers map[string]string
		status  int
		error   string
	}{
		{"both right", nil, 200, ""},
		{"no api key", map[string]string{"x-api-key": ""}, 401, "Missing API key"},
		{"keystring only", map[string]string{"x-api-key": DefaultAPIKey}, 403, "Shared secret is required in x-api-key header."},
		{"malformed key", map[string]string{"x-api-key": DefaultAPIKey + ":"}, 403, "Invalid API key: should be in the format 'keystring:shared_secret'."},
		{"three parts", map[string]string{"x-api-key": DefaultAPIKey + ":a:b"}, 403, "should be in the format"},
		{"wrong keystring", map[string]string{"x-api-key": "other:" + DefaultSharedSecret}, 401, "Invalid API key."},
		{"wrong secret", map[string]string{"x-api-key": DefaultAPIKey + ":wrong"}, 403, "shared secret does not match"},
		{"no token", map[string]string{"Authorization": ""}, 401, "invalid_token"},
		{"not bearer", map[string]string{"Authorization": "Basic " + DefaultToken}, 401, "invalid_token"},
		{"wrong token", map[string]string{"Authorization": "Bearer 12345678.other"}, 401, "invalid_token"},
	}
	for _, tt := range tests {
		a := call(t, s, "GET", path, "", tt.headers)
		if a.status != tt.status || !strings.Contains(a.body, tt.error) {
			t.Errorf("%s: %d %s; want %d with %q", tt.name, a.status, a.body, tt.status, tt.error)
		}
		if tt.status != 200 && a.header.Get("x-limit-per-second") != "" {
			t.Errorf("%s: rate headers on a refused request", tt.name)
		}
	}
	if st := s.Stats(); st.Unauthorized != len(tests)-1 || st.ByEndpoint["GET /shops/{shop_id}/receipts"] != len(tests) {
		t.Errorf("stats %+v", st)
	}
	a := call(t, s, "GET", "/v3/application/shops/999/receipts", "", nil)
	if a.status != 404 {
		t.Errorf("another shop: %d", a.status)
	}
}

func TestRateLimits(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC))
	s := New(Options{QPS: 3, QPD: 5, DayBucket: time.Hour, Now: clk.Now, AccessTokenTTL: -1})
	path := shopPath(s, "/listings")
	check := func(step string, status int, second, today string) {
		t.Helper()
		a := call(t, s, "GET", path, "", nil)
		if a.status != status || a.header.Get("x-remaining-this-second") != second || a.header.Get("x-remaining-today") != today {
			t.Errorf("%s: %d, this second %q, today %q; want %d, %q, %q (%s)", step, a.status,
				a.header.Get("x-remaining-this-second"), a.header.Get("x-remaining-today"), status, second, today, a.body)
		}
		if status == 200 && (a.header.Get("x-limit-per-second") != "3" || a.header.Get("x-limit-per-day") != "5") {
			t.Errorf("%s: limits %v", step, a.header)
		}
		if status == 429 && a.header.Get("x-limit-per-second") != "" {
			t.Errorf("%s: rate headers on a 429", step)
		}
	}
	check("1", 200, "2", "4")
	check("2", 200, "1", "3")
	check("3", 200, "0", "2")
	a := call(t, s, "GET", path, "", nil)
	if a.status != 429 || !strings.Contains(a.body, "Exceeded per second rate limit") || a.header.Get("retry-after") != "" {
		t.Errorf("4th in a second: %d %s retry-after %q", a.status, a.body, a.header.Get("retry-after"))
	}
	clk.Add(time.Second)
	check("5", 200, "2", "1")
	check("6", 200, "1", "0")
	a = call(t, s, "GET", path, "", nil)
	// The 10:00 bucket leaves the window at 10:00 next day: 23.5 h on.
	if a.status != 429 || !strings.Contains(a.body, "Exceeded daily rate limit") || a.header.Get("retry-after") != "84599" {
		t.Errorf("over the day: %d %s retry-after %q", a.status, a.body, a.header.Get("retry-after"))
	}
	clk.Add(84599 * time.Second)
	check("next day", 200, "2", "4")
	if st := s.Stats(); st.PerSecondLimited != 1 || st.DailyLimited != 1 {
		t.Errorf("stats %+v", st)
	}
	s2 := New(Options{QPD: 1, OmitRetryAfter: true, Now: clk.Now})
	call(t, s2, "GET", shopPath(s2, "/listings"), "", nil)
	if a := call(t, s2, "GET", shopPath(s2, "/listings"), "", nil); a.status != 429 || a.header.Get("retry-after") != "" {
		t.Errorf("OmitRetryAfter: %d, %q", a.status, a.header.Get("retry-after"))
	}
}

func TestFaults(t *testing.T) {
	s := New(Options{QPS: 1000})
	ts := httptest.NewServer(s)
	defer ts.Close()
	get := func() (int, error) {
		req, _ := http.NewRequest("GET", ts.URL+shopPath(s, "/receipts"), nil)
		req.Header.Set("x-api-key", s.APIKeyHeader())
		req.Header.Set("Authorization", "Bearer "+DefaultToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	s.SetFaults(Faults{RateLimitStorm: 1, Drop: 1, ServerErrors: 3, Slow: 1, Delay: time.Millisecond})
	var got []string
	for range 7 {
		code, err := get()
		if err != nil {
			got = append(got, "drop")
		} else {
			got = append(got, fmt.Sprint(code))
		}
	}
	if want := []string{"429", "drop", "500", "502", "503", "200", "200"}; !slices.Equal(got, want) {
		t.Errorf("answers %v; want %v", got, want)
	}
	if f := s.Stats().Faults; f != (FaultCounts{RateLimitStorm: 1, Drop: 1, ServerErrors: 3, Slow: 1}) {
		t.Errorf("fault counts %+v", f)
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC))
	a, b := New(Options{Now: clk.Now}), New(Options{Now: clk.Now})
	a.Seed(500, 9)
	b.Seed(500, 9)
	ra, rb := a.Receipts(), b.Receipts()
	if !reflect.DeepEqual(ra, rb) {
		t.Fatal("the same seed gave different receipts")
	}
	statuses := map[string]int{}
	for _, r := range ra {
		statuses[fmt.Sprint(r.Status, r.Paid, r.Shipped, r.Canceled)]++
		if r.UpdatedAt.Before(r.CreatedAt) || r.UpdatedAt.After(clk.Now()) || len(r.Lines) == 0 {
			t.Errorf("receipt %+v", r)
		}
	}
	if len(statuses) < 8 {
		t.Errorf("only %d kinds of receipt: %v", len(statuses), statuses)
	}
	if n := len(a.Importable()); n < 200 || n > 300 {
		t.Errorf("%d of 500 importable", n)
	}
}

func TestReceiptsEndpoint(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC))
	s := New(Options{QPS: 1000, Now: clk.Now})
	s.Seed(300, 10)
	type page struct {
		Count   int `json:"count"`
		Results []struct {
			ReceiptID    int64 `json:"receipt_id"`
			IsPaid       bool  `json:"is_paid"`
			IsShipped    bool  `json:"is_shipped"`
			Updated      int64 `json:"updated_timestamp"`
			Transactions []struct {
				SKU      *string `json:"sku"`
				Quantity int     `json:"quantity"`
			} `json:"transactions"`
		} `json:"results"`
	}
	lo := clk.Now().Add(-10 * 24 * time.Hour).Unix()
	hi := clk.Now().Add(-2 * 24 * time.Hour).Unix()
	q := fmt.Sprintf("?was_paid=true&was_shipped=false&was_canceled=false&min_last_modified=%d&max_last_modified=%d&sort_on=updated&sort_order=asc&limit=100", lo, hi)
	a := call(t, s, "GET", shopPath(s, "/receipts"+q), "", nil)
	var p page
	if a.status != 200 || json.Unmarshal([]byte(a.body), &p) != nil {
		t.Fatalf("%d %s", a.status, a.body)
	}
	want := 0
	for _, r := range s.Receipts() {
		if u := r.UpdatedAt.Unix(); r.Paid && !r.Shipped && !r.Canceled && u >= lo && u <= hi {
			want++
		}
	}
	if p.Count != want || len(p.Results) != min(want, 100) || want == 0 {
		t.Errorf("count %d, %d results; want %d", p.Count, len(p.Results), want)
	}
	for i, r := range p.Results {
		if !r.IsPaid || r.IsShipped || r.Updated < lo || r.Updated > hi || i > 0 && r.Updated < p.Results[i-1].Updated {
			t.Errorf("result %d: %+v", i, r)
		}
		if len(r.Transactions) == 0 || r.Transactions[0].SKU == nil || r.Transactions[0].Quantity < 1 {
			t.Errorf("result %d transactions %+v", i, r.Transactions)
		}
	}
	for _, bad := range []string{"?limit=101", "?limit=0", "?offset=-1", "?was_paid=maybe", "?min_last_modified=5", "?sort_on=price"} {
		if a := call(t, s, "GET", shopPath(s, "/receipts"+bad), "", nil); a.status != 400 || !strings.Contains(a.body, `"error"`) {
			t.Errorf("%s: %d %s", bad, a.status, a.body)
		}
	}
	id := s.Importable()[0]
	if a := call(t, s, "GET", shopPath(s, "/receipts/"+id), "", nil); a.status != 200 || !strings.Contains(a.body, `"receipt_id":`+id) ||
		!strings.Contains(a.body, "O&#39;Connell") {
		t.Errorf("one receipt: %d %.200s", a.status, a.body)
	}
	if a := call(t, s, "GET", shopPath(s, "/receipts/1"), "", nil); a.status != 404 {
		t.Errorf("unknown receipt: %d", a.status)
	}
}

func TestOrdersMoveStock(t *testing.T) {
	s := New(Options{})
	before := s.Quantities()["SKU-0002"]
	id := s.CreateOrder([]cart.Line{{SKU: "SKU-0002", Quantity: 2}})
	if q := s.Quantities()["SKU-0002"]; q != before-2 {
		t.Errorf("after a sale: %d; want %d", q, before-2)
	}
	if !slices.Contains(s.Importable(), id) {
		t.Error("a new order is not importable")
	}
	if err := s.CancelOrder(id); err != nil {
		t.Fatal(err)
	}
	if q := s.Quantities()["SKU-0002"]; q != before || slices.Contains(s.Importable(), id) {
		t.Errorf("after cancel: %d, importable %v", q, slices.Contains(s.Importable(), id))
	}
	if err := s.CancelOrder(id); err == nil {
		t.Error("cancelled twice")
	}
	id2 := s.CreateOrder(nil)
	if err := s.ShipOrder(id2); err != nil || slices.Contains(s.Importable(), id2) {
		t.Errorf("ship: %v", err)
	}
	if err := s.CancelOrder(id2); err == nil {
		t.Error("cancelled a shipped order")
	}
	if err := s.ShipOrder("nope"); err == nil {
		t.Error("shipped an unknown order")
	}
}

func TestListingsEndpoint(t *testing.T) {
	s := New(Options{QPS: 1000})
	type page struct {
		Count   int `json:"count"`
		Results []struct {
			ListingID int64           `json:"listing_id"`
			Title     string          `json:"title"`
			State     string          `json:"state"`
			Images    []any           `json:"images"`
			Inventory json.RawMessage `json:"inventory"`
		} `json:"results"`
	}
	get := func(q string) page {
		t.Helper()
		a := call(t, s, "GET", shopPath(s, "/listings"+q), "", nil)
		var p page
		if a.status != 200 || json.Unmarshal([]byte(a.body), &p) != nil {
			t.Fatalf("%s: %d %s", q, a.status, a.body)
		}
		return p
	}
	active := 0
	for _, l := range s.Listings() {
		if l.State == "active" {
			active++
		}
	}
	p := get("?limit=100&includes=Images&includes=Inventory")
	if p.Count != active || len(p.Results) != active {
		t.Fatalf("count %d, %d results; want %d", p.Count, len(p.Results), active)
	}
	for _, r := range p.Results {
		if r.State != "active" || len(r.Images) == 0 || len(r.Inventory) == 0 || !strings.Contains(r.Title, "&#39;") {
			t.Errorf("listing %d: %+v", r.ListingID, r)
		}
	}
	if p2 := get("?limit=5&offset=3&includes=Images,Inventory"); len(p2.Results) != 5 || p2.Results[0].ListingID != p.Results[3].ListingID || p2.Results[0].Inventory == nil {
		t.Errorf("offset page %+v", p2.Results)
	}
	if p3 := get(""); len(p3.Results) != min(25, active) || p3.Results[0].Images != nil || p3.Results[0].Inventory != nil {
		t.Errorf("default page: %d results, associations %v %s", len(p3.Results), p3.Results[0].Images, p3.Results[0].Inventory)
	}
	if p4 := get("?state=inactive"); p4.Count != 1 {
		t.Errorf("%d inactive listings", p4.Count)
	}
	for _, bad := range []string{"?includes=Everything", "?state=gone", "?limit=500"} {
		if a := call(t, s, "GET", shopPath(s, "/listings"+bad), "", nil); a.status != 400 {
			t.Errorf("%s: %d", bad, a.status)
		}
	}
}

// validBody is listing id's inventory as a correct PUT body: the GET's
// answer mapped to the request schema.
func validBody(t *testing.T, s *Server, id string) map[string]any {
	t.Helper()
	a := call(t, s, "GET", "/v3/application/listings/"+id+"/inventory", "", nil)
	var inv jsonInventory
	if err := json.Unmarshal([]byte(a.body), &inv); err != nil {
		t.Fatal(err, a.body)
	}
	var products []any
	for _, p := range inv.Products {
		var pvs, offs []any
		for _, pv := range p.PropertyValues {
			pvs = append(pvs, map[string]any{"property_id": pv.PropertyID, "property_name": pv.PropertyName,
				"scale_id": pv.ScaleID, "value_ids": pv.ValueIDs, "values": pv.Values})
		}
		for _, o := range p.Offerings {
			offs = append(offs, map[string]any{"price": json.Number(formatCents(o.Price.Amount)), "quantity": o.Quantity, "is_enabled": o.IsEnabled,
				"readiness_state_id": o.ReadinessStateID})
		}
		products = append(products, map[string]any{"sku": p.SKU, "property_values": nonNil(pvs), "offerings": offs})
	}
	return map[string]any{"products": products, "price_on_property": inv.PriceOnProperty,
		"quantity_on_property": inv.QuantityOnProperty, "sku_on_property": inv.SKUOnProperty,
		"readiness_state_on_property": inv.ReadinessStateOnProperty}
}

func prod(body map[string]any, k int) map[string]any {
	return body["products"].([]any)[k].(map[string]any)
}
func offering0(body map[string]any, k int) map[string]any {
	return prod(body, k)["offerings"].([]any)[0].(map[string]any)
}

func TestInventoryUpdate(t *testing.T) {
	s := New(Options{QPS: 1000})
	var colors string // a listing whose price, quantity and SKU vary by color
	for _, l := range s.Listings() {
		if inv, _ := s.Inventory(l.ID); len(inv.PriceOnProperty) > 0 && len(inv.Products) == 3 {
			colors = l.ID
			break
		}
	}
	if colors == "" {
		t.Fatal("no three-color listing")
	}
	path := "/v3/application/listings/" + colors + "/inventory"
	tests := []struct {
		name  string
		edit  func(b map[string]any)
		error string
	}{
		{"no products", func(b map[string]any) { delete(b, "products") }, "Missing input parameter: [products]"},
		{"empty products", func(b map[string]any) { b["products"] = []any{} }, "cannot be empty"},
		{"product_id echoed", func(b map[string]any) { prod(b, 0)["product_id"] = 5 }, "unexpected key 'product_id'"},
		{"is_deleted echoed", func(b map[string]any) { offering0(b, 0)["is_deleted"] = false }, "unexpected key 'is_deleted'"},
		{"scale_name echoed", func(b map[string]any) {
			prod(b, 0)["property_values"].([]any)[0].(map[string]any)["scale_name"] = nil
		}, "unexpected key 'scale_name'"},
		{"price as Money", func(b map[string]any) {
			offering0(b, 0)["price"] = map[string]any{"amount": 1000, "divisor": 100, "currency_code": "USD"}
		}, "Expected float value for 'price' (got array)."},
		{"no price", func(b map[string]any) { delete(offering0(b, 0), "price") }, "Expected float value for 'price' (got NULL)."},
		{"no quantity", func(b map[string]any) { delete(offering0(b, 1), "quantity") }, "Expected int value for 'quantity'"},
		{"no is_enabled", func(b map[string]any) { delete(offering0(b, 1), "is_enabled") }, "Expected boolean value for 'is_enabled'"},
		{"quantity 1000", func(b map[string]any) { offering0(b, 0)["quantity"] = 1000 }, "must be between 0 and 999"},
		{"price too low", func(b map[string]any) { offering0(b, 0)["price"] = json.Number("0.10") }, "min price"},
		{"price with mills", func(b map[string]any) { offering0(b, 0)["price"] = json.Number("1.005") }, "2 decimal places"},
		{"no offerings", func(b map[string]any) { delete(prod(b, 0), "offerings") }, "Missing input parameter: [offerings]"},
		{"properties dropped", func(b map[string]any) {
			for k := range 3 {
				prod(b, k)["property_values"] = []any{}
			}
		}, "Property values can't be empty"},
		{"price_on_property dropped", func(b map[string]any) { b["price_on_property"] = []any{} }, "The price of products must be the same"},
		{"quantity_on_property dropped", func(b map[string]any) {
			b["quantity_on_property"] = []any{}
			offering0(b, 1)["quantity"] = 77
		}, "The quantity of products must be the same"},
		{"all out of stock", func(b map[string]any) {
			for k := range 3 {
				offering0(b, k)["quantity"] = 0
			}
		}, "one offering must have greater than zero inventory"},
		{"no readiness_state_id", func(b map[string]any) { delete(offering0(b, 2), "readiness_state_id") },
			`There was a problem with /products/2/offerings/0/readiness_state_id : property \"readiness_state_id\" is missing`},
		{"readiness_state_id 0", func(b map[string]any) { offering0(b, 0)["readiness_state_id"] = 0 }, "readiness_state_id : must be a positive integer or null"},
		{"only one product sent", func(b map[string]any) { b["products"] = b["products"].([]any)[:1] }, ""},
	}
	before, _ := s.Inventory(colors)
	for _, tt := range tests {
		if tt.error == "" {
			continue
		}
		b := validBody(t, s, colors)
		tt.edit(b)
		raw, _ := json.Marshal(b)
		a := call(t, s, "PUT", path, string(raw), map[string]string{"Content-Type": "application/json"})
		if a.status != 400 || !strings.Contains(a.body, tt.error) {
			t.Errorf("%s: %d %s; want 400 saying %q", tt.name, a.status, a.body, tt.error)
		}
	}
	if after, _ := s.Inventory(colors); !reflect.DeepEqual(after, before) {
		t.Fatal("a refused update changed the inventory")
	}
	// A good body is stored exactly, under new ids.
	b := validBody(t, s, colors)
	offering0(b, 1)["quantity"] = 42
	offering0(b, 2)["price"] = json.Number("99.95")
	raw, _ := json.Marshal(b)
	if a := call(t, s, "PUT", path, string(raw), nil); a.status != 200 || !strings.Contains(a.body, `"quantity":42`) {
		t.Fatalf("good body: %d %s", a.status, a.body)
	}
	after, _ := s.Inventory(colors)
	for k, p := range after.Products {
		bp := before.Products[k]
		if p.ID == bp.ID || p.Offerings[0].ID == bp.Offerings[0].ID {
			t.Errorf("product %d kept its ids", k)
		}
		want := bp.Offerings[0]
		switch k {
		case 1:
			want.Quantity = 42
		case 2:
			want.Price = "99.95"
		}
		want.ID = p.Offerings[0].ID
		if p.SKU != bp.SKU || !reflect.DeepEqual(p.PropertyValues, bp.PropertyValues) || p.Offerings[0] != want {
			t.Errorf("product %d stored as %+v; want %+v", k, p, bp)
		}
	}
	// What is sent is what is kept: an update with one product drops the
	// others, as Etsy's does.
	b = validBody(t, s, colors)
	b["products"] = b["products"].([]any)[:1]
	b["price_on_property"], b["quantity_on_property"], b["sku_on_property"], b["readiness_state_on_property"] = []any{}, []any{}, []any{}, nil
	raw, _ = json.Marshal(b)
	if a := call(t, s, "PUT", path, string(raw), nil); a.status != 200 {
		t.Fatalf("one product: %d %s", a.status, a.body)
	}
	if inv, _ := s.Inventory(colors); len(inv.Products) != 1 {
		t.Errorf("%d products after a one-product update", len(inv.Products))
	}
	if st := s.Stats(); st.InventoryUpdates != 2 || st.InventoryRejected != len(tests)-1 {
		t.Errorf("stats %+v", st)
	}
	if a := call(t, s, "PUT", "/v3/application/listings/1/inventory", string(raw), nil); a.status != 404 {
		t.Errorf("unknown listing: %d", a.status)
	}
}

func TestFailSKU(t *testing.T) {
	s := New(Options{QPS: 1000})
	l := s.Listings()[1]
	path := "/v3/application/listings/" + l.ID + "/inventory"
	s.FailSKU(l.SKUs[1], 1)
	b := validBody(t, s, l.ID)
	raw, _ := json.Marshal(b)
	// Unchanged quantities do not trip it.
	if a := call(t, s, "PUT", path, string(raw), nil); a.status != 200 {
		t.Fatalf("unchanged: %d %s", a.status, a.body)
	}
	offering0(b, 1)["quantity"] = 3
	raw, _ = json.Marshal(b)
	if a := call(t, s, "PUT", path, string(raw), nil); a.status != 400 || !strings.Contains(a.body, l.SKUs[1]) {
		t.Errorf("failing SKU: %d %s", a.status, a.body)
	}
	if a := call(t, s, "PUT", path, string(raw), nil); a.status != 200 {
		t.Errorf("after the fault: %d %s", a.status, a.body)
	}
}

func TestCatalog(t *testing.T) {
	s := New(Options{SKUs: []string{"MUG-BLUE", "MUG-RED", "TEE-S", "TEE-M", "TEE-L", "CAP-BLACK"}})
	var got [][]string
	for _, l := range s.Listings() {
		got = append(got, l.SKUs)
	}
	want := [][]string{{"MUG-BLUE"}, {"MUG-RED"}, {"TEE-S", "TEE-M"}, {"TEE-L"}, {"CAP-BLACK"}, {""}, {""}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("listings %v; want %v", got, want)
	}
	q, p := s.Quantities(), s.Prices()
	if len(q) != 6 || len(p) != 6 {
		t.Errorf("quantities %v prices %v", q, p)
	}
	s.SetQuantity("TEE-M", 7)
	s.SetPrice("TEE-M", 1999)
	if s.Quantities()["TEE-M"] != 7 || s.Prices()["TEE-M"] != "19.99" {
		t.Errorf("after edits: %d %s", s.Quantities()["TEE-M"], s.Prices()["TEE-M"])
	}
	b := New(Options{SKUs: []string{"A", "B", "C", "D", "E", "F", "G"}, SKUsPerListing: 3})
	got = nil
	for _, l := range b.Listings() {
		got = append(got, l.SKUs)
	}
	if want := [][]string{{"A", "B", "C"}, {"D", "E", "F"}, {"G"}, {""}, {""}}; !reflect.DeepEqual(got, want) {
		t.Errorf("grouped by 3: %v", got)
	}
}

// refreshCall posts a token request; body is a form unless contentType
// says otherwise.
func refreshCall(t *testing.T, s *Server, body, contentType string) (answer, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("POST", "/v3/public/oauth/token", strings.NewReader(body))
	if contentType == "" {
		contentType = "application/x-www-form-urlencoded"
	}
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("token answer %d %q is not JSON", rec.Code, rec.Body.String())
	}
	return answer{rec.Code, rec.Header(), rec.Body.String()}, m
}

func refreshForm(refresh string) string {
	return "grant_type=refresh_token&client_id=" + DefaultAPIKey + "&refresh_token=" + refresh
}

func TestOAuthRefresh(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC))
	s := New(Options{Now: clk.Now, RefreshToken: "12345678.first_refresh", QPS: 1})
	path := shopPath(s, "/receipts")
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

	if a := call(t, s, "GET", path, "", nil); a.status != 200 {
		t.Fatalf("initial token: %d %s", a.status, a.body)
	}
	clk.Add(time.Hour - time.Second)
	if a := call(t, s, "GET", path, "", nil); a.status != 200 {
		t.Fatalf("token before its hour: %d %s", a.status, a.body)
	}
	clk.Add(time.Second)
	a := call(t, s, "GET", path, "", nil)
	if a.status != 401 || a.body != `{"error":"invalid_token","error_description":"access token is expired"}`+"\n" {
		t.Fatalf("token after its hour: %d %s", a.status, a.body)
	}

	refusals := []struct {
		name, body string
		status     int
		code       string
	}{
		{"no grant", "client_id=" + DefaultAPIKey + "&refresh_token=12345678.first_refresh", 400, "invalid_request"},
		{"unknown code", "grant_type=authorization_code&client_id=" + DefaultAPIKey + "&code=x", 400, "invalid_grant"},
		{"password grant", "grant_type=password&client_id=" + DefaultAPIKey, 400, "unsupported_grant_type"},
		{"no client", "grant_type=refresh_token&refresh_token=12345678.first_refresh", 400, "invalid_request"},
		{"wrong client", "grant_type=refresh_token&client_id=other&refresh_token=12345678.first_refresh", 401, "invalid_client"},
		{"key and secret as client", "grant_type=refresh_token&client_id=" + DefaultAPIKey + ":" + DefaultSharedSecret + "&refresh_token=12345678.first_refresh", 401, "invalid_client"},
		{"no refresh token", "grant_type=refresh_token&client_id=" + DefaultAPIKey, 400, "invalid_request"},
		{"unknown refresh token", refreshForm("12345678.other"), 400, "invalid_grant"},
	}
	for _, r := range refusals {
		if a, m := refreshCall(t, s, r.body, ""); a.status != r.status || m["error"] != r.code {
			t.Errorf("%s: %d %s; want %d %s", r.name, a.status, a.body, r.status, r.code)
		}
	}
	if a, _ := refreshCall(t, s, `{}`, "text/plain"); a.status != 400 {
		t.Errorf("not a form: %d", a.status)
	}

	// Token requests are not rate limited (QPS is 1 here).
	a, m := refreshCall(t, s, refreshForm("12345678.first_refresh"), "")
	access, _ := m["access_token"].(string)
	refresh, _ := m["refresh_token"].(string)
	if a.status != 200 || m["token_type"] != "Bearer" || m["expires_in"] != 3600.0 || a.header.Get("Cache-Control") != "no-store" ||
		!strings.HasPrefix(access, "12345678.") || !strings.HasPrefix(refresh, "12345678.") || refresh == "12345678.first_refresh" {
		t.Fatalf("refresh: %d %s %v", a.status, a.body, a.header)
	}
	if s.AccessToken() != access || s.RefreshToken() != refresh {
		t.Errorf("current tokens %q %q; want the ones issued", s.AccessToken(), s.RefreshToken())
	}
	if a := call(t, s, "GET", path, "", bearer(access)); a.status != 200 {
		t.Errorf("new access token: %d %s", a.status, a.body)
	}
	if a := call(t, s, "GET", path, "", nil); a.status != 401 {
		t.Errorf("the expired token works again: %d", a.status)
	}
	// The used refresh token is retired.
	if a, m := refreshCall(t, s, refreshForm("12345678.first_refresh"), ""); a.status != 400 || m["error"] != "invalid_grant" || m["error_description"] != "refresh_token is revoked" {
		t.Errorf("reused refresh token: %d %s", a.status, a.body)
	}

	// A JSON body works too, and issues the next pair.
	clk.Add(time.Second)
	a, m = refreshCall(t, s, fmt.Sprintf(`{"grant_type":"refresh_token","client_id":%q,"refresh_token":%q}`, DefaultAPIKey, refresh), "application/json")
	if a.status != 200 || m["refresh_token"] == refresh || m["access_token"] == access {
		t.Fatalf("JSON refresh: %d %s", a.status, a.body)
	}
	access2, refresh2 := m["access_token"].(string), m["refresh_token"].(string)
	// The older access token keeps working until its own hour is up.
	if a := call(t, s, "GET", path, "", bearer(access)); a.status != 200 {
		t.Errorf("older access token: %d", a.status)
	}
	s.ExpireAccessTokens()
	for _, tok := range []string{access, access2} {
		if a := call(t, s, "GET", path, "", bearer(tok)); a.status != 401 || !strings.Contains(a.body, "access token is expired") {
			t.Errorf("after ExpireAccessTokens: %d %s", a.status, a.body)
		}
	}

	s.RevokeRefreshTokens()
	if s.RefreshToken() != "" {
		t.Error("a refresh token survived RevokeRefreshTokens")
	}
	if a, m := refreshCall(t, s, refreshForm(refresh2), ""); a.status != 400 || m["error_description"] != "refresh_token is revoked" {
		t.Errorf("revoked refresh token: %d %s", a.status, a.body)
	}
	s.SetRefreshToken("12345678.reauthorized")
	if a, _ := refreshCall(t, s, refreshForm("12345678.reauthorized"), ""); a.status != 200 {
		t.Errorf("after SetRefreshToken: %d %s", a.status, a.body)
	}

	// Refresh tokens last 90 days.
	last := s.RefreshToken()
	clk.Add(90 * 24 * time.Hour)
	if a, m := refreshCall(t, s, refreshForm(last), ""); a.status != 400 || m["error_description"] != "refresh_token is expired" {
		t.Errorf("90-day-old refresh token: %d %s", a.status, a.body)
	}

	s.SetRefreshToken("12345678.again")
	s.SetFaults(Faults{TokenErrors: 1})
	if a, _ := refreshCall(t, s, refreshForm("12345678.again"), ""); a.status != 500 {
		t.Errorf("token fault: %d", a.status)
	}
	if a, _ := refreshCall(t, s, refreshForm("12345678.again"), ""); a.status != 200 {
		t.Errorf("after the token fault: %d %s", a.status, a.body)
	}
	st := s.Stats()
	if st.TokenRefreshes != 4 || st.TokenRefused != len(refusals)+4 || st.Faults.TokenErrors != 1 || st.ByEndpoint[tokenPattern] != len(refusals)+9 {
		t.Errorf("stats: %d refreshes, %d refused, %d faults, %d requests", st.TokenRefreshes, st.TokenRefused, st.Faults.TokenErrors, st.ByEndpoint[tokenPattern])
	}
}

func TestOAuthTTLOptions(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC))
	s := New(Options{Now: clk.Now, AccessTokenTTL: time.Minute})
	path := shopPath(s, "/receipts")
	clk.Add(time.Minute)
	if a := call(t, s, "GET", path, "", nil); a.status != 401 {
		t.Errorf("a one-minute token after a minute: %d", a.status)
	}
	if a, m := refreshCall(t, s, refreshForm(DefaultRefreshToken), ""); a.status != 200 || m["expires_in"] != 60.0 {
		t.Errorf("refresh with the default refresh token: %d %s", a.status, a.body)
	}
	never := New(Options{Now: clk.Now, AccessTokenTTL: -1})
	clk.Add(1000 * time.Hour)
	if a := call(t, never, "GET", shopPath(never, "/receipts"), "", nil); a.status != 200 {
		t.Errorf("a token that never expires: %d", a.status)
	}
	if a, m := refreshCall(t, never, refreshForm(DefaultRefreshToken), ""); a.status != 200 || m["expires_in"] != nil {
		t.Errorf("refresh of a token that never expires: %d %s", a.status, a.body)
	}
}
