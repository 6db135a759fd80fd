package squarespace

// Conformance with what Squarespace publishes (testdata/openapi, see
// SOURCE.md there). Squarespace publishes no OpenAPI document:
// squarespace-commerce.docs.yml is written from its reference pages, and
// every request the connector sends must validate against it. The
// third-party descriptions and examples (api-evangelist/squarespace) are
// kept beside it; their example responses must parse to their own values,
// and the test below shows why their request schemas are not used.

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

func loadSpec(t testing.TB, file, prefix string) *apispec.Spec {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "openapi", file))
	if err != nil {
		t.Fatal(err)
	}
	s, err := apispec.Load(file, b, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func documented(t testing.TB) apispec.Set {
	return apispec.Set{loadSpec(t, "squarespace-commerce.docs.yml", "")}
}

// thirdPartyExample is the response body of one of api-evangelist's
// example files.
func thirdPartyExample(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "openapi", file))
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Response struct {
			Status int             `json:"status"`
			Body   json.RawMessage `json:"body"`
		} `json:"response"`
	}
	if err := json.Unmarshal(b, &ex); err != nil || ex.Response.Status != 200 || len(ex.Response.Body) == 0 {
		t.Fatalf("%s: %v", file, err)
	}
	return ex.Response.Body
}

func TestConformanceOrdersExample(t *testing.T) {
	body := thirdPartyExample(t, "squarespace-list-orders-example.json")
	var page struct {
		Result []struct {
			ID                string    `json:"id"`
			OrderNumber       int       `json:"orderNumber"`
			CreatedOn         time.Time `json:"createdOn"`
			ModifiedOn        time.Time `json:"modifiedOn"`
			FulfillmentStatus string    `json:"fulfillmentStatus"`
			LineItems         []struct {
				SKU      string `json:"sku"`
				Quantity int    `json:"quantity"`
			} `json:"lineItems"`
			Totals struct {
				GrandTotal money `json:"grandTotal"`
			} `json:"totals"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &page); err != nil || len(page.Result) == 0 {
		t.Fatalf("example: %v", err)
	}
	srv := carttest.NewSpecServer(t, documented(t), carttest.SpecServerOptions{
		Answer: func(r *http.Request, _ []byte) (int, []byte, bool) {
			if r.URL.Path == ordersPath {
				return http.StatusOK, body, true
			}
			return 0, nil, false
		},
	})
	c := newClient(t, srv.URL, apiKey)
	want := page.Result[0]
	got := carttest.Orders(t, c, cart.OrderQuery{UpdatedFrom: want.ModifiedOn.Add(-time.Hour), UpdatedTo: want.ModifiedOn.Add(time.Hour)})
	if len(got) != len(page.Result) {
		t.Fatalf("%d orders; the example has %d", len(got), len(page.Result))
	}
	o := got[0]
	var lines []cart.Line
	for _, l := range want.LineItems {
		lines = append(lines, cart.Line{SKU: l.SKU, Quantity: l.Quantity})
	}
	if o.ExternalID != want.ID || strings.TrimPrefix(o.Number, "#") != strconv.Itoa(want.OrderNumber) ||
		!o.CreatedAt.Equal(want.CreatedOn) || !o.UpdatedAt.Equal(want.ModifiedOn) ||
		o.Total != want.Totals.GrandTotal.Value || o.Currency != want.Totals.GrandTotal.Currency ||
		o.Filter != cart.AwaitingFulfillment || !slices.Equal(o.Lines, lines) {
		t.Errorf("order = %+v; the example says %+v", o, want)
	}
}

func TestConformanceProductsExample(t *testing.T) {
	body := thirdPartyExample(t, "squarespace-list-products-example.json")
	var page struct {
		Products []struct {
			ID       string `json:"id"`
			Variants []struct {
				ID      string `json:"id"`
				SKU     string `json:"sku"`
				Pricing struct {
					BasePrice money `json:"basePrice"`
				} `json:"pricing"`
				Stock struct {
					Quantity  int  `json:"quantity"`
					Unlimited bool `json:"unlimited"`
				} `json:"stock"`
			} `json:"variants"`
			Images []struct {
				URL string `json:"url"`
			} `json:"images"`
		} `json:"products"`
	}
	if err := json.Unmarshal(body, &page); err != nil || len(page.Products) == 0 || len(page.Products[0].Variants) == 0 {
		t.Fatalf("example: %v", err)
	}
	// The third-party example leaves out modifiedOn, which every product
	// on Squarespace's reference pages carries and the connector needs (a
	// listing's update time): the example's createdOn stands in for it.
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, p := range raw["products"].([]any) {
		p := p.(map[string]any)
		if _, ok := p["modifiedOn"]; !ok {
			p["modifiedOn"] = p["createdOn"]
		}
	}
	body, _ = json.Marshal(raw)
	srv := carttest.NewSpecServer(t, documented(t), carttest.SpecServerOptions{
		Answer: func(r *http.Request, _ []byte) (int, []byte, bool) {
			if r.URL.Path == productsPath {
				return http.StatusOK, body, true
			}
			return 0, nil, false
		},
	})
	c := newClient(t, srv.URL, apiKey)
	got := carttest.Listings(t, c, cart.ListingQuery{})
	p := page.Products[0]
	v := p.Variants[0]
	if len(got) != 1 {
		t.Fatalf("%d listings; the example has one variant: %+v", len(got), got)
	}
	l := got[0]
	if l.SKU != v.SKU || l.Link.ProductID != p.ID || l.Link.VariantID != v.ID || l.Price != v.Pricing.BasePrice.Value ||
		l.Quantity == nil || *l.Quantity != v.Stock.Quantity || !slices.Contains(l.Images, p.Images[0].URL) {
		t.Errorf("listing = %+v; the example says %+v", l, p)
	}
}

// Every stock push validates: finite quantities, zero included, with an
// Idempotency-Key and a User-Agent.
func TestConformanceStockRequests(t *testing.T) {
	srv := carttest.NewSpecServer(t, documented(t), carttest.SpecServerOptions{})
	c := newClient(t, srv.URL, apiKey)
	res, err := c.SetStock(t.Context(), []cart.StockUpdate{
		{SKU: "MUG-BLUE", Link: cart.Link{ProductID: "p1", VariantID: "185db2da-c3cf-47f3-8aff-0485082792a5"}, Quantity: 12},
		{SKU: "TEE-M", Link: cart.Link{ProductID: "p1", VariantID: "7eb25f50-4a0a-4e86-ac7c-cc1d49347bb4"}, Quantity: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("%s: %v", r.SKU, r.Err)
		}
	}
	if !slices.Contains(srv.Seen(), "POST "+adjustmentsPath) {
		t.Fatalf("no adjustment sent: %v", srv.Seen())
	}
}

func TestConformanceWebhookRequests(t *testing.T) {
	// The rotate-secret reference page's own example secret.
	const secret = "F3F9B981C78E7A6187E42853F6CE2804177E98206164779423B02DEC981ACD6B"
	existing := `{"webhookSubscriptions":[]}`
	srv := carttest.NewSpecServer(t, documented(t), carttest.SpecServerOptions{
		Answer: func(r *http.Request, _ []byte) (int, []byte, bool) {
			switch {
			case r.Method == http.MethodGet && r.URL.Path == hooksPath:
				return http.StatusOK, []byte(existing), true
			case r.Method == http.MethodPost && r.URL.Path == hooksPath:
				return http.StatusOK, []byte(`{"id":"5f6a7b8c9d0e1f2a3b4c5d6e","endpointUrl":"https://hooks.example/sq","topics":["order.create","order.update"],"secret":"` + secret + `","createdOn":"2026-01-02T03:04:05Z","updatedOn":"2026-01-02T03:04:05Z"}`), true
			case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/actions/rotateSecret"):
				return http.StatusOK, []byte(`{"secret":"` + secret + `"}`), true
			case r.Method == http.MethodPost:
				return http.StatusOK, []byte(`{"id":"5f6a7b8c9d0e1f2a3b4c5d6e","endpointUrl":"https://hooks.example/sq","topics":["order.create","order.update"]}`), true
			case r.Method == http.MethodDelete:
				return http.StatusNoContent, nil, true
			}
			return 0, nil, false
		},
	})
	c := newClient(t, srv.URL, apiKey)
	sub, err := c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/sq", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(sub.Secret, secret) || !strings.Contains(sub.ID, "5f6a7b8c9d0e1f2a3b4c5d6e") {
		t.Errorf("subscription %q with secret %q; the answer held %q", sub.ID, sub.Secret, secret)
	}
	if err := c.Unsubscribe(t.Context(), sub.ID); err != nil {
		t.Fatal(err)
	}
	// A subscription to the address already there, with one topic: the
	// connector completes its topics and rotates its secret.
	existing = `{"webhookSubscriptions":[{"id":"5f6a7b8c9d0e1f2a3b4c5d6e","endpointUrl":"https://hooks.example/sq","topics":["order.create"]}]}`
	if _, err := c.Subscribe(t.Context(), cart.TopicOrders, "https://hooks.example/sq", ""); err != nil {
		t.Fatal(err)
	}
	seen := strings.Join(srv.Seen(), "\n")
	for _, want := range []string{"POST " + hooksPath, "DELETE " + hooksPath + "/", "/actions/rotateSecret"} {
		if !strings.Contains(seen, want) {
			t.Errorf("no %q among the requests:\n%s", want, seen)
		}
	}
}

// The reference page's own request example validates against the written
// document, and malformed bodies do not.
func TestConformanceDocumentedAdjustment(t *testing.T) {
	spec := documented(t)[0]
	exs, err := spec.RequestExamples(http.MethodPost, adjustmentsPath)
	if err != nil || len(exs) == 0 {
		t.Fatalf("examples: %v", err)
	}
	check := func(body, key string) error {
		r, _ := http.NewRequest(http.MethodPost, "http://x"+adjustmentsPath, nil)
		r.Header.Set("User-Agent", "test")
		if key != "" {
			r.Header.Set("Idempotency-Key", key)
		}
		return spec.Check(t.Context(), r, []byte(body))
	}
	for name, b := range exs {
		if err := check(string(b), "B7630F15-0D95-442E-8295-1E74BE73A255"); err != nil {
			t.Errorf("the documented example %q is refused: %v", name, err)
		}
	}
	for name, tc := range map[string]struct{ body, key string }{
		"no idempotency key":        {`{"setFiniteOperations":[{"variantId":"v","quantity":1}]}`, ""},
		"key too long":              {`{"setFiniteOperations":[{"variantId":"v","quantity":1}]}`, strings.Repeat("k", 65)},
		"negative finite":           {`{"setFiniteOperations":[{"variantId":"v","quantity":-1}]}`, "k"},
		"zero increment":            {`{"incrementOperations":[{"variantId":"v","quantity":0}]}`, "k"},
		"quantity as text":          {`{"setFiniteOperations":[{"variantId":"v","quantity":"3"}]}`, "k"},
		"the third-party's shape":   {`{"increments":[{"variantId":"v","quantity":3}]}`, "k"},
		"no operations":             {`{}`, "k"},
		"variant missing":           {`{"setFiniteOperations":[{"quantity":3}]}`, "k"},
		"unlimited not an id array": {`{"setUnlimitedOperations":[{"variantId":"v"}]}`, "k"},
	} {
		if err := check(tc.body, tc.key); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Why the third-party description is not what requests are checked
// against: it refuses the request example on Squarespace's own reference
// page (it describes an "increments" array Squarespace does not document).
func TestConformanceThirdPartyContradictsReference(t *testing.T) {
	third := loadSpec(t, "squarespace-inventory-api-openapi.yml", "/1.0")
	exs, err := documented(t)[0].RequestExamples(http.MethodPost, adjustmentsPath)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodPost, "http://x"+adjustmentsPath, nil)
	if err := third.Check(t.Context(), r, exs["documented"]); err == nil {
		t.Fatal("the third-party description accepts the reference example; it could be used for requests")
	}
}
