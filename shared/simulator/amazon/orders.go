package amazonsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// Fulfillment statuses (orders_2026.json FulfillmentStatus).
const (
	PendingAvailability = "PENDING_AVAILABILITY"
	Pending             = "PENDING"
	Unshipped           = "UNSHIPPED"
	PartiallyShipped    = "PARTIALLY_SHIPPED"
	Shipped             = "SHIPPED"
	Cancelled           = "CANCELLED"
	Unfulfillable       = "UNFULFILLABLE"
)

var fulfillmentStatuses = []string{PendingAvailability, Pending, Unshipped, PartiallyShipped, Shipped, Cancelled, Unfulfillable}

// Who fulfills an order (fulfilledBy).
const (
	Merchant = "MERCHANT" // MFN, seller-fulfilled
	Amazon   = "AMAZON"   // AFN, FBA
)

var includedDataValues = []string{"BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION",
	"FULFILLMENT", "PACKAGES", "TAX", "PAYMENT", "FULFILLMENT_ORDERS"}

// fbaWindow is how far back FBAOrders looks (as the connector's FBALookback).
const fbaWindow = 30 * 24 * time.Hour

// lastUpdatedLag is how far before the request a before-bound must be
// (orders_2026.json: "at least two minutes before the time of the request").
const lastUpdatedLag = 2 * time.Minute

type order struct {
	id      string
	by      string // Merchant or Amazon
	status  string
	created time.Time
	updated time.Time
	items   []item
}

type item struct {
	id       string
	sku      string
	asin     string
	title    string
	quantity int
	shipped  int
	cents    int // unit price
}

// Order is a copy of one simulated order, for tests.
type Order struct {
	ID          string
	FulfilledBy string
	Status      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Lines       []cart.Line
	Total       string // proceeds grandTotal amount, "12.50"
}

func (o *order) total() int {
	c := 0
	for _, it := range o.items {
		c += it.quantity * it.cents
	}
	return c
}

func money(c int) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

func (o *order) export() Order {
	out := Order{ID: o.id, FulfilledBy: o.by, Status: o.status, CreatedAt: o.created, UpdatedAt: o.updated, Total: money(o.total())}
	for _, it := range o.items {
		out.Lines = append(out.Lines, cart.Line{SKU: it.sku, Quantity: it.quantity})
	}
	return out
}

// newOrderID returns an unused Amazon-style order id. The caller holds s.mu.
func (s *Server) newOrderID() string {
	for {
		s.seq++
		id := fmt.Sprintf("%03d-%07d-%07d", 111+s.rnd.IntN(3), s.seq%10_000_000, s.rnd.IntN(10_000_000))
		if _, dup := s.byID[id]; !dup {
			return id
		}
	}
}

// add stores a new order with items for lines. The caller holds s.mu.
func (s *Server) add(by, status string, created, updated time.Time, lines []cart.Line) *order {
	o := &order{id: s.newOrderID(), by: by, status: status, created: created, updated: updated}
	for _, l := range lines {
		s.seq++
		it := item{id: fmt.Sprintf("%014d", 10_000_000_000_000+int64(s.seq)*7919%9_000_000_000_000), sku: l.SKU, quantity: l.Quantity, cents: 999, title: l.SKU}
		if li, ok := s.listings[l.SKU]; ok {
			it.asin, it.title, it.cents = li.asin, li.name, li.cents
		}
		switch status {
		case Shipped:
			it.shipped = it.quantity
		case PartiallyShipped:
			it.shipped = it.quantity / 2
		}
		o.items = append(o.items, it)
	}
	if status == PartiallyShipped && len(o.items) > 0 && o.items[0].shipped == 0 {
		// At least one unit shipped, at least one not.
		if o.items[0].quantity < 2 {
			o.items[0].quantity = 2
		}
		o.items[0].shipped = 1
	}
	s.orders = append(s.orders, o)
	s.byID[o.id] = o
	return o
}

