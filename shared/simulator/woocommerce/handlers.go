package woocommercesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const wpTime = "2006-01-02T15:04:05"

type href struct {
	Href string `json:"href"`
}

type links struct {
	Self       []href `json:"self"`
	Collection []href `json:"collection"`
	Up         []href `json:"up,omitempty"`
}

func resourceLinks(path, collection string) links {
	return links{Self: []href{{"https://woo.example" + APIRoot + path}}, Collection: []href{{"https://woo.example" + APIRoot + collection}}}
}

type address struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
}

type lineJSON struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	ProductID   int64   `json:"product_id"`
	VariationID int64   `json:"variation_id"`
	Quantity    int     `json:"quantity"`
	TaxClass    string  `json:"tax_class"`
	Subtotal    string  `json:"subtotal"`
	SubtotalTax string  `json:"subtotal_tax"`
	Total       string  `json:"total"`
	TotalTax    string  `json:"total_tax"`
	Taxes       []any   `json:"taxes"`
	MetaData    []any   `json:"meta_data"`
	SKU         string  `json:"sku"`
	Price       float64 `json:"price"`
}

type orderJSON struct {
	ID                 int64      `json:"id"`
	ParentID           int64      `json:"parent_id"`
	Number             string     `json:"number"`
	OrderKey           string     `json:"order_key"`
	CreatedVia         string     `json:"created_via"`
	Version            string     `json:"version"`
	Status             string     `json:"status"`
	Currency           string     `json:"currency"`
	DateCreated        string     `json:"date_created"`
	DateCreatedGMT     string     `json:"date_created_gmt"`
	DateModified       string     `json:"date_modified"`
	DateModifiedGMT    string     `json:"date_modified_gmt"`
	DiscountTotal      string     `json:"discount_total"`
	DiscountTax        string     `json:"discount_tax"`
	ShippingTotal      string     `json:"shipping_total"`
	ShippingTax        string     `json:"shipping_tax"`
	CartTax            string     `json:"cart_tax"`
	Total              string     `json:"total"`
	TotalTax           string     `json:"total_tax"`
	PricesIncludeTax   bool       `json:"prices_include_tax"`
	CustomerID         int64      `json:"customer_id"`
	CustomerNote       string     `json:"customer_note"`
	Billing            address    `json:"billing"`
	Shipping           address    `json:"shipping"`
	PaymentMethod      string     `json:"payment_method"`
	PaymentMethodTitle string     `json:"payment_method_title"`
	TransactionID      string     `json:"transaction_id"`
	DatePaid           *string    `json:"date_paid"`
	DatePaidGMT        *string    `json:"date_paid_gmt"`
	DateCompleted      *string    `json:"date_completed"`
	DateCompletedGMT   *string    `json:"date_completed_gmt"`
	CartHash           string     `json:"cart_hash"`
	MetaData           []any      `json:"meta_data"`
	LineItems          []lineJSON `json:"line_items"`
	TaxLines           []any      `json:"tax_lines"`
	ShippingLines      []any      `json:"shipping_lines"`
	FeeLines           []any      `json:"fee_lines"`
	CouponLines        []any      `json:"coupon_lines"`
	Refunds            []any      `json:"refunds"`
	Links              links      `json:"_links"`
}

func (s *Server) local(t time.Time) string { return t.In(s.loc).Format(wpTime) }
func gmt(t time.Time) string               { return t.UTC().Format(wpTime) }

func (s *Server) optTimes(t time.Time) (*string, *string) {
	if t.IsZero() {
		return nil, nil
	}
	l, g := s.local(t), gmt(t)
	return &l, &g
}

