package bigcommercesim

import (
	"cmp"
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

// Order status ids (GET /v2/order_statuses).
const (
	Incomplete                 = 0
	Pending                    = 1
	Shipped                    = 2
	PartiallyShipped           = 3
	Refunded                   = 4
	Cancelled                  = 5
	Declined                   = 6
	AwaitingPayment            = 7
	AwaitingPickup             = 8
	AwaitingShipment           = 9
	Completed                  = 10
	AwaitingFulfillment        = 11
	ManualVerificationRequired = 12
	Disputed                   = 13
	PartiallyRefunded          = 14
)

// StatusNames are the system labels of the status ids.
var StatusNames = map[int]string{
	Incomplete: "Incomplete", Pending: "Pending", Shipped: "Shipped", PartiallyShipped: "Partially Shipped",
	Refunded: "Refunded", Cancelled: "Cancelled", Declined: "Declined", AwaitingPayment: "Awaiting Payment",
	AwaitingPickup: "Awaiting Pickup", AwaitingShipment: "Awaiting Shipment", Completed: "Completed",
	AwaitingFulfillment: "Awaiting Fulfillment", ManualVerificationRequired: "Manual Verification Required",
	Disputed: "Disputed", PartiallyRefunded: "Partially Refunded",
}

// statusOrder is each status's sort_order in the control panel.
var statusOrder = map[int]int{0: 0, 1: 1, 7: 2, 11: 3, 9: 4, 8: 5, 3: 6, 10: 7, 2: 8, 5: 9, 6: 10, 4: 11, 13: 12, 12: 13, 14: 14}

// importable are the statuses imported by default (paid, not yet shipped), written out
// here independently of the connector's list.
var importable = []int{AwaitingFulfillment, AwaitingShipment, AwaitingPickup}

// maxConsignmentLines is how many line items a consignment embeds before
// BigCommerce truncates it with a __warning__ (bigcommerce/docs issue #960).
const maxConsignmentLines = 50

type order struct {
	id         int64
	status     int
	customerID int64
	created    time.Time
	modified   time.Time
	shipped    time.Time
	pickup     bool    // one pickup consignment instead of shipping ones
	split      int     // index of the first line of a second shipping consignment; 0 for one
	addr       []int64 // consignment ids
	lines      []line
}

type line struct {
	id        int64
	productID int64
	variantID int64
	sku       string
	name      string
	quantity  int
	price     int // cents
	shipped   int
}

// Order is a copy of one simulated order, for tests.
type Order struct {
	ID           string
	StatusID     int
	Status       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Lines        []cart.Line
	Total        string // total_inc_tax as BigCommerce writes it, "12.5000"
	Currency     string
	ItemsTotal   int
	ItemsShipped int
}

func (o *order) itemsTotal() int {
	n := 0
	for _, l := range o.lines {
		n += l.quantity
	}
	return n
}

func (o *order) itemsShipped() int {
	n := 0
	for _, l := range o.lines {
		n += l.shipped
	}
	return n
}

func (o *order) totalCents() int {
	c := 0
	for _, l := range o.lines {
		c += l.quantity * l.price
	}
	return c
}

func money4(c int) string { return fmt.Sprintf("%d.%02d00", c/100, c%100) }

func (o *order) export() Order {
	lines := make([]cart.Line, len(o.lines))
	for i, l := range o.lines {
		lines[i] = cart.Line{SKU: l.sku, Quantity: l.quantity}
	}
	return Order{
		ID: strconv.FormatInt(o.id, 10), StatusID: o.status, Status: StatusNames[o.status],
		CreatedAt: o.created, UpdatedAt: o.modified, Lines: lines, Total: money4(o.totalCents()),
		Currency: "USD", ItemsTotal: o.itemsTotal(), ItemsShipped: o.itemsShipped(),
	}
}

// add stores a new order, numbering it and its lines and consignments.
func (st *store) add(o *order) {
	o.id = st.nextOrder
	st.nextOrder++
	for i := range o.lines {
		o.lines[i].id = st.nextLine
		st.nextLine++
		if v := st.bySKU[o.lines[i].sku]; v != nil {
			o.lines[i].productID, o.lines[i].variantID = v.product.id, v.id
			o.lines[i].name = v.product.name
			o.lines[i].price = v.product.price
			if v.price != nil {
				o.lines[i].price = *v.price
			}
			if v.option != "" {
				o.lines[i].name += " (Size: " + v.option + ")"
			}
		} else {
			o.lines[i].name = "Custom item " + o.lines[i].sku
			o.lines[i].price = 1000
		}
	}
	n := 1
	if o.split > 0 {
		n = 2
	}
	for range n {
		o.addr = append(o.addr, st.nextAddr)
		st.nextAddr++
	}
	st.orders = append(st.orders, o)
	st.byOrder[o.id] = o
}

// seedKind is one status of seeded orders; weights sum to 100.
type seedKind struct {
	weight int
	status int
}

var seedKinds = []seedKind{
	{30, AwaitingFulfillment}, {14, AwaitingShipment}, {6, AwaitingPickup},
	{5, AwaitingPayment}, {3, Pending}, {1, Incomplete}, {2, ManualVerificationRequired},
	{15, Shipped}, {8, Completed}, {4, PartiallyShipped},
	{5, Cancelled}, {3, Refunded}, {1, Declined}, {1, Disputed}, {2, PartiallyRefunded},
}

// Seed adds n orders in mixed statuses (about half importable), created over
// the 30 days before now, selling the catalog's SKUs. The same n and seed
// give the same orders relative to the clock. About one order in 20,000 has
// more line items than a consignment embeds.
func (s *Server) Seed(n int, seed int64) {
	r := rng(seed, 0x5eed)
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	skus := make([]string, 0, len(s.st.bySKU))
	for _, p := range s.st.products {
		for _, v := range p.variants {
			skus = append(skus, v.sku)
		}
	}
	for range n {
		k := pickKind(r)
		created := now.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Second)
		modified := created.Add(time.Duration(r.Int64N(int64(48 * time.Hour)))).Truncate(time.Second)
		if modified.After(now) {
			modified = now
		}
		o := &order{status: k.status, customerID: 1 + r.Int64N(500), created: created, modified: modified,
			lines: seedLines(r, skus), pickup: k.status == AwaitingPickup}
		if !o.pickup && len(o.lines) > 1 && r.IntN(20) == 0 {
			o.split = 1 + r.IntN(len(o.lines)-1)
		}
		switch k.status {
		case Shipped, Completed:
			o.shipAll(modified)
		case PartiallyShipped:
			o.lines[0].shipped = o.lines[0].quantity
			if len(o.lines) == 1 {
				o.lines[0].shipped = o.lines[0].quantity - 1
			}
			o.shipped = modified
		case Disputed, PartiallyRefunded:
			if r.IntN(2) == 0 {
				o.shipAll(modified)
			}
		}
		s.st.add(o)
	}
}

