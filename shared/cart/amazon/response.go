package amazon

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/pattern"
)

// apiError is one entry of an SP-API ErrorList.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details string `json:"details"`
}

// apiErrors reads {"errors":[...]}; nil when the body is not one.
func apiErrors(body []byte) []apiError {
	var v struct {
		Errors []apiError `json:"errors"`
	}
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	return v.Errors
}

// maxMessage bounds a message quoted from Amazon.
const maxMessage = 500

// apiMessage is Amazon's explanation in an error body, "" when none.
func apiMessage(body []byte) string {
	var parts []string
	for _, e := range apiErrors(body) {
		m := strings.TrimSpace(e.Message)
		if d := strings.TrimSpace(e.Details); d != "" && d != m {
			m += " (" + d + ")"
		}
		if c := strings.TrimSpace(e.Code); c != "" {
			m = c + ": " + m
		}
		if m != "" {
			parts = append(parts, m)
		}
	}
	return clip(strings.Join(parts, "; "))
}

// clip bounds a string quoted from Amazon and drops control characters.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return cart.Clip(s, maxMessage)
}

// parseLWAToken reads a token answer: the access token and how long it lives.
func parseLWAToken(body []byte) (string, time.Duration, error) {
	var v struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   *int64 `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", 0, err
	}
	if v.AccessToken == "" || len(v.AccessToken) > 4096 || strings.ContainsAny(v.AccessToken, "\r\n") {
		return "", 0, errors.New("no usable access_token")
	}
	if v.TokenType != "" && !strings.EqualFold(v.TokenType, "bearer") {
		return "", 0, fmt.Errorf("token_type %q is not bearer", v.TokenType)
	}
	ttl := time.Hour // LWA's documented lifetime when it says none
	if v.ExpiresIn != nil {
		if *v.ExpiresIn <= 0 || *v.ExpiresIn > 24*3600 {
			return "", 0, fmt.Errorf("expires_in %d is out of range", *v.ExpiresIn)
		}
		ttl = time.Duration(*v.ExpiresIn) * time.Second
	}
	return v.AccessToken, ttl, nil
}

// parseLWAError reads {"error","error_description"}.
func parseLWAError(body []byte) (code, description string) {
	var v struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &v) != nil {
		return "", ""
	}
	return clip(v.Error), clip(v.Description)
}

// Orders 2026-01-01 wire shapes: only what the connector reads.
type (
	moneyWire struct {
		Amount       json.RawMessage `json:"amount"`
		CurrencyCode string          `json:"currencyCode"`
	}
	orderWire struct {
		OrderID         string `json:"orderId"`
		CreatedTime     string `json:"createdTime"`
		LastUpdatedTime string `json:"lastUpdatedTime"`
		SalesChannel    *struct {
			ChannelName string `json:"channelName"`
		} `json:"salesChannel"`
		Fulfillment *struct {
			FulfillmentStatus string `json:"fulfillmentStatus"`
			FulfilledBy       string `json:"fulfilledBy"`
		} `json:"fulfillment"`
		Proceeds *struct {
			GrandTotal *moneyWire `json:"grandTotal"`
		} `json:"proceeds"`
		OrderItems []struct {
			QuantityOrdered int `json:"quantityOrdered"`
			Product         *struct {
				SellerSku string `json:"sellerSku"`
			} `json:"product"`
		} `json:"orderItems"`
	}
)

// ordersPage is a parsed searchOrders answer.
type ordersPage struct {
	orders []cart.Order
	next   string
}

var (
	orderIDRE  = pattern.New(`^[0-9A-Za-z-]{1,64}$`)
	decimalRE  = pattern.New(`^-?[0-9]{1,15}(\.[0-9]{1,6})?$`)
	currencyRE = pattern.New(`^[A-Z]{3}$`)
)

// parseTime reads an ISO 8601 date-time as the models write them.
func parseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339, s)
}

// parseSearchOrders reads a searchOrders answer; def is the filter of an
// order whose status the answer leaves out.
func parseSearchOrders(body []byte, def cart.Filter) (ordersPage, error) {
	orders, next, err := pageOf(body, "orders", func(w orderWire) (cart.Order, error) { return w.order(def) })
	return ordersPage{orders: orders, next: next}, err
}

// pageOf reads a paged answer: the array under key, each element mapped by
// each, and pagination.nextToken ("" on the last page).
func pageOf[W, T any](body []byte, key string, each func(W) (T, error)) ([]T, string, error) {
	var v struct {
		Pagination *struct {
			NextToken string `json:"nextToken"`
		} `json:"pagination"`
	}
	var fields map[string]json.RawMessage
	var list *[]W
	err := json.Unmarshal(body, &fields)
	if raw, ok := fields[key]; ok && err == nil {
		err = json.Unmarshal(raw, &list)
	}
	if err == nil {
		err = json.Unmarshal(body, &v)
	}
	if err != nil {
		return nil, "", err
	}
	if list == nil {
		return nil, "", fmt.Errorf("no %s array", key)
	}
	var out []T
	for _, w := range *list {
		t, err := each(w)
		if errors.Is(err, errNotOurs) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, t)
	}
	next := ""
	if v.Pagination != nil {
		next = v.Pagination.NextToken
	}
	return out, next, nil
}

// channelNonAmazon is salesChannel.channelName of an order placed on
// another sales channel that Amazon fulfils (Multi-Channel Fulfillment).
const channelNonAmazon = "NON_AMAZON"

func (w orderWire) order(def cart.Filter) (cart.Order, error) {
	if w.SalesChannel != nil && w.SalesChannel.ChannelName == channelNonAmazon {
		// Its sale belongs to the channel it was placed on (imported
		// there, if that channel is Autosync's): as an Amazon order it
		// would count the sale twice.
		return cart.Order{}, errNotOurs
	}
	if !orderIDRE.MatchString(w.OrderID) {
		return cart.Order{}, fmt.Errorf("order id %q is not usable", clip(w.OrderID))
	}
	updated, err := parseTime(w.LastUpdatedTime)
	if err != nil {
		return cart.Order{}, fmt.Errorf("order %s: lastUpdatedTime: %w", w.OrderID, err)
	}
	created, err := parseTime(w.CreatedTime)
	if err != nil {
		return cart.Order{}, fmt.Errorf("order %s: createdTime: %w", w.OrderID, err)
	}
	o := cart.Order{ExternalID: w.OrderID, Number: w.OrderID, Filter: def, CreatedAt: created.UTC(), UpdatedAt: updated.UTC()}
	if w.Fulfillment != nil {
		if st, ok := NormalizeStatus(w.Fulfillment.FulfillmentStatus); ok {
			o.CartStatus = st
			o.Filter = filterFor(st, def)
		}
	}
	if w.Proceeds != nil && w.Proceeds.GrandTotal != nil {
		o.Total, o.Currency = w.Proceeds.GrandTotal.decimal()
	}
	for _, it := range w.OrderItems {
		if it.QuantityOrdered < 0 || it.QuantityOrdered > 1_000_000 {
			return cart.Order{}, fmt.Errorf("order %s: quantity %d is not usable", w.OrderID, it.QuantityOrdered)
		}
		var sku string
		if it.Product != nil {
			sku = it.Product.SellerSku
		}
		o.Lines = append(o.Lines, cart.Line{SKU: sku, Quantity: it.QuantityOrdered})
	}
	return o, nil
}

// decimal returns the amount as a decimal string and its currency, or
// nothing when either is unusable. Amazon's Decimal is a string; a number
// is accepted too.
func (m moneyWire) decimal() (string, string) {
	s := strings.TrimSpace(string(m.Amount))
	if strings.HasPrefix(s, `"`) {
		if json.Unmarshal(m.Amount, &s) != nil {
			return "", ""
		}
	}
	if !decimalRE.MatchString(s) || !currencyRE.MatchString(m.CurrencyCode) {
		return "", ""
	}
	return s, m.CurrencyCode
}

