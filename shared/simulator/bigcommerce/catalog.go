package bigcommercesim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LocationID is the store's default inventory location. Every store has
// it; Options.Locations adds others. The Catalog API's inventory_level is
// the stock here, and only here (the published catalog documents: "The
// Catalog API returns the inventory for only the default location").
const LocationID = 1

// MaxAdjustmentItems is the documented limit of items per adjustment payload.
const MaxAdjustmentItems = 2000

// maxQuantity is the largest stock level accepted (a 32-bit signed int).
const maxQuantity = 1<<31 - 1

type product struct {
	id        int64
	name      string
	sku       string // "" for a product with options
	price     int    // cents
	tracking  string // "product" (no options) or "variant"
	created   time.Time
	modified  time.Time
	images    []image
	variants  []*variant
	baseID    int64 // base variant
	hasOption bool
}

type variant struct {
	id      int64
	product *product
	sku     string
	price   *int // cents; nil inherits the product's
	option  string
	stock   int // at LocationID
	// elsewhere is the stock at the store's other locations; a location
	// missing here holds none of the variant.
	elsewhere map[int64]int
	image     string
}

// at is the variant's stock at location loc.
func (v *variant) at(loc int64) int {
	if loc == LocationID {
		return v.stock
	}
	return v.elsewhere[loc]
}

// set puts the variant's stock at location loc to n.
func (v *variant) set(loc int64, n int) {
	if loc == LocationID {
		v.stock = n
		return
	}
	if v.elsewhere == nil {
		v.elsewhere = map[int64]int{}
	}
	v.elsewhere[loc] = n
}

type image struct {
	id        int64
	file      string
	sortOrder int
	thumbnail bool
}

// store holds the state: catalog and orders.
type store struct {
	hash      string
	locations []int64    // ascending; LocationID first
	products  []*product // ids ascend
	byProduct map[int64]*product
	byVariant map[int64]*variant
	bySKU     map[string]*variant
	fail      map[string]int // SKU → adjustments left to fail
	orders    []*order       // ids ascend
	byOrder   map[int64]*order
	nextOrder int64
	nextLine  int64
	nextAddr  int64
	// Ids for products CreateProduct adds.
	nextProduct, nextVariant, nextImage int64
}

var optionLabels = []string{"S", "M", "L", "XL"}

// newStore builds the catalog: SKUs in order, grouped into products of one
// to four variants. A product with one variant has no options and is
// tracked by product; the others are tracked by variant. Everything is
// derived from the SKU list, so the same list gives the same catalog.
func newStore(hash string, skus []string, locations []int64, now time.Time) *store {
	st := &store{
		hash: hash, locations: locations, byProduct: map[int64]*product{}, byVariant: map[int64]*variant{},
		bySKU: map[string]*variant{}, fail: map[string]int{}, byOrder: map[int64]*order{},
		nextOrder: 100, nextLine: 1, nextAddr: 1,
	}
	r := rng(int64(len(skus)), 0xca7a)
	pid, vid, iid := int64(111), int64(301), int64(501)
	for i := 0; i < len(skus); {
		n := 1
		if r.IntN(10) < 4 {
			n = 2 + r.IntN(3)
		}
		n = min(n, len(skus)-i)
		created := now.Add(-time.Duration(r.Int64N(int64(90 * 24 * time.Hour)))).Truncate(time.Second)
		p := &product{
			id: pid, name: fmt.Sprintf("Product %d", pid), price: 500 + r.IntN(9500),
			tracking: "product", created: created,
			modified: created.Add(time.Duration(r.Int64N(int64(now.Sub(created)) + 1))).Truncate(time.Second),
		}
		pid++
		if n > 1 {
			p.tracking, p.hasOption = "variant", true
		}
		for k := range r.IntN(4) {
			p.images = append(p.images, image{id: iid, file: fmt.Sprintf("p%d_%d.jpg", p.id, k), sortOrder: k, thumbnail: k == 0})
			iid++
		}
		for k := range n {
			if _, dup := st.bySKU[skus[i]]; dup {
				i++
				continue
			}
			v := &variant{id: vid, product: p, sku: skus[i], stock: 5 + r.IntN(96)}
			vid++
			i++
			if p.hasOption {
				v.option = optionLabels[k%len(optionLabels)]
				if r.IntN(3) == 0 {
					price := p.price + 100*(k+1)
					v.price = &price
				}
				if r.IntN(4) == 0 {
					v.image = fmt.Sprintf("https://cdn11.bigcommerce.com/s-%s/images/stencil/original/attribute_rule_images/%d_source.jpg", hash, v.id)
				}
			} else {
				p.sku = v.sku
				p.baseID = v.id
			}
			p.variants = append(p.variants, v)
			st.byVariant[v.id] = v
			st.bySKU[v.sku] = v
		}
		if len(p.variants) == 0 {
			continue
		}
		if p.hasOption {
			// The base variant of a product with options carries no SKU
			// and is not listed with the option variants.
			p.baseID = vid
			vid++
		}
		st.products = append(st.products, p)
		st.byProduct[p.id] = p
	}
	st.nextProduct, st.nextVariant, st.nextImage = pid, vid, iid
	return st
}

