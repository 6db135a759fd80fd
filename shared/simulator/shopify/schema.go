package shopifysim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The schema is the subset of the GraphQL Admin API the simulator serves,
// described as data so that validation, cost and execution agree, and so that
// products and inventory can be added as more types later.

type fieldKind int

const (
	kindScalar     fieldKind = iota // scalars, enums and lists of them: cost 0
	kindObject                      // an object: cost 1 plus its selection
	kindConnection                  // a Relay connection: cost 2 + first × node cost
)

type fieldDef struct {
	kind fieldKind
	typ  string            // result type, for messages and for objects/connections
	args map[string]string // argument name → GraphQL input type ("Int", "ID!")
}

var pageArgs = map[string]string{
	"first": "Int", "after": "String", "last": "Int", "before": "String", "reverse": "Boolean",
}

var schema = map[string]map[string]fieldDef{
	"QueryRoot": {
		"orders": {kind: kindConnection, typ: "OrderConnection", args: withArgs(pageArgs, map[string]string{
			"sortKey": "OrderSortKeys", "query": "String", "savedSearchId": "ID",
		})},
		"order": {kind: kindObject, typ: "Order", args: map[string]string{"id": "ID!"}},
	},
	"Mutation": {},
	"Order": {
		"id":                       {typ: "ID!"},
		"legacyResourceId":         {typ: "UnsignedInt64!"},
		"name":                     {typ: "String!"},
		"email":                    {typ: "String"},
		"createdAt":                {typ: "DateTime!"},
		"updatedAt":                {typ: "DateTime!"},
		"processedAt":              {typ: "DateTime!"},
		"cancelledAt":              {typ: "DateTime"},
		"cancelReason":             {typ: "OrderCancelReason"},
		"closed":                   {typ: "Boolean!"},
		"closedAt":                 {typ: "DateTime"},
		"displayFinancialStatus":   {typ: "OrderDisplayFinancialStatus"},
		"displayFulfillmentStatus": {typ: "OrderDisplayFulfillmentStatus!"},
		"tags":                     {typ: "[String!]!"},
		"currencyCode":             {typ: "CurrencyCode!"},
		"totalPriceSet":            {kind: kindObject, typ: "MoneyBag"},
		"lineItems":                {kind: kindConnection, typ: "LineItemConnection", args: pageArgs},
	},
	"MoneyBag": {
		"shopMoney":        {kind: kindObject, typ: "MoneyV2"},
		"presentmentMoney": {kind: kindObject, typ: "MoneyV2"},
	},
	"MoneyV2": {
		"amount":       {typ: "Decimal!"},
		"currencyCode": {typ: "CurrencyCode!"},
	},
	"LineItem": {
		"id":              {typ: "ID!"},
		"sku":             {typ: "String"},
		"name":            {typ: "String!"},
		"title":           {typ: "String!"},
		"quantity":        {typ: "Int!"},
		"currentQuantity": {typ: "Int!"},
	},
	"PageInfo": {
		"hasNextPage":     {typ: "Boolean!"},
		"hasPreviousPage": {typ: "Boolean!"},
		"startCursor":     {typ: "String"},
		"endCursor":       {typ: "String"},
	},
}

// Connection and edge types are regular in shape; they are generated.
func init() {
	for _, node := range []string{"Order", "LineItem"} {
		schema[node+"Connection"] = map[string]fieldDef{
			"edges":    {kind: kindObject, typ: node + "Edge"},
			"nodes":    {kind: kindObject, typ: node},
			"pageInfo": {kind: kindObject, typ: "PageInfo"},
		}
		schema[node+"Edge"] = map[string]fieldDef{
			"cursor": {typ: "String!"},
			"node":   {kind: kindObject, typ: node},
		}
	}
}

