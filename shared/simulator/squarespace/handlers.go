package squarespacesim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// stampFormat is how Squarespace renders times: ISO 8601 UTC with
// milliseconds ("2020-06-23T15:41:04.262Z").
const stampFormat = "2006-01-02T15:04:05.000Z"

func stampString(t time.Time) string { return t.UTC().Format(stampFormat) }

type money struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

func usd(cents int64) money {
	return money{Value: fmt.Sprintf("%d.%02d", cents/100, cents%100), Currency: "USD"}
}

type pagination struct {
	HasNextPage    bool    `json:"hasNextPage"`
	NextPageCursor *string `json:"nextPageCursor"`
	NextPageURL    *string `json:"nextPageUrl"`
}

// cursorState is what a cursor encodes: the query it continues and the
// position after which the next page starts.
type cursorState struct {
	Kind   string   `json:"k"`
	After  *int64   `json:"a,omitempty"` // modifiedAfter, Unix ms, exclusive
	Before *int64   `json:"b,omitempty"` // modifiedBefore, Unix ms, exclusive
	Status string   `json:"s,omitempty"`
	Types  []string `json:"t,omitempty"`
	M      int64    `json:"m,omitempty"` // last item's modifiedOn, Unix ms
	ID     string   `json:"i,omitempty"` // last item's id
	N      int      `json:"n,omitempty"` // inventory: index of the next item
}

func encodeCursor(c cursorState) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, kind string) (cursorState, bool) {
	var c cursorState
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Kind != kind || c.N < 0 {
		return cursorState{}, false
	}
	return c, true
}

func pageOf(r *http.Request, more bool, next cursorState) pagination {
	if !more {
		return pagination{}
	}
	cur := encodeCursor(next)
	u := "http://" + r.Host + r.URL.Path + "?cursor=" + url.QueryEscape(cur)
	return pagination{HasNextPage: true, NextPageCursor: &cur, NextPageURL: &u}
}

// badRequest answers 400 with the error object.
func (s *Server) badRequest(w http.ResponseWriter, subtype, msg string) {
	s.apiError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", subtype, msg)
}

// parseStamp reads an ISO 8601 UTC date and time; a time with another
// offset is refused, as the docs ask for UTC.
func parseStamp(v string) (time.Time, bool) {
	if !strings.HasSuffix(v, "Z") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false
	}
	return t.Truncate(time.Millisecond), true
}

// listQuery reads the parameters of a list endpoint: either a cursor
// alone, or a first page's parameters checked by first. It answers the
// error itself and reports false.
func (s *Server) listQuery(w http.ResponseWriter, r *http.Request, kind string, first func(q url.Values, c *cursorState) bool) (cursorState, bool) {
	q := r.URL.Query()
	if cur := q.Get("cursor"); cur != "" {
		if len(q) != 1 || len(q["cursor"]) != 1 {
			s.badRequest(w, "INVALID_ARGUMENT", "A request cannot use both a cursor and other parameters; only a cursor OR a date range may be used.")
			return cursorState{}, false
		}
		c, ok := decodeCursor(cur, kind)
		if !ok {
			s.badRequest(w, "INVALID_ARGUMENT", "The cursor is invalid.")
			return cursorState{}, false
		}
		return c, true
	}
	c := cursorState{Kind: kind}
	if kind == "inventory" {
		return c, true
	}
	hasA, hasB := q.Has("modifiedAfter"), q.Has("modifiedBefore")
	if hasA != hasB {
		s.badRequest(w, "MISSING_ARGUMENT", "modifiedAfter and modifiedBefore must be passed together.")
		return cursorState{}, false
	}
	if hasA {
		a, okA := parseStamp(q.Get("modifiedAfter"))
		b, okB := parseStamp(q.Get("modifiedBefore"))
		if !okA || !okB {
			s.badRequest(w, "INVALID_ARGUMENT", "modifiedAfter and modifiedBefore must be ISO 8601 UTC date and time strings, e.g. 2016-04-10T12:00:00.0Z.")
			return cursorState{}, false
		}
		if !a.Before(b) {
			s.badRequest(w, "INVALID_ARGUMENT", "modifiedAfter must be before modifiedBefore.")
			return cursorState{}, false
		}
		am, bm := a.UnixMilli(), b.UnixMilli()
		c.After, c.Before = &am, &bm
	}
	if !first(q, &c) {
		return cursorState{}, false
	}
	return c, true
}

