package bigcommerce

// Conformance with BigCommerce's own published OpenAPI documents
// (testdata/openapi, see SOURCE.md there): every request the connector
// sends validates against them, and their example responses parse to the
// examples' own values.

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/simulator/apispec"
)

// publishedSpecs loads the documents, each under the path prefix its
// server URL gives (https://api.bigcommerce.com/stores/{store_hash}/v2|v3).
func publishedSpecs(t testing.TB) apispec.Set {
	t.Helper()
	var set apispec.Set
	for _, f := range []struct{ file, prefix string }{
		{"orders.v2.oas2.yml", "/" + OrdersAPI},
		{"products_catalog.v3.yml", "/" + CatalogAPI},
		{"inventory.v3.yml", "/" + CatalogAPI},
		{"webhooks.v3.yml", "/" + CatalogAPI},
		{"product-variants_catalog.v3.yml", "/" + CatalogAPI},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", "openapi", f.file))
		if err != nil {
			t.Fatal(err)
		}
		s, err := apispec.Load(f.file, b, f.prefix)
		if err != nil {
			t.Fatal(err)
		}
		set = append(set, s)
	}
	return set
}

// specServer answers as the published documents do, below /stores/{hash}.
func specServer(t *testing.T, answer func(r *http.Request, body []byte) (int, []byte, bool)) (*carttest.SpecServer, *Client) {
	srv := carttest.NewSpecServer(t, publishedSpecs(t), carttest.SpecServerOptions{
		Path:   func(p string) (string, bool) { return strings.CutPrefix(p, "/stores/"+hash) },
		Answer: answer,
		// orders.v2: the sort parameter's enum lists bare field names while
		// its description says to append ":asc" or ":desc"
		// ("sort=date_created:desc"); the suffix is checked here and the
		// field against the enum.
		//
		// inventory.v3: the variant_id:in and product_id:in filters are
		// described as lists "separated by comma" (and sent so in
		// BigCommerce's inventory guide: variant_id:in=74) but typed
		// integer; each element is checked as a positive integer here
		// and the first against the schema.
		Errata: func(r *http.Request) {
			q := r.URL.Query()
			if v := q.Get("sort"); v != "" {
				f, dir, found := strings.Cut(v, ":")
				if found && dir != "asc" && dir != "desc" {
					t.Errorf("sort direction %q is not :asc or :desc", dir)
				}
				q.Set("sort", f)
			}
			if strings.HasPrefix(r.URL.Path, "/"+CatalogAPI+"/inventory/") {
				for _, name := range []string{"variant_id:in", "product_id:in"} {
					v := q.Get(name)
					if v == "" {
						continue
					}
					ids := strings.Split(v, ",")
					for _, id := range ids {
						if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
							t.Errorf("%s=%q: %q is not an id", name, v, id)
						}
					}
					q.Set(name, ids[0])
				}
			}
			r.URL.RawQuery = q.Encode()
		},
	})
	return srv, newClient(t, srv.URL, token)
}

