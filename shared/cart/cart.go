// Package cart holds what every cart connector speaks in: orders as the
// connectors hand them to the executor, credentials, and the error kinds the
// executor turns into a run's error class. Each cart's wire format lives in
// its own connector package (cart/shopify, ...).
package cart

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Filter is the bucket an order sits in on our side.
type Filter string

const (
	AwaitingFulfillment Filter = "awaiting_fulfillment"
	Shipped             Filter = "shipped"
	Cancelled           Filter = "cancelled"
)

// ValidFilter reports whether f is one of the three buckets.
func ValidFilter(f Filter) bool {
	return f == AwaitingFulfillment || f == Shipped || f == Cancelled
}

// Line is one order line.
type Line struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Order is an order as the cart reports it, already mapped to our filter.
type Order struct {
	ExternalID string
	// Number is the merchant-facing order name (Shopify "#1001").
	Number string
	// CartStatus is the cart's own status wording, kept for support.
	CartStatus string
	Filter     Filter
	Tags       []string
	Lines      []Line
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Total in the order's currency, as a decimal string to avoid float drift.
	Total    string
	Currency string
}

// OrderQuery asks a connector for one page of orders updated in
// [UpdatedFrom, UpdatedTo). Cursor continues a previous page of the same
// query. Cancelled asks instead for the orders that left awaiting
// fulfillment in the window — cancelled ones, and shipped (fulfilled) ones
// where the cart can filter for them — so the executor can carry cancels
// and shipments over to orders it holds, releasing their committed stock.
// (The name predates shipments; it is kept so every connector reads alike.)
type OrderQuery struct {
	UpdatedFrom time.Time
	UpdatedTo   time.Time
	Cursor      string
	Cancelled   bool
	// Statuses overrides the cart's default importable statuses (support
	// sets them per channel); nil means the default.
	Statuses []string
}

// OrderPage is one page of orders. Next is empty on the last page.
type OrderPage struct {
	Orders []Order
	Next   string
}

// Credentials are a channel's secrets, sealed at rest and never returned.
type Credentials map[string]string

// Config is a channel's non-secret settings (shop domain, store hash, API base URL).
type Config map[string]string

// Errors a connector returns, checked with errors.Is/As by the executor.
var (
	// ErrAuth: the cart refused the credentials (401/403). The channel
	// needs re-authorization; retrying will not help.
	ErrAuth = errors.New("cart refused the credentials")
	// ErrRevoked: the cart no longer holds the app's authorization at all
	// (the OAuth grant answers invalid_grant, the API keys were deleted):
	// what the merchant removing the app, or revoking its access, looks
	// like for carts that send no uninstall notice. The channel is
	// disconnected, not paused. It is also ErrAuth.
	ErrRevoked = fmt.Errorf("cart no longer holds the app's authorization: %w", ErrAuth)
	// ErrNotFound: the addressed resource does not exist in the cart.
	ErrNotFound = errors.New("not found in the cart")
)

