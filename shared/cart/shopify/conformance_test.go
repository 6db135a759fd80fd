package shopify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/cart/shopify/adminschema"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
	"github.com/vektah/gqlparser/v2"
	gql "github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// The connector's documents are checked against Shopify's published Admin
// schema of the version it pins (testdata/admin_2026-10.json.gz, see
// testdata/SOURCE.md), not against the simulator's reading of it.

// documents are every GraphQL document the connector sends, by the name of
// the constant (or function) that holds it. TestDocumentsListed keeps this
// list whole.
var documents = map[string]string{
	"ordersDoc":          ordersDoc,
	"orderLinesDoc":      orderLinesDoc,
	"orderDoc":           orderDoc,
	"productDoc":         productDoc,
	"productsDoc":        productsDoc,
	"productVariantsDoc": productVariantsDoc,
	"productMediaDoc":    productMediaDoc,
	"webhookCreateDoc":   webhookCreateDoc,
	"webhookFindDoc":     webhookFindDoc,
	"webhookGetDoc":      webhookGetDoc,
	"webhookDeleteDoc":   webhookDeleteDoc,
	"setQuantitiesDoc":   setQuantitiesDoc,
	"primaryLocationDoc": primaryLocationDoc,
	"checkDoc":           checkDoc,
	"levelsDoc":          levelsDoc(maxStockBatch),
}

func TestAPIVersionMatchesSchema(t *testing.T) {
	if DefaultAPIVersion != adminschema.Version {
		t.Errorf("the connector pins %s but testdata holds the schema of %s: move both (docs/api-versions.md)", DefaultAPIVersion, adminschema.Version)
	}
}

// TestDocumentsListed fails when a constant or function named …Doc in the
// connector's code is missing from documents, so a new document is checked
// against the schema too.
func TestDocumentsListed(t *testing.T) {
	fset := gotoken.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if vs, ok := s.(*ast.ValueSpec); ok {
						for _, n := range vs.Names {
							if strings.HasSuffix(n.Name, "Doc") {
								found = append(found, n.Name)
							}
						}
					}
				}
			case *ast.FuncDecl:
				if d.Recv == nil && strings.HasSuffix(d.Name.Name, "Doc") {
					found = append(found, d.Name.Name)
				}
			}
		}
	}
	if len(found) < 10 {
		t.Fatalf("found only %v: is the test in the connector's folder?", found)
	}
	for _, name := range found {
		if _, ok := documents[name]; !ok {
			t.Errorf("document %s is not checked against the schema: add it to documents", name)
		}
	}
}

