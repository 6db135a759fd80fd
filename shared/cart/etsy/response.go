package etsy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// malformed is a response Etsy sent but this client cannot use.
func malformed(what string, err error) *cart.Error {
	return &cart.Error{Status: 200, Message: "Etsy sent " + what + " that Autosync could not read", Err: fmt.Errorf("%w: %v", cart.ErrMalformed, err)}
}

// errorMessage reads the reason out of an Etsy error body, in any of the
// shapes Etsy uses: {"error": "..."} (ErrorSchema), an OAuth error with
// error_description, {"error": "...", "error_list": [...]}, or a bare
// array of {path, type, message} (etsy/open-api#622). It returns "" for
// anything else (an HTML page from a proxy).
func errorMessage(body []byte) string {
	body = bytes.TrimSpace(body)
	type item struct {
		Path    string `json:"path"`
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	join := func(items []item) string {
		var parts []string
		for _, it := range items {
			m := strings.TrimSpace(it.Message)
			if m == "" {
				m = strings.TrimSpace(it.Type)
			}
			if p := strings.TrimSpace(it.Path); p != "" {
				m = p + " " + m
			}
			if m = strings.TrimSpace(m); m != "" {
				parts = append(parts, m)
			}
		}
		return strings.Join(parts, "; ")
	}
	var msg string
	switch {
	case len(body) > 0 && body[0] == '[':
		var items []item
		if json.Unmarshal(body, &items) == nil {
			msg = join(items)
		}
	case len(body) > 0 && body[0] == '{':
		var e struct {
			Error       any    `json:"error"`
			Description string `json:"error_description"`
			List        []item `json:"error_list"`
		}
		if json.Unmarshal(body, &e) != nil {
			return ""
		}
		if s, ok := e.Error.(string); ok {
			msg = strings.TrimSpace(s)
		}
		if d := strings.TrimSpace(e.Description); d != "" {
			if msg != "" {
				msg += ": "
			}
			msg += d
		}
		if l := join(e.List); l != "" {
			if msg != "" {
				msg += " ("
				msg += l + ")"
			} else {
				msg = l
			}
		}
	}
	return cart.Clip(html.UnescapeString(msg), 300)
}

// money is Etsy's Money object.
type money struct {
	Amount       int64  `json:"amount"`
	Divisor      int64  `json:"divisor"`
	CurrencyCode string `json:"currency_code"`
}

// decimal is the amount as an exact decimal string ("12.50" for 1250/100).
func (m money) decimal() (string, error) {
	if m.Divisor <= 0 {
		return "", fmt.Errorf("money divisor %d", m.Divisor)
	}
	r := new(big.Rat).SetFrac(big.NewInt(m.Amount), big.NewInt(m.Divisor))
	digits := 0
	for d := m.Divisor; d > 1 && d%10 == 0; d /= 10 {
		digits++
	}
	if s := r.FloatString(digits); new(big.Rat).Mul(r, pow10(digits)).IsInt() {
		return s, nil
	}
	// A divisor that is not a power of ten: enough places for any cent.
	s := strings.TrimRight(r.FloatString(6), "0")
	return strings.TrimSuffix(s, "."), nil
}

func pow10(n int) *big.Rat {
	return new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil))
}

// page is a page of Etsy's results: one page of them and how many there
// are in all.
type page[T any] struct {
	Count   *int64 `json:"count"`
	Results []T    `json:"results"`
}

// parsePage decodes a page of what ("receipts") and checks each result
// with check.
func parsePage[T any](body []byte, what string, check func(*T) error) (count int64, results []T, err error) {
	var p page[T]
	if err := json.Unmarshal(body, &p); err != nil {
		return 0, nil, malformed("a page of "+what, err)
	}
	if p.Results == nil || p.Count == nil || *p.Count < 0 {
		return 0, nil, malformed("a page of "+what, errors.New("no count or results"))
	}
	for i := range p.Results {
		if err := check(&p.Results[i]); err != nil {
			return 0, nil, err
		}
	}
	return *p.Count, p.Results, nil
}

// Receipts (getShopReceipts).

