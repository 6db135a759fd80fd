package shopifysim

import (
	"slices"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart/shopify/adminschema"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestSchemaMatchesPublished checks the simulator's hand-written schema
// against Shopify's published Admin schema of the version it serves
// (shared/cart/shopify/testdata, see SOURCE.md there): every type, field,
// argument, input field and enum value it serves exists there with the same
// type, so what the simulator accepts the real API accepts too, and what
// Shopify removed (compareQuantity, ignoreCompareQuantity) it refuses.
func TestSchemaMatchesPublished(t *testing.T) {
	pub, err := adminschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	named := func(typ string) string { return strings.Trim(typ, "[]!") }
	for typ, fields := range schema {
		def := pub.Types[typ]
		if def == nil {
			t.Errorf("type %s is not in the published %s schema", typ, adminschema.Version)
			continue
		}
		for name, f := range fields {
			pf := def.Fields.ForName(name)
			if pf == nil {
				t.Errorf("%s.%s is not in the published schema", typ, name)
				continue
			}
			want := pf.Type.String()
			switch f.kind {
			case kindScalar:
				if f.typ != want {
					t.Errorf("%s.%s is %s; published %s", typ, name, f.typ, want)
				}
			default:
				if f.typ != named(want) {
					t.Errorf("%s.%s returns %s; published %s", typ, name, f.typ, want)
				}
			}
			for arg, at := range f.args {
				pa := pf.Arguments.ForName(arg)
				if pa == nil {
					t.Errorf("%s.%s(%s) is not in the published schema", typ, name, arg)
				} else if pa.Type.String() != at {
					t.Errorf("%s.%s(%s: %s); published %s", typ, name, arg, at, pa.Type.String())
				}
			}
		}
	}
	for typ, fields := range inputObjects {
		def := pub.Types[typ]
		if def == nil || def.Kind != ast.InputObject {
			t.Errorf("input %s is not in the published schema", typ)
			continue
		}
		for name, ft := range fields {
			pf := def.Fields.ForName(name)
			if pf == nil {
				t.Errorf("input field %s.%s is not in the published schema", typ, name)
			} else if pf.Type.String() != ft {
				t.Errorf("input field %s.%s is %s; published %s", typ, name, ft, pf.Type.String())
			}
		}
	}
	for typ, values := range enums {
		def := pub.Types[typ]
		if def == nil || def.Kind != ast.Enum {
			t.Errorf("enum %s is not in the published schema", typ)
			continue
		}
		for _, v := range values {
			if def.EnumValues.ForName(v) == nil {
				t.Errorf("enum value %s.%s is not in the published schema", typ, v)
			}
		}
	}
	// The published schema's own word on what the simulator enforces.
	codes := pub.Types["InventorySetQuantitiesUserErrorCode"]
	for _, code := range []string{"CHANGE_FROM_QUANTITY_STALE", "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", "COMPARE_QUANTITY_REQUIRED"} {
		if codes.EnumValues.ForName(code) == nil {
			t.Errorf("the simulator answers %s, which 2026-10 does not have", code)
		}
	}
	if d := pub.Directives["idempotent"]; d == nil || !slices.Contains(d.Locations, ast.LocationField) {
		t.Error("the published schema has no @idempotent on fields")
	}
}