func example(t *testing.T, method, path string, status int) []byte {
	t.Helper()
	b, err := publishedSpecs(t).Example(method, path, status)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exampleLines is what the connector must read from the published
// /orders/{id}/products example: each line's sku and the quantity still
// to fulfil (quantity less quantity_refunded).
func exampleLines(t *testing.T) []cart.Line {
	var items []struct {
		SKU              string  `json:"sku"`
		Quantity         int     `json:"quantity"`
		QuantityRefunded float64 `json:"quantity_refunded"`
	}
	if err := json.Unmarshal(example(t, "GET", "/v2/orders/1/products", 200), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) == 0 {
		t.Fatal("the published example has no line items")
	}
	var out []cart.Line
	for _, it := range items {
		out = append(out, cart.Line{SKU: it.SKU, Quantity: it.Quantity - int(it.QuantityRefunded)})
	}
	return out
}

type exampleOrder struct {
	ID           int64  `json:"id"`
	StatusID     int    `json:"status_id"`
	Status       string `json:"status"`
	DateCreated  string `json:"date_created"`
	DateModified string `json:"date_modified"`
	TotalIncTax  string `json:"total_inc_tax"`
	CurrencyCode string `json:"currency_code"`
}

func (e exampleOrder) check(t *testing.T, got cart.Order, lines []cart.Line) {
	t.Helper()
	created, _ := time.Parse(time.RFC1123Z, e.DateCreated)
	modified, _ := time.Parse(time.RFC1123Z, e.DateModified)
	want, _ := strconv.ParseFloat(e.TotalIncTax, 64)
	total, _ := strconv.ParseFloat(got.Total, 64)
	if got.ExternalID != strconv.FormatInt(e.ID, 10) || got.CartStatus != e.Status ||
		!got.CreatedAt.Equal(created) || !got.UpdatedAt.Equal(modified) || total != want ||
		(e.CurrencyCode != "" && got.Currency != e.CurrencyCode) {
		t.Errorf("order = %+v; the example says %+v", got, e)
	}
	if e.StatusID == 11 && got.Filter != cart.AwaitingFulfillment {
		t.Errorf("status %d read as %q", e.StatusID, got.Filter)
	}
	if !slices.Equal(got.Lines, lines) {
		t.Errorf("lines = %v; the example's are %v", got.Lines, lines)
	}
}

func TestConformanceOrdersPublishedExamples(t *testing.T) {
	_, c := specServer(t, nil)
	var list []exampleOrder
	if err := json.Unmarshal(example(t, "GET", "/v2/orders", 200), &list); err != nil || len(list) == 0 {
		t.Fatalf("published orders example: %v (%d orders)", err, len(list))
	}
	modified, err := time.Parse(time.RFC1123Z, list[0].DateModified)
	if err != nil {
		t.Fatal(err)
	}
	lines := exampleLines(t)
	// A window around the example's own date_modified and its status (the
	// server answers every status query with the same example), so the
	// connector keeps the order it reads, once.
	got := carttest.Orders(t, c, cart.OrderQuery{
		UpdatedFrom: modified.Add(-time.Hour), UpdatedTo: modified.Add(time.Hour),
		Statuses: []string{strconv.Itoa(list[0].StatusID)},
	})
	if len(got) != len(list) {
		t.Fatalf("read %d orders; the example has %d", len(got), len(list))
	}
	for i := range list {
		list[i].check(t, got[i], lines)
	}

	var one exampleOrder
	if err := json.Unmarshal(example(t, "GET", "/v2/orders/1", 200), &one); err != nil {
		t.Fatal(err)
	}
	o, err := c.Order(t.Context(), strconv.FormatInt(one.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	one.check(t, o, lines)
}

// publishedProduct assembles what GET /catalog/products?include=variants,images
// answers from the documents' own examples: the document publishes no
// whole list example, so the product is the GET /catalog/products/{id}
// example with the variants and images list examples embedded (as include
// embeds them), and the page's meta is the variants list's.
func publishedProduct(t *testing.T) (product map[string]any, meta any) {
	t.Helper()
	var one, variants, images map[string]any
	for _, x := range []struct {
		path string
		into *map[string]any
	}{
		{"/v3/catalog/products/1", &one},
		{"/v3/catalog/products/1/variants", &variants},
		{"/v3/catalog/products/1/images", &images},
	} {
		if err := json.Unmarshal(example(t, "GET", x.path, 200), x.into); err != nil {
			t.Fatal(err)
		}
	}
	product, _ = one["data"].(map[string]any)
	if product == nil || variants["data"] == nil || images["data"] == nil {
		t.Fatal("published examples lack data")
	}
	product["variants"] = variants["data"]
	product["images"] = images["data"]
	return product, variants["meta"]
}

// wantListings reads the published product the way the docs describe it:
// one listing per variant with a SKU, named by product and option values,
// priced by the variant, pictured by the images' zoom URLs in sort order,
// with stock where inventory is tracked.
func wantListings(t *testing.T, product map[string]any) []cart.Listing {
	t.Helper()
	b, _ := json.Marshal(product)
	var p struct {
		ID                int64   `json:"id"`
		Name              string  `json:"name"`
		InventoryTracking string  `json:"inventory_tracking"`
		InventoryLevel    int     `json:"inventory_level"`
		Price             float64 `json:"price"`
		Images            []struct {
			ID        int64  `json:"id"`
			SortOrder int    `json:"sort_order"`
			URLZoom   string `json:"url_zoom"`
		} `json:"images"`
		Variants []struct {
			ID             int64    `json:"id"`
			SKU            string   `json:"sku"`
			InventoryLevel int      `json:"inventory_level"`
			Price          *float64 `json:"price"`
			OptionValues   []struct {
				Label             string `json:"label"`
				OptionDisplayName string `json:"option_display_name"`
			} `json:"option_values"`
		} `json:"variants"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(p.Images, func(a, b struct {
		ID        int64  `json:"id"`
		SortOrder int    `json:"sort_order"`
		URLZoom   string `json:"url_zoom"`
	}) int {
		if a.SortOrder != b.SortOrder {
			return a.SortOrder - b.SortOrder
		}
		return int(a.ID - b.ID)
	})
	var images []string
	for _, im := range p.Images {
		images = append(images, im.URLZoom)
	}
	var want []cart.Listing
	for _, v := range p.Variants {
		if v.SKU == "" {
			continue
		}
		name := p.Name
		var opts []string
		for _, o := range v.OptionValues {
			opts = append(opts, o.OptionDisplayName+": "+o.Label)
		}
		if len(opts) > 0 {
			name += " (" + strings.Join(opts, ", ") + ")"
		}
		price := p.Price
		if v.Price != nil {
			price = *v.Price
		}
		l := cart.Listing{
			SKU: v.SKU, Name: name, Price: strconv.FormatFloat(price, 'f', -1, 64), Images: images,
			Link: cart.Link{ProductID: strconv.FormatInt(p.ID, 10), VariantID: strconv.FormatInt(v.ID, 10)},
		}
		switch p.InventoryTracking {
		case "variant":
			l.Quantity = &v.InventoryLevel
		case "product":
			l.Quantity = &p.InventoryLevel
		}
		want = append(want, l)
	}
	if len(want) == 0 {
		t.Fatal("the published examples offer no variant with a SKU")
	}
	return want
}

// catalogAnswer answers a GET of the catalog's products with page and of
// one product with one; it leaves other requests unanswered.
func catalogAnswer(r *http.Request, page, one []byte) (int, []byte, bool) {
	switch {
	case r.Method != http.MethodGet:
	case r.URL.Path == "/"+CatalogAPI+"/catalog/products":
		return http.StatusOK, page, true
	case strings.HasPrefix(r.URL.Path, "/"+CatalogAPI+"/catalog/products/"):
		return http.StatusOK, one, true
	}
	return 0, nil, false
}

func TestConformanceListingsPublishedExamples(t *testing.T) {
	product, meta := publishedProduct(t)
	want := wantListings(t, product)
	page, _ := json.Marshal(map[string]any{"data": []any{product}, "meta": meta})
	one, _ := json.Marshal(map[string]any{"data": product, "meta": map[string]any{}})

	pp, err := parseProducts(page, 50)
	if err != nil {
		t.Fatalf("published products: %v", err)
	}
	if pp.more {
		t.Error("more pages, though the example's meta.pagination says page 1 of 1")
	}
	compareListings(t, pp.listings, want)

	_, c := specServer(t, func(r *http.Request, _ []byte) (int, []byte, bool) { return catalogAnswer(r, page, one) })
	compareListings(t, carttest.Listings(t, c, cart.ListingQuery{}), want)
	got, err := c.ProductListings(t.Context(), want[0].Link.ProductID)
	if err != nil {
		t.Fatal(err)
	}
	compareListings(t, got, want)
}

func compareListings(t *testing.T, got, want []cart.Listing) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d listings; the example has %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		gp, _ := strconv.ParseFloat(g.Price, 64)
		wp, _ := strconv.ParseFloat(w.Price, 64)
		if g.SKU != w.SKU || g.Name != w.Name || gp != wp || g.Link != w.Link || !slices.Equal(g.Images, w.Images) ||
			(g.Quantity == nil) != (w.Quantity == nil) || (g.Quantity != nil && *g.Quantity != *w.Quantity) {
			t.Errorf("listing %d = %+v; the example says %+v", i, g, w)
		}
	}
}

// Every shape of absolute adjustment the connector sends (by variant, by
// product, by SKU, at the default and at a set location) validates.
func TestConformanceStockRequests(t *testing.T) {
	answered := 0
	srv, c := specServer(t, func(r *http.Request, body []byte) (int, []byte, bool) {
		if r.Method == http.MethodPut && r.URL.Path == "/"+CatalogAPI+"/inventory/adjustments/absolute" {
			answered++
			// The document publishes no 200 example; its schema is a
			// transaction id.
			return http.StatusOK, []byte(`{"transaction_id":"3f0b7c1e-5a4d-4f8b-9c2e-1d3a5b7c9e0f"}`), true
		}
		return 0, nil, false
	})
	res, err := c.SetStock(t.Context(), []cart.StockUpdate{
		{SKU: "MUG-BLUE", Link: cart.Link{ProductID: "77", VariantID: "345"}, Quantity: 12},
		{SKU: "TEE-M", Link: cart.Link{ProductID: "78"}, Quantity: 0},
		{SKU: "CAP-1", Quantity: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("%s: %v", r.SKU, r.Err)
		}
	}
	if answered == 0 {
		t.Fatalf("no adjustment was sent: %v", srv.Seen())
	}

	other, err := New(Config{StoreHash: hash, BaseURL: srv.URL, AccessToken: token, LocationID: 4})
	if err != nil {
		t.Fatal(err)
	}
	other.retry = fastRetry
	if _, err := other.SetStock(t.Context(), []cart.StockUpdate{{SKU: "MUG-BLUE", Link: cart.Link{VariantID: "345"}, Quantity: 1}}); err != nil {
		t.Fatal(err)
	}
}

// Webhook create, list, re-activate and delete requests validate, and the
// published create example is read as the subscription's id.
func TestConformanceWebhookRequests(t *testing.T) {
	var created struct {
		Data struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(example(t, "POST", "/v3/hooks", 200), &created); err != nil || created.Data.ID == 0 {
		t.Fatalf("published create example: %v", err)
	}
	inactive := `{"data":[{"id":77,"client_id":"m9r6keqmo7h7f23btnpwernbez1kglkl","store_hash":"sftg45fsd","scope":"store/product/updated","destination":"https://hooks.example/bc","headers":{},"is_active":false,"created_at":1561488106,"updated_at":1561488106}],"meta":{"pagination":{"total":1,"count":1,"per_page":50,"current_page":1,"total_pages":1}}}`
	srv, c := specServer(t, func(r *http.Request, body []byte) (int, []byte, bool) {
		if r.Method == http.MethodGet && r.URL.Path == "/"+CatalogAPI+"/hooks" {
			// The document publishes no list example: an inactive hook for
			// the product scope, so the connector re-activates it.
			if r.URL.Query().Get("destination") != "" && strings.Contains(r.URL.RawQuery, "product") {
				return http.StatusOK, []byte(inactive), true
			}
			return http.StatusOK, []byte(`{"data":[],"meta":{"pagination":{"total":0,"count":0,"per_page":50,"current_page":1,"total_pages":0}}}`), true
		}
		return 0, nil, false
	})
	sub, err := c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/bc", "client-secret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sub.ID, strconv.FormatInt(created.Data.ID, 10)) {
		t.Errorf("subscription %q; the published example's id is %d", sub.ID, created.Data.ID)
	}
	if _, err := c.Subscribe(t.Context(), cart.TopicProducts, "https://hooks.example/bc", "client-secret"); err != nil {
		t.Fatal(err)
	}
	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Fatal(err)
	}
	seen := strings.Join(srv.Seen(), "\n")
	for _, want := range []string{"POST /v3/hooks", "PUT /v3/hooks/77", "DELETE /v3/hooks/"} {
		if !strings.Contains(seen, want) {
			t.Errorf("no %q among the requests:\n%s", want, seen)
		}
	}
}

// The checker the tests above rely on refuses what the schema refuses.
func TestConformanceCheckerRefuses(t *testing.T) {
	specs := publishedSpecs(t)
	for name, body := range map[string]string{
		"quantity as text":   `{"reason":"r","items":[{"location_id":1,"variant_id":1,"quantity":"1"}]}`,
		"no items":           `{"reason":"r"}`,
		"item not an object": `{"reason":"r","items":[1]}`,
	} {
		r, _ := http.NewRequest(http.MethodPut, "http://x/"+CatalogAPI+"/inventory/adjustments/absolute", nil)
		if err := specs.Check(t.Context(), r, []byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	r, _ := http.NewRequest(http.MethodPost, "http://x/"+CatalogAPI+"/hooks", nil)
	if err := specs.Check(t.Context(), r, []byte(`{"scope":"store/order/created","destination":"https://a.example/h","is_active":"yes"}`)); err == nil {
		t.Error("a hook with is_active as text: accepted")
	}
}
