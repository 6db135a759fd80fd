package shopifysim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/clock"
)

func newClock() *clock.Fake { return clock.NewFake(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)) }

type response struct {
	Errors     json.RawMessage `json:"errors"`
	Data       json.RawMessage `json:"data"`
	Extensions struct {
		Cost struct {
			RequestedQueryCost int  `json:"requestedQueryCost"`
			ActualQueryCost    *int `json:"actualQueryCost"`
			ThrottleStatus     struct {
				MaximumAvailable   float64 `json:"maximumAvailable"`
				CurrentlyAvailable float64 `json:"currentlyAvailable"`
				RestoreRate        float64 `json:"restoreRate"`
			} `json:"throttleStatus"`
		} `json:"cost"`
		Search json.RawMessage `json:"search"`
	} `json:"extensions"`
}

func (r *response) errorCodes() []string {
	var errs []gqlError
	json.Unmarshal(r.Errors, &errs)
	var codes []string
	for _, e := range errs {
		c, _ := e.Extensions["code"].(string)
		codes = append(codes, c)
	}
	return codes
}

func post(t *testing.T, url, token, query string, vars map[string]any) (int, *response, []byte) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url+"/admin/api/2026-10/graphql.json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Access-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r response
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("response %s: %v", raw, err)
		}
	}
	return resp.StatusCode, &r, raw
}

func serve(t *testing.T, s *Server) string {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL
}

type pageData struct {
	Orders struct {
		PageInfo struct {
			HasNextPage bool   `json:"hasNextPage"`
			EndCursor   string `json:"endCursor"`
		} `json:"pageInfo"`
		Nodes []struct {
			LegacyResourceID string `json:"legacyResourceId"`
			UpdatedAt        string `json:"updatedAt"`
			LineItems        struct {
				Nodes []struct {
					SKU      string `json:"sku"`
					Quantity int    `json:"quantity"`
				} `json:"nodes"`
			} `json:"lineItems"`
		} `json:"nodes"`
	} `json:"orders"`
}

const defaultFilter = "status:open (financial_status:paid OR financial_status:authorized) (fulfillment_status:unshipped OR fulfillment_status:partial)"

func TestAuth(t *testing.T) {
	url := serve(t, New(Options{AccessToken: "right"}))
	status, _, raw := post(t, url, "wrong", `{ orders(first: 1) { nodes { id } } }`, nil)
	want := `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`
	if status != http.StatusUnauthorized || string(raw) != want {
		t.Errorf("wrong token: %d %s; want 401 %s", status, raw, want)
	}
	if status, _, _ := post(t, url, "right", `{ orders(first: 1) { nodes { id } } }`, nil); status != http.StatusOK {
		t.Errorf("right token: %d", status)
	}
}

func TestPagingReturnsImportableOnce(t *testing.T) {
	s := New(Options{Plan: Plus})
	s.Seed(600, 7)
	url := serve(t, s)
	var got []string
	after := any(nil)
	last := ""
	for page := 0; ; page++ {
		status, r, raw := post(t, url, DefaultAccessToken, connectorQuery, map[string]any{
			"first": 50, "after": after, "query": defaultFilter, "lines": 10,
		})
		if status != http.StatusOK || r.Errors != nil {
			t.Fatalf("page %d: %d %s", page, status, raw)
		}
		var d pageData
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatal(err)
		}
		actual := 2
		for _, n := range d.Orders.Nodes {
			got = append(got, n.LegacyResourceID)
			if n.UpdatedAt < last {
				t.Errorf("updatedAt %s after %s: not sorted", n.UpdatedAt, last)
			}
			last = n.UpdatedAt
			actual += 1 + 2 + 2 + min(len(n.LineItems.Nodes), 10)
		}
		c := r.Extensions.Cost
		if c.RequestedQueryCost != 752 || c.ActualQueryCost == nil || *c.ActualQueryCost != actual {
			t.Errorf("cost = %d/%v; want 752/%d", c.RequestedQueryCost, c.ActualQueryCost, actual)
		}
		if !d.Orders.PageInfo.HasNextPage {
			break
		}
		after = d.Orders.PageInfo.EndCursor
	}
	want := s.Importable()
	if len(want) < 300 {
		t.Fatalf("only %d importable orders seeded", len(want))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("paged %d orders; want the %d importable ones", len(got), len(want))
	}
}