// Error is a cart failure with a message that is safe to show a merchant.
type Error struct {
	// Status is the HTTP status (0 for a transport failure).
	Status int
	// Temporary failures (5xx, dropped connections, timeouts) may be retried.
	Temporary bool
	// Message is merchant-safe: the cart's own reason, no credentials.
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("cart error (status %d): %s: %v", e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("cart error (status %d): %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// RateLimitedError is returned only when a connector gives up waiting for
// the cart's rate limit (its context is about to end); the executor saves
// its place and continues later. It is never a failed run.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("cart rate limit: retry after %s", e.RetryAfter)
}

// OrderSource pages through a cart's orders; each cart's connector is one.
type OrderSource interface {
	Orders(ctx context.Context, q OrderQuery) (OrderPage, error)
}

// Listing is one sellable variant in a cart, addressed by SKU: what Import
// Products creates products from, and the ids Write Inventory Back needs to
// address the cart's stock for that SKU.
type Listing struct {
	SKU   string
	Name  string
	Price string // decimal string in the shop's currency
	// Images are absolute URLs, the product's images first-to-last.
	Images []string
	Link   Link
	// Quantity is the cart's current sellable quantity, when it says.
	Quantity  *int
	UpdatedAt time.Time
	// NotOurs says the cart fulfils the listing itself (Amazon FBA), so
	// its quantity is not Autosync's to write: Import Products unlinks
	// the SKU from the channel and creates no product for it.
	NotOurs bool
}

// Link holds a cart's ids for one SKU. Which are set depends on the cart:
// Shopify product, variant and inventory item; BigCommerce product and
// variant; WooCommerce product and (for variations) variation.
type Link struct {
	ProductID       string `json:"product_id,omitempty"`
	VariantID       string `json:"variant_id,omitempty"`
	InventoryItemID string `json:"inventory_item_id,omitempty"`
}

// ListingQuery asks for one page of listings updated in [UpdatedFrom,
// UpdatedTo); a zero UpdatedFrom means all. Cursor continues a page.
type ListingQuery struct {
	UpdatedFrom time.Time
	UpdatedTo   time.Time
	Cursor      string
}

// ListingPage is one page of listings. Next is empty on the last page.
type ListingPage struct {
	Listings []Listing
	Next     string
}

// ListingSource pages through a cart's listings.
type ListingSource interface {
	Listings(ctx context.Context, q ListingQuery) (ListingPage, error)
}

// StockUpdate sets the sellable quantity of one SKU in the cart.
type StockUpdate struct {
	SKU      string
	Link     Link
	Quantity int
	// ZeroStock is the channel's choice for a cart that will not show 0
	// for every variation of a listing (Etsy): ZeroStockDeactivate (also
	// "") deactivates the listing instead, ZeroStockSuspend refuses the
	// update. Carts without that rule ignore it.
	ZeroStock string
	// Deactivated says Autosync deactivated the SKU's listing for want of
	// stock: the writer reactivates it once the listing has stock again.
	Deactivated bool
}

// Channel choices for a listing whose every variation must reach 0.
const (
	ZeroStockDeactivate = "deactivate"
	ZeroStockSuspend    = "suspend"
)

// What a write did to the SKU's listing (StockResult.Listing).
const (
	ListingDeactivated = "deactivated"
	ListingReactivated = "reactivated"
)

// StockResult is the cart's answer for one update. Err is nil when the cart
// confirmed the quantity; otherwise a *Error whose Message is the cart's
// reason, safe to show a merchant.
type StockResult struct {
	SKU string
	Err error
	// Listing is ListingDeactivated when the SKU's listing is inactive
	// because every variation reached 0 (the quantity counts as written:
	// the cart offers none), ListingReactivated when this write made it
	// active again, "" otherwise.
	Listing string
	// Retries counts the times the cart's quantity changed between the
	// writer's read and its write (a sale), so the push was re-read and
	// recomputed rather than overwriting it; 0 for carts that do not
	// compare-and-swap.
	Retries int
}

// StockWriter writes quantities back to a cart in the largest batches the
// cart allows.
type StockWriter interface {
	// MaxBatch is the most updates one SetStock call may carry; the writer
	// spends one request per batch (or as few as the cart allows).
	MaxBatch() int
	// SetStock applies updates (len ≤ MaxBatch) and returns one result per
	// update, in order. An error means the whole call failed (auth, rate
	// limit past the deadline, transport) and no result is known.
	SetStock(ctx context.Context, updates []StockUpdate) ([]StockResult, error)
}

// StockSubmitter is a StockWriter whose large pushes the cart processes
// later: the caller collects their results on a later call instead of
// waiting for them.
type StockSubmitter interface {
	StockWriter
	// SubmitStock sends updates (len ≤ MaxBatch) and returns their
	// results when the cart answered at once, or a ticket (results nil)
	// for StockResults when it processes them later. An error is as
	// SetStock's.
	SubmitStock(ctx context.Context, updates []StockUpdate) (results []StockResult, ticket string, err error)
	// StockResults are a submitted push's results, one per update in
	// order; done is false while the cart still processes it. An error
	// means no result is known (the caller pushes the quantities again).
	StockResults(ctx context.Context, ticket string) (results []StockResult, done bool, err error)
}

// FBAStock is Amazon's fulfillable quantity of one SKU it holds.
type FBAStock struct {
	SKU         string
	Fulfillable int
}

// FBAStockPage is one page of FBA inventory. Next is empty on the last page.
type FBAStockPage struct {
	Items []FBAStock
	Next  string
}

// FBAInventorySource pages through Amazon's FBA inventory (Amazon only).
// A zero since lists every SKU Amazon holds; otherwise only those whose
// inventory changed since then (Amazon does not date every change, so a
// caller still lists everything now and then). cursor is the previous
// page's Next, "" for the first page; a cursor carries its listing's
// since, which wins over the argument.
type FBAInventorySource interface {
	FBAInventory(ctx context.Context, since time.Time, cursor string) (FBAStockPage, error)
}

// FBAOrderSource pages through Amazon-fulfilled orders shipped in
// [UpdatedFrom, UpdatedTo) (Amazon only). Orders come back Shipped.
type FBAOrderSource interface {
	FBAOrders(ctx context.Context, q OrderQuery) (OrderPage, error)
}

// OrderFetcher fetches one order by the cart's id. Instasync uses it: a
// webhook is a signal, and the cart stays the source of truth.
type OrderFetcher interface {
	Order(ctx context.Context, id string) (Order, error)
}

// ListingFetcher fetches the listings (one per SKU) of one cart product.
type ListingFetcher interface {
	ProductListings(ctx context.Context, productID string) ([]Listing, error)
}

// Topic is what a webhook subscription reports.
type Topic string

const (
	// TopicOrders: orders created or updated.
	TopicOrders Topic = "orders"
	// TopicProducts: products created or updated.
	TopicProducts Topic = "products"
)

// Subscription is a webhook subscription in a cart.
type Subscription struct {
	ID string
	// Secret is what the cart signs deliveries with, when the cart made it
	// (Squarespace); empty when the cart signs with a secret we hold.
	Secret string
}

// Subscriber manages a cart's webhook subscriptions.
type Subscriber interface {
	// Subscribe asks the cart to POST topic's events to address, signed
	// with secret where the cart lets the subscriber choose it.
	Subscribe(ctx context.Context, topic Topic, address, secret string) (Subscription, error)
	// Unsubscribe removes a subscription; a missing one is not an error.
	Unsubscribe(ctx context.Context, id string) error
}
