// Package amazontest gives tests Amazon's published models and feed
// schemas, copied in shared/cart/amazon/testdata (see SOURCE.md there):
// JSON Schema validation of bodies against a model's definitions or a
// feed schema, and the example responses the models publish.
package amazontest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Model and schema files, as named in testdata.
const (
	Orders           = "models/orders_2026-01-01.json"
	FBAInventory     = "models/fbaInventory.json"
	ListingsItems    = "models/listingsItems_2021-08-01.json"
	Feeds            = "models/feeds_2021-06-30.json"
	ListingsFeed     = "schemas/listings-feed-schema-v2.json"
	FeedMessage      = "schemas/listings-feed-message-schema-v2.json"
	ProcessingReport = "schemas/listings-feed-processing-report-schema-v2.json"
)

var files = []string{Orders, FBAInventory, ListingsItems, Feeds, ListingsFeed, FeedMessage, ProcessingReport}

// Dir is the testdata directory, found from this file's place in the
// repository so that any package's test can read it.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Read returns a testdata file.
func Read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("reading Amazon's published %s: %v", name, err)
	}
	return b
}

const base = "https://models.example/" // a resource name, never fetched

var (
	compileMu sync.Mutex // guards compiler and compiled
	compiler  *jsonschema.Compiler
	compiled  = map[string]*jsonschema.Schema{}
)

// Schema compiles ref, a file and an optional JSON pointer fragment:
// "models/feeds_2021-06-30.json#/definitions/CreateFeedSpecification" or
// "schemas/listings-feed-schema-v2.json". The Swagger 2.0 models'
// definitions are JSON Schema draft 4 (Swagger's dialect of it); the feed
// schemas name draft-07 themselves.
func Schema(t testing.TB, ref string) *jsonschema.Schema {
	t.Helper()
	compileMu.Lock()
	defer compileMu.Unlock()
	if s, ok := compiled[ref]; ok {
		return s
	}
	if compiler == nil {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		for _, f := range files {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Read(t, f)))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if err := c.AddResource(base+f, doc); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
		compiler = c
	}
	s, err := compiler.Compile(base + ref)
	if err != nil {
		t.Fatalf("compiling %s: %v", ref, err)
	}
	compiled[ref] = s
	return s
}

// Validate checks body against the schema ref names; the error says what
// the schema refuses.
func Validate(t testing.TB, ref string, body []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return Schema(t, ref).Validate(v)
}

// Example is a response a model publishes for an operation.
type Example struct {
	Source string // where in the model, for messages
	Status string
	Body   []byte
}

