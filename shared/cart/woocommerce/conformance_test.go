package woocommerce

// Conformance with WooCommerce's published REST API v3 reference
// (testdata/docs, see SOURCE.md there). WooCommerce publishes its reference
// as Markdown pages with property and parameter tables and JSON examples,
// not as an OpenAPI document, so the checks are built from those tables:
// every body the connector sends must hold only documented, writable
// properties of the documented types and options, every query parameter
// must be documented with a valid value, and the pages' example responses
// must parse to their own values.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/simulator/apispec"
)

func page(t testing.TB, file string) *apispec.Page {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "docs", file))
	if err != nil {
		t.Fatal(err)
	}
	return apispec.ParsePage(b)
}

// docs are the reference pages the connector's calls are described on.
type docs struct {
	orders, products, variations, webhooks *apispec.Page
}

func loadDocs(t testing.TB) docs {
	return docs{
		orders:     page(t, "_orders.md"),
		products:   page(t, "_products.md"),
		variations: page(t, "_product-variations.md"),
		webhooks:   page(t, "_webhooks.md"),
	}
}

func (d docs) example(t testing.TB, p *apispec.Page, section string) []byte {
	t.Helper()
	b, err := p.Example(section)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wpGlobals are WordPress's global REST parameters (documented in the WP
// REST API handbook, not on WooCommerce's pages), and the documented
// query-string authentication.
var wpGlobals = map[string]bool{"_fields": true, "consumer_key": true, "consumer_secret": true}

// errata are values the API takes that the published tables leave out,
// each named. The docs repository was last updated in March 2024 and its
// orderby lists predate "modified", which WooCommerce's own collection
// schema (served at OPTIONS /wp-json/wc/v3/orders and /products) lists and
// the same tables' modified_after parameter presumes; the live contract
// test (live_test.go) exercises it against a real store.
var errata = map[string]map[string][]string{
	"list-all-orders":   {"orderby": {"modified"}},
	"list-all-products": {"orderby": {"modified"}},
}

// checkQuery validates q against a section's "Available parameters" table.
func checkQuery(p *apispec.Page, section string, q map[string][]string) error {
	params, err := p.Params(section)
	if err != nil {
		return err
	}
	q = maps.Clone(q)
	for k, extra := range errata[section] {
		q[k] = slices.DeleteFunc(slices.Clone(q[k]), func(v string) bool { return slices.Contains(extra, v) })
	}
	for k, vs := range q {
		if wpGlobals[k] {
			continue
		}
		sc, ok := params[k]
		if !ok {
			return &paramError{k, "not a documented parameter of #" + section}
		}
		for _, v := range vs {
			if err := paramValue(sc, v); err != nil {
				return &paramError{k, err.Error()}
			}
		}
	}
	return nil
}

type paramError struct{ name, reason string }

func (e *paramError) Error() string { return "parameter " + e.name + ": " + e.reason }

// paramValue checks a query value the way WordPress reads it: integers and
// booleans from text, arrays as comma-separated lists.
func paramValue(sc *openapi3.Schema, v string) error {
	var val any = v
	switch {
	case sc.Type.Is("integer"):
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return err
		}
		val = float64(n)
	case sc.Type.Is("boolean"):
		b, err := strconv.ParseBool(v)
		if err != nil {
			return err
		}
		val = b
	case sc.Type.Is("array"):
		var items []any
		for _, s := range strings.Split(v, ",") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				items = append(items, float64(n))
			} else {
				items = append(items, s)
			}
		}
		val = items
	}
	return sc.VisitJSON(val)
}

// docServer is a stand-in store that knows only the reference pages.
type docServer struct {
	t    *testing.T
	d    docs
	url  string
	mu   sync.Mutex
	seen []string
	// hooks is what GET /webhooks answers.
	hooks []byte
	// tracked makes the products and variations the pages show count
	// their own stock (the examples have manage_stock false).
	tracked bool
}

var (
	orderPathRE     = regexp.MustCompile(`^/orders/\d+$`)
	productPathRE   = regexp.MustCompile(`^/products/\d+$`)
	variationsRE    = regexp.MustCompile(`^/products/\d+/variations$`)
	variationsBatch = regexp.MustCompile(`^/products/\d+/variations/batch$`)
	webhookPathRE   = regexp.MustCompile(`^/webhooks/\d+$`)
)