func (o *order) shipAll(at time.Time) {
	for i := range o.lines {
		o.lines[i].shipped = o.lines[i].quantity
	}
	o.shipped = at
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

func seedLines(r *rand.Rand, skus []string) []line {
	n := 1 + r.IntN(4)
	if r.IntN(20000) == 0 {
		n = maxConsignmentLines + 1 + r.IntN(10)
	}
	lines := make([]line, n)
	for i := range lines {
		lines[i] = line{sku: skus[r.IntN(len(skus))], quantity: 1 + r.IntN(3)}
	}
	return lines
}

// CreateOrder adds an order Awaiting Fulfillment (11), created and modified
// now, and returns its id. No lines means one of the first SKU.
func (s *Server) CreateOrder(lines []cart.Line) string {
	now := s.now().UTC().Truncate(time.Second)
	o := &order{status: AwaitingFulfillment, customerID: 1, created: now, modified: now}
	for _, l := range lines {
		o.lines = append(o.lines, line{sku: l.SKU, quantity: l.Quantity})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(o.lines) == 0 {
		o.lines = []line{{sku: s.st.products[0].variants[0].sku, quantity: 1}}
	}
	s.st.add(o)
	s.publish("store/order/created", eventData{Type: "order", ID: o.id}, now)
	return strconv.FormatInt(o.id, 10)
}

// ErrNotFound is returned for an unknown order id.
var ErrNotFound = errors.New("bigcommercesim: no such order")

func (s *Server) update(id string, f func(o *order, now time.Time) error) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.st.byOrder[n]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	prev := o.status
	if err := f(o, now); err != nil {
		return err
	}
	o.modified = now
	// A status change fires both (bc_webhooks.v3.yml: store/order/updated
	// lists Status among its fields).
	s.publish("store/order/updated", eventData{Type: "order", ID: o.id}, now)
	if o.status != prev {
		s.publish("store/order/statusUpdated", eventData{Type: "order", ID: o.id,
			Status: &statusChange{Previous: prev, New: o.status}}, now)
	}
	return nil
}

// CancelOrder sets an order's status to Cancelled (5).
func (s *Server) CancelOrder(id string) error {
	return s.update(id, func(o *order, now time.Time) error {
		if o.status == Cancelled {
			return fmt.Errorf("bigcommercesim: order %s is already cancelled", id)
		}
		o.status = Cancelled
		return nil
	})
}

// ShipOrder ships every line and sets the status to Shipped (2).
func (s *Server) ShipOrder(id string) error {
	return s.update(id, func(o *order, now time.Time) error {
		switch o.status {
		case Cancelled, Refunded, Declined, Shipped, Completed:
			return fmt.Errorf("bigcommercesim: order %s is %s and cannot be shipped", id, StatusNames[o.status])
		}
		o.status = Shipped
		o.shipAll(now)
		return nil
	})
}

// SetOrderStatus sets any status, as a merchant may in the control panel.
func (s *Server) SetOrderStatus(id string, status int) error {
	if _, ok := StatusNames[status]; !ok {
		return fmt.Errorf("bigcommercesim: no status %d", status)
	}
	return s.update(id, func(o *order, now time.Time) error {
		o.status = status
		return nil
	})
}

// RecordTransaction records a captured payment on an order, as a payment
// provider does, and returns the transaction's id. It sends
// store/order/transaction/created only: the order itself is not changed.
func (s *Server) RecordTransaction(id string) (string, error) {
	n, err := s.orderEvent(id)
	if err != nil {
		return "", err
	}
	txn := strconv.FormatInt(176342342+n, 10)
	s.publish("store/order/transaction/created", eventData{Type: "transaction", OrderID: id, TransactionID: txn,
		TransactionStatus: "complete", TransactionType: "capture"}, s.now().UTC().Truncate(time.Second))
	return txn, nil
}

// SetOrderMetafield adds a metafield to an order, as an app may. It sends
// store/order/metafield/created only.
func (s *Server) SetOrderMetafield(id string) error {
	n, err := s.orderEvent(id)
	if err != nil {
		return err
	}
	s.publish("store/order/metafield/created", eventData{MetafieldID: n, ResourceID: id}, s.now().UTC().Truncate(time.Second))
	return nil
}

// orderEvent checks the order exists and numbers the event about it.
func (s *Server) orderEvent(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	s.mu.RLock()
	_, ok := s.st.byOrder[n]
	s.mu.RUnlock()
	if err != nil || !ok {
		return 0, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.txn++
	return s.hooks.txn, nil
}

// Order returns a copy of the order with the given id.
func (s *Server) Order(id string) (Order, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return Order{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.st.byOrder[n]
	if !ok {
		return Order{}, false
	}
	return o.export(), true
}

// Orders returns copies of all orders in id order.
func (s *Server) Orders() []Order {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Order, len(s.st.orders))
	for i, o := range s.st.orders {
		out[i] = o.export()
	}
	return out
}

// Importable returns the ids of the orders in the default import statuses
// (Awaiting Fulfillment 11, Awaiting Shipment 9, Awaiting Pickup 8), in id
// order, whatever their modification time.
func (s *Server) Importable() []string {
	return s.withStatus(importable...)
}

// WithStatus returns the ids of the orders in any of the statuses, in id
// order.
func (s *Server) WithStatus(statuses ...int) []string { return s.withStatus(statuses...) }

func (s *Server) withStatus(statuses ...int) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []string
	for _, o := range s.st.orders {
		if slices.Contains(statuses, o.status) {
			ids = append(ids, strconv.FormatInt(o.id, 10))
		}
	}
	return ids
}

// rfc2822 is how V2 writes times: "Wed, 10 Jan 2018 21:05:30 +0000".
func rfc2822(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC1123Z)
}