func (s *Server) orderJSON(o *order) orderJSON {
	total := money(o.total())
	j := orderJSON{
		ID: o.id, Number: strconv.FormatInt(o.id, 10), OrderKey: o.key, CreatedVia: "checkout", Version: "9.8.5",
		Status: o.status, Currency: "USD",
		DateCreated: s.local(o.created), DateCreatedGMT: gmt(o.created),
		DateModified: s.local(o.modified), DateModifiedGMT: gmt(o.modified),
		DiscountTotal: "0.00", DiscountTax: "0.00", ShippingTotal: "0.00", ShippingTax: "0.00", CartTax: "0.00",
		Total: total, TotalTax: "0.00", CustomerID: o.customer,
		Billing: address{FirstName: "Test", LastName: fmt.Sprintf("Customer %d", o.customer), Address1: "1 Simulated Way",
			City: "Springfield", State: "CA", Postcode: "00000", Country: "US", Email: fmt.Sprintf("customer%d@example.invalid", o.customer)},
		Shipping:      address{FirstName: "Test", LastName: fmt.Sprintf("Customer %d", o.customer), Address1: "1 Simulated Way", City: "Springfield", State: "CA", Postcode: "00000", Country: "US"},
		PaymentMethod: "bacs", PaymentMethodTitle: "Direct bank transfer",
		MetaData: []any{}, TaxLines: []any{}, ShippingLines: []any{}, FeeLines: []any{}, CouponLines: []any{}, Refunds: []any{},
		Links: resourceLinks(fmt.Sprintf("/orders/%d", o.id), "/orders"),
	}
	j.DatePaid, j.DatePaidGMT = s.optTimes(o.paid)
	j.DateCompleted, j.DateCompletedGMT = s.optTimes(o.completed)
	j.LineItems = make([]lineJSON, len(o.lines))
	for i, l := range o.lines {
		lt := money(l.quantity * l.price)
		j.LineItems[i] = lineJSON{
			ID: l.id, Name: l.name, ProductID: l.productID, VariationID: l.variationID, Quantity: l.quantity,
			Subtotal: lt, SubtotalTax: "0.00", Total: lt, TotalTax: "0.00", Taxes: []any{}, MetaData: []any{},
			SKU: l.sku, Price: float64(l.price) / 100,
		}
	}
	return j
}

var orderOrderbys = []string{"date", "id", "include", "title", "slug", "modified"}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	p, ok := parseList(w, r, orderOrderbys, "date", "desc")
	if !ok {
		return
	}
	want := listValues(r.URL.Query(), "status")
	for i, st := range want {
		if st != "any" && !slices.Contains(statuses, st) {
			invalidParam(w, "status", fmt.Sprintf("status[%d] is not one of any, %s.", i, strings.Join(statuses, ", ")))
			return
		}
	}
	if len(want) == 0 || slices.Contains(want, "any") {
		want = slices.DeleteFunc(slices.Clone(statuses), func(s string) bool { return s == Trash || s == "checkout-draft" })
	}
	s.mu.Lock()
	matched := s.st.sortedOrders(func(o *order) bool {
		return slices.Contains(want, o.status) && s.matchDates(p, o.id, o.created, o.modified)
	}, p.orderby, p.desc)
	from, to := p.window(w, r, len(matched))
	out := make([]json.RawMessage, 0, to-from)
	for _, o := range matched[from:to] {
		b, err := project(s.orderJSON(o), p.fields)
		if err != nil {
			s.mu.Unlock()
			writeError(w, http.StatusInternalServerError, "internal_server_error", err.Error(), nil)
			return
		}
		out = append(out, b)
	}
	s.mu.Unlock()
	writeArray(w, out)
}

// writeArray answers a JSON array of objects already encoded.
func writeArray(w http.ResponseWriter, items []json.RawMessage) {
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	writeRaw(w, http.StatusOK, append(b, ']'))
}

func pathID(r *http.Request, name string) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return n, err == nil && n > 0
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.mu.Lock()
	o, ok := s.st.orderBy[id]
	var b json.RawMessage
	var err error
	if ok {
		b, err = project(s.orderJSON(o), fieldFilter(r))
	}
	s.mu.Unlock()
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.", nil)
	case err != nil:
		writeError(w, http.StatusInternalServerError, "internal_server_error", err.Error(), nil)
	default:
		writeRaw(w, http.StatusOK, b)
	}
}

type imageJSON struct {
	ID              int64  `json:"id"`
	DateCreated     string `json:"date_created"`
	DateCreatedGMT  string `json:"date_created_gmt"`
	DateModified    string `json:"date_modified"`
	DateModifiedGMT string `json:"date_modified_gmt"`
	Src             string `json:"src"`
	Name            string `json:"name"`
	Alt             string `json:"alt"`
}