func withArgs(a, b map[string]string) map[string]string {
	m := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

var enums = map[string][]string{
	"OrderSortKeys": {"CREATED_AT", "CUSTOMER_NAME", "DESTINATION", "FINANCIAL_STATUS",
		"FULFILLMENT_STATUS", "ID", "ORDER_NUMBER", "PROCESSED_AT", "RELEVANCE",
		"TOTAL_ITEMS_QUANTITY", "TOTAL_PRICE", "UPDATED_AT"},
}

var inputScalars = map[string]bool{"Int": true, "Float": true, "String": true, "Boolean": true, "ID": true}

// maxPageSize is Shopify's per-connection node limit (CARTS.md §0.2).
const maxPageSize = 250

// maxQueryCost is Shopify's single-query cost limit.
const maxQueryCost = 1000

// checker validates an operation against the schema, coerces its variables
// and computes its requested cost, the way Shopify does before running a
// query: an object costs 1, a scalar or enum 0, and a connection 2 plus
// first × the cost of one node (the node object itself and its selection).
type checker struct {
	opPath string
	decl   map[string]*varDef
	vars   map[string]any
	args   map[*field]map[string]any // each field's arguments, for execution
	errs   []*gqlError
}

func newChecker(op *operation, raw map[string]json.RawMessage) *checker {
	c := &checker{opPath: op.kind, decl: map[string]*varDef{}, vars: map[string]any{}, args: map[*field]map[string]any{}}
	if op.name != "" {
		c.opPath += " " + op.name
	}
	for _, vd := range op.vars {
		if _, dup := c.decl[vd.name]; dup {
			c.fail(vd.pos, nil, "There can be only one variable named \"$%s\"", vd.name)
			continue
		}
		c.decl[vd.name] = vd
		c.coerceVariable(vd, raw)
	}
	return c
}

func (c *checker) fail(pos gqlLocation, path []any, format string, args ...any) *gqlError {
	e := errorAt(pos, format, args...)
	if path != nil {
		e.Path = append([]any{c.opPath}, path...)
	}
	c.errs = append(c.errs, e)
	return e
}

func (c *checker) coerceVariable(vd *varDef, raw map[string]json.RawMessage) {
	if !knownInputType(vd.typ) {
		c.fail(vd.pos, nil, "%s isn't a defined input type (on $%s)", vd.typ, vd.name)
		return
	}
	data, given := raw[vd.name]
	if !given || string(data) == "null" {
		switch {
		case given && vd.typ.nonNull:
		case !given && vd.def != nil:
			v, err := literalValue(vd.def, vd.typ)
			if err != nil {
				c.fail(vd.pos, nil, "Default value for $%s doesn't match type %s", vd.name, vd.typ)
				return
			}
			c.vars[vd.name] = v
			return
		case !vd.typ.nonNull:
			c.vars[vd.name] = nil
			return
		}
		e := c.fail(vd.pos, nil, "Variable $%s of type %s was provided invalid value", vd.name, vd.typ)
		e.Extensions = map[string]any{"value": nil, "problems": []any{map[string]any{"path": []any{}, "explanation": "Expected value to not be null"}}}
		return
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		c.fail(vd.pos, nil, "Variable $%s of type %s was provided invalid value", vd.name, vd.typ)
		return
	}
	cv, ok := coerceJSON(v, vd.typ)
	if !ok {
		e := c.fail(vd.pos, nil, "Variable $%s of type %s was provided invalid value", vd.name, vd.typ)
		e.Extensions = map[string]any{"value": v}
		return
	}
	c.vars[vd.name] = cv
}

func knownInputType(t *typeRef) bool {
	if t.elem != nil {
		return knownInputType(t.elem)
	}
	_, enum := enums[t.name]
	return inputScalars[t.name] || enum
}

// coerceJSON turns a decoded JSON variable into the simulator's value
// representation: int64, float64, string, bool, nil or []any.
func coerceJSON(v any, t *typeRef) (any, bool) {
	if v == nil {
		return nil, !t.nonNull
	}
	if t.elem != nil {
		list, ok := v.([]any)
		if !ok {
			list = []any{v} // input coercion wraps a single value
		}
		out := make([]any, len(list))
		for i, e := range list {
			if out[i], ok = coerceJSON(e, t.elem); !ok {
				return nil, false
			}
		}
		return out, true
	}
	switch t.name {
	case "Int":
		n, ok := v.(json.Number)
		if !ok {
			return nil, false
		}
		i, err := strconv.ParseInt(string(n), 10, 32)
		return i, err == nil
	case "Float":
		n, ok := v.(json.Number)
		if !ok {
			return nil, false
		}
		f, err := n.Float64()
		return f, err == nil
	case "String":
		s, ok := v.(string)
		return s, ok
	case "ID":
		switch x := v.(type) {
		case string:
			return x, true
		case json.Number:
			_, err := strconv.ParseInt(string(x), 10, 64)
			return string(x), err == nil
		}
		return nil, false
	case "Boolean":
		b, ok := v.(bool)
		return b, ok
	}
	if vals, ok := enums[t.name]; ok {
		s, ok := v.(string)
		return s, ok && slices.Contains(vals, s)
	}
	return nil, false
}

// literalValue converts a constant literal to the value representation.
func literalValue(v *value, t *typeRef) (any, error) {
	bad := fmt.Errorf("expected type '%s'", t)
	if v.kind == valNull {
		if t.nonNull {
			return nil, bad
		}
		return nil, nil
	}
	if t.elem != nil {
		if v.kind != valList {
			x, err := literalValue(v, t.elem)
			return []any{x}, err
		}
		out := make([]any, len(v.list))
		for i, e := range v.list {
			x, err := literalValue(e, t.elem)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	switch t.name {
	case "Int":
		if v.kind == valInt {
			if i, err := strconv.ParseInt(v.raw, 10, 32); err == nil {
				return i, nil
			}
		}
	case "Float":
		if v.kind == valInt || v.kind == valFloat {
			if f, err := strconv.ParseFloat(v.raw, 64); err == nil {
				return f, nil
			}
		}
	case "String":
		if v.kind == valString {
			return v.raw, nil
		}
	case "ID":
		if v.kind == valString || v.kind == valInt {
			return v.raw, nil
		}
	case "Boolean":
		if v.kind == valBool {
			return v.raw == "true", nil
		}
	default:
		if vals, ok := enums[t.name]; ok && v.kind == valEnum && slices.Contains(vals, v.raw) {
			return v.raw, nil
		}
	}
	return nil, bad
}

func parseTypeRef(s string) *typeRef {
	t := &typeRef{name: strings.TrimSuffix(s, "!"), nonNull: strings.HasSuffix(s, "!")}
	return t
}

// checkOperation validates op and returns its requested cost.
func (c *checker) checkOperation(op *operation) int {
	root := "QueryRoot"
	switch op.kind {
	case "mutation":
		root = "Mutation"
	case "subscription":
		c.fail(op.pos, nil, "subscriptions are not supported")
		return 0
	}
	sel, ok := c.normalize(op.sel, nil)
	if !ok {
		return 0
	}
	op.sel = sel
	return c.selection(root, op.sel, nil)
}

// selection validates sel on the object type typ and returns its cost.
func (c *checker) selection(typ string, sel []*field, path []any) int {
	cost := 0
	for _, f := range sel {
		fpath := append(slices.Clip(path), f.key())
		if f.name == "__typename" {
			c.noArgs(f, fpath)
			c.leaf(f, "String!", fpath)
			continue
		}
		def, ok := schema[typ][f.name]
		if !ok {
			e := c.fail(f.pos, fpath, "Field '%s' doesn't exist on type '%s'", f.name, typ)
			e.Extensions = map[string]any{"code": "undefinedField", "typeName": typ, "fieldName": f.name}
			continue
		}
		args := c.arguments(f, def, fpath)
		c.args[f] = args
		switch def.kind {
		case kindScalar:
			c.leaf(f, def.typ, fpath)
		case kindObject:
			if c.needsSelection(f, def, fpath) {
				cost += 1 + c.selection(def.typ, f.sel, fpath)
			}
		case kindConnection:
			if !c.needsSelection(f, def, fpath) {
				continue
			}
			first, ok := c.pageSize(f, args, fpath)
			node := c.connectionNode(def.typ, f.sel, fpath)
			if ok {
				cost += 2 + first*node
			}
		}
	}
	return cost
}

// connectionNode validates a connection's selection and returns the cost of
// one node. pageInfo and cursors are free; nodes and edges{node} select the
// same objects, so the dearer of the two counts.
func (c *checker) connectionNode(connType string, sel []*field, path []any) int {
	best := 0
	for _, f := range sel {
		fpath := append(slices.Clip(path), f.key())
		def, known := schema[connType][f.name]
		switch {
		case f.name == "__typename":
			c.noArgs(f, fpath)
			c.leaf(f, "String!", fpath)
		case !known:
			e := c.fail(f.pos, fpath, "Field '%s' doesn't exist on type '%s'", f.name, connType)
			e.Extensions = map[string]any{"code": "undefinedField", "typeName": connType, "fieldName": f.name}
		case !c.needsSelection(f, def, fpath):
		case f.name == "pageInfo":
			c.noArgs(f, fpath)
			c.selection(def.typ, f.sel, fpath)
		case f.name == "nodes":
			c.noArgs(f, fpath)
			best = max(best, 1+c.selection(def.typ, f.sel, fpath))
		case f.name == "edges":
			c.noArgs(f, fpath)
			best = max(best, c.selection(def.typ, f.sel, fpath))
		}
	}
	return best
}

func (c *checker) pageSize(f *field, args map[string]any, path []any) (int, bool) {
	if _, ok := args["last"]; ok || f.arg("before") != nil {
		c.fail(f.pos, path, "the simulator pages forward only: use first and after")
		return 0, false
	}
	v, ok := args["first"].(int64)
	if !ok {
		c.fail(f.pos, path, "you must provide one of first or last")
		return 0, false
	}
	if v < 0 || v > maxPageSize {
		// Shopify's wording for this is not in the stored docs; the limit is.
		c.fail(f.pos, path, "The value of 'first' must be between 0 and %d", maxPageSize)
		return 0, false
	}
	return int(v), true
}

func (c *checker) leaf(f *field, typ string, path []any) {
	if f.sel != nil {
		c.fail(f.pos, path, "Selections can't be made on scalars (field '%s' returns %s but has selections [%s])",
			f.name, strings.TrimSuffix(typ, "!"), fieldNames(f.sel))
	}
}

func (c *checker) needsSelection(f *field, def fieldDef, path []any) bool {
	if f.sel == nil {
		c.fail(f.pos, path, "Field must have selections (field '%s' returns %s but has no selections. Did you mean '%s { ... }'?)",
			f.name, def.typ, f.name)
		return false
	}
	return true
}

func (c *checker) noArgs(f *field, path []any) {
	for _, a := range f.args {
		c.fail(a.pos, path, "Field '%s' doesn't accept argument '%s'", f.name, a.name)
	}
}

// arguments validates f's arguments and returns their values, variables
// resolved. Absent arguments are absent from the map.
func (c *checker) arguments(f *field, def fieldDef, path []any) map[string]any {
	out := map[string]any{}
	for _, a := range f.args {
		want, ok := def.args[a.name]
		if !ok {
			e := c.fail(a.pos, path, "Field '%s' doesn't accept argument '%s'", f.name, a.name)
			e.Extensions = map[string]any{"code": "argumentNotAccepted", "name": f.name, "argumentName": a.name}
			continue
		}
		if _, dup := out[a.name]; dup {
			c.fail(a.pos, path, "There can be only one argument named \"%s\"", a.name)
			continue
		}
		t := parseTypeRef(want)
		if a.val.kind == valVariable {
			vd, ok := c.decl[a.val.raw]
			if !ok {
				c.fail(a.pos, path, "Variable $%s is used by %s but not declared", a.val.raw, c.opPath)
				continue
			}
			if vd.typ.elem != nil || vd.typ.name != t.name || t.nonNull && !vd.typ.nonNull && vd.def == nil {
				c.fail(a.pos, path, "Type mismatch on variable $%s and argument %s (%s / %s)", a.val.raw, a.name, vd.typ, want)
				continue
			}
			out[a.name] = c.vars[a.val.raw]
			continue
		}
		v, err := c.literal(a.val, t)
		if err != nil {
			c.fail(a.pos, path, "Argument '%s' on Field '%s' has an invalid value (%s). Expected type '%s'.", a.name, f.name, a.val, want)
			continue
		}
		out[a.name] = v
	}
	for name, want := range def.args {
		if strings.HasSuffix(want, "!") && out[name] == nil && f.arg(name) == nil {
			c.fail(f.pos, path, "Field '%s' is missing required arguments: %s", f.name, name)
		}
	}
	return out
}

// literal resolves an argument literal, which may nest variables in lists.
func (c *checker) literal(v *value, t *typeRef) (any, error) {
	if v.kind == valVariable {
		return c.vars[v.raw], nil
	}
	return literalValue(v, t)
}

// normalize merges fields with the same response key, as GraphQL's field
// merging does, at every level; differing fields under one key conflict.
// The result is a new tree; the parsed document is left alone.
func (c *checker) normalize(sel []*field, path []any) ([]*field, bool) {
	if sel == nil {
		return nil, true
	}
	var out []*field
	seen := map[string]*field{}
	for _, f := range sel {
		prev, ok := seen[f.key()]
		if !ok {
			g := *f
			g.sel = slices.Clip(f.sel)
			seen[f.key()] = &g
			out = append(out, &g)
			continue
		}
		if prev.name != f.name || argsString(prev) != argsString(f) || (prev.sel == nil) != (f.sel == nil) {
			c.fail(f.pos, append(slices.Clip(path), f.key()), "Field '%s' has a field conflict", f.key())
			return nil, false
		}
		prev.sel = append(prev.sel, f.sel...)
	}
	for _, f := range out {
		var ok bool
		if f.sel, ok = c.normalize(f.sel, append(slices.Clip(path), f.key())); !ok {
			return nil, false
		}
	}
	return out, true
}

func argsString(f *field) string {
	parts := make([]string, len(f.args))
	for i, a := range f.args {
		parts[i] = a.name + ":" + a.val.String()
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func fieldNames(sel []*field) string {
	names := make([]string, len(sel))
	for i, f := range sel {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}