func TestThrottling(t *testing.T) {
	clock := newClock()
	s := New(Options{Plan: Standard, StartEmpty: true, Now: clock.Now})
	url := serve(t, s)
	q := `{ orders(first: 100) { nodes { id } } }` // requests 102, costs 2 with no orders

	status, r, raw := post(t, url, DefaultAccessToken, q, nil)
	wantErrors := `[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}]`
	if status != http.StatusOK || string(r.Errors) != wantErrors || r.Data != nil {
		t.Fatalf("empty bucket: %d %s", status, raw)
	}
	c := r.Extensions.Cost
	if c.RequestedQueryCost != 102 || c.ActualQueryCost != nil || c.ThrottleStatus.CurrentlyAvailable != 0 ||
		c.ThrottleStatus.MaximumAvailable != 2000 || c.ThrottleStatus.RestoreRate != 100 {
		t.Errorf("throttled cost = %+v", c)
	}

	clock.Add(1010 * time.Millisecond) // 101 points: still short
	if _, r, _ := post(t, url, DefaultAccessToken, q, nil); !slices.Equal(r.errorCodes(), []string{"THROTTLED"}) {
		t.Errorf("101 points: errors %s; want THROTTLED", r.Errors)
	}
	clock.Add(10 * time.Millisecond) // 102 points
	_, r, raw = post(t, url, DefaultAccessToken, q, nil)
	if r.Errors != nil || *r.Extensions.Cost.ActualQueryCost != 2 || r.Extensions.Cost.ThrottleStatus.CurrentlyAvailable != 100 {
		t.Errorf("102 points: %s; want success leaving 100 points", raw)
	}
	clock.Add(time.Hour)
	_, r, _ = post(t, url, DefaultAccessToken, q, nil)
	if got := r.Extensions.Cost.ThrottleStatus.CurrentlyAvailable; got != 1998 {
		t.Errorf("after an hour: %v points available; want the bucket full less 2", got)
	}
	st := s.Stats()
	if st.Throttled != 2 || st.Served != 2 || st.ActualCost != 4 || st.RequestedCost != 204 {
		t.Errorf("stats = %+v", st)
	}
}

func TestMaxCostExceeded(t *testing.T) {
	s := New(Options{})
	url := serve(t, s)
	_, r, raw := post(t, url, DefaultAccessToken, `{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { sku } } } } }`, nil)
	if !slices.Equal(r.errorCodes(), []string{"MAX_COST_EXCEEDED"}) || r.Extensions.Cost.RequestedQueryCost != 2+250*253 {
		t.Errorf("got %s", raw)
	}
	if r.Extensions.Cost.ThrottleStatus.CurrentlyAvailable != 2000 {
		t.Errorf("an over-cost query was charged: %s", raw)
	}
}

func TestGraphQLErrorsOverHTTP(t *testing.T) {
	url := serve(t, New(Options{}))
	_, r, raw := post(t, url, DefaultAccessToken, `{ shop { name } }`, nil)
	if !slices.Equal(r.errorCodes(), []string{"undefinedField"}) || r.Data != nil {
		t.Errorf("unknown field: %s", raw)
	}
	_, r, raw = post(t, url, DefaultAccessToken, `{ orders(first: 1, query: "status:(open") { nodes { id } } }`, nil)
	if !slices.Equal(r.errorCodes(), []string{"INVALID_SEARCH_QUERY"}) {
		t.Errorf("bad search: %s", raw)
	}
	_, r, raw = post(t, url, DefaultAccessToken, `{ orders(first: 1, after: "garbage") { nodes { id } } }`, nil)
	if r.Errors == nil || string(r.Data) != "null" {
		t.Errorf("bad cursor: %s", raw)
	}
	_, r, raw = post(t, url, DefaultAccessToken, `{ orders(first: 1, query: "colour:red") { nodes { id } } }`, nil)
	if r.Errors != nil || r.Extensions.Search == nil {
		t.Errorf("unknown search field: %s; want data and a search warning", raw)
	}
	status, _, raw := post(t, url+"/admin/api/latest", DefaultAccessToken, `{ __typename }`, nil)
	if status != http.StatusNotFound {
		t.Errorf("bad version: %d %s", status, raw)
	}
}

