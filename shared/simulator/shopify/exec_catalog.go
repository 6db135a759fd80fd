package shopifysim

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Resolvers for the catalog and inventory types (schema_catalog.go).

// quantity is one InventoryQuantity of a level.
type quantity struct {
	name string
	q    int
	at   time.Time
}

// resolveCatalog resolves typ.f; ok is false when typ is not a catalog type.
func (x *executor) resolveCatalog(typ string, src any, f *field, args map[string]any, path []any) (v any, ok bool, err error) {
	c := &x.st.cat
	ok = true
	switch typ {
	case "QueryRoot":
		switch f.name {
		case "products":
			v, err = x.products(args, path)
		case "product":
			v, err = lookup(args["id"], "Product", func(n int64) (any, bool) { p, ok := c.productsBy[n]; return p, ok })
		case "productVariant":
			v, err = lookup(args["id"], "ProductVariant", func(n int64) (any, bool) { p, ok := c.variantsBy[n]; return p, ok })
		case "inventoryItem":
			v, err = lookup(args["id"], "InventoryItem", func(n int64) (any, bool) { p, ok := c.itemsBy[n]; return p, ok })
		case "location":
			if args["id"] == nil {
				return c.primary, true, nil
			}
			v, err = lookup(args["id"], "Location", func(n int64) (any, bool) { l := c.location(n); return l, l != nil })
		case "locations":
			inactive, _ := args["includeInactive"].(bool)
			var locs []any
			for _, l := range c.locations {
				if l.active || inactive {
					locs = append(locs, l)
				}
			}
			v, err = indexPage(locs, args, "loc")
		default:
			ok = false
		}
	case "Mutation":
		switch f.name {
		case "inventorySetQuantities":
			in, _ := args["input"].(map[string]any)
			v, err = c.setQuantitiesOnce(x.keys[f], in, x.now)
		default:
			ok = false
		}
	case "Product":
		p := src.(*product)
		switch f.name {
		case "id":
			v = productGID(p.id)
		case "legacyResourceId":
			v = strconv.FormatInt(p.id, 10)
		case "title":
			v = p.title
		case "handle":
			v = p.handle
		case "status":
			v = "ACTIVE"
		case "vendor":
			v = "Autosync Demo"
		case "productType":
			v = ""
		case "createdAt":
			v = timeValue(p.createdAt)
		case "updatedAt":
			v = timeValue(p.updatedAt)
		case "totalInventory":
			n := 0
			for _, pv := range p.variants {
				n += pv.inventoryQuantity()
			}
			v = n
		case "tracksInventory":
			v = true
		case "variants":
			v, err = indexPage(anySlice(p.variants), args, "pv")
		case "media":
			v, err = indexPage(anySlice(p.images), args, "md")
		default:
			ok = false
		}
	case "ProductVariant":
		pv := src.(*variant)
		switch f.name {
		case "id":
			v = variantGID(pv.id)
		case "legacyResourceId":
			v = strconv.FormatInt(pv.id, 10)
		case "title":
			v = pv.title
		case "displayName":
			v = pv.product.title + " - " + pv.title
		case "sku":
			if pv.sku != "" {
				v = pv.sku
			}
		case "price":
			v = pv.price
		case "position":
			v = pv.position
		case "inventoryQuantity":
			v = pv.inventoryQuantity()
		case "createdAt":
			v = timeValue(pv.createdAt)
		case "updatedAt":
			v = timeValue(pv.updatedAt)
		case "inventoryItem":
			v = pv.item
		case "product":
			v = pv.product
		default:
			ok = false
		}
	case "InventoryItem":
		it := src.(*inventoryItem)
		switch f.name {
		case "id":
			v = itemGID(it.id)
		case "legacyResourceId":
			v = strconv.FormatInt(it.id, 10)
		case "sku":
			if it.variant.sku != "" {
				v = it.variant.sku
			}
		case "tracked":
			v = true
		case "createdAt":
			v = timeValue(it.variant.createdAt)
		case "updatedAt":
			v = timeValue(it.variant.updatedAt)
		case "variant":
			v = it.variant
		case "inventoryLevel":
			n, valid := parseGID(fmt.Sprint(args["locationId"]), "Location")
			if !valid {
				return nil, true, invalidID(args["locationId"])
			}
			if l := it.levels[n]; l != nil {
				v = l
			}
		case "inventoryLevels":
			v, err = indexPage(c.levelsOf(it), args, "il")
		default:
			ok = false
		}
	case "InventoryLevel":
		l := src.(*level)
		switch f.name {
		case "id":
			v = levelGID(l)
		case "createdAt":
			v = timeValue(l.createdAt)
		case "updatedAt":
			v = timeValue(l.updatedAt)
		case "item":
			v = l.item
		case "location":
			v = l.loc
		case "quantities":
			names, _ := args["names"].([]any)
			var qs []any
			for _, n := range names {
				name := n.(string)
				switch name {
				case "available":
					qs = append(qs, quantity{name, l.available, l.updatedAt})
				case "on_hand":
					qs = append(qs, quantity{name, l.onHand, l.updatedAt})
				case "committed":
					qs = append(qs, quantity{name, l.onHand - l.available, l.updatedAt})
				case "incoming", "reserved", "damaged", "safety_stock", "quality_control":
					qs = append(qs, quantity{name, 0, l.updatedAt})
				default:
					return nil, true, &gqlError{Message: fmt.Sprintf("The quantity name %q is not valid.", name)}
				}
			}
			v = qs
		default:
			ok = false
		}
	case "InventoryQuantity":
		q := src.(quantity)
		switch f.name {
		case "name":
			v = q.name
		case "quantity":
			v = q.q
		case "updatedAt":
			v = timeValue(q.at)
		default:
			ok = false
		}
	case "Location":
		l := src.(*location)
		switch f.name {
		case "id":
			v = locationGID(l.id)
		case "legacyResourceId":
			v = strconv.FormatInt(l.id, 10)
		case "name":
			v = l.name
		case "isActive", "fulfillsOnlineOrders", "shipsInventory":
			v = l.active
		case "createdAt", "updatedAt":
			v = timeValue(l.createdAt)
		case "inventoryLevel":
			n, valid := parseGID(fmt.Sprint(args["inventoryItemId"]), "InventoryItem")
			if !valid {
				return nil, true, invalidID(args["inventoryItemId"])
			}
			if it := c.itemsBy[n]; it != nil && it.levels[l.id] != nil {
				v = it.levels[l.id]
			}
		case "inventoryLevels":
			var levels []any
			for _, p := range c.products {
				for _, pv := range p.variants {
					if lv := pv.item.levels[l.id]; lv != nil {
						levels = append(levels, lv)
					}
				}
			}
			v, err = indexPage(levels, args, "ll")
		default:
			ok = false
		}
	case "Media":
		im := src.(*image)
		switch f.name {
		case "id":
			v = mediaGID(im.id)
		case "alt":
			v = im.alt
		case "mediaContentType":
			v = "IMAGE"
		case "status":
			v = "READY"
		case "preview":
			v = im
		default:
			ok = false
		}
	case "MediaPreviewImage":
		im := src.(*image)
		switch f.name {
		case "image":
			v = im
		case "status":
			v = "READY"
		default:
			ok = false
		}
	case "Image":
		im := src.(*image)
		switch f.name {
		case "id":
			v = imageGID(im.id)
		case "url":
			v = im.url
		case "altText":
			v = im.alt
		case "width":
			v = im.width
		case "height":
			v = im.height
		default:
			ok = false
		}
	case "InventorySetQuantitiesPayload":
		r := src.(*setResult)
		switch f.name {
		case "inventoryAdjustmentGroup":
			if r.group != nil {
				v = r.group
			}
		case "userErrors":
			list := make([]any, len(r.errs))
			for i, e := range r.errs {
				list[i] = e
			}
			v = list
		default:
			ok = false
		}
	case "InventorySetQuantitiesUserError":
		e := src.(userError)
		switch f.name {
		case "code":
			v = e.code
		case "field":
			v = e.field
		case "message":
			v = e.message
		default:
			ok = false
		}
	case "InventoryAdjustmentGroup":
		g := src.(*adjustmentGroup)
		switch f.name {
		case "id":
			v = "gid://shopify/InventoryAdjustmentGroup/" + strconv.FormatInt(g.id, 10)
		case "createdAt":
			v = timeValue(g.createdAt)
		case "reason":
			v = g.reason
		case "referenceDocumentUri":
			if g.reference != "" {
				v = g.reference
			}
		case "changes":
			var list []any
			for _, ch := range g.changes {
				if matchIDs(args["inventoryItemIds"], itemGID(ch.level.item.id)) &&
					matchIDs(args["locationIds"], locationGID(ch.level.loc.id)) &&
					matchIDs(args["quantityNames"], ch.name) {
					list = append(list, ch)
				}
			}
			v = list
		default:
			ok = false
		}
	case "InventoryChange":
		ch := src.(change)
		switch f.name {
		case "name":
			v = ch.name
		case "delta":
			v = ch.delta
		case "quantityAfterChange":
			v = ch.after
		case "ledgerDocumentUri":
		case "item":
			v = ch.level.item
		case "location":
			v = ch.level.loc
		default:
			ok = false
		}
	default:
		ok = false
	}
	return v, ok, err
}