type attributeJSON struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Position  int      `json:"position,omitempty"`
	Visible   *bool    `json:"visible,omitempty"`
	Variation *bool    `json:"variation,omitempty"`
	Options   []string `json:"options,omitempty"`
	Option    string   `json:"option,omitempty"`
}

type productJSON struct {
	ID              int64           `json:"id"`
	Name            string          `json:"name"`
	Slug            string          `json:"slug"`
	Permalink       string          `json:"permalink"`
	DateCreated     string          `json:"date_created"`
	DateCreatedGMT  string          `json:"date_created_gmt"`
	DateModified    string          `json:"date_modified"`
	DateModifiedGMT string          `json:"date_modified_gmt"`
	Type            string          `json:"type"`
	Status          string          `json:"status"`
	SKU             string          `json:"sku"`
	Price           string          `json:"price"`
	RegularPrice    string          `json:"regular_price"`
	SalePrice       string          `json:"sale_price"`
	ManageStock     bool            `json:"manage_stock"`
	StockQuantity   *int            `json:"stock_quantity"`
	StockStatus     string          `json:"stock_status"`
	Images          []imageJSON     `json:"images"`
	Attributes      []attributeJSON `json:"attributes"`
	Variations      []int64         `json:"variations"`
	ParentID        int64           `json:"parent_id"`
	Links           links           `json:"_links"`
}

type variationJSON struct {
	ID              int64           `json:"id"`
	DateCreated     string          `json:"date_created"`
	DateCreatedGMT  string          `json:"date_created_gmt"`
	DateModified    string          `json:"date_modified"`
	DateModifiedGMT string          `json:"date_modified_gmt"`
	Permalink       string          `json:"permalink"`
	SKU             string          `json:"sku"`
	Price           string          `json:"price"`
	RegularPrice    string          `json:"regular_price"`
	SalePrice       string          `json:"sale_price"`
	Status          string          `json:"status"`
	ManageStock     any             `json:"manage_stock"` // true, false or "parent"
	StockQuantity   *int            `json:"stock_quantity"`
	StockStatus     string          `json:"stock_status"`
	Image           *imageJSON      `json:"image"`
	Attributes      []attributeJSON `json:"attributes"`
	Links           links           `json:"_links"`
}

func (s *Server) image(i image, at time.Time) imageJSON {
	return imageJSON{ID: i.id, DateCreated: s.local(at), DateCreatedGMT: gmt(at), DateModified: s.local(at), DateModifiedGMT: gmt(at), Src: i.src, Name: i.name}
}

func stockStatus(manage bool, stock int) string {
	if manage && stock <= 0 {
		return "outofstock"
	}
	return "instock"
}

func (s *Server) productJSON(p *product) productJSON {
	j := productJSON{
		ID: p.id, Name: p.name, Slug: p.slug, Permalink: "https://woo.example/product/" + p.slug + "/",
		DateCreated: s.local(p.created), DateCreatedGMT: gmt(p.created),
		DateModified: s.local(p.modified), DateModifiedGMT: gmt(p.modified),
		Type: p.typ, Status: "publish", SKU: p.sku, ManageStock: p.manage, StockStatus: "instock",
		Images: []imageJSON{}, Attributes: []attributeJSON{}, Variations: []int64{},
		Links: resourceLinks(fmt.Sprintf("/products/%d", p.id), "/products"),
	}
	if p.typ == "simple" {
		j.Price, j.RegularPrice = money(p.price), money(p.price)
	} else if len(p.variations) > 0 {
		j.Price = money(p.variations[0].price)
	}
	if p.manage {
		q := p.stock
		j.StockQuantity = &q
		j.StockStatus = stockStatus(true, q)
	}
	for _, i := range p.images {
		j.Images = append(j.Images, s.image(i, p.created))
	}
	if p.typ == "variable" {
		yes := true
		a := attributeJSON{Name: "Option", Visible: &yes, Variation: &yes}
		for _, v := range p.variations {
			a.Options = append(a.Options, v.option)
			j.Variations = append(j.Variations, v.id)
		}
		j.Attributes = append(j.Attributes, a)
	}
	return j
}