// Seed adds n orders, deterministically for a seed and the clock's reading:
// about 60% merchant-fulfilled in mixed statuses (Pending, Unshipped,
// PartiallyShipped, Shipped, Cancelled) and 40% Amazon-fulfilled (mostly
// Shipped, within and beyond the last 30 days), updated between 5 minutes
// and 60 days ago; and FBA stock for every third SKU.
func (s *Server) Seed(n int, seed int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := rand.New(rand.NewPCG(uint64(seed), 0x0bde25))
	now := s.now().UTC().Truncate(time.Second)
	skus := s.opts.SKUs
	for range n {
		updated := now.Add(-5*time.Minute - time.Duration(r.Int64N(int64(60*24*time.Hour/time.Second)))*time.Second)
		created := updated.Add(-time.Duration(r.Int64N(int64(3*24*time.Hour/time.Second))) * time.Second)
		by, status := Merchant, ""
		if r.IntN(100) < 40 {
			by = Amazon
			switch p := r.IntN(100); {
			case p < 8:
				status = Pending
			case p < 92:
				status = Shipped
			default:
				status = Cancelled
			}
		} else {
			switch p := r.IntN(100); {
			case p < 5:
				status = Pending
			case p < 50:
				status = Unshipped
			case p < 60:
				status = PartiallyShipped
			case p < 88:
				status = Shipped
			default:
				status = Cancelled
			}
		}
		var lines []cart.Line
		for _, i := range r.Perm(len(skus))[:1+r.IntN(min(3, len(skus)))] {
			lines = append(lines, cart.Line{SKU: skus[i], Quantity: 1 + r.IntN(3)})
		}
		s.add(by, status, created, updated, lines)
	}
	for i, sku := range skus {
		if i%3 != 0 {
			continue
		}
		it := s.fbaItemFor(sku)
		it.fulfillable = r.IntN(150)
		it.inboundShipped = r.IntN(3) * 12
		it.reserved = r.IntN(4)
		it.unfulfillable = r.IntN(2)
		it.updated = now.Add(-time.Duration(r.IntN(72)) * time.Hour)
	}
}

// CreateOrder adds a merchant-fulfilled Unshipped order, created and
// updated now, and returns its id. Without lines it orders one of the first
// SKU. Like Amazon, searchOrders shows it once its update is two minutes
// old.
func (s *Server) CreateOrder(lines []cart.Line) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(lines) == 0 {
		lines = []cart.Line{{SKU: s.opts.SKUs[0], Quantity: 1}}
	}
	now := s.now().UTC().Truncate(time.Second)
	return s.add(Merchant, Unshipped, now, now, slices.Clone(lines)).id
}

// CreateFBAOrder adds an Amazon-fulfilled order shipped now. Like Amazon,
// it takes the units from the SKUs' fulfillable FBA stock, which changes
// now (getInventorySummaries' startDateTime finds it).
func (s *Server) CreateFBAOrder(lines []cart.Line) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(lines) == 0 {
		lines = []cart.Line{{SKU: s.opts.SKUs[0], Quantity: 1}}
	}
	now := s.now().UTC().Truncate(time.Second)
	for _, l := range lines {
		if it, ok := s.fba[l.SKU]; ok && it.fulfillable > 0 {
			it.fulfillable = max(it.fulfillable-l.Quantity, 0)
			it.updated = now
		}
	}
	return s.add(Amazon, Shipped, now, now, slices.Clone(lines)).id
}

// ErrNoOrder is returned for an unknown order id.
var ErrNoOrder = errors.New("amazonsim: no such order")

// CancelOrder cancels an order that has not shipped, updating it now.
func (s *Server) CancelOrder(id string) error {
	return s.update(id, func(o *order) error {
		if o.status == Shipped || o.status == PartiallyShipped {
			return fmt.Errorf("amazonsim: order %s has shipped items and cannot be cancelled", id)
		}
		o.status = Cancelled
		return nil
	})
}

