package amazonsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

type fixture struct {
	sim   *Server
	clock *Clock
	url   string
	token string
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	f := &fixture{clock: NewClock(t0)}
	opts.Now = f.clock.Now
	f.sim = New(opts)
	ts := httptest.NewServer(f.sim)
	t.Cleanup(ts.Close)
	f.url = ts.URL
	f.token = f.login(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "refresh_token": {DefaultRefreshToken}}, http.StatusOK)["access_token"].(string)
	return f
}

func (f *fixture) login(t *testing.T, form url.Values, status int) map[string]any {
	t.Helper()
	resp, err := http.Post(f.url+"/auth/o2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("token endpoint: %d %v; want %d", resp.StatusCode, out, status)
	}
	return out
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("%s: %v", a.body, err)
	}
}

func (a answer) errorCode(t *testing.T) string {
	t.Helper()
	var e struct{ Errors []errorJSON }
	a.json(t, &e)
	if len(e.Errors) != 1 {
		t.Fatalf("error body %s", a.body)
	}
	return e.Errors[0].Code
}

func (f *fixture) do(t *testing.T, method, path string, q url.Values, body string) answer {
	t.Helper()
	u := f.url + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if f.token != "" {
		req.Header.Set("x-amz-access-token", f.token)
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
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("%s %s: no x-amzn-RequestId", method, path)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

const ordersPath = "/orders/2026-01-01/orders"

func ordersQuery(after, before time.Time, extra ...string) url.Values {
	q := url.Values{"lastUpdatedAfter": {iso(after)}, "marketplaceIds": {DefaultMarketplaceID}}
	if !before.IsZero() {
		q.Set("lastUpdatedBefore", iso(before))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

func TestLWA(t *testing.T) {
	f := newFixture(t, Options{AccessTokenTTL: 10 * time.Minute})
	good := url.Values{"grant_type": {"refresh_token"}, "client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}, "refresh_token": {DefaultRefreshToken}}
	out := f.login(t, good, http.StatusOK)
	if out["token_type"] != "bearer" || out["expires_in"] != 600.0 || !strings.HasPrefix(out["access_token"].(string), "Atza|") {
		t.Errorf("token answer %v", out)
	}
	for name, c := range map[string]struct {
		key, value, code string
		status           int
	}{
		"grant":   {"grant_type", "client_credentials", "unsupported_grant_type", 400},
		"client":  {"client_secret", "nope", "invalid_client", 401},
		"refresh": {"refresh_token", "Atzr|nope", "invalid_grant", 400},
	} {
		form := url.Values{}
		for k, v := range good {
			form[k] = v
		}
		form.Set(c.key, c.value)
		if got := f.login(t, form, c.status); got["error"] != c.code {
			t.Errorf("%s: %v", name, got)
		}
	}

	q := url.Values{"details": {"true"}, "granularityType": {"Marketplace"}, "granularityId": {DefaultMarketplaceID}, "marketplaceIds": {DefaultMarketplaceID}}
	if a := f.do(t, "GET", "/fba/inventory/v1/summaries", q, ""); a.status != 200 {
		t.Fatalf("with a fresh token: %d %s", a.status, a.body)
	}
	f.clock.Add(10 * time.Minute)
	a := f.do(t, "GET", "/fba/inventory/v1/summaries", q, "")
	if a.status != 403 || a.errorCode(t) != "Unauthorized" || !strings.Contains(string(a.body), "expired") || a.header.Get("x-amzn-RateLimit-Limit") != "" {
		t.Errorf("expired token: %d %s %v", a.status, a.body, a.header)
	}
	f.token = ""
	if a := f.do(t, "GET", ordersPath, nil, ""); a.status != 403 {
		t.Errorf("no token: %d", a.status)
	}
	f.sim.RevokeAuthorization()
	f.login(t, good, http.StatusBadRequest)
	if st := f.sim.Stats(); st.Unauthorized != 2 || st.TokenRequests != 6 || st.TokensIssued != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, Options{})
	f.sim.Seed(50, 1)
	q := ordersQuery(t0.AddDate(0, 0, -60), time.Time{})
	for i := range 20 {
		a := f.do(t, "GET", ordersPath, q, "")
		if a.status != 200 || a.header.Get("x-amzn-RateLimit-Limit") != "0.0056" {
			t.Fatalf("request %d of the burst: %d %v", i+1, a.status, a.header)
		}
	}
	a := f.do(t, "GET", ordersPath, q, "")
	want := `{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource.","details":""}]}`
	if a.status != 429 || string(a.body) != want || a.header.Get("x-amzn-RateLimit-Limit") != "" {
		t.Errorf("past the burst: %d %s", a.status, a.body)
	}
	f.clock.Add(178 * time.Second)
	if a := f.do(t, "GET", ordersPath, q, ""); a.status != 429 {
		t.Errorf("before a refill: %d", a.status)
	}
	f.clock.Add(time.Second) // 179 s ≥ 1 / 0.0056
	if a := f.do(t, "GET", ordersPath, q, ""); a.status != 200 {
		t.Errorf("after a refill: %d %s", a.status, a.body)
	}
	// 400s carry the header too; operations have separate buckets.
	a = f.do(t, "GET", ordersPath, url.Values{}, "")
	if a.status != 429 {
		t.Errorf("empty bucket before validation: %d", a.status)
	}
	f.clock.Add(179 * time.Second)
	a = f.do(t, "GET", ordersPath, url.Values{}, "")
	if a.status != 400 || a.errorCode(t) != "InvalidInput" || a.header.Get("x-amzn-RateLimit-Limit") != "0.0056" {
		t.Errorf("invalid request: %d %s %v", a.status, a.body, a.header)
	}
	inv := url.Values{"details": {"true"}, "granularityType": {"Marketplace"}, "granularityId": {DefaultMarketplaceID}, "marketplaceIds": {DefaultMarketplaceID}}
	for i, want := range []int{200, 200, 429} {
		if a := f.do(t, "GET", "/fba/inventory/v1/summaries", inv, ""); a.status != want {
			t.Errorf("inventory request %d: %d, want %d", i+1, a.status, want)
		} else if want == 200 && a.header.Get("x-amzn-RateLimit-Limit") != "2.0" {
			t.Errorf("inventory rate header %q", a.header.Get("x-amzn-RateLimit-Limit"))
		}
	}
	if st := f.sim.Stats(); st.QuotaExceeded != 4 || st.ByOperation[OpSearchOrders] != 25 {
		t.Errorf("stats %+v", st)
	}
}

type ordersAnswer struct {
	Orders []struct {
		OrderID         string
		LastUpdatedTime string
		Fulfillment     *struct{ FulfillmentStatus, FulfilledBy string }
		Proceeds        *struct {
			GrandTotal struct{ Amount, CurrencyCode string }
		}
		OrderItems []struct {
			QuantityOrdered int
			Product         struct{ SellerSku string }
		}
	}
	Pagination        *struct{ NextToken string }
	LastUpdatedBefore string
}

func TestSearchOrders(t *testing.T) {
	f := newFixture(t, Options{Limits: map[string]Limit{OpSearchOrders: {Rate: 100, Burst: 100}}})
	f.sim.Seed(600, 9)
	after := t0.AddDate(0, 0, -61)

	for name, q := range map[string]url.Values{
		"both afters":      ordersQuery(after, time.Time{}, "createdAfter", iso(after)),
		"no after":         {"marketplaceIds": {DefaultMarketplaceID}},
		"before too late":  ordersQuery(after, t0.Add(-time.Minute)),
		"before < after":   ordersQuery(after, after.Add(-time.Second)),
		"page size":        ordersQuery(after, time.Time{}, "maxResultsPerPage", "101"),
		"status":           ordersQuery(after, time.Time{}, "fulfillmentStatuses", "Unshipped"),
		"fulfilled by":     ordersQuery(after, time.Time{}, "fulfilledBy", "SELLER"),
		"included data":    ordersQuery(after, time.Time{}, "includedData", "EVERYTHING"),
		"created+updated":  {"createdAfter": {iso(after)}, "lastUpdatedBefore": {iso(t0.Add(-time.Hour))}},
		"unknown token":    ordersQuery(after, time.Time{}, "paginationToken", "nope"),
		"bad date":         ordersQuery(after, time.Time{}, "lastUpdatedAfter", "yesterday"),
		"after too recent": ordersQuery(t0.Add(-time.Minute), time.Time{}),
	} {
		if a := f.do(t, "GET", ordersPath, q, ""); a.status != 400 || a.errorCode(t) != "InvalidInput" {
			t.Errorf("%s: %d %s", name, a.status, a.body)
		}
	}

	// Page through MFN importable orders: each once, oldest update first,
	// fulfillment and proceeds only when asked for.
	q := ordersQuery(after, t0.Add(-2*time.Minute), "fulfilledBy", "MERCHANT", "fulfillmentStatuses", "UNSHIPPED,PARTIALLY_SHIPPED",
		"maxResultsPerPage", "50", "includedData", "FULFILLMENT,PROCEEDS")
	var got []string
	var prev string
	for pages := 0; ; pages++ {
		var out ordersAnswer
		a := f.do(t, "GET", ordersPath, q, "")
		if a.status != 200 {
			t.Fatalf("page %d: %d %s", pages, a.status, a.body)
		}
		a.json(t, &out)
		if out.LastUpdatedBefore != iso(t0.Add(-2*time.Minute)) {
			t.Errorf("lastUpdatedBefore echoed %q", out.LastUpdatedBefore)
		}
		for _, o := range out.Orders {
			if o.LastUpdatedTime < prev {
				t.Errorf("order %s out of update order", o.OrderID)
			}
			prev = o.LastUpdatedTime
			if o.Fulfillment == nil || o.Fulfillment.FulfilledBy != Merchant || o.Proceeds == nil || o.Proceeds.GrandTotal.CurrencyCode != "USD" ||
				len(o.OrderItems) == 0 || o.OrderItems[0].Product.SellerSku == "" || o.OrderItems[0].QuantityOrdered < 1 {
				t.Errorf("order %+v", o)
			}
			got = append(got, o.OrderID)
		}
		if out.Pagination == nil {
			break
		}
		q.Set("paginationToken", out.Pagination.NextToken)
		if pages == 1 {
			// An order updated during paging moves later; nothing shifts.
			f.sim.TouchOrder(f.sim.Importable()[0])
		}
	}
	want := f.sim.Importable()
	if g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)); !slices.Equal(slices.Compact(g), w) {
		t.Errorf("paged %d orders (%d distinct), want %d", len(got), len(slices.Compact(g)), len(w))
	}

	// Without includedData: items, no fulfillment, no proceeds.
	var out ordersAnswer
	f.do(t, "GET", ordersPath, ordersQuery(after, time.Time{}), "").json(t, &out)
	if len(out.Orders) != 100 || out.Orders[0].Fulfillment != nil || out.Orders[0].Proceeds != nil || len(out.Orders[0].OrderItems) == 0 {
		t.Errorf("default answer: %d orders, first %+v", len(out.Orders), out.Orders[0])
	}

	// Tokens expire, and must be used with the same parameters.
	a := f.do(t, "GET", ordersPath, ordersQuery(after, time.Time{}), "")
	a.json(t, &out)
	tok := out.Pagination.NextToken
	if a := f.do(t, "GET", ordersPath, ordersQuery(after.Add(time.Second), time.Time{}, "paginationToken", tok), ""); a.status != 400 {
		t.Errorf("token with other parameters: %d", a.status)
	}
	if a := f.do(t, "GET", ordersPath, ordersQuery(after, time.Time{}, "paginationToken", tok, "maxResultsPerPage", "7"), ""); a.status != 200 {
		t.Errorf("token with another page size: %d %s", a.status, a.body)
	}
	f.clock.Add(DefaultNextTokenTTL)
	if a := f.do(t, "GET", ordersPath, ordersQuery(after, time.Time{}, "paginationToken", tok), ""); a.status != 400 || a.errorCode(t) != "InvalidInput" {
		t.Errorf("expired token: %d %s", a.status, a.body)
	}
	if st := f.sim.Stats(); st.ExpiredTokens != 2 {
		t.Errorf("%d expired tokens counted", st.ExpiredTokens)
	}
}

func TestOrdersAPI(t *testing.T) {
	f := newFixture(t, Options{})
	f.sim.Seed(400, 3)
	g := newFixture(t, Options{})
	g.sim.Seed(400, 3)
	if a, b := f.sim.Orders(), g.sim.Orders(); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("Seed is not deterministic")
	}
	var fbaOld, mfn, statuses = 0, 0, map[string]bool{}
	for _, o := range f.sim.Orders() {
		if o.FulfilledBy == Amazon && o.Status == Shipped && o.UpdatedAt.Before(t0.Add(-fbaWindow)) {
			fbaOld++
		}
		if o.FulfilledBy == Merchant {
			mfn++
			statuses[o.Status] = true
		}
	}
	if fbaOld == 0 || len(f.sim.FBAOrders()) == 0 || len(statuses) < 5 || len(f.sim.FBAQuantities()) == 0 {
		t.Errorf("seed: %d old FBA, %d recent FBA, MFN statuses %v, %d FBA SKUs", fbaOld, len(f.sim.FBAOrders()), statuses, len(f.sim.FBAQuantities()))
	}
	id := f.sim.CreateOrder([]cart.Line{{SKU: "SKU-0003", Quantity: 2}})
	o, _ := f.sim.Order(id)
	if o.Status != Unshipped || o.FulfilledBy != Merchant || !o.UpdatedAt.Equal(t0) || !slices.Contains(f.sim.Importable(), id) {
		t.Errorf("created %+v", o)
	}
	if err := f.sim.ShipOrder(id); err != nil || f.sim.CancelOrder(id) == nil {
		t.Errorf("ship then cancel: %v", err)
	}
	if slices.Contains(f.sim.Importable(), id) {
		t.Error("shipped order still importable")
	}
	if f.sim.CancelOrder("nope") != ErrNoOrder {
		t.Error("unknown order")
	}
}

// fbaFixture is a seller with n FBA SKUs S-000…, SKU i at quantity(i).
func fbaFixture(t *testing.T, n int, quantity func(i int) int) (*fixture, []string) {
	t.Helper()
	skus := make([]string, n)
	for i := range skus {
		skus[i] = fmt.Sprintf("S-%03d", i)
	}
	f := newFixture(t, Options{SKUs: skus, Limits: map[string]Limit{OpGetInventorySummaries: {Rate: 100, Burst: 100}}})
	for i, s := range skus {
		f.sim.SetFBAQuantity(s, quantity(i))
	}
	return f, skus
}

func TestInventorySummaries(t *testing.T) {
	f, skus := fbaFixture(t, 130, func(i int) int { return i })
	base := url.Values{"granularityType": {"Marketplace"}, "granularityId": {DefaultMarketplaceID}, "marketplaceIds": {DefaultMarketplaceID}}
	for name, mod := range map[string]func(url.Values){
		"granularity": func(q url.Values) { q.Del("granularityType") },
		"marketplace": func(q url.Values) { q.Set("marketplaceIds", "A2EUQ1WTGCTBG2") },
		"two markets": func(q url.Values) { q.Set("marketplaceIds", DefaultMarketplaceID+",A2EUQ1WTGCTBG2") },
		"details":     func(q url.Values) { q.Set("details", "maybe") },
	} {
		q := url.Values{}
		for k, v := range base {
			q[k] = slices.Clone(v)
		}
		mod(q)
		if a := f.do(t, "GET", "/fba/inventory/v1/summaries", q, ""); a.status != 400 {
			t.Errorf("%s: %d", name, a.status)
		}
	}
	type page struct {
		Payload struct {
			InventorySummaries []struct {
				SellerSku        string
				InventoryDetails *struct{ FulfillableQuantity int }
			}
		}
		Pagination *struct{ NextToken string }
	}
	var p page
	f.do(t, "GET", "/fba/inventory/v1/summaries", base, "").json(t, &p)
	if len(p.Payload.InventorySummaries) != 50 || p.Payload.InventorySummaries[0].InventoryDetails != nil || p.Pagination == nil {
		t.Fatalf("without details: %+v", p)
	}
	q := url.Values{"details": {"true"}}
	for k, v := range base {
		q[k] = v
	}
	got := map[string]int{}
	for {
		var p page
		a := f.do(t, "GET", "/fba/inventory/v1/summaries", q, "")
		if a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		a.json(t, &p)
		for _, s := range p.Payload.InventorySummaries {
			got[s.SellerSku] = s.InventoryDetails.FulfillableQuantity
		}
		if p.Pagination == nil {
			break
		}
		q.Set("nextToken", p.Pagination.NextToken)
	}
	if len(got) != len(skus) || got["S-007"] != 7 {
		t.Errorf("got %d SKUs, S-007 = %d", len(got), got["S-007"])
	}
	f.do(t, "GET", "/fba/inventory/v1/summaries", base, "").json(t, &p)
	base.Set("nextToken", p.Pagination.NextToken)
	f.clock.Add(InventoryTokenTTL)
	if a := f.do(t, "GET", "/fba/inventory/v1/summaries", base, ""); a.status != 400 {
		t.Errorf("token after 30 s: %d", a.status)
	}
}

func TestListingsSearchAndPatch(t *testing.T) {
	skus := make([]string, 1100)
	for i := range skus {
		skus[i] = fmt.Sprintf("L-%04d", i)
	}
	f := newFixture(t, Options{SKUs: skus, Limits: map[string]Limit{OpSearchListingsItems: {Rate: 1000, Burst: 1000}, OpPatchListingsItem: {Rate: 1000, Burst: 1000}}})
	path := "/listings/2021-08-01/items/" + DefaultSellerID
	q := url.Values{"marketplaceIds": {DefaultMarketplaceID}, "pageSize": {"21"}}
	if a := f.do(t, "GET", path, q, ""); a.status != 400 || a.errorCode(t) != "BAD_REQUEST" {
		t.Errorf("page size 21: %d", a.status)
	}
	if a := f.do(t, "GET", "/listings/2021-08-01/items/AOTHERSELLER", url.Values{"marketplaceIds": {DefaultMarketplaceID}}, ""); a.status != 403 {
		t.Errorf("foreign seller: %d", a.status)
	}
	q = url.Values{"marketplaceIds": {DefaultMarketplaceID}, "pageSize": {"20"}, "sortBy": {"sku"}, "sortOrder": {"ASC"},
		"includedData": {"summaries,attributes,offers,fulfillmentAvailability"}}
	var got []string
	for {
		var p struct {
			NumberOfResults int
			Pagination      *struct{ NextToken string }
			Items           []struct {
				SKU                     string
				Summaries               []struct{ Asin, ItemName string }
				Attributes              map[string]json.RawMessage
				Offers                  []struct{ Price struct{ Amount string } }
				FulfillmentAvailability []struct{ Quantity int }
			}
		}
		a := f.do(t, "GET", path, q, "")
		if a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		a.json(t, &p)
		if p.NumberOfResults != len(skus) {
			t.Errorf("numberOfResults %d", p.NumberOfResults)
		}
		for _, it := range p.Items {
			if len(it.Summaries) != 1 || it.Attributes["main_product_image_locator"] == nil || len(it.Offers) != 1 || len(it.FulfillmentAvailability) != 1 {
				t.Fatalf("item %+v", it)
			}
			got = append(got, it.SKU)
		}
		if p.Pagination == nil {
			break
		}
		q.Set("pageToken", p.Pagination.NextToken)
	}
	if len(got) != 1000 || !slices.IsSorted(got) || got[999] != "L-0999" {
		t.Errorf("one search paged %d items (want the 1000 cap), last %s", len(got), got[len(got)-1])
	}

	patch := func(sku, body string, extra ...string) (int, string, []issueJSON) {
		t.Helper()
		q := url.Values{"marketplaceIds": {DefaultMarketplaceID}}
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		a := f.do(t, "PATCH", path+"/"+url.PathEscape(sku), q, body)
		if a.status != 200 {
			return a.status, "", nil
		}
		var s submissionJSON
		a.json(t, &s)
		if s.SKU != sku || s.SubmissionID == "" {
			t.Errorf("submission %+v", s)
		}
		if a.header.Get("x-amzn-RateLimit-Limit") != "1000.0" {
			t.Errorf("patch rate header %q", a.header.Get("x-amzn-RateLimit-Limit"))
		}
		return a.status, s.Status, s.Issues
	}
	body := func(q any) string {
		return fmt.Sprintf(`{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":%v}]}]}`, q)
	}
	if _, st, _ := patch("L-0001", body(42)); st != "ACCEPTED" || f.sim.Quantities()["L-0001"] != 42 {
		t.Errorf("patch: %s, quantity %d", st, f.sim.Quantities()["L-0001"])
	}
	if _, st, _ := patch("L-0001", body(7), "mode", "VALIDATION_PREVIEW"); st != "VALID" || f.sim.Quantities()["L-0001"] != 42 {
		t.Errorf("preview: %s, quantity %d", st, f.sim.Quantities()["L-0001"])
	}
	f.sim.FailSKU("L-0002", 1)
	if _, st, is := patch("L-0002", body(1)); st != "INVALID" || len(is) != 1 || is[0].Severity != "ERROR" {
		t.Errorf("failing SKU: %s %+v", st, is)
	}
	if _, st, _ := patch("L-0002", body(1)); st != "ACCEPTED" {
		t.Errorf("failing SKU, second try: %s", st)
	}
	for name, c := range map[string]struct{ sku, body string }{
		"unknown SKU":  {"NOPE", body(1)},
		"negative":     {"L-0003", body(-1)},
		"fraction":     {"L-0003", body(1.5)},
		"product type": {"L-0003", strings.Replace(body(1), "PRODUCT", "LUGGAGE_X", 1)},
	} {
		if _, st, is := patch(c.sku, c.body); st != "INVALID" || len(is) == 0 {
			t.Errorf("%s: %s %+v", name, st, is)
		}
	}
	for name, b := range map[string]string{
		"not json":    "{",
		"no patches":  `{"productType":"PRODUCT","patches":[]}`,
		"nested path": `{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillment_availability/0/quantity","value":[{}]}]}`,
		"bad op":      `{"productType":"PRODUCT","patches":[{"op":"move","path":"/attributes/x","value":[{}]}]}`,
	} {
		if st, _, _ := patch("L-0004", b); st != 400 {
			t.Errorf("%s: %d", name, st)
		}
	}
	if f.sim.Quantities()["L-0003"] == -1 {
		t.Error("a refused patch changed the quantity")
	}
	if st := f.sim.Stats(); st.Patched != 2 || st.Rejected != 5 {
		t.Errorf("patched %d, rejected %d", st.Patched, st.Rejected)
	}
}

func TestFaultsAndConcurrency(t *testing.T) {
	f := newFixture(t, Options{Limits: map[string]Limit{OpPatchListingsItem: {Rate: 1000, Burst: 1000}}})
	f.sim.SetFaults(Faults{QuotaExceeded: 1, ServerErrors: 2})
	path := "/listings/2021-08-01/items/" + DefaultSellerID + "/SKU-0001"
	body := `{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":1}]}]}`
	q := url.Values{"marketplaceIds": {DefaultMarketplaceID}}
	for i, want := range []int{429, 500, 503, 200} {
		if a := f.do(t, "PATCH", path, q, body); a.status != want {
			t.Errorf("request %d: %d, want %d", i+1, a.status, want)
		}
	}
	f.sim.SetFaults(Faults{Drop: 1})
	req, _ := http.NewRequest("PATCH", f.url+path+"?"+q.Encode(), strings.NewReader(body))
	req.Header.Set("x-amz-access-token", f.token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Error("dropped connection answered")
	}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := strings.Replace(body, `"quantity":1`, fmt.Sprintf(`"quantity":%d`, i), 1)
			r, _ := http.NewRequest("PATCH", f.url+"/listings/2021-08-01/items/"+DefaultSellerID+fmt.Sprintf("/SKU-%04d", i+1)+"?"+q.Encode(), strings.NewReader(b))
			r.Header.Set("x-amz-access-token", f.token)
			if resp, err := http.DefaultClient.Do(r); err == nil {
				resp.Body.Close()
			}
			f.sim.Stats()
			f.sim.Quantities()
		}()
	}
	wg.Wait()
	if q := f.sim.Quantities(); q["SKU-0040"] != 39 {
		t.Errorf("concurrent patches: SKU-0040 = %d", q["SKU-0040"])
	}
}