// inventoryLevel is the product's stock as the Catalog API reports it: at
// the default location.
func (p *product) inventoryLevel() int {
	n := 0
	for _, v := range p.variants {
		n += v.stock
	}
	return n
}

func cents(c int) json.Number {
	return json.Number(strconv.FormatFloat(float64(c)/100, 'f', -1, 64))
}

func v3Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-07:00") }

type imageJSON struct {
	ID           int64  `json:"id"`
	ProductID    int64  `json:"product_id"`
	IsThumbnail  bool   `json:"is_thumbnail"`
	SortOrder    int    `json:"sort_order"`
	Description  string `json:"description"`
	ImageFile    string `json:"image_file"`
	URLZoom      string `json:"url_zoom"`
	URLStandard  string `json:"url_standard"`
	URLThumbnail string `json:"url_thumbnail"`
	URLTiny      string `json:"url_tiny"`
	DateModified string `json:"date_modified"`
}

type optionValueJSON struct {
	ID                int64  `json:"id"`
	Label             string `json:"label"`
	OptionID          int64  `json:"option_id"`
	OptionDisplayName string `json:"option_display_name"`
}

type variantJSON struct {
	ID                 int64             `json:"id"`
	ProductID          int64             `json:"product_id"`
	SKU                string            `json:"sku"`
	SKUID              *int64            `json:"sku_id"`
	Price              *json.Number      `json:"price"`
	CalculatedPrice    json.Number       `json:"calculated_price"`
	InventoryLevel     int               `json:"inventory_level"`
	InventoryWarning   int               `json:"inventory_warning_level"`
	ImageURL           string            `json:"image_url"`
	PurchasingDisabled bool              `json:"purchasing_disabled"`
	OptionValues       []optionValueJSON `json:"option_values"`
	BinPickingNumber   string            `json:"bin_picking_number"`
	UPC                string            `json:"upc"`
}

type productJSON struct {
	ID                int64          `json:"id"`
	Name              string         `json:"name"`
	Type              string         `json:"type"`
	SKU               string         `json:"sku"`
	Price             json.Number    `json:"price"`
	CalculatedPrice   json.Number    `json:"calculated_price"`
	InventoryLevel    int            `json:"inventory_level"`
	InventoryTracking string         `json:"inventory_tracking"`
	IsVisible         bool           `json:"is_visible"`
	Availability      string         `json:"availability"`
	DateCreated       string         `json:"date_created"`
	DateModified      string         `json:"date_modified"`
	BaseVariantID     int64          `json:"base_variant_id"`
	CustomURL         any            `json:"custom_url"`
	Variants          *[]variantJSON `json:"variants,omitempty"` // with include=variants
	Images            *[]imageJSON   `json:"images,omitempty"`   // with include=images
}