// startAt is the first index of a list sorted by (modified, id) past both
// the window's start and the cursor's position.
func startAt(n int, key func(i int) (int64, string), c cursorState) int {
	past := func(m int64, id string) func(int) bool {
		return func(i int) bool {
			km, kid := key(i)
			return km > m || km == m && kid > id
		}
	}
	start := 0
	if c.After != nil {
		start = sort.Search(n, func(i int) bool { km, _ := key(i); return km > *c.After })
	}
	if c.ID != "" {
		start = max(start, sort.Search(n, past(c.M, c.ID)))
	}
	return start
}

// listOrders serves GET /1.0/commerce/orders.
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	c, ok := s.listQuery(w, r, "orders", func(q url.Values, c *cursorState) bool {
		if q.Has("fulfillmentStatus") {
			st := q.Get("fulfillmentStatus")
			if st != Pending && st != Fulfilled && st != Canceled {
				s.badRequest(w, "INVALID_ARGUMENT", "fulfillmentStatus must be PENDING, FULFILLED or CANCELED.")
				return false
			}
			c.Status = st
		}
		return true
	})
	if !ok {
		return
	}
	s.mu.Lock()
	sorted := s.st.ordersByModified()
	key := func(i int) (int64, string) { return sorted[i].modified.UnixMilli(), sorted[i].id }
	out := []orderJSON{}
	more := false
	var last *order
	for _, o := range sorted[startAt(len(sorted), key, c):] {
		if c.Before != nil && o.modified.UnixMilli() >= *c.Before {
			break
		}
		if c.Status != "" && o.status != c.Status {
			continue
		}
		if len(out) == PageSize {
			more = true
			break
		}
		out = append(out, s.orderJSON(o))
		last = o
	}
	s.mu.Unlock()
	next := c
	if last != nil {
		next.M, next.ID = last.modified.UnixMilli(), last.id
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": out, "pagination": pageOf(r, more, next)})
}

