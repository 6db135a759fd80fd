// Package amazontest gives tests Amazon's published models and feed
// schemas, copied in shared/cart/amazon/testdata (see SOURCE.md there):
// JSON Schema validation of bodies against a model's definitions or a
// feed schema, and the example responses the models publish.
package amazontest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
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
