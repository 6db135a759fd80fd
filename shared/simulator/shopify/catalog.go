package shopifysim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The shop's catalog: products with variants and images, a primary
// location (and any AddLocation adds), and an inventory level per
// (inventory item, location) holding
// Shopify's "available" and "on_hand" quantities. Orders created with
// CreateOrder commit stock the way Shopify does: available drops, on_hand
// stays until the order is fulfilled; a cancel gives it back.

type product struct {
	id        int64
	title     string
	handle    string
	createdAt time.Time
	updatedAt time.Time
	variants  []*variant
	images    []*image
}

type variant struct {
	id        int64
	product   *product
	title     string // "Default Title" for a product's only variant
	sku       string
	price     string // decimal
	position  int
	createdAt time.Time
	updatedAt time.Time
	item      *inventoryItem
}

type inventoryItem struct {
	id      int64
	variant *variant
	levels  map[int64]*level // by location id
}

// level is an inventory level. on_hand = available + committed (+ the
// other unavailable states, which the simulator does not model).
type level struct {
	item      *inventoryItem
	loc       *location
	available int
	onHand    int
	createdAt time.Time
	updatedAt time.Time
}

type location struct {
	id        int64
	name      string
	active    bool
	createdAt time.Time
}

type image struct {
	id     int64
	url    string
	alt    string
	width  int
	height int
}

func productGID(id int64) string  { return "gid://shopify/Product/" + strconv.FormatInt(id, 10) }
func variantGID(id int64) string  { return "gid://shopify/ProductVariant/" + strconv.FormatInt(id, 10) }
func itemGID(id int64) string     { return "gid://shopify/InventoryItem/" + strconv.FormatInt(id, 10) }
func locationGID(id int64) string { return "gid://shopify/Location/" + strconv.FormatInt(id, 10) }
func mediaGID(id int64) string    { return "gid://shopify/MediaImage/" + strconv.FormatInt(id, 10) }
func imageGID(id int64) string    { return "gid://shopify/ProductImage/" + strconv.FormatInt(id, 10) }

// levelGID is the fixture's shape (inventory_level.json).
func levelGID(l *level) string {
	return fmt.Sprintf("gid://shopify/InventoryLevel/%d?inventory_item_id=%d", l.loc.id, l.item.id)
}

// parseGID returns the number of a "gid://shopify/{typ}/{n}" id.
func parseGID(id, typ string) (int64, bool) {
	rest, ok := strings.CutPrefix(id, "gid://shopify/"+typ+"/")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil && n > 0
}

// catalog is the product and inventory part of the store.
type catalog struct {
	products   []*product // in creation order
	productsBy map[int64]*product
	variantsBy map[int64]*variant
	itemsBy    map[int64]*inventoryItem
	bySKU      map[string]*variant
	locations  []*location
	primary    *location
	nextID     int64 // products, variants, items and images share one sequence
	nextGroup  int64
	// failSKU holds the mutations still to fail per SKU (FailSKU).
	failSKU map[string]int
	// idempotent holds each @idempotent key's input and answer.
	idempotent map[string]idempotentRun
}

func (c *catalog) init(now time.Time) {
	c.productsBy = map[int64]*product{}
	c.variantsBy = map[int64]*variant{}
	c.itemsBy = map[int64]*inventoryItem{}
	c.bySKU = map[string]*variant{}
	c.failSKU = map[string]int{}
	c.idempotent = map[string]idempotentRun{}
	// Ids above 2^32 catch connectors that parse them into 32-bit ints.
	c.nextID = 8_800_000_001
	c.nextGroup = 21_000_000_001
	c.primary = &location{id: 74_000_000_001, name: "Shop location", active: true, createdAt: now.AddDate(-1, 0, 0)}
	c.locations = []*location{c.primary}
}

func (c *catalog) newID() int64 {
	id := c.nextID
	c.nextID++
	return id
}

// NewProduct describes a product for AddProduct.
type NewProduct struct {
	Title    string
	Variants []NewVariant
	// Images are URLs, first to last.
	Images []string
}

// NewVariant describes one variant of a NewProduct.
type NewVariant struct {
	SKU   string // may be empty: Shopify does not require one
	Title string // empty means the SKU, or "Default Title" for an only variant
	// Price is a decimal; empty means the simulator's price for the SKU
	// (the one seeded orders charge).
	Price string
	// Available is the sellable quantity at the primary location.
	Available int
}

