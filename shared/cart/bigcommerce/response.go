package bigcommerce

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// unreadable reports a response the connector could not make sense of as
// BigCommerce's failure, permanent: the same request would get the same
// answer.
func unreadable(status int, err error) error {
	if err == nil {
		return nil
	}
	return &cart.Error{Status: status, Message: "BigCommerce sent a response that could not be read", Err: err}
}

// apiMessage digs BigCommerce's own message out of an error body: a V3
// problem document {"title", "detail"}, a V2 array [{"message"}], or an
// object with "message" or "error". It is empty when there is none.
func apiMessage(body []byte) string {
	body = bytes.TrimSpace(body)
	type msg struct {
		Title   string `json:"title"`
		Detail  string `json:"detail"`
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	pick := func(m msg) string {
		for _, s := range []string{m.Title, m.Detail, m.Message, m.Error} {
			if s = strings.TrimSpace(s); s != "" {
				return clip(s)
			}
		}
		return ""
	}
	switch {
	case len(body) > 0 && body[0] == '{':
		var m msg
		if json.Unmarshal(body, &m) == nil {
			return pick(m)
		}
	case len(body) > 0 && body[0] == '[':
		var ms []msg
		if json.Unmarshal(body, &ms) == nil {
			for _, m := range ms {
				if s := pick(m); s != "" {
					return s
				}
			}
		}
	}
	return ""
}

// clip bounds a message shown to a merchant.
func clip(s string) string { return cart.Clip(s, 300) }

// flexString is a value BigCommerce sends as a string or a number
// ("12.5000" or 12.5).
type flexString = cart.FlexString

// flexInt is a count BigCommerce sends as a number (sometimes 2.0) or a
// numeric string.
type flexInt struct {
	set bool
	n   int
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*f = flexInt{}
		return nil
	}
	v, err := strconv.ParseFloat(string(s), 64)
	if err != nil || v != math.Trunc(v) || v < 0 || v > math.MaxInt32 {
		return fmt.Errorf("%q is not a count", s)
	}
	*f = flexInt{set: true, n: int(v)}
	return nil
}

// decimal normalizes a money amount to a plain decimal string with at
// least two decimals: "361.9500" → "361.95", "7.5" → "7.50". The float
// round trip uses the shortest representation, so it never adds digits.
func decimal(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || math.Abs(v) >= 1e15 {
		return "", false
	}
	out := strconv.FormatFloat(v, 'f', -1, 64)
	if out == "-0" {
		out = "0"
	}
	dot := strings.IndexByte(out, '.')
	switch {
	case dot < 0:
		out += ".00"
	case len(out)-dot-1 < 2:
		out += strings.Repeat("0", 2-(len(out)-dot-1))
	}
	return out, true
}

// parseTime reads V2's RFC-2822 times and V3's RFC 3339 ones.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range []string{time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", time.RFC3339Nano} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time", s)
}

// v2Order is the part of a V2 order the connector reads.
type v2Order struct {
	ID           int64           `json:"id"`
	DateCreated  string          `json:"date_created"`
	DateModified string          `json:"date_modified"`
	StatusID     *int            `json:"status_id"`
	Status       string          `json:"status"`
	TotalIncTax  flexString      `json:"total_inc_tax"`
	CurrencyCode string          `json:"currency_code"`
	ItemsTotal   flexInt         `json:"items_total"`
	ItemsShipped flexInt         `json:"items_shipped"`
	Consignments json.RawMessage `json:"consignments"`
}

// orderProduct is one line item, from a consignment or /products.
type orderProduct struct {
	ID               int64      `json:"id"`
	SKU              *string    `json:"sku"`
	Quantity         *flexInt   `json:"quantity"`
	QuantityRefunded flexString `json:"quantity_refunded"`
	URL              string     `json:"url"` // set on a resource link instead of a line item
}

