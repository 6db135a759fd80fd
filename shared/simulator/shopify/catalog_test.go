package shopifysim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

func TestSeedProducts(t *testing.T) {
	clock := newClock()
	s := New(Options{Now: clock.Now})
	s.Seed(200, 3)
	products := s.Products()
	seen := map[string]int{}
	for _, p := range products {
		if n := len(p.Variants); n < 1 || n > 3 {
			t.Errorf("product %s has %d variants; want 1 to 3", p.Title, n)
		}
		if n := len(p.Images); n < 1 || n > 3 {
			t.Errorf("product %s has %d images; want 1 to 3", p.Title, n)
		}
		for _, u := range p.Images {
			if !strings.HasPrefix(u, "https://cdn.shopify.com/") {
				t.Errorf("image URL %q", u)
			}
		}
		if p.UpdatedAt.Before(p.CreatedAt) || p.UpdatedAt.After(clock.Now()) {
			t.Errorf("product %s created %v updated %v", p.Title, p.CreatedAt, p.UpdatedAt)
		}
		for _, v := range p.Variants {
			seen[v.SKU]++
			if v.Available < 1 || v.OnHand != v.Available || !strings.HasPrefix(v.InventoryItemGID, "gid://shopify/InventoryItem/") {
				t.Errorf("variant %+v", v)
			}
		}
	}
	q := s.Quantities()
	if len(seen) != 60 || len(q) != 60 {
		t.Fatalf("%d SKUs in products, %d in Quantities; want the 60 default SKUs", len(seen), len(q))
	}
	for sku, n := range seen {
		if n != 1 {
			t.Errorf("SKU %s is on %d variants", sku, n)
		}
	}
	for _, o := range s.Orders() {
		for _, l := range o.Lines {
			if seen[l.SKU] == 0 {
				t.Errorf("order %s sells %s, which no product has", o.ID, l.SKU)
			}
		}
	}
	// Seeding again adds orders, not products; the same seed gives the
	// same catalog.
	s.Seed(10, 4)
	if got := len(s.Products()); got != len(products) {
		t.Errorf("a second Seed made %d products; want %d", got, len(products))
	}
	other := New(Options{Now: clock.Now})
	other.Seed(200, 3)
	if a, b := fmt.Sprint(products), fmt.Sprint(other.Products()); a != b {
		t.Error("the same seed gave different products")
	}
}

func TestSeedProductsGroupsVariants(t *testing.T) {
	s := New(Options{SKUs: []string{"MUG-BLUE", "MUG-RED", "TEE-S", "TEE-M", "TEE-L", "CAP-BLACK"}})
	s.Seed(0, 42)
	var titles []string
	for _, p := range s.Products() {
		for _, v := range p.Variants {
			titles = append(titles, p.Title+"/"+v.Title)
		}
	}
	if len(titles) != 6 {
		t.Fatalf("variants: %v", titles)
	}
	for _, tt := range titles {
		if !strings.HasPrefix(tt, "Mug") && !strings.HasPrefix(tt, "Tee") && !strings.HasPrefix(tt, "Cap") {
			t.Errorf("variant %s: want products named after the SKU prefix", tt)
		}
	}
}

type productsData struct {
	Products struct {
		PageInfo struct {
			HasNextPage bool   `json:"hasNextPage"`
			EndCursor   string `json:"endCursor"`
		} `json:"pageInfo"`
		Nodes []struct {
			ID        string `json:"id"`
			Title     string `json:"title"`
			UpdatedAt string `json:"updatedAt"`
			Media     struct {
				Nodes []struct {
					Typename         string `json:"__typename"`
					MediaContentType string `json:"mediaContentType"`
					Preview          struct {
						Image struct {
							URL string `json:"url"`
						} `json:"image"`
					} `json:"preview"`
				} `json:"nodes"`
			} `json:"media"`
			Variants struct {
				Nodes []struct {
					ID                string `json:"id"`
					SKU               string `json:"sku"`
					Price             string `json:"price"`
					InventoryQuantity int    `json:"inventoryQuantity"`
					InventoryItem     struct {
						ID string `json:"id"`
					} `json:"inventoryItem"`
				} `json:"nodes"`
			} `json:"variants"`
		} `json:"nodes"`
	} `json:"products"`
}