type resource struct {
	URL      string `json:"url"`
	Resource string `json:"resource"`
}

func (st *store) resource(path string) resource {
	return resource{URL: "https://api.bigcommerce.com/stores/" + st.hash + "/v2" + path, Resource: path}
}

type lineJSON struct {
	ID                   int64  `json:"id"`
	OrderID              int64  `json:"order_id"`
	ProductID            int64  `json:"product_id"`
	VariantID            int64  `json:"variant_id"`
	OrderAddressID       int64  `json:"order_address_id"`
	OrderPickupMethodID  int64  `json:"order_pickup_method_id"`
	Name                 string `json:"name"`
	SKU                  string `json:"sku"`
	Type                 string `json:"type"`
	BasePrice            string `json:"base_price"`
	PriceExTax           string `json:"price_ex_tax"`
	PriceIncTax          string `json:"price_inc_tax"`
	TotalExTax           string `json:"total_ex_tax"`
	TotalIncTax          string `json:"total_inc_tax"`
	Quantity             int    `json:"quantity"`
	QuantityShipped      int    `json:"quantity_shipped"`
	QuantityRefunded     int    `json:"quantity_refunded"`
	IsRefunded           bool   `json:"is_refunded"`
	ProductOptions       []any  `json:"product_options"`
	AppliedDiscounts     []any  `json:"applied_discounts"`
	IsBundledProduct     bool   `json:"is_bundled_product"`
	ParentOrderProductID *int64 `json:"parent_order_product_id"`
}