func (s *Server) variationJSON(v *variation) variationJSON {
	j := variationJSON{
		ID: v.id, DateCreated: s.local(v.created), DateCreatedGMT: gmt(v.created),
		DateModified: s.local(v.modified), DateModifiedGMT: gmt(v.modified),
		Permalink: fmt.Sprintf("https://woo.example/product/%s/?attribute_option=%s", v.parent.slug, v.option),
		SKU:       v.sku, Price: money(v.price), RegularPrice: money(v.price), Status: "publish",
		ManageStock: v.manage, StockStatus: "instock",
		Attributes: []attributeJSON{{Name: "Option", Option: v.option}},
		Links:      resourceLinks(fmt.Sprintf("/products/%d/variations/%d", v.parent.id, v.id), fmt.Sprintf("/products/%d/variations", v.parent.id)),
	}
	j.Links.Up = []href{{fmt.Sprintf("https://woo.example%s/products/%d", APIRoot, v.parent.id)}}
	switch {
	case v.manage:
		q := v.stock
		j.StockQuantity = &q
		j.StockStatus = stockStatus(true, q)
	case v.parent.manage:
		// Stock managed by the parent: WooCommerce reports "parent" and
		// the parent's quantity.
		j.ManageStock = "parent"
		q := v.parent.stock
		j.StockQuantity = &q
		j.StockStatus = stockStatus(true, q)
	}
	if v.image.id != 0 {
		i := s.image(v.image, v.created)
		j.Image = &i
	}
	return j
}

var productOrderbys = []string{"date", "id", "include", "title", "slug", "modified", "price", "popularity", "rating", "menu_order"}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	p, ok := parseList(w, r, productOrderbys, "date", "desc")
	if !ok {
		return
	}
	q := r.URL.Query()
	status := q.Get("status")
	switch status {
	case "", "any", "publish", "draft", "pending", "private", "future", "trash":
	default:
		invalidParam(w, "status", "status is not one of any, future, trash, draft, pending, private, publish.")
		return
	}
	typ := q.Get("type")
	switch typ {
	case "", "simple", "grouped", "external", "variable":
	default:
		invalidParam(w, "type", "type is not one of simple, grouped, external, variable.")
		return
	}
	skus := splitList(q["sku"])
	s.mu.Lock()
	var matched []*product
	for _, pr := range s.st.products {
		switch {
		case status != "" && status != "any" && status != "publish",
			typ != "" && pr.typ != typ,
			len(skus) > 0 && !slices.Contains(skus, pr.sku),
			!s.matchDates(p, pr.id, pr.created, pr.modified):
			continue
		}
		matched = append(matched, pr)
	}
	sortProducts(matched, p.orderby, p.desc)
	from, to := p.window(w, r, len(matched))
	out := make([]json.RawMessage, 0, to-from)
	for _, pr := range matched[from:to] {
		b, err := project(s.productJSON(pr), p.fields)
		if err != nil {
			s.mu.Unlock()
			writeError(w, http.StatusInternalServerError, "internal_server_error", err.Error(), nil)
			return
		}
		out = append(out, b)
	}
	s.mu.Unlock()
	writeArray(w, out)
}