const productsQuery = `query($after: String, $query: String) {
  products(first: 7, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id title updatedAt
      media(first: 3) { nodes { __typename mediaContentType preview { image { url } } } }
      variants(first: 3) { nodes { id sku price inventoryQuantity inventoryItem { id } } }
    }
  }
}`

func TestProductsPaging(t *testing.T) {
	clock := newClock()
	s := New(Options{Now: clock.Now})
	s.Seed(0, 8)
	url := serve(t, s)
	want := map[string]Product{}
	for _, p := range s.Products() {
		want[p.GID] = p
	}
	var after any
	got := map[string]bool{}
	last := ""
	for page := 0; ; page++ {
		_, r, raw := post(t, url, DefaultAccessToken, productsQuery, map[string]any{"after": after})
		if r.Errors != nil {
			t.Fatalf("page %d: %s", page, raw)
		}
		// 2 + 7 × (1 + (2 + 3×3) + (2 + 3×2))
		if c := r.Extensions.Cost; c.RequestedQueryCost != 2+7*(1+11+8) {
			t.Errorf("requested cost %d", c.RequestedQueryCost)
		}
		var d productsData
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatal(err)
		}
		for _, n := range d.Products.Nodes {
			p, ok := want[n.ID]
			if !ok || got[n.ID] {
				t.Fatalf("product %s unknown or repeated", n.ID)
			}
			got[n.ID] = true
			if n.UpdatedAt < last {
				t.Errorf("updatedAt %s after %s", n.UpdatedAt, last)
			}
			last = n.UpdatedAt
			var urls []string
			for _, m := range n.Media.Nodes {
				if m.Typename != "MediaImage" || m.MediaContentType != "IMAGE" {
					t.Errorf("media %+v", m)
				}
				urls = append(urls, m.Preview.Image.URL)
			}
			if !slices.Equal(urls, p.Images) {
				t.Errorf("product %s images %v; want %v", n.ID, urls, p.Images)
			}
			for i, v := range n.Variants.Nodes {
				w := p.Variants[i]
				if v.ID != w.GID || v.SKU != w.SKU || v.Price != w.Price || v.InventoryQuantity != w.Available || v.InventoryItem.ID != w.InventoryItemGID {
					t.Errorf("variant %+v; want %+v", v, w)
				}
			}
		}
		if !d.Products.PageInfo.HasNextPage {
			break
		}
		after = d.Products.PageInfo.EndCursor
	}
	if len(got) != len(want) {
		t.Errorf("paged %d products; want %d", len(got), len(want))
	}

	// An updated_at window, and a sku search.
	clock.Add(time.Hour)
	added := s.AddProduct(NewProduct{Title: "New Thing", Variants: []NewVariant{{SKU: "NEW-1", Available: 4}}})
	q := "updated_at:>='" + clock.Now().Add(-time.Minute).Format(time.RFC3339) + "'"
	for _, query := range []string{q, "sku:NEW-1"} {
		_, r, raw := post(t, url, DefaultAccessToken, productsQuery, map[string]any{"query": query})
		var d productsData
		json.Unmarshal(r.Data, &d)
		if len(d.Products.Nodes) != 1 || d.Products.Nodes[0].ID != added.GID {
			t.Errorf("query %q: %s", query, raw)
		}
	}
}

func TestLocations(t *testing.T) {
	s := New(Options{})
	url := serve(t, s)
	loc := s.PrimaryLocation()
	_, r, raw := post(t, url, DefaultAccessToken, `{ location { id name isActive } locations(first: 5) { nodes { id } } }`, nil)
	want := fmt.Sprintf(`{"location":{"id":%q,"name":%q,"isActive":true},"locations":{"nodes":[{"id":%q}]}}`, loc.GID, loc.Name, loc.GID)
	if string(r.Data) != want {
		t.Errorf("got %s; want data %s", raw, want)
	}
	if c := r.Extensions.Cost; c.RequestedQueryCost != 1+2+5 || *c.ActualQueryCost != 1+2+1 {
		t.Errorf("cost %+v", c)
	}
	_, r, raw = post(t, url, DefaultAccessToken, `{ location(id: "gid://shopify/Location/1") { id } }`, nil)
	if string(r.Data) != `{"location":null}` {
		t.Errorf("unknown location: %s", raw)
	}
}