// line maps a line item: the quantity still to fulfil, so items refunded
// before shipping commit no stock.
func (p orderProduct) line() (cart.Line, int, error) {
	if p.Quantity == nil || !p.Quantity.set {
		return cart.Line{}, 0, cart.Malformed("line item %d has no quantity", p.ID)
	}
	q := p.Quantity.n
	if p.QuantityRefunded != "" {
		r, err := strconv.ParseFloat(string(p.QuantityRefunded), 64)
		if err != nil || r < 0 || math.IsNaN(r) {
			return cart.Line{}, 0, cart.Malformed("line item %d has quantity_refunded %q", p.ID, p.QuantityRefunded)
		}
		q -= int(min(r, float64(q)))
	}
	var sku string
	if p.SKU != nil {
		sku = *p.SKU
	}
	return cart.Line{SKU: sku, Quantity: q}, p.Quantity.n, nil
}

type consignment struct {
	LineItems json.RawMessage `json:"line_items"`
	Warning   json.RawMessage `json:"__warning__"`
}

type consignmentSet struct {
	Pickups   []consignment `json:"pickups"`
	Shipping  []consignment `json:"shipping"`
	Downloads []consignment `json:"downloads"`
	Email     struct {
		GiftCertificates []consignment `json:"gift_certificates"`
	} `json:"email"`
	URL string `json:"url"` // set when consignments is only a link
}

// consignmentLines collects the line items embedded by
// include=consignments.line_items. complete is false when they are not all
// there: consignments only linked, line items only linked, or a consignment
// truncated with a __warning__ (at 50 line items, bigcommerce/docs #960).
func consignmentLines(raw json.RawMessage) (lines []cart.Line, ordered int, complete bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, 0, false, nil
	}
	var sets []consignmentSet
	if raw[0] == '[' {
		// The legacy structure, without consignment_structure=object.
		if err := json.Unmarshal(raw, &sets); err != nil {
			return nil, 0, false, cart.Malformed("consignments: %v", err)
		}
	} else {
		var s consignmentSet
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, 0, false, cart.Malformed("consignments: %v", err)
		}
		if s.URL != "" {
			return nil, 0, false, nil
		}
		sets = []consignmentSet{s}
	}
	complete = true
	for _, s := range sets {
		for _, group := range [][]consignment{s.Shipping, s.Pickups, s.Downloads, s.Email.GiftCertificates} {
			for _, c := range group {
				if w := bytes.TrimSpace(c.Warning); len(w) > 0 && !bytes.Equal(w, []byte("null")) {
					complete = false
				}
				items := bytes.TrimSpace(c.LineItems)
				if len(items) == 0 || items[0] != '[' {
					complete = false // a link to the line items, or none
					continue
				}
				var ps []orderProduct
				if err := json.Unmarshal(items, &ps); err != nil {
					return nil, 0, false, cart.Malformed("consignment line items: %v", err)
				}
				for _, p := range ps {
					if p.URL != "" && p.Quantity == nil {
						complete = false
						continue
					}
					l, n, err := p.line()
					if err != nil {
						return nil, 0, false, err
					}
					lines = append(lines, l)
					ordered += n
				}
			}
		}
	}
	return lines, ordered, complete, nil
}

// ordersPage is one parsed page of GET /v2/orders.
type ordersPage struct {
	orders []cart.Order
	// more are the indexes in orders whose line items must be read from
	// /v2/orders/{id}/products.
	more []int
	// count is how many orders the page held, repeats included, and last
	// the highest id among them: the page is full when count is the limit.
	count int
	last  int64
}

// parseOrders maps a page of V2 orders. An empty body is 204 No Content,
// BigCommerce's empty page. Orders with ids up to after are repeats of the
// previous page (min_id is inclusive) and are dropped. queried is the
// status asked for, used when an order leaves its status out.
func parseOrders(body []byte, after int64, queried int) (*ordersPage, error) {
	body = bytes.TrimSpace(body)
	p := &ordersPage{last: after}
	if len(body) == 0 {
		return p, nil
	}
	var list []v2Order
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, cart.Malformed("orders: %v", err)
	}
	p.count = len(list)
	p.orders = make([]cart.Order, 0, len(list))
	for _, v := range list {
		if v.ID <= 0 {
			return nil, cart.Malformed("order id %d", v.ID)
		}
		p.last = max(p.last, v.ID)
		if v.ID <= after {
			continue
		}
		o, complete, err := toOrder(v, queried)
		if err != nil {
			return nil, err
		}
		if !complete {
			p.more = append(p.more, len(p.orders))
		}
		p.orders = append(p.orders, o)
	}
	return p, nil
}

