package shopifysim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The schema is the subset of the GraphQL Admin API the simulator serves,
// described as data so that validation, cost and execution agree. The
// catalog and inventory types are in schema_catalog.go.

type fieldKind int

const (
	kindScalar     fieldKind = iota // scalars, enums and lists of them: cost 0
	kindObject                      // an object: cost 1 (or cost) plus its selection
	kindConnection                  // a Relay connection: cost 2 + first × node cost
	// kindList is a plain list of objects ([UserError!]!): Shopify's cost
	// table does not price it; the simulator charges nothing for the list
	// and its elements, only for objects nested in one element. This fits
	// the requested cost Shopify reports for inventory mutations selecting
	// inventoryAdjustmentGroup and userErrors (11 = 10 + 1; Shopify's reference gives
	// no rule, a Shopify community thread shows the figure).
	kindList
)

type fieldDef struct {
	kind fieldKind
	typ  string            // result type, for messages and for objects/connections/lists (element type)
	args map[string]string // argument name → GraphQL input type ("Int", "ID!", "[String!]!")
	// cost replaces an object's cost of 1: Shopify charges 10 for a
	// mutation field.
	cost int
}

// objectCost is what selecting the object field def costs, before its
// selection.
func (def fieldDef) objectCost() int {
	if def.cost > 0 {
		return def.cost
	}
	return 1
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
	for _, node := range connectionNodes {
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

// maxInputArray is Shopify's limit on any input array: "Input arguments that
// accept an array have a maximum size of 250 for all APIs"
// (https://shopify.dev/docs/api/usage/limits). The error's wording and code
// are from memory [mem].
const maxInputArray = 250

func inputArrayTooLarge(n int) string {
	return fmt.Sprintf("The input array size of %d is greater than the maximum allowed of %d.", n, maxInputArray)
}

// maxPageSize is Shopify's per-connection node limit (Shopify's API limits page).
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
	keys   map[*field]string         // each field's @idempotent key
	errs   []*gqlError
}

func newChecker(op *operation, raw map[string]json.RawMessage) *checker {
	c := &checker{opPath: op.kind, decl: map[string]*varDef{}, vars: map[string]any{}, args: map[*field]map[string]any{}, keys: map[*field]string{}}
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
	cv, p := coerceInput(v, vd.typ, nil)
	switch {
	case p == nil:
		c.vars[vd.name] = cv
	case p.tooLarge > 0:
		e := c.fail(vd.pos, nil, "%s", inputArrayTooLarge(p.tooLarge))
		e.Extensions = map[string]any{"code": "MAX_INPUT_SIZE_EXCEEDED"}
	case len(p.path) > 0:
		e := c.fail(vd.pos, nil, "Variable $%s of type %s was provided invalid value for %s (%s)", vd.name, vd.typ, joinPath(p.path), p.explanation)
		e.Extensions = map[string]any{"value": v, "problems": []any{map[string]any{"path": p.path, "explanation": p.explanation}}}
	default:
		e := c.fail(vd.pos, nil, "Variable $%s of type %s was provided invalid value", vd.name, vd.typ)
		e.Extensions = map[string]any{"value": v}
	}
}

func joinPath(path []any) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ".")
}

func knownInputType(t *typeRef) bool {
	if t.elem != nil {
		return knownInputType(t.elem)
	}
	_, enum := enums[t.name]
	_, object := inputObjects[t.name]
	return inputScalars[t.name] || enum || object
}

// inputProblem is why an input value does not fit its type.
type inputProblem struct {
	path        []any // within the value
	explanation string
	tooLarge    int // set when an array exceeds maxInputArray: its length
}

// coerceJSON turns a decoded JSON variable into the simulator's value
// representation: int64, float64, string, bool, nil, []any or, for input
// objects, map[string]any.
func coerceJSON(v any, t *typeRef) (any, bool) {
	cv, p := coerceInput(v, t, nil)
	return cv, p == nil
}