const setMutation = `mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta quantityAfterChange item { id } } }
    userErrors { code field message }
  }
}`

type setData struct {
	InventorySetQuantities struct {
		Group *struct {
			ID                   string `json:"id"`
			Reason               string `json:"reason"`
			ReferenceDocumentURI string `json:"referenceDocumentUri"`
			Changes              []struct {
				Name                string `json:"name"`
				Delta               int    `json:"delta"`
				QuantityAfterChange int    `json:"quantityAfterChange"`
			} `json:"changes"`
		} `json:"inventoryAdjustmentGroup"`
		UserErrors []struct {
			Code    string   `json:"code"`
			Field   []string `json:"field"`
			Message string   `json:"message"`
		} `json:"userErrors"`
	} `json:"inventorySetQuantities"`
}

func (d *setData) codes() []string {
	var out []string
	for _, e := range d.InventorySetQuantities.UserErrors {
		out = append(out, e.Code+"@"+strings.Join(e.Field, "."))
	}
	return out
}

// setInput makes the variables of setMutation; with ignore, quantities
// that name no changeFromQuantity get an explicit null (no compare).
// Each call has a key of its own.
func setInput(name string, ignore bool, qs ...map[string]any) map[string]any {
	list := make([]any, len(qs))
	for i, q := range qs {
		if _, ok := q["changeFromQuantity"]; ignore && !ok {
			q = maps.Clone(q)
			q["changeFromQuantity"] = nil
		}
		list[i] = q
	}
	return map[string]any{"input": map[string]any{
		"name": name, "reason": "correction", "referenceDocumentUri": "gid://autosync/Test/1", "quantities": list,
	}, "key": fmt.Sprintf("test-key-%d", keySeq.Add(1))}
}

var keySeq atomic.Int64

func qty(item, loc string, n int, changeFrom ...int) map[string]any {
	m := map[string]any{"inventoryItemId": item, "locationId": loc, "quantity": n}
	if len(changeFrom) > 0 {
		m["changeFromQuantity"] = changeFrom[0]
	}
	return m
}

func mutate(t *testing.T, url string, vars map[string]any) (*response, *setData, []byte) {
	t.Helper()
	_, r, raw := post(t, url, DefaultAccessToken, setMutation, vars)
	var d setData
	if r.Errors == nil {
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
	}
	return r, &d, raw
}