type receiptJSON struct {
	ReceiptID        int64             `json:"receipt_id"`
	Status           string            `json:"status"`
	IsPaid           bool              `json:"is_paid"`
	IsShipped        bool              `json:"is_shipped"`
	CreateTimestamp  *int64            `json:"create_timestamp"`
	CreatedTimestamp *int64            `json:"created_timestamp"`
	UpdateTimestamp  *int64            `json:"update_timestamp"`
	UpdatedTimestamp *int64            `json:"updated_timestamp"`
	Grandtotal       *money            `json:"grandtotal"`
	Transactions     []transactionJSON `json:"transactions"`
}

type transactionJSON struct {
	TransactionID int64   `json:"transaction_id"`
	SKU           *string `json:"sku"`
	Quantity      int     `json:"quantity"`
}

// updated is the receipt's last-modified second.
func (r *receiptJSON) updated() (int64, bool) {
	for _, t := range []*int64{r.UpdatedTimestamp, r.UpdateTimestamp} {
		if t != nil && *t > 0 {
			return *t, true
		}
	}
	return 0, false
}

func (r *receiptJSON) created() int64 {
	for _, t := range []*int64{r.CreatedTimestamp, r.CreateTimestamp} {
		if t != nil && *t > 0 {
			return *t
		}
	}
	return 0
}

// parseReceipts decodes a page of receipts and checks what the connector
// relies on: positive ids and an update time on each.
func parseReceipts(body []byte) (count int64, receipts []receiptJSON, err error) {
	return parsePage(body, "receipts", func(r *receiptJSON) error {
		if r.ReceiptID <= 0 {
			return malformed("a receipt", fmt.Errorf("receipt id %d", r.ReceiptID))
		}
		if _, ok := r.updated(); !ok {
			return malformed("a receipt", fmt.Errorf("receipt %d has no update time", r.ReceiptID))
		}
		for _, t := range r.Transactions {
			if t.Quantity < 0 {
				return malformed("a receipt", fmt.Errorf("receipt %d: quantity %d", r.ReceiptID, t.Quantity))
			}
		}
		return nil
	})
}

// filterOf maps a receipt to our bucket (see the package doc).
func filterOf(r *receiptJSON) cart.Filter {
	switch strings.ToLower(strings.TrimSpace(r.Status)) {
	case "canceled", "cancelled", "fully refunded":
		return cart.Cancelled
	}
	if r.IsShipped {
		return cart.Shipped
	}
	return cart.AwaitingFulfillment
}

func toOrder(r *receiptJSON) (cart.Order, error) {
	id := itoa(r.ReceiptID)
	updated, _ := r.updated()
	status := strings.ToLower(strings.TrimSpace(r.Status))
	if status == "" {
		status = "unknown"
	}
	o := cart.Order{
		ExternalID: id,
		Number:     id,
		CartStatus: status,
		Filter:     filterOf(r),
		UpdatedAt:  time.Unix(updated, 0).UTC(),
		Lines:      make([]cart.Line, 0, len(r.Transactions)),
	}
	if c := r.created(); c > 0 {
		o.CreatedAt = time.Unix(c, 0).UTC()
	}
	if r.Grandtotal != nil {
		total, err := r.Grandtotal.decimal()
		if err != nil {
			return cart.Order{}, malformed("a receipt", fmt.Errorf("receipt %s: %v", id, err))
		}
		o.Total, o.Currency = total, r.Grandtotal.CurrencyCode
	}
	for _, t := range r.Transactions {
		var sku string
		if t.SKU != nil {
			sku = strings.TrimSpace(*t.SKU)
		}
		o.Lines = append(o.Lines, cart.Line{SKU: sku, Quantity: t.Quantity})
	}
	return o, nil
}

// Listings (getListingsByShop with Images and Inventory).

type listingJSON struct {
	ListingID        int64          `json:"listing_id"`
	Title            string         `json:"title"`
	State            string         `json:"state"`
	UpdatedTimestamp *int64         `json:"updated_timestamp"`
	LastModified     *int64         `json:"last_modified_timestamp"`
	Images           []imageJSON    `json:"images"`
	Inventory        *inventoryJSON `json:"inventory"`
}

type imageJSON struct {
	ListingImageID int64  `json:"listing_image_id"`
	Rank           int    `json:"rank"`
	URLFull        string `json:"url_fullxfull"`
	URL570         string `json:"url_570xN"`
}

