package etsysim

import (
	"fmt"
	"hash/fnv"
	"html"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Property ids and names Etsy uses for common variations: 200 "Primary
// color" and 100 "Size" (with the US/Canada scale 327), as in the payloads
// of etsy/open-api#168 and #525.
const (
	propColor    = 200
	propSize     = 100
	scaleUSSizes = 327
)

type propValue struct {
	propertyID   int64
	propertyName string
	scaleID      *int64
	scaleName    *string
	valueIDs     []int64
	values       []string
}

type offering struct {
	id        int64
	amount    int64 // price in cents (divisor 100)
	quantity  int
	enabled   bool
	readiness *int64 // readiness_state_id, the processing profile
}

// defaultReadinessState is the processing profile (readiness state
// definition) every seeded offering has, as an active physical listing
// on Etsy does.
const defaultReadinessState = 1_000_000_001

type product struct {
	id        int64
	sku       string
	offerings []*offering
	props     []propValue
}

type inventory struct {
	products    []*product
	priceOn     []int64
	qtyOn       []int64
	skuOn       []int64
	readinessOn []int64
}

type image struct {
	id   int64
	rank int
	tag  string
}

type listing struct {
	id       int64
	title    string
	state    string
	created  time.Time
	updated  time.Time
	images   []image
	inv      inventory
	currency string
}

// quantity is the listing's quantity: the sum of its enabled offerings'.
func (l *listing) quantity() int {
	n := 0
	for _, p := range l.inv.products {
		for _, o := range p.offerings {
			if o.enabled {
				n += o.quantity
			}
		}
	}
	return n
}

// product returns the listing's first product selling sku.
func (l *listing) product(sku string) *product {
	for _, p := range l.inv.products {
		if p.sku == sku {
			return p
		}
	}
	return nil
}

// store holds the shop's state: its listings and its receipts.
type store struct {
	shopID   int64
	listings []*listing // creation order
	byID     map[int64]*listing
	nextID   int64
	failSKU  map[string]int

	receipts    []*receipt
	receiptByID map[int64]*receipt
	nextReceipt int64
	nextTxn     int64
}

// Ids start above 2^32 to catch connectors that keep them in 32-bit ints.
func newStore(shopID int64, skus []string, perListing int, now time.Time) *store {
	st := &store{
		shopID: shopID, byID: map[int64]*listing{}, nextID: 4_300_000_001, failSKU: map[string]int{},
		receiptByID: map[int64]*receipt{}, nextReceipt: 4_400_000_001, nextTxn: 4_500_000_001,
	}
	st.seedCatalog(skus, perListing, now)
	return st
}

func (st *store) id() int64 {
	st.nextID++
	return st.nextID
}

// hash gives deterministic prices and quantities per SKU.
func hash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

func unitPrice(sku string) int64 { return 500 + int64(hash(sku)%9000) }
func startQty(sku string) int    { return 5 + int(hash("qty:"+sku)%60) }

// groupSizes cycles listing sizes when SKUs are grouped by prefix.
var groupSizes = []int{1, 3, 2, 4}

// seedCatalog builds the listings, deterministically from the SKUs:
// consecutive SKUs become the variations of one listing (perListing each,
// or up to groupSizes that share a prefix). Listings of several SKUs cycle
// through these shapes, which Etsy allows:
//
//	0: one Primary color property; price, quantity and SKU vary by it.
//	1: one Size property (US/Canada scale); quantity and SKU vary by it, one
//	   price for all.
//	2: like 0, plus a variation with no SKU whose offering is disabled.
//	3: one Size property; SKU varies by it, but price and quantity do not:
//	   the variations share one quantity. Only when SKUs are grouped by
//	   prefix (SKUsPerListing 0): such SKUs cannot hold different
//	   quantities, which a benchmark pushing arbitrary ones would trip on.
//
// A listing of one SKU has one product and no properties. Two more listings
// hold no SKU: an active made-to-order one and an inactive one. Every title
// carries an apostrophe, which Etsy sends HTML-escaped.
func (st *store) seedCatalog(skus []string, perListing int, now time.Time) {
	k, variations := 0, 0
	for i := 0; i < len(skus); k++ {
		n := 1
		if perListing > 0 {
			n = min(perListing, len(skus)-i)
		} else {
			limit := groupSizes[k%len(groupSizes)]
			for n < limit && i+n < len(skus) && skuPrefix(skus[i+n]) == skuPrefix(skus[i]) {
				n++
			}
		}
		group := skus[i : i+n]
		i += n
		title := humanize(group[0])
		if n > 1 {
			title = humanize(skuPrefix(group[0]))
		}
		l := st.addListing(title+" – Maker's Edition", k, now)
		if n == 1 {
			l.inv.products = []*product{st.newProduct(group[0], unitPrice(group[0]), startQty(group[0]), true)}
			continue
		}
		shape := variations % 3
		if perListing == 0 {
			shape = variations % 4
		}
		variations++
		prop := propValue{propertyID: propColor, propertyName: "Primary color"}
		if shape == 1 || shape == 3 {
			sid, sname := int64(scaleUSSizes), "US/Canada"
			prop = propValue{propertyID: propSize, propertyName: "Size", scaleID: &sid, scaleName: &sname}
		}
		for j, sku := range group {
			price, qty := unitPrice(sku), startQty(sku)
			if shape == 1 || shape == 3 {
				price = unitPrice(group[0])
			}
			if shape == 3 {
				qty = startQty(group[0])
			}
			p := st.newProduct(sku, price, qty, true)
			pv := prop
			pv.valueIDs = []int64{st.id()}
			pv.values = []string{variationName(sku, group[0], j)}
			p.props = []propValue{pv}
			l.inv.products = append(l.inv.products, p)
		}
		l.inv.skuOn = []int64{prop.propertyID}
		if shape != 3 {
			l.inv.qtyOn = []int64{prop.propertyID}
		}
		if shape == 0 || shape == 2 {
			l.inv.priceOn = []int64{prop.propertyID}
		}
		if shape == 2 {
			p := st.newProduct("", unitPrice(group[0])+250, 3, false)
			pv := prop
			pv.valueIDs = []int64{st.id()}
			pv.values = []string{"Custom"}
			p.props = []propValue{pv}
			l.inv.products = append(l.inv.products, p)
		}
	}
	l := st.addListing("Custom Portrait – Artist's Commission", k, now)
	l.inv.products = []*product{st.newProduct("", 12500, 10, true)}
	l = st.addListing("Gift Wrapping – Seller's Choice", k+1, now)
	l.state = "inactive"
	l.inv.products = []*product{st.newProduct("", 300, 50, true)}
}

func (st *store) addListing(title string, k int, now time.Time) *listing {
	created := now.Add(-time.Duration(len(st.listings)+1) * 37 * time.Hour)
	l := &listing{
		id: st.id(), title: title, state: "active", currency: "USD",
		created: created, updated: created.Add(time.Duration(k%5) * 7 * time.Hour),
	}
	for r := range 1 + k%3 {
		l.images = append(l.images, image{id: st.id(), rank: r + 1, tag: fmt.Sprintf("%08x", hash(title)+uint32(r))})
	}
	st.listings = append(st.listings, l)
	st.byID[l.id] = l
	return l
}

func (st *store) newProduct(sku string, amount int64, qty int, enabled bool) *product {
	rs := int64(defaultReadinessState)
	return &product{id: st.id(), sku: sku, offerings: []*offering{{id: st.id(), amount: amount, quantity: qty, enabled: enabled, readiness: &rs}}}
}

// variationName names a variation by what its SKU adds to the group's
// prefix (MUG-BLUE → Blue), or by its place when that says nothing.
func variationName(sku, first string, j int) string {
	if p := skuPrefix(first); p != first {
		if v := strings.TrimPrefix(strings.TrimPrefix(sku, p), "-"); v != "" && v != sku {
			return humanize(v)
		}
	}
	return "Option " + strconv.Itoa(j+1)
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

// find returns the first product and offering selling sku in an active
// listing (listings in creation order), for Quantities and Prices.
func (st *store) find(sku string) (*listing, *product) {
	for _, l := range st.listings {
		if l.state != "active" {
			continue
		}
		for _, p := range l.inv.products {
			if p.sku == sku && len(p.offerings) > 0 {
				return l, p
			}
		}
	}
	return nil, nil
}

// take moves stock for a sale (n > 0) or its cancel (n < 0) in the
// listing the sale was made in (listingID; 0 for the first active listing
// selling sku); a product never goes below 0. A sale that leaves the
// listing nothing to sell makes it sold_out, as Etsy does: it stops
// selling until the seller renews it. A cancel gives the stock back but
// does not renew the listing (renewing is the seller's act, and Etsy
// charges a listing fee for it).
func (st *store) take(listingID int64, sku string, n int, now time.Time) {
	l, p := st.find(sku)
	if listingID != 0 {
		if l = st.byID[listingID]; l != nil {
			p = l.product(sku)
		}
	}
	if p == nil {
		return
	}
	for _, o := range p.offerings {
		o.quantity = max(o.quantity-n, 0)
	}
	l.updated = now
	if n > 0 && l.state == stateActive && l.quantity() == 0 {
		l.state = stateSoldOut
	}
}

func formatCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// Quantities returns each SKU's quantity in the shop's active listings:
// what buyers can order. A SKU sold by several products shows the first.
func (s *Server) Quantities() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]int{}
	for _, l := range s.st.listings {
		if l.state != "active" {
			continue
		}
		for _, p := range l.inv.products {
			if _, seen := out[p.sku]; !seen && p.sku != "" && len(p.offerings) > 0 {
				out[p.sku] = p.offerings[0].quantity
			}
		}
	}
	return out
}