func TestInventorySetQuantities(t *testing.T) {
	s := New(Options{SKUs: []string{"A-1", "B-1", "C-1"}})
	s.Seed(0, 1)
	url := serve(t, s)
	loc := s.PrimaryLocation().GID
	v := map[string]Variant{}
	for _, p := range s.Products() {
		for _, x := range p.Variants {
			v[x.SKU] = x
		}
	}
	r, d, raw := mutate(t, url, setInput("available", true,
		qty(v["A-1"].InventoryItemGID, loc, 7), qty(v["B-1"].InventoryItemGID, loc, 0)))
	g := d.InventorySetQuantities.Group
	if r.Errors != nil || g == nil || len(d.InventorySetQuantities.UserErrors) != 0 || g.Reason != "correction" ||
		g.ReferenceDocumentURI != "gid://autosync/Test/1" || len(g.Changes) != 4 {
		t.Fatalf("got %s", raw)
	}
	if g.Changes[0].Name != "available" || g.Changes[0].QuantityAfterChange != 7 || g.Changes[1].Name != "on_hand" {
		t.Errorf("changes %+v", g.Changes)
	}
	q := s.Quantities()
	if q["A-1"] != 7 || q["B-1"] != 0 || q["C-1"] != v["C-1"].Available {
		t.Errorf("quantities %v", q)
	}
	c := r.Extensions.Cost
	// 10 for the mutation, 1 for the group, 1 for each change's item.
	if c.RequestedQueryCost != 12 || *c.ActualQueryCost != 12 {
		t.Errorf("cost %+v", c)
	}
	st := s.Stats()
	if st.Mutations != 1 || st.Queries != 0 || st.Fields["inventorySetQuantities"] != 1 {
		t.Errorf("stats %+v", st)
	}

	// on_hand moves available by the same amount, and changeFromQuantity
	// is checked against the named quantity.
	item := v["C-1"].InventoryItemGID
	before := s.Products()[2].Variants[0]
	_, d, raw = mutate(t, url, setInput("on_hand", false, qty(item, loc, before.OnHand+5, before.OnHand)))
	if len(d.InventorySetQuantities.UserErrors) != 0 || s.Quantities()["C-1"] != before.Available+5 {
		t.Errorf("on_hand: %s", raw)
	}
	_, d, raw = mutate(t, url, setInput("available", false, qty(item, loc, 1, before.Available)))
	if got := d.codes(); !slices.Equal(got, []string{"CHANGE_FROM_QUANTITY_STALE@input.quantities.0.changeFromQuantity"}) {
		t.Errorf("stale compare: %s", raw)
	}
	_, d, _ = mutate(t, url, setInput("available", false, qty(item, loc, 1, before.Available+5)))
	if len(d.InventorySetQuantities.UserErrors) != 0 || s.Quantities()["C-1"] != 1 {
		t.Errorf("fresh compare: %v %v", d.codes(), s.Quantities())
	}
}

func TestInventorySetQuantitiesErrors(t *testing.T) {
	s := New(Options{SKUs: []string{"A-1", "B-1"}})
	s.Seed(0, 1)
	url := serve(t, s)
	loc := s.PrimaryLocation().GID
	items := map[string]string{}
	for _, p := range s.Products() {
		items[p.Variants[0].SKU] = p.Variants[0].InventoryItemGID
	}
	a, b := items["A-1"], items["B-1"]
	good := qty(b, loc, 3)
	tests := []struct {
		name string
		vars map[string]any
		want []string
	}{
		{"unknown item", setInput("available", true, good, qty("gid://shopify/InventoryItem/1", loc, 1)),
			[]string{"INVALID_INVENTORY_ITEM@input.quantities.1.inventoryItemId"}},
		{"unknown location", setInput("available", true, qty(a, "gid://shopify/Location/1", 1), good),
			[]string{"INVALID_LOCATION@input.quantities.0.locationId"}},
		{"negative", setInput("available", true, good, qty(a, loc, -1)),
			[]string{"INVALID_QUANTITY_NEGATIVE@input.quantities.1.quantity"}},
		{"too high", setInput("available", true, good, qty(a, loc, 1_000_000_001)),
			[]string{"INVALID_QUANTITY_TOO_HIGH@input.quantities.1.quantity"}},
		{"compare required", setInput("available", false, good),
			[]string{"COMPARE_QUANTITY_REQUIRED@input.quantities.0.changeFromQuantity"}},
		{"name", setInput("committed", true, good), []string{"INVALID_NAME@input.name"}},
		{"duplicate", setInput("available", true, good, qty(b, loc, 4)),
			[]string{"NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR@input.quantities.1"}},
		{"every bad item reported", setInput("available", true, qty(a, loc, -1), good, qty("gid://shopify/InventoryItem/9", loc, 1)),
			[]string{"INVALID_QUANTITY_NEGATIVE@input.quantities.0.quantity", "INVALID_INVENTORY_ITEM@input.quantities.2.inventoryItemId"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Quantities()
			r, d, raw := mutate(t, url, tt.vars)
			if got := d.codes(); !slices.Equal(got, tt.want) || d.InventorySetQuantities.Group != nil {
				t.Errorf("got %s; want userErrors %v and no group", raw, tt.want)
			}
			for _, e := range d.InventorySetQuantities.UserErrors {
				if e.Message == "" {
					t.Errorf("error without a message: %s", raw)
				}
			}
			if after := s.Quantities(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("a refused mutation changed stock: %v → %v", before, after)
			}
			if c := r.Extensions.Cost; c.RequestedQueryCost != 12 || *c.ActualQueryCost != 10 {
				t.Errorf("cost %+v; want 12 requested, 10 with no group", c)
			}
		})
	}

	// The reason is checked; a bad one names the input's reason.
	vars := setInput("available", true, good)
	vars["input"].(map[string]any)["reason"] = "because"
	if _, d, raw := mutate(t, url, vars); !slices.Equal(d.codes(), []string{"INVALID_REASON@input.reason"}) {
		t.Errorf("bad reason: %s", raw)
	}
}