// onProperty names the properties an inventory's prices, quantities, SKUs
// and readiness states vary by; a write sends back what was read.
type onProperty struct {
	PriceOnProperty          []int64 `json:"price_on_property"`
	QuantityOnProperty       []int64 `json:"quantity_on_property"`
	SKUOnProperty            []int64 `json:"sku_on_property"`
	ReadinessStateOnProperty []int64 `json:"readiness_state_on_property"`
}

// inventoryJSON is getListingInventory's ListingInventory, with the
// listing when asked for (includes=Listing).
type inventoryJSON struct {
	Products []productJSON `json:"products"`
	onProperty
	Listing *struct {
		State string `json:"state"`
	} `json:"listing"`
}

// state is the listing's state ("active", "inactive", ...), "" when Etsy
// did not send the listing.
func (inv *inventoryJSON) state() string {
	if inv == nil || inv.Listing == nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(inv.Listing.State))
}

type productJSON struct {
	ProductID      int64           `json:"product_id"`
	SKU            *string         `json:"sku"`
	IsDeleted      bool            `json:"is_deleted"`
	Offerings      []offeringJSON  `json:"offerings"`
	PropertyValues []propValueJSON `json:"property_values"`
}

type offeringJSON struct {
	OfferingID int64  `json:"offering_id"`
	Quantity   int    `json:"quantity"`
	IsEnabled  bool   `json:"is_enabled"`
	IsDeleted  bool   `json:"is_deleted"`
	Price      *money `json:"price"`
	// ReadinessStateID is the offering's processing profile; the request
	// schema requires it back on every offering (null where Etsy sent
	// none).
	ReadinessStateID *int64 `json:"readiness_state_id"`
}

type propValueJSON struct {
	PropertyID   int64    `json:"property_id"`
	PropertyName *string  `json:"property_name"`
	ScaleID      *int64   `json:"scale_id"`
	ScaleName    *string  `json:"scale_name"`
	ValueIDs     []int64  `json:"value_ids"`
	Values       []string `json:"values"`
}

func (p *productJSON) sku() string {
	if p.SKU == nil {
		return ""
	}
	return strings.TrimSpace(*p.SKU)
}

// live are the product's offerings that are not deleted.
func (p *productJSON) live() []offeringJSON {
	var out []offeringJSON
	for _, o := range p.Offerings {
		if !o.IsDeleted {
			out = append(out, o)
		}
	}
	return out
}

func parseListings(body []byte) (count int64, listings []listingJSON, err error) {
	return parsePage(body, "listings", func(l *listingJSON) error {
		if l.ListingID <= 0 {
			return malformed("a listing", fmt.Errorf("listing id %d", l.ListingID))
		}
		if l.Inventory != nil {
			if err := l.Inventory.validate(); err != nil {
				return malformed("a listing's inventory", fmt.Errorf("listing %d: %v", l.ListingID, err))
			}
		}
		return nil
	})
}

func parseInventory(body []byte) (*inventoryJSON, error) {
	var inv inventoryJSON
	if err := json.Unmarshal(body, &inv); err != nil {
		return nil, malformed("a listing's inventory", err)
	}
	if err := inv.validate(); err != nil {
		return nil, malformed("a listing's inventory", err)
	}
	return &inv, nil
}

// validate checks what write-back sends back: every live offering has a
// usable price and a quantity that is not negative.
func (inv *inventoryJSON) validate() error {
	for i := range inv.Products {
		p := &inv.Products[i]
		if p.IsDeleted {
			continue
		}
		for _, o := range p.live() {
			if o.Price == nil {
				return fmt.Errorf("product %d has an offering without a price", p.ProductID)
			}
			if _, err := o.Price.decimal(); err != nil {
				return fmt.Errorf("product %d: %v", p.ProductID, err)
			}
			if o.Quantity < 0 {
				return fmt.Errorf("product %d: quantity %d", p.ProductID, o.Quantity)
			}
		}
	}
	return nil
}

// imageURLs returns the listing's full-size image URLs by rank.
func imageURLs(images []imageJSON) []string {
	sorted := slices.Clone(images)
	slices.SortStableFunc(sorted, func(a, b imageJSON) int { return a.Rank - b.Rank })
	var out []string
	for _, im := range sorted {
		u := im.URLFull
		if u == "" {
			u = im.URL570
		}
		out = cart.AppendImages(out, u)
	}
	return out
}