// matchIDs reports whether filter (a list argument, nil for none) holds id.
func matchIDs(filter any, id string) bool {
	list, given := filter.([]any)
	return !given || slices.Contains(list, any(id))
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func invalidID(id any) *gqlError {
	return &gqlError{Message: fmt.Sprintf("Invalid global id '%v'", id), Extensions: map[string]any{"code": "argumentLiteralsIncompatible"}}
}

// lookup resolves a root field that finds one object by its global id:
// a malformed id is an error, an unknown one null.
func lookup(id any, typ string, find func(int64) (any, bool)) (any, error) {
	s, _ := id.(string)
	if n, ok := parseGID(s, typ); ok {
		if v, found := find(n); found {
			return v, nil
		}
		return nil, nil
	}
	if rest, isGID := strings.CutPrefix(s, "gid://shopify/"); isGID && strings.Contains(rest, "/") {
		return nil, nil // a global id of another type finds nothing
	}
	return nil, invalidID(id)
}

func (c *catalog) location(id int64) *location {
	for _, l := range c.locations {
		if l.id == id {
			return l
		}
	}
	return nil
}

func (c *catalog) levelsOf(it *inventoryItem) []any {
	var out []any
	for _, l := range c.locations {
		if lv := it.levels[l.id]; lv != nil {
			out = append(out, lv)
		}
	}
	return out
}

// indexPage pages a fixed list (a product's variants or media, the shop's
// locations) with cursors that hold the position and a tag for the list.
func indexPage(items []any, args map[string]any, tag string) (*connPage, error) {
	first := int(args["first"].(int64))
	start := 0
	if after, _ := args["after"].(string); after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		if err != nil || !strings.HasPrefix(string(b), tag+"|") {
			return nil, errInvalidCursor
		}
		n, err := strconv.Atoi(strings.TrimPrefix(string(b), tag+"|"))
		if err != nil || n < 0 || n >= len(items) {
			return nil, errInvalidCursor
		}
		start = n + 1
	}
	if rev, _ := args["reverse"].(bool); rev {
		items = slices.Clone(items)
		slices.Reverse(items)
	}
	end := min(start+first, len(items))
	p := &connPage{hasNext: end < len(items), hasPrev: start > 0}
	for i := start; i < end; i++ {
		p.nodes = append(p.nodes, items[i])
		p.cursors = append(p.cursors, base64.RawURLEncoding.EncodeToString([]byte(tag+"|"+strconv.Itoa(i))))
	}
	return p, nil
}