func TestInputValidation(t *testing.T) {
	s := New(Options{SKUs: []string{"A-1"}})
	s.Seed(0, 1)
	url := serve(t, s)
	loc := s.PrimaryLocation().GID
	item := s.Products()[0].Variants[0].InventoryItemGID
	var many []map[string]any
	for range 251 {
		many = append(many, qty(item, loc, 1))
	}
	r, _, raw := mutate(t, url, setInput("available", true, many...))
	if !slices.Equal(r.errorCodes(), []string{"MAX_INPUT_SIZE_EXCEEDED"}) || !strings.Contains(string(raw), "The input array size of 251 is greater than the maximum allowed of 250.") {
		t.Errorf("251 quantities: %s", raw)
	}
	vars := setInput("available", true, map[string]any{"inventoryItemId": item, "locationId": loc})
	r, _, raw = mutate(t, url, vars)
	if r.Errors == nil || !strings.Contains(string(raw), "invalid value for quantities.0.quantity (Expected value to not be null)") {
		t.Errorf("missing quantity: %s", raw)
	}
	vars = setInput("available", true, qty(item, loc, 1))
	vars["input"].(map[string]any)["colour"] = "red"
	if r, _, raw = mutate(t, url, vars); r.Errors == nil {
		t.Errorf("unknown input field: %s", raw)
	}
	// Literal input objects and nested variables work as variables do.
	q := fmt.Sprintf(`mutation($n: Int!) { inventorySetQuantities(input: {name: "available", reason: "correction",
		quantities: [{inventoryItemId: %q, locationId: %q, quantity: $n, changeFromQuantity: null}]}) @idempotent(key: "literal") { userErrors { code } } }`, item, loc)
	_, r, raw = post(t, url, DefaultAccessToken, q, map[string]any{"n": 9})
	if r.Errors != nil || s.Quantities()["A-1"] != 9 || r.Extensions.Cost.RequestedQueryCost != 10 {
		t.Errorf("literal input: %s", raw)
	}
	_, r, raw = post(t, url, DefaultAccessToken, `mutation { inventorySetQuantities(input: {name: "available"}) { userErrors { code } } }`, nil)
	if r.Errors == nil {
		t.Errorf("incomplete literal input: %s", raw)
	}
	_, r, raw = post(t, url, DefaultAccessToken, `{ inventorySetQuantities(input: {}) { userErrors { code } } }`, nil)
	if r.Errors == nil || !strings.Contains(string(raw), "doesn't exist on type 'QueryRoot'") {
		t.Errorf("mutation field in a query: %s", raw)
	}
}