func sortProducts(ps []*product, orderby string, desc bool) {
	key := func(p *product) (time.Time, string) {
		switch orderby {
		case "date":
			return p.created, ""
		case "modified":
			return p.modified, ""
		case "title", "slug":
			return time.Time{}, p.slug
		}
		return time.Time{}, ""
	}
	slices.SortStableFunc(ps, func(a, b *product) int {
		ta, sa := key(a)
		tb, sb := key(b)
		c := ta.Compare(tb)
		if c == 0 {
			c = strings.Compare(sa, sb)
		}
		if c == 0 {
			c = cmpInt(a.id, b.id)
		}
		if desc {
			return -c
		}
		return c
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// productOrVariationJSON is GET /products/{id}'s body: WooCommerce's
// products controller reads any product, a variation too (type
// "variation", with parent_id). s.mu is held.
func (s *Server) productOrVariationJSON(id int64) (productJSON, bool) {
	if p, ok := s.st.byID[id]; ok {
		return s.productJSON(p), true
	}
	v, ok := s.st.varByID[id]
	if !ok {
		return productJSON{}, false
	}
	vj := s.variationJSON(v)
	j := productJSON{
		ID: v.id, Name: v.parent.name + " - " + v.option, Slug: v.parent.slug + "-" + slug(v.option), Permalink: vj.Permalink,
		DateCreated: vj.DateCreated, DateCreatedGMT: vj.DateCreatedGMT, DateModified: vj.DateModified, DateModifiedGMT: vj.DateModifiedGMT,
		Type: "variation", Status: "publish", SKU: v.sku, Price: vj.Price, RegularPrice: vj.RegularPrice,
		StockQuantity: vj.StockQuantity, StockStatus: vj.StockStatus, Images: []imageJSON{},
		Attributes: vj.Attributes, Variations: []int64{}, ParentID: v.parent.id,
		Links: resourceLinks(fmt.Sprintf("/products/%d", v.id), "/products"),
	}
	// The variation's own flag; its parent's stock, if that is what sells
	// it, is in stock_quantity as variationJSON reports it.
	j.ManageStock = v.manage
	if vj.Image != nil {
		j.Images = append(j.Images, *vj.Image)
	}
	return j, true
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.mu.Lock()
	p, ok := s.productOrVariationJSON(id)
	var b json.RawMessage
	var err error
	if ok {
		b, err = project(p, fieldFilter(r))
	}
	s.mu.Unlock()
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "woocommerce_rest_product_invalid_id", "Invalid ID.", nil)
	case err != nil:
		writeError(w, http.StatusInternalServerError, "internal_server_error", err.Error(), nil)
	default:
		writeRaw(w, http.StatusOK, b)
	}
}

func (s *Server) listVariations(w http.ResponseWriter, r *http.Request) {
	p, ok := parseList(w, r, productOrderbys, "menu_order", "asc")
	if !ok {
		return
	}
	id, _ := pathID(r, "id")
	skus := splitList(r.URL.Query()["sku"])
	s.mu.Lock()
	parent, ok := s.st.byID[id]
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "woocommerce_rest_product_invalid_id", "Invalid ID.", nil)
		return
	}
	var matched []*variation
	for _, v := range parent.variations {
		if (len(skus) == 0 || slices.Contains(skus, v.sku)) && s.matchDates(p, v.id, v.created, v.modified) {
			matched = append(matched, v)
		}
	}
	slices.SortStableFunc(matched, func(a, b *variation) int {
		c := 0
		switch p.orderby {
		case "date":
			c = a.created.Compare(b.created)
		case "modified":
			c = a.modified.Compare(b.modified)
		}
		if c == 0 {
			c = cmpInt(a.id, b.id)
		}
		if p.desc {
			return -c
		}
		return c
	})
	from, to := p.window(w, r, len(matched))
	out := make([]json.RawMessage, 0, to-from)
	for _, v := range matched[from:to] {
		b, err := project(s.variationJSON(v), p.fields)
		if err != nil {
			s.mu.Unlock()
			writeError(w, http.StatusInternalServerError, "internal_server_error", err.Error(), nil)
			return
		}
		out = append(out, b)
	}
	s.mu.Unlock()
	writeArray(w, out)
}

// batchLimit is woocommerce_rest_batch_items_limit's default.
const batchLimit = 100

// maxBody bounds a request body (PHP's default post_max_size is 8M).
const maxBody = 8 << 20

// itemError is a per-item failure, reported as WooCommerce reports it.
type itemError struct {
	status  int
	code    string
	message string
	params  map[string]string // the bad parameters' reasons, when known
}

func (e *itemError) body(id json.RawMessage) map[string]any {
	if len(id) == 0 {
		id = json.RawMessage("0")
	}
	data := map[string]any{"status": e.status}
	if e.params != nil {
		data["params"] = e.params
	}
	return map[string]any{"id": id, "error": wpError{Code: e.code, Message: e.message, Data: data}}
}

// stockChange is the part of a product update the simulator applies.
type stockChange struct {
	ID            json.RawMessage `json:"id"`
	StockQuantity json.RawMessage `json:"stock_quantity"`
	ManageStock   json.RawMessage `json:"manage_stock"`
}

