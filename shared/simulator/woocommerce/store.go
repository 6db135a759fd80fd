package woocommercesim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// Order statuses, as the REST API spells them.
const (
	Pending    = "pending"
	Processing = "processing"
	OnHold     = "on-hold"
	Completed  = "completed"
	Cancelled  = "cancelled"
	Refunded   = "refunded"
	Failed     = "failed"
	Trash      = "trash"
)

// statuses are the values the status parameter accepts besides "any".
var statuses = []string{Pending, Processing, OnHold, Completed, Cancelled, Refunded, Failed, Trash, "checkout-draft"}

type image struct {
	id   int64
	src  string
	name string
}

type product struct {
	id         int64
	name       string
	slug       string
	typ        string // simple or variable
	sku        string // simple products only
	price      int    // cents
	manage     bool
	stock      int
	created    time.Time
	modified   time.Time
	images     []image
	variations []*variation
}

type variation struct {
	id       int64
	parent   *product
	sku      string
	option   string
	price    int
	manage   bool
	stock    int
	created  time.Time
	modified time.Time
	image    image
}

type line struct {
	id          int64
	name        string
	productID   int64
	variationID int64
	sku         string
	quantity    int
	price       int // cents
}

type order struct {
	id        int64
	status    string
	key       string
	created   time.Time
	modified  time.Time
	paid      time.Time
	completed time.Time
	customer  int64
	lines     []line
	// reduced says the order's lines were taken from stock, as WooCommerce
	// does when an order is paid (processing or on-hold).
	reduced bool
}

func (o *order) total() int {
	t := 0
	for _, l := range o.lines {
		t += l.quantity * l.price
	}
	return t
}

// stockRef is what a SKU names: a simple product or a variation.
type stockRef struct {
	p *product
	v *variation
}

// stock is the quantity that sells the SKU: its own; for a variation whose
// own stock is not managed while its parent's is, the parent's, shared by
// such variations (WC_Product_Variation::get_stock_managed_by_id); nil
// when stock is not tracked (manage stock off): WooCommerce then keeps no
// quantity and sales reduce nothing.
func (r stockRef) stock() *int {
	switch {
	case r.v != nil && r.v.manage:
		return &r.v.stock
	case r.v != nil && r.v.parent.manage:
		return &r.v.parent.stock
	case r.v == nil && r.p.manage:
		return &r.p.stock
	}
	return nil
}

func (r stockRef) touch(now time.Time) {
	if r.v != nil {
		r.v.modified = now
		return
	}
	r.p.modified = now
}

// store holds the shop's state. Products, variations and orders share one
// id sequence, as they share wp_posts in WordPress.
type store struct {
	nextID   int64
	nextLine int64
	products []*product
	byID     map[int64]*product
	varByID  map[int64]*variation
	bySKU    map[string]stockRef
	skus     []string // sellable SKUs in catalog order
	orders   []*order
	orderBy  map[int64]*order
	failSKU  map[string]int
	// byModified caches the orders sorted by (modified, id); it is nil
	// after any change to an order.
	byModified []*order
}

// defaultSKUs are 40 simple products and five variable ones.
func defaultSKUs() []string {
	var skus []string
	for i := 1; i <= 40; i++ {
		skus = append(skus, fmt.Sprintf("SKU-%04d", i))
	}
	for i := 1; i <= 5; i++ {
		for _, o := range []string{"A", "B", "C", "D"} {
			skus = append(skus, fmt.Sprintf("VAR-%02d-%s", i, o))
		}
	}
	return skus
}

func newStore(now time.Time, skus []string, simpleOnly bool) *store {
	st := &store{
		nextID:   1001,
		nextLine: 1,
		byID:     map[int64]*product{},
		varByID:  map[int64]*variation{},
		bySKU:    map[string]stockRef{},
		orderBy:  map[int64]*order{},
		failSKU:  map[string]int{},
	}
	if skus == nil {
		skus = defaultSKUs()
	}
	// Group by the prefix before the last '-', keeping first appearance.
	type group struct {
		prefix string
		skus   []string
	}
	var groups []*group
	byPrefix := map[string]*group{}
	seen := map[string]bool{}
	for _, sku := range skus {
		if sku == "" || seen[sku] {
			continue
		}
		seen[sku] = true
		prefix := sku
		if i := strings.LastIndex(sku, "-"); i > 0 && !simpleOnly {
			prefix = sku[:i]
		}
		g := byPrefix[prefix]
		if g == nil {
			g = &group{prefix: prefix}
			byPrefix[prefix] = g
			groups = append(groups, g)
		}
		g.skus = append(g.skus, sku)
	}
	created := now.AddDate(0, 0, -90)
	for _, g := range groups {
		if n := len(g.skus); n >= 2 && n <= 10 {
			st.addVariable(g.prefix, g.skus, created)
			continue
		}
		for _, sku := range g.skus {
			st.addSimple(sku, created)
		}
	}
	return st
}