func TestFailSKU(t *testing.T) {
	s := New(Options{SKUs: []string{"A-1", "B-1"}})
	s.Seed(0, 1)
	url := serve(t, s)
	loc := s.PrimaryLocation().GID
	items := map[string]string{}
	for _, p := range s.Products() {
		items[p.Variants[0].SKU] = p.Variants[0].InventoryItemGID
	}
	s.FailSKU("A-1", 2)
	// A mutation that does not touch A-1 neither fails nor uses a count.
	if _, d, raw := mutate(t, url, setInput("available", true, qty(items["B-1"], loc, 5))); len(d.codes()) != 0 {
		t.Fatalf("B-1 alone: %s", raw)
	}
	for i := range 2 {
		_, d, raw := mutate(t, url, setInput("available", true, qty(items["B-1"], loc, 6), qty(items["A-1"], loc, 6)))
		if !slices.Equal(d.codes(), []string{"NON_MUTABLE_INVENTORY_ITEM@input.quantities.1.inventoryItemId"}) {
			t.Errorf("mutation %d: %s", i, raw)
		}
	}
	if q := s.Quantities(); q["B-1"] != 5 {
		t.Errorf("a failed mutation set B-1: %v", q)
	}
	if _, d, raw := mutate(t, url, setInput("available", true, qty(items["B-1"], loc, 6), qty(items["A-1"], loc, 6))); len(d.codes()) != 0 {
		t.Errorf("third mutation: %s", raw)
	}
	if q := s.Quantities(); q["A-1"] != 6 || q["B-1"] != 6 {
		t.Errorf("quantities %v", q)
	}
}

