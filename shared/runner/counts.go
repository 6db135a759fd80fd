package runner

import (
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
	case inventory.Linked:
		c.Updated++
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