// ShipOrder ships every item of an order that is not cancelled.
func (s *Server) ShipOrder(id string) error {
	return s.update(id, func(o *order) error {
		if o.status == Cancelled {
			return fmt.Errorf("amazonsim: order %s is cancelled", id)
		}
		o.status = Shipped
		for i := range o.items {
			o.items[i].shipped = o.items[i].quantity
		}
		return nil
	})
}

// SetOrderStatus sets an order's status as it is, updating it now.
func (s *Server) SetOrderStatus(id, status string) error {
	if !slices.Contains(fulfillmentStatuses, status) {
		return fmt.Errorf("amazonsim: %q is not a fulfillment status", status)
	}
	return s.update(id, func(o *order) error { o.status = status; return nil })
}

// TouchOrder marks an order updated now without changing it.
func (s *Server) TouchOrder(id string) error {
	return s.update(id, func(*order) error { return nil })
}

func (s *Server) update(id string, f func(o *order) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.byID[id]
	if !ok {
		return ErrNoOrder
	}
	if err := f(o); err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Second)
	if now.After(o.updated) {
		o.updated = now
	} else {
		o.updated = o.updated.Add(time.Second)
	}
	return nil
}

// Order returns a copy of one order.
func (s *Server) Order(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.byID[id]
	if !ok {
		return Order{}, false
	}
	return o.export(), true
}

// Orders returns copies of every order.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, len(s.orders))
	for i, o := range s.orders {
		out[i] = o.export()
	}
	return out
}

// Importable returns the ids of the merchant-fulfilled orders imported by
// default: Unshipped and PartiallyShipped, written out here
// independently of the connector's list.
func (s *Server) Importable() []string {
	return s.ids(func(o *order, _ time.Time) bool {
		return o.by == Merchant && (o.status == Unshipped || o.status == PartiallyShipped)
	})
}

// FBAOrders returns the ids of the Amazon-fulfilled orders shipped in the
// last 30 days.
func (s *Server) FBAOrders() []string {
	return s.ids(func(o *order, now time.Time) bool {
		return o.by == Amazon && o.status == Shipped && !o.updated.Before(now.Add(-fbaWindow))
	})
}

func (s *Server) ids(keep func(o *order, now time.Time) bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var out []string
	for _, o := range s.orders {
		if keep(o, now) {
			out = append(out, o.id)
		}
	}
	return out
}

// Wire shapes of orders_2026.json.
type (
	moneyJSON struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	}
	salesChannelJSON struct {
		ChannelName     string `json:"channelName"`
		MarketplaceID   string `json:"marketplaceId"`
		MarketplaceName string `json:"marketplaceName"`
	}
	orderFulfillmentJSON struct {
		FulfillmentStatus       string `json:"fulfillmentStatus"`
		FulfilledBy             string `json:"fulfilledBy"`
		FulfillmentServiceLevel string `json:"fulfillmentServiceLevel"`
	}
	orderProceedsJSON struct {
		GrandTotal moneyJSON `json:"grandTotal"`
	}
	itemProductJSON struct {
		Asin      string `json:"asin,omitempty"`
		Title     string `json:"title"`
		SellerSku string `json:"sellerSku"`
		Condition struct {
			ConditionType string `json:"conditionType"`
		} `json:"condition"`
		Price struct {
			UnitPrice moneyJSON `json:"unitPrice"`
		} `json:"price"`
	}
	itemFulfillmentJSON struct {
		QuantityFulfilled   int `json:"quantityFulfilled"`
		QuantityUnfulfilled int `json:"quantityUnfulfilled"`
	}
	itemProceedsJSON struct {
		ProceedsTotal moneyJSON `json:"proceedsTotal"`
	}
	orderItemJSON struct {
		OrderItemID     string               `json:"orderItemId"`
		QuantityOrdered int                  `json:"quantityOrdered"`
		Product         itemProductJSON      `json:"product"`
		Proceeds        *itemProceedsJSON    `json:"proceeds,omitempty"`
		Fulfillment     *itemFulfillmentJSON `json:"fulfillment,omitempty"`
	}
	orderJSON struct {
		OrderID         string                `json:"orderId"`
		CreatedTime     string                `json:"createdTime"`
		LastUpdatedTime string                `json:"lastUpdatedTime"`
		Programs        []string              `json:"programs"`
		SalesChannel    salesChannelJSON      `json:"salesChannel"`
		Proceeds        *orderProceedsJSON    `json:"proceeds,omitempty"`
		Fulfillment     *orderFulfillmentJSON `json:"fulfillment,omitempty"`
		OrderItems      []orderItemJSON       `json:"orderItems"`
	}
	paginationJSON struct {
		NextToken string `json:"nextToken"`
	}
	searchOrdersJSON struct {
		Orders            []orderJSON     `json:"orders"`
		Pagination        *paginationJSON `json:"pagination,omitempty"`
		LastUpdatedBefore string          `json:"lastUpdatedBefore,omitempty"`
		CreatedBefore     string          `json:"createdBefore,omitempty"`
	}
)