// addProduct adds p updated at now.
func (c *catalog) addProduct(p NewProduct, created, updated time.Time) *product {
	pr := &product{id: c.newID(), title: p.Title, createdAt: created, updatedAt: updated}
	pr.handle = handleOf(p.Title, pr.id)
	for i, nv := range p.Variants {
		v := &variant{id: c.newID(), product: pr, sku: nv.SKU, title: nv.Title, price: nv.Price,
			position: i + 1, createdAt: created, updatedAt: updated}
		if v.title == "" {
			v.title = nv.SKU
			if len(p.Variants) == 1 || v.title == "" {
				v.title = "Default Title"
			}
		}
		if v.price == "" {
			cents := unitPrice(nv.SKU)
			v.price = fmt.Sprintf("%d.%02d", cents/100, cents%100)
		}
		v.item = &inventoryItem{id: c.newID(), variant: v, levels: map[int64]*level{}}
		v.item.levels[c.primary.id] = &level{item: v.item, loc: c.primary, available: nv.Available,
			onHand: nv.Available, createdAt: created, updatedAt: updated}
		pr.variants = append(pr.variants, v)
		c.variantsBy[v.id] = v
		c.itemsBy[v.item.id] = v.item
		if v.sku != "" {
			c.bySKU[v.sku] = v
		}
	}
	for i, u := range p.Images {
		pr.images = append(pr.images, &image{id: c.newID(), url: u, alt: fmt.Sprintf("%s %d", p.Title, i+1), width: 1024, height: 1024})
	}
	c.products = append(c.products, pr)
	c.productsBy[pr.id] = pr
	return pr
}

func handleOf(title string, id int64) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	h := strings.TrimSuffix(b.String(), "-")
	if h == "" {
		h = "product-" + strconv.FormatInt(id, 10)
	}
	return h
}

// seedProducts gives every SKU a variant with stock: consecutive SKUs that
// share a prefix (MUG-BLUE, MUG-RED) become variants of one product, up to
// three per product, and each product gets one to three images.
func (c *catalog) seedProducts(r *rand.Rand, skus []string, now time.Time) {
	for i := 0; i < len(skus); {
		prefix := skuPrefix(skus[i])
		n := 1
		limit := 1 + r.IntN(3)
		for n < limit && i+n < len(skus) && skuPrefix(skus[i+n]) == prefix {
			n++
		}
		group := skus[i : i+n]
		i += n
		title := humanize(prefix)
		if n == 1 {
			title = humanize(group[0])
		}
		p := NewProduct{Title: title}
		for _, sku := range group {
			vt := ""
			if n > 1 {
				vt = humanize(strings.TrimPrefix(strings.TrimPrefix(sku, prefix), "-"))
			}
			p.Variants = append(p.Variants, NewVariant{SKU: sku, Title: vt, Available: 1 + r.IntN(100)})
		}
		created := now.Add(-time.Duration(r.Int64N(int64(90 * 24 * time.Hour)))).Truncate(time.Second)
		updated := created.Add(time.Duration(r.Int64N(int64(now.Sub(created)) + 1))).Truncate(time.Second)
		h := handleOf(title, 0)
		for k := range 1 + r.IntN(3) {
			p.Images = append(p.Images, fmt.Sprintf("https://cdn.shopify.com/s/files/1/0690/9093/3842/files/%s-%d.png?v=%d", h, k+1, updated.Unix()))
		}
		c.addProduct(p, created, updated)
	}
}

func skuPrefix(sku string) string {
	if i := strings.LastIndexByte(sku, '-'); i > 0 {
		return sku[:i]
	}
	return sku
}

func humanize(s string) string {
	words := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == ' ' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + strings.ToLower(w[1:])
	}
	if len(words) == 0 {
		return s
	}
	return strings.Join(words, " ")
}

// inventoryQuantity is the variant's sellable quantity over all active
// locations, as ProductVariant.inventoryQuantity reports it.
func (v *variant) inventoryQuantity() int {
	n := 0
	for _, l := range v.item.levels {
		if l.loc.active {
			n += l.available
		}
	}
	return n
}

// commit moves q units of sku from available to committed at the primary
// location (an order was placed); a negative q gives them back. Unknown
// SKUs are ignored, as Shopify ignores untracked items.
func (c *catalog) commit(sku string, q int, now time.Time) {
	v, ok := c.bySKU[sku]
	if !ok {
		return
	}
	l := v.item.levels[c.primary.id]
	l.available -= q
	l.updatedAt = now
}

// ship takes q committed units of sku off hand (an order was fulfilled).
func (c *catalog) ship(sku string, q int, now time.Time) {
	v, ok := c.bySKU[sku]
	if !ok {
		return
	}
	l := v.item.levels[c.primary.id]
	l.onHand -= q
	l.updatedAt = now
}

// Variant is a copy of one simulated variant, for tests.
type Variant struct {
	ID               string // legacyResourceId
	GID              string
	SKU              string
	Title            string
	Price            string
	InventoryItemID  string
	InventoryItemGID string
	// Available and OnHand are the quantities at the primary location.
	Available int
	OnHand    int
}

