package shopifysim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// jsonObject is a JSON object that keeps its keys in selection order, as
// GraphQL responses do.
type jsonObject []kv

type kv struct {
	k string
	v any
}

func (o jsonObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(e.k)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// connPage is one page of a connection, before its selection is applied.
type connPage struct {
	nodes   []any
	cursors []string
	hasNext bool
	hasPrev bool
}

type edge struct {
	cursor string
	node   any
}

type money struct {
	amount   string
	currency string
}

// searchReport is one entry of extensions.search.
type searchReport struct {
	Path     []any           `json:"path"`
	Query    string          `json:"query"`
	Warnings []searchWarning `json:"warnings"`
}

// executor runs a checked operation against the store and adds up its
// actual cost with the same rules the checker used for the requested cost,
// counting the nodes actually returned.
type executor struct {
	srv     *Server
	version string // the request's API version
	st      *store
	now     time.Time
	args    map[*field]map[string]any
	keys    map[*field]string // @idempotent keys
	cost    int
	errs    []*gqlError
	search  []searchReport
}

func (x *executor) object(typ string, src any, sel []*field, path []any) jsonObject {
	out := make(jsonObject, 0, len(sel))
	for _, f := range sel {
		fpath := append(slices.Clip(path), f.key())
		if f.name == "__typename" {
			out = append(out, kv{f.key(), concreteType(typ)})
			continue
		}
		def := schema[typ][f.name]
		v, err := x.resolve(typ, src, f, fpath)
		if err != nil {
			e := &gqlError{Message: err.Error(), Locations: []gqlLocation{f.pos}, Path: fpath}
			if ge, ok := err.(*gqlError); ok {
				e.Extensions = ge.Extensions
			}
			x.errs = append(x.errs, e)
			out = append(out, kv{f.key(), nil})
			continue
		}
		switch def.kind {
		case kindScalar:
			out = append(out, kv{f.key(), v})
		case kindObject:
			// A lookup at the root is charged whether it finds anything;
			// a nested object that is null is not (Shopify reports a
			// mutation whose inventoryAdjustmentGroup is null at 10).
			if v == nil {
				if len(path) == 0 {
					x.cost += def.objectCost()
				}
				out = append(out, kv{f.key(), nil})
				continue
			}
			x.cost += def.objectCost()
			out = append(out, kv{f.key(), x.object(def.typ, v, f.sel, fpath)})
		case kindList:
			// Priced as the checker prices it: the objects nested in the
			// dearest element.
			list, _ := v.([]any)
			items := make([]jsonObject, len(list))
			base, dearest := x.cost, 0
			for i, e := range list {
				start := x.cost
				items[i] = x.object(def.typ, e, f.sel, append(slices.Clip(fpath), i))
				dearest = max(dearest, x.cost-start)
				x.cost = start
			}
			x.cost = base + dearest
			out = append(out, kv{f.key(), items})
		case kindConnection:
			out = append(out, kv{f.key(), x.connection(def.typ, v.(*connPage), f.sel, fpath)})
		}
	}
	return out
}

// connection applies a connection's selection to a page. Its actual cost is
// 2 plus the returned nodes; nodes and edges{node} count once.
func (x *executor) connection(connType string, page *connPage, sel []*field, path []any) jsonObject {
	nodeType := strings.TrimSuffix(connType, "Connection")
	out := make(jsonObject, 0, len(sel))
	base := x.cost
	dearest := 0
	for _, f := range sel {
		fpath := append(slices.Clip(path), f.key())
		start := x.cost
		switch f.name {
		case "__typename":
			out = append(out, kv{f.key(), connType})
		case "pageInfo":
			out = append(out, kv{f.key(), x.object("PageInfo", page, f.sel, fpath)})
		case "nodes":
			list := make([]jsonObject, len(page.nodes))
			for i, n := range page.nodes {
				x.cost++
				list[i] = x.object(nodeType, n, f.sel, append(slices.Clip(fpath), i))
			}
			out = append(out, kv{f.key(), list})
		case "edges":
			list := make([]jsonObject, len(page.nodes))
			for i, n := range page.nodes {
				list[i] = x.object(nodeType+"Edge", edge{page.cursors[i], n}, f.sel, append(slices.Clip(fpath), i))
			}
			out = append(out, kv{f.key(), list})
		}
		dearest = max(dearest, x.cost-start)
		x.cost = start
	}
	x.cost = base + 2 + dearest
	return out
}

func timeValue(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func (x *executor) resolve(typ string, src any, f *field, path []any) (any, error) {
	args := x.args[f]
	switch typ {
	case "QueryRoot":
		switch f.name {
		case "orders":
			return x.orders(args, path)
		case "order":
			return x.order(args)
		}
	case "Order":
		o := src.(*order)
		switch f.name {
		case "id":
			return o.gid(), nil
		case "legacyResourceId":
			return strconv.FormatInt(o.id, 10), nil
		case "name":
			return o.name(), nil
		case "email":
			return nil, nil
		case "createdAt", "processedAt":
			return timeValue(o.createdAt), nil
		case "updatedAt":
			return timeValue(o.updatedAt), nil
		case "cancelledAt":
			return timeValue(o.cancelledAt), nil
		case "cancelReason":
			if o.cancelledAt.IsZero() {
				return nil, nil
			}
			return "CUSTOMER", nil
		case "closed":
			return o.closed, nil
		case "closedAt":
			return timeValue(o.closedAt), nil
		case "displayFinancialStatus":
			return o.financial, nil
		case "displayFulfillmentStatus":
			return o.fulfillment, nil
		case "tags":
			return append([]string{}, o.tags...), nil
		case "currencyCode":
			return o.currency, nil
		case "totalPriceSet":
			return o, nil
		case "lineItems":
			return lineItemPage(o, args)
		}
	case "MoneyBag":
		o := src.(*order)
		return money{o.total(), o.currency}, nil
	case "MoneyV2":
		m := src.(money)
		if f.name == "amount" {
			return m.amount, nil
		}
		return m.currency, nil
	case "LineItem":
		l := src.(lineItem)
		switch f.name {
		case "id":
			return "gid://shopify/LineItem/" + strconv.FormatInt(l.id, 10), nil
		case "sku":
			if l.sku == "" {
				return nil, nil
			}
			return l.sku, nil
		case "name", "title":
			return "Item " + l.sku, nil
		case "quantity":
			return l.quantity, nil
		case "currentQuantity":
			return l.current(), nil
		}
	case "PageInfo":
		p := src.(*connPage)
		switch f.name {
		case "hasNextPage":
			return p.hasNext, nil
		case "hasPreviousPage":
			return p.hasPrev, nil
		case "startCursor":
			if len(p.cursors) == 0 {
				return nil, nil
			}
			return p.cursors[0], nil
		case "endCursor":
			if len(p.cursors) == 0 {
				return nil, nil
			}
			return p.cursors[len(p.cursors)-1], nil
		}
	case "OrderEdge", "LineItemEdge", "ProductEdge", "ProductVariantEdge", "MediaEdge", "LocationEdge", "InventoryLevelEdge":
		e := src.(edge)
		if f.name == "cursor" {
			return e.cursor, nil
		}
		return e.node, nil
	}
	if v, ok, err := x.resolveCatalog(typ, src, f, args, path); ok {
		return v, err
	}
	if v, ok, err := x.resolveHooks(typ, src, f, args); ok {
		return v, err
	}
	return nil, fmt.Errorf("internal error: no resolver for %s.%s", typ, f.name)
}

var errInvalidCursor = &gqlError{Message: "Invalid cursor for current pagination sort."}

func lineItemPage(o *order, args map[string]any) (*connPage, error) {
	first := int(args["first"].(int64))
	start := 0
	if after, _ := args["after"].(string); after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		if err != nil || !strings.HasPrefix(string(b), "li|") {
			return nil, errInvalidCursor
		}
		n, err := strconv.Atoi(strings.TrimPrefix(string(b), "li|"))
		if err != nil || n < 0 || n >= len(o.lines) {
			return nil, errInvalidCursor
		}
		start = n + 1
	}
	end := min(start+first, len(o.lines))
	p := &connPage{hasNext: end < len(o.lines), hasPrev: start > 0}
	for i := start; i < end; i++ {
		p.nodes = append(p.nodes, o.lines[i])
		p.cursors = append(p.cursors, base64.RawURLEncoding.EncodeToString([]byte("li|"+strconv.Itoa(i))))
	}
	return p, nil
}

func (x *executor) order(args map[string]any) (any, error) {
	id, _ := args["id"].(string)
	n, err := strconv.ParseInt(strings.TrimPrefix(id, "gid://shopify/Order/"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "gid://shopify/Order/") {
		return nil, &gqlError{Message: fmt.Sprintf("Invalid global id '%s'", id), Extensions: map[string]any{"code": "argumentLiteralsIncompatible"}}
	}
	if o, ok := x.st.byID[n]; ok {
		return o, nil
	}
	return nil, nil
}

// sortValue is an order's position under a sort key; ties break on id.
func sortValue(key string) (func(o *order) int64, bool) {
	switch key {
	case "ID":
		return func(o *order) int64 { return o.id }, true
	case "UPDATED_AT":
		return func(o *order) int64 { return o.updatedAt.Unix() }, true
	case "CREATED_AT", "PROCESSED_AT":
		return func(o *order) int64 { return o.createdAt.Unix() }, true
	case "ORDER_NUMBER":
		return func(o *order) int64 { return int64(o.number) }, true
	}
	return nil, false
}

// Cursors are keyset positions (sort key, sort value, id): an order that
// changes while a client pages moves, but no other order is skipped.
func orderCursor(key string, v, id int64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "o|%s|%d|%d", key, v, id))
}