func (st *store) productJSON(p *product, variants, images bool) productJSON {
	out := productJSON{
		ID: p.id, Name: p.name, Type: "physical", SKU: p.sku, Price: cents(p.price), CalculatedPrice: cents(p.price),
		InventoryLevel: p.inventoryLevel(), InventoryTracking: p.tracking, IsVisible: true, Availability: "available",
		DateCreated: v3Time(p.created), DateModified: v3Time(p.modified), BaseVariantID: p.baseID,
		CustomURL: map[string]any{"url": fmt.Sprintf("/product-%d/", p.id), "is_customized": false},
	}
	if variants {
		vs := []variantJSON{}
		for _, v := range p.variants {
			vj := variantJSON{
				ID: v.id, ProductID: p.id, SKU: v.sku, CalculatedPrice: cents(p.price),
				InventoryLevel: v.stock, ImageURL: v.image, OptionValues: []optionValueJSON{},
			}
			if v.price != nil {
				pr := cents(*v.price)
				vj.Price, vj.CalculatedPrice = &pr, pr
			}
			if p.hasOption {
				skuID := v.id + 1000
				vj.SKUID = &skuID
				vj.OptionValues = append(vj.OptionValues, optionValueJSON{ID: v.id + 2000, Label: v.option, OptionID: p.id + 3000, OptionDisplayName: "Size"})
			}
			vs = append(vs, vj)
		}
		out.Variants = &vs
	}
	if images {
		ims := []imageJSON{}
		for _, im := range p.images {
			base := fmt.Sprintf("https://cdn11.bigcommerce.com/s-%s/images/stencil/%%s/products/%d/%d/%s", st.hash, p.id, im.id, im.file)
			ims = append(ims, imageJSON{
				ID: im.id, ProductID: p.id, IsThumbnail: im.thumbnail, SortOrder: im.sortOrder,
				ImageFile: fmt.Sprintf("a/%s/%s", im.file[:1], im.file),
				URLZoom:   fmt.Sprintf(base, "1280x1280"), URLStandard: fmt.Sprintf(base, "500x659"),
				URLThumbnail: fmt.Sprintf(base, "220x290"), URLTiny: fmt.Sprintf(base, "44x58"),
				DateModified: v3Time(p.modified),
			})
		}
		out.Images = &ims
	}
	return out
}

