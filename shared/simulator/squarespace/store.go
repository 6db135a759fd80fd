package squarespacesim

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// Fulfillment statuses of an order, as the API spells them.
const (
	Pending   = "PENDING"
	Fulfilled = "FULFILLED"
	Canceled  = "CANCELED"
)

// Product types of the v2 Products API.
const (
	Physical = "PHYSICAL"
	Digital  = "DIGITAL"
	Service  = "SERVICE"
	GiftCard = "GIFT_CARD"
)

var productTypes = []string{Physical, Digital, Service, GiftCard}

type variant struct {
	id        string
	sku       string
	product   *product
	price     int64 // cents
	quantity  int
	unlimited bool
	attrs     []string // values, in product.attrNames order
	index     int      // creation order, for the inventory listing
}

type image struct {
	id, url, alt string
}

type product struct {
	id        string
	typ       string
	name      string
	slug      string
	attrNames []string
	variants  []*variant
	images    []image
	created   time.Time
	modified  time.Time
}

type line struct {
	id        string
	variantID string
	productID string
	sku       string
	name      string
	quantity  int
	price     int64 // cents
}

type order struct {
	id       string
	number   int
	created  time.Time
	modified time.Time
	status   string
	lines    []line
	email    string
	holds    bool // the order took its quantities from stock
}

// idemEntry is an executed adjustment's answer, kept under its key.
type idemEntry struct {
	at       time.Time
	bodyHash [32]byte
	status   int
	body     []byte
}

type store struct {
	orders   []*order // creation order
	byID     map[string]*order
	sorted   []*order // by (modified, id); nil when stale
	seq      uint64
	nextNum  int
	products []*product // creation order
	psorted  []*product // by (modified, id); nil when stale
	variants []*variant // creation order
	bySKU    map[string]*variant
	byVarID  map[string]*variant
	failSKU  map[string]int
	idem     map[string]*idemEntry
	idemAdds int
}

// hashID derives a stable hex id from a name: ids survive a restart of a
// seeded simulator, so re-importing creates nothing new.
func hashID(kind, name string, n int) string {
	h := sha256.Sum256([]byte(kind + "\x00" + name))
	return fmt.Sprintf("%x", h[:])[:n]
}

func hashNum(kind, name string) uint64 {
	h := sha256.Sum256([]byte(kind + "\x00" + name))
	return binary.BigEndian.Uint64(h[:8])
}

