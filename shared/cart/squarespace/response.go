package squarespace

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/pattern"
)

// malformed is a response that could not be used: a *cart.Error with a
// merchant-safe message, wrapping cart.ErrMalformed and the detail.
func malformed(format string, args ...any) error {
	return &cart.Error{
		Message: "Squarespace sent a response that could not be read",
		Err:     cart.Malformed(format, args...),
	}
}

// pagination is a list response's pagination object.
type pagination struct {
	HasNextPage    bool    `json:"hasNextPage"`
	NextPageCursor *string `json:"nextPageCursor"`
}

// next is the cursor of the next page, empty on the last.
func (p pagination) next() (string, error) {
	if !p.HasNextPage {
		return "", nil
	}
	if p.NextPageCursor == nil || *p.NextPageCursor == "" {
		return "", malformed("a next page without a cursor")
	}
	return *p.NextPageCursor, nil
}

// money is a Money object; the value is a decimal string.
type money struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

var decimalRE = pattern.New(`^-?\d{1,15}(\.\d{1,6})?$`)

func (m *money) valid() bool { return m != nil && decimalRE.MatchString(m.Value) }

// flexString accepts a JSON string or number: the docs render orderNumber
// as a string, other sources as a number.
type flexString = cart.FlexString

type orderLine struct {
	SKU       *string `json:"sku"`
	VariantID *string `json:"variantId"`
	Quantity  int     `json:"quantity"`
}

type orderObject struct {
	ID                string      `json:"id"`
	OrderNumber       flexString  `json:"orderNumber"`
	CreatedOn         time.Time   `json:"createdOn"`
	ModifiedOn        time.Time   `json:"modifiedOn"`
	FulfillmentStatus string      `json:"fulfillmentStatus"`
	LineItems         []orderLine `json:"lineItems"`
	GrandTotal        *money      `json:"grandTotal"`
	// Totals is the nested form a third-party description of the API uses;
	// read when grandTotal is absent.
	Totals *struct {
		GrandTotal *money `json:"grandTotal"`
	} `json:"totals"`
}

// parseOrders maps a page of GET /commerce/orders.
func parseOrders(body []byte) ([]cart.Order, string, error) {
	return parsePage(body, "result", func(o orderObject) ([]cart.Order, error) {
		co, err := toOrder(o)
		return []cart.Order{co}, err
	})
}

// parsePage maps a page of a list: the objects under key, each mapped by
// each, and the pagination's next cursor.
func parsePage[W, T any](body []byte, key string, each func(W) ([]T, error)) ([]T, string, error) {
	var d struct {
		Pagination pagination `json:"pagination"`
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, "", malformed("%v", err)
	}
	var list *[]W
	if raw, ok := fields[key]; ok {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, "", malformed("%s: %v", key, err)
		}
	}
	if list == nil {
		return nil, "", malformed("no %s", key)
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, "", malformed("%v", err)
	}
	next, err := d.Pagination.next()
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, len(*list))
	for _, w := range *list {
		ts, err := each(w)
		if err != nil {
			return nil, "", err
		}
		out = append(out, ts...)
	}
	return out, next, nil
}

// parseOrder maps GET /commerce/orders/{id}.
func parseOrder(body []byte) (cart.Order, error) {
	var o orderObject
	if err := json.Unmarshal(body, &o); err != nil {
		return cart.Order{}, malformed("%v", err)
	}
	return toOrder(o)
}

func toOrder(o orderObject) (cart.Order, error) {
	if !idRE.MatchString(o.ID) {
		return cart.Order{}, malformed("order id %q", o.ID)
	}
	if o.ModifiedOn.IsZero() {
		return cart.Order{}, malformed("order %s has no modifiedOn", o.ID)
	}
	status := strings.ToUpper(o.FulfillmentStatus)
	if status == "" {
		return cart.Order{}, malformed("order %s has no fulfillmentStatus", o.ID)
	}
	co := cart.Order{
		ExternalID: o.ID,
		Number:     string(o.OrderNumber),
		CartStatus: status,
		Filter:     StatusFilter(status),
		CreatedAt:  o.CreatedOn,
		UpdatedAt:  o.ModifiedOn,
		Lines:      make([]cart.Line, 0, len(o.LineItems)),
	}
	total := o.GrandTotal
	if total == nil && o.Totals != nil {
		total = o.Totals.GrandTotal
	}
	if total.valid() {
		co.Total, co.Currency = total.Value, total.Currency
	}
	for _, l := range o.LineItems {
		if l.Quantity < 0 {
			return cart.Order{}, malformed("order %s has a negative quantity", o.ID)
		}
		var sku string
		if l.SKU != nil {
			sku = *l.SKU
		}
		co.Lines = append(co.Lines, cart.Line{SKU: sku, Quantity: l.Quantity})
	}
	return co, nil
}

