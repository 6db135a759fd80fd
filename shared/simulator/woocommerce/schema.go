package woocommercesim

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/autosync/autosync/shared/simulator/apispec"
)

// WooCommerce's published REST v3 reference pages (docs/SOURCE.md). The
// objects the simulator accepts are checked against their property tables
// the way WordPress checks them: types (with WordPress's casts of numeric
// and boolean strings) and option lists; unlisted and read-only properties
// pass, as WordPress ignores them.
var (
	//go:embed docs/_products.md
	productsPage []byte
	//go:embed docs/_product-variations.md
	variationsPage []byte
	//go:embed docs/_webhooks.md
	webhooksPage []byte

	schemas = sync.OnceValue(func() map[string]*openapi3.Schema {
		out := map[string]*openapi3.Schema{}
		for name, src := range map[string]struct {
			page   []byte
			anchor string
		}{
			"product":   {productsPage, "product-properties"},
			"variation": {variationsPage, "product-variation-properties"},
			"webhook":   {webhooksPage, "webhook-properties"},
		} {
			sc, err := apispec.ParsePage(src.page).Object(src.anchor, apispec.Lenient)
			if err != nil {
				panic(fmt.Sprintf("woocommerce reference %s: %v", name, err))
			}
			out[name] = sc
		}
		return out
	})
)

// checkObject validates one object against the reference's property table
// for kind ("product", "variation", "webhook"). It returns nil, or the
// itemError WordPress's rest_validate_value_from_schema gives, with each
// bad parameter's reason.
func checkObject(kind string, raw json.RawMessage) *itemError {
	err := apispec.Validate(schemas()[kind], raw)
	if err == nil {
		return nil
	}
	params := map[string]string{}
	for _, se := range apispec.SchemaErrors(err) {
		name := wpParamName(se.JSONPointer())
		if name == "" {
			name = kind
		}
		params[name] = wpReason(name, se)
	}
	if len(params) == 0 {
		params[kind] = "Invalid parameter."
	}
	names := slices.Sorted(maps.Keys(params))
	e := &itemError{status: http.StatusBadRequest, code: "rest_invalid_param", message: "Invalid parameter(s): " + strings.Join(names, ", "), params: params}
	if len(names) == 1 {
		// A batch item's error carries the one reason, as WordPress's does.
		e.message = params[names[0]]
	}
	return e
}

// wpParamName spells a JSON pointer as WordPress names nested parameters:
// dimensions[length], images[0][src].
func wpParamName(ptr []string) string {
	if len(ptr) == 0 {
		return ""
	}
	// An anyOf branch error points at the property itself.
	name := ptr[0]
	for _, p := range ptr[1:] {
		name += "[" + p + "]"
	}
	return name
}

// wpReason words a schema error as WordPress does.
func wpReason(name string, se *openapi3.SchemaError) string {
	sc := se.Schema
	switch {
	case se.SchemaField == "enum" && sc != nil:
		var opts []string
		for _, o := range sc.Enum {
			opts = append(opts, fmt.Sprint(o))
		}
		return fmt.Sprintf("%s is not one of %s.", name, strings.Join(opts, ", "))
	case sc != nil && len(sc.AnyOf) > 0 && sc.AnyOf[0].Value != nil && sc.AnyOf[0].Value.Type != nil:
		return fmt.Sprintf("%s is not of type %s.", name, sc.AnyOf[0].Value.Type.Slice()[0])
	case se.SchemaField == "type" && sc != nil && sc.Type != nil:
		return fmt.Sprintf("%s is not of type %s.", name, sc.Type.Slice()[0])
	}
	return name + ": " + se.Reason
}

// checked validates a single object's JSON body (a product or variation
// PUT, a webhook create or update) before h, answering as
// WP_REST_Request::has_valid_params does when the reference refuses it.
func (s *Server) checked(kind string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeError(w, http.StatusBadRequest, "rest_invalid_json", "The request body could not be read.", nil)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !json.Valid(body) {
			h(w, r) // the handler answers rest_invalid_json
			return
		}
		if e := checkObject(kind, body); e != nil {
			s.ctl.Lock()
			s.stats.SchemaRefused++
			s.ctl.Unlock()
			names := slices.Sorted(maps.Keys(e.params))
			details := map[string]any{}
			for _, n := range names {
				details[n] = map[string]any{"code": "rest_invalid_type", "message": e.params[n], "data": nil}
			}
			writeError(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+strings.Join(names, ", "),
				map[string]any{"params": e.params, "details": details})
			return
		}
		h(w, r)
	}
}
