// Package adminschema loads Shopify's published GraphQL Admin API schema
// (an introspection result, as Shopify ships it) into a gqlparser schema, so
// tests can validate the documents the connector sends, and the simulator's
// own schema, against the real one.
package adminschema

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// Version is the Admin API version of the schema in testdata.
const Version = "2026-10"

// Path is where the published schema of Version is kept, relative to the
// repository: shared/cart/shopify/testdata/admin_{Version}.json.gz.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "admin_"+Version+".json.gz")
}

var (
	once   sync.Once
	loaded *ast.Schema
	err    error
)

// Load returns the schema at Path, read once.
func Load() (*ast.Schema, error) {
	once.Do(func() { loaded, err = LoadFile(Path()) })
	return loaded, err
}

// LoadFile reads an introspection result (gzip-compressed when the name
// ends in .gz) and builds the schema it describes.
func LoadFile(path string) (*ast.Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	var doc Introspection
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	sdl, err := doc.SDL()
	if err != nil {
		return nil, fmt.Errorf("converting %s: %w", path, err)
	}
	s, gerr := gqlparser.LoadSchema(&ast.Source{Name: filepath.Base(path), Input: sdl})
	if gerr != nil {
		return nil, fmt.Errorf("loading %s: %w", path, gerr)
	}
	return s, nil
}

// Introspection is the standard introspection query's answer.
type Introspection struct {
	Data struct {
		Schema struct {
			QueryType        *named      `json:"queryType"`
			MutationType     *named      `json:"mutationType"`
			SubscriptionType *named      `json:"subscriptionType"`
			Types            []fullType  `json:"types"`
			Directives       []directive `json:"directives"`
		} `json:"__schema"`
	} `json:"data"`
}

type named struct {
	Name string `json:"name"`
}

type typeRef struct {
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	OfType *typeRef `json:"ofType"`
}

func (t *typeRef) String() string {
	switch t.Kind {
	case "NON_NULL":
		return t.OfType.String() + "!"
	case "LIST":
		return "[" + t.OfType.String() + "]"
	}
	return t.Name
}

type inputValue struct {
	Name              string  `json:"name"`
	Type              typeRef `json:"type"`
	DefaultValue      *string `json:"defaultValue"`
	IsDeprecated      bool    `json:"isDeprecated"`
	DeprecationReason *string `json:"deprecationReason"`
}

type fieldDef struct {
	Name              string       `json:"name"`
	Args              []inputValue `json:"args"`
	Type              typeRef      `json:"type"`
	IsDeprecated      bool         `json:"isDeprecated"`
	DeprecationReason *string      `json:"deprecationReason"`
}

type enumValue struct {
	Name              string  `json:"name"`
	IsDeprecated      bool    `json:"isDeprecated"`
	DeprecationReason *string `json:"deprecationReason"`
}

type fullType struct {
	Kind          string       `json:"kind"`
	Name          string       `json:"name"`
	Fields        []fieldDef   `json:"fields"`
	InputFields   []inputValue `json:"inputFields"`
	Interfaces    []typeRef    `json:"interfaces"`
	EnumValues    []enumValue  `json:"enumValues"`
	PossibleTypes []typeRef    `json:"possibleTypes"`
	IsOneOf       *bool        `json:"isOneOf"`
}

type directive struct {
	Name         string       `json:"name"`
	Locations    []string     `json:"locations"`
	Args         []inputValue `json:"args"`
	IsRepeatable bool         `json:"isRepeatable"`
}