func (s *Server) orderJSON(o *order, proceeds, fulfillment bool) orderJSON {
	out := orderJSON{
		OrderID: o.id, CreatedTime: iso(o.created), LastUpdatedTime: iso(o.updated), Programs: []string{},
		SalesChannel: salesChannelJSON{ChannelName: "AMAZON", MarketplaceID: s.opts.MarketplaceID, MarketplaceName: "Amazon.com"},
	}
	if proceeds {
		out.Proceeds = &orderProceedsJSON{GrandTotal: moneyJSON{money(o.total()), "USD"}}
	}
	if fulfillment {
		out.Fulfillment = &orderFulfillmentJSON{FulfillmentStatus: o.status, FulfilledBy: o.by, FulfillmentServiceLevel: "STANDARD"}
	}
	for _, it := range o.items {
		j := orderItemJSON{OrderItemID: it.id, QuantityOrdered: it.quantity}
		j.Product.Asin, j.Product.Title, j.Product.SellerSku = it.asin, it.title, it.sku
		j.Product.Condition.ConditionType = "NEW"
		j.Product.Price.UnitPrice = moneyJSON{money(it.cents), "USD"}
		if proceeds {
			j.Proceeds = &itemProceedsJSON{ProceedsTotal: moneyJSON{money(it.cents * it.quantity), "USD"}}
		}
		if fulfillment {
			j.Fulfillment = &itemFulfillmentJSON{QuantityFulfilled: it.shipped, QuantityUnfulfilled: it.quantity - it.shipped}
		}
		out.OrderItems = append(out.OrderItems, j)
	}
	return out
}

func invalid(w http.ResponseWriter, message string) {
	writeErrors(w, http.StatusBadRequest, "InvalidInput", message, "")
}

