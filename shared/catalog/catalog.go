// Package catalog is the single source of which tasks exist, which carts
// offer them, and at which intervals they may run. The API, the
// Sync modal and the executor all read it; nothing else lists tasks or carts.
package catalog

import (
	"fmt"
	"time"
)

// Task identifies a sync task.
type Task string

const (
	ImportOrders        Task = "import_orders"
	WriteInventory      Task = "write_inventory"
	ImportProducts      Task = "import_products"
	ImportProductImages Task = "import_product_images"
	ImportFBAInventory  Task = "import_fba_inventory"
	ImportFBAOrders     Task = "import_fba_orders"
	InstasyncOrders     Task = "instasync_orders"
	InstasyncProducts   Task = "instasync_products"
)

// Mode is how a ticked task runs.
type Mode string

const (
	Autosync  Mode = "autosync"
	Instasync Mode = "instasync"
)

// Cart is a sales channel type.
type Cart string

const (
	Shopify     Cart = "shopify"
	BigCommerce Cart = "bigcommerce"
	WooCommerce Cart = "woocommerce"
	Etsy        Cart = "etsy"
	Squarespace Cart = "squarespace"
	Amazon      Cart = "amazon"
)

// Carts lists every cart in the order the modal shows them.
var Carts = []Cart{Shopify, BigCommerce, WooCommerce, Etsy, Squarespace, Amazon}

// CartLabel is the name merchants know the cart by.
func CartLabel(c Cart) string {
	switch c {
	case Shopify:
		return "Shopify"
	case BigCommerce:
		return "BigCommerce"
	case WooCommerce:
		return "WooCommerce"
	case Etsy:
		return "Etsy"
	case Squarespace:
		return "Squarespace"
	case Amazon:
		return "Amazon"
	}
	return string(c)
}

// ValidCart reports whether c is a known cart.
func ValidCart(c Cart) bool {
	for _, k := range Carts {
		if k == c {
			return true
		}
	}
	return false
}

// Interval is a schedule interval.
type Interval string

const (
	Every10m Interval = "10m"
	Every1h  Interval = "1h"
	Every6h  Interval = "6h"
	Every1d  Interval = "1d"
)

// Intervals lists every interval, shortest first.
var Intervals = []Interval{Every10m, Every1h, Every6h, Every1d}

// Duration is the interval's length; 0 for an unknown interval.
func (i Interval) Duration() time.Duration {
	switch i {
	case Every10m:
		return 10 * time.Minute
	case Every1h:
		return time.Hour
	case Every6h:
		return 6 * time.Hour
	case Every1d:
		return 24 * time.Hour
	}
	return 0
}

// Rate is the EventBridge Scheduler expression for the interval.
func (i Interval) Rate() string {
	switch i {
	case Every10m:
		return "rate(10 minutes)"
	case Every1h:
		return "rate(1 hour)"
	case Every6h:
		return "rate(6 hours)"
	case Every1d:
		return "rate(1 day)"
	}
	return ""
}

// Label is the merchant-facing wording of the help article.
func (i Interval) Label() string {
	switch i {
	case Every10m:
		return "Every 10 minutes"
	case Every1h:
		return "Hourly"
	case Every6h:
		return "Every six hours"
	case Every1d:
		return "Daily"
	}
	return string(i)
}

// TaskSpec describes one task.
type TaskSpec struct {
	ID              Task
	Label           string
	Mode            Mode
	DefaultInterval Interval   // empty for instasync
	Allowed         []Interval // empty for instasync
	Description     string
}

// Tasks lists every task in modal order.
var Tasks = []TaskSpec{
	{ImportOrders, "Import Orders", Autosync, Every1h, []Interval{Every10m, Every1h, Every6h, Every1d},
		"Fetches orders from the channel based on their status in the cart."},
	{WriteInventory, "Write Inventory Back", Autosync, Every1h, []Interval{Every10m, Every1h, Every6h, Every1d},
		"Updates inventory quantities in the cart for products in the Needs Sync filter."},
	{ImportProducts, "Import Products", Autosync, Every6h, []Interval{Every1h, Every6h, Every1d},
		"Imports products newly created in the cart. Changes to existing products are not imported."},
	{ImportProductImages, "Import Product Images", Autosync, Every1d, []Interval{Every6h, Every1d},
		"Imports product images from the cart."},
	{ImportFBAInventory, "Import FBA Inventory", Autosync, Every1h, []Interval{Every10m, Every1h, Every6h, Every1d},
		"Saves quantities of products fulfilled by Amazon to the channel's Amazon FBA warehouse."},
	{ImportFBAOrders, "Import FBA Orders", Autosync, Every1d, []Interval{Every6h, Every1d},
		"Imports shipped FBA orders from the last 30 days, tagged FBA, into the Shipped filter."},
	{InstasyncOrders, "Instasync Orders", Instasync, "", nil,
		"Imports each order the moment the cart reports it."},
	{InstasyncProducts, "Instasync Products", Instasync, "", nil,
		"Imports each product the moment the cart reports it."},
}