func (o *order) lineJSON(i int) lineJSON {
	l := o.lines[i]
	lj := lineJSON{
		ID: l.id, OrderID: o.id, ProductID: l.productID, VariantID: l.variantID, Name: l.name, SKU: l.sku, Type: "physical",
		BasePrice: money4(l.price), PriceExTax: money4(l.price), PriceIncTax: money4(l.price),
		TotalExTax: money4(l.price * l.quantity), TotalIncTax: money4(l.price * l.quantity),
		Quantity: l.quantity, QuantityShipped: l.shipped, ProductOptions: []any{}, AppliedDiscounts: []any{},
	}
	if o.pickup {
		lj.OrderPickupMethodID = o.addr[0]
	} else {
		lj.OrderAddressID = o.addr[o.consignmentOf(i)]
	}
	return lj
}

func (o *order) consignmentOf(i int) int {
	if o.split > 0 && i >= o.split {
		return 1
	}
	return 0
}

// consignments is the include=consignments(.line_items) object structure.
func (st *store) consignments(o *order, lineItems bool) map[string]any {
	items := func(c int) (any, bool) {
		var full []lineJSON
		var refs []resource
		for i := range o.lines {
			if o.consignmentOf(i) != c && !o.pickup {
				continue
			}
			if lineItems {
				full = append(full, o.lineJSON(i))
			} else {
				refs = append(refs, st.resource(fmt.Sprintf("/orders/%d/products/%d", o.id, o.lines[i].id)))
			}
		}
		if !lineItems {
			return refs, false
		}
		if len(full) > maxConsignmentLines {
			return full[:maxConsignmentLines], true
		}
		return full, false
	}
	warning := map[string]any{"message": fmt.Sprintf("Not all line items of this consignment are returned with this response, only %d are included. Please use the `/v2/orders/{order_id}/products` endpoint to fetch all line items.", maxConsignmentLines)}
	out := map[string]any{"pickups": []any{}, "shipping": []any{}, "downloads": []any{}, "email": map[string]any{"gift_certificates": []any{}}}
	if o.pickup {
		li, truncated := items(0)
		c := map[string]any{
			"id": o.addr[0], "pickup_method_id": 1, "pickup_method_display_name": "Pick Up",
			"collection_instructions": "Bring your ID", "collection_time_description": "9am - 6pm",
			"location":   map[string]any{"id": LocationID, "name": "Default location", "code": "BC-LOCATION-1"},
			"line_items": li,
		}
		if truncated {
			c["__warning__"] = warning
		}
		out["pickups"] = []any{c}
		return out
	}
	var shipping []any
	for c := range o.addr {
		li, truncated := items(c)
		shipped, total := 0, 0
		for i, l := range o.lines {
			if o.consignmentOf(i) == c {
				total += l.quantity
				shipped += l.shipped
			}
		}
		sc := map[string]any{
			"id": o.addr[c], "first_name": "Jane", "last_name": "Doe", "company": "", "street_1": "123 Main Street",
			"street_2": "", "city": "Austin", "state": "Texas", "zip": "78751", "country": "United States",
			"country_iso2": "US", "phone": "555-123-4567", "email": "janedoe@example.com", "form_fields": []any{},
			"shipping_method": "Free Shipping", "line_items": li, "items_total": total, "items_shipped": shipped,
			"base_cost": "0.0000", "cost_ex_tax": "0.0000", "cost_inc_tax": "0.0000",
		}
		if truncated {
			sc["__warning__"] = warning
		}
		shipping = append(shipping, sc)
	}
	out["shipping"] = shipping
	return out
}

