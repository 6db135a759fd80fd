package etsysim

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// requestSchemas are the request body schemas of the write operations the
// simulator serves, exactly as Etsy's published OpenAPI document has them
// (a test keeps them equal to the copy in the connector's testdata).
//
//go:embed request_schemas.json
var requestSchemas []byte

// Operation ids whose bodies are checked against the published schema.
const (
	opUpdateListingInventory = "updateListingInventory"
	opUpdateListing          = "updateListing"
)

var schemas = func() map[string]*openapi3.Schema {
	var out map[string]*openapi3.Schema
	if err := json.Unmarshal(requestSchemas, &out); err != nil {
		panic(fmt.Sprintf("etsysim: request_schemas.json: %v", err))
	}
	for _, op := range []string{opUpdateListingInventory, opUpdateListing} {
		if out[op] == nil {
			panic("etsysim: request_schemas.json lacks " + op)
		}
	}
	return out
}()

// schemaError words a schema violation as Etsy words its 400s: "There was
// a problem with <path> : <reason>".
func schemaError(err error) error {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		path := "/" + strings.Join(se.JSONPointer(), "/")
		return problem(path, se.Reason)
	}
	return problem("/", err.Error())
}

// checkJSONBody validates a JSON request body against op's published
// schema.
func checkJSONBody(op string, body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return errors.New("The request body is not valid JSON")
	}
	if err := schemas[op].VisitJSON(v, openapi3.VisitAsRequest()); err != nil {
		return schemaError(err)
	}
	return nil
}

// checkFormBody validates a form-encoded body against op's published
// schema: every field is one the schema names, each value of its type.
// It returns the fields, one value each (arrays comma-joined or repeated).
func checkFormBody(op string, form url.Values) (map[string]any, error) {
	sc := schemas[op]
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	obj := map[string]any{}
	for _, k := range keys {
		ref := sc.Properties[k]
		if ref == nil || ref.Value == nil {
			return nil, problem("/", fmt.Sprintf("unexpected key '%s'", k))
		}
		ps := ref.Value
		vals := form[k]
		if ps.Type.Is(openapi3.TypeArray) {
			var items []any
			for _, v := range vals {
				for _, part := range strings.Split(v, ",") {
					x, err := formScalar(ps.Items.Value, strings.TrimSpace(part))
					if err != nil {
						return nil, problem("/"+k, err.Error())
					}
					items = append(items, x)
				}
			}
			obj[k] = items
			continue
		}
		if len(vals) != 1 {
			return nil, problem("/"+k, "must be given once")
		}
		x, err := formScalar(ps, vals[0])
		if err != nil {
			return nil, problem("/"+k, err.Error())
		}
		obj[k] = x
	}
	if err := sc.VisitJSON(obj, openapi3.VisitAsRequest()); err != nil {
		return nil, schemaError(err)
	}
	return obj, nil
}

// formScalar reads one form value as the type the schema gives it.
func formScalar(ps *openapi3.Schema, v string) (any, error) {
	switch {
	case ps == nil || ps.Type.Is(openapi3.TypeString):
		return v, nil
	case ps.Type.Is(openapi3.TypeInteger):
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("expected an integer, got %q", v)
		}
		return float64(n), nil
	case ps.Type.Is(openapi3.TypeNumber):
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("expected a number, got %q", v)
		}
		return f, nil
	case ps.Type.Is(openapi3.TypeBoolean):
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("expected a boolean, got %q", v)
		}
		return b, nil
	}
	return v, nil
}