func TestMutationThrottled(t *testing.T) {
	clock := newClock()
	s := New(Options{SKUs: []string{"A-1"}, Plan: Plan{MaximumAvailable: 100, RestoreRate: 1}, StartEmpty: true, Now: clock.Now})
	s.Seed(0, 1)
	url := serve(t, s)
	before := s.Quantities()["A-1"]
	vars := setInput("available", true, qty(s.Products()[0].Variants[0].InventoryItemGID, s.PrimaryLocation().GID, before+1))
	r, _, raw := mutate(t, url, vars)
	if !slices.Equal(r.errorCodes(), []string{"THROTTLED"}) || s.Quantities()["A-1"] != before {
		t.Errorf("empty bucket: %s", raw)
	}
	clock.Add(12 * time.Second)
	if _, d, raw := mutate(t, url, vars); len(d.codes()) != 0 || s.Quantities()["A-1"] != before+1 {
		t.Errorf("after restoring: %s", raw)
	}
	if st := s.Stats(); st.Throttled != 1 || st.Mutations != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestInventoryLevelQuery(t *testing.T) {
	s := New(Options{SKUs: []string{"A-1"}})
	s.Seed(0, 1)
	url := serve(t, s)
	v := s.Products()[0].Variants[0]
	loc := s.PrimaryLocation().GID
	q := `query($id: ID!, $loc: ID!) { inventoryItem(id: $id) { sku inventoryLevel(locationId: $loc) {
		quantities(names: ["available", "on_hand", "committed"]) { name quantity } location { id } } } }`
	_, r, raw := post(t, url, DefaultAccessToken, q, map[string]any{"id": v.InventoryItemGID, "loc": loc})
	want := fmt.Sprintf(`{"inventoryItem":{"sku":"A-1","inventoryLevel":{"quantities":[{"name":"available","quantity":%d},{"name":"on_hand","quantity":%d},{"name":"committed","quantity":0}],"location":{"id":%q}}}}`,
		v.Available, v.OnHand, loc)
	if string(r.Data) != want {
		t.Errorf("got %s; want data %s", raw, want)
	}
	if c := r.Extensions.Cost; c.RequestedQueryCost != 3 {
		t.Errorf("cost %+v; want item 1 + level 1 + location 1", c)
	}
}

func TestOrdersCommitStock(t *testing.T) {
	s := New(Options{SKUs: []string{"A-1", "B-1"}})
	s.Seed(0, 1)
	start := s.Quantities()
	onHand := func(sku string) int {
		for _, p := range s.Products() {
			for _, v := range p.Variants {
				if v.SKU == sku {
					return v.OnHand
				}
			}
		}
		return -1
	}
	hand := onHand("A-1")
	shipped := s.CreateOrder([]cart.Line{{SKU: "A-1", Quantity: 2}, {SKU: "NOT-IN-CATALOG", Quantity: 1}})
	cancelled := s.CreateOrder([]cart.Line{{SKU: "A-1", Quantity: 1}, {SKU: "B-1", Quantity: 3}})
	if q := s.Quantities(); q["A-1"] != start["A-1"]-3 || q["B-1"] != start["B-1"]-3 || onHand("A-1") != hand {
		t.Errorf("after two orders: %v (on hand %d); started at %v (%d)", q, onHand("A-1"), start, hand)
	}
	if err := s.CancelOrder(cancelled); err != nil {
		t.Fatal(err)
	}
	if err := s.FulfillOrder(shipped); err != nil {
		t.Fatal(err)
	}
	if q := s.Quantities(); q["A-1"] != start["A-1"]-2 || q["B-1"] != start["B-1"] || onHand("A-1") != hand-2 {
		t.Errorf("after cancel and fulfil: %v (on hand %d)", q, onHand("A-1"))
	}
}

func TestSetQuantity(t *testing.T) {
	s := New(Options{SKUs: []string{"A-1"}})
	s.Seed(0, 1)
	v := s.Products()[0].Variants[0]
	s.SetQuantity("A-1", v.Available+10)
	w := s.Products()[0].Variants[0]
	if w.Available != v.Available+10 || w.OnHand != v.OnHand+10 {
		t.Errorf("variant %+v; was %+v", w, v)
	}
	s.SetQuantity("NOPE", 1)
	if q := s.Quantities(); len(q) != 1 || q["A-1"] != v.Available+10 {
		t.Errorf("quantities %v", q)
	}
}

func TestAddProduct(t *testing.T) {
	s := New(Options{})
	p := s.AddProduct(NewProduct{Title: "Big Tee", Variants: []NewVariant{{SKU: "BT-S", Title: "S", Available: 2}, {Title: "No SKU"}},
		Images: []string{"https://example.com/a.png"}})
	if p.Handle != "big-tee" || len(p.Variants) != 2 || p.Variants[0].Price == "" || p.Variants[1].SKU != "" {
		t.Errorf("product %+v", p)
	}
	if q := s.Quantities(); len(q) != 1 || q["BT-S"] != 2 {
		t.Errorf("quantities %v", q)
	}
}

// FuzzExecute runs hostile documents and variables against a seeded shop:
// the checker, the cost calculation, the resolvers and the mutation must
// answer every one with a GraphQL response, never panic.
func FuzzExecute(f *testing.F) {
	s := New(Options{SKUs: []string{"A-1", "A-2", "B-1"}, Plan: Plan{MaximumAvailable: 1e12, RestoreRate: 1e12}})
	s.Seed(5, 1)
	item := s.Products()[0].Variants[0].InventoryItemGID
	loc := s.PrimaryLocation().GID
	f.Add(productsQuery, `{"after":null,"query":"sku:A-1 OR updated_at:>2020-01-01"}`)
	f.Add(setMutation, fmt.Sprintf(`{"input":{"name":"available","reason":"correction","quantities":[{"inventoryItemId":%q,"locationId":%q,"quantity":3,"changeFromQuantity":1}]},"key":"k"}`, item, loc))
	f.Add(`query($id: ID!, $l: ID!) { inventoryItem(id: $id) { variant { product { title } } inventoryLevels(first: 2) { nodes { id quantities(names: ["available", "x"]) { name } } } inventoryLevel(locationId: $l) { id } } }`,
		fmt.Sprintf(`{"id":%q,"l":"nope"}`, item))
	f.Add(`{ location { inventoryLevels(first: 3) { edges { cursor node { item { sku } } } } } locations(first: 1, includeInactive: true) { nodes { name } } }`, `{}`)
	f.Add(`{ products(first: 2, after: "cHx4") { nodes { media(first: 1, after: "bWR8OQ") { nodes { id } } } } }`, `null`)
	f.Fuzz(func(t *testing.T, query, vars string) {
		body, err := json.Marshal(map[string]any{"query": query, "variables": json.RawMessage(vars)})
		if err != nil {
			body, _ = json.Marshal(map[string]any{"query": query})
		}
		req := httptest.NewRequest(http.MethodPost, "/admin/api/2026-10/graphql.json", bytes.NewReader(body))
		req.Header.Set("X-Shopify-Access-Token", DefaultAccessToken)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("invalid JSON: %s", rec.Body)
		}
	})
}