// orderJSON is one V2 order. include names the consignments sub-resource
// to embed ("consignments" or "consignments.line_items"); object selects
// consignment_structure=object, otherwise the legacy array form.
func (st *store) orderJSON(o *order, include string, object bool) map[string]any {
	total := money4(o.totalCents())
	path := fmt.Sprintf("/orders/%d", o.id)
	m := map[string]any{
		"id": o.id, "customer_id": o.customerID, "date_created": rfc2822(o.created), "date_modified": rfc2822(o.modified),
		"date_shipped": rfc2822(o.shipped), "status_id": o.status, "status": StatusNames[o.status],
		"custom_status": StatusNames[o.status], "subtotal_ex_tax": total, "subtotal_inc_tax": total, "subtotal_tax": "0.0000",
		"base_shipping_cost": "0.0000", "total_ex_tax": total, "total_inc_tax": total, "total_tax": "0.0000",
		"items_total": o.itemsTotal(), "items_shipped": o.itemsShipped(), "payment_method": "Credit Card",
		"payment_status": "captured", "refunded_amount": "0.0000", "currency_id": 1, "currency_code": "USD",
		"default_currency_code": "USD", "currency_exchange_rate": "1.0000000000", "channel_id": 1,
		"order_source": "www", "external_source": nil, "external_id": nil, "external_order_id": "",
		"is_deleted": false, "staff_notes": "", "customer_message": "", "discount_amount": "0.0000",
		"billing_address":    map[string]any{"first_name": "Jane", "last_name": "Doe", "city": "Austin", "country_iso2": "US", "email": "janedoe@example.com"},
		"products":           st.resource(path + "/products"),
		"shipping_addresses": st.resource(path + "/shipping_addresses"),
		"coupons":            st.resource(path + "/coupons"),
	}
	switch {
	case include == "":
		m["consignments"] = st.resource(path + "/consignments")
	case object:
		m["consignments"] = st.consignments(o, include == "consignments.line_items")
	default:
		m["consignments"] = []any{st.consignments(o, include == "consignments.line_items")}
	}
	return m
}

// includeParam reads include: the consignments sub-resource asked for.
func includeParam(r *http.Request) (include string, object bool) {
	for _, inc := range strings.Split(r.URL.Query().Get("include"), ",") {
		switch strings.TrimSpace(inc) {
		case "consignments.line_items":
			include = "consignments.line_items"
		case "consignments":
			if include == "" {
				include = "consignments"
			}
		}
	}
	return include, r.URL.Query().Get("consignment_structure") == "object"
}

