package squarespacesim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/clock"
)

const key = "sqsp_test_key"

func newFakeClock() *clock.Fake { return clock.NewFake(time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)) }

func serve(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = key
	}
	if opts.PerMinute == 0 {
		opts.PerMinute = -1
	}
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// call sends one request with the key and a User-Agent unless headers
// override them ("" removes one).
func call(t *testing.T, method, u string, body []byte, headers map[string]string) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("User-Agent", "sim-test/1.0")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// errorObject checks a body is Squarespace's error object, every field
// present, and returns it.
func errorObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("error body %s: %v", b, err)
	}
	for _, f := range []string{"type", "subtype", "message", "details", "contextId"} {
		if _, ok := m[f]; !ok {
			t.Errorf("error object %s lacks %q", b, f)
		}
	}
	return m
}

type orderList struct {
	Result []struct {
		ID                string `json:"id"`
		OrderNumber       string `json:"orderNumber"`
		ModifiedOn        string `json:"modifiedOn"`
		FulfillmentStatus string `json:"fulfillmentStatus"`
		LineItems         []struct {
			SKU       string `json:"sku"`
			VariantID string `json:"variantId"`
			Quantity  int    `json:"quantity"`
		} `json:"lineItems"`
		GrandTotal struct{ Value, Currency string } `json:"grandTotal"`
	} `json:"result"`
	Pagination struct {
		HasNextPage    bool    `json:"hasNextPage"`
		NextPageCursor *string `json:"nextPageCursor"`
		NextPageURL    *string `json:"nextPageUrl"`
	} `json:"pagination"`
}

func stampQ(t time.Time) string { return t.UTC().Format(stampFormat) }

// pageAll lists every order of a first-page query, following cursors.
func pageAll(t *testing.T, base string, first url.Values) []string {
	t.Helper()
	var ids []string
	u := base + "/1.0/commerce/orders?" + first.Encode()
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		a := call(t, "GET", u, nil, nil)
		if a.status != 200 {
			t.Fatalf("GET %s: %d %s", u, a.status, a.body)
		}
		var l orderList
		if err := json.Unmarshal(a.body, &l); err != nil {
			t.Fatal(err)
		}
		if len(l.Result) > PageSize {
			t.Fatalf("page of %d", len(l.Result))
		}
		for i, o := range l.Result {
			ids = append(ids, o.ID)
			if i > 0 && o.ModifiedOn < l.Result[i-1].ModifiedOn {
				t.Errorf("page not ordered by modifiedOn: %s after %s", o.ModifiedOn, l.Result[i-1].ModifiedOn)
			}
		}
		if !l.Pagination.HasNextPage {
			if l.Pagination.NextPageCursor != nil {
				t.Error("a cursor on the last page")
			}
			return ids
		}
		if l.Pagination.NextPageURL == nil || !strings.Contains(*l.Pagination.NextPageURL, "cursor=") {
			t.Errorf("nextPageUrl %v", l.Pagination.NextPageURL)
		}
		u = base + "/1.0/commerce/orders?cursor=" + url.QueryEscape(*l.Pagination.NextPageCursor)
	}
}

func TestOrdersPaging(t *testing.T) {
	clk := newFakeClock()
	s, base := serve(t, Options{Now: clk.Now})
	s.Seed(400, 7)
	now := clk.Now()
	window := url.Values{"modifiedAfter": {stampQ(now.AddDate(0, 0, -60))}, "modifiedBefore": {stampQ(now.Add(time.Hour))}}
	tests := []struct {
		status string
		want   []string
	}{
		{Pending, s.Importable()},
		{Fulfilled, s.WithStatus(Fulfilled)},
		{Canceled, s.WithStatus(Canceled)},
		{"", func() []string {
			var all []string
			for _, o := range s.Orders() {
				all = append(all, o.ID)
			}
			return all
		}()},
	}
	for _, tt := range tests {
		q := url.Values{}
		for k, v := range window {
			q[k] = v
		}
		if tt.status != "" {
			q.Set("fulfillmentStatus", tt.status)
		}
		got := pageAll(t, base, q)
		if len(got) <= PageSize {
			t.Errorf("%s: only %d orders; the test wants several pages", tt.status, len(got))
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tt.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s: listed %d orders, want %d", tt.status, len(got), len(want))
		}
	}
	// No parameters at all lists everything too.
	if got := pageAll(t, base, url.Values{}); len(got) != 400 {
		t.Errorf("no filter: %d orders", len(got))
	}
}