func (st *store) id() int64 {
	id := st.nextID
	st.nextID++
	return id
}

func (st *store) addSimple(sku string, at time.Time) *product {
	p := &product{
		id: st.id(), name: title(sku), slug: slug(sku), typ: "simple", sku: sku,
		price: unitPrice(sku), manage: true, stock: initialStock(sku), created: at, modified: at,
	}
	p.images = []image{{id: st.id(), src: imageURL(p.slug, 1), name: p.slug + "-1"}}
	if len(sku)%2 == 0 {
		p.images = append(p.images, image{id: st.id(), src: imageURL(p.slug, 2), name: p.slug + "-2"})
	}
	st.products = append(st.products, p)
	st.byID[p.id] = p
	st.bySKU[sku] = stockRef{p: p}
	st.skus = append(st.skus, sku)
	return p
}

func (st *store) addVariable(prefix string, skus []string, at time.Time) *product {
	p := &product{id: st.id(), name: title(prefix), slug: slug(prefix), typ: "variable", created: at, modified: at}
	p.images = []image{{id: st.id(), src: imageURL(p.slug, 1), name: p.slug + "-1"}}
	for _, sku := range skus {
		v := &variation{
			id: st.id(), parent: p, sku: sku, option: strings.TrimPrefix(sku, prefix+"-"),
			price: unitPrice(sku), manage: true, stock: initialStock(sku), created: at, modified: at,
		}
		v.image = image{id: st.id(), src: imageURL(slug(sku), 1), name: slug(sku)}
		p.variations = append(p.variations, v)
		st.varByID[v.id] = v
		st.bySKU[sku] = stockRef{p: p, v: v}
		st.skus = append(st.skus, sku)
	}
	st.products = append(st.products, p)
	st.byID[p.id] = p
	return p
}

func title(s string) string {
	parts := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == '-' || r == '_' })
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, " ")
}

func slug(s string) string { return strings.ToLower(s) }

func imageURL(slug string, n int) string {
	return fmt.Sprintf("https://woo.example/wp-content/uploads/2025/01/%s-%d.jpg", slug, n)
}

// unitPrice and initialStock derive deterministic values from a SKU.
func unitPrice(sku string) int {
	n := 0
	for _, c := range sku {
		n = (n*31 + int(c)) % 9000
	}
	return 500 + n
}

func initialStock(sku string) int {
	n := 0
	for _, c := range sku {
		n = (n*17 + int(c)) % 46
	}
	return 5 + n
}

func money(cents int) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

// seedKind is one status mix of seeded orders; weights sum to 100.
var seedKinds = []struct {
	weight int
	status string
}{
	{45, Processing}, {8, Pending}, {7, OnHold}, {25, Completed},
	{6, Cancelled}, {5, Refunded}, {4, Failed},
}

// Seed adds n orders in mixed statuses (pending, processing, on-hold,
// completed, cancelled, refunded, failed), created over the 30 days before
// now and modified up to two days later. The same n and seed give the same
// orders relative to the clock. Seeded orders leave stock as it is.
func (s *Server) Seed(n int, seed int64) {
	r := rand.New(rand.NewPCG(uint64(seed), 0x300c))
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	for range n {
		w := r.IntN(100)
		status := Processing
		for _, k := range seedKinds {
			if w < k.weight {
				status = k.status
				break
			}
			w -= k.weight
		}
		created := now.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Second)
		modified := created.Add(time.Duration(r.Int64N(int64(48 * time.Hour)))).Truncate(time.Second)
		if modified.After(now) {
			modified = now
		}
		o := &order{status: status, created: created, modified: modified, customer: int64(r.IntN(50))}
		nl := 1 + r.IntN(4)
		if r.IntN(40) == 0 {
			nl = 8 + r.IntN(8)
		}
		for range nl {
			sku := st.skus[r.IntN(len(st.skus))]
			o.lines = append(o.lines, st.line(sku, 1+r.IntN(3)))
		}
		switch status {
		case Processing, OnHold, Completed, Refunded:
			o.paid = created
		}
		if status == Completed {
			o.completed = modified
		}
		st.addOrder(o)
	}
}

func (st *store) line(sku string, qty int) line {
	l := line{id: st.nextLine, sku: sku, quantity: qty, name: sku}
	st.nextLine++
	if ref, ok := st.bySKU[sku]; ok {
		l.productID = ref.p.id
		l.name = ref.p.name
		l.price = ref.p.price
		if ref.v != nil {
			l.variationID = ref.v.id
			l.name = ref.p.name + " - " + ref.v.option
			l.price = ref.v.price
		}
	} else {
		l.price = unitPrice(sku)
	}
	return l
}

