package apispec

// Reference pages written in Markdown with property tables, as
// WooCommerce's REST API docs are (woocommerce/woocommerce-rest-api-docs):
// "## Product properties ##" followed by a table of | `name` | type |
// description |, where the description marks read-only properties, lists
// "Options: `a`, `b` and `c`", and links nested tables ("See [...](#anchor)").
// Where a cart publishes only such pages, the schema is built from them.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Page is one Markdown reference page.
type Page struct {
	md     string
	tables map[string][]property // by heading anchor
}

type property struct {
	name, typ, desc string
}

var (
	headingRE = regexp.MustCompile(`(?m)^(#{2,4}) (.+?) #*\s*$`)
	linkRE    = regexp.MustCompile(`\]\(#([a-z0-9-]+)\)`)
	tickRE    = regexp.MustCompile("`([^`]+)`")
	optionsRE = regexp.MustCompile(`Options: (.+?)(?:\. |\.$|$)`)
)

// Anchor is a heading's link target the way the docs' links spell it:
// "Product - Downloads properties" is "product-downloads-properties".
func Anchor(heading string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(heading) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// ParsePage reads the tables under every heading of md.
func ParsePage(md []byte) *Page {
	p := &Page{md: string(md), tables: map[string][]property{}}
	locs := headingRE.FindAllStringSubmatchIndex(p.md, -1)
	for i, loc := range locs {
		end := len(p.md)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		anchor := Anchor(p.md[loc[4]:loc[5]])
		for _, line := range strings.Split(p.md[loc[1]:end], "\n") {
			cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
			if len(cells) < 3 || !strings.HasPrefix(strings.TrimSpace(cells[0]), "`") {
				continue
			}
			name := strings.Trim(strings.TrimSpace(cells[0]), "`")
			p.tables[anchor] = append(p.tables[anchor], property{
				name: name,
				typ:  strings.TrimSpace(cells[1]),
				desc: strings.TrimSpace(strings.Join(cells[2:], "|")),
			})
		}
	}
	return p
}

// Strictness chooses how a table becomes a schema.
type Strictness int

const (
	// Lenient refuses what the cart's own validation refuses: wrong types
	// and values outside a documented option list. Properties the table
	// does not list, and read-only ones, are let through (WordPress
	// ignores them).
	Lenient Strictness = iota
	// Strict also refuses properties the table does not list and
	// read-only ones: a client sending them would believe it set something
	// the cart ignores.
	Strict
)

// Object builds the schema of the object the table under anchor describes.
func (p *Page) Object(anchor string, s Strictness) (*openapi3.Schema, error) {
	return p.object(anchor, s, 0)
}

func (p *Page) object(anchor string, s Strictness, depth int) (*openapi3.Schema, error) {
	rows, ok := p.tables[anchor]
	if !ok || len(rows) == 0 {
		return nil, fmt.Errorf("no property table under #%s", anchor)
	}
	if depth > 4 {
		return nil, fmt.Errorf("property tables nest too deep at #%s", anchor)
	}
	obj := openapi3.NewObjectSchema()
	obj.Properties = openapi3.Schemas{}
	if s == Strict {
		no := false
		obj.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
	}
	for _, r := range rows {
		sc, err := p.propertySchema(r, s, depth)
		if err != nil {
			return nil, fmt.Errorf("#%s %s: %w", anchor, r.name, err)
		}
		obj.Properties[r.name] = openapi3.NewSchemaRef("", sc)
	}
	return obj, nil
}

func (p *Page) propertySchema(r property, s Strictness, depth int) (*openapi3.Schema, error) {
	var sc *openapi3.Schema
	var nested *openapi3.Schema
	if m := linkRE.FindStringSubmatch(r.desc); m != nil {
		var err error
		if nested, err = p.object(m[1], s, depth+1); err != nil {
			return nil, err
		}
	}
	switch r.typ {
	case "integer":
		sc = openapi3.NewIntegerSchema()
	case "number":
		sc = openapi3.NewFloat64Schema()
	case "string", "date-time":
		sc = openapi3.NewStringSchema()
	case "boolean":
		sc = openapi3.NewBoolSchema()
	case "array":
		sc = openapi3.NewArraySchema()
		if nested != nil {
			sc.Items = openapi3.NewSchemaRef("", nested)
		} else {
			sc.Items = openapi3.NewSchemaRef("", &openapi3.Schema{})
		}
	case "object":
		sc = openapi3.NewObjectSchema()
		if nested != nil {
			sc = nested
		}
	default: // "mixed" and the like
		sc = &openapi3.Schema{}
	}
	if m := optionsRE.FindStringSubmatch(r.desc); m != nil && sc.Type.Is("string") {
		for _, o := range tickRE.FindAllStringSubmatch(m[1], -1) {
			sc.Enum = append(sc.Enum, o[1])
		}
	}
	// Some rows say both "read-only" and "mandatory" (a webhook's
	// delivery_url): the create example sends it, so mandatory wins.
	if s == Strict && strings.Contains(r.desc, "read-only") && !strings.Contains(r.desc, "mandatory") {
		sc.ReadOnly = true
	}
	if s == Lenient {
		sc = wpCoercible(sc)
		sc.Nullable = true // WordPress takes null for "unset" on most fields
	}
	return sc, nil
}

// wpCoercible widens a scalar schema to what WordPress's
// rest_validate_value_from_schema accepts for it: an integer or number
// also as a numeric string, a boolean also as "true", "false", "1", "0",
// 1 or 0.
func wpCoercible(sc *openapi3.Schema) *openapi3.Schema {
	alt := func(alts ...*openapi3.Schema) *openapi3.Schema {
		out := &openapi3.Schema{ReadOnly: sc.ReadOnly}
		for _, a := range alts {
			out.AnyOf = append(out.AnyOf, openapi3.NewSchemaRef("", a))
		}
		return out
	}
	switch {
	case sc.Type.Is("integer"):
		return alt(sc, openapi3.NewStringSchema().WithPattern(`^-?[0-9]+$`))
	case sc.Type.Is("number"):
		return alt(sc, openapi3.NewStringSchema().WithPattern(`^-?[0-9]+(\.[0-9]+)?$`))
	case sc.Type.Is("boolean"):
		return alt(sc, openapi3.NewStringSchema().WithEnum("true", "false", "1", "0"), openapi3.NewIntegerSchema().WithEnum(1.0, 0.0))
	}
	return sc
}

// SchemaErrors flattens what Validate returns into the schema errors it
// holds, each with its JSON pointer.
func SchemaErrors(err error) []*openapi3.SchemaError {
	var out []*openapi3.SchemaError
	var walk func(error)
	walk = func(err error) {
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			for _, e := range multi {
				walk(e)
			}
			return
		}
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			out = append(out, se)
		}
	}
	walk(err)
	return out
}