// productSortValue is a product's position under a sort key; ties break on
// id.
func productSortValue(key string) (func(p *product) int64, bool) {
	switch key {
	case "ID":
		return func(p *product) int64 { return p.id }, true
	case "UPDATED_AT":
		return func(p *product) int64 { return p.updatedAt.Unix() }, true
	case "CREATED_AT", "PUBLISHED_AT":
		return func(p *product) int64 { return p.createdAt.Unix() }, true
	case "INVENTORY_TOTAL":
		return func(p *product) int64 {
			n := 0
			for _, v := range p.variants {
				n += v.inventoryQuantity()
			}
			return int64(n)
		}, true
	}
	return nil, false
}

// products pages the products connection with keyset cursors, as orders:
// a product that changes while a client pages moves, but no other product
// is skipped.
func (x *executor) products(args map[string]any, path []any) (any, error) {
	first := int(args["first"].(int64))
	key, _ := args["sortKey"].(string)
	if key == "" {
		key = "ID"
	}
	value, ok := productSortValue(key)
	if !ok {
		return nil, &gqlError{Message: fmt.Sprintf("the simulator cannot sort products by %s", key)}
	}
	reverse, _ := args["reverse"].(bool)
	q, _ := args["query"].(string)
	expr, err := parseSearch(q)
	if err != nil {
		return nil, &gqlError{Message: err.Error(), Extensions: map[string]any{"code": "INVALID_SEARCH_QUERY"}}
	}
	pred, warns := compileSearch(expr, productTerm)
	if len(warns) > 0 {
		x.search = append(x.search, searchReport{Path: path, Query: q, Warnings: warns})
	}
	cmp := func(a, b *product) int {
		c := compareKeys(value(a), a.id, value(b), b.id)
		if reverse {
			return -c
		}
		return c
	}
	matched := sortedProducts(x.st.cat.products, pred, cmp)
	start := 0
	if after, _ := args["after"].(string); after != "" {
		v, id, err := parseKeyCursor(after, "p", key)
		if err != nil {
			return nil, err
		}
		start, _ = slices.BinarySearchFunc(matched, [2]int64{v, id}, func(p *product, k [2]int64) int {
			c := compareKeys(value(p), p.id, k[0], k[1])
			if reverse {
				c = -c
			}
			if c == 0 {
				return -1 // the cursor's own product precedes the page
			}
			return c
		})
	}
	end := min(start+first, len(matched))
	p := &connPage{hasNext: end < len(matched), hasPrev: start > 0}
	for _, pr := range matched[start:end] {
		p.nodes = append(p.nodes, pr)
		p.cursors = append(p.cursors, base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "p|%s|%d|%d", key, value(pr), pr.id)))
	}
	return p, nil
}