func coerceInput(v any, t *typeRef, path []any) (any, *inputProblem) {
	bad := func(format string, args ...any) *inputProblem {
		return &inputProblem{path: slices.Clone(path), explanation: fmt.Sprintf(format, args...)}
	}
	if v == nil {
		if t.nonNull {
			return nil, bad("Expected value to not be null")
		}
		return nil, nil
	}
	if t.elem != nil {
		list, ok := v.([]any)
		if !ok {
			list = []any{v} // input coercion wraps a single value
		}
		if len(list) > maxInputArray {
			return nil, &inputProblem{path: slices.Clone(path), tooLarge: len(list)}
		}
		out := make([]any, len(list))
		for i, e := range list {
			var p *inputProblem
			if out[i], p = coerceInput(e, t.elem, append(slices.Clip(path), i)); p != nil {
				return nil, p
			}
		}
		return out, nil
	}
	if fields, ok := inputObjects[t.name]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, bad("Expected %q to be a key-value object", fmt.Sprint(v))
		}
		out := make(map[string]any, len(m))
		for _, name := range sortedKeys(m) {
			ft, ok := fields[name]
			if !ok {
				return nil, &inputProblem{path: append(slices.Clone(path), name), explanation: "Field is not defined on " + t.name}
			}
			x, p := coerceInput(m[name], parseTypeRef(ft), append(slices.Clip(path), name))
			if p != nil {
				return nil, p
			}
			out[name] = x
		}
		for _, name := range sortedKeys(fields) {
			if _, given := m[name]; !given && strings.HasSuffix(fields[name], "!") {
				return nil, &inputProblem{path: append(slices.Clone(path), name), explanation: "Expected value to not be null"}
			}
		}
		return out, nil
	}
	ok := true
	var out any
	switch t.name {
	case "Int":
		n, isNum := v.(json.Number)
		i, err := strconv.ParseInt(string(n), 10, 32)
		out, ok = i, isNum && err == nil
	case "Float":
		n, isNum := v.(json.Number)
		f, err := n.Float64()
		out, ok = f, isNum && err == nil
	case "String", "URL":
		out, ok = v.(string)
	case "ID":
		switch x := v.(type) {
		case string:
			out = x
		case json.Number:
			_, err := strconv.ParseInt(string(x), 10, 64)
			out, ok = string(x), err == nil
		default:
			ok = false
		}
	case "Boolean":
		out, ok = v.(bool)
	default:
		vals, enum := enums[t.name]
		s, isStr := v.(string)
		out, ok = s, enum && isStr && slices.Contains(vals, s)
	}
	if !ok {
		return nil, bad("Could not coerce value %s to %s", describeJSON(v), t.name)
	}
	return out, nil
}

func describeJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil || len(b) > 60 {
		return fmt.Sprintf("%T", v)
	}
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// literalValue converts a constant literal to the value representation.
func literalValue(v *value, t *typeRef) (any, error) {
	bad := fmt.Errorf("expected type '%s'", t)
	if v.kind == valVariable {
		return nil, bad
	}
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
		if len(v.list) > maxInputArray {
			return nil, &gqlError{Message: inputArrayTooLarge(len(v.list)), Extensions: map[string]any{"code": "MAX_INPUT_SIZE_EXCEEDED"}}
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
	if fields, ok := inputObjects[t.name]; ok {
		if v.kind != valObject {
			return nil, bad
		}
		out := map[string]any{}
		for _, of := range v.fields {
			ft, known := fields[of.name]
			if _, dup := out[of.name]; !known || dup {
				return nil, bad
			}
			x, err := literalValue(of.val, parseTypeRef(ft))
			if err != nil {
				return nil, err
			}
			out[of.name] = x
		}
		for name, ft := range fields {
			if _, given := out[name]; !given && strings.HasSuffix(ft, "!") {
				return nil, bad
			}
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
	case "String", "URL":
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

// parseTypeRef parses a type as the schema writes it: "ID!", "[String!]!".
func parseTypeRef(s string) *typeRef {
	t := &typeRef{}
	if strings.HasSuffix(s, "!") {
		t.nonNull = true
		s = s[:len(s)-1]
	}
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		t.elem = parseTypeRef(s[1 : len(s)-1])
		return t
	}
	t.name = s
	return t
}

// varFits reports whether a variable of type v may be used where want is
// expected (GraphQL's IsVariableUsageAllowed): a nullable variable with a
// default may fill a non-null position.
func varFits(v, want *typeRef, hasDefault bool) bool {
	if want.nonNull && !v.nonNull && hasDefault {
		w := *want
		w.nonNull = false
		return typesCompatible(v, &w)
	}
	return typesCompatible(v, want)
}

func typesCompatible(v, want *typeRef) bool {
	if want.nonNull && !v.nonNull {
		return false
	}
	if want.elem != nil || v.elem != nil {
		return want.elem != nil && v.elem != nil && typesCompatible(v.elem, want.elem)
	}
	return v.name == want.name
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
			c.directives(f, typ, fpath)
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
		c.directives(f, typ, fpath)
		switch def.kind {
		case kindScalar:
			c.leaf(f, def.typ, fpath)
		case kindObject:
			if c.needsSelection(f, def, fpath) {
				cost += def.objectCost() + c.selection(def.typ, f.sel, fpath)
			}
		case kindList:
			if c.needsSelection(f, def, fpath) {
				cost += c.selection(def.typ, f.sel, fpath)
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
			if !varFits(vd.typ, t, vd.def != nil) {
				c.fail(a.pos, path, "Type mismatch on variable $%s and argument %s (%s / %s)", a.val.raw, a.name, vd.typ, want)
				continue
			}
			out[a.name] = c.vars[a.val.raw]
			continue
		}
		v, err := c.literal(a.val, t, a.name)
		if err != nil {
			if ge, ok := err.(*gqlError); ok {
				e := c.fail(a.pos, path, "%s", ge.Message)
				e.Extensions = ge.Extensions
				continue
			}
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

// literal resolves an argument literal, which may nest variables in lists
// and input objects. A *gqlError carries its own message; other errors mean
// the value does not fit t.
func (c *checker) literal(v *value, t *typeRef, arg string) (any, error) {
	bad := fmt.Errorf("expected type '%s'", t)
	switch {
	case v.kind == valVariable:
		vd, ok := c.decl[v.raw]
		if !ok {
			return nil, &gqlError{Message: fmt.Sprintf("Variable $%s is used by %s but not declared", v.raw, c.opPath)}
		}
		if !varFits(vd.typ, t, vd.def != nil) {
			return nil, &gqlError{Message: fmt.Sprintf("Type mismatch on variable $%s and argument %s (%s / %s)", v.raw, arg, vd.typ, t)}
		}
		return c.vars[v.raw], nil
	case v.kind == valNull:
		if t.nonNull {
			return nil, bad
		}
		return nil, nil
	case t.elem != nil && v.kind == valList:
		if len(v.list) > maxInputArray {
			return nil, &gqlError{Message: inputArrayTooLarge(len(v.list)), Extensions: map[string]any{"code": "MAX_INPUT_SIZE_EXCEEDED"}}
		}
		out := make([]any, len(v.list))
		for i, e := range v.list {
			x, err := c.literal(e, t.elem, arg)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case t.elem != nil:
		x, err := c.literal(v, t.elem, arg)
		return []any{x}, err
	}
	fields, isObject := inputObjects[t.name]
	if !isObject {
		return literalValue(v, t)
	}
	if v.kind != valObject {
		return nil, bad
	}
	out := map[string]any{}
	for _, of := range v.fields {
		ft, known := fields[of.name]
		if _, dup := out[of.name]; !known || dup {
			return nil, bad
		}
		x, err := c.literal(of.val, parseTypeRef(ft), arg)
		if err != nil {
			return nil, err
		}
		out[of.name] = x
	}
	for name, ft := range fields {
		if out[name] == nil && strings.HasSuffix(ft, "!") {
			return nil, bad
		}
	}
	return out, nil
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

// idempotentMutations are the mutations that take the @idempotent directive
// (Shopify's schema declares it on FIELD, "only supported on mutations that
// explicitly document idempotency support"), and whether a key is required:
// inventorySetQuantities documents "As of 2026-04, the idempotency key is
// required and must be provided using the @idempotent directive". The
// simulator serves 2026-10, so it is required.
var idempotentMutations = map[string]bool{"inventorySetQuantities": true}

// directives validates f's directives on the object type typ and records
// an @idempotent key. Messages for a missing or misplaced key are the
// simulator's own: Shopify documents that a missing key is an error at run
// time, not its wording.
func (c *checker) directives(f *field, typ string, path []any) {
	seen := map[string]bool{}
	for _, d := range f.dirs {
		if seen[d.name] {
			c.fail(d.pos, path, "The directive \"%s\" can only be used once at this location.", d.name)
			continue
		}
		seen[d.name] = true
		if d.name != "idempotent" {
			// Shopify also has @include and @skip; the simulator does not
			// run them rather than half-run them.
			c.fail(d.pos, path, "Directive '@%s' is not supported by the simulator", d.name)
			continue
		}
		key, ok := c.idempotencyKey(d, path)
		if !ok {
			continue
		}
		if _, known := idempotentMutations[f.name]; typ != "Mutation" || !known {
			c.fail(d.pos, path, "The @idempotent directive is not supported on field '%s'", f.name)
			continue
		}
		c.keys[f] = key
	}
	if typ == "Mutation" && idempotentMutations[f.name] && !seen["idempotent"] {
		c.fail(f.pos, path, "The %s mutation requires an idempotency key: add @idempotent(key: \"...\")", f.name)
	}
}

// idempotencyKey resolves @idempotent's one argument, key: String!.
func (c *checker) idempotencyKey(d *directive, path []any) (string, bool) {
	var key *argument
	for _, a := range d.args {
		if a.name != "key" || key != nil {
			c.fail(a.pos, path, "Directive '@idempotent' doesn't accept argument '%s'", a.name)
			return "", false
		}
		key = a
	}
	if key == nil {
		c.fail(d.pos, path, "Directive '@idempotent' is missing required arguments: key")
		return "", false
	}
	v, err := c.literal(key.val, parseTypeRef("String!"), "key")
	if err != nil {
		if ge, ok := err.(*gqlError); ok {
			c.fail(key.pos, path, "%s", ge.Message)
		} else {
			c.fail(key.pos, path, "Argument 'key' on Directive 'idempotent' has an invalid value (%s). Expected type 'String!'.", key.val)
		}
		return "", false
	}
	s, _ := v.(string)
	if strings.TrimSpace(s) == "" {
		// From the directive's description in Shopify's schema.
		c.fail(key.pos, path, "The idempotency key cannot be an empty string or whitespace only.")
		return "", false
	}
	return s, true
}