// parseOrder maps GET /v2/orders/{id}.
func parseOrder(body []byte) (cart.Order, bool, error) {
	var v v2Order
	if err := json.Unmarshal(body, &v); err != nil {
		return cart.Order{}, false, cart.Malformed("order: %v", err)
	}
	if v.ID <= 0 {
		return cart.Order{}, false, cart.Malformed("order id %d", v.ID)
	}
	return toOrder(v, -1)
}

func toOrder(v v2Order, queried int) (o cart.Order, complete bool, err error) {
	id := strconv.FormatInt(v.ID, 10)
	updated, err := parseTime(v.DateModified)
	if err != nil {
		return o, false, cart.Malformed("order %s date_modified: %v", id, err)
	}
	var created time.Time
	if v.DateCreated != "" {
		if created, err = parseTime(v.DateCreated); err != nil {
			return o, false, cart.Malformed("order %s date_created: %v", id, err)
		}
	}
	status := queried
	if v.StatusID != nil {
		status = *v.StatusID
	}
	name, known := statusNames[status]
	if !known {
		if status < 0 {
			return o, false, cart.Malformed("order %s has no status", id)
		}
		name = strings.TrimSpace(v.Status)
		if name == "" {
			name = "Status " + strconv.Itoa(status)
		}
	}
	total, ok := decimal(string(v.TotalIncTax))
	if !ok {
		return o, false, cart.Malformed("order %s total %q", id, v.TotalIncTax)
	}
	lines, ordered, complete, err := consignmentLines(v.Consignments)
	if err != nil {
		return o, false, fmt.Errorf("order %s: %w", id, err)
	}
	if complete && v.ItemsTotal.set && ordered != v.ItemsTotal.n {
		complete = false // fewer embedded than ordered: read them all
	}
	return cart.Order{
		ExternalID: id,
		Number:     "#" + id,
		CartStatus: name,
		Filter:     filterFor(status, v.ItemsShipped, v.ItemsTotal),
		Lines:      lines,
		CreatedAt:  created,
		UpdatedAt:  updated,
		Total:      total,
		Currency:   strings.ToUpper(strings.TrimSpace(v.CurrencyCode)),
	}, complete, nil
}

// parseOrderProducts maps a page of GET /v2/orders/{id}/products; count
// is the number of line items on the page.
func parseOrderProducts(body []byte) (lines []cart.Line, count int, err error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, 0, nil
	}
	var ps []orderProduct
	if err := json.Unmarshal(body, &ps); err != nil {
		return nil, 0, cart.Malformed("order products: %v", err)
	}
	for _, p := range ps {
		l, _, err := p.line()
		if err != nil {
			return nil, 0, err
		}
		lines = append(lines, l)
	}
	return lines, len(ps), nil
}

// v3 catalog shapes.
type v3Image struct {
	ID          int64  `json:"id"`
	SortOrder   int    `json:"sort_order"`
	URLZoom     string `json:"url_zoom"`
	URLStandard string `json:"url_standard"`
}

type v3Variant struct {
	ID             int64       `json:"id"`
	SKU            string      `json:"sku"`
	Price          *flexString `json:"price"`
	InventoryLevel *int        `json:"inventory_level"`
	ImageURL       string      `json:"image_url"`
	OptionValues   []struct {
		Label             string `json:"label"`
		OptionDisplayName string `json:"option_display_name"`
	} `json:"option_values"`
}

type v3Product struct {
	ID                int64       `json:"id"`
	Name              string      `json:"name"`
	Price             flexString  `json:"price"`
	InventoryLevel    *int        `json:"inventory_level"`
	InventoryTracking string      `json:"inventory_tracking"`
	BaseVariantID     int64       `json:"base_variant_id"`
	DateModified      string      `json:"date_modified"`
	Variants          []v3Variant `json:"variants"`
	Images            []v3Image   `json:"images"`
}

type pagination struct {
	CurrentPage int `json:"current_page"`
	TotalPages  int `json:"total_pages"`
}