func parseOrderCursor(c, key string) (v, id int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, 0, errInvalidCursor
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 4 || parts[0] != "o" || parts[1] != key {
		return 0, 0, errInvalidCursor
	}
	v, err1 := strconv.ParseInt(parts[2], 10, 64)
	id, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, errInvalidCursor
	}
	return v, id, nil
}

func (x *executor) orders(args map[string]any, path []any) (any, error) {
	first := int(args["first"].(int64))
	key, _ := args["sortKey"].(string)
	if key == "" {
		key = "ID"
	}
	value, ok := sortValue(key)
	if !ok {
		return nil, &gqlError{Message: fmt.Sprintf("the simulator cannot sort orders by %s", key)}
	}
	reverse, _ := args["reverse"].(bool)
	q, _ := args["query"].(string)
	expr, err := parseSearch(q)
	if err != nil {
		return nil, &gqlError{Message: err.Error(), Extensions: map[string]any{"code": "INVALID_SEARCH_QUERY"}}
	}
	pred, warns := compileOrderSearch(expr)
	if len(warns) > 0 {
		x.search = append(x.search, searchReport{Path: path, Query: q, Warnings: warns})
	}
	less := func(a, b *order) int {
		c := compareKeys(value(a), a.id, value(b), b.id)
		if reverse {
			return -c
		}
		return c
	}
	var matched []*order
	for _, o := range x.st.orders {
		if pred == nil || pred(o) {
			matched = append(matched, o)
		}
	}
	slices.SortFunc(matched, less)
	start := 0
	if after, _ := args["after"].(string); after != "" {
		v, id, err := parseOrderCursor(after, key)
		if err != nil {
			return nil, err
		}
		start, _ = slices.BinarySearchFunc(matched, [2]int64{v, id}, func(o *order, k [2]int64) int {
			c := compareKeys(value(o), o.id, k[0], k[1])
			if reverse {
				c = -c
			}
			if c == 0 {
				return -1 // the cursor's own order precedes the page
			}
			return c
		})
	}
	end := min(start+first, len(matched))
	p := &connPage{hasNext: end < len(matched), hasPrev: start > 0}
	for _, o := range matched[start:end] {
		p.nodes = append(p.nodes, o)
		p.cursors = append(p.cursors, orderCursor(key, value(o), o.id))
	}
	return p, nil
}

func compareKeys(av, aid, bv, bid int64) int {
	switch {
	case av < bv:
		return -1
	case av > bv:
		return 1
	case aid < bid:
		return -1
	case aid > bid:
		return 1
	}
	return 0
}