// wpBool reads a boolean as rest_sanitize_boolean does: true and false,
// and also "true", "false", "1", "0", 1 and 0.
func wpBool(raw json.RawMessage) (bool, bool) {
	switch strings.TrimSpace(string(raw)) {
	case "true", `"true"`, "1", `"1"`:
		return true, true
	case "false", `"false"`, "0", `"0"`:
		return false, true
	}
	return false, false
}

// flexInt reads an integer sent as a number (5, 5.0) or a numeric string.
func flexInt(raw json.RawMessage) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		raw = json.RawMessage(strings.TrimSpace(s))
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f != float64(int64(f)) || f > 1<<53 || f < -(1<<53) {
		return 0, false
	}
	return int64(f), true
}

// fail consumes one injected failure of sku, if any.
func (st *store) fail(sku string) *itemError {
	if sku == "" || st.failSKU[sku] == 0 {
		return nil
	}
	st.failSKU[sku]--
	if st.failSKU[sku] == 0 {
		delete(st.failSKU, sku)
	}
	return &itemError{status: http.StatusInternalServerError, code: "woocommerce_rest_product_not_saved", message: fmt.Sprintf("The stock of SKU %s could not be saved (simulated failure).", sku)}
}

// setStock changes stock as a product or variation update does: the
// quantity is saved only when stock is managed (already, or from this
// request on), and saving touches the modification time. inherited is a
// variation's parent managing stock: WC_Product_Variation::get_manage_stock
// then answers "parent", which the variations controller takes as managed,
// so the quantity lands in the variation's own _stock, which nothing
// sells from while its own setting stays off. It reports whether the
// quantity that sells the object was written.
func setStock(managed *bool, inherited bool, qty *int, modified *time.Time, manage *bool, stock *int64, now time.Time) bool {
	if manage != nil {
		*managed = *manage
	}
	if stock != nil && (*managed || inherited) {
		*qty = int(*stock)
	}
	*modified = now
	return stock != nil && *managed
}

func decodeChange(c stockChange) (id int64, manage *bool, stock *int64, e *itemError) {
	id, ok := flexInt(c.ID)
	if !ok || id <= 0 {
		return 0, nil, nil, &itemError{status: http.StatusBadRequest, code: "woocommerce_rest_product_invalid_id", message: "Invalid ID."}
	}
	if len(c.ManageStock) > 0 && string(c.ManageStock) != "null" {
		b, ok := wpBool(c.ManageStock)
		if !ok {
			return 0, nil, nil, &itemError{status: http.StatusBadRequest, code: "rest_invalid_param", message: "manage_stock is not of type boolean."}
		}
		manage = &b
	}
	if len(c.StockQuantity) > 0 && string(c.StockQuantity) != "null" {
		n, ok := flexInt(c.StockQuantity)
		if !ok {
			return 0, nil, nil, &itemError{status: http.StatusBadRequest, code: "rest_invalid_param", message: "stock_quantity is not of type integer."}
		}
		stock = &n
	}
	return id, manage, stock, nil
}

// updateProduct applies one update to a product and returns its JSON.
func (s *Server) updateProduct(c stockChange, now time.Time) (any, *itemError) {
	id, manage, stock, e := decodeChange(c)
	if e != nil {
		return nil, e
	}
	p, ok := s.st.byID[id]
	if !ok {
		return nil, &itemError{status: http.StatusBadRequest, code: "woocommerce_rest_product_invalid_id", message: "Invalid ID."}
	}
	if e := s.st.fail(p.sku); e != nil {
		return nil, e
	}
	if setStock(&p.manage, false, &p.stock, &p.modified, manage, stock, now) {
		s.ctl.Lock()
		s.stats.StockUpdates++
		s.ctl.Unlock()
	}
	return s.productJSON(p), nil
}

