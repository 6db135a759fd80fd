package shopifysim

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

// Display statuses, as the GraphQL enums OrderDisplayFinancialStatus and
// OrderDisplayFulfillmentStatus spell them.
const (
	Pending           = "PENDING"
	Authorized        = "AUTHORIZED"
	PartiallyPaid     = "PARTIALLY_PAID"
	Paid              = "PAID"
	PartiallyRefunded = "PARTIALLY_REFUNDED"
	Refunded          = "REFUNDED"
	Voided            = "VOIDED"

	Unfulfilled        = "UNFULFILLED"
	PartiallyFulfilled = "PARTIALLY_FULFILLED"
	Fulfilled          = "FULFILLED"
	OnHold             = "ON_HOLD"
)

// Order is a copy of one simulated order, for tests.
type Order struct {
	ID                string // legacyResourceId
	GID               string // gid://shopify/Order/{ID}
	Name              string // "#1001"
	CreatedAt         time.Time
	UpdatedAt         time.Time
	CancelledAt       time.Time // zero unless cancelled
	Closed            bool
	FinancialStatus   string // displayFinancialStatus
	FulfillmentStatus string // displayFulfillmentStatus
	Total             string
	Currency          string
	Tags              []string
	Lines             []cart.Line
}

type order struct {
	id          int64
	number      int
	createdAt   time.Time
	updatedAt   time.Time
	cancelledAt time.Time
	closedAt    time.Time
	closed      bool
	financial   string
	fulfillment string
	currency    string
	tags        []string
	lines       []lineItem
	// committed says the order holds stock (CreateOrder): available was
	// taken at creation and is given back on cancel, or leaves on_hand on
	// fulfillment. Seeded orders are history and hold none.
	committed bool
}

// lineItem is one line of an order. quantity is what was ordered, as
// LineItem.quantity reports it ("including refunded and removed units");
// removed are the units an edit or refund took off since, which
// currentQuantity ("excluding refunded and removed units") leaves out.
type lineItem struct {
	id       int64
	sku      string
	quantity int
	removed  int
}

// current is the line's currentQuantity.
func (l lineItem) current() int { return l.quantity - l.removed }

func (o *order) name() string { return "#" + strconv.Itoa(o.number) }
func (o *order) gid() string  { return "gid://shopify/Order/" + strconv.FormatInt(o.id, 10) }

// total prices every SKU by its number so totals are deterministic.
func (o *order) total() string {
	cents := 0
	for _, l := range o.lines {
		cents += l.quantity * unitPrice(l.sku)
	}
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}

func unitPrice(sku string) int {
	n := 0
	for _, c := range sku {
		n = (n*31 + int(c)) % 9000
	}
	return 500 + n
}

// importable is the default import filter: open, paid or
// authorized, unfulfilled or partially fulfilled. It is written out here,
// not as a search, so that tests check the connector's search against an
// independent statement of the rule.
func (o *order) importable() bool {
	return !o.closed && o.cancelledAt.IsZero() &&
		(o.financial == Paid || o.financial == Authorized) &&
		(o.fulfillment == Unfulfilled || o.fulfillment == PartiallyFulfilled)
}

func (o *order) export() Order {
	// The units still ordered: a line whose units were all removed is
	// left out.
	var lines []cart.Line
	for _, l := range o.lines {
		if l.current() > 0 {
			lines = append(lines, cart.Line{SKU: l.sku, Quantity: l.current()})
		}
	}
	return Order{
		ID:                strconv.FormatInt(o.id, 10),
		GID:               o.gid(),
		Name:              o.name(),
		CreatedAt:         o.createdAt,
		UpdatedAt:         o.updatedAt,
		CancelledAt:       o.cancelledAt,
		Closed:            o.closed,
		FinancialStatus:   o.financial,
		FulfillmentStatus: o.fulfillment,
		Total:             o.total(),
		Currency:          o.currency,
		Tags:              slices.Clone(o.tags),
		Lines:             lines,
	}
}

// store holds the shop's state. Orders are kept in creation order (ids
// ascend); products and inventory sit beside them.
type store struct {
	orders     []*order
	byID       map[int64]*order
	nextOrder  int64
	nextLine   int64
	nextNumber int
	cat        catalog
}

