package woocommerce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// wcInt reads an integer WooCommerce may send as a number (5, 5.0), as a
// numeric string ("5") or as null (Valid false).
type wcInt struct {
	N     int64
	Valid bool
}

func (n *wcInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*n = wcInt{}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		b = []byte(s)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return fmt.Errorf("%q is not an integer", b)
	}
	*n = wcInt{N: int64(f), Valid: true}
	return nil
}

// wcString reads a string WooCommerce (or a plugin) may send as a number.
type wcString = cart.FlexString

// wcTime reads a date_*_gmt value: "2017-03-22T19:28:08", GMT without a
// zone (RFC 3339 is accepted too); null or "" leaves it zero.
type wcTime struct{ time.Time }

func (t *wcTime) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t.Time = time.Time{}
	if s == nil || *s == "" {
		return nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", time.RFC3339Nano} {
		if v, err := time.Parse(layout, *s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("%q is not a date", *s)
}

// manageStock reads manage_stock: true, false, or "parent" for a
// variation whose stock its parent manages.
type manageStock struct {
	managed bool
	parent  bool
}

func (m *manageStock) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = manageStock{}
	switch v := v.(type) {
	case bool:
		m.managed = v
	case string:
		m.parent = v == "parent"
		m.managed = m.parent
	}
	return nil
}

type wcLine struct {
	SKU         *string `json:"sku"`
	Quantity    wcInt   `json:"quantity"`
	ProductID   wcInt   `json:"product_id"`
	VariationID wcInt   `json:"variation_id"`
}

type wcOrder struct {
	ID              wcInt    `json:"id"`
	Number          wcString `json:"number"`
	Status          string   `json:"status"`
	Currency        string   `json:"currency"`
	Total           wcString `json:"total"`
	DateCreatedGMT  wcTime   `json:"date_created_gmt"`
	DateModifiedGMT wcTime   `json:"date_modified_gmt"`
	LineItems       []wcLine `json:"line_items"`
}

// orderFields are the only fields asked for (_fields), to keep pages small.
const orderFields = "id,number,status,currency,total,date_created_gmt,date_modified_gmt,line_items"

// parseOrders reads a page of orders.
func parseOrders(body []byte) ([]cart.Order, []keyed, error) {
	var raw []wcOrder
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", cart.ErrMalformed, err)
	}
	orders := make([]cart.Order, 0, len(raw))
	keys := make([]keyed, 0, len(raw))
	for _, w := range raw {
		o, err := toOrder(w)
		if err != nil {
			return nil, nil, err
		}
		orders = append(orders, o)
		keys = append(keys, keyed{id: w.ID.N, sec: w.DateModifiedGMT.Unix()})
	}
	return orders, keys, nil
}

// parseOrder reads one order.
func parseOrder(body []byte) (cart.Order, error) {
	var w wcOrder
	if err := json.Unmarshal(body, &w); err != nil {
		return cart.Order{}, fmt.Errorf("%w: %v", cart.ErrMalformed, err)
	}
	return toOrder(w)
}

func toOrder(w wcOrder) (cart.Order, error) {
	if !w.ID.Valid || w.ID.N <= 0 {
		return cart.Order{}, fmt.Errorf("%w: an order without a valid id", cart.ErrMalformed)
	}
	id := strconv.FormatInt(w.ID.N, 10)
	if w.DateModifiedGMT.IsZero() {
		return cart.Order{}, fmt.Errorf("%w: order %s has no date_modified_gmt", cart.ErrMalformed, id)
	}
	status := normalizeStatus(w.Status)
	if status == "" {
		return cart.Order{}, fmt.Errorf("%w: order %s has no status", cart.ErrMalformed, id)
	}
	number := string(w.Number)
	if number == "" {
		number = id
	}
	o := cart.Order{
		ExternalID: id,
		Number:     number,
		CartStatus: status,
		Filter:     StatusFilter(status),
		CreatedAt:  w.DateCreatedGMT.Time,
		UpdatedAt:  w.DateModifiedGMT.Time,
		Total:      string(w.Total),
		Currency:   w.Currency,
		Lines:      make([]cart.Line, 0, len(w.LineItems)),
	}
	for _, l := range w.LineItems {
		if !l.Quantity.Valid || l.Quantity.N < 0 || l.Quantity.N > math.MaxInt32 {
			return cart.Order{}, fmt.Errorf("%w: order %s has a line with quantity %d", cart.ErrMalformed, id, l.Quantity.N)
		}
		var sku string
		if l.SKU != nil {
			sku = strings.TrimSpace(*l.SKU)
		}
		o.Lines = append(o.Lines, cart.Line{SKU: sku, Quantity: int(l.Quantity.N)})
	}
	return o, nil
}

type wcImage struct {
	ID  wcInt  `json:"id"`
	Src string `json:"src"`
}

// wcVariationImage is a variation's image: an object, or null, or (PHP's
// empty array) [] when there is none.
type wcVariationImage struct{ *wcImage }

func (v *wcVariationImage) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	v.wcImage = nil
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	var i wcImage
	if err := json.Unmarshal(b, &i); err != nil {
		return err
	}
	v.wcImage = &i
	return nil
}

type wcAttribute struct {
	Name   string `json:"name"`
	Option string `json:"option"`
}

type wcProduct struct {
	ID              wcInt       `json:"id"`
	Name            string      `json:"name"`
	Type            string      `json:"type"`
	SKU             string      `json:"sku"`
	Price           wcString    `json:"price"`
	ManageStock     manageStock `json:"manage_stock"`
	StockQuantity   wcInt       `json:"stock_quantity"`
	Images          []wcImage   `json:"images"`
	Variations      []wcInt     `json:"variations"`
	ParentID        wcInt       `json:"parent_id"`
	DateModifiedGMT wcTime      `json:"date_modified_gmt"`
}