// getOrder serves GET /1.0/commerce/orders/{id}.
func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	o, ok := s.st.byID[r.PathValue("id")]
	var body orderJSON
	if ok {
		body = s.orderJSON(o)
	}
	s.mu.Unlock()
	if !ok {
		s.apiError(w, http.StatusNotFound, "NOT_FOUND", "", "The order was not found.")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

type address struct {
	FirstName   string  `json:"firstName"`
	LastName    string  `json:"lastName"`
	Address1    string  `json:"address1"`
	Address2    *string `json:"address2"`
	City        string  `json:"city"`
	State       string  `json:"state"`
	CountryCode string  `json:"countryCode"`
	PostalCode  string  `json:"postalCode"`
	Phone       *string `json:"phone"`
}

type variantOption struct {
	Value      string `json:"value"`
	OptionName string `json:"optionName"`
}

type lineJSON struct {
	ID             string          `json:"id"`
	VariantID      *string         `json:"variantId"`
	SKU            *string         `json:"sku"`
	ProductID      *string         `json:"productId"`
	ProductName    string          `json:"productName"`
	Quantity       int             `json:"quantity"`
	UnitPricePaid  money           `json:"unitPricePaid"`
	VariantOptions []variantOption `json:"variantOptions"`
	Customizations []any           `json:"customizations"`
	ImageURL       *string         `json:"imageUrl"`
	LineItemType   string          `json:"lineItemType"`
}

// orderJSON is an Order as the Orders API renders it: every documented
// field present, null where empty.
type orderJSON struct {
	ID                     string     `json:"id"`
	OrderNumber            string     `json:"orderNumber"`
	CreatedOn              string     `json:"createdOn"`
	ModifiedOn             string     `json:"modifiedOn"`
	Channel                string     `json:"channel"`
	Testmode               bool       `json:"testmode"`
	CustomerEmail          string     `json:"customerEmail"`
	BillingAddress         address    `json:"billingAddress"`
	ShippingAddress        address    `json:"shippingAddress"`
	FulfillmentStatus      string     `json:"fulfillmentStatus"`
	LineItems              []lineJSON `json:"lineItems"`
	InternalNotes          []any      `json:"internalNotes"`
	ShippingLines          []any      `json:"shippingLines"`
	DiscountLines          []any      `json:"discountLines"`
	FormSubmission         []any      `json:"formSubmission"`
	Fulfillments           []any      `json:"fulfillments"`
	Subtotal               money      `json:"subtotal"`
	ShippingTotal          money      `json:"shippingTotal"`
	DiscountTotal          money      `json:"discountTotal"`
	TaxTotal               money      `json:"taxTotal"`
	RefundedTotal          money      `json:"refundedTotal"`
	GrandTotal             money      `json:"grandTotal"`
	ChannelName            string     `json:"channelName"`
	ExternalOrderReference *string    `json:"externalOrderReference"`
	FulfilledOn            *string    `json:"fulfilledOn"`
	PriceTaxInterpretation string     `json:"priceTaxInterpretation"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// orderJSON renders o. The caller holds s.mu.
func (s *Server) orderJSON(o *order) orderJSON {
	addr := address{FirstName: "Sam", LastName: fmt.Sprintf("Customer %d", o.number), Address1: "1 Example Street",
		City: "New York", State: "NY", CountryCode: "US", PostalCode: "10001"}
	out := orderJSON{
		ID: o.id, OrderNumber: strconv.Itoa(o.number),
		CreatedOn: stampString(o.created), ModifiedOn: stampString(o.modified),
		Channel: "web", CustomerEmail: o.email, BillingAddress: addr, ShippingAddress: addr,
		FulfillmentStatus: o.status, LineItems: []lineJSON{}, InternalNotes: []any{},
		ShippingLines: []any{}, DiscountLines: []any{}, Fulfillments: []any{},
		ChannelName: "Squarespace", PriceTaxInterpretation: "EXCLUSIVE",
	}
	var sub int64
	for _, l := range o.lines {
		lj := lineJSON{
			ID: l.id, VariantID: strPtr(l.variantID), SKU: strPtr(l.sku), ProductID: strPtr(l.productID),
			ProductName: l.name, Quantity: l.quantity, UnitPricePaid: usd(l.price),
			VariantOptions: []variantOption{}, LineItemType: "PHYSICAL",
		}
		if v, ok := s.st.byVarID[l.variantID]; ok {
			for i, a := range v.attrs {
				lj.VariantOptions = append(lj.VariantOptions, variantOption{Value: a, OptionName: v.product.attrNames[i]})
			}
			if len(v.product.images) > 0 {
				lj.ImageURL = &v.product.images[0].url
			}
		}
		out.LineItems = append(out.LineItems, lj)
		sub += l.price * int64(l.quantity)
	}
	shipping := int64(599)
	out.Subtotal, out.ShippingTotal, out.DiscountTotal = usd(sub), usd(shipping), usd(0)
	out.TaxTotal, out.RefundedTotal, out.GrandTotal = usd(0), usd(0), usd(sub+shipping)
	if o.status == Fulfilled {
		out.FulfilledOn = strPtr(stampString(o.modified))
	}
	return out
}

// listProducts serves GET /v2/commerce/products.
func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	c, ok := s.listQuery(w, r, "products", func(q url.Values, c *cursorState) bool {
		raw := q.Get("type")
		if raw == "" {
			s.badRequest(w, "MISSING_ARGUMENT", "type is required unless a cursor is passed.")
			return false
		}
		for _, t := range strings.Split(raw, ",") {
			if !slices.Contains(productTypes, t) {
				s.badRequest(w, "INVALID_ARGUMENT", fmt.Sprintf("Unknown product type %q.", t))
				return false
			}
			c.Types = append(c.Types, t)
		}
		return true
	})
	if !ok {
		return
	}
	s.mu.Lock()
	sorted := s.st.productsByModified()
	key := func(i int) (int64, string) { return sorted[i].modified.UnixMilli(), sorted[i].id }
	out := []productJSON{}
	more := false
	var last *product
	for _, p := range sorted[startAt(len(sorted), key, c):] {
		if c.Before != nil && p.modified.UnixMilli() >= *c.Before {
			break
		}
		if !slices.Contains(c.Types, p.typ) {
			continue
		}
		if len(out) == PageSize {
			more = true
			break
		}
		out = append(out, productView(p))
		last = p
	}
	s.mu.Unlock()
	next := c
	if last != nil {
		next.M, next.ID = last.modified.UnixMilli(), last.id
	}
	writeJSON(w, http.StatusOK, map[string]any{"products": out, "pagination": pageOf(r, more, next)})
}

type pricing struct {
	BasePrice money `json:"basePrice"`
	SalePrice money `json:"salePrice"`
	OnSale    bool  `json:"onSale"`
}

type stock struct {
	Quantity  int  `json:"quantity"`
	Unlimited bool `json:"unlimited"`
}

type variantJSON struct {
	ID         string            `json:"id"`
	SKU        string            `json:"sku"`
	Pricing    pricing           `json:"pricing"`
	Stock      stock             `json:"stock"`
	Attributes map[string]string `json:"attributes"`
	Image      any               `json:"image"`
}

type size struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

type imageJSON struct {
	ID               string   `json:"id"`
	AltText          string   `json:"altText"`
	URL              string   `json:"url"`
	OriginalSize     size     `json:"originalSize"`
	AvailableFormats []string `json:"availableFormats"`
}

type productJSON struct {
	ID                string        `json:"id"`
	Type              string        `json:"type"`
	StorePageID       string        `json:"storePageId"`
	Name              string        `json:"name"`
	Description       string        `json:"description"`
	URL               string        `json:"url"`
	URLSlug           string        `json:"urlSlug"`
	Tags              []string      `json:"tags"`
	IsVisible         bool          `json:"isVisible"`
	VariantAttributes []string      `json:"variantAttributes"`
	Variants          []variantJSON `json:"variants"`
	Images            []imageJSON   `json:"images"`
	CreatedOn         string        `json:"createdOn"`
	ModifiedOn        string        `json:"modifiedOn"`
}

// productView renders p as the v2 Products API does. The caller holds s.mu.
func productView(p *product) productJSON {
	out := productJSON{
		ID: p.id, Type: p.typ, StorePageID: "5ed539b66505ca7c5f4a3a00", Name: p.name,
		Description: "<p>" + p.name + "</p>", URL: "/shop/p/" + p.slug, URLSlug: p.slug,
		Tags: []string{}, IsVisible: true, VariantAttributes: append([]string{}, p.attrNames...),
		Variants: []variantJSON{}, Images: []imageJSON{},
		CreatedOn: stampString(p.created), ModifiedOn: stampString(p.modified),
	}
	for _, v := range p.variants {
		vj := variantJSON{
			ID: v.id, SKU: v.sku,
			Pricing:    pricing{BasePrice: usd(v.price), SalePrice: usd(0)},
			Stock:      stock{Quantity: v.quantity, Unlimited: v.unlimited},
			Attributes: map[string]string{},
		}
		for i, a := range v.attrs {
			vj.Attributes[p.attrNames[i]] = a
		}
		out.Variants = append(out.Variants, vj)
	}
	for _, im := range p.images {
		out.Images = append(out.Images, imageJSON{ID: im.id, AltText: im.alt, URL: im.url,
			OriginalSize: size{Width: 1500, Height: 1500}, AvailableFormats: []string{"100w", "300w", "500w", "750w", "1000w", "1500w"}})
	}
	return out
}

type inventoryJSON struct {
	VariantID   string `json:"variantId"`
	SKU         string `json:"sku"`
	Descriptor  string `json:"descriptor"`
	IsUnlimited bool   `json:"isUnlimited"`
	Quantity    int    `json:"quantity"`
}

// listInventory serves GET /1.0/commerce/inventory: every variant, in
// catalog order, 50 a page.
func (s *Server) listInventory(w http.ResponseWriter, r *http.Request) {
	c, ok := s.listQuery(w, r, "inventory", nil)
	if !ok {
		return
	}
	s.mu.Lock()
	out := []inventoryJSON{}
	vs := s.st.variants[min(c.N, len(s.st.variants)):]
	for _, v := range vs[:min(len(vs), PageSize)] {
		d := v.product.name
		if len(v.attrs) > 0 {
			d += " [" + strings.Join(v.attrs, ", ") + "]"
		}
		out = append(out, inventoryJSON{VariantID: v.id, SKU: v.sku, Descriptor: d, IsUnlimited: v.unlimited, Quantity: v.quantity})
	}
	more := len(vs) > PageSize
	s.mu.Unlock()
	next := c
	next.N = c.N + len(out)
	writeJSON(w, http.StatusOK, map[string]any{"inventory": out, "pagination": pageOf(r, more, next)})
}

// keyRE is a valid Idempotency-Key.
var keyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// maxBody bounds an adjustment body; Squarespace's own limit is not
// documented.
const maxBody = 1 << 20

type operation struct {
	VariantID string `json:"variantId"`
	Quantity  *int   `json:"quantity"`
}

type adjustment struct {
	Increment    []operation `json:"incrementOperations"`
	Decrement    []operation `json:"decrementOperations"`
	SetFinite    []operation `json:"setFiniteOperations"`
	SetUnlimited []string    `json:"setUnlimitedOperations"`
}

// adjust serves POST /1.0/commerce/inventory/adjustments.
func (s *Server) adjust(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if !keyRE.MatchString(key) {
		s.badRequest(w, "INVALID_HEADER", "The Idempotency-Key header is required: up to 64 letters, digits, dashes and underscores.")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		s.apiError(w, http.StatusUnsupportedMediaType, "INVALID_REQUEST_ERROR", "", "The Content-Type must be application/json.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.apiError(w, http.StatusRequestEntityTooLarge, "INVALID_REQUEST_ERROR", "", "The request body is too large.")
		return
	}
	hash := sha256.Sum256(body)
	now := s.now()

	s.mu.Lock()
	s.stats.AdjustmentKeys = append(s.stats.AdjustmentKeys, key)
	if e, ok := s.st.idem[key]; ok && now.Sub(e.at) < IdempotencyTTL {
		if e.bodyHash != hash {
			s.stats.BadRequests++
			s.mu.Unlock()
			writeJSON(w, http.StatusUnprocessableEntity, s.errorBody("INVALID_REQUEST_ERROR", "IDEMPOTENCY_KEY_REUSED",
				"The Idempotency-Key was already used with a different request."))
			return
		}
		s.stats.Replayed++
		status, kept := e.status, e.body
		s.mu.Unlock()
		writeKept(w, status, kept)
		return
	}
	status, answer := s.execute(body)
	s.st.idem[key] = &idemEntry{at: now, bodyHash: hash, status: status, body: answer}
	if s.st.idemAdds++; s.st.idemAdds%256 == 0 {
		for k, e := range s.st.idem {
			if now.Sub(e.at) >= IdempotencyTTL {
				delete(s.st.idem, k)
			}
		}
	}
	s.mu.Unlock()
	writeKept(w, status, answer)
}

func writeKept(w http.ResponseWriter, status int, body []byte) {
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	w.Write(body)
}

// execute validates and applies an adjustment, all or nothing, and returns
// the answer to keep under its key. The caller holds s.mu.
func (s *Server) execute(body []byte) (int, []byte) {
	refuse := func(subtype, msg string) (int, []byte) {
		s.stats.Refused++
		s.stats.BadRequests++
		b, _ := json.Marshal(s.errorBody("INVALID_REQUEST_ERROR", subtype, msg))
		return http.StatusBadRequest, b
	}
	var a adjustment
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&a); err != nil || dec.More() {
		return refuse("INVALID_BODY", "The request body is not a valid adjustment.")
	}
	total := len(a.Increment) + len(a.Decrement) + len(a.SetFinite) + len(a.SetUnlimited)
	switch {
	case total == 0:
		return refuse("MISSING_ARGUMENT", "At least one operation is required.")
	case total > MaxAdjustmentOperations:
		return refuse("TOO_MANY_OPERATIONS", fmt.Sprintf("At most %d operations may be sent in one request; got %d.", MaxAdjustmentOperations, total))
	}
	type step struct {
		v    *variant
		kind string
		n    int
	}
	var plan []step
	seen := map[string]bool{}
	check := func(kind, id string, q *int) (string, string) {
		v, ok := s.st.byVarID[id]
		switch {
		case !ok:
			return "INVALID_ARGUMENT", fmt.Sprintf("Variant %s was not found.", id)
		case seen[id]:
			return "INVALID_ARGUMENT", fmt.Sprintf("Variant %s appears in more than one operation.", id)
		case kind != "unlimited" && q == nil:
			return "MISSING_ARGUMENT", fmt.Sprintf("The operation on variant %s has no quantity.", id)
		case (kind == "increment" || kind == "decrement") && *q < 1:
			return "INVALID_ARGUMENT", fmt.Sprintf("The quantity for variant %s must be at least 1.", id)
		case kind == "setFinite" && *q < 0:
			return "INVALID_ARGUMENT", fmt.Sprintf("The quantity for variant %s must not be negative.", id)
		case kind == "decrement" && !v.unlimited && v.quantity-*q < 0:
			return "INVALID_ARGUMENT", fmt.Sprintf("Decrementing variant %s by %d would make its stock negative.", id, *q)
		case s.st.failSKU[v.sku] > 0:
			if s.st.failSKU[v.sku]--; s.st.failSKU[v.sku] == 0 {
				delete(s.st.failSKU, v.sku)
			}
			return "INVALID_ARGUMENT", fmt.Sprintf("Stock for variant %s cannot be adjusted.", id)
		}
		seen[id] = true
		n := 0
		if q != nil {
			n = *q
		}
		plan = append(plan, step{v: v, kind: kind, n: n})
		return "", ""
	}
	for _, group := range []struct {
		kind string
		ops  []operation
	}{{"increment", a.Increment}, {"decrement", a.Decrement}, {"setFinite", a.SetFinite}} {
		for _, op := range group.ops {
			if sub, msg := check(group.kind, op.VariantID, op.Quantity); msg != "" {
				return refuse(sub, msg)
			}
		}
	}
	for _, id := range a.SetUnlimited {
		if sub, msg := check("unlimited", id, nil); msg != "" {
			return refuse(sub, msg)
		}
	}
	for _, st := range plan {
		switch v := st.v; st.kind {
		case "increment":
			if !v.unlimited {
				v.quantity += st.n
			}
		case "decrement":
			if !v.unlimited {
				v.quantity -= st.n
			}
		case "setFinite":
			v.quantity, v.unlimited = st.n, false
		case "unlimited":
			v.unlimited = true
		}
	}
	s.stats.Applied++
	s.stats.Operations += total
	return http.StatusNoContent, nil
}