func newStore(now time.Time) *store {
	// Ids above 2^32 catch connectors that parse them into 32-bit ints.
	st := &store{byID: map[int64]*order{}, nextOrder: 5_100_000_001, nextLine: 13_700_000_001, nextNumber: 1001}
	st.cat.init(now)
	return st
}

func (st *store) add(o *order) {
	o.id = st.nextOrder
	st.nextOrder++
	o.number = st.nextNumber
	st.nextNumber++
	for i := range o.lines {
		o.lines[i].id = st.nextLine
		st.nextLine++
	}
	st.orders = append(st.orders, o)
	st.byID[o.id] = o
}

// seedKind is one status mix of seeded orders; weights sum to 100.
type seedKind struct {
	weight      int
	closed      bool
	cancelled   bool
	financial   string
	fulfillment string
}

var seedKinds = []seedKind{
	{weight: 40, financial: Paid, fulfillment: Unfulfilled},
	{weight: 8, financial: Authorized, fulfillment: Unfulfilled},
	{weight: 6, financial: Paid, fulfillment: PartiallyFulfilled},
	{weight: 4, financial: Authorized, fulfillment: PartiallyFulfilled},
	{weight: 6, financial: Pending, fulfillment: Unfulfilled},
	{weight: 3, financial: PartiallyPaid, fulfillment: Unfulfilled},
	{weight: 3, financial: Paid, fulfillment: OnHold},
	{weight: 15, closed: true, financial: Paid, fulfillment: Fulfilled},
	{weight: 3, financial: Paid, fulfillment: Fulfilled},
	{weight: 3, closed: true, financial: Refunded, fulfillment: Unfulfilled},
	{weight: 2, closed: true, financial: PartiallyRefunded, fulfillment: Fulfilled},
	{weight: 4, closed: true, cancelled: true, financial: Voided, fulfillment: Unfulfilled},
	{weight: 3, closed: true, cancelled: true, financial: Refunded, fulfillment: Unfulfilled},
}

var seedTags = []string{"wholesale", "gift", "vip", "rush", "pos"}

// Seed adds n orders in mixed statuses, created over the 30 days before
// now. The same n and seed give the same orders relative to the clock.
// The first Seed also gives every SKU (Options.SKUs) a product variant with
// stock at the primary location, and each product one to three images, so
// that what orders sell is in the catalog. Seeded quantities are the stock
// after the seeded orders: those orders hold none.
func (s *Server) Seed(n int, seed int64) {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.st.cat.products) == 0 {
		// A stream of its own, so the orders a seed gives do not depend
		// on whether products were seeded too.
		s.st.cat.seedProducts(rand.New(rand.NewPCG(uint64(seed), 0x9c0d)), s.skus, now)
	}
	for range n {
		k := pickKind(r)
		created := now.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Second)
		updated := created.Add(time.Duration(r.Int64N(int64(48 * time.Hour)))).Truncate(time.Second)
		if updated.After(now) {
			updated = now
		}
		o := &order{
			createdAt:   created,
			updatedAt:   updated,
			closed:      k.closed,
			financial:   k.financial,
			fulfillment: k.fulfillment,
			currency:    "USD",
			lines:       seedLines(r, s.skus),
		}
		if k.closed {
			o.closedAt = updated
		}
		if k.cancelled {
			o.cancelledAt = updated
		}
		for _, t := range seedTags {
			if r.IntN(8) == 0 {
				o.tags = append(o.tags, t)
			}
		}
		s.st.add(o)
	}
}

func pickKind(r *rand.Rand) seedKind {
	w := r.IntN(100)
	for _, k := range seedKinds {
		if w < k.weight {
			return k
		}
		w -= k.weight
	}
	return seedKinds[0]
}

// seedLines gives most orders one to four lines and a few more than a
// connector's first page of line items, so line paging gets exercised.
func seedLines(r *rand.Rand, skus []string) []lineItem {
	n := 1 + r.IntN(4)
	if r.IntN(50) == 0 {
		n = 11 + r.IntN(5)
	}
	lines := make([]lineItem, n)
	for i := range lines {
		lines[i] = lineItem{sku: skus[r.IntN(len(skus))], quantity: 1 + r.IntN(3)}
	}
	return lines
}