func TestOrdersWindowIsExclusive(t *testing.T) {
	clk := newFakeClock()
	s, base := serve(t, Options{Now: clk.Now})
	var ids []string
	for range 3 {
		ids = append(ids, s.CreateOrder(nil))
		clk.Add(time.Second)
	}
	t0 := clk.Now().Add(-3 * time.Second)
	tests := []struct {
		after, before time.Time
		want          []string
	}{
		{t0, t0.Add(2 * time.Second), ids[1:2]}, // modified at t0 and t0+2s are both excluded
		{t0.Add(-time.Millisecond), t0.Add(2*time.Second + time.Millisecond), ids},
		{t0.Add(-time.Millisecond), t0.Add(time.Second), ids[:1]},
	}
	for i, tt := range tests {
		got := pageAll(t, base, url.Values{"modifiedAfter": {stampQ(tt.after)}, "modifiedBefore": {stampQ(tt.before)}})
		if !slices.Equal(got, tt.want) {
			t.Errorf("%d: got %v, want %v", i, got, tt.want)
		}
	}
}

func TestListParameterRules(t *testing.T) {
	s, base := serve(t, Options{})
	s.Seed(120, 1)
	a := call(t, "GET", base+"/1.0/commerce/orders?fulfillmentStatus=PENDING", nil, nil)
	var l orderList
	if err := json.Unmarshal(a.body, &l); err != nil || l.Pagination.NextPageCursor == nil {
		t.Fatalf("first page: %d %s", a.status, a.body)
	}
	cur := url.QueryEscape(*l.Pagination.NextPageCursor)
	after, before := "2026-01-01T00:00:00Z", "2026-02-01T00:00:00.000Z"
	tests := []struct {
		name, path string
		status     int
	}{
		{"cursor alone", "/1.0/commerce/orders?cursor=" + cur, 200},
		{"cursor and window", "/1.0/commerce/orders?cursor=" + cur + "&modifiedAfter=" + after + "&modifiedBefore=" + before, 400},
		{"cursor and status", "/1.0/commerce/orders?cursor=" + cur + "&fulfillmentStatus=PENDING", 400},
		{"cursor twice", "/1.0/commerce/orders?cursor=" + cur + "&cursor=" + cur, 400},
		{"garbage cursor", "/1.0/commerce/orders?cursor=notacursor", 400},
		{"products cursor on orders", "/1.0/commerce/orders?cursor=" + url.QueryEscape(encodeCursor(cursorState{Kind: "products"})), 400},
		{"after without before", "/1.0/commerce/orders?modifiedAfter=" + after, 400},
		{"before without after", "/1.0/commerce/orders?modifiedBefore=" + before, 400},
		{"window", "/1.0/commerce/orders?modifiedAfter=" + after + "&modifiedBefore=" + before, 200},
		{"not UTC", "/1.0/commerce/orders?modifiedAfter=2026-01-01T00:00:00%2B01:00&modifiedBefore=" + before, 400},
		{"not a time", "/1.0/commerce/orders?modifiedAfter=yesterday&modifiedBefore=" + before, 400},
		{"inverted window", "/1.0/commerce/orders?modifiedAfter=" + before + "&modifiedBefore=" + after, 400},
		{"bad status", "/1.0/commerce/orders?fulfillmentStatus=SHIPPED", 400},
		{"empty cursor is a first page", "/1.0/commerce/orders?cursor=", 200},
		{"products need a type", "/v2/commerce/products", 400},
		{"products window needs a type", "/v2/commerce/products?modifiedAfter=" + after + "&modifiedBefore=" + before, 400},
		{"products bad type", "/v2/commerce/products?type=PHYSICAL,BOOK", 400},
		{"products type", "/v2/commerce/products?type=PHYSICAL", 200},
		{"products type and cursor", "/v2/commerce/products?type=PHYSICAL&cursor=" + url.QueryEscape(encodeCursor(cursorState{Kind: "products"})), 400},
		{"inventory", "/1.0/commerce/inventory", 200},
		{"unknown order", "/1.0/commerce/orders/5f0000000000000000ffffff", 404},
		{"unknown path", "/1.0/commerce/nothing", 404},
	}
	for _, tt := range tests {
		a := call(t, "GET", base+tt.path, nil, nil)
		if a.status != tt.status {
			t.Errorf("%s: %d %s; want %d", tt.name, a.status, a.body, tt.status)
		}
		if a.status >= 400 {
			errorObject(t, a.body)
		}
	}
}