func uuidFor(kind, name string) string {
	h := hashID(kind, name, 32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

var colors = []string{"Black", "White", "Blue", "Green", "Red", "Grey"}

// newStore builds the catalog: opts.SKUs grouped into physical products of
// one to three variants (sizes cycle 1, 2, 3, 1, 2), each with one to three
// images, modified over the 30 days before now; plus a service product
// whose variant has unlimited stock, which an import of physical products
// must leave out.
func newStore(skus []string, now time.Time) *store {
	st := &store{
		byID: map[string]*order{}, nextNum: 1001,
		bySKU: map[string]*variant{}, byVarID: map[string]*variant{},
		failSKU: map[string]int{}, idem: map[string]*idemEntry{},
	}
	sizes := []int{1, 2, 3, 1, 2}
	var groups [][]string
	for i, k := 0, 0; i < len(skus); k++ {
		n := min(sizes[k%len(sizes)], len(skus)-i)
		groups = append(groups, skus[i:i+n])
		i += n
	}
	span := 30 * 24 * time.Hour
	for gi, g := range groups {
		modified := now.Add(-span + time.Duration(gi)*span/time.Duration(len(groups)+1)).Truncate(time.Millisecond)
		p := &product{
			id:       hashID("product", g[0], 24),
			typ:      Physical,
			name:     fmt.Sprintf("Product %s", g[0]),
			slug:     "product-" + strings.ToLower(g[0]),
			created:  modified.Add(-7 * 24 * time.Hour),
			modified: modified,
		}
		if len(g) > 1 {
			p.attrNames = []string{"Color"}
		}
		for k := 0; k <= gi%3; k++ {
			p.images = append(p.images, image{
				id:  hashID("image", fmt.Sprintf("%s/%d", g[0], k), 24),
				url: fmt.Sprintf("https://images.squarespace-cdn.com/content/v1/simsite/%s/image-%d.jpg", p.id, k+1),
				alt: fmt.Sprintf("%s, view %d", p.name, k+1),
			})
		}
		for vi, sku := range g {
			h := hashNum("stock", sku)
			v := &variant{id: uuidFor("variant", sku), sku: sku, product: p,
				price: 500 + int64(h%9500), quantity: 5 + int(h%60)}
			if len(g) > 1 {
				v.attrs = []string{colors[vi%len(colors)]}
			}
			st.addVariant(v)
			p.variants = append(p.variants, v)
		}
		st.products = append(st.products, p)
	}
	svc := &product{id: hashID("product", "service", 24), typ: Service, name: "Gift Wrapping",
		slug: "gift-wrapping", created: now.Add(-span), modified: now.Add(-span / 2).Truncate(time.Millisecond)}
	sv := &variant{id: uuidFor("variant", "SERVICE-WRAP"), sku: "SERVICE-WRAP", product: svc, price: 500, unlimited: true}
	svc.variants = []*variant{sv}
	st.addVariant(sv)
	st.products = append(st.products, svc)
	return st
}

func (st *store) addVariant(v *variant) {
	v.index = len(st.variants)
	st.variants = append(st.variants, v)
	st.byVarID[v.id] = v
	if _, taken := st.bySKU[v.sku]; !taken {
		st.bySKU[v.sku] = v
	}
}

// physical are the variants of physical products, in creation order.
func (st *store) physical() []*variant {
	var out []*variant
	for _, v := range st.variants {
		if v.product.typ == Physical {
			out = append(out, v)
		}
	}
	return out
}

func (st *store) add(o *order) {
	st.seq++
	o.id = fmt.Sprintf("5f%022x", st.seq)
	o.number = st.nextNum
	st.nextNum++
	for i := range o.lines {
		o.lines[i].id = fmt.Sprintf("%s%02x", o.id[:22], i)
	}
	st.orders = append(st.orders, o)
	st.byID[o.id] = o
	st.sorted = nil
}

func byModified[T any](key func(T) (time.Time, string)) func(a, b T) int {
	return func(a, b T) int {
		am, ai := key(a)
		bm, bi := key(b)
		if c := am.Compare(bm); c != 0 {
			return c
		}
		return cmp.Compare(ai, bi)
	}
}

func orderKey(o *order) (time.Time, string)     { return o.modified, o.id }
func productKey(p *product) (time.Time, string) { return p.modified, p.id }

func (st *store) ordersByModified() []*order {
	if st.sorted == nil {
		st.sorted = slices.Clone(st.orders)
		slices.SortFunc(st.sorted, byModified(orderKey))
	}
	return st.sorted
}

func (st *store) productsByModified() []*product {
	if st.psorted == nil {
		st.psorted = slices.Clone(st.products)
		slices.SortFunc(st.psorted, byModified(productKey))
	}
	return st.psorted
}

// lineFor makes an order line for sku; an unknown SKU makes a line with
// no variant, as a custom line would be.
func (st *store) lineFor(sku string, qty int) line {
	l := line{sku: sku, quantity: qty, name: sku, price: 1000}
	if v, ok := st.bySKU[sku]; ok {
		l.variantID, l.productID, l.name, l.price = v.id, v.product.id, v.product.name, v.price
	}
	return l
}

// Seed adds n orders in mixed statuses (about half PENDING, a third
// FULFILLED, the rest CANCELED), created over the 30 days before now and
// modified up to two days later (never after now). The same n and seed
// give the same orders relative to the clock. Seeded orders hold no stock
// and send no notifications: they are history.
func (s *Server) Seed(n int, seed int64) {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	now := s.stamp()
	s.mu.Lock()
	defer s.mu.Unlock()
	phys := s.st.physical()
	for range n {
		created := now.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Millisecond)
		modified := created.Add(time.Duration(r.Int64N(int64(48 * time.Hour)))).Truncate(time.Millisecond)
		if modified.After(now) {
			modified = now
		}
		status := Pending
		switch w := r.IntN(100); {
		case w >= 85:
			status = Canceled
		case w >= 50:
			status = Fulfilled
		}
		o := &order{created: created, modified: modified, status: status}
		for range 1 + r.IntN(4) {
			if len(phys) == 0 {
				break
			}
			o.lines = append(o.lines, s.st.lineFor(phys[r.IntN(len(phys))].sku, 1+r.IntN(3)))
		}
		s.st.add(o)
		o.email = fmt.Sprintf("customer%d@example.com", o.number)
	}
}

// CreateOrder adds a PENDING order modified now and returns its id. No
// lines means one line of the first SKU. The order takes its quantities
// from stock (never below zero), as a purchase on the site does. It sends
// order.create.
func (s *Server) CreateOrder(lines []cart.Line) string {
	now := s.stamp()
	s.mu.Lock()
	defer s.mu.Unlock()
	o := &order{created: now, modified: now, status: Pending, holds: true}
	for _, l := range lines {
		o.lines = append(o.lines, s.st.lineFor(l.SKU, max(l.Quantity, 1)))
	}
	if len(o.lines) == 0 {
		if phys := s.st.physical(); len(phys) > 0 {
			o.lines = []line{s.st.lineFor(phys[0].sku, 1)}
		}
	}
	for _, l := range o.lines {
		if v, ok := s.st.byVarID[l.variantID]; ok && !v.unlimited {
			v.quantity = max(v.quantity-l.quantity, 0)
		}
	}
	s.st.add(o)
	o.email = fmt.Sprintf("customer%d@example.com", o.number)
	s.notify(o, topicOrderCreate, "")
	return o.id
}

// Errors of the order operations.
var (
	ErrNotFound = errors.New("squarespacesim: no such order")
	ErrState    = errors.New("squarespacesim: the order is not PENDING")
)

// update changes a PENDING order with f and sends order.update naming the
// change.
func (s *Server) update(id, change string, f func(o *order)) error {
	now := s.stamp()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.st.byID[id]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if o.status != Pending {
		return fmt.Errorf("%w: %s is %s", ErrState, id, o.status)
	}
	f(o)
	o.modified = now
	s.st.sorted = nil
	s.notify(o, topicOrderUpdate, change)
	return nil
}

// CancelOrder cancels a PENDING order; an order that took stock puts it
// back (Squarespace offers to restock on cancel). It sends order.update
// with update CANCELED.
func (s *Server) CancelOrder(id string) error {
	return s.update(id, Canceled, func(o *order) {
		o.status = Canceled
		if o.holds {
			o.holds = false
			for _, l := range o.lines {
				if v, ok := s.st.byVarID[l.variantID]; ok && !v.unlimited {
					v.quantity += l.quantity
				}
			}
		}
	})
}

// FulfillOrder marks a PENDING order FULFILLED. It sends order.update
// with update FULFILLED.
func (s *Server) FulfillOrder(id string) error {
	return s.update(id, Fulfilled, func(o *order) {
		o.status = Fulfilled
		o.holds = false
	})
}

// Order is a copy of a simulated order.
type Order struct {
	ID         string
	Number     string
	Status     string
	Lines      []cart.Line
	CreatedOn  time.Time
	ModifiedOn time.Time
}

func (o *order) export() Order {
	out := Order{ID: o.id, Number: fmt.Sprint(o.number), Status: o.status, CreatedOn: o.created, ModifiedOn: o.modified}
	for _, l := range o.lines {
		out.Lines = append(out.Lines, cart.Line{SKU: l.sku, Quantity: l.quantity})
	}
	return out
}

// Order returns a copy of the order with the given id.
func (s *Server) Order(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.st.byID[id]
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

// Importable returns the ids of the PENDING orders (the default import
// filter) in creation order, whatever their modification time.
func (s *Server) Importable() []string { return s.WithStatus(Pending) }

// WithStatus returns the ids of the orders in the given status, in
// creation order.
func (s *Server) WithStatus(status string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, o := range s.st.orders {
		if o.status == status {
			ids = append(ids, o.id)
		}
	}
	return ids
}

// Quantities returns each physical SKU's stock quantity: what the site
// sells. Unlimited variants are left out.
func (s *Server) Quantities() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for sku, v := range s.st.bySKU {
		if v.product.typ == Physical && !v.unlimited {
			out[sku] = v.quantity
		}
	}
	return out
}

// SetQuantity sets sku's stock, as a change in the Squarespace admin
// would; false if no variant has the SKU.
func (s *Server) SetQuantity(sku string, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.st.bySKU[sku]
	if !ok {
		return false
	}
	v.quantity, v.unlimited = max(n, 0), false
	return true
}

// Links returns each physical SKU's product and variant id, as an import
// of products links them.
func (s *Server) Links() map[string]cart.Link {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]cart.Link{}
	for sku, v := range s.st.bySKU {
		if v.product.typ == Physical {
			out[sku] = cart.Link{ProductID: v.product.id, VariantID: v.id}
		}
	}
	return out
}

// SKUs returns the physical SKUs in catalog order.
func (s *Server) SKUs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, v := range s.st.physical() {
		out = append(out, v.sku)
	}
	return out
}

// TouchProduct marks the product selling sku modified now, as an edit in
// the Squarespace admin would; false if no variant has the SKU.
func (s *Server) TouchProduct(sku string) bool {
	now := s.stamp()
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.st.bySKU[sku]
	if !ok {
		return false
	}
	v.product.modified = now
	s.st.psorted = nil
	return true
}

// FailSKU makes the next times adjustment requests that touch sku's
// variant refuse it (a 400 naming the variant), which refuses the whole
// request, as any refused operation does. times ≤ 0 clears the fault.
func (s *Server) FailSKU(sku string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if times <= 0 {
		delete(s.st.failSKU, sku)
		return
	}
	s.st.failSKU[sku] = times
}
