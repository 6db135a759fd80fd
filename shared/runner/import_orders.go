package runner

import (
	"context"
	"fmt"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runs"
)

// Import phases: importable orders first, then cancels of orders we hold.
const (
	phaseImport = "import"
	phaseCancel = "cancel"
)

// importOrders imports the window's importable orders, then carries cancels
// over to the orders we hold that still await fulfillment.
func (e *execution) importOrders(ctx context.Context, src cart.OrderSource, statuses []string) error {
	return e.pass(ctx, []string{phaseImport, phaseCancel}, false, func(ctx context.Context, w *runs.Window) (string, error) {
		page, err := src.Orders(ctx, cart.OrderQuery{UpdatedFrom: w.From, UpdatedTo: w.To, Cursor: w.Cursor,
			Cancelled: w.Phase == phaseCancel, Statuses: statuses})
		if err != nil {
			return "", err
		}
		for _, o := range page.Orders {
			e.run.Counts.Fetched++
			apply := e.Orders.Upsert
			if w.Phase == phaseCancel {
				apply = e.Orders.Update
			}
			ch, err := apply(ctx, e.in.AccountID, e.in.ChannelID, o)
			if err != nil {
				e.run.Counts.Failed++ // the run fails here: the record still counts
				return "", fmt.Errorf("store order %s: %w", o.ExternalID, err)
			}
			switch ch.Outcome {
			case orders.Created:
				e.run.Counts.Created++
			case orders.Updated:
				e.run.Counts.Updated++
			case orders.Unchanged:
				e.run.Counts.Unchanged++
			default: // not ours: a cancel of an order never imported, a status we do not import
				e.run.Counts.Skipped++
			}
		}
		w.Done += len(page.Orders)
		return page.Next, nil
	})
}