func loadSchema(t testing.TB) *gql.Schema {
	t.Helper()
	s, err := adminschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDocumentsValidate validates each document against the published
// schema (fields, arguments, variable types, directives) and fails on any
// deprecated field, argument, input field or enum value it names.
func TestDocumentsValidate(t *testing.T) {
	schema := loadSchema(t)
	for name, doc := range documents {
		t.Run(name, func(t *testing.T) {
			q, errs := gqlparser.LoadQuery(schema, doc)
			if len(errs) > 0 {
				t.Fatalf("%s does not validate against the %s schema: %v", name, adminschema.Version, errs)
			}
			for _, p := range deprecatedUses(q) {
				t.Errorf("%s uses %s", name, p)
			}
		})
	}
}

// TestDeprecationsDetected makes sure the checks above can fail: documents
// the connector used to send, on 2025-07, are refused.
func TestDeprecationsDetected(t *testing.T) {
	schema := loadSchema(t)
	old := map[string]string{
		// Removed in 2026-04.
		"compareQuantity": `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }`,
		// Deprecated: "Use uri instead".
		"callbackUrl argument": `query($url: URL) { webhookSubscriptions(first: 1, callbackUrl: $url) { nodes { id } } }`,
		"callbackUrl field":    `{ webhookSubscriptions(first: 1) { nodes { callbackUrl } } }`,
	}
	q, errs := gqlparser.LoadQuery(schema, old["callbackUrl argument"])
	if len(errs) > 0 || len(deprecatedUses(q)) != 1 {
		t.Errorf("a deprecated argument went unnoticed: %v %v", errs, deprecatedUses(q))
	}
	q, errs = gqlparser.LoadQuery(schema, old["callbackUrl field"])
	if len(errs) > 0 || len(deprecatedUses(q)) != 1 {
		t.Errorf("a deprecated field went unnoticed: %v %v", errs, deprecatedUses(q))
	}
	q, errs = gqlparser.LoadQuery(schema, old["compareQuantity"])
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	vars := map[string]any{"input": map[string]any{"name": "available", "reason": "correction", "ignoreCompareQuantity": true,
		"quantities": []any{map[string]any{"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": "gid://shopify/Location/1", "quantity": 1, "compareQuantity": 0}}}}
	if _, err := validator.VariableValues(schema, q.Operations[0], vars); err == nil {
		t.Error("the removed ignoreCompareQuantity and compareQuantity were accepted")
	}
	vars = map[string]any{"sub": map[string]any{"callbackUrl": "https://example.com/hook", "format": "JSON"}}
	q, _ = gqlparser.LoadQuery(schema, `mutation($sub: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: $sub) { userErrors { message } } }`)
	if got := deprecatedInputs(schema, q.Operations[0], vars); len(got) != 1 {
		t.Errorf("a deprecated input field in variables went unnoticed: %v", got)
	}
}

// deprecatedUses lists the deprecated fields, arguments, input fields and
// enum values a validated document names literally.
func deprecatedUses(q *gql.QueryDocument) []string {
	var out []string
	var value func(v *gql.Value, at string)
	value = func(v *gql.Value, at string) {
		if v == nil || v.Definition == nil {
			return
		}
		switch v.Kind {
		case gql.EnumValue:
			if ev := v.Definition.EnumValues.ForName(v.Raw); ev != nil {
				if r, dep := adminschema.Deprecation(ev.Directives); dep {
					out = append(out, fmt.Sprintf("deprecated enum value %s.%s at %s (%s)", v.Definition.Name, v.Raw, at, r))
				}
			}
		case gql.ObjectValue:
			for _, c := range v.Children {
				if fd := v.Definition.Fields.ForName(c.Name); fd != nil {
					if r, dep := adminschema.Deprecation(fd.Directives); dep {
						out = append(out, fmt.Sprintf("deprecated input field %s.%s at %s (%s)", v.Definition.Name, c.Name, at, r))
					}
				}
				value(c.Value, at+"."+c.Name)
			}
		case gql.ListValue:
			for _, c := range v.Children {
				value(c.Value, at)
			}
		}
	}
	var sel func(set gql.SelectionSet, at string)
	sel = func(set gql.SelectionSet, at string) {
		for _, s := range set {
			switch s := s.(type) {
			case *gql.Field:
				here := at + "." + s.Name
				if s.Definition != nil {
					if r, dep := adminschema.Deprecation(s.Definition.Directives); dep {
						out = append(out, fmt.Sprintf("deprecated field %s (%s)", here, r))
					}
					for _, a := range s.Arguments {
						if ad := s.Definition.Arguments.ForName(a.Name); ad != nil {
							if r, dep := adminschema.Deprecation(ad.Directives); dep {
								out = append(out, fmt.Sprintf("deprecated argument %s(%s) (%s)", here, a.Name, r))
							}
						}
						value(a.Value, here+"("+a.Name+")")
					}
				}
				sel(s.SelectionSet, here)
			case *gql.InlineFragment:
				sel(s.SelectionSet, at)
			case *gql.FragmentSpread:
				if s.Definition != nil {
					sel(s.Definition.SelectionSet, at)
				}
			}
		}
	}
	for _, op := range q.Operations {
		sel(op.SelectionSet, op.Name)
	}
	return out
}

// deprecatedInputs lists the deprecated input fields and enum values in
// the variables sent with op.
func deprecatedInputs(schema *gql.Schema, op *gql.OperationDefinition, vars map[string]any) []string {
	var out []string
	var walk func(v any, t *gql.Type, at string)
	walk = func(v any, t *gql.Type, at string) {
		if v == nil || t == nil {
			return
		}
		if t.Elem != nil {
			if list, ok := v.([]any); ok {
				for _, e := range list {
					walk(e, t.Elem, at)
				}
			} else {
				walk(v, t.Elem, at)
			}
			return
		}
		def := schema.Types[t.NamedType]
		if def == nil {
			return
		}
		switch def.Kind {
		case gql.InputObject:
			m, _ := v.(map[string]any)
			for name, fv := range m {
				fd := def.Fields.ForName(name)
				if fd == nil {
					continue // VariableValues reports unknown fields
				}
				if r, dep := adminschema.Deprecation(fd.Directives); dep {
					out = append(out, fmt.Sprintf("deprecated input field %s.%s at %s (%s)", def.Name, name, at, r))
				}
				walk(fv, fd.Type, at+"."+name)
			}
		case gql.Enum:
			if s, ok := v.(string); ok {
				if ev := def.EnumValues.ForName(s); ev != nil {
					if r, dep := adminschema.Deprecation(ev.Directives); dep {
						out = append(out, fmt.Sprintf("deprecated enum value %s.%s at %s (%s)", def.Name, s, at, r))
					}
				}
			}
		}
	}
	for _, vd := range op.VariableDefinitions {
		walk(vars[vd.Variable], vd.Type, "$"+vd.Variable)
	}
	return out
}

// recorder keeps the GraphQL requests that pass through it.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(b))
	var one struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if json.Unmarshal(b, &one) == nil {
		r.mu.Lock()
		r.reqs = append(r.reqs, one)
		r.mu.Unlock()
	}
	r.next.ServeHTTP(w, req)
}