// Prices returns each SKU's price ("12.34") in the shop's active listings,
// to prove a write-back kept them.
func (s *Server) Prices() map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]string{}
	for _, l := range s.st.listings {
		if l.state != "active" {
			continue
		}
		for _, p := range l.inv.products {
			if _, seen := out[p.sku]; !seen && p.sku != "" && len(p.offerings) > 0 {
				out[p.sku] = formatCents(p.offerings[0].amount)
			}
		}
	}
	return out
}

// SetQuantity sets sku's quantity, as a seller editing the listing on
// Etsy would. A SKU no product has is ignored.
func (s *Server) SetQuantity(sku string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, p := s.st.find(sku); p != nil {
		for _, o := range p.offerings {
			o.quantity = n
		}
		l.updated = s.now().UTC().Truncate(time.Second)
	}
}

// SetPrice sets sku's price in cents, as a seller editing the listing on
// Etsy would; in a listing whose price does not vary by a property every
// product takes it.
func (s *Server) SetPrice(sku string, cents int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, p := s.st.find(sku)
	if p == nil {
		return
	}
	targets := []*product{p}
	if len(l.inv.priceOn) == 0 {
		targets = l.inv.products
	}
	for _, t := range targets {
		for _, o := range t.offerings {
			o.amount = cents
		}
	}
	l.updated = s.now().UTC().Truncate(time.Second)
}