func parseKeyCursor(c, tag, key string) (v, id int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, 0, errInvalidCursor
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 4 || parts[0] != tag || parts[1] != key {
		return 0, 0, errInvalidCursor
	}
	v, err1 := strconv.ParseInt(parts[2], 10, 64)
	id, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, errInvalidCursor
	}
	return v, id, nil
}

// productTerm compiles one term of a products search.
func productTerm(t *termExpr) (func(*product) bool, string) {
	v := strings.ToLower(t.value)
	switch t.field {
	case "":
		return func(p *product) bool { return strings.Contains(strings.ToLower(p.title), v) }, ""
	case "updated_at", "created_at":
		at, day, err := parseSearchTime(t.value)
		if err != nil {
			return never[*product], fmt.Sprintf("Invalid date value %q.", t.value)
		}
		get := func(p *product) time.Time { return p.updatedAt }
		if t.field == "created_at" {
			get = func(p *product) time.Time { return p.createdAt }
		}
		return timeCompare(get, t.op, at, day), ""
	case "id":
		n, err := strconv.ParseInt(t.value, 10, 64)
		if err != nil {
			return never[*product], fmt.Sprintf("Invalid id value %q.", t.value)
		}
		return func(p *product) bool { return compareInt(p.id, t.op, n) }, ""
	}
	if t.op != ":" {
		switch t.field {
		case "sku", "title", "status", "handle":
			return never[*product], fmt.Sprintf("Comparator %q is not supported for field %q.", t.op, t.field)
		}
	}
	switch t.field {
	case "sku":
		return func(p *product) bool {
			return slices.ContainsFunc(p.variants, func(pv *variant) bool { return strings.EqualFold(pv.sku, t.value) })
		}, ""
	case "title":
		return func(p *product) bool { return strings.EqualFold(p.title, t.value) }, ""
	case "handle":
		return func(p *product) bool { return p.handle == v }, ""
	case "status":
		want := strings.ToUpper(v)
		return func(*product) bool { return want == "ACTIVE" }, ""
	}
	return nil, "Invalid search field for this query."
}