// TestRequestsConform drives every connector operation against the
// simulator, records what the connector sends, and validates each request,
// variables included, against the published schema: types coerce, nothing
// unknown, nothing deprecated. Every listed document must have been sent.
func TestRequestsConform(t *testing.T) {
	schema := loadSchema(t)
	sim := shopifysim.New(shopifysim.Options{AccessToken: token, Plan: roomy, SKUs: []string{"A-1", "B-1", "C-1"}})
	sim.Seed(0, 1)
	rec := &recorder{next: sim}
	c := newClient(t, serve(t, rec), token)
	ctx := t.Context()

	// A product with more variants and media than one page holds, and an
	// order with more lines.
	big := shopifysim.NewProduct{Title: "Big"}
	for i := range variantsPerProduct + 1 {
		big.Variants = append(big.Variants, shopifysim.NewVariant{SKU: fmt.Sprintf("BIG-%02d", i)})
	}
	for i := range mediaPerProduct + 1 {
		big.Images = append(big.Images, fmt.Sprintf("https://cdn.example.com/big-%d.png", i))
	}
	p := sim.AddProduct(big)
	var lines []cart.Line
	for i := range linesPerOrder + 1 {
		lines = append(lines, cart.Line{SKU: fmt.Sprintf("BIG-%02d", i), Quantity: 1})
	}
	order := sim.CreateOrder(lines)

	carttest.Orders(t, c, cart.OrderQuery{})
	if err := c.CheckCredentials(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Order(ctx, order); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ProductListings(ctx, p.GID); err != nil {
		t.Fatal(err)
	}
	carttest.Listings(t, c, cart.ListingQuery{})

	// A write that meets a sale, so the stale path is taken too.
	updates := updatesFor(sim, func(i int) int { return 20 + i })
	sold := false
	sim.SetBeforeMutation(func(fields []string) {
		if !sold && slices.Contains(fields, "inventorySetQuantities") {
			sold = true
			sim.CreateOrder([]cart.Line{{SKU: updates[0].SKU, Quantity: 1}})
		}
	})
	if _, err := c.SetStock(ctx, updates); err != nil {
		t.Fatal(err)
	}
	// Subscribing twice takes the existing subscription over (the find
	// query); removing twice asks whether it still exists.
	hook := "https://autosync.example.com/hooks/shopify"
	sub, err := c.Subscribe(ctx, cart.TopicOrders, hook, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, cart.TopicOrders, hook, ""); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := c.Unsubscribe(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
	}

	sent := map[string]bool{}
	for _, r := range rec.reqs {
		q, errs := gqlparser.LoadQuery(schema, r.Query)
		if len(errs) > 0 {
			t.Errorf("sent a document that does not validate: %v\n%s", errs, r.Query)
			continue
		}
		op := q.Operations[0]
		sent[op.Name] = true
		if _, err := validator.VariableValues(schema, op, r.Variables); err != nil {
			t.Errorf("%s: variables %v do not validate: %v", op.Name, r.Variables, err)
		}
		for _, p := range append(deprecatedUses(q), deprecatedInputs(schema, op, r.Variables)...) {
			t.Errorf("%s: %s", op.Name, p)
		}
	}
	for name, doc := range documents {
		q, errs := gqlparser.LoadQuery(schema, doc)
		if len(errs) == 0 && !sent[q.Operations[0].Name] {
			t.Errorf("%s (operation %s) was never sent, so its variables went unchecked", name, q.Operations[0].Name)
		}
	}
	if len(rec.reqs) < len(documents) {
		t.Errorf("only %d requests recorded", len(rec.reqs))
	}
}