func TestUserAgentAndKey(t *testing.T) {
	s, base := serve(t, Options{})
	tests := []struct {
		name    string
		headers map[string]string
		status  int
		errType string
	}{
		{"good", nil, 200, ""},
		{"no user agent", map[string]string{"User-Agent": ""}, 400, "INVALID_REQUEST_ERROR"},
		{"no key", map[string]string{"Authorization": ""}, 401, "AUTHORIZATION_ERROR"},
		{"wrong key", map[string]string{"Authorization": "Bearer nope"}, 401, "AUTHORIZATION_ERROR"},
		{"not bearer", map[string]string{"Authorization": "Basic " + key}, 401, "AUTHORIZATION_ERROR"},
	}
	for _, tt := range tests {
		a := call(t, "GET", base+"/1.0/commerce/orders", nil, tt.headers)
		if a.status != tt.status {
			t.Errorf("%s: %d %s", tt.name, a.status, a.body)
			continue
		}
		if tt.errType != "" {
			if got := errorObject(t, a.body)["type"]; got != tt.errType {
				t.Errorf("%s: type %v", tt.name, got)
			}
		}
	}
	st := s.Stats()
	if st.NoUserAgent != 1 || st.Unauthorized != 3 || st.ByEndpoint["GET /1.0/commerce/orders"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestRateLimitAndCoolDown(t *testing.T) {
	clk := newFakeClock()
	s, base := serve(t, Options{Now: clk.Now, PerMinute: DefaultPerMinute})
	get := func() int { return call(t, "GET", base+"/1.0/commerce/inventory", nil, nil).status }
	for i := range 300 {
		if st := get(); st != 200 {
			t.Fatalf("request %d: %d", i, st)
		}
		clk.Add(100 * time.Millisecond) // 600/min: twice the limit
	}
	// 300 requests in the last 30 s: the next trips the limit.
	a := call(t, "GET", base+"/1.0/commerce/inventory", nil, nil)
	if a.status != 429 || errorObject(t, a.body)["type"] != "TOO_MANY_REQUESTS" {
		t.Fatalf("request 301: %d %s", a.status, a.body)
	}
	// Every request of the next minute is refused, though the window has
	// emptied by its end.
	for _, d := range []time.Duration{time.Second, 30 * time.Second, 28 * time.Second} {
		clk.Add(d)
		if st := get(); st != 429 {
			t.Fatalf("during the cool-down: %d", st)
		}
	}
	clk.Add(time.Second + time.Millisecond) // past the cool-down
	if st := get(); st != 200 {
		t.Fatalf("after the cool-down: %d", st)
	}
	st := s.Stats()
	if st.RateLimited != 4 || st.CoolDowns != 1 {
		t.Errorf("stats: rate limited %d, cool-downs %d", st.RateLimited, st.CoolDowns)
	}

	// At exactly 300 a minute, evenly spaced, nothing is refused.
	clk.Add(2 * time.Minute)
	for i := range 900 {
		if st := get(); st != 200 {
			t.Fatalf("paced request %d: %d", i, st)
		}
		clk.Add(200 * time.Millisecond)
	}
}

func TestRateLimitStorm(t *testing.T) {
	clk := newFakeClock()
	s, base := serve(t, Options{Now: clk.Now})
	s.SetFaults(Faults{RateLimitStorm: 2})
	for i, want := range []int{429, 429, 200} {
		if st := call(t, "GET", base+"/1.0/commerce/inventory", nil, nil).status; st != want {
			t.Errorf("request %d: %d, want %d", i, st, want)
		}
		clk.Add(CoolDown)
	}
	if st := s.Stats(); st.Faults.RateLimitStorm != 2 || st.CoolDowns != 2 {
		t.Errorf("stats %+v", st)
	}
}

func adjustBody(ops ...string) []byte {
	return []byte(`{"setFiniteOperations":[` + strings.Join(ops, ",") + `]}`)
}

func setOp(id string, q int) string { return fmt.Sprintf(`{"variantId":%q,"quantity":%d}`, id, q) }

func TestAdjustmentsIdempotency(t *testing.T) {
	clk := newFakeClock()
	s, base := serve(t, Options{Now: clk.Now})
	links := s.Links()
	a, b := links["SKU-0001"].VariantID, links["SKU-0002"].VariantID
	post := func(k string, body []byte) answer {
		return call(t, "POST", base+"/1.0/commerce/inventory/adjustments", body, map[string]string{"Idempotency-Key": k})
	}
	if r := post("k-1", adjustBody(setOp(a, 7))); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	s.SetQuantity("SKU-0001", 3) // a sale on the site
	if r := post("k-1", adjustBody(setOp(a, 7))); r.status != 204 {
		t.Fatalf("replay: %d %s", r.status, r.body)
	}
	if q := s.Quantities()["SKU-0001"]; q != 3 {
		t.Errorf("the replay applied again: %d", q)
	}
	if r := post("k-1", adjustBody(setOp(b, 7))); r.status != 422 {
		t.Errorf("same key, other body: %d %s", r.status, r.body)
	}
	// A refusal is kept and replayed too.
	s.FailSKU("SKU-0002", 1)
	r1 := post("k-2", adjustBody(setOp(a, 9), setOp(b, 9)))
	r2 := post("k-2", adjustBody(setOp(a, 9), setOp(b, 9)))
	if r1.status != 400 || r2.status != 400 || !bytes.Equal(r1.body, r2.body) || !strings.Contains(string(r1.body), b) {
		t.Errorf("refusal %d %s, replay %d %s", r1.status, r1.body, r2.status, r2.body)
	}
	if q := s.Quantities(); q["SKU-0001"] != 3 {
		t.Errorf("a refused adjustment applied part: %v", q["SKU-0001"])
	}
	// After 48 hours the key may be used again.
	clk.Add(IdempotencyTTL)
	if r := post("k-1", adjustBody(setOp(a, 7))); r.status != 204 {
		t.Fatalf("after the TTL: %d %s", r.status, r.body)
	}
	if q := s.Quantities()["SKU-0001"]; q != 7 {
		t.Errorf("after the TTL the key was replayed: %d", q)
	}
	st := s.Stats()
	if st.Applied != 2 || st.Replayed != 2 || st.Refused != 1 || len(st.AdjustmentKeys) != 6 {
		t.Errorf("stats: applied %d replayed %d refused %d keys %v", st.Applied, st.Replayed, st.Refused, st.AdjustmentKeys)
	}
}

func TestAdjustmentsValidation(t *testing.T) {
	s, base := serve(t, Options{})
	links := s.Links()
	a, b := links["SKU-0001"].VariantID, links["SKU-0002"].VariantID
	before := s.Quantities()
	many := make([]string, MaxAdjustmentOperations+1)
	skus := s.SKUs()
	for i := range many {
		many[i] = setOp(links[skus[i]].VariantID, 1)
	}
	tests := []struct {
		name    string
		body    string
		key     string
		ctype   string
		status  int
		mention string
	}{
		{"no key", string(adjustBody(setOp(a, 1))), "", "", 400, ""},
		{"bad key", string(adjustBody(setOp(a, 1))), "has space", "", 400, ""},
		{"long key", string(adjustBody(setOp(a, 1))), strings.Repeat("k", 65), "", 400, ""},
		{"not json", "{", "v1", "", 400, ""},
		{"text body", string(adjustBody(setOp(a, 1))), "v2", "text/plain", 415, ""},
		{"no operations", "{}", "v3", "", 400, ""},
		{"too many", string(adjustBody(many...)), "v4", "", 400, "50"},
		{"unknown variant", string(adjustBody(setOp(a, 1), setOp("nope-variant", 1))), "v5", "", 400, "nope-variant"},
		{"negative", string(adjustBody(setOp(a, 1), setOp(b, -1))), "v6", "", 400, b},
		{"twice", string(adjustBody(setOp(a, 1), setOp(a, 2))), "v7", "", 400, a},
		{"decrement below zero", `{"decrementOperations":[{"variantId":"` + a + `","quantity":100000}]}`, "v8", "", 400, a},
		{"increment of zero", `{"incrementOperations":[{"variantId":"` + a + `","quantity":0}]}`, "v9", "", 400, a},
		{"no quantity", `{"setFiniteOperations":[{"variantId":"` + a + `"}]}`, "v10", "", 400, a},
	}
	for _, tt := range tests {
		h := map[string]string{"Idempotency-Key": tt.key}
		if tt.ctype != "" {
			h["Content-Type"] = tt.ctype
		}
		r := call(t, "POST", base+"/1.0/commerce/inventory/adjustments", []byte(tt.body), h)
		if r.status != tt.status {
			t.Errorf("%s: %d %s", tt.name, r.status, r.body)
			continue
		}
		m := errorObject(t, r.body)
		if msg, _ := m["message"].(string); !strings.Contains(msg, tt.mention) {
			t.Errorf("%s: message %q does not name %q", tt.name, msg, tt.mention)
		}
	}
	if after := s.Quantities(); !equalMaps(before, after) {
		t.Error("a refused adjustment changed stock")
	}
	// All four kinds in one request.
	c := links["SKU-0003"].VariantID
	d := links["SKU-0004"].VariantID
	body := `{"incrementOperations":[{"variantId":"` + a + `","quantity":2}],"decrementOperations":[{"variantId":"` + b + `","quantity":1}],` +
		`"setFiniteOperations":[{"variantId":"` + c + `","quantity":40}],"setUnlimitedOperations":["` + d + `"]}`
	if r := call(t, "POST", base+"/1.0/commerce/inventory/adjustments", []byte(body), map[string]string{"Idempotency-Key": "all-four"}); r.status != 204 {
		t.Fatalf("all four: %d %s", r.status, r.body)
	}
	q := s.Quantities()
	if q["SKU-0001"] != before["SKU-0001"]+2 || q["SKU-0002"] != before["SKU-0002"]-1 || q["SKU-0003"] != 40 {
		t.Errorf("after all four: %v %v %v", q["SKU-0001"], q["SKU-0002"], q["SKU-0003"])
	}
	if _, ok := q["SKU-0004"]; ok {
		t.Error("an unlimited variant is in Quantities")
	}
}

func equalMaps(a, b map[string]int) bool {
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

func TestDropAfterApply(t *testing.T) {
	s, base := serve(t, Options{})
	a := s.Links()["SKU-0001"].VariantID
	s.SetFaults(Faults{DropAfterApply: 1})
	req, _ := http.NewRequest("POST", base+"/1.0/commerce/inventory/adjustments", bytes.NewReader(adjustBody(setOp(a, 11))))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("User-Agent", "sim-test/1.0")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "drop-1")
	if resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer: %d", resp.StatusCode)
	}
	if q := s.Quantities()["SKU-0001"]; q != 11 {
		t.Errorf("not applied before the drop: %d", q)
	}
	r := call(t, "POST", base+"/1.0/commerce/inventory/adjustments", adjustBody(setOp(a, 11)), map[string]string{"Idempotency-Key": "drop-1"})
	if r.status != 204 {
		t.Errorf("retry: %d %s", r.status, r.body)
	}
	st := s.Stats()
	if st.Applied != 1 || st.Replayed != 1 || !slices.Equal(st.AdjustmentKeys, []string{"drop-1", "drop-1"}) || st.Faults.DropAfterApply != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaults(t *testing.T) {
	s, base := serve(t, Options{})
	s.SetFaults(Faults{ServerErrors: 3})
	for _, want := range []int{500, 502, 503, 200} {
		if st := call(t, "GET", base+"/1.0/commerce/inventory", nil, nil).status; st != want {
			t.Errorf("got %d, want %d", st, want)
		}
	}
	s.SetFaults(Faults{Slow: 1, Delay: 50 * time.Millisecond})
	start := time.Now()
	if st := call(t, "GET", base+"/1.0/commerce/inventory", nil, nil).status; st != 200 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("slow: %d after %v", st, time.Since(start))
	}
	s.SetFaults(Faults{Drop: 1})
	req, _ := http.NewRequest("GET", base+"/1.0/commerce/inventory", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("User-Agent", "x")
	if resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req); err == nil {
		resp.Body.Close()
		t.Error("dropped request answered")
	}
	if f := s.Stats().Faults; f != (FaultCounts{ServerErrors: 3, Slow: 1, Drop: 1}) {
		t.Errorf("faults %+v", f)
	}
}

func TestProductsAndInventory(t *testing.T) {
	clk := newFakeClock()
	s, base := serve(t, Options{Now: clk.Now, SKUs: skuList(130)})
	type prod struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Variants []struct {
			ID    string `json:"id"`
			SKU   string `json:"sku"`
			Stock struct {
				Quantity  int  `json:"quantity"`
				Unlimited bool `json:"unlimited"`
			} `json:"stock"`
		} `json:"variants"`
		Images []struct {
			URL string `json:"url"`
		} `json:"images"`
	}
	list := func(first string) ([]prod, int) {
		var out []prod
		u, pages := base+"/v2/commerce/products?"+first, 0
		for ; ; pages++ {
			a := call(t, "GET", u, nil, nil)
			var l struct {
				Products   []prod     `json:"products"`
				Pagination pagination `json:"pagination"`
			}
			if a.status != 200 || json.Unmarshal(a.body, &l) != nil {
				t.Fatalf("%s: %d %s", u, a.status, a.body)
			}
			out = append(out, l.Products...)
			if !l.Pagination.HasNextPage {
				return out, pages + 1
			}
			u = base + "/v2/commerce/products?cursor=" + url.QueryEscape(*l.Pagination.NextPageCursor)
		}
	}
	phys, pages := list("type=PHYSICAL")
	q, links := s.Quantities(), s.Links()
	n := 0
	for _, p := range phys {
		if p.Type != Physical || len(p.Images) == 0 {
			t.Errorf("product %+v", p)
		}
		for _, v := range p.Variants {
			n++
			if links[v.SKU].VariantID != v.ID || links[v.SKU].ProductID != p.ID || q[v.SKU] != v.Stock.Quantity {
				t.Errorf("variant %s: %+v", v.SKU, v)
			}
		}
	}
	if n != 130 || pages < 2 {
		t.Errorf("%d variants on %d pages", n, pages)
	}
	all, _ := list("type=PHYSICAL,SERVICE")
	if len(all) != len(phys)+1 {
		t.Errorf("with services: %d products, physical %d", len(all), len(phys))
	}
	// A touched product shows in a window that starts after the others.
	clk.Add(time.Hour)
	s.TouchProduct("SKU-0007")
	w, _ := list("type=PHYSICAL&modifiedAfter=" + stampQ(clk.Now().Add(-time.Minute)) + "&modifiedBefore=" + stampQ(clk.Now().Add(time.Minute)))
	if len(w) != 1 || !slices.ContainsFunc(w[0].Variants, func(v struct {
		ID    string `json:"id"`
		SKU   string `json:"sku"`
		Stock struct {
			Quantity  int  `json:"quantity"`
			Unlimited bool `json:"unlimited"`
		} `json:"stock"`
	}) bool {
		return v.SKU == "SKU-0007"
	}) {
		t.Errorf("window after a touch: %+v", w)
	}

	// Inventory lists every variant, services included, 50 a page.
	count, u := 0, base+"/1.0/commerce/inventory"
	for {
		var l struct {
			Inventory []struct {
				VariantID   string `json:"variantId"`
				SKU         string `json:"sku"`
				Quantity    int    `json:"quantity"`
				IsUnlimited bool   `json:"isUnlimited"`
			} `json:"inventory"`
			Pagination pagination `json:"pagination"`
		}
		a := call(t, "GET", u, nil, nil)
		if json.Unmarshal(a.body, &l) != nil || len(l.Inventory) > PageSize {
			t.Fatalf("%d %s", a.status, a.body)
		}
		count += len(l.Inventory)
		if !l.Pagination.HasNextPage {
			break
		}
		u = base + "/1.0/commerce/inventory?cursor=" + url.QueryEscape(*l.Pagination.NextPageCursor)
	}
	if count != 131 {
		t.Errorf("inventory lists %d variants", count)
	}
}