func TestFaults(t *testing.T) {
	s := New(Options{})
	url := serve(t, s)
	q := `{ orders(first: 1) { nodes { id } } }`
	s.SetFaults(Faults{Drop: 1, ServerErrors: 2, Slow: 1, Delay: time.Millisecond, Throttle: 1})

	body := bytes.NewReader([]byte(`{"query":"{ __typename }"}`))
	req, _ := http.NewRequest(http.MethodPost, url+"/admin/api/2026-10/graphql.json", body)
	req.Header.Set("X-Shopify-Access-Token", DefaultAccessToken)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped request answered %d", resp.StatusCode)
	}
	for _, want := range []int{http.StatusBadGateway, http.StatusServiceUnavailable} {
		if status, _, _ := post(t, url, DefaultAccessToken, q, nil); status != want {
			t.Errorf("status %d; want %d", status, want)
		}
	}
	if status, r, raw := post(t, url, DefaultAccessToken, q, nil); status != http.StatusOK || r.Errors != nil {
		t.Errorf("slow request: %d %s", status, raw)
	}
	if _, r, raw := post(t, url, DefaultAccessToken, q, nil); !slices.Equal(r.errorCodes(), []string{"THROTTLED"}) ||
		r.Extensions.Cost.ThrottleStatus.CurrentlyAvailable < 1990 {
		t.Errorf("throttle storm with a full bucket: %s", raw)
	}
	if _, r, _ := post(t, url, DefaultAccessToken, q, nil); r.Errors != nil {
		t.Errorf("after the faults: %s", r.Errors)
	}
	got := s.Stats().Faults
	if want := (FaultCounts{Drop: 1, ServerErrors: 2, Slow: 1, Throttle: 1}); got != want {
		t.Errorf("fault counts = %+v; want %+v", got, want)
	}
}

func TestOrderLifecycle(t *testing.T) {
	clock := newClock()
	s := New(Options{Now: clock.Now})
	id := s.CreateOrder([]cart.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}})
	o, ok := s.Order(id)
	if !ok || o.FinancialStatus != Paid || o.FulfillmentStatus != Unfulfilled || o.Closed || !o.UpdatedAt.Equal(clock.Now()) {
		t.Fatalf("created order = %+v", o)
	}
	if !slices.Equal(s.Importable(), []string{id}) {
		t.Errorf("Importable() = %v; want [%s]", s.Importable(), id)
	}
	clock.Add(time.Minute)
	if err := s.CancelOrder(id); err != nil {
		t.Fatal(err)
	}
	o, _ = s.Order(id)
	if o.CancelledAt.IsZero() || o.FinancialStatus != Refunded || !o.Closed || !o.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("cancelled order = %+v", o)
	}
	if len(s.Importable()) != 0 {
		t.Errorf("cancelled order is importable")
	}
	if err := s.CancelOrder(id); err == nil {
		t.Error("cancelled twice")
	}
	if err := s.FulfillOrder(id); err == nil {
		t.Error("fulfilled a cancelled order")
	}

	id2 := s.CreateOrder(nil)
	clock.Add(time.Minute)
	if err := s.FulfillOrder(id2); err != nil {
		t.Fatal(err)
	}
	o, _ = s.Order(id2)
	if o.FulfillmentStatus != Fulfilled || !o.Closed || !o.UpdatedAt.Equal(clock.Now()) || len(o.Lines) != 1 {
		t.Errorf("fulfilled order = %+v", o)
	}
	if err := s.CancelOrder("404"); err == nil {
		t.Error("cancelled a missing order")
	}

	url := serve(t, s)
	_, r, raw := post(t, url, DefaultAccessToken, `{ orders(first: 5, query: "status:cancelled") { nodes { legacyResourceId cancelledAt } } }`, nil)
	var d struct {
		Orders struct {
			Nodes []struct {
				LegacyResourceID string  `json:"legacyResourceId"`
				CancelledAt      *string `json:"cancelledAt"`
			} `json:"nodes"`
		} `json:"orders"`
	}
	json.Unmarshal(r.Data, &d)
	if len(d.Orders.Nodes) != 1 || d.Orders.Nodes[0].LegacyResourceID != id || d.Orders.Nodes[0].CancelledAt == nil {
		t.Errorf("status:cancelled: %s", raw)
	}
}