type wcVariation struct {
	ID              wcInt            `json:"id"`
	SKU             string           `json:"sku"`
	Price           wcString         `json:"price"`
	ManageStock     manageStock      `json:"manage_stock"`
	StockQuantity   wcInt            `json:"stock_quantity"`
	Image           wcVariationImage `json:"image"`
	Attributes      []wcAttribute    `json:"attributes"`
	DateModifiedGMT wcTime           `json:"date_modified_gmt"`
}

const (
	productFields   = "id,name,type,sku,price,manage_stock,stock_quantity,images,variations,date_modified_gmt"
	variationFields = "id,sku,price,manage_stock,stock_quantity,image,attributes,date_modified_gmt"
)

// parseProducts reads a page of products.
func parseProducts(body []byte) ([]wcProduct, []keyed, error) {
	var ps []wcProduct
	if err := json.Unmarshal(body, &ps); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", cart.ErrMalformed, err)
	}
	keys := make([]keyed, len(ps))
	for i, p := range ps {
		if !p.ID.Valid || p.ID.N <= 0 {
			return nil, nil, fmt.Errorf("%w: a product without a valid id", cart.ErrMalformed)
		}
		if p.DateModifiedGMT.IsZero() {
			return nil, nil, fmt.Errorf("%w: product %d has no date_modified_gmt", cart.ErrMalformed, p.ID.N)
		}
		keys[i] = keyed{id: p.ID.N, sec: p.DateModifiedGMT.Unix()}
	}
	return ps, keys, nil
}

// parseVariations reads a page of variations.
func parseVariations(body []byte) ([]wcVariation, error) {
	var vs []wcVariation
	if err := json.Unmarshal(body, &vs); err != nil {
		return nil, fmt.Errorf("%w: %v", cart.ErrMalformed, err)
	}
	for _, v := range vs {
		if !v.ID.Valid || v.ID.N <= 0 {
			return nil, fmt.Errorf("%w: a variation without a valid id", cart.ErrMalformed)
		}
	}
	return vs, nil
}

// quantity is a listing's own sellable quantity, or nil: when stock is not
// tracked, and for a variation whose parent manages its stock
// (manage_stock "parent"), which reports the parent's quantity, shared
// with the parent's other such variations: taken as each one's own, 10
// shared by three would import as 30.
func quantity(m manageStock, q wcInt) *int {
	if !m.managed || m.parent || !q.Valid || q.N > math.MaxInt32 || q.N < math.MinInt32 {
		return nil
	}
	n := int(q.N)
	return &n
}

func images(is []wcImage) []string {
	var out []string
	for _, i := range is {
		if src := strings.TrimSpace(i.Src); src != "" && !slices.Contains(out, src) {
			out = append(out, src)
		}
	}
	return out
}

// simpleListing is a simple product's listing; ok is false for products
// without a SKU, which write-back could not address.
func simpleListing(p wcProduct) (cart.Listing, bool) {
	sku := strings.TrimSpace(p.SKU)
	if sku == "" {
		return cart.Listing{}, false
	}
	return cart.Listing{
		SKU:       sku,
		Name:      p.Name,
		Price:     string(p.Price),
		Images:    images(p.Images),
		Link:      cart.Link{ProductID: strconv.FormatInt(p.ID.N, 10)},
		Quantity:  quantity(p.ManageStock, p.StockQuantity),
		UpdatedAt: p.DateModifiedGMT.Time,
	}, true
}

// variationListing is a variation's listing. WooCommerce shows a variation
// without a SKU of its own with its parent's SKU: such a variation cannot
// be told apart and is left out, as are variations with no SKU at all.
func variationListing(p wcProduct, v wcVariation) (cart.Listing, bool) {
	sku := strings.TrimSpace(v.SKU)
	if sku == "" || sku == strings.TrimSpace(p.SKU) {
		return cart.Listing{}, false
	}
	name := p.Name
	var opts []string
	for _, a := range v.Attributes {
		if o := strings.TrimSpace(a.Option); o != "" {
			opts = append(opts, o)
		}
	}
	if len(opts) > 0 {
		name += " - " + strings.Join(opts, ", ")
	}
	var imgs []wcImage
	if v.Image.wcImage != nil {
		imgs = append(imgs, *v.Image.wcImage)
	}
	updated := v.DateModifiedGMT.Time
	if updated.IsZero() {
		updated = p.DateModifiedGMT.Time
	}
	return cart.Listing{
		SKU:       sku,
		Name:      name,
		Price:     string(v.Price),
		Images:    images(append(imgs, p.Images...)),
		Link:      cart.Link{ProductID: strconv.FormatInt(p.ID.N, 10), VariantID: strconv.FormatInt(v.ID.N, 10)},
		Quantity:  quantity(v.ManageStock, v.StockQuantity),
		UpdatedAt: updated,
	}, true
}

// batchItem is one entry of a batch response: the updated object, or an
// error in its place.
type batchItem struct {
	ID            wcInt       `json:"id"`
	StockQuantity wcInt       `json:"stock_quantity"`
	ManageStock   manageStock `json:"manage_stock"`
	Error         *wpError    `json:"error"`
}

// parseBatch reads a batch response's update list.
func parseBatch(body []byte) ([]batchItem, error) {
	var r struct {
		Update []batchItem `json:"update"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", cart.ErrMalformed, err)
	}
	return r.Update, nil
}

// wcWebhook is a webhook (/webhooks).
type wcWebhook struct {
	ID          wcInt  `json:"id"`
	Topic       string `json:"topic"`
	DeliveryURL string `json:"delivery_url"`
	Status      string `json:"status"`
}
