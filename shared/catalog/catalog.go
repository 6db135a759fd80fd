// Package catalog is the single source of which tasks exist and at which
// intervals they may run, and the words a cart's offer of a task is told in
// (Offer, Availability). Which carts exist, their labels and what each
// offers are the cart drivers' (cart.Driver, listed by cart/carts).
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

// Cart is a sales channel type: a cart driver's id (see cart.Driver; the
// registry in cart/carts says which carts exist).
type Cart string

// The ids of the carts built today, for code and tests that address one
// cart by name. A new cart needs no constant here: its driver names itself.
const (
	Shopify     Cart = "shopify"
	BigCommerce Cart = "bigcommerce"
	WooCommerce Cart = "woocommerce"
	Etsy        Cart = "etsy"
	Squarespace Cart = "squarespace"
	Amazon      Cart = "amazon"
)

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
	reasonNoImages   = "%s does not offer product image import."
	reasonFBAOnly    = "Only Amazon channels have FBA inventory and FBA orders."
	reasonNoWebhooks = "%s does not send signed webhooks for this, so instasync is not available; autosync imports on a schedule instead."
)

// OfferTable is a cart's complete offer table for its driver: offered
// holds the tasks the cart offers (Once with its Reason, a Note where one
// qualifies the offer); every other task of Tasks is NotOffered with the
// standard reason, which names the cart by label.
func OfferTable(label string, offered map[Task]Availability) map[Task]Availability {
	out := make(map[Task]Availability, len(Tasks))
	for _, spec := range Tasks {
		if a, ok := offered[spec.ID]; ok && a.Offer != NotOffered {
			out[spec.ID] = a
			continue
		}
		out[spec.ID] = Availability{Reason: NotOfferedReason(label, spec)}
	}
	return out
}

// NotOfferedReason is the merchant-facing reason a cart named label does
// not offer a task.
func NotOfferedReason(label string, spec TaskSpec) string {
	switch {
	case spec.ID == ImportFBAInventory || spec.ID == ImportFBAOrders:
		return reasonFBAOnly
	case spec.Mode == Instasync:
		return fmt.Sprintf(reasonNoWebhooks, label)
	case spec.ID == ImportProductImages:
		return fmt.Sprintf(reasonNoImages, label)
	}
	return fmt.Sprintf("%s does not offer %s.", label, spec.Label)
}
