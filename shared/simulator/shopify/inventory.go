package shopifysim

import (
	"net/url"
	"slices"
	"strconv"
	"time"
)

// The inventorySetQuantities mutation (GraphQL Admin API).
//
// All or nothing: the mutation's reference does not say whether one bad quantity sinks the
// others. Shopify's reference says that when a compareQuantity does not
// match "the mutation will return an error", and a mutation that answers a
// userError answers inventoryAdjustmentGroup null: no group of changes was
// made. The simulator reads that as all or nothing: it checks every
// quantity, reports a userError for each bad one (field
// ["input","quantities","<index>","<input field>"]), and changes nothing
// unless there are none. Messages are the ones Shopify's
// InventorySetQuantitiesUserErrorCode reference gives for each code.

type userError struct {
	code    string
	field   []string
	message string
}

type change struct {
	name  string
	delta int
	after int
	level *level
}

type adjustmentGroup struct {
	id        int64
	createdAt time.Time
	reason    string
	reference string
	changes   []change
}

// setResult is an InventorySetQuantitiesPayload.
type setResult struct {
	group *adjustmentGroup
	errs  []userError
}

// maxQuantity is the most a quantity may be: "The total quantity can't be
// higher than 1,000,000,000."
const maxQuantity = 1_000_000_000

// setReasons are the reasons Shopify accepts for a quantity change; the
// list is from memory of Shopify's "possible reasons" page [mem].
var setReasons = []string{
	"correction", "cycle_count_available", "damaged", "movement_canceled", "movement_created",
	"movement_received", "movement_updated", "other", "promotion", "quality_control", "received",
	"reservation_created", "reservation_deleted", "reservation_updated", "restock", "safety_stock", "shrinkage",
}

// User error messages, from Shopify's InventorySetQuantitiesUserErrorCode
// reference.
const (
	msgCompareRequired = "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity."
	msgCompareStale    = "The compareQuantity value does not match persisted value."
	msgInvalidItem     = "The specified inventory item could not be found."
	msgInvalidLocation = "The specified location could not be found."
	msgInvalidName     = "The quantity name must be either 'available' or 'on_hand'."
	msgNegative        = "The quantity can't be negative."
	msgTooHigh         = "The total quantity can't be higher than 1,000,000,000."
	msgInvalidReason   = "The specified reason is invalid."
	msgInvalidRef      = "The specified reference document is invalid."
	msgNotStocked      = "The inventory item is not stocked at the location."
	msgNonMutable      = "The specified inventory item is not allowed to be adjusted via API. Example: if the inventory item is a parent bundle."
	// Not in the stored reference's descriptions [mem].
	msgDuplicate = "The combination of inventoryItemId and locationId must be unique."
)

// setQuantities runs inventorySetQuantities on the catalog. The caller
// holds the store's write lock.
func (c *catalog) setQuantities(in map[string]any, now time.Time) (*setResult, error) {
	r := &setResult{}
	fail := func(code, msg string, field ...string) {
		r.errs = append(r.errs, userError{code: code, field: field, message: msg})
	}
	name, _ := in["name"].(string)
	validName := name == "available" || name == "on_hand"
	if !validName {
		fail("INVALID_NAME", msgInvalidName, "input", "name")
	}
	reason, _ := in["reason"].(string)
	if !slices.Contains(setReasons, reason) {
		fail("INVALID_REASON", msgInvalidReason, "input", "reason")
	}
	ref, _ := in["referenceDocumentUri"].(string)
	if u, err := url.Parse(ref); ref != "" && (err != nil || u.Scheme == "" || u.Host == "" && u.Opaque == "") {
		fail("INVALID_REFERENCE_DOCUMENT", msgInvalidRef, "input", "referenceDocumentUri")
	}
	ignore, _ := in["ignoreCompareQuantity"].(bool)

	type step struct {
		l *level
		q int
	}
	var plan []step
	seen := map[*level]bool{}
	failing := map[string]bool{} // SKUs whose FailSKU this mutation uses
	qs, _ := in["quantities"].([]any)
	for i, raw := range qs {
		q, _ := raw.(map[string]any)
		idx := strconv.Itoa(i)
		at := func(f string) []string { return []string{"input", "quantities", idx, f} }
		var it *inventoryItem
		if id, ok := parseGID(str(q["inventoryItemId"]), "InventoryItem"); ok {
			it = c.itemsBy[id]
		}
		if it == nil {
			fail("INVALID_INVENTORY_ITEM", msgInvalidItem, at("inventoryItemId")...)
			continue
		}
		if sku := it.variant.sku; sku != "" && c.failSKU[sku] > 0 {
			failing[sku] = true
			fail("NON_MUTABLE_INVENTORY_ITEM", msgNonMutable, at("inventoryItemId")...)
			continue
		}
		var loc *location
		if id, ok := parseGID(str(q["locationId"]), "Location"); ok {
			loc = c.location(id)
		}
		if loc == nil || !loc.active {
			fail("INVALID_LOCATION", msgInvalidLocation, at("locationId")...)
			continue
		}
		l := it.levels[loc.id]
		if l == nil {
			fail("ITEM_NOT_STOCKED_AT_LOCATION", msgNotStocked, at("locationId")...)
			continue
		}
		if seen[l] {
			fail("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", msgDuplicate, "input", "quantities", idx)
			continue
		}
		seen[l] = true
		n64, _ := q["quantity"].(int64)
		n := int(n64)
		if n < 0 {
			fail("INVALID_QUANTITY_NEGATIVE", msgNegative, at("quantity")...)
			continue
		}
		current, onHandAfter := l.available, l.onHand+n-l.available
		if name == "on_hand" {
			current, onHandAfter = l.onHand, n
		}
		if n > maxQuantity || onHandAfter > maxQuantity {
			fail("INVALID_QUANTITY_TOO_HIGH", msgTooHigh, at("quantity")...)
			continue
		}
		if !ignore && validName {
			cq, given := q["compareQuantity"].(int64)
			if !given {
				fail("COMPARE_QUANTITY_REQUIRED", msgCompareRequired, at("compareQuantity")...)
				continue
			}
			if int(cq) != current {
				fail("COMPARE_QUANTITY_STALE", msgCompareStale, at("compareQuantity")...)
				continue
			}
		}
		plan = append(plan, step{l, n})
	}
	for sku := range failing {
		if c.failSKU[sku]--; c.failSKU[sku] <= 0 {
			delete(c.failSKU, sku)
		}
	}
	if len(r.errs) > 0 {
		return r, nil
	}

	g := &adjustmentGroup{id: c.nextGroup, createdAt: now, reason: reason, reference: ref}
	c.nextGroup++
	for _, s := range plan {
		l := s.l
		var delta int
		if name == "available" {
			delta = s.q - l.available
		} else {
			delta = s.q - l.onHand
		}
		if delta == 0 {
			continue
		}
		l.available += delta
		l.onHand += delta
		l.updatedAt = now
		first, second := change{"available", delta, l.available, l}, change{"on_hand", delta, l.onHand, l}
		if name == "on_hand" {
			first, second = second, first
		}
		g.changes = append(g.changes, first, second)
	}
	r.group = g
	return r, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