// SDL writes the schema as GraphQL SDL, deprecations kept as @deprecated
// and descriptions left out; gqlparser's prelude supplies the built-in
// scalars, directives and introspection types.
func (in *Introspection) SDL() (string, error) {
	s := &in.Data.Schema
	if s.QueryType == nil {
		return "", fmt.Errorf("no query type")
	}
	builtin := map[string]bool{}
	for _, d := range validator.PreludeDocument().Definitions {
		builtin[d.Name] = true
	}
	builtinDirective := map[string]bool{}
	for _, d := range validator.PreludeDocument().Directives {
		builtinDirective[d.Name] = true
	}
	var b strings.Builder
	b.WriteString("schema { query: " + s.QueryType.Name)
	if s.MutationType != nil {
		b.WriteString(" mutation: " + s.MutationType.Name)
	}
	if s.SubscriptionType != nil {
		b.WriteString(" subscription: " + s.SubscriptionType.Name)
	}
	b.WriteString(" }\n")
	for _, d := range s.Directives {
		if builtinDirective[d.Name] {
			continue
		}
		b.WriteString("directive @" + d.Name + args(d.Args))
		if d.IsRepeatable {
			b.WriteString(" repeatable")
		}
		b.WriteString(" on " + strings.Join(d.Locations, " | ") + "\n")
	}
	for _, t := range s.Types {
		if builtin[t.Name] || strings.HasPrefix(t.Name, "__") {
			continue
		}
		switch t.Kind {
		case "SCALAR":
			b.WriteString("scalar " + t.Name + "\n")
		case "OBJECT", "INTERFACE":
			kw := "type "
			if t.Kind == "INTERFACE" {
				kw = "interface "
			}
			b.WriteString(kw + t.Name + implements(t.Interfaces) + " {\n")
			for _, f := range t.Fields {
				b.WriteString("  " + f.Name + args(f.Args) + ": " + f.Type.String() + deprecated(f.IsDeprecated, f.DeprecationReason) + "\n")
			}
			b.WriteString("}\n")
		case "UNION":
			names := make([]string, len(t.PossibleTypes))
			for i, p := range t.PossibleTypes {
				names[i] = p.Name
			}
			b.WriteString("union " + t.Name + " = " + strings.Join(names, " | ") + "\n")
		case "ENUM":
			b.WriteString("enum " + t.Name + " {\n")
			for _, v := range t.EnumValues {
				b.WriteString("  " + v.Name + deprecated(v.IsDeprecated, v.DeprecationReason) + "\n")
			}
			b.WriteString("}\n")
		case "INPUT_OBJECT":
			b.WriteString("input " + t.Name)
			if t.IsOneOf != nil && *t.IsOneOf {
				b.WriteString(" @oneOf")
			}
			b.WriteString(" {\n")
			for _, f := range t.InputFields {
				b.WriteString("  " + inputValueSDL(f) + "\n")
			}
			b.WriteString("}\n")
		default:
			return "", fmt.Errorf("type %s has kind %q", t.Name, t.Kind)
		}
	}
	return b.String(), nil
}

func implements(ifaces []typeRef) string {
	if len(ifaces) == 0 {
		return ""
	}
	names := make([]string, len(ifaces))
	for i, t := range ifaces {
		names[i] = t.Name
	}
	slices.Sort(names)
	return " implements " + strings.Join(names, " & ")
}

func args(list []inputValue) string {
	if len(list) == 0 {
		return ""
	}
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = inputValueSDL(a)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func inputValueSDL(v inputValue) string {
	s := v.Name + ": " + v.Type.String()
	if v.DefaultValue != nil {
		s += " = " + *v.DefaultValue
	}
	return s + deprecated(v.IsDeprecated, v.DeprecationReason)
}

func deprecated(is bool, reason *string) string {
	if !is {
		return ""
	}
	r := "No longer supported"
	if reason != nil {
		r = *reason
	}
	q, _ := json.Marshal(r) // a JSON string is a GraphQL string
	return " @deprecated(reason: " + string(q) + ")"
}

// Deprecation returns the reason a definition's @deprecated gives, and
// whether it has one.
func Deprecation(dirs ast.DirectiveList) (string, bool) {
	d := dirs.ForName("deprecated")
	if d == nil {
		return "", false
	}
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
		return a.Value.Raw, true
	}
	return "", true
}