// Product is a copy of one simulated product, for tests.
type Product struct {
	ID        string // legacyResourceId
	GID       string
	Title     string
	Handle    string
	CreatedAt time.Time
	UpdatedAt time.Time
	Variants  []Variant
	Images    []string // URLs, first to last
}

// Location is a copy of a simulated location.
type Location struct {
	ID   string
	GID  string
	Name string
}

func (c *catalog) export(p *product) Product {
	out := Product{ID: strconv.FormatInt(p.id, 10), GID: productGID(p.id), Title: p.title, Handle: p.handle,
		CreatedAt: p.createdAt, UpdatedAt: p.updatedAt}
	for _, v := range p.variants {
		l := v.item.levels[c.primary.id]
		out.Variants = append(out.Variants, Variant{
			ID: strconv.FormatInt(v.id, 10), GID: variantGID(v.id), SKU: v.sku, Title: v.title, Price: v.price,
			InventoryItemID: strconv.FormatInt(v.item.id, 10), InventoryItemGID: itemGID(v.item.id),
			Available: l.available, OnHand: l.onHand,
		})
	}
	for _, im := range p.images {
		out.Images = append(out.Images, im.url)
	}
	return out
}

// AddProduct adds a product updated now and returns a copy of it. Variants
// with a SKU another variant already has take that SKU over in Quantities
// and SetQuantity. It sends products/create.
func (s *Server) AddProduct(p NewProduct) Product {
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := s.st.cat.addProduct(p, now, now)
	s.productEvent(pr, "products/create")
	return s.st.cat.export(pr)
}

// Products returns copies of all products in creation order.
func (s *Server) Products() []Product {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Product, len(s.st.cat.products))
	for i, p := range s.st.cat.products {
		out[i] = s.st.cat.export(p)
	}
	return out
}

// PrimaryLocation returns the shop's primary location.
func (s *Server) PrimaryLocation() Location {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.st.cat.primary
	return Location{ID: strconv.FormatInt(l.id, 10), GID: locationGID(l.id), Name: l.name}
}

// AddLocation adds an active location, as a merchant adding a warehouse
// or a second shop does, and returns it. Each SKU in stock is stocked
// there with that quantity available (and on hand); other SKUs, and SKUs
// no variant has, are not stocked there. The primary location stays the
// primary one; ProductVariant.inventoryQuantity counts every active
// location, InventoryItem.inventoryLevel(locationId:) reads one.
func (s *Server) AddLocation(name string, stock map[string]int) Location {
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.st.cat
	l := &location{id: c.primary.id + int64(len(c.locations)), name: name, active: true, createdAt: now}
	c.locations = append(c.locations, l)
	for sku, n := range stock {
		if v, ok := c.bySKU[sku]; ok {
			v.item.levels[l.id] = &level{item: v.item, loc: l, available: n, onHand: n, createdAt: now, updatedAt: now}
		}
	}
	return Location{ID: strconv.FormatInt(l.id, 10), GID: locationGID(l.id), Name: l.name}
}

// QuantitiesAt returns the available quantity of each SKU stocked at the
// location with global id gid; nil for a location the shop does not have.
func (s *Server) QuantitiesAt(gid string) map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := &s.st.cat
	id, ok := parseGID(gid, "Location")
	if !ok || c.location(id) == nil {
		return nil
	}
	out := map[string]int{}
	for sku, v := range c.bySKU {
		if l := v.item.levels[id]; l != nil {
			out[sku] = l.available
		}
	}
	return out
}

// Quantities returns each SKU's available quantity at the primary location:
// what the shop sells there.
func (s *Server) Quantities() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := &s.st.cat
	out := make(map[string]int, len(c.bySKU))
	for sku, v := range c.bySKU {
		out[sku] = v.item.levels[c.primary.id].available
	}
	return out
}

// SetQuantity sets sku's available quantity at the primary location, as a
// change made in the Shopify admin or by another app would; on_hand moves
// by the same amount. A SKU no variant has is ignored (Quantities shows
// which SKUs exist).
func (s *Server) SetQuantity(sku string, n int) {
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.st.cat
	v, ok := c.bySKU[sku]
	if !ok {
		return
	}
	l := v.item.levels[c.primary.id]
	l.onHand += n - l.available
	l.available = n
	l.updatedAt = now
}

// FailSKU makes the next times inventory mutations that touch sku answer a
// userError for it (NON_MUTABLE_INVENTORY_ITEM), which fails the whole
// mutation as any userError does. times ≤ 0 clears the fault.
func (s *Server) FailSKU(sku string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if times <= 0 {
		delete(s.st.cat.failSKU, sku)
		return
	}
	s.st.cat.failSKU[sku] = times
}

// sortedProducts returns the products ordered by less.
func sortedProducts(ps []*product, keep func(*product) bool, less func(a, b *product) int) []*product {
	var out []*product
	for _, p := range ps {
		if keep == nil || keep(p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, less)
	return out
}
