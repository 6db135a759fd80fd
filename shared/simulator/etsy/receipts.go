package etsysim

import (
	"errors"
	"fmt"
	"html"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// Receipt statuses, as ShopReceipt.status spells them.
const (
	StatusPaid              = "paid"
	StatusCompleted         = "completed"
	StatusOpen              = "open"
	StatusPaymentProcessing = "payment processing"
	StatusCanceled          = "canceled"
	StatusFullyRefunded     = "fully refunded"
	StatusPartiallyRefunded = "partially refunded"
)

type transaction struct {
	id        int64
	listingID int64
	productID int64
	title     string
	sku       string
	quantity  int
	amount    int64 // unit price, cents
}

type receipt struct {
	id        int64
	status    string
	paid      bool
	shipped   bool
	delivered bool
	canceled  bool
	created   time.Time
	updated   time.Time
	paidAt    time.Time
	shippedAt time.Time
	currency  string
	buyer     int64
	lines     []transaction
	// committed says the receipt holds stock (CreateOrder): a sale took
	// it and a cancel gives it back. Seeded receipts are history.
	committed bool
}

func (rc *receipt) subtotal() int64 {
	var c int64
	for _, t := range rc.lines {
		c += int64(t.quantity) * t.amount
	}
	return c
}

// importable is the default import filter (paid, not shipped, not canceled), written out here
// rather than as a query so that tests check the connector's filters
// against an independent statement of the rule.
func (rc *receipt) importable() bool { return rc.paid && !rc.shipped && !rc.canceled }

// Receipt is a copy of one simulated receipt, for tests.
type Receipt struct {
	ID        string
	Status    string
	Paid      bool
	Shipped   bool
	Canceled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
	Lines     []cart.Line
	Total     string
}

func (rc *receipt) export() Receipt {
	out := Receipt{ID: strconv.FormatInt(rc.id, 10), Status: rc.status, Paid: rc.paid, Shipped: rc.shipped,
		Canceled: rc.canceled, CreatedAt: rc.created, UpdatedAt: rc.updated, Total: formatCents(rc.grandtotal())}
	for _, t := range rc.lines {
		out.Lines = append(out.Lines, cart.Line{SKU: t.sku, Quantity: t.quantity})
	}
	return out
}

const shippingCents = 495

func (rc *receipt) grandtotal() int64 { return rc.subtotal() + shippingCents }

// seedKind is one status mix of seeded receipts; weights sum to 100.
type seedKind struct {
	weight                             int
	status                             string
	paid, shipped, delivered, canceled bool
}

var seedKinds = []seedKind{
	{weight: 45, status: StatusPaid, paid: true},
	{weight: 3, status: StatusPartiallyRefunded, paid: true},
	{weight: 22, status: StatusCompleted, paid: true, shipped: true},
	{weight: 6, status: StatusCompleted, paid: true, shipped: true, delivered: true},
	{weight: 5, status: StatusOpen},
	{weight: 3, status: StatusPaymentProcessing},
	{weight: 6, status: StatusCanceled, paid: true, canceled: true},
	{weight: 3, status: StatusCanceled, canceled: true},
	{weight: 4, status: StatusFullyRefunded, paid: true, shipped: true},
	{weight: 3, status: StatusPartiallyRefunded, paid: true, shipped: true},
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

// sellable are the products of active listings that have a SKU.
func (st *store) sellable() []struct {
	l *listing
	p *product
} {
	var out []struct {
		l *listing
		p *product
	}
	for _, l := range st.listings {
		if l.state != "active" {
			continue
		}
		for _, p := range l.inv.products {
			if p.sku != "" && len(p.offerings) > 0 {
				out = append(out, struct {
					l *listing
					p *product
				}{l, p})
			}
		}
	}
	return out
}

func (st *store) add(rc *receipt) {
	rc.id = st.nextReceipt
	st.nextReceipt++
	for i := range rc.lines {
		rc.lines[i].id = st.nextTxn
		st.nextTxn++
	}
	st.receipts = append(st.receipts, rc)
	st.receiptByID[rc.id] = rc
}

// Seed adds n receipts in mixed states (paid or not, shipped or not,
// canceled, refunded), created over the 30 days before now and updated up
// to two days later. The same n and seed give the same receipts relative to
// the clock. Seeded receipts take no stock: they are history.
func (s *Server) Seed(n int, seed int64) {
	r := rand.New(rand.NewPCG(uint64(seed), 0xe757))
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	sell := s.st.sellable()
	for range n {
		k := pickKind(r)
		created := now.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Second)
		updated := created.Add(time.Duration(r.Int64N(int64(48 * time.Hour)))).Truncate(time.Second)
		if updated.After(now) {
			updated = now
		}
		rc := &receipt{status: k.status, paid: k.paid, shipped: k.shipped, delivered: k.delivered, canceled: k.canceled,
			created: created, updated: updated, currency: "USD", buyer: 100000001 + r.Int64N(900000)}
		if rc.paid {
			rc.paidAt = created
		}
		if rc.shipped {
			rc.shippedAt = updated
		}
		for range 1 + r.IntN(4) {
			if len(sell) == 0 {
				break
			}
			x := sell[r.IntN(len(sell))]
			rc.lines = append(rc.lines, transaction{listingID: x.l.id, productID: x.p.id, title: x.l.title,
				sku: x.p.sku, quantity: 1 + r.IntN(3), amount: x.p.offerings[0].amount})
		}
		s.st.add(rc)
	}
}

// CreateOrder adds an importable receipt (paid, not shipped) created and
// updated now and returns its id. No lines means one line of the first SKU.
// The sale takes its lines' stock, as an Etsy sale does. A SKU offered only
// by inactive listings does not sell: the order is refused and CreateOrder
// returns "" (PlaceOrder says why).
func (s *Server) CreateOrder(lines []cart.Line) string {
	id, err := s.PlaceOrder(lines)
	if err != nil {
		return ""
	}
	return id
}

// ErrNotOffered refuses an order for a SKU whose listings are all inactive.
var ErrNotOffered = errors.New("etsysim: the SKU's listing is not active")

// PlaceOrder is CreateOrder with its refusal: ErrNotOffered when a line's
// SKU is sold only by listings that are not active (a SKU the shop has no
// listing for still sells, as an order imported from elsewhere would).
func (s *Server) PlaceOrder(lines []cart.Line) (string, error) {
	now := s.now().UTC().Truncate(time.Second)
	if len(lines) == 0 {
		lines = []cart.Line{{SKU: s.skus[0], Quantity: 1}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rc := &receipt{status: StatusPaid, paid: true, created: now, updated: now, paidAt: now, currency: "USD",
		buyer: 100000001, committed: true}
	for _, ln := range lines {
		t := transaction{sku: ln.SKU, quantity: ln.Quantity, amount: unitPrice(ln.SKU), title: humanize(ln.SKU)}
		l, p := s.st.find(ln.SKU)
		if p == nil && s.st.listed(ln.SKU) {
			return "", fmt.Errorf("%w: %s", ErrNotOffered, ln.SKU)
		}
		if p != nil {
			t.listingID, t.productID, t.title, t.amount = l.id, p.id, l.title, p.offerings[0].amount
		}
		rc.lines = append(rc.lines, t)
	}
	s.st.add(rc)
	for _, t := range rc.lines {
		s.st.take(t.listingID, t.sku, t.quantity, now)
	}
	return strconv.FormatInt(rc.id, 10), nil
}

// listed says whether any listing, in any state, sells sku.
func (st *store) listed(sku string) bool {
	for _, l := range st.listings {
		if l.product(sku) != nil {
			return true
		}
	}
	return false
}

// ErrNotFound is returned for an unknown receipt id.
var ErrNotFound = errors.New("etsysim: no such receipt")

func (s *Server) update(id string, f func(rc *receipt, now time.Time) error) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	rc, ok := s.st.receiptByID[n]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err := f(rc, now); err != nil {
		return err
	}
	rc.updated = now
	return nil
}

// CancelOrder cancels a receipt that has not shipped, as a seller
// cancelling an order on Etsy does; stock a CreateOrder sale took comes
// back.
func (s *Server) CancelOrder(id string) error {
	return s.update(id, func(rc *receipt, now time.Time) error {
		if rc.canceled {
			return fmt.Errorf("etsysim: receipt %s is already canceled", id)
		}
		if rc.shipped {
			return fmt.Errorf("etsysim: receipt %s has shipped and cannot be canceled", id)
		}
		rc.canceled, rc.status = true, StatusCanceled
		if rc.committed {
			rc.committed = false
			for _, t := range rc.lines {
				s.st.take(t.listingID, t.sku, -t.quantity, now)
			}
		}
		return nil
	})
}

// ShipOrder marks a paid receipt shipped (completed).
func (s *Server) ShipOrder(id string) error {
	return s.update(id, func(rc *receipt, now time.Time) error {
		if rc.canceled {
			return fmt.Errorf("etsysim: receipt %s is canceled and cannot ship", id)
		}
		if !rc.paid {
			return fmt.Errorf("etsysim: receipt %s is not paid", id)
		}
		rc.shipped, rc.shippedAt, rc.status, rc.committed = true, now, StatusCompleted, false
		return nil
	})
}

// Importable returns the ids of the receipts the default import filter
// selects (paid, not shipped, not canceled), in creation order, whatever
// their update time.
func (s *Server) Importable() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []string
	for _, rc := range s.st.receipts {
		if rc.importable() {
			ids = append(ids, strconv.FormatInt(rc.id, 10))
		}
	}
	return ids
}

// Receipts returns copies of every receipt in creation order.
func (s *Server) Receipts() []Receipt {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Receipt, len(s.st.receipts))
	for i, rc := range s.st.receipts {
		out[i] = rc.export()
	}
	return out
}