// Spec returns the task's description.
func Spec(t Task) (TaskSpec, bool) {
	for _, s := range Tasks {
		if s.ID == t {
			return s, true
		}
	}
	return TaskSpec{}, false
}

// Allows reports whether the task may run at interval i.
func (s TaskSpec) Allows(i Interval) bool {
	for _, a := range s.Allowed {
		if a == i {
			return true
		}
	}
	return false
}

// AllowedText lists the allowed intervals for error messages.
func (s TaskSpec) AllowedText() string {
	out := ""
	for n, a := range s.Allowed {
		if n > 0 {
			out += ", "
		}
		out += string(a)
	}
	return out
}

// Offer is how a cart offers a task.
type Offer int

const (
	NotOffered Offer = iota
	// Once: runnable by hand only, shown with Reason.
	Once
	// Auto: may be autosynced (autosync tasks) or subscribed (instasync).
	Auto
)

// Availability is a cart's offer of one task, with the reason when limited.
type Availability struct {
	Offer  Offer
	Reason string
	// Note qualifies an offer without limiting it (Amazon: seller-fulfilled).
	Note string
}

// Available reports whether the task can be run at all on the cart.
func (a Availability) Available() bool { return a.Offer != NotOffered }

// AutosyncAvailable reports whether the task can be ticked in the modal.
func (a Availability) AutosyncAvailable() bool { return a.Offer == Auto }

const (
	reasonNoModifiedSince = "Etsy has no modified-since filter for listings, so products can only be imported by a one-time sync."
	reasonAmazonReport    = "Amazon lists products through a slow report, so products can only be imported by a one-time sync."
	reasonNoImages        = "%s does not offer product image import."
	reasonFBAOnly         = "Only Amazon channels have FBA inventory and FBA orders."
	reasonNoWebhooks      = "%s does not send signed webhooks for this, so instasync is not available; autosync imports on a schedule instead."
	noteSellerFulfilled   = "Seller-fulfilled (MFN) orders and listings only; FBA has its own tasks."
)

var offers = map[Cart]map[Task]Offer{
	Shopify:     {ImportOrders: Auto, WriteInventory: Auto, ImportProducts: Auto, ImportProductImages: Auto, InstasyncOrders: Auto, InstasyncProducts: Auto},
	BigCommerce: {ImportOrders: Auto, WriteInventory: Auto, ImportProducts: Auto, ImportProductImages: Auto, InstasyncOrders: Auto, InstasyncProducts: Auto},
	WooCommerce: {ImportOrders: Auto, WriteInventory: Auto, ImportProducts: Auto, InstasyncOrders: Auto, InstasyncProducts: Auto},
	Etsy:        {ImportOrders: Auto, WriteInventory: Auto, ImportProducts: Once},
	Squarespace: {ImportOrders: Auto, WriteInventory: Auto, ImportProducts: Auto, ImportProductImages: Auto, InstasyncOrders: Auto},
	Amazon:      {ImportOrders: Auto, WriteInventory: Auto, ImportProducts: Once, ImportFBAInventory: Auto, ImportFBAOrders: Auto},
}

// Offered returns how cart c offers task t, with the merchant-facing reason
// when it is limited or absent.
func Offered(c Cart, t Task) Availability {
	spec, ok := Spec(t)
	if !ok || !ValidCart(c) {
		return Availability{Reason: "Unknown task or cart."}
	}
	a := Availability{Offer: offers[c][t]}
	if c == Amazon && (t == ImportOrders || t == WriteInventory) {
		a.Note = noteSellerFulfilled
	}
	switch a.Offer {
	case Once:
		switch c {
		case Etsy:
			a.Reason = reasonNoModifiedSince
		case Amazon:
			a.Reason = reasonAmazonReport
		}
	case NotOffered:
		switch {
		case t == ImportFBAInventory || t == ImportFBAOrders:
			a.Reason = reasonFBAOnly
		case spec.Mode == Instasync:
			a.Reason = fmt.Sprintf(reasonNoWebhooks, CartLabel(c))
		case t == ImportProductImages:
			a.Reason = fmt.Sprintf(reasonNoImages, CartLabel(c))
		default:
			a.Reason = fmt.Sprintf("%s does not offer %s.", CartLabel(c), spec.Label)
		}
	}
	return a
}