// Batch builds the schema of a batch endpoint's body ({"create": [...],
// "update": [...], "delete": [ids]}) for objects of the table under
// anchor; update items must carry their id.
func (p *Page) Batch(anchor string, s Strictness) (*openapi3.Schema, error) {
	item, err := p.Object(anchor, s)
	if err != nil {
		return nil, err
	}
	update := *item
	update.Properties = openapi3.Schemas{}
	for k, v := range item.Properties {
		update.Properties[k] = v
	}
	id := openapi3.NewIntegerSchema().WithMin(1) // the id names the object: never read-only here
	update.Properties["id"] = openapi3.NewSchemaRef("", id)
	update.Required = []string{"id"}
	b := openapi3.NewObjectSchema()
	b.Properties = openapi3.Schemas{
		"create": openapi3.NewSchemaRef("", openapi3.NewArraySchema().WithItems(item)),
		"update": openapi3.NewSchemaRef("", openapi3.NewArraySchema().WithItems(&update)),
		"delete": openapi3.NewSchemaRef("", openapi3.NewArraySchema().WithItems(openapi3.NewIntegerSchema())),
	}
	if s == Strict {
		no := false
		b.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
	}
	return b, nil
}

// Validate checks a JSON body against a schema built here, as a request
// (read-only properties refused when the schema is Strict).
func Validate(sc *openapi3.Schema, body []byte) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&v); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	opts := []openapi3.SchemaValidationOption{openapi3.VisitAsRequest(), openapi3.MultiErrors()}
	return sc.VisitJSON(v, opts...)
}