func (st *store) addOrder(o *order) {
	o.id = st.id()
	o.key = fmt.Sprintf("wc_order_%x", o.id*2654435761%0xffffffffff)
	st.orders = append(st.orders, o)
	st.orderBy[o.id] = o
	st.byModified = nil
}

// adjust moves the stock of an order's lines by sign × quantity.
func (st *store) adjust(o *order, sign int, now time.Time) {
	for _, l := range o.lines {
		if ref, ok := st.bySKU[l.sku]; ok && ref.stock() != nil {
			*ref.stock() += sign * l.quantity
			ref.touch(now)
		}
	}
}

// CreateOrder adds a paid order (status processing) created and modified
// now and returns its id. No lines means one line of the first SKU. As in
// WooCommerce, paying for the order reduces the stock of its lines.
func (s *Server) CreateOrder(lines []cart.Line) string {
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	o := &order{status: Processing, created: now, modified: now, paid: now, reduced: true}
	for _, l := range lines {
		o.lines = append(o.lines, st.line(l.SKU, l.Quantity))
	}
	if len(o.lines) == 0 && len(st.skus) > 0 {
		o.lines = append(o.lines, st.line(st.skus[0], 1))
	}
	st.addOrder(o)
	st.adjust(o, -1, now)
	s.publish("order.created", o.id, now)
	return strconv.FormatInt(o.id, 10)
}

// ErrNotFound is returned for an unknown order id.
var ErrNotFound = errors.New("woocommercesim: no such order")

func (s *Server) update(id string, f func(st *store, o *order, now time.Time) error) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.st.orderBy[n]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err := f(s.st, o, now); err != nil {
		return err
	}
	o.modified = now
	s.st.byModified = nil
	s.publish("order.updated", o.id, now)
	return nil
}

// CancelOrder cancels an order, as the shop manager does in wp-admin; stock
// the order had taken is returned, as WooCommerce does.
func (s *Server) CancelOrder(id string) error {
	return s.update(id, func(st *store, o *order, now time.Time) error {
		switch o.status {
		case Cancelled, Refunded, Completed:
			return fmt.Errorf("woocommercesim: order %s is %s and cannot be cancelled", id, o.status)
		}
		o.status = Cancelled
		if o.reduced {
			st.adjust(o, +1, now)
			o.reduced = false
		}
		return nil
	})
}

// CompleteOrder marks an order shipped (completed).
func (s *Server) CompleteOrder(id string) error {
	return s.update(id, func(st *store, o *order, now time.Time) error {
		switch o.status {
		case Cancelled, Refunded, Failed, Completed:
			return fmt.Errorf("woocommercesim: order %s is %s and cannot be completed", id, o.status)
		}
		o.status, o.completed = Completed, now
		return nil
	})
}

// SetOrderStatus moves an order to any status, touching only its status and
// modification time, for tests that need one.
func (s *Server) SetOrderStatus(id, status string) error {
	if !slices.Contains(statuses, status) {
		return fmt.Errorf("woocommercesim: unknown status %q", status)
	}
	return s.update(id, func(_ *store, o *order, _ time.Time) error {
		o.status = status
		return nil
	})
}

// Order is a copy of one simulated order, for tests.
type Order struct {
	ID       string
	Status   string
	Number   string
	Created  time.Time // GMT
	Modified time.Time // GMT
	Total    string
	Lines    []cart.Line
}

func (o *order) export() Order {
	lines := make([]cart.Line, len(o.lines))
	for i, l := range o.lines {
		lines[i] = cart.Line{SKU: l.sku, Quantity: l.quantity}
	}
	id := strconv.FormatInt(o.id, 10)
	return Order{ID: id, Status: o.status, Number: id, Created: o.created, Modified: o.modified, Total: money(o.total()), Lines: lines}
}

// Order returns a copy of the order with the given id.
func (s *Server) Order(id string) (Order, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return Order{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.st.orderBy[n]
	if !ok {
		return Order{}, false
	}
	return o.export(), true
}

// Orders returns copies of all orders in creation order.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, len(s.st.orders))
	for i, o := range s.st.orders {
		out[i] = o.export()
	}
	return out
}

// Importable returns the ids of the orders the default import filter
// selects (status processing), in creation order.
func (s *Server) Importable() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, o := range s.st.orders {
		if o.status == Processing {
			ids = append(ids, strconv.FormatInt(o.id, 10))
		}
	}
	return ids
}

// Quantities returns the quantity that sells each SKU whose stock is
// tracked: a variation whose parent manages its stock shows the parent's.
// SKUs with stock not tracked are left out.
func (s *Server) Quantities() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := make(map[string]int, len(s.st.bySKU))
	for sku, ref := range s.st.bySKU {
		if n := ref.stock(); n != nil {
			q[sku] = *n
		}
	}
	return q
}