type variantObject struct {
	ID      string  `json:"id"`
	SKU     *string `json:"sku"`
	Pricing *struct {
		BasePrice *money `json:"basePrice"`
	} `json:"pricing"`
	Stock *struct {
		Quantity  int  `json:"quantity"`
		Unlimited bool `json:"unlimited"`
	} `json:"stock"`
	Attributes map[string]string `json:"attributes"`
}

type productObject struct {
	ID                string          `json:"id"`
	Type              string          `json:"type"`
	Name              string          `json:"name"`
	VariantAttributes []string        `json:"variantAttributes"`
	Variants          []variantObject `json:"variants"`
	Images            []struct {
		URL string `json:"url"`
	} `json:"images"`
	ModifiedOn time.Time `json:"modifiedOn"`
}

// parseProducts maps a page of GET /v2/commerce/products to listings: one
// per variant of a physical product that has a SKU.
func parseProducts(body []byte) ([]cart.Listing, string, error) {
	return parsePage(body, "products", toListings)
}

func toListings(p productObject) ([]cart.Listing, error) {
	if !idRE.MatchString(p.ID) {
		return nil, malformed("product id %q", p.ID)
	}
	if p.ModifiedOn.IsZero() {
		return nil, malformed("product %s has no modifiedOn", p.ID)
	}
	if p.Type != "" && !strings.EqualFold(p.Type, "PHYSICAL") {
		return nil, nil // asked for PHYSICAL; anything else has no stock to sync
	}
	var images []string
	for _, im := range p.Images {
		images = cart.AppendImages(images, im.URL)
	}
	var out []cart.Listing
	for _, v := range p.Variants {
		if v.SKU == nil || strings.TrimSpace(*v.SKU) == "" {
			continue // nothing could link it to a product here
		}
		if !idRE.MatchString(v.ID) {
			return nil, malformed("variant id %q", v.ID)
		}
		l := cart.Listing{
			SKU:       strings.TrimSpace(*v.SKU),
			Name:      variantName(p, v),
			Images:    slices.Clone(images),
			Link:      cart.Link{ProductID: p.ID, VariantID: v.ID},
			UpdatedAt: p.ModifiedOn,
		}
		if v.Pricing != nil && v.Pricing.BasePrice.valid() {
			l.Price = v.Pricing.BasePrice.Value
		}
		if v.Stock != nil && !v.Stock.Unlimited {
			if v.Stock.Quantity < 0 {
				return nil, malformed("variant %s has a negative quantity", v.ID)
			}
			q := v.Stock.Quantity
			l.Quantity = &q
		}
		out = append(out, l)
	}
	return out, nil
}

// variantName is the product's name and, for a variant with attributes,
// their values in the product's attribute order: "Mug - Blue / Large".
func variantName(p productObject, v variantObject) string {
	if len(v.Attributes) == 0 {
		return p.Name
	}
	names := slices.Clone(p.VariantAttributes)
	for k := range v.Attributes {
		if !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	slices.SortStableFunc(names[len(p.VariantAttributes):], strings.Compare)
	var vals []string
	for _, k := range names {
		if val := strings.TrimSpace(v.Attributes[k]); val != "" {
			vals = append(vals, val)
		}
	}
	if len(vals) == 0 {
		return p.Name
	}
	return p.Name + " - " + strings.Join(vals, " / ")
}

// stampFormat renders times as Squarespace wants them: ISO 8601 UTC.
const stampFormat = "2006-01-02T15:04:05.000Z"

func stamp(t time.Time) string { return t.UTC().Format(stampFormat) }

// windowFloor stands for a window with no start: Squarespace wants both
// ends of a window, and it has no data this old.
var windowFloor = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// windowParams sets modifiedAfter and modifiedBefore for [from, to).
// modifiedAfter is exclusive, so it is sent a millisecond (Squarespace's
// precision) before from; what that lets in early is filtered out by
// inWindow. An open end is closed with windowFloor or an hour past now.
func windowParams(v url.Values, from, to, now time.Time) {
	if from.IsZero() {
		from = windowFloor
	}
	if to.IsZero() {
		to = now.Add(time.Hour)
	}
	v.Set("modifiedAfter", stamp(from.Add(-time.Millisecond)))
	v.Set("modifiedBefore", stamp(to))
}

// inWindow reports whether t is in [from, to); zero ends are open.
func inWindow(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || t.Before(to))
}