// parseInventory reads a getInventorySummaries answer.
func parseInventory(body []byte) ([]cart.FBAStock, string, error) {
	var v struct {
		Payload *struct {
			InventorySummaries []struct {
				SellerSku        string `json:"sellerSku"`
				InventoryDetails *struct {
					FulfillableQuantity *int `json:"fulfillableQuantity"`
				} `json:"inventoryDetails"`
			} `json:"inventorySummaries"`
		} `json:"payload"`
		Pagination *struct {
			NextToken string `json:"nextToken"`
		} `json:"pagination"`
		Errors []apiError `json:"errors"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, "", err
	}
	if v.Payload == nil {
		if len(v.Errors) > 0 {
			return nil, "", fmt.Errorf("%s", apiMessage(body))
		}
		return nil, "", errors.New("no payload")
	}
	var items []cart.FBAStock
	for _, s := range v.Payload.InventorySummaries {
		if s.InventoryDetails == nil || s.InventoryDetails.FulfillableQuantity == nil {
			return nil, "", fmt.Errorf("summary of %q has no fulfillableQuantity", clip(s.SellerSku))
		}
		items = append(items, cart.FBAStock{SKU: s.SellerSku, Fulfillable: max(*s.InventoryDetails.FulfillableQuantity, 0)})
	}
	next := ""
	if v.Pagination != nil {
		next = v.Pagination.NextToken
	}
	return items, next, nil
}

// Listings Items 2021-08-01 wire shapes: only what the connector reads.
type (
	listingSummaryWire struct {
		MarketplaceID   string `json:"marketplaceId"`
		Asin            string `json:"asin"`
		ProductType     string `json:"productType"`
		ItemName        string `json:"itemName"`
		LastUpdatedDate string `json:"lastUpdatedDate"`
		MainImage       *struct {
			Link string `json:"link"`
		} `json:"mainImage"`
	}
	listingWire struct {
		SKU        string                     `json:"sku"`
		Summaries  []listingSummaryWire       `json:"summaries"`
		Attributes map[string]json.RawMessage `json:"attributes"`
		Offers     []struct {
			MarketplaceID string    `json:"marketplaceId"`
			OfferType     string    `json:"offerType"`
			Price         moneyWire `json:"price"`
		} `json:"offers"`
		FulfillmentAvailability []struct {
			FulfillmentChannelCode string `json:"fulfillmentChannelCode"`
			Quantity               *int   `json:"quantity"`
		} `json:"fulfillmentAvailability"`
	}
)

// listing is a parsed listings item with the update time paging needs.
type listing struct {
	cart.Listing
	updated time.Time
}

// parseListings reads a searchListingsItems answer for marketplace m.
func parseListings(body []byte, m string) ([]listing, string, error) {
	return pageOf(body, "items", func(w listingWire) (listing, error) { return w.listing(m) })
}

// maxImages bounds the image URLs taken from one listing.
const maxImages = 9

// errNotOurs marks an item of a page that Autosync leaves out: a listing
// Amazon fulfils (FBA) that cannot be reported as one, or an order of
// another sales channel that Amazon fulfils (Multi-Channel Fulfillment).
var errNotOurs = errors.New("not a merchant-fulfilled listing")

func (w listingWire) listing(m string) (listing, error) {
	if w.SKU == "" || len(w.SKU) > 200 {
		return listing{}, fmt.Errorf("listing SKU %q is not usable", clip(w.SKU))
	}
	fba := w.amazonFulfilled()
	var sum *listingSummaryWire
	for i := range w.Summaries {
		if w.Summaries[i].MarketplaceID == m || sum == nil {
			sum = &w.Summaries[i]
		}
	}
	if sum == nil {
		if fba {
			return listing{}, errNotOurs // nothing to page by: left out
		}
		return listing{}, fmt.Errorf("listing %s has no summary", clip(w.SKU))
	}
	updated, err := parseTime(sum.LastUpdatedDate)
	if err != nil {
		if fba {
			return listing{}, errNotOurs
		}
		return listing{}, fmt.Errorf("listing %s: lastUpdatedDate: %w", clip(w.SKU), err)
	}
	l := listing{updated: updated.UTC()}
	l.SKU, l.UpdatedAt = w.SKU, updated.UTC()
	if fba {
		// Linked, write-back would send it a DEFAULT (merchant-fulfilled)
		// quantity, which Amazon adds beside the FBA offer: reported so
		// that Import Products unlinks a listing converted to FBA since
		// it was linked. Import FBA Inventory brings its stock in.
		l.NotOurs, l.Link.ProductID = true, sum.Asin
		return l, nil
	}
	l.Name = strings.TrimSpace(sum.ItemName)
	if l.Name == "" {
		l.Name = w.attrString("item_name", m)
	}
	l.Link.ProductID = sum.Asin
	for _, o := range w.Offers {
		if o.OfferType == "B2C" && (o.MarketplaceID == m || o.MarketplaceID == "") {
			if amount, _ := o.Price.decimal(); amount != "" {
				l.Price = amount
				break
			}
		}
	}
	for _, a := range w.FulfillmentAvailability {
		if a.FulfillmentChannelCode == "DEFAULT" && a.Quantity != nil {
			q := max(*a.Quantity, 0)
			l.Quantity = &q
		}
	}
	if l.Quantity == nil {
		if q, ok := w.attrQuantity(); ok {
			l.Quantity = &q
		}
	}
	l.Images = w.images(m)
	if len(l.Images) == 0 && sum.MainImage != nil && isURL(sum.MainImage.Link) {
		l.Images = []string{sum.MainImage.Link}
	}
	return l, nil
}

// attrEntries reads an attribute's entries for marketplace m (entries
// without a marketplace apply to all).
func (w listingWire) attrEntries(name, m string) []map[string]json.RawMessage {
	raw, ok := w.Attributes[name]
	if !ok {
		return nil
	}
	var entries []map[string]json.RawMessage
	if json.Unmarshal(raw, &entries) != nil {
		return nil
	}
	var out []map[string]json.RawMessage
	for _, e := range entries {
		var mk string
		if r, ok := e["marketplace_id"]; ok && json.Unmarshal(r, &mk) == nil && mk != "" && mk != m {
			continue
		}
		out = append(out, e)
	}
	return out
}

func (w listingWire) attrString(name, m string) string {
	for _, e := range w.attrEntries(name, m) {
		var s string
		if json.Unmarshal(e["value"], &s) == nil && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// amazonFulfilled reports whether Amazon fulfils the listing: its
// fulfillment availability names an Amazon channel (AMAZON_NA, AMAZON_EU
// ...) and no DEFAULT (merchant-fulfilled) one.
func (w listingWire) amazonFulfilled() bool {
	var codes []string
	for _, a := range w.FulfillmentAvailability {
		codes = append(codes, a.FulfillmentChannelCode)
	}
	for _, e := range w.attrEntries("fulfillment_availability", "") {
		var code string
		if json.Unmarshal(e["fulfillment_channel_code"], &code) == nil {
			codes = append(codes, code)
		}
	}
	amazon := false
	for _, c := range codes {
		if c == "DEFAULT" {
			return false
		}
		amazon = amazon || strings.HasPrefix(c, "AMAZON_")
	}
	return amazon
}

// attrQuantity reads fulfillment_availability's DEFAULT quantity.
func (w listingWire) attrQuantity() (int, bool) {
	for _, e := range w.attrEntries("fulfillment_availability", "") {
		var code string
		var q int
		if json.Unmarshal(e["fulfillment_channel_code"], &code) == nil && code == "DEFAULT" && json.Unmarshal(e["quantity"], &q) == nil {
			return max(q, 0), true
		}
	}
	return 0, false
}

// images reads main_product_image_locator then
// other_product_image_locator_1..8, first to last.
func (w listingWire) images(m string) []string {
	names := []string{"main_product_image_locator"}
	for i := 1; i <= 8; i++ {
		names = append(names, fmt.Sprintf("other_product_image_locator_%d", i))
	}
	var out []string
	for _, n := range names {
		for _, e := range w.attrEntries(n, m) {
			var u string
			if json.Unmarshal(e["media_location"], &u) == nil && isURL(u) && !slices.Contains(out, u) && len(out) < maxImages {
				out = append(out, u)
			}
		}
	}
	return out
}

func isURL(s string) bool {
	return len(s) < 2048 && (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) && !strings.ContainsAny(s, " \t\r\n")
}

// submission is a parsed patchListingsItem answer.
type submission struct {
	status string // ACCEPTED, INVALID or VALID
	issues string // the ERROR issues' messages
}

// parseSubmission reads a ListingsItemSubmissionResponse.
func parseSubmission(body []byte) (submission, error) {
	var v struct {
		SKU    string `json:"sku"`
		Status string `json:"status"`
		Issues []struct {
			Code     string `json:"code"`
			Message  string `json:"message"`
			Severity string `json:"severity"`
		} `json:"issues"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return submission{}, err
	}
	switch v.Status {
	case "ACCEPTED", "INVALID", "VALID":
	default:
		return submission{}, fmt.Errorf("submission status %q is not ACCEPTED, INVALID or VALID", clip(v.Status))
	}
	var msgs []string
	for _, is := range v.Issues {
		if is.Severity == "ERROR" {
			m := strings.TrimSpace(is.Message)
			if is.Code != "" {
				m += " (" + is.Code + ")"
			}
			msgs = append(msgs, m)
		}
	}
	return submission{status: v.Status, issues: clip(strings.Join(msgs, "; "))}, nil
}