// CreateOrder adds an importable order (open, paid, unfulfilled) updated
// now and returns its id. No lines means one line of the first SKU. The
// order commits its lines' stock at the primary location, as a Shopify
// order does: available drops by the quantities ordered.
func (s *Server) CreateOrder(lines []cart.Line) string {
	now := s.now().UTC().Truncate(time.Second)
	o := &order{createdAt: now, updatedAt: now, financial: Paid, fulfillment: Unfulfilled, currency: "USD", committed: true}
	for _, l := range lines {
		o.lines = append(o.lines, lineItem{sku: l.SKU, quantity: l.Quantity})
	}
	if len(o.lines) == 0 {
		o.lines = []lineItem{{sku: s.skus[0], quantity: 1}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.add(o)
	for _, l := range o.lines {
		s.st.cat.commit(l.sku, l.quantity, now)
	}
	s.orderEvent(o, "orders/create", "orders/paid")
	return strconv.FormatInt(o.id, 10)
}

// ErrNotFound is returned for an unknown order id.
var ErrNotFound = errors.New("shopifysim: no such order")

// update changes an order with f and sends topics for it.
func (s *Server) update(id string, f func(o *order, now time.Time) error, topics ...string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.st.byID[n]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err := f(o, now); err != nil {
		return err
	}
	o.updatedAt = now
	s.orderEvent(o, topics...)
	return nil
}

// CancelOrder cancels an order, voiding or refunding its payment and
// archiving it, as cancelling in the Shopify admin does.
func (s *Server) CancelOrder(id string) error {
	return s.update(id, func(o *order, now time.Time) error {
		if !o.cancelledAt.IsZero() {
			return fmt.Errorf("shopifysim: order %s is already cancelled", id)
		}
		if o.fulfillment == Fulfilled {
			return fmt.Errorf("shopifysim: order %s is fulfilled and cannot be cancelled", id)
		}
		o.cancelledAt = now
		o.closed, o.closedAt = true, now
		s.release(o, now, false)
		switch o.financial {
		case Paid, PartiallyPaid, PartiallyRefunded:
			o.financial = Refunded
		case Pending, Authorized:
			o.financial = Voided
		}
		return nil
	}, "orders/cancelled", "orders/updated")
}

// FulfillOrder fulfills every line; a paid order is then archived, as
// Shopify does by default.
func (s *Server) FulfillOrder(id string) error {
	return s.update(id, func(o *order, now time.Time) error {
		if !o.cancelledAt.IsZero() {
			return fmt.Errorf("shopifysim: order %s is cancelled and cannot be fulfilled", id)
		}
		o.fulfillment = Fulfilled
		s.release(o, now, true)
		if o.financial == Paid {
			o.closed, o.closedAt = true, now
		}
		return nil
	}, "orders/fulfilled", "orders/updated")
}

// release ends an order's hold on stock: shipped units leave on_hand,
// cancelled ones become available again. The caller holds s.mu.
func (s *Server) release(o *order, now time.Time, shipped bool) {
	if !o.committed {
		return
	}
	o.committed = false
	for _, l := range o.lines {
		// Removed units were given back when they were removed.
		if shipped {
			s.st.cat.ship(l.sku, l.current(), now)
		} else {
			s.st.cat.commit(l.sku, -l.current(), now)
		}
	}
}

// RemoveUnits takes n units of sku off an unfulfilled order, as an order
// edit that removes them (or a refund of unfulfilled units, restocked)
// does: the lines keep the quantity ordered and their currentQuantity
// drops, first line first; a line may drop to 0 and stays on the order.
// The units become available again at the primary location when the order
// holds stock. It sends orders/updated.
func (s *Server) RemoveUnits(id, sku string, n int) error {
	return s.update(id, func(o *order, now time.Time) error {
		if !o.cancelledAt.IsZero() || o.fulfillment == Fulfilled {
			return fmt.Errorf("shopifysim: order %s is cancelled or fulfilled", id)
		}
		have := 0
		for _, l := range o.lines {
			if l.sku == sku {
				have += l.current()
			}
		}
		if n <= 0 || n > have {
			return fmt.Errorf("shopifysim: order %s has %d units of %q; cannot remove %d", id, have, sku, n)
		}
		left := n
		for i := range o.lines {
			l := &o.lines[i]
			if l.sku != sku || left == 0 {
				continue
			}
			k := min(left, l.current())
			l.removed += k
			left -= k
		}
		if o.committed {
			s.st.cat.commit(sku, -n, now)
		}
		return nil
	}, "orders/updated")
}

// Order returns a copy of the order with the given id.
func (s *Server) Order(id string) (Order, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return Order{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.st.byID[n]
	if !ok {
		return Order{}, false
	}
	return o.export(), true
}

// Importable returns the ids of the orders the default import filter
// selects, in creation order, whatever their update time.
func (s *Server) Importable() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []string
	for _, o := range s.st.orders {
		if o.importable() {
			ids = append(ids, strconv.FormatInt(o.id, 10))
		}
	}
	return ids
}

// Orders returns copies of all orders in creation order.
func (s *Server) Orders() []Order {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Order, len(s.st.orders))
	for i, o := range s.st.orders {
		out[i] = o.export()
	}
	return out
}

// searchWarning is reported in extensions.search, as Shopify reports
// search terms it ignored.
type searchWarning struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// orderPred is a compiled search; nil matches every order.
type orderPred = func(o *order) bool

// compileOrderSearch turns a parsed search into a predicate over orders.
// Terms on fields orders cannot be searched by are dropped with a warning,
// as Shopify drops them, so they neither match nor exclude.
func compileOrderSearch(e searchExpr) (orderPred, []searchWarning) {
	return compileSearch(e, orderTerm)
}

// compileSearch turns a parsed search into a predicate over T, compiling
// each term with term. A term compiled to nil is dropped.
func compileSearch[T any](e searchExpr, term func(*termExpr) (func(T) bool, string)) (func(T) bool, []searchWarning) {
	var warns []searchWarning
	var compile func(e searchExpr) func(T) bool
	compile = func(e searchExpr) func(T) bool {
		switch e := e.(type) {
		case nil:
			return nil
		case *andExpr:
			l, r := compile(e.left), compile(e.right)
			if l == nil || r == nil {
				return either(l, r)
			}
			return func(o T) bool { return l(o) && r(o) }
		case *orExpr:
			l, r := compile(e.left), compile(e.right)
			if l == nil || r == nil {
				return either(l, r)
			}
			return func(o T) bool { return l(o) || r(o) }
		case *notExpr:
			x := compile(e.x)
			if x == nil {
				return nil
			}
			return func(o T) bool { return !x(o) }
		case *termExpr:
			p, w := term(e)
			if w != "" {
				warns = append(warns, searchWarning{Field: e.field, Message: w})
			}
			return p
		}
		return nil
	}
	return compile(e), warns
}

func never[T any](T) bool { return false }

// either returns whichever of l and r is set, for a connective that lost a
// dropped term.
func either[T any](l, r func(T) bool) func(T) bool {
	if l != nil {
		return l
	}
	return r
}

// orderTerm compiles one term. A warning with a nil predicate drops the
// term; a warning with a predicate keeps it (an unusable value matches
// nothing, as Shopify returns nothing for it).
func orderTerm(t *termExpr) (orderPred, string) {
	v := strings.ToLower(t.value)
	equality := t.op == ":"
	switch t.field {
	case "":
		return func(o *order) bool {
			if strings.Contains(strings.ToLower(o.name()), v) {
				return true
			}
			return slices.ContainsFunc(o.tags, func(tag string) bool { return strings.Contains(strings.ToLower(tag), v) })
		}, ""
	case "updated_at", "created_at", "processed_at":
		at, day, err := parseSearchTime(t.value)
		if err != nil {
			return never[*order], fmt.Sprintf("Invalid date value %q.", t.value)
		}
		get := func(o *order) time.Time { return o.updatedAt }
		if t.field != "updated_at" {
			get = func(o *order) time.Time { return o.createdAt }
		}
		return timeCompare(get, t.op, at, day), ""
	case "id":
		n, err := strconv.ParseInt(t.value, 10, 64)
		if err != nil {
			return never[*order], fmt.Sprintf("Invalid id value %q.", t.value)
		}
		return func(o *order) bool { return compareInt(o.id, t.op, n) }, ""
	}
	if !equality {
		switch t.field {
		case "status", "financial_status", "fulfillment_status", "tag", "name":
			return never[*order], fmt.Sprintf("Comparator %q is not supported for field %q.", t.op, t.field)
		}
	}
	switch t.field {
	case "status":
		switch v {
		case "open":
			return func(o *order) bool { return !o.closed && o.cancelledAt.IsZero() }, ""
		case "closed":
			return func(o *order) bool { return o.closed }, ""
		case "cancelled":
			return func(o *order) bool { return !o.cancelledAt.IsZero() }, ""
		case "not_closed":
			return func(o *order) bool { return !o.closed }, ""
		case "any":
			return func(*order) bool { return true }, ""
		}
	case "financial_status":
		switch v {
		case "authorized", "paid", "partially_paid", "partially_refunded", "pending", "refunded", "voided", "expired":
			want := strings.ToUpper(v)
			return func(o *order) bool { return o.financial == want }, ""
		}
	case "fulfillment_status":
		var want []string
		switch v {
		case "unshipped":
			want = []string{Unfulfilled}
		case "partial":
			want = []string{PartiallyFulfilled}
		case "shipped", "fulfilled":
			want = []string{Fulfilled}
		case "unfulfilled":
			// REST's meaning (Shopify's REST order reference): not yet fully shipped.
			want = []string{Unfulfilled, PartiallyFulfilled}
		case "on_hold", "scheduled", "request_declined":
			want = []string{strings.ToUpper(v)}
		}
		if want != nil {
			return func(o *order) bool { return slices.Contains(want, o.fulfillment) }, ""
		}
	case "tag":
		return func(o *order) bool {
			return slices.ContainsFunc(o.tags, func(tag string) bool { return strings.EqualFold(tag, t.value) })
		}, ""
	case "name":
		want := strings.TrimPrefix(v, "#")
		return func(o *order) bool { return strconv.Itoa(o.number) == want }, ""
	default:
		return nil, "Invalid search field for this query."
	}
	return never[*order], fmt.Sprintf("Invalid value %q for field %q.", t.value, t.field)
}

// parseSearchTime accepts the forms Shopify documents for dates: a full
// ISO 8601 time (a zone-less one is taken as UTC, the simulated shop's
// zone) or a bare date, reported as day=true.
func parseSearchTime(s string) (at time.Time, day bool, err error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if at, err = time.Parse(layout, s); err == nil {
			return at, false, nil
		}
	}
	at, err = time.Parse(time.DateOnly, s)
	return at, err == nil, err
}

func timeCompare[T any](get func(T) time.Time, op string, at time.Time, day bool) func(T) bool {
	end := at
	if day {
		end = at.AddDate(0, 0, 1) // a bare date covers the whole day
	}
	switch op {
	case ":<":
		return func(o T) bool { return get(o).Before(at) }
	case ":<=":
		if day {
			return func(o T) bool { return get(o).Before(end) }
		}
		return func(o T) bool { return !get(o).After(at) }
	case ":>":
		if day {
			return func(o T) bool { return !get(o).Before(end) }
		}
		return func(o T) bool { return get(o).After(at) }
	case ":>=":
		return func(o T) bool { return !get(o).Before(at) }
	}
	if day {
		return func(o T) bool { t := get(o); return !t.Before(at) && t.Before(end) }
	}
	return func(o T) bool { return get(o).Equal(at) }
}

func compareInt(a int64, op string, b int64) bool {
	switch op {
	case ":<":
		return a < b
	case ":<=":
		return a <= b
	case ":>":
		return a > b
	case ":>=":
		return a >= b
	}
	return a == b
}