// FailSKU makes the next times inventory updates that change sku's
// quantity answer 400, which fails the whole update as any refusal does.
// times ≤ 0 clears the fault.
func (s *Server) FailSKU(sku string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if times <= 0 {
		delete(s.st.failSKU, sku)
		return
	}
	s.st.failSKU[sku] = times
}

// DeactivateListing sets a listing inactive, as a seller doing so on Etsy
// would; it leaves the shop's active listings. It reports whether the
// listing exists.
func (s *Server) DeactivateListing(id string) bool {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.st.byID[n]
	if ok {
		l.state = "inactive"
		l.updated = s.now().UTC().Truncate(time.Second)
	}
	return ok
}

// Listing is a copy of one simulated listing, for tests.
type Listing struct {
	ID     string
	Title  string // unescaped
	State  string
	SKUs   []string // its products' SKUs, "" for a product without one
	Images int
}

// Listings returns copies of every listing in creation order.
func (s *Server) Listings() []Listing {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Listing, len(s.st.listings))
	for i, l := range s.st.listings {
		out[i] = Listing{ID: strconv.FormatInt(l.id, 10), Title: l.title, State: l.state, Images: len(l.images)}
		for _, p := range l.inv.products {
			out[i].SKUs = append(out[i].SKUs, p.sku)
		}
	}
	return out
}

// Inventory is a copy of a listing's inventory as stored, for tests.
type Inventory struct {
	Products                 []Product
	PriceOnProperty          []int64
	QuantityOnProperty       []int64
	SKUOnProperty            []int64
	ReadinessStateOnProperty []int64
}

// Product is one product of an Inventory.
type Product struct {
	ID             int64
	SKU            string
	PropertyValues []PropertyValue
	Offerings      []Offering
}

// PropertyValue is one property value of a Product.
type PropertyValue struct {
	PropertyID   int64
	PropertyName string
	ScaleID      int64 // 0 for none
	ValueIDs     []int64
	Values       []string
}

// Offering is one offering of a Product.
type Offering struct {
	ID        int64
	Price     string // "12.34"
	Quantity  int
	IsEnabled bool
	// ReadinessStateID is the offering's processing profile, 0 for none.
	ReadinessStateID int64
}

