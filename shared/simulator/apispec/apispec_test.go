package apispec

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

const doc = `
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /hooks:
    post:
      parameters:
        - {name: dry, in: query, schema: {type: boolean}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [scope]
              properties:
                scope: {type: string, enum: [a, b], example: a}
                active: {type: boolean, example: true}
            examples:
              one: {value: {scope: b}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  data:
                    type: object
                    properties:
                      id: {type: integer, example: 7}
                      name: {type: string}
  /hooks/{id}:
    delete:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        '204': {description: gone}
  /hooks/admin:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              example: {admin: true}
`

func load(t *testing.T) *Spec {
	t.Helper()
	s, err := Load("doc", []byte(doc), "/v3")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFind(t *testing.T) {
	s := load(t)
	for _, tc := range []struct {
		method, path, want string
		params             map[string]string
	}{
		{"POST", "/v3/hooks", "/hooks", nil},
		{"DELETE", "/v3/hooks/12", "/hooks/{id}", map[string]string{"id": "12"}},
		{"GET", "/v3/hooks/admin", "/hooks/admin", nil}, // the literal wins
		{"GET", "/v3/hooks/12", "", nil},                // no GET there
		{"POST", "/v2/hooks", "", nil},                  // other prefix
		{"POST", "/v3hooks", "", nil},
		{"POST", "/v3/hooks/1/2", "", nil},
	} {
		rt, params, ok := s.Find(tc.method, tc.path)
		if got := ""; ok {
			got = rt.Path
			if got != tc.want {
				t.Errorf("%s %s = %s; want %s", tc.method, tc.path, got, tc.want)
			}
			for k, v := range tc.params {
				if params[k] != v {
					t.Errorf("%s %s: param %s = %q", tc.method, tc.path, k, params[k])
				}
			}
		} else if tc.want != "" {
			t.Errorf("%s %s not found; want %s", tc.method, tc.path, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	s := load(t)
	check := func(method, target, body string) error {
		r, _ := http.NewRequest(method, "http://x"+target, nil)
		return s.Check(t.Context(), r, []byte(body))
	}
	for _, tc := range []struct {
		name, method, target, body string
		field                      string // "" means accepted
	}{
		{"valid", "POST", "/v3/hooks", `{"scope":"a","active":true}`, ""},
		{"enum", "POST", "/v3/hooks", `{"scope":"c"}`, "scope"},
		{"type", "POST", "/v3/hooks", `{"scope":"a","active":"yes"}`, "active"},
		{"required", "POST", "/v3/hooks", `{"active":true}`, "scope"},
		{"query", "POST", "/v3/hooks?dry=maybe", `{"scope":"a"}`, "dry"},
		{"path param", "DELETE", "/v3/hooks/x", ``, "id"},
		{"body where none is described", "DELETE", "/v3/hooks/1", `{"a":1}`, "body"},
	} {
		err := check(tc.method, tc.target, tc.body)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var v *Violation
		if !errors.As(err, &v) {
			t.Errorf("%s: %v; want a violation", tc.name, err)
			continue
		}
		fields := v.Fields()
		named := false
		for k := range fields {
			named = named || strings.HasPrefix(k, tc.field)
		}
		if !named {
			t.Errorf("%s: fields %v do not name %s", tc.name, fields, tc.field)
		}
	}
	if err := check("PUT", "/v3/hooks", `{}`); !errors.Is(err, ErrUndocumented) {
		t.Errorf("undescribed operation: %v", err)
	}
}

func TestExamples(t *testing.T) {
	s := load(t)
	set := Set{s}
	// Assembled from property examples: name has none and is left out.
	status, body, err := set.Answer("POST", "/v3/hooks")
	if err != nil || status != 200 || string(body) != `{"data":{"id":7}}` {
		t.Errorf("Answer = %d %s %v", status, body, err)
	}
	if status, body, err := set.Answer("DELETE", "/v3/hooks/1"); err != nil || status != 204 || body != nil {
		t.Errorf("bodiless Answer = %d %s %v", status, body, err)
	}
	if b, err := s.Example("GET", "/v3/hooks/admin", 200); err != nil || string(b) != `{"admin":true}` {
		t.Errorf("Example = %s %v", b, err)
	}
	exs, err := s.RequestExamples("POST", "/v3/hooks")
	if err != nil || string(exs["one"]) != `{"scope":"b"}` {
		t.Errorf("RequestExamples = %s %v", exs, err)
	}
	if _, err := s.Example("GET", "/v3/nowhere", 200); !errors.Is(err, ErrUndocumented) {
		t.Errorf("Example of nothing: %v", err)
	}
}

func TestLoadRefusesNonsense(t *testing.T) {
	if _, err := Load("x", []byte("openapi: [\n"), ""); err == nil {
		t.Error("broken YAML loaded")
	}
}

const page = "# Things #\n\n" +
	"## Thing properties ##\n\n" +
	"| Attribute | Type | Description |\n|---|---|---|\n" +
	"| `id` | integer | Id. <i class=\"label label-info\">read-only</i> |\n" +
	"| `status` | string | Status. Options: `draft`, `publish` and `private`. Default is `draft`. |\n" +
	"| `stock` | integer | Stock. |\n" +
	"| `managed` | boolean | Managed. |\n" +
	"| `url` | string | URL. <i class=\"label label-info\">read-only</i> <i class=\"label label-info\">mandatory</i> |\n" +
	"| `dimensions` | object | See [Thing - Dimensions properties](#thing-dimensions-properties) |\n" +
	"| `images` | array | See [Thing - Images properties](#thing-images-properties) |\n\n" +
	"### Thing - Dimensions properties ###\n\n" +
	"| Attribute | Type | Description |\n|---|---|---|\n| `length` | string | Length. |\n\n" +
	"### Thing - Images properties ###\n\n" +
	"| Attribute | Type | Description |\n|---|---|---|\n| `src` | string | Source. |\n\n" +
	"## List all things ##\n\n" +
	"> JSON response example:\n\n```json\n[{\"id\": 1}]\n```\n\n" +
	"#### Available parameters ####\n\n" +
	"| Parameter | Type | Description |\n|---|---|---|\n" +
	"| `per_page` | integer | Page size. |\n| `order` | string | Order. Options: `asc` and `desc`. |\n"

func TestAnchor(t *testing.T) {
	for in, want := range map[string]string{
		"Product - Downloads properties": "product-downloads-properties",
		"List all orders":                "list-all-orders",
		"Batch update products":          "batch-update-products",
		"  Odd -- spacing!  ":            "odd-spacing",
	} {
		if got := Anchor(in); got != want {
			t.Errorf("Anchor(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestPageSchemas(t *testing.T) {
	p := ParsePage([]byte(page))
	strict, err := p.Object("thing-properties", Strict)
	if err != nil {
		t.Fatal(err)
	}
	lenient, err := p.Object("thing-properties", Lenient)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := p.Batch("thing-properties", Strict)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name              string
		body              string
		strictOK, lenient bool
	}{
		{"valid", `{"status":"publish","stock":3,"managed":true,"url":"https://a","dimensions":{"length":"2"},"images":[{"src":"s"}]}`, true, true},
		{"option", `{"status":"gone"}`, false, false},
		{"integer as numeric text", `{"stock":"3"}`, false, true},
		{"integer as words", `{"stock":"three"}`, false, false},
		{"boolean as text", `{"managed":"1"}`, false, true},
		{"boolean as words", `{"managed":"yes"}`, false, false},
		{"read-only", `{"id":4}`, false, true},
		{"unlisted", `{"colour":"red"}`, false, true},
		{"nested unlisted", `{"dimensions":{"depth":"1"}}`, false, true},
		{"nested type", `{"images":[{"src":5}]}`, false, false},
		{"null", `{"stock":null}`, false, true},
	} {
		if err := Validate(strict, []byte(tc.body)); (err == nil) != tc.strictOK {
			t.Errorf("%s strict: %v; want accepted %v", tc.name, err, tc.strictOK)
		}
		if err := Validate(lenient, []byte(tc.body)); (err == nil) != tc.lenient {
			t.Errorf("%s lenient: %v; want accepted %v", tc.name, err, tc.lenient)
		}
	}
	for body, ok := range map[string]bool{
		`{"update":[{"id":1,"stock":2}]}`: true,
		`{"update":[{"stock":2}]}`:        false, // an update names its object
		`{"delete":[1,2]}`:                true,
		`{"delete":["x"]}`:                false,
		`{"upsert":[]}`:                   false,
	} {
		if err := Validate(batch, []byte(body)); (err == nil) != ok {
			t.Errorf("batch %s: %v; want accepted %v", body, err, ok)
		}
	}
	if err := Validate(strict, []byte(`{`)); err == nil {
		t.Error("broken JSON accepted")
	}
	if _, err := p.Object("nothing-properties", Strict); err == nil {
		t.Error("a missing table built a schema")
	}
}

func TestPageParamsAndExamples(t *testing.T) {
	p := ParsePage([]byte(page))
	params, err := p.Params("list-all-things")
	if err != nil {
		t.Fatal(err)
	}
	if len(params) != 2 || params["per_page"] == nil || len(params["order"].Enum) != 2 {
		t.Errorf("params %v", params)
	}
	ex, err := p.Example("list-all-things")
	if err != nil {
		t.Fatal(err)
	}
	var v []map[string]int
	if json.Unmarshal(ex, &v) != nil || len(v) != 1 || v[0]["id"] != 1 {
		t.Errorf("example %s", ex)
	}
	if _, err := p.Example("thing-properties"); err == nil {
		t.Error("an example where there is none")
	}
	if _, err := p.Params("thing-properties"); err == nil {
		t.Error("parameters where there are none")
	}
}

// The Markdown reader never panics, whatever the page holds.
func FuzzParsePage(f *testing.F) {
	f.Add([]byte(page))
	f.Add([]byte("## X properties ##\n| `a` | array | See [b](#b) |\n### B ###\n| `c` | object | See [x](#x-properties) |"))
	f.Fuzz(func(t *testing.T, md []byte) {
		p := ParsePage(md)
		for anchor := range p.tables {
			for _, s := range []Strictness{Strict, Lenient} {
				if sc, err := p.Object(anchor, s); err == nil {
					Validate(sc, []byte(`{"a":[{"c":{}}],"id":1}`))
				}
				p.Batch(anchor, s)
			}
			p.Params(anchor)
			p.Example(anchor)
		}
	})
}
