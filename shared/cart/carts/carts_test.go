package carts

import (
	"slices"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
)

func TestRegistryListsTheSixCarts(t *testing.T) {
	want := []catalog.Cart{catalog.Shopify, catalog.BigCommerce, catalog.WooCommerce, catalog.Etsy, catalog.Squarespace, catalog.Amazon}
	if got := IDs(); !slices.Equal(got, want) {
		t.Fatalf("registry lists %v, want %v (in modal order)", got, want)
	}
	labels := map[catalog.Cart]string{catalog.Shopify: "Shopify", catalog.BigCommerce: "BigCommerce", catalog.WooCommerce: "WooCommerce",
		catalog.Etsy: "Etsy", catalog.Squarespace: "Squarespace", catalog.Amazon: "Amazon"}
	for c, l := range labels {
		if got := Label(c); got != l {
			t.Errorf("Label(%s) = %q, want %q", c, got, l)
		}
	}
	if Valid("ebay") || Label("ebay") != "ebay" {
		t.Error("an unregistered cart is valid or has a label")
	}
	if a := Offered("ebay", catalog.ImportOrders); a.Available() || a.Reason == "" {
		t.Errorf("unknown cart offered: %+v", a)
	}
	if a := Offered(catalog.Shopify, "export_everything"); a.Available() || a.Reason == "" {
		t.Errorf("unknown task offered: %+v", a)
	}
}

// TestDriversComplete: every registered driver says everything the rest
// of Autosync asks of it.
func TestDriversComplete(t *testing.T) {
	seen := map[catalog.Cart]bool{}
	for _, d := range All() {
		if d.ID == "" || d.Label == "" {
			t.Errorf("driver %q: no id or label", d.ID)
		}
		if seen[d.ID] {
			t.Errorf("driver %s registered twice", d.ID)
		}
		seen[d.ID] = true
		if d.Validate == nil || d.New == nil || d.Statuses == nil || d.DefaultStatuses == nil {
			t.Errorf("%s: a nil Validate, New, Statuses or DefaultStatuses", d.ID)
			continue
		}
		statuses := d.Statuses()
		if len(statuses) == 0 {
			t.Errorf("%s: no order statuses", d.ID)
		}
		for _, s := range d.DefaultStatuses() {
			if !slices.Contains(statuses, s) {
				t.Errorf("%s: default status %q is not one of its statuses", d.ID, s)
			}
		}
		if len(d.Offers) != len(catalog.Tasks) {
			t.Errorf("%s: offers %d tasks, the catalog has %d", d.ID, len(d.Offers), len(catalog.Tasks))
		}
		for _, spec := range catalog.Tasks {
			a, ok := d.Offers[spec.ID]
			if !ok {
				t.Errorf("%s: no offer for %s", d.ID, spec.ID)
			}
			if a.Offer != catalog.Auto && a.Reason == "" {
				t.Errorf("%s: %s limited without a reason", d.ID, spec.ID)
			}
			if spec.Mode == catalog.Instasync && a.Offer == catalog.Once {
				t.Errorf("%s: %s is instasync and cannot be run once", d.ID, spec.ID)
			}
		}
		if d.Limits.RateLimit == "" || d.Limits.StockBatch <= 0 {
			t.Errorf("%s: rate limit or stock batch missing: %+v", d.ID, d.Limits)
		}
		// Instasync is offered exactly for the topics the cart's webhooks
		// are verified and subscribed for.
		var offered []string
		for topic, task := range map[string]catalog.Task{"orders": catalog.InstasyncOrders, "products": catalog.InstasyncProducts} {
			if d.Offers[task].Available() {
				offered = append(offered, topic)
			}
		}
		var topics []string
		if w := d.Webhooks; w != nil {
			if w.Verify == nil || w.Scheme == "" {
				t.Errorf("%s: webhooks without Verify or Scheme", d.ID)
			}
			for _, tp := range w.Topics {
				topics = append(topics, string(tp))
			}
		}
		slices.Sort(offered)
		slices.Sort(topics)
		if !slices.Equal(offered, topics) {
			t.Errorf("%s: instasync offered for %v, webhooks subscribed for %v", d.ID, offered, topics)
		}
	}
}

func TestOfferTable(t *testing.T) {
	// Rows of the capability table, spelled out so a change to a driver's
	// offers fails here.
	want := map[catalog.Task]string{ // shopify bigcommerce woocommerce etsy squarespace amazon
		catalog.ImportOrders:        "AAAAAA",
		catalog.WriteInventory:      "AAAAAA",
		catalog.ImportProducts:      "AAAOAO",
		catalog.ImportProductImages: "AA--A-",
		catalog.ImportFBAInventory:  "-----A",
		catalog.ImportFBAOrders:     "-----A",
		catalog.InstasyncOrders:     "AAA-A-",
		catalog.InstasyncProducts:   "AAA---",
	}
	sym := map[catalog.Offer]byte{catalog.Auto: 'A', catalog.Once: 'O', catalog.NotOffered: '-'}
	for task, row := range want {
		for i, c := range IDs() {
			a := Offered(c, task)
			if got := sym[a.Offer]; got != row[i] {
				t.Errorf("%s on %s: got %c want %c", task, c, got, row[i])
			}
			if a.Offer != catalog.Auto && a.Reason == "" {
				t.Errorf("%s on %s: limited offer without a reason", task, c)
			}
		}
	}
}

// TestReasons pins the merchant-facing wording the modal shows for each
// kind of limited offer.
func TestReasons(t *testing.T) {
	for _, tc := range []struct {
		cart       catalog.Cart
		task       catalog.Task
		reason     string
		note       string
		notOffered bool
	}{
		{catalog.Etsy, catalog.ImportProducts, "Etsy has no modified-since filter for listings, so products can only be imported by a one-time sync.", "", false},
		{catalog.Amazon, catalog.ImportProducts, "Amazon lists products through a slow report, so products can only be imported by a one-time sync.", "", false},
		{catalog.Amazon, catalog.ImportOrders, "", "Seller-fulfilled (MFN) orders and listings only; FBA has its own tasks.", false},
		{catalog.Shopify, catalog.ImportFBAOrders, "Only Amazon channels have FBA inventory and FBA orders.", "", true},
		{catalog.Etsy, catalog.InstasyncOrders, "Etsy does not send signed webhooks for this, so instasync is not available; autosync imports on a schedule instead.", "", true},
		{catalog.WooCommerce, catalog.ImportProductImages, "WooCommerce does not offer product image import.", "", true},
	} {
		a := Offered(tc.cart, tc.task)
		if a.Reason != tc.reason || a.Note != tc.note || a.Available() == tc.notOffered {
			t.Errorf("%s on %s: %+v, want reason %q note %q", tc.task, tc.cart, a, tc.reason, tc.note)
		}
	}
}