// Inventory returns a copy of a listing's stored inventory.
func (s *Server) Inventory(listingID string) (Inventory, bool) {
	id, err := strconv.ParseInt(listingID, 10, 64)
	if err != nil {
		return Inventory{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.st.byID[id]
	if !ok {
		return Inventory{}, false
	}
	inv := Inventory{
		PriceOnProperty:          slices.Clone(l.inv.priceOn),
		QuantityOnProperty:       slices.Clone(l.inv.qtyOn),
		SKUOnProperty:            slices.Clone(l.inv.skuOn),
		ReadinessStateOnProperty: slices.Clone(l.inv.readinessOn),
	}
	for _, p := range l.inv.products {
		ep := Product{ID: p.id, SKU: p.sku}
		for _, pv := range p.props {
			v := PropertyValue{PropertyID: pv.propertyID, PropertyName: pv.propertyName,
				ValueIDs: slices.Clone(pv.valueIDs), Values: slices.Clone(pv.values)}
			if pv.scaleID != nil {
				v.ScaleID = *pv.scaleID
			}
			ep.PropertyValues = append(ep.PropertyValues, v)
		}
		for _, o := range p.offerings {
			eo := Offering{ID: o.id, Price: formatCents(o.amount), Quantity: o.quantity, IsEnabled: o.enabled}
			if o.readiness != nil {
				eo.ReadinessStateID = *o.readiness
			}
			ep.Offerings = append(ep.Offerings, eo)
		}
		inv.Products = append(inv.Products, ep)
	}
	return inv, true
}

// Wire format (ShopListing, ListingImage, ListingInventory, Money).

type money struct {
	Amount       int64  `json:"amount"`
	Divisor      int64  `json:"divisor"`
	CurrencyCode string `json:"currency_code"`
}

type jsonPropValue struct {
	PropertyID   int64    `json:"property_id"`
	PropertyName string   `json:"property_name"`
	ScaleID      *int64   `json:"scale_id"`
	ScaleName    *string  `json:"scale_name"`
	ValueIDs     []int64  `json:"value_ids"`
	Values       []string `json:"values"`
}

type jsonOffering struct {
	OfferingID       int64  `json:"offering_id"`
	Quantity         int    `json:"quantity"`
	IsEnabled        bool   `json:"is_enabled"`
	IsDeleted        bool   `json:"is_deleted"`
	Price            money  `json:"price"`
	ReadinessStateID *int64 `json:"readiness_state_id"`
}

type jsonProduct struct {
	ProductID      int64           `json:"product_id"`
	SKU            string          `json:"sku"`
	IsDeleted      bool            `json:"is_deleted"`
	Offerings      []jsonOffering  `json:"offerings"`
	PropertyValues []jsonPropValue `json:"property_values"`
}

type jsonInventory struct {
	Products                 []jsonProduct `json:"products"`
	PriceOnProperty          []int64       `json:"price_on_property"`
	QuantityOnProperty       []int64       `json:"quantity_on_property"`
	SKUOnProperty            []int64       `json:"sku_on_property"`
	ReadinessStateOnProperty []int64       `json:"readiness_state_on_property"`
}

type jsonImage struct {
	ListingID      int64  `json:"listing_id"`
	ListingImageID int64  `json:"listing_image_id"`
	HexCode        string `json:"hex_code"`
	CreationTSZ    int64  `json:"creation_tsz"`
	CreatedTS      int64  `json:"created_timestamp"`
	Rank           int    `json:"rank"`
	URL75          string `json:"url_75x75"`
	URL170         string `json:"url_170x135"`
	URL570         string `json:"url_570xN"`
	URLFull        string `json:"url_fullxfull"`
	FullHeight     int    `json:"full_height"`
	FullWidth      int    `json:"full_width"`
	AltText        string `json:"alt_text"`
}

type jsonListing struct {
	ListingID             int64          `json:"listing_id"`
	UserID                int64          `json:"user_id"`
	ShopID                int64          `json:"shop_id"`
	Title                 string         `json:"title"`
	Description           string         `json:"description"`
	State                 string         `json:"state"`
	CreationTimestamp     int64          `json:"creation_timestamp"`
	CreatedTimestamp      int64          `json:"created_timestamp"`
	EndingTimestamp       int64          `json:"ending_timestamp"`
	OriginalCreation      int64          `json:"original_creation_timestamp"`
	LastModifiedTimestamp int64          `json:"last_modified_timestamp"`
	UpdatedTimestamp      int64          `json:"updated_timestamp"`
	StateTimestamp        int64          `json:"state_timestamp"`
	Quantity              int            `json:"quantity"`
	URL                   string         `json:"url"`
	ListingType           string         `json:"listing_type"`
	Tags                  []string       `json:"tags"`
	HasVariations         bool           `json:"has_variations"`
	ShouldAutoRenew       bool           `json:"should_auto_renew"`
	Price                 money          `json:"price"`
	Skus                  []string       `json:"skus"`
	Images                []jsonImage    `json:"images,omitempty"`
	Inventory             *jsonInventory `json:"inventory,omitempty"`
}

const sellerUserID = 87654321

func (st *store) inventoryJSON(l *listing) *jsonInventory {
	inv := &jsonInventory{
		Products:                 make([]jsonProduct, 0, len(l.inv.products)),
		PriceOnProperty:          nonNil(l.inv.priceOn),
		QuantityOnProperty:       nonNil(l.inv.qtyOn),
		SKUOnProperty:            nonNil(l.inv.skuOn),
		ReadinessStateOnProperty: nonNil(l.inv.readinessOn),
	}
	for _, p := range l.inv.products {
		jp := jsonProduct{ProductID: p.id, SKU: p.sku, Offerings: []jsonOffering{}, PropertyValues: []jsonPropValue{}}
		for _, o := range p.offerings {
			jp.Offerings = append(jp.Offerings, jsonOffering{OfferingID: o.id, Quantity: o.quantity, IsEnabled: o.enabled,
				Price: money{Amount: o.amount, Divisor: 100, CurrencyCode: l.currency}, ReadinessStateID: o.readiness})
		}
		for _, pv := range p.props {
			jp.PropertyValues = append(jp.PropertyValues, jsonPropValue{PropertyID: pv.propertyID, PropertyName: pv.propertyName,
				ScaleID: pv.scaleID, ScaleName: pv.scaleName, ValueIDs: nonNil(pv.valueIDs), Values: nonNil(pv.values)})
		}
		inv.Products = append(inv.Products, jp)
	}
	return inv
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (st *store) listingJSON(l *listing, images, inventory bool) jsonListing {
	minPrice := int64(-1)
	var skus []string
	for _, p := range l.inv.products {
		for _, o := range p.offerings {
			if o.enabled && (minPrice < 0 || o.amount < minPrice) {
				minPrice = o.amount
			}
		}
		if p.sku != "" && !slices.Contains(skus, p.sku) {
			skus = append(skus, p.sku)
		}
	}
	j := jsonListing{
		ListingID: l.id, UserID: sellerUserID, ShopID: st.shopID,
		Title: html.EscapeString(l.title), Description: html.EscapeString("Made by hand. " + l.title), State: l.state,
		CreationTimestamp: l.created.Unix(), CreatedTimestamp: l.created.Unix(),
		EndingTimestamp:  l.created.AddDate(0, 4, 0).Unix(),
		OriginalCreation: l.created.Unix(), LastModifiedTimestamp: l.updated.Unix(), UpdatedTimestamp: l.updated.Unix(),
		StateTimestamp: l.created.Unix(), Quantity: l.quantity(),
		URL:         fmt.Sprintf("https://www.etsy.com/listing/%d/%s", l.id, slug(l.title)),
		ListingType: "physical", Tags: []string{"handmade"}, HasVariations: len(l.inv.products) > 1, ShouldAutoRenew: true,
		Price: money{Amount: max(minPrice, 0), Divisor: 100, CurrencyCode: l.currency}, Skus: nonNil(skus),
	}
	if images {
		j.Images = []jsonImage{}
		for _, im := range l.images {
			base := fmt.Sprintf("https://i.etsystatic.com/%d/r/il/%s/%d/il_", st.shopID, im.tag[:6], im.id)
			j.Images = append(j.Images, jsonImage{
				ListingID: l.id, ListingImageID: im.id, HexCode: im.tag[:6], CreationTSZ: l.created.Unix(), CreatedTS: l.created.Unix(),
				Rank: im.rank, URL75: base + "75x75." + strconv.FormatInt(im.id, 10) + "_" + im.tag + ".jpg",
				URL170:     base + "170x135." + strconv.FormatInt(im.id, 10) + "_" + im.tag + ".jpg",
				URL570:     base + "570xN." + strconv.FormatInt(im.id, 10) + "_" + im.tag + ".jpg",
				URLFull:    base + "fullxfull." + strconv.FormatInt(im.id, 10) + "_" + im.tag + ".jpg",
				FullHeight: 1500, FullWidth: 2000,
			})
		}
	}
	if inventory {
		j.Inventory = st.inventoryJSON(l)
	}
	return j
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