func TestLineItemPaging(t *testing.T) {
	s := New(Options{})
	lines := make([]cart.Line, 7)
	for i := range lines {
		lines[i] = cart.Line{SKU: string(rune('A' + i)), Quantity: i + 1}
	}
	id := s.CreateOrder(lines)
	url := serve(t, s)
	q := `query($id: ID!, $after: String) { order(id: $id) { lineItems(first: 3, after: $after) { pageInfo { hasNextPage endCursor } nodes { sku quantity } } } }`
	var got []cart.Line
	var after any
	for {
		_, r, raw := post(t, url, DefaultAccessToken, q, map[string]any{"id": "gid://shopify/Order/" + id, "after": after})
		var d struct {
			Order struct {
				LineItems struct {
					PageInfo struct {
						HasNextPage bool   `json:"hasNextPage"`
						EndCursor   string `json:"endCursor"`
					} `json:"pageInfo"`
					Nodes []cart.Line `json:"nodes"`
				} `json:"lineItems"`
			} `json:"order"`
		}
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		got = append(got, d.Order.LineItems.Nodes...)
		if !d.Order.LineItems.PageInfo.HasNextPage {
			break
		}
		after = d.Order.LineItems.PageInfo.EndCursor
	}
	if !slices.Equal(got, lines) {
		t.Errorf("lines = %v; want %v", got, lines)
	}
	_, r, raw := post(t, url, DefaultAccessToken, q, map[string]any{"id": "gid://shopify/Order/1"})
	if r.Errors != nil || string(r.Data) != `{"order":null}` || *r.Extensions.Cost.ActualQueryCost != 1 {
		t.Errorf("missing order: %s", raw)
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	clock := newClock()
	a, b := New(Options{Now: clock.Now}), New(Options{Now: clock.Now})
	a.Seed(200, 3)
	b.Seed(200, 3)
	oa, ob := a.Orders(), b.Orders()
	for i := range oa {
		if oa[i].UpdatedAt != ob[i].UpdatedAt || oa[i].FinancialStatus != ob[i].FinancialStatus || !slices.Equal(oa[i].Lines, ob[i].Lines) {
			t.Fatalf("order %d differs: %+v vs %+v", i, oa[i], ob[i])
		}
	}
	kinds := map[[3]string]bool{}
	for _, o := range oa {
		kinds[[3]string{o.FinancialStatus, o.FulfillmentStatus, o.CancelledAt.String()[:4]}] = true
	}
	if len(kinds) < 8 {
		t.Errorf("only %d status mixes in 200 seeded orders", len(kinds))
	}
}

func TestSeedSKUs(t *testing.T) {
	skus := []string{"MUG-BLUE", "TEE-S"}
	s := New(Options{SKUs: skus})
	s.Seed(50, 1)
	for _, o := range s.Orders() {
		for _, l := range o.Lines {
			if !slices.Contains(skus, l.SKU) {
				t.Fatalf("order %s sells %q; want one of %v", o.ID, l.SKU, skus)
			}
		}
	}
	o, _ := s.Order(s.CreateOrder(nil))
	if o.Lines[0].SKU != "MUG-BLUE" {
		t.Errorf("default line %+v; want the first SKU", o.Lines[0])
	}
}

func TestGraphQLContentType(t *testing.T) {
	url := serve(t, New(Options{}))
	req, _ := http.NewRequest(http.MethodPost, url+"/admin/api/unstable/graphql.json", bytes.NewReader([]byte(`{ __typename }`)))
	req.Header.Set("Content-Type", "application/graphql")
	req.Header.Set("X-Shopify-Access-Token", DefaultAccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte(`{"data":{"__typename":"QueryRoot"}`)) ||
		resp.Header.Get("X-Shopify-API-Version") != "unstable" {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
}