// Examples returns every response body model publishes for the operation
// at path and method: the "examples" of each response and the responses
// of its x-amzn-api-sandbox static cases, in a fixed order.
func Examples(t testing.TB, model, path, method string) []Example {
	t.Helper()
	var m struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(Read(t, model), &m); err != nil {
		t.Fatal(err)
	}
	raw, ok := m.Paths[path][strings.ToLower(method)]
	if !ok {
		t.Fatalf("%s has no %s %s", model, method, path)
	}
	var op struct {
		Responses map[string]struct {
			Examples map[string]json.RawMessage `json:"examples"`
			Sandbox  struct {
				Static []struct {
					Response json.RawMessage `json:"response"`
				} `json:"static"`
			} `json:"x-amzn-api-sandbox"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(raw, &op); err != nil {
		t.Fatal(err)
	}
	var out []Example
	codes := make([]string, 0, len(op.Responses))
	for c := range op.Responses {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, code := range codes {
		r := op.Responses[code]
		for _, ct := range slices.Sorted(maps.Keys(r.Examples)) {
			out = append(out, Example{Source: fmt.Sprintf("%s %s %s examples[%s]", method, path, code, ct), Status: code, Body: r.Examples[ct]})
		}
		for i, st := range r.Sandbox.Static {
			out = append(out, Example{Source: fmt.Sprintf("%s %s %s x-amzn-api-sandbox static[%d]", method, path, code, i), Status: code, Body: st.Response})
		}
	}
	return out
}

// operation is a path template of a model the connector calls.
type operation struct {
	method, template, model string
}

var operations = []operation{
	{"GET", "/orders/2026-01-01/orders", Orders},
	{"GET", "/fba/inventory/v1/summaries", FBAInventory},
	{"GET", "/listings/2021-08-01/items/{sellerId}", ListingsItems},
	{"PATCH", "/listings/2021-08-01/items/{sellerId}/{sku}", ListingsItems},
	{"POST", "/feeds/2021-06-30/documents", Feeds},
	{"POST", "/feeds/2021-06-30/feeds", Feeds},
	{"GET", "/feeds/2021-06-30/feeds/{feedId}", Feeds},
	{"DELETE", "/feeds/2021-06-30/feeds/{feedId}", Feeds},
	{"GET", "/feeds/2021-06-30/documents/{feedDocumentId}", Feeds},
}

// Route finds the model operation a request path is: its model and path
// template. ok is false for a path no model the connector uses has.
func Route(method, path string) (model, template string, ok bool) {
	segs := strings.Split(path, "/")
	for _, op := range operations {
		ts := strings.Split(op.template, "/")
		if op.method != method || len(ts) != len(segs) {
			continue
		}
		match := true
		for i, s := range ts {
			if !strings.HasPrefix(s, "{") && s != segs[i] {
				match = false
				break
			}
		}
		if match {
			return op.model, op.template, true
		}
	}
	return "", "", false
}

// modelOperation is what the schemas of one operation are named by.
type modelOperation struct {
	Parameters []struct {
		In     string `json:"in"`
		Schema struct {
			Ref string `json:"$ref"`
		} `json:"schema"`
	} `json:"parameters"`
	Responses map[string]struct {
		Schema struct {
			Ref string `json:"$ref"`
		} `json:"schema"`
	} `json:"responses"`
}

func lookup(t testing.TB, model, template, method string) modelOperation {
	t.Helper()
	var m struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(Read(t, model), &m); err != nil {
		t.Fatal(err)
	}
	var op modelOperation
	raw, ok := m.Paths[template][strings.ToLower(method)]
	if !ok {
		t.Fatalf("%s has no %s %s", model, method, template)
	}
	if err := json.Unmarshal(raw, &op); err != nil {
		t.Fatal(err)
	}
	return op
}

// BodySchema is the schema ref of the operation's request body; "" when
// it takes none.
func BodySchema(t testing.TB, model, template, method string) string {
	t.Helper()
	for _, p := range lookup(t, model, template, method).Parameters {
		if p.In == "body" && p.Schema.Ref != "" {
			return model + p.Schema.Ref
		}
	}
	return ""
}

// ResponseSchema is the schema ref of the operation's answer with status;
// "" when the model gives that status no body.
func ResponseSchema(t testing.TB, model, template, method string, status int) string {
	t.Helper()
	r, ok := lookup(t, model, template, method).Responses[fmt.Sprint(status)]
	if !ok || r.Schema.Ref == "" {
		return ""
	}
	return model + r.Schema.Ref
}

// ResponseListed says whether the model lists status among the
// operation's answers (with a body schema or without).
func ResponseListed(t testing.TB, model, template, method string, status int) bool {
	t.Helper()
	_, ok := lookup(t, model, template, method).Responses[fmt.Sprint(status)]
	return ok
}

// ValidateQuery checks a request's query against the operation's declared
// query parameters: each one the model declares (no other), the required
// ones present, and each value valid for the parameter's type, format and
// bounds (an array is one comma-separated value, Swagger's csv).
func ValidateQuery(t testing.TB, model, template, method string, q url.Values) error {
	t.Helper()
	var m struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(Read(t, model), &m); err != nil {
		t.Fatal(err)
	}
	var op struct {
		Parameters []json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(m.Paths[template][strings.ToLower(method)], &op); err != nil {
		t.Fatal(err)
	}
	declared := map[string]map[string]any{}
	for _, raw := range op.Parameters {
		// As the schema library reads documents (numbers as json.Number).
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := v.(map[string]any); ok && p["in"] == "query" {
			declared[fmt.Sprint(p["name"])] = p
		}
	}
	var errs []string
	for _, name := range slices.Sorted(maps.Keys(q)) {
		p, ok := declared[name]
		if !ok {
			errs = append(errs, fmt.Sprintf("%s is no query parameter of %s %s", name, method, template))
			continue
		}
		vs := q[name]
		if len(vs) != 1 {
			errs = append(errs, fmt.Sprintf("%s is given %d times", name, len(vs)))
			continue
		}
		if err := validateParam(p, vs[0]); err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q: %v", name, vs[0], err))
		}
	}
	for name, p := range declared {
		if p["required"] == true && !q.Has(name) {
			errs = append(errs, fmt.Sprintf("the required %s is missing", name))
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// validateParam checks one query value against its parameter's schema
// keywords, the value decoded by the parameter's type first.
func validateParam(p map[string]any, raw string) error {
	schema := map[string]any{}
	for _, k := range []string{"type", "format", "enum", "items", "maxItems", "minItems", "maximum", "minimum", "maxLength", "minLength", "pattern"} {
		if v, ok := p[k]; ok {
			schema[k] = v
		}
	}
	var v any = raw
	switch p["type"] {
	case "array":
		if f, ok := p["collectionFormat"]; ok && f != "csv" {
			return fmt.Errorf("collectionFormat %v is not read here", f)
		}
		var items []any
		for _, s := range strings.Split(raw, ",") {
			items = append(items, s)
		}
		v = items
	case "integer", "number":
		if _, err := strconv.ParseFloat(raw, 64); err != nil {
			return errors.New("not a number")
		}
		v = json.Number(raw)
	case "boolean":
		if raw != "true" && raw != "false" {
			return errors.New("not true or false")
		}
		v = raw == "true"
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	if err := c.AddResource("param.json", schema); err != nil {
		return err
	}
	s, err := c.Compile("param.json")
	if err != nil {
		return err
	}
	return s.Validate(v)
}