// listOrders is GET /v2/orders.
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, limit, err := pageParams(r, 50, 250)
	if err != nil {
		v2Error(w, http.StatusBadRequest, err.Error())
		return
	}
	status := int64(-1)
	if q.Get("status_id") != "" {
		if status, err = queryInt(r, "status_id", -1); err != nil || status < 0 {
			v2Error(w, http.StatusBadRequest, "The field 'status_id' is invalid.")
			return
		}
	}
	minID, err := queryInt(r, "min_id", 0)
	if err != nil {
		v2Error(w, http.StatusBadRequest, err.Error())
		return
	}
	maxID, err := queryInt(r, "max_id", 0)
	if err != nil {
		v2Error(w, http.StatusBadRequest, err.Error())
		return
	}
	modFrom, modTo, err := dateRange(r, "min_date_modified", "max_date_modified")
	if err != nil {
		v2Error(w, http.StatusBadRequest, err.Error())
		return
	}
	createdFrom, createdTo, err := dateRange(r, "min_date_created", "max_date_created")
	if err != nil {
		v2Error(w, http.StatusBadRequest, err.Error())
		return
	}
	field, dir, _ := strings.Cut(q.Get("sort"), ":")
	switch field {
	case "", "id", "date_created", "date_modified", "status_id", "customer_id":
	default:
		v2Error(w, http.StatusBadRequest, "The field 'sort' is invalid.")
		return
	}
	if dir != "" && dir != "asc" && dir != "desc" {
		v2Error(w, http.StatusBadRequest, "The field 'sort' is invalid.")
		return
	}
	include, object := includeParam(r)

	s.mu.RLock()
	defer s.mu.RUnlock()
	var match []*order
	for _, o := range s.st.orders {
		switch {
		case status >= 0 && int64(o.status) != status,
			status < 0 && o.status == Incomplete, // listed only when asked for
			minID > 0 && o.id < minID, maxID > 0 && o.id > maxID,
			!inRange(o.modified, modFrom, modTo), !inRange(o.created, createdFrom, createdTo):
			continue
		}
		match = append(match, o)
	}
	slices.SortStableFunc(match, func(a, b *order) int {
		c := 0
		switch field {
		case "date_created":
			c = a.created.Compare(b.created)
		case "date_modified":
			c = a.modified.Compare(b.modified)
		case "status_id":
			c = cmp.Compare(a.status, b.status)
		case "customer_id":
			c = cmp.Compare(a.customerID, b.customerID)
		}
		if c == 0 {
			c = cmp.Compare(a.id, b.id)
		}
		if dir == "desc" {
			return -c
		}
		return c
	})
	lo := min((page-1)*limit, int64(len(match)))
	hi := min(lo+limit, int64(len(match)))
	if lo == hi {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	out := make([]map[string]any, 0, hi-lo)
	for _, o := range match[lo:hi] {
		out = append(out, s.st.orderJSON(o, include, object))
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

func (s *Server) findOrder(w http.ResponseWriter, r *http.Request) *order {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if o := s.st.byOrder[id]; err == nil && o != nil {
		return o
	}
	v2Error(w, http.StatusNotFound, "The requested resource was not found.")
	return nil
}

// getOrder is GET /v2/orders/{id}.
func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	include, object := includeParam(r)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if o := s.findOrder(w, r); o != nil {
		writeJSON(w, http.StatusOK, "application/json", s.st.orderJSON(o, include, object))
	}
}

// orderProducts is GET /v2/orders/{id}/products: the order's line items,
// paged, in id order.
func (s *Server) orderProducts(w http.ResponseWriter, r *http.Request) {
	page, limit, err := pageParams(r, 50, 250)
	if err != nil {
		v2Error(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.findOrder(w, r)
	if o == nil {
		return
	}
	lo := min((page-1)*limit, int64(len(o.lines)))
	hi := min(lo+limit, int64(len(o.lines)))
	if lo == hi {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	out := make([]lineJSON, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, o.lineJSON(int(i)))
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

// orderStatuses is GET /v2/order_statuses.
func (s *Server) orderStatuses(w http.ResponseWriter, r *http.Request) {
	var out []map[string]any
	for id := range 15 {
		out = append(out, map[string]any{
			"id": id, "name": StatusNames[id], "system_label": StatusNames[id], "custom_label": StatusNames[id], "order": statusOrder[id],
		})
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}