// productsPage is one parsed page of GET /v3/catalog/products.
type productsPage struct {
	listings []cart.Listing
	tracking tracking // how each product tracks stock
	last     int64    // the highest product id on the page
	more     bool     // another page follows
}

// parseProducts maps a page of V3 products with variants and images to one
// listing per variant that has a SKU. limit is the page size asked for,
// the fallback when the page says nothing of pagination.
func parseProducts(body []byte, limit int) (*productsPage, error) {
	var d struct {
		Data *[]v3Product `json:"data"`
		Meta struct {
			Pagination *pagination `json:"pagination"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, cart.Malformed("products: %v", err)
	}
	if d.Data == nil {
		return nil, cart.Malformed("products: no data")
	}
	p := &productsPage{tracking: tracking{}}
	for _, pr := range *d.Data {
		if pr.ID <= 0 {
			return nil, cart.Malformed("product id %d", pr.ID)
		}
		p.last = max(p.last, pr.ID)
		p.tracking.add(pr)
		ls, err := toListings(pr)
		if err != nil {
			return nil, err
		}
		p.listings = append(p.listings, ls...)
	}
	if pg := d.Meta.Pagination; pg != nil {
		p.more = pg.CurrentPage < pg.TotalPages
	} else {
		p.more = len(*d.Data) >= limit
	}
	if len(*d.Data) == 0 {
		p.more = false
	}
	return p, nil
}

func toListings(pr v3Product) ([]cart.Listing, error) {
	pid := strconv.FormatInt(pr.ID, 10)
	updated, err := parseTime(pr.DateModified)
	if err != nil {
		return nil, cart.Malformed("product %s date_modified: %v", pid, err)
	}
	price, ok := decimal(string(pr.Price))
	if !ok {
		return nil, cart.Malformed("product %s price %q", pid, pr.Price)
	}
	images := slices.Clone(pr.Images)
	slices.SortStableFunc(images, func(a, b v3Image) int {
		if c := cmp.Compare(a.SortOrder, b.SortOrder); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	var urls []string
	for _, im := range images {
		u := im.URLZoom
		if u == "" {
			u = im.URLStandard
		}
		urls = cart.AppendImages(urls, u)
	}
	var out []cart.Listing
	for _, v := range pr.Variants {
		if v.ID <= 0 {
			return nil, cart.Malformed("product %s variant id %d", pid, v.ID)
		}
		sku := strings.TrimSpace(v.SKU)
		if sku == "" {
			continue // nothing to address it by
		}
		l := cart.Listing{
			SKU:       sku,
			Name:      strings.TrimSpace(pr.Name),
			Price:     price,
			Link:      cart.Link{ProductID: pid, VariantID: strconv.FormatInt(v.ID, 10)},
			UpdatedAt: updated,
		}
		var opts []string
		for _, ov := range v.OptionValues {
			if ov.OptionDisplayName != "" {
				opts = append(opts, ov.OptionDisplayName+": "+ov.Label)
			} else if ov.Label != "" {
				opts = append(opts, ov.Label)
			}
		}
		if len(opts) > 0 {
			l.Name += " (" + strings.Join(opts, ", ") + ")"
		}
		if v.Price != nil && *v.Price != "" {
			if l.Price, ok = decimal(string(*v.Price)); !ok {
				return nil, cart.Malformed("variant %d price %q", v.ID, *v.Price)
			}
		}
		l.Images = slices.Clone(urls)
		if !slices.Contains(urls, v.ImageURL) {
			// The variant's own image first.
			l.Images = cart.AppendImages(cart.AppendImages(nil, v.ImageURL), urls...)
		}
		// The Catalog API reports stock at the default location only;
		// atLocation reads another location's.
		switch pr.InventoryTracking {
		case "variant":
			l.Quantity = v.InventoryLevel
		case "product":
			l.Quantity = pr.InventoryLevel
		}
		if l.Quantity != nil {
			q := *l.Quantity
			l.Quantity = &q
		}
		out = append(out, l)
	}
	return out, nil
}

// hookJSON is a V3 webhook (/hooks).
type hookJSON struct {
	ID          int64  `json:"id"`
	Scope       string `json:"scope"`
	Destination string `json:"destination"`
	IsActive    bool   `json:"is_active"`
}