func newDocServer(t *testing.T) *docServer {
	s := &docServer{t: t, d: loadDocs(t), hooks: []byte(`[]`)}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *docServer) serve(w http.ResponseWriter, r *http.Request) {
	t := s.t
	body, _ := io.ReadAll(r.Body)
	path, ok := strings.CutPrefix(r.URL.Path, APIPath)
	if !ok {
		t.Errorf("request outside %s: %s", APIPath, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.seen = append(s.seen, r.Method+" "+path)
	s.mu.Unlock()
	q := r.URL.Query()
	d := s.d
	var (
		pg      *apispec.Page
		section string // whose parameters table the query is checked against
		schema  *openapi3.Schema
		answer  []byte
		err     error
	)
	switch {
	case r.Method == http.MethodGet && path == "/orders":
		pg, section, answer = d.orders, "list-all-orders", d.example(t, d.orders, "list-all-orders")
	case r.Method == http.MethodGet && orderPathRE.MatchString(path):
		pg, section, answer = d.orders, "retrieve-an-order", d.example(t, d.orders, "retrieve-an-order")
	case r.Method == http.MethodGet && path == "/products":
		pg, section, answer = d.products, "list-all-products", d.example(t, d.products, "list-all-products")
	case r.Method == http.MethodGet && productPathRE.MatchString(path):
		// The section documents no parameters: WordPress's globals only.
		answer = d.example(t, d.products, "retrieve-a-product")
	case r.Method == http.MethodGet && variationsRE.MatchString(path):
		pg, section, answer = d.variations, "list-all-product-variations", d.example(t, d.variations, "list-all-product-variations")
	case r.Method == http.MethodPost && path == "/products/batch":
		schema, err = d.products.Batch("product-properties", apispec.Strict)
		answer = batchAnswer(t, body, d.example(t, d.products, "retrieve-a-product"))
	case r.Method == http.MethodPost && variationsBatch.MatchString(path):
		schema, err = d.variations.Batch("product-variation-properties", apispec.Strict)
		answer = batchAnswer(t, body, d.example(t, d.variations, "retrieve-a-product-variation"))
	case r.Method == http.MethodGet && path == "/webhooks":
		pg, section, answer = d.webhooks, "list-all-webhooks", s.hooks
	case r.Method == http.MethodPost && path == "/webhooks":
		schema, err = d.webhooks.Object("webhook-properties", apispec.Strict)
		answer = d.example(t, d.webhooks, "create-a-webhook")
	case r.Method == http.MethodPut && webhookPathRE.MatchString(path):
		schema, err = d.webhooks.Object("webhook-properties", apispec.Strict)
		answer = d.example(t, d.webhooks, "update-a-webhook")
	case r.Method == http.MethodDelete && webhookPathRE.MatchString(path):
		pg, section, answer = d.webhooks, "delete-a-webhook", d.example(t, d.webhooks, "delete-a-webhook")
	default:
		t.Errorf("%s %s: not an operation the connector should call", r.Method, path)
		http.NotFound(w, r)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if pg != nil {
		if err := checkQuery(pg, section, q); err != nil {
			t.Errorf("%s %s?%s: %v", r.Method, path, r.URL.RawQuery, err)
		}
	} else {
		for k := range q {
			if !wpGlobals[k] {
				t.Errorf("%s %s: undocumented query parameter %s", r.Method, path, k)
			}
		}
	}
	if schema != nil {
		if err := apispec.Validate(schema, body); err != nil {
			t.Errorf("%s %s: the documented properties refuse the body: %v\nbody: %s", r.Method, path, err, body)
		}
	}
	if s.tracked && strings.HasPrefix(path, "/products") {
		answer = tracked(t, answer)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(ordered(answer, q.Get("orderby"), q.Get("order")))
}

// tracked sets manage_stock true on the objects of a list or batch answer.
func tracked(t *testing.T, answer []byte) []byte {
	var list []map[string]any
	if json.Unmarshal(answer, &list) == nil {
		for _, o := range list {
			o["manage_stock"] = true
		}
		b, _ := json.Marshal(list)
		return b
	}
	var batch map[string][]map[string]any
	if err := json.Unmarshal(answer, &batch); err != nil {
		t.Errorf("answer: %v", err)
		return answer
	}
	for _, o := range batch["update"] {
		o["manage_stock"] = true
	}
	b, _ := json.Marshal(batch)
	return b
}

// ordered sorts a list example as the query asks, as the store would.
func ordered(list []byte, by, dir string) []byte {
	key := map[string]string{"modified": "date_modified_gmt", "id": "id", "date": "date_created_gmt"}[by]
	var items []map[string]any
	if key == "" || json.Unmarshal(list, &items) != nil {
		return list
	}
	slices.SortStableFunc(items, func(a, b map[string]any) int {
		c := strings.Compare(fmt.Sprint(a[key]), fmt.Sprint(b[key]))
		if x, ok := a[key].(float64); ok {
			c = cmp.Compare(x, b[key].(float64))
		}
		if dir == "desc" {
			return -c
		}
		return c
	})
	b, _ := json.Marshal(items)
	return b
}

// batchAnswer answers a batch update as WooCommerce does, one object per
// update in order: the page's own example object, with the id and the
// stock the update set.
func batchAnswer(t *testing.T, body, example []byte) []byte {
	var req struct {
		Update []map[string]any `json:"update"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Errorf("batch body: %v", err)
		return []byte(`{}`)
	}
	var out []map[string]any
	for _, u := range req.Update {
		var obj map[string]any
		json.Unmarshal(example, &obj)
		for k, v := range u {
			obj[k] = v
		}
		out = append(out, obj)
	}
	b, _ := json.Marshal(map[string]any{"update": out})
	return b
}

func TestConformanceOrdersExamples(t *testing.T) {
	s := newDocServer(t)
	c := newClient(t, s.url, Config{})
	var list []struct {
		ID              int64  `json:"id"`
		Number          string `json:"number"`
		Status          string `json:"status"`
		Currency        string `json:"currency"`
		Total           string `json:"total"`
		DateCreatedGMT  string `json:"date_created_gmt"`
		DateModifiedGMT string `json:"date_modified_gmt"`
		LineItems       []struct {
			SKU      string `json:"sku"`
			Quantity int    `json:"quantity"`
		} `json:"line_items"`
	}
	if err := json.Unmarshal(s.d.example(t, s.d.orders, "list-all-orders"), &list); err != nil || len(list) == 0 {
		t.Fatalf("orders example: %v", err)
	}
	// Every status the examples hold, so none is dropped by the filter.
	var statuses []string
	for _, o := range list {
		if !slices.Contains(statuses, o.Status) {
			statuses = append(statuses, o.Status)
		}
	}
	got := carttest.Orders(t, c, cart.OrderQuery{Statuses: statuses})
	if len(got) != len(list) {
		t.Fatalf("%d orders; the example has %d", len(got), len(list))
	}
	byID := map[string]cart.Order{}
	for _, o := range got {
		byID[o.ExternalID] = o
	}
	for _, want := range list {
		o, ok := byID[strconv.FormatInt(want.ID, 10)]
		created, _ := time.Parse("2006-01-02T15:04:05", want.DateCreatedGMT)
		modified, _ := time.Parse("2006-01-02T15:04:05", want.DateModifiedGMT)
		var lines []cart.Line
		for _, l := range want.LineItems {
			lines = append(lines, cart.Line{SKU: l.SKU, Quantity: l.Quantity})
		}
		if !ok || o.CartStatus != want.Status || !o.CreatedAt.Equal(created) || !o.UpdatedAt.Equal(modified) ||
			o.Total != want.Total || !strings.EqualFold(o.Currency, want.Currency) || !slices.Equal(o.Lines, lines) ||
			!strings.Contains(o.Number, want.Number) {
			t.Errorf("order %d = %+v; the example says %+v", want.ID, o, want)
		}
	}

	var one struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal(s.d.example(t, s.d.orders, "retrieve-an-order"), &one)
	o, err := c.Order(t.Context(), strconv.FormatInt(one.ID, 10))
	if err != nil || o.ExternalID != strconv.FormatInt(one.ID, 10) {
		t.Fatalf("Order(%d) = %+v, %v", one.ID, o, err)
	}
}

func TestConformanceListingsExamples(t *testing.T) {
	s := newDocServer(t)
	c := newClient(t, s.url, Config{})
	type variation struct {
		ID            int64  `json:"id"`
		SKU           string `json:"sku"`
		Price         string `json:"price"`
		ManageStock   any    `json:"manage_stock"`
		StockQuantity *int   `json:"stock_quantity"`
	}
	var products []struct {
		ID            int64   `json:"id"`
		Type          string  `json:"type"`
		SKU           string  `json:"sku"`
		Price         string  `json:"price"`
		ManageStock   bool    `json:"manage_stock"`
		StockQuantity *int    `json:"stock_quantity"`
		Variations    []int64 `json:"variations"`
	}
	if err := json.Unmarshal(s.d.example(t, s.d.products, "list-all-products"), &products); err != nil || len(products) == 0 {
		t.Fatalf("products example: %v", err)
	}
	var variations []variation
	if err := json.Unmarshal(s.d.example(t, s.d.variations, "list-all-product-variations"), &variations); err != nil {
		t.Fatal(err)
	}
	// What the pages say the listings are: a simple product with a SKU is
	// one; a variable product's variations with a SKU are one each (the
	// server answers every variations request with the page's example).
	type want struct {
		sku, product, variant, price string
		qty                          *int
	}
	var wants []want
	for _, p := range products {
		switch p.Type {
		case "simple":
			if p.SKU == "" {
				continue
			}
			w := want{sku: p.SKU, product: strconv.FormatInt(p.ID, 10), price: p.Price}
			if p.ManageStock {
				w.qty = p.StockQuantity
			}
			wants = append(wants, w)
		case "variable":
			if len(p.Variations) == 0 {
				continue
			}
			for _, v := range variations {
				if v.SKU == "" {
					continue
				}
				w := want{sku: v.SKU, product: strconv.FormatInt(p.ID, 10), variant: strconv.FormatInt(v.ID, 10), price: v.Price}
				if v.ManageStock == true {
					w.qty = v.StockQuantity
				}
				wants = append(wants, w)
			}
		}
	}
	got := carttest.Listings(t, c, cart.ListingQuery{})
	// The pages' examples carry no SKUs (every "sku" is ""), so they offer
	// no listing; what they do carry is read to its values below, and the
	// variations of every variable product that lists some are asked for
	// (the list example's variable product lists none).
	for _, p := range products {
		if p.Type == "variable" && len(p.Variations) > 0 && !slices.Contains(s.seen, "GET /products/"+strconv.FormatInt(p.ID, 10)+"/variations") {
			t.Errorf("the variations of variable product %d were not read: %v", p.ID, s.seen)
		}
	}
	parsed, _, err := parseProducts(s.d.example(t, s.d.products, "list-all-products"))
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed) != len(products) {
		t.Fatalf("%d products parsed; the example has %d", len(parsed), len(products))
	}
	for i, p := range products {
		var vids []int64
		for _, v := range parsed[i].Variations {
			vids = append(vids, v.N)
		}
		if parsed[i].ID.N != p.ID || parsed[i].Type != p.Type || string(parsed[i].Price) != p.Price || !slices.Equal(vids, p.Variations) {
			t.Errorf("product %d parsed as %+v; the example says %+v", p.ID, parsed[i], p)
		}
	}
	pv, err := parseVariations(s.d.example(t, s.d.variations, "list-all-product-variations"))
	if err != nil || len(pv) != len(variations) {
		t.Fatalf("variations: %d parsed, %v; the example has %d", len(pv), err, len(variations))
	}
	for i, v := range variations {
		if pv[i].ID.N != v.ID || string(pv[i].Price) != v.Price {
			t.Errorf("variation %d parsed as %+v; the example says %+v", v.ID, pv[i], v)
		}
	}
	if len(got) != len(wants) {
		t.Fatalf("%d listings; the examples give %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		l := got[i]
		if l.SKU != w.sku || l.Link.ProductID != w.product || l.Link.VariantID != w.variant || l.Price != w.price ||
			(l.Quantity == nil) != (w.qty == nil) || (l.Quantity != nil && *l.Quantity != *w.qty) {
			t.Errorf("listing %d = %+v; the examples say %+v", i, l, w)
		}
	}
}

// One product by id (an instasync product webhook): the request is
// documented and the page's example is read (it has no SKU, so no listing).
func TestConformanceProductExample(t *testing.T) {
	s := newDocServer(t)
	c := newClient(t, s.url, Config{})
	var p struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal(s.d.example(t, s.d.products, "retrieve-a-product"), &p)
	got, err := c.ProductListings(t.Context(), strconv.FormatInt(p.ID, 10))
	if err != nil || len(got) != 0 {
		t.Fatalf("ProductListings(%d) = %+v, %v", p.ID, got, err)
	}
	if !slices.Contains(s.seen, "GET /products/"+strconv.FormatInt(p.ID, 10)) {
		t.Errorf("requests: %v", s.seen)
	}
}

// Stock pushes to simple products and to variations: the reads of their
// stock tracking use documented parameters, and bodies hold only
// documented writable properties of the documented types.
func TestConformanceStockRequests(t *testing.T) {
	ups := []cart.StockUpdate{
		{SKU: "MUG-BLUE", Link: cart.Link{ProductID: "794"}, Quantity: 12},
		{SKU: "TEE-M", Link: cart.Link{ProductID: "799", VariantID: "733"}, Quantity: 0},
	}
	s := newDocServer(t)
	s.tracked = true
	c := newClient(t, s.url, Config{})
	res, err := c.SetStock(t.Context(), ups)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("%s: %v", r.SKU, r.Err)
		}
	}
	want := []string{"GET /products", "POST /products/batch", "GET /products/799/variations", "POST /products/799/variations/batch"}
	if !slices.Equal(s.seen, want) {
		t.Errorf("requests: %v; want %v", s.seen, want)
	}
	// As the pages show them (manage_stock false), nothing is written.
	s = newDocServer(t)
	c = newClient(t, s.url, Config{})
	if res, err = c.SetStock(t.Context(), ups); err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err == nil || !strings.Contains(r.Err.Error(), "does not track") {
			t.Errorf("%s: %v; want left alone, untracked", r.SKU, r.Err)
		}
	}
	if want := []string{"GET /products", "GET /products/799/variations"}; !slices.Equal(s.seen, want) {
		t.Errorf("requests: %v; want %v", s.seen, want)
	}
}

func TestConformanceWebhookRequests(t *testing.T) {
	s := newDocServer(t)
	c := newClient(t, s.url, Config{})
	var made struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal(s.d.example(t, s.d.webhooks, "create-a-webhook"), &made)
	sub, err := c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/wc", "wc-secret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sub.ID, strconv.FormatInt(made.ID, 10)) {
		t.Errorf("subscription %q; the example's id is %d", sub.ID, made.ID)
	}
	// A webhook already posting there: taken over with PUT.
	s.hooks = []byte(`[{"id":143,"name":"Autosync product.updated","status":"active","topic":"product.updated","delivery_url":"https://hooks.example/wc"}]`)
	if _, err := c.Subscribe(t.Context(), cart.TopicProducts, "https://hooks.example/wc", "wc-secret"); err != nil {
		t.Fatal(err)
	}
	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Fatal(err)
	}
	seen := strings.Join(s.seen, "\n")
	for _, want := range []string{"POST /webhooks", "PUT /webhooks/143", "DELETE /webhooks/"} {
		if !strings.Contains(seen, want) {
			t.Errorf("no %q among:\n%s", want, seen)
		}
	}
}

// The checks built from the tables refuse what the tables refuse.
func TestConformanceTablesRefuse(t *testing.T) {
	d := loadDocs(t)
	batch, err := d.products.Batch("product-properties", apispec.Strict)
	if err != nil {
		t.Fatal(err)
	}
	lenient, err := d.products.Batch("product-properties", apispec.Lenient)
	if err != nil {
		t.Fatal(err)
	}
	hook, err := d.webhooks.Object("webhook-properties", apispec.Strict)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		sc        *openapi3.Schema
		body      string
		lenientOK bool // WordPress itself lets it through
	}{
		"stock as numeric text":   {batch, `{"update":[{"id":1,"stock_quantity":"3"}]}`, true}, // WordPress casts it
		"stock as words":          {batch, `{"update":[{"id":1,"stock_quantity":"three"}]}`, false},
		"manage_stock as text":    {batch, `{"update":[{"id":1,"manage_stock":"yes"}]}`, false},
		"update without id":       {batch, `{"update":[{"stock_quantity":3}]}`, false},
		"undocumented property":   {batch, `{"update":[{"id":1,"stock":3}]}`, true},
		"read-only property":      {batch, `{"update":[{"id":1,"price":"3.00"}]}`, true},
		"stock status not option": {batch, `{"update":[{"id":1,"stock_status":"plenty"}]}`, false},
		"webhook status":          {hook, `{"topic":"order.created","delivery_url":"https://a.example","status":"on"}`, false},
	} {
		if err := apispec.Validate(tc.sc, []byte(tc.body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if tc.sc == batch {
			err := apispec.Validate(lenient, []byte(tc.body))
			if (err == nil) != tc.lenientOK {
				t.Errorf("%s: lenient check = %v; want accepted %v", name, err, tc.lenientOK)
			}
		}
	}
}