// listProducts is GET /v3/catalog/products.
func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, limit, err := pageParams(r, 50, 250)
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	var idMin, idMax, idGreater, idLess int64
	for _, f := range []struct {
		name string
		v    *int64
	}{{"id:min", &idMin}, {"id:max", &idMax}, {"id:greater", &idGreater}, {"id:less", &idLess}} {
		if *f.v, err = queryInt(r, f.name, 0); err != nil {
			problem(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
	}
	from, to, err := dateRange(r, "date_modified:min", "date_modified:max")
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	var includeVariants, includeImages bool
	for _, inc := range strings.Split(q.Get("include"), ",") {
		switch strings.TrimSpace(inc) {
		case "variants":
			includeVariants = true
		case "images":
			includeImages = true
		}
	}
	var skus []string
	if v := q.Get("sku:in"); v != "" {
		skus = strings.Split(v, ",")
	}
	sortBy, desc := q.Get("sort"), q.Get("direction") == "desc"
	switch sortBy {
	case "", "id", "date_modified", "name", "sku":
	default:
		problem(w, http.StatusUnprocessableEntity, "The field 'sort' is invalid.")
		return
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []*product
	for _, p := range s.st.products {
		if (idMin > 0 && p.id < idMin) || (idMax > 0 && p.id > idMax) ||
			(idGreater > 0 && p.id <= idGreater) || (idLess > 0 && p.id >= idLess) || !inRange(p.modified, from, to) {
			continue
		}
		if skus != nil && !slices.ContainsFunc(p.variants, func(v *variant) bool { return slices.Contains(skus, v.sku) }) {
			continue
		}
		match = append(match, p)
	}
	slices.SortStableFunc(match, func(a, b *product) int {
		c := 0
		switch sortBy {
		case "date_modified":
			c = a.modified.Compare(b.modified)
		case "name":
			c = strings.Compare(a.name, b.name)
		case "sku":
			c = strings.Compare(a.sku, b.sku)
		}
		if c == 0 {
			c = cmp.Compare(a.id, b.id)
		}
		if desc {
			return -c
		}
		return c
	})
	total := int64(len(match))
	lo := min((page-1)*limit, total)
	hi := min(lo+limit, total)
	data := make([]productJSON, 0, hi-lo)
	for _, p := range match[lo:hi] {
		data = append(data, s.st.productJSON(p, includeVariants, includeImages))
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"data": data, "meta": pagination(r, total, int64(len(data)), page, limit)})
}

// pagination is the V3 meta.pagination object.
func pagination(r *http.Request, total, count, page, limit int64) map[string]any {
	pages := (total + limit - 1) / limit
	link := func(p int64) string {
		q := r.URL.Query()
		q.Set("page", strconv.FormatInt(p, 10))
		q.Set("limit", strconv.FormatInt(limit, 10))
		return "?" + q.Encode()
	}
	links := map[string]any{"current": link(page)}
	if page > 1 {
		links["previous"] = link(page - 1)
	}
	if page < pages {
		links["next"] = link(page + 1)
	}
	return map[string]any{"pagination": map[string]any{
		"total": total, "count": count, "per_page": limit, "current_page": page, "total_pages": pages, "links": links,
	}}
}

// adjustmentItem is one item of an absolute adjustment; exactly one of
// VariantID, SKU and ProductID names it.
type adjustmentItem struct {
	LocationID *int64  `json:"location_id"`
	VariantID  *int64  `json:"variant_id"`
	SKU        *string `json:"sku"`
	ProductID  *int64  `json:"product_id"`
	Quantity   *int64  `json:"quantity"`
}

func (it adjustmentItem) identity() string {
	switch {
	case it.VariantID != nil:
		return "variant_id " + strconv.FormatInt(*it.VariantID, 10)
	case it.SKU != nil:
		return "sku " + *it.SKU
	case it.ProductID != nil:
		return "product_id " + strconv.FormatInt(*it.ProductID, 10)
	}
	return "no identity"
}

// maxAdjustmentBody bounds an adjustment payload: 2000 items of a long SKU
// each fit easily.
const maxAdjustmentBody = 8 << 20

// adjustAbsolute is PUT /v3/inventory/adjustments/absolute. The payload is
// applied atomically (see the package comment).
func (s *Server) adjustAbsolute(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdjustmentBody))
	if err != nil {
		problem(w, http.StatusRequestEntityTooLarge, "The request payload is too large.")
		return
	}
	var req struct {
		Reason string           `json:"reason"`
		Items  []adjustmentItem `json:"items"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		problem(w, http.StatusBadRequest, "The request payload is not valid JSON.")
		return
	}
	if len(req.Items) == 0 {
		problem(w, http.StatusUnprocessableEntity, "The field 'items' is required and must not be empty.")
		return
	}
	if len(req.Items) > MaxAdjustmentItems {
		problem(w, http.StatusUnprocessableEntity, fmt.Sprintf("Limit of %d items for payload length exceeded: %d items were sent.", MaxAdjustmentItems, len(req.Items)))
		return
	}

	s.mu.Lock()
	targets := make([]*variant, len(req.Items))
	var msgs []string
	for i, it := range req.Items {
		v, msg := s.st.resolve(it)
		if msg == "" && s.st.fail[v.sku] > 0 {
			s.st.fail[v.sku]--
			msg = "Item with " + it.identity() + " is tracked by product, please update stock by product id"
		}
		if msg != "" {
			msgs = append(msgs, msg)
			continue
		}
		targets[i] = v
	}
	if len(msgs) > 0 {
		s.mu.Unlock()
		s.ctl.Lock()
		s.stats.Rejected += len(msgs)
		s.ctl.Unlock()
		problem(w, http.StatusUnprocessableEntity, "["+strings.Join(msgs, ", ")+"]")
		return
	}
	for i, v := range targets {
		v.set(*req.Items[i].LocationID, int(*req.Items[i].Quantity))
	}
	s.mu.Unlock()

	s.ctl.Lock()
	s.stats.Adjusted += len(req.Items)
	s.txn++
	txn := s.txn
	s.ctl.Unlock()
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"transaction_id": fmt.Sprintf("b5c7e2a0-0000-4000-8000-%012d", txn)})
}

// resolve finds the variant an adjustment item addresses, or says why it
// is rejected.
func (st *store) resolve(it adjustmentItem) (*variant, string) {
	ids := 0
	for _, set := range []bool{it.VariantID != nil, it.SKU != nil, it.ProductID != nil} {
		if set {
			ids++
		}
	}
	switch {
	case ids != 1:
		return nil, "Item must have exactly one of variant_id, sku and product_id"
	case it.LocationID == nil:
		return nil, "Item with " + it.identity() + " has no location_id"
	case !slices.Contains(st.locations, *it.LocationID):
		return nil, fmt.Sprintf("Location with id %d does not exist", *it.LocationID)
	case it.Quantity == nil:
		return nil, "Item with " + it.identity() + " has no quantity"
	case *it.Quantity < 0 || *it.Quantity > maxQuantity:
		return nil, fmt.Sprintf("Item with %s has an invalid quantity %d: it must be between 0 and %d", it.identity(), *it.Quantity, maxQuantity)
	}
	var v *variant
	switch {
	case it.VariantID != nil:
		v = st.byVariant[*it.VariantID]
		if v != nil && v.product.tracking == "product" && v.id != v.product.baseID {
			return nil, "Item with " + it.identity() + " is tracked by product, please update stock by product id"
		}
	case it.SKU != nil:
		v = st.bySKU[*it.SKU]
	case it.ProductID != nil:
		p := st.byProduct[*it.ProductID]
		if p != nil && p.tracking == "variant" {
			return nil, "Item with " + it.identity() + " is tracked by variant, please update stock by variant id or sku"
		}
		if p != nil {
			v = p.variants[0]
		}
	}
	if v == nil {
		return nil, "Item with " + it.identity() + " does not exist"
	}
	return v, ""
}

type locationItemJSON struct {
	Identity struct {
		SKU       string `json:"sku"`
		VariantID int64  `json:"variant_id"`
		ProductID int64  `json:"product_id"`
	} `json:"identity"`
	AvailableToSell      int `json:"available_to_sell"`
	TotalInventoryOnhand int `json:"total_inventory_onhand"`
	Settings             struct {
		SafetyStock      int    `json:"safety_stock"`
		IsInStock        bool   `json:"is_in_stock"`
		WarningLevel     int    `json:"warning_level"`
		BinPickingNumber string `json:"bin_picking_number"`
	} `json:"settings"`
}

// locationItems is GET /v3/inventory/locations/{location_id}/items: every
// variant's stock at the location, in product then variant order, filtered
// by sku:in, variant_id:in and product_id:in (comma-separated lists, as
// the published descriptions say). A product tracked by product is one
// item, its base variant; safety stock is not modelled, so
// available_to_sell equals total_inventory_onhand.
func (s *Server) locationItems(w http.ResponseWriter, r *http.Request) {
	loc, err := strconv.ParseInt(r.PathValue("location_id"), 10, 64)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err != nil || !slices.Contains(s.st.locations, loc) {
		problem(w, http.StatusNotFound, "Location not found.")
		return
	}
	page, limit, err := pageParams(r, 50, 1000)
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	list := func(name string) []string {
		if v := r.URL.Query().Get(name); v != "" {
			return strings.Split(v, ",")
		}
		return nil
	}
	skus, vids, pids := list("sku:in"), list("variant_id:in"), list("product_id:in")
	var items []locationItemJSON
	for _, p := range s.st.products {
		if pids != nil && !slices.Contains(pids, strconv.FormatInt(p.id, 10)) {
			continue
		}
		for _, v := range p.variants {
			if (skus != nil && !slices.Contains(skus, v.sku)) || (vids != nil && !slices.Contains(vids, strconv.FormatInt(v.id, 10))) {
				continue
			}
			var it locationItemJSON
			it.Identity.SKU, it.Identity.VariantID, it.Identity.ProductID = v.sku, v.id, p.id
			n := v.at(loc)
			it.AvailableToSell, it.TotalInventoryOnhand = n, n
			it.Settings.IsInStock = n > 0
			items = append(items, it)
		}
	}
	total := int64(len(items))
	lo := min((page-1)*limit, total)
	hi := min(lo+limit, total)
	data := items[lo:hi]
	if data == nil {
		data = []locationItemJSON{}
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"data": data, "meta": pagination(r, total, int64(len(data)), page, limit)})
}

// Quantities returns every SKU's stock at the default location.
func (s *Server) Quantities() map[string]int { return s.QuantitiesAt(LocationID) }

// QuantitiesAt returns every SKU's stock at location loc; nil when the
// store has no such location.
func (s *Server) QuantitiesAt(loc int64) map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !slices.Contains(s.st.locations, loc) {
		return nil
	}
	out := make(map[string]int, len(s.st.bySKU))
	for sku, v := range s.st.bySKU {
		out[sku] = v.at(loc)
	}
	return out
}

// SetQuantity sets a SKU's stock at the default location directly, as a
// merchant would in the control panel. It reports whether the SKU exists.
func (s *Server) SetQuantity(sku string, n int) bool { return s.SetQuantityAt(LocationID, sku, n) }

// SetQuantityAt sets a SKU's stock at location loc directly. It reports
// whether the SKU and the location exist.
func (s *Server) SetQuantityAt(loc int64, sku string, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.bySKU[sku]
	if v == nil || !slices.Contains(s.st.locations, loc) {
		return false
	}
	v.set(loc, n)
	return true
}

// Locations returns the store's inventory location ids, ascending.
func (s *Server) Locations() []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.st.locations)
}

// FailSKU makes the next times adjustments of sku fail with a per-item
// error (and so, as BigCommerce applies a payload atomically, the payloads
// that carry them).
func (s *Server) FailSKU(sku string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.fail[sku] = times
}

// Variant is a copy of one variant's ids and stock, for tests.
type Variant struct {
	SKU       string
	ProductID int64
	VariantID int64
	// TrackedBy is "product" for a product without options, else "variant".
	TrackedBy string
	// Quantity is the stock at the default location.
	Quantity int
}

// Variants returns the catalog's variants in product, then variant order.
func (s *Server) Variants() []Variant {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Variant
	for _, p := range s.st.products {
		for _, v := range p.variants {
			out = append(out, Variant{SKU: v.sku, ProductID: p.id, VariantID: v.id, TrackedBy: p.tracking, Quantity: v.stock})
		}
	}
	return out
}

// TouchProduct marks the product selling sku as modified now, as an edit
// in the control panel would, and reports whether the SKU exists.
func (s *Server) TouchProduct(sku string) bool {
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.bySKU[sku]
	if v == nil {
		return false
	}
	v.product.modified = now
	s.publish("store/product/updated", eventData{Type: "product", ID: v.product.id}, now)
	return true
}

// CreateProduct adds a product without options selling sku, with qty in
// stock, and returns its id. It sends store/product/created.
func (s *Server) CreateProduct(sku string, qty int) string {
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	p := &product{id: st.nextProduct, name: "Product " + sku, sku: sku, price: 500 + len(sku)*100, tracking: "product",
		created: now, modified: now}
	st.nextProduct++
	p.images = []image{{id: st.nextImage, file: fmt.Sprintf("p%d_0.jpg", p.id), thumbnail: true}}
	st.nextImage++
	v := &variant{id: st.nextVariant, product: p, sku: sku, stock: qty}
	st.nextVariant++
	p.baseID = v.id
	p.variants = []*variant{v}
	st.products = append(st.products, p)
	st.byProduct[p.id] = p
	st.byVariant[v.id] = v
	st.bySKU[sku] = v
	s.publish("store/product/created", eventData{Type: "product", ID: p.id}, now)
	return strconv.FormatInt(p.id, 10)
}

// getProduct is GET /v3/catalog/products/{id}.
func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) {
	var includeVariants, includeImages bool
	for _, inc := range strings.Split(r.URL.Query().Get("include"), ",") {
		switch strings.TrimSpace(inc) {
		case "variants":
			includeVariants = true
		case "images":
			includeImages = true
		}
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.st.byProduct[id]
	if err != nil || p == nil {
		problem(w, http.StatusNotFound, "The requested product was not found.")
		return
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"data": s.st.productJSON(p, includeVariants, includeImages), "meta": map[string]any{},
	})
}
