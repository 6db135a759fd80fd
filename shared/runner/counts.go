package runner

import (
	"errors"
	"fmt"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runs"
)

// countOrder counts what storing one fetched order did.
func countOrder(c *runs.Counts, o orders.Outcome) {
	switch o {
	case orders.Created:
		c.Created++
	case orders.Updated:
		c.Updated++
	case orders.Unchanged:
		c.Unchanged++
	default: // not ours: a cancel of an order never imported, a status we do not import
		c.Skipped++
	}
}

// countListing counts what importing one listing did: a new link to an
// existing product is an update.
func countListing(c *runs.Counts, o inventory.Outcome) {
	switch o {
	case inventory.Created:
		c.Created++
	case inventory.Linked, inventory.Unlinked:
		c.Updated++
	case inventory.Skipped:
		c.Skipped++
	default:
		c.Unchanged++
	}
}

// countStored counts a record whose storing created it, changed it or
// found it as stored.
func countStored(c *runs.Counts, created, changed bool) {
	switch {
	case created:
		c.Created++
	case changed:
		c.Updated++
	default:
		c.Unchanged++
	}
}

// maxDetail bounds the support detail kept on a run.
const maxDetail = 50

// addDetail adds a line to the run's support detail, while it has room.
func addDetail(run *runs.Run, s string) {
	if len(run.Detail) < maxDetail {
		run.Detail = append(run.Detail, s)
	}
}

// refusedOrder counts an order the store refused for what it is
// (orders.ErrInvalid) as that order's failure, and says which and why in
// the run's detail; it reports whether err was such a refusal. Storing it
// again would be refused again, so the import goes on without it: failing
// the run instead would stop every later order from being imported.
func refusedOrder(run *runs.Run, o cart.Order, err error) bool {
	if !errors.Is(err, orders.ErrInvalid) {
		return false
	}
	run.Counts.Failed++
	addDetail(run, fmt.Sprintf("order %s: %v", orderName(o), err))
	return true
}

// orderName names an order for a run's detail: its number, and its id
// when they differ.
func orderName(o cart.Order) string {
	if o.Number != "" && o.Number != o.ExternalID {
		return fmt.Sprintf("%s (id %s)", o.Number, o.ExternalID)
	}
	return o.ExternalID
}

// refusedListing is refusedOrder for a listing without a usable SKU, which
// cannot be synced.
func refusedListing(run *runs.Run, l cart.Listing, err error) bool {
	if !errors.Is(err, inventory.ErrInvalid) {
		return false
	}
	run.Counts.Failed++
	addDetail(run, fmt.Sprintf("listing %s: no usable SKU (%q)", l.Link.ProductID, l.SKU))
	return true
}