// cursor is where a paged search stands, carried between pages (and
// invocations) as an opaque string.
type cursor struct {
	// S is the pass's lower bound, A the lower bound of the current token
	// chain (S, or a position searched again from), B the upper bound
	// fixed for the pass (zero: none).
	S time.Time `json:"s,omitzero"`
	A time.Time `json:"a,omitzero"`
	B time.Time `json:"b,omitzero"`
	// T is the next token.
	T string `json:"t,omitempty"`
	// P is the latest update time handed out, I the ids handed out at P.
	P time.Time `json:"p,omitzero"`
	I []string  `json:"i,omitempty"`
	// U records that pages came out of update-time order, so that P is
	// no safe place to search again from.
	U bool `json:"u,omitempty"`
	// N counts items of the current search (listings' 1000 cap); R counts
	// restarts after a refused token since the last page read.
	N int `json:"n,omitempty"`
	R int `json:"r,omitempty"`
	// F marks a pass whose bounds are set.
	F bool `json:"f,omitempty"`
}

// maxCursorIDs bounds I (about 6 KB of ids); past it, a restart may hand
// out again items beyond the first 250 sharing one update time (which the
// executor's upserts absorb) rather than grow the cursor further.
const maxCursorIDs = 250

// maxCursor bounds an encoded cursor.
const maxCursor = 32 << 10

func (c cursor) encode() string { return cart.EncodeCursor(c) }

func decodeCursor(s string) (cursor, error) {
	var c cursor
	if len(s) > maxCursor {
		return c, errors.New("the saved page position is too long")
	}
	if !cart.DecodeCursor(s, maxCursor/4*3, &c) || s != "" && (len(c.I) > maxCursorIDs || !c.F) {
		return cursor{}, errors.New("the saved page position is not one this connector wrote")
	}
	return c, nil
}

// seen records an item handed out at update time t and reports whether
// it was handed out before (at the position searched again from).
func (c *cursor) seen(id string, t time.Time) bool {
	switch {
	case t.Equal(c.P):
		if slices.Contains(c.I, id) {
			return true
		}
		if len(c.I) < maxCursorIDs {
			c.I = append(c.I, id)
		}
	case t.After(c.P):
		c.P, c.I = t, []string{id}
	default:
		c.U = true
	}
	return false
}

// restart drops a refused next token: the chain starts again at the
// position reached, or at the pass's start when that is unsafe.
func (c *cursor) restart() {
	c.T, c.N = "", 0
	c.R++
	switch {
	case c.U:
		c.A = c.S
	case !c.P.IsZero():
		c.A = c.P
	}
}