// Receipt returns a copy of one receipt.
func (s *Server) Receipt(id string) (Receipt, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return Receipt{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rc, ok := s.st.receiptByID[n]
	if !ok {
		return Receipt{}, false
	}
	return rc.export(), true
}

// Wire format (ShopReceipt, ShopReceiptTransaction, ShopReceiptShipment).

type jsonTransaction struct {
	TransactionID    int64   `json:"transaction_id"`
	Title            string  `json:"title"`
	Description      string  `json:"description"`
	SellerUserID     int64   `json:"seller_user_id"`
	BuyerUserID      int64   `json:"buyer_user_id"`
	CreateTimestamp  int64   `json:"create_timestamp"`
	CreatedTimestamp int64   `json:"created_timestamp"`
	PaidTimestamp    *int64  `json:"paid_timestamp"`
	ShippedTimestamp *int64  `json:"shipped_timestamp"`
	Quantity         int     `json:"quantity"`
	ListingImageID   *int64  `json:"listing_image_id"`
	ReceiptID        int64   `json:"receipt_id"`
	IsDigital        bool    `json:"is_digital"`
	FileData         string  `json:"file_data"`
	ListingID        *int64  `json:"listing_id"`
	TransactionType  string  `json:"transaction_type"`
	ProductID        *int64  `json:"product_id"`
	SKU              *string `json:"sku"`
	Price            money   `json:"price"`
	ShippingCost     money   `json:"shipping_cost"`
	Variations       []any   `json:"variations"`
	ProductData      []any   `json:"product_data"`
	ShippingMethod   *string `json:"shipping_method"`
	ShippingUpgrade  *string `json:"shipping_upgrade"`
	ExpectedShipDate *int64  `json:"expected_ship_date"`
	BuyerCoupon      float64 `json:"buyer_coupon"`
	ShopCoupon       float64 `json:"shop_coupon"`
	MinProcessing    *int    `json:"min_processing_days"`
	MaxProcessing    *int    `json:"max_processing_days"`
	ShippingProfile  *int64  `json:"shipping_profile_id"`
}

type jsonShipment struct {
	ReceiptShippingID int64  `json:"receipt_shipping_id"`
	NotifiedAt        int64  `json:"shipment_notification_timestamp"`
	CarrierName       string `json:"carrier_name"`
	TrackingCode      string `json:"tracking_code"`
}

type jsonReceipt struct {
	ReceiptID          int64             `json:"receipt_id"`
	ReceiptType        int               `json:"receipt_type"`
	SellerUserID       int64             `json:"seller_user_id"`
	SellerEmail        *string           `json:"seller_email"`
	BuyerUserID        int64             `json:"buyer_user_id"`
	BuyerEmail         *string           `json:"buyer_email"`
	Name               string            `json:"name"`
	FirstLine          string            `json:"first_line"`
	SecondLine         *string           `json:"second_line"`
	City               string            `json:"city"`
	State              string            `json:"state"`
	Zip                string            `json:"zip"`
	Status             string            `json:"status"`
	FormattedAddress   string            `json:"formatted_address"`
	CountryISO         string            `json:"country_iso"`
	PaymentMethod      string            `json:"payment_method"`
	PaymentEmail       *string           `json:"payment_email"`
	MessageFromSeller  *string           `json:"message_from_seller"`
	MessageFromBuyer   *string           `json:"message_from_buyer"`
	MessageFromPayment *string           `json:"message_from_payment"`
	IsPaid             bool              `json:"is_paid"`
	IsShipped          bool              `json:"is_shipped"`
	CreateTimestamp    int64             `json:"create_timestamp"`
	CreatedTimestamp   int64             `json:"created_timestamp"`
	UpdateTimestamp    int64             `json:"update_timestamp"`
	UpdatedTimestamp   int64             `json:"updated_timestamp"`
	IsGift             bool              `json:"is_gift"`
	GiftMessage        string            `json:"gift_message"`
	GiftSender         string            `json:"gift_sender"`
	Grandtotal         money             `json:"grandtotal"`
	Subtotal           money             `json:"subtotal"`
	TotalPrice         money             `json:"total_price"`
	TotalShippingCost  money             `json:"total_shipping_cost"`
	TotalTaxCost       money             `json:"total_tax_cost"`
	TotalVatCost       money             `json:"total_vat_cost"`
	DiscountAmt        money             `json:"discount_amt"`
	GiftWrapPrice      money             `json:"gift_wrap_price"`
	Shipments          []jsonShipment    `json:"shipments"`
	Transactions       []jsonTransaction `json:"transactions"`
	Refunds            []any             `json:"refunds"`
}

func ptr[T any](v T) *T { return &v }

func (s *Server) receiptJSON(rc *receipt) jsonReceipt {
	usd := func(c int64) money { return money{Amount: c, Divisor: 100, CurrencyCode: rc.currency} }
	sub := rc.subtotal()
	j := jsonReceipt{
		ReceiptID: rc.id, SellerUserID: sellerUserID, BuyerUserID: rc.buyer,
		Name: html.EscapeString("Sam O'Neil"), FirstLine: html.EscapeString("12 O'Connell Street"), City: "Dublin", State: "",
		Zip: "D01 F5P2", Status: rc.status, FormattedAddress: html.EscapeString("Sam O'Neil\n12 O'Connell Street\nDublin D01 F5P2\nIreland"),
		CountryISO: "IE", PaymentMethod: "cc", IsPaid: rc.paid, IsShipped: rc.shipped,
		CreateTimestamp: rc.created.Unix(), CreatedTimestamp: rc.created.Unix(),
		UpdateTimestamp: rc.updated.Unix(), UpdatedTimestamp: rc.updated.Unix(),
		Grandtotal: usd(rc.grandtotal()), Subtotal: usd(sub), TotalPrice: usd(sub), TotalShippingCost: usd(shippingCents),
		TotalTaxCost: usd(0), TotalVatCost: usd(0), DiscountAmt: usd(0), GiftWrapPrice: usd(0),
		Shipments: []jsonShipment{}, Transactions: make([]jsonTransaction, 0, len(rc.lines)), Refunds: []any{},
	}
	if rc.shipped {
		j.Shipments = append(j.Shipments, jsonShipment{ReceiptShippingID: rc.id + 7, NotifiedAt: rc.shippedAt.Unix(),
			CarrierName: "an_post", TrackingCode: "LX" + strconv.FormatInt(rc.id, 10) + "IE"})
	}
	for _, t := range rc.lines {
		jt := jsonTransaction{
			TransactionID: t.id, Title: html.EscapeString(t.title), SellerUserID: sellerUserID, BuyerUserID: rc.buyer,
			CreateTimestamp: rc.created.Unix(), CreatedTimestamp: rc.created.Unix(), Quantity: t.quantity,
			ReceiptID: rc.id, TransactionType: "listing", Price: usd(t.amount), ShippingCost: usd(0),
			Variations: []any{}, ProductData: []any{}, ShippingMethod: ptr("Standard"),
			ExpectedShipDate: ptr(rc.created.Add(72 * time.Hour).Unix()), MinProcessing: ptr(1), MaxProcessing: ptr(3),
		}
		if t.listingID != 0 {
			jt.ListingID, jt.ProductID = ptr(t.listingID), ptr(t.productID)
		}
		if t.sku != "" {
			jt.SKU = ptr(t.sku)
		}
		if rc.paid {
			jt.PaidTimestamp = ptr(rc.paidAt.Unix())
		}
		if rc.shipped {
			jt.ShippedTimestamp = ptr(rc.shippedAt.Unix())
		}
		j.Transactions = append(j.Transactions, jt)
	}
	return j
}

// listReceipts is getShopReceipts.
func (s *Server) listReceipts(w http.ResponseWriter, r *http.Request) {
	if !s.checkShop(w, r) {
		return
	}
	type bound struct {
		name string
		v    int64
	}
	bounds := []bound{{name: "min_created"}, {name: "max_created"}, {name: "min_last_modified"}, {name: "max_last_modified"}}
	var err error
	for i := range bounds {
		if err == nil {
			bounds[i].v, err = queryInt(r, bounds[i].name, 0, minTimestamp, 1<<40)
		}
	}
	var limit, offset int64
	if err == nil {
		limit, err = queryInt(r, "limit", 25, 1, 100)
	}
	if err == nil {
		offset, err = queryInt(r, "offset", 0, 0, 1<<31)
	}
	sortOn, sortOrder := "", ""
	if err == nil {
		sortOn, err = queryEnum(r, "sort_on", "created", "created", "updated", "receipt_id")
	}
	if err == nil {
		sortOrder, err = queryEnum(r, "sort_order", "desc", "asc", "ascending", "desc", "descending", "up", "down")
	}
	var flags [4]*bool
	for i, name := range []string{"was_paid", "was_shipped", "was_delivered", "was_canceled"} {
		if err == nil {
			flags[i], err = queryBool(r, name)
		}
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	within := func(t time.Time, lo, hi int64) bool {
		u := t.Unix()
		return (lo == 0 || u >= lo) && (hi == 0 || u <= hi)
	}
	is := func(f *bool, v bool) bool { return f == nil || *f == v }

	s.mu.RLock()
	var matched []*receipt
	for _, rc := range s.st.receipts {
		if within(rc.created, bounds[0].v, bounds[1].v) && within(rc.updated, bounds[2].v, bounds[3].v) &&
			is(flags[0], rc.paid) && is(flags[1], rc.shipped) && is(flags[2], rc.delivered) && is(flags[3], rc.canceled) {
			matched = append(matched, rc)
		}
	}
	key := func(rc *receipt) int64 {
		switch sortOn {
		case "updated":
			return rc.updated.Unix()
		case "receipt_id":
			return rc.id
		}
		return rc.created.Unix()
	}
	desc := sortOrder == "desc" || sortOrder == "descending" || sortOrder == "down"
	slices.SortStableFunc(matched, func(a, b *receipt) int {
		c := compareInt64(key(a), key(b))
		if c == 0 {
			c = compareInt64(a.id, b.id)
		}
		if desc {
			return -c
		}
		return c
	})
	results := make([]jsonReceipt, 0, min(limit, int64(len(matched))))
	for i := offset; i < int64(len(matched)) && i < offset+limit; i++ {
		results = append(results, s.receiptJSON(matched[i]))
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"count": len(matched), "results": results})
}

// getReceipt is getShopReceipt.
func (s *Server) getReceipt(w http.ResponseWriter, r *http.Request) {
	if !s.checkShop(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("receipt_id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusBadRequest, "Expected int value for 'receipt_id'")
		return
	}
	s.mu.RLock()
	rc, ok := s.st.receiptByID[id]
	var j jsonReceipt
	if ok {
		j = s.receiptJSON(rc)
	}
	s.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Could not find a receipt with receipt_id %d", id))
		return
	}
	writeJSON(w, http.StatusOK, j)
}