// updateVariation applies one update to a variation of parent.
func (s *Server) updateVariation(parent int64, c stockChange, now time.Time) (any, *itemError) {
	id, manage, stock, e := decodeChange(c)
	if e != nil {
		e.code = strings.Replace(e.code, "product_invalid_id", "product_variation_invalid_id", 1)
		return nil, e
	}
	v, ok := s.st.varByID[id]
	if !ok || v.parent.id != parent {
		return nil, &itemError{status: http.StatusBadRequest, code: "woocommerce_rest_product_variation_invalid_id", message: "Invalid ID."}
	}
	if e := s.st.fail(v.sku); e != nil {
		return nil, e
	}
	if setStock(&v.manage, v.parent.manage, &v.stock, &v.modified, manage, stock, now) {
		s.ctl.Lock()
		s.stats.StockUpdates++
		s.ctl.Unlock()
	}
	return s.variationJSON(v), nil
}

type batchRequest struct {
	Create []json.RawMessage `json:"create"`
	Update []json.RawMessage `json:"update"`
	Delete []json.RawMessage `json:"delete"`
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "rest_invalid_json", "The request body could not be read.", nil)
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.", map[string]any{"json_error_code": 4, "json_error_message": err.Error()})
		return false
	}
	return true
}

// batch runs WC_REST_Controller::batch_items: the limit on the total of
// create, update and delete items, then each item in turn, a failed item
// reported in place with its error.
func (s *Server) batch(w http.ResponseWriter, r *http.Request, kind string, update func(stockChange, time.Time) (any, *itemError)) {
	var req batchRequest
	if !readJSON(w, r, &req) {
		return
	}
	if n := len(req.Create) + len(req.Update) + len(req.Delete); n > batchLimit {
		writeError(w, http.StatusRequestEntityTooLarge, "woocommerce_rest_request_entity_too_large",
			fmt.Sprintf("Unable to accept more than %d items for this request.", batchLimit), nil)
		return
	}
	unsupported := &itemError{status: http.StatusNotImplemented, code: "woocommerce_rest_simulator_unsupported", message: "The simulator only updates stock."}
	now := s.now().UTC().Truncate(time.Second)
	resp := map[string][]any{}
	s.mu.Lock()
	for range req.Create {
		resp["create"] = append(resp["create"], unsupported.body(nil))
	}
	for _, raw := range req.Update {
		var c stockChange
		if err := json.Unmarshal(raw, &c); err != nil {
			resp["update"] = append(resp["update"], (&itemError{status: http.StatusBadRequest, code: "rest_invalid_param", message: "Invalid update item."}).body(nil))
			continue
		}
		if e := checkObject(kind, raw); e != nil {
			s.ctl.Lock()
			s.stats.SchemaRefused++
			s.ctl.Unlock()
			resp["update"] = append(resp["update"], e.body(c.ID))
			continue
		}
		out, e := update(c, now)
		if e != nil {
			resp["update"] = append(resp["update"], e.body(c.ID))
			continue
		}
		resp["update"] = append(resp["update"], out)
	}
	for _, id := range req.Delete {
		resp["delete"] = append(resp["delete"], unsupported.body(id))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) batchProducts(w http.ResponseWriter, r *http.Request) {
	s.batch(w, r, "product", s.updateProduct)
}

func (s *Server) batchVariations(w http.ResponseWriter, r *http.Request) {
	parent, _ := pathID(r, "id")
	s.batch(w, r, "variation", func(c stockChange, now time.Time) (any, *itemError) { return s.updateVariation(parent, c, now) })
}

func (s *Server) put(w http.ResponseWriter, r *http.Request, id string, update func(stockChange, time.Time) (any, *itemError)) {
	var c stockChange
	if !readJSON(w, r, &c) {
		return
	}
	c.ID = json.RawMessage(strconv.Quote(id))
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	out, e := update(c, now)
	s.mu.Unlock()
	if e != nil {
		writeError(w, e.status, e.code, e.message, nil)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) putProduct(w http.ResponseWriter, r *http.Request) {
	s.put(w, r, r.PathValue("id"), s.updateProduct)
}

func (s *Server) putVariation(w http.ResponseWriter, r *http.Request) {
	parent, _ := pathID(r, "id")
	s.put(w, r, r.PathValue("vid"), func(c stockChange, now time.Time) (any, *itemError) { return s.updateVariation(parent, c, now) })
}