// getInventorySummaries with startDateTime lists the SKUs whose stock
// changed since then, a quantity changed later among them; a next token
// is good only for the startDateTime it was issued with.
func TestInventorySummariesSince(t *testing.T) {
	f, _ := fbaFixture(t, 70, func(int) int { return 5 })
	f.clock.Add(10 * time.Minute) // within the access token's hour
	since := f.clock.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	f.clock.Add(time.Minute)
	f.sim.SetFBAQuantity("S-003", 9)
	f.sim.SetFBAQuantity("S-060", 0)
	f.clock.Add(time.Minute)
	q := url.Values{"details": {"true"}, "granularityType": {"Marketplace"}, "granularityId": {DefaultMarketplaceID},
		"marketplaceIds": {DefaultMarketplaceID}, "startDateTime": {since}}
	var p struct {
		Payload struct {
			InventorySummaries []struct {
				SellerSku        string
				InventoryDetails struct{ FulfillableQuantity int }
			}
		}
		Pagination *struct{ NextToken string }
	}
	a := f.do(t, "GET", "/fba/inventory/v1/summaries", q, "")
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	a.json(t, &p)
	got := map[string]int{}
	for _, s := range p.Payload.InventorySummaries {
		got[s.SellerSku] = s.InventoryDetails.FulfillableQuantity
	}
	if len(got) != 2 || got["S-003"] != 9 || got["S-060"] != 0 || p.Pagination != nil {
		t.Errorf("changed since %s: %+v, want S-003 at 9 and S-060 at 0 alone", since, got)
	}
	// An FBA order takes its units from the fulfillable stock, now.
	f.clock.Add(time.Minute)
	since = f.clock.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	f.sim.CreateFBAOrder([]cart.Line{{SKU: "S-010", Quantity: 2}})
	q.Set("startDateTime", since)
	f.do(t, "GET", "/fba/inventory/v1/summaries", q, "").json(t, &p)
	if s := p.Payload.InventorySummaries; len(s) != 1 || s[0].SellerSku != "S-010" || s[0].InventoryDetails.FulfillableQuantity != 3 {
		t.Errorf("after an FBA order of 2 of S-010: %+v, want S-010 alone at 3", s)
	}
	q.Set("startDateTime", "yesterday")
	if a := f.do(t, "GET", "/fba/inventory/v1/summaries", q, ""); a.status != 400 {
		t.Errorf("startDateTime=yesterday: %d", a.status)
	}

	// A token issued for the whole listing is refused with a startDateTime.
	q.Del("startDateTime")
	f.do(t, "GET", "/fba/inventory/v1/summaries", q, "").json(t, &p)
	if p.Pagination == nil {
		t.Fatal("70 SKUs in one page")
	}
	q.Set("nextToken", p.Pagination.NextToken)
	q.Set("startDateTime", since)
	if a := f.do(t, "GET", "/fba/inventory/v1/summaries", q, ""); a.status != 400 {
		t.Errorf("a token of another query: %d", a.status)
	}
}