// Params reads the "Available parameters" table of the section under the
// heading anchor: parameter name to its schema (type and options).
func (p *Page) Params(anchor string) (map[string]*openapi3.Schema, error) {
	locs := headingRE.FindAllStringSubmatchIndex(p.md, -1)
	for i, loc := range locs {
		if Anchor(p.md[loc[4]:loc[5]]) != anchor {
			continue
		}
		level := loc[3] - loc[2]
		// The parameters table is a deeper heading inside the section.
		for _, sub := range locs[i+1:] {
			if sub[3]-sub[2] <= level {
				break
			}
			// Every section's table has this heading: read it in place.
			if Anchor(p.md[sub[4]:sub[5]]) == "available-parameters" {
				return p.paramsAt(sub[1])
			}
		}
		return nil, fmt.Errorf("#%s has no parameters table", anchor)
	}
	return nil, fmt.Errorf("no section #%s", anchor)
}

func (p *Page) paramsAt(start int) (map[string]*openapi3.Schema, error) {
	out := map[string]*openapi3.Schema{}
	rest := p.md[start:]
	if next := headingRE.FindStringIndex(rest); next != nil {
		rest = rest[:next[0]]
	}
	for _, line := range strings.Split(rest, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) < 3 || !strings.HasPrefix(strings.TrimSpace(cells[0]), "`") {
			continue
		}
		r := property{name: strings.Trim(strings.TrimSpace(cells[0]), "`"), typ: strings.TrimSpace(cells[1]), desc: strings.Join(cells[2:], "|")}
		sc, err := p.propertySchema(r, Lenient, 0)
		if err != nil {
			return nil, err
		}
		sc.Nullable = false
		out[r.name] = sc
	}
	if len(out) == 0 {
		return nil, errors.New("empty parameters table")
	}
	return out, nil
}

// Example returns the first JSON code block after "JSON response example"
// in the section under the heading anchor.
func (p *Page) Example(anchor string) ([]byte, error) {
	locs := headingRE.FindAllStringSubmatchIndex(p.md, -1)
	for i, loc := range locs {
		if Anchor(p.md[loc[4]:loc[5]]) != anchor {
			continue
		}
		level := loc[3] - loc[2]
		end := len(p.md)
		for _, next := range locs[i+1:] {
			if next[3]-next[2] <= level {
				end = next[0]
				break
			}
		}
		sec := p.md[loc[1]:end]
		at := strings.Index(sec, "JSON response example")
		if at < 0 {
			return nil, fmt.Errorf("#%s has no JSON response example", anchor)
		}
		sec = sec[at:]
		open := strings.Index(sec, "```json")
		if open < 0 {
			return nil, fmt.Errorf("#%s: no json block", anchor)
		}
		sec = sec[open+len("```json"):]
		closeAt := strings.Index(sec, "```")
		if closeAt < 0 {
			return nil, fmt.Errorf("#%s: unterminated json block", anchor)
		}
		b := []byte(strings.TrimSpace(sec[:closeAt]))
		if !json.Valid(b) {
			return nil, fmt.Errorf("#%s: the example is not valid JSON", anchor)
		}
		return b, nil
	}
	return nil, fmt.Errorf("no section #%s", anchor)
}