// searchOrders is GET /orders/2026-01-01/orders (orders_2026.json).
func (s *Server) searchOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ca, cb, ua, ub := q.Get("createdAfter"), q.Get("createdBefore"), q.Get("lastUpdatedAfter"), q.Get("lastUpdatedBefore")
	byCreation := ca != ""
	switch {
	case (ca == "") == (ua == ""):
		invalid(w, "Exactly one of createdAfter and lastUpdatedAfter must be provided.")
		return
	case byCreation && ub != "", !byCreation && cb != "":
		invalid(w, "createdAfter and createdBefore cannot be combined with lastUpdatedAfter or lastUpdatedBefore.")
		return
	}
	afterName, beforeName, afterV, beforeV := "lastUpdatedAfter", "lastUpdatedBefore", ua, ub
	if byCreation {
		afterName, beforeName, afterV, beforeV = "createdAfter", "createdBefore", ca, cb
	}
	after, ok := parseTime(afterV)
	if !ok {
		invalid(w, fmt.Sprintf("%s is not an ISO 8601 date-time.", afterName))
		return
	}
	s.mu.Lock()
	now := s.now()
	s.mu.Unlock()
	latest := now.Add(-lastUpdatedLag)
	before := latest
	if beforeV != "" {
		if before, ok = parseTime(beforeV); !ok {
			invalid(w, fmt.Sprintf("%s is not an ISO 8601 date-time.", beforeName))
			return
		}
		if before.Before(after) {
			invalid(w, fmt.Sprintf("%s must be equal to or after %s.", beforeName, afterName))
			return
		}
		if before.After(latest) {
			invalid(w, fmt.Sprintf("%s must be at least two minutes before the time of the request.", beforeName))
			return
		}
	} else if after.After(latest) {
		invalid(w, fmt.Sprintf("%s must be at least two minutes before the time of the request.", afterName))
		return
	}
	statuses, by, markets, included := listParam(r, "fulfillmentStatuses"), listParam(r, "fulfilledBy"), listParam(r, "marketplaceIds"), listParam(r, "includedData")
	for _, v := range statuses {
		if !slices.Contains(fulfillmentStatuses, v) {
			invalid(w, fmt.Sprintf("%q is not a valid fulfillmentStatuses value.", v))
			return
		}
	}
	for _, v := range by {
		if v != Merchant && v != Amazon {
			invalid(w, fmt.Sprintf("%q is not a valid fulfilledBy value.", v))
			return
		}
	}
	for _, v := range included {
		if !slices.Contains(includedDataValues, v) {
			invalid(w, fmt.Sprintf("%q is not a valid includedData value.", v))
			return
		}
	}
	if len(markets) > 50 {
		invalid(w, "marketplaceIds accepts at most 50 values.")
		return
	}
	size := 100
	if v := q.Get("maxResultsPerPage"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			invalid(w, "maxResultsPerPage must be between 1 and 100.")
			return
		}
		size = n
	}
	query := strings.Join([]string{afterName, afterV, beforeName, beforeV, canonical(statuses), canonical(by), canonical(markets)}, "|")

	s.mu.Lock()
	defer s.mu.Unlock()
	var from *sortKey
	if tok := q.Get("paginationToken"); tok != "" {
		t, msg := s.useToken(now, tok, OpSearchOrders, query)
		if t == nil {
			invalid(w, msg)
			return
		}
		from = &t.after
	}
	key := func(o *order) sortKey {
		if byCreation {
			return sortKey{t: o.created, id: o.id}
		}
		return sortKey{t: o.updated, id: o.id}
	}
	var match []*order
	if len(markets) == 0 || slices.Contains(markets, s.opts.MarketplaceID) {
		for _, o := range s.orders {
			k := key(o)
			if k.t.Before(after) || k.t.After(before) ||
				(len(statuses) > 0 && !slices.Contains(statuses, o.status)) ||
				(len(by) > 0 && !slices.Contains(by, o.by)) ||
				(from != nil && !from.less(k)) {
				continue
			}
			match = append(match, o)
		}
	}
	slices.SortFunc(match, func(a, b *order) int {
		if key(a).less(key(b)) {
			return -1
		}
		return 1
	})
	resp := searchOrdersJSON{Orders: []orderJSON{}}
	if byCreation {
		resp.CreatedBefore = iso(before)
	} else {
		resp.LastUpdatedBefore = iso(before)
	}
	page := match[:min(size, len(match))]
	proceeds, fulfillment := slices.Contains(included, "PROCEEDS"), slices.Contains(included, "FULFILLMENT")
	for _, o := range page {
		resp.Orders = append(resp.Orders, s.orderJSON(o, proceeds, fulfillment))
	}
	if len(match) > len(page) {
		resp.Pagination = &paginationJSON{NextToken: s.issueToken(now, pageToken{op: OpSearchOrders, query: query, after: key(page[len(page)-1])}, s.opts.NextTokenTTL)}
	}
	writeJSON(w, http.StatusOK, resp)
}