// How a product or variation's stock is tracked: WooCommerce's "Manage
// stock?" setting (manage_stock in the REST API).
const (
	// StockManaged: the product or variation counts its own quantity
	// (manage_stock true); every seeded SKU starts so.
	StockManaged = "managed"
	// StockUntracked: manage stock off, WooCommerce's default for a new
	// product: no quantity, always in stock (manage_stock false,
	// stock_quantity null). For a variation, its parent's is off too.
	StockUntracked = "untracked"
	// StockByParent: a variation whose own setting is off while its
	// variable product's is on: the variations share the parent's
	// quantity (manage_stock "parent", stock_quantity the parent's).
	StockByParent = "parent"
)

// SetStockManagement sets how sku's stock is tracked, as the shop manager
// does in the product editor. StockByParent (variations only) turns the
// parent's stock management on with parentQty units; StockUntracked on a
// variation turns its parent's off, so siblings inheriting the parent's
// become untracked too. A variation's own quantity survives a switch, as
// WooCommerce keeps its _stock meta.
func (s *Server) SetStockManagement(sku, mode string, parentQty int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.st.bySKU[sku]
	if !ok {
		return fmt.Errorf("no SKU %s", sku)
	}
	switch {
	case mode == StockManaged && ref.v != nil:
		ref.v.manage = true
	case mode == StockManaged:
		ref.p.manage = true
	case mode == StockUntracked && ref.v != nil:
		ref.v.manage, ref.p.manage = false, false
	case mode == StockUntracked:
		ref.p.manage = false
	case mode == StockByParent && ref.v != nil:
		ref.v.manage = false
		ref.p.manage, ref.p.stock = true, parentQty
	default:
		return fmt.Errorf("stock management %q does not apply to SKU %s", mode, sku)
	}
	return nil
}

// StockManagement returns how sku's stock is tracked (StockManaged,
// StockUntracked, StockByParent) and the quantity that sells it (nil when
// untracked); ok is false for an unknown SKU.
func (s *Server) StockManagement(sku string) (mode string, qty *int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.st.bySKU[sku]
	if !ok {
		return "", nil, false
	}
	switch {
	case ref.v != nil && ref.v.manage, ref.v == nil && ref.p.manage:
		mode = StockManaged
	case ref.v != nil && ref.p.manage:
		mode = StockByParent
	default:
		mode = StockUntracked
	}
	if n := ref.stock(); n != nil {
		q := *n
		qty = &q
	}
	return mode, qty, true
}

// Links returns the ids that address each SKU's stock: the product, and the
// variation for a variation.
func (s *Server) Links() map[string]cart.Link {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]cart.Link, len(s.st.bySKU))
	for sku, ref := range s.st.bySKU {
		l := cart.Link{ProductID: strconv.FormatInt(ref.p.id, 10)}
		if ref.v != nil {
			l.VariantID = strconv.FormatInt(ref.v.id, 10)
		}
		out[sku] = l
	}
	return out
}

// SKUs returns the sellable SKUs in catalog order.
func (s *Server) SKUs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.skus)
}

// FailSKU makes the next times stock updates of sku fail, each with a
// per-item error inside an otherwise successful batch response (or an
// error response for a single-product PUT).
func (s *Server) FailSKU(sku string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if times <= 0 {
		delete(s.st.failSKU, sku)
		return
	}
	s.st.failSKU[sku] = times
}

// TouchProduct sets a product's (or variation's) modification time to now,
// as an edit in wp-admin would.
func (s *Server) TouchProduct(sku string) bool {
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.st.bySKU[sku]
	if !ok {
		return false
	}
	ref.touch(now)
	ref.p.modified = now
	id := ref.p.id
	if ref.v != nil {
		id = ref.v.id // woocommerce_update_product_variation names the variation
	}
	s.publish("product.updated", id, now)
	return true
}

// sortedOrders returns the orders matching keep, sorted as WordPress sorts
// for orderby (date, modified, id) and order; date and modified are
// followed by ID, as WC_REST_CRUD_Controller adds "for consistency with
// pagination".
func (st *store) sortedOrders(keep func(*order) bool, orderby string, desc bool) []*order {
	var all []*order
	switch orderby {
	case "modified":
		if st.byModified == nil {
			st.byModified = slices.Clone(st.orders)
			slices.SortFunc(st.byModified, func(a, b *order) int {
				if c := a.modified.Compare(b.modified); c != 0 {
					return c
				}
				return cmpInt(a.id, b.id)
			})
		}
		all = st.byModified
	case "date":
		all = slices.Clone(st.orders) // ids ascend with creation
		slices.SortStableFunc(all, func(a, b *order) int { return a.created.Compare(b.created) })
	default:
		all = st.orders // in id order
	}
	var out []*order
	for _, o := range all {
		if keep(o) {
			out = append(out, o)
		}
	}
	if desc {
		slices.Reverse(out)
	}
	return out
}