func skuList(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("SKU-%04d", i+1)
	}
	return out
}

func TestOrderLifecycleAndStock(t *testing.T) {
	s, base := serve(t, Options{})
	before := s.Quantities()["SKU-0005"]
	id := s.CreateOrder([]cart.Line{{SKU: "SKU-0005", Quantity: 2}, {SKU: "NOT-IN-CATALOG", Quantity: 1}})
	if q := s.Quantities()["SKU-0005"]; q != before-2 {
		t.Errorf("an order took %d", before-q)
	}
	a := call(t, "GET", base+"/1.0/commerce/orders/"+id, nil, nil)
	var o struct {
		ID                string `json:"id"`
		FulfillmentStatus string `json:"fulfillmentStatus"`
		LineItems         []struct {
			SKU       *string `json:"sku"`
			VariantID *string `json:"variantId"`
			Quantity  int     `json:"quantity"`
		} `json:"lineItems"`
		GrandTotal struct{ Value string } `json:"grandTotal"`
	}
	if a.status != 200 || json.Unmarshal(a.body, &o) != nil || o.ID != id || o.FulfillmentStatus != Pending ||
		len(o.LineItems) != 2 || *o.LineItems[0].SKU != "SKU-0005" || o.LineItems[0].VariantID == nil || o.LineItems[1].VariantID != nil {
		t.Fatalf("order: %d %s", a.status, a.body)
	}
	if !slices.Contains(s.Importable(), id) {
		t.Error("a new order is not importable")
	}
	if err := s.CancelOrder(id); err != nil {
		t.Fatal(err)
	}
	if q := s.Quantities()["SKU-0005"]; q != before {
		t.Errorf("cancel did not restock: %d", q)
	}
	if err := s.CancelOrder(id); !errors.Is(err, ErrState) {
		t.Errorf("cancel twice: %v", err)
	}
	if err := s.FulfillOrder("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("fulfill unknown: %v", err)
	}
	id2 := s.CreateOrder(nil)
	if err := s.FulfillOrder(id2); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.Order(id2); o.Status != Fulfilled || slices.Contains(s.Importable(), id2) {
		t.Errorf("fulfilled order %+v", o)
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	clk := newFakeClock()
	a, b := New(Options{Now: clk.Now}), New(Options{Now: clk.Now})
	a.Seed(200, 9)
	b.Seed(200, 9)
	if !slices.EqualFunc(a.Orders(), b.Orders(), func(x, y Order) bool {
		return x.ID == y.ID && x.Status == y.Status && x.ModifiedOn.Equal(y.ModifiedOn) && slices.Equal(x.Lines, y.Lines)
	}) {
		t.Error("the same seed gave different orders")
	}
	if !equalMaps(a.Quantities(), b.Quantities()) {
		t.Error("the same options gave different stock")
	}
	for _, o := range a.Orders() {
		if o.ModifiedOn.After(clk.Now()) || o.ModifiedOn.Before(o.CreatedOn) {
			t.Errorf("order %+v", o)
		}
	}
	if n := len(a.Importable()); n < 70 || n > 130 {
		t.Errorf("%d of 200 importable", n)
	}
}
