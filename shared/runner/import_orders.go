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
	return e.pass(ctx, []string{phaseImport, phaseCancel}, passOpts{}, func(ctx context.Context, w *runs.Window) (string, error) {
		page, err := src.Orders(ctx, cart.OrderQuery{UpdatedFrom: w.From, UpdatedTo: w.To, Cursor: w.Cursor,
			Cancelled: w.Phase == phaseCancel, Statuses: statuses})
		if err != nil {
			return "", err
		}
		apply := e.Orders.Upsert
		if w.Phase == phaseCancel {
			apply = e.Orders.Update
		}
		return applyPage(e, w, page.Orders, page.Next, func(o cart.Order) error {
			return e.storeOrder(ctx, apply, o)
		})
	})
}

// storeOrder stores one fetched order through apply (the upsert, or the
// update of an order we hold), counting what it did.
func (e *execution) storeOrder(ctx context.Context, apply func(context.Context, string, string, cart.Order) (orders.Change, error), o cart.Order) error {
	ch, err := apply(ctx, e.in.AccountID, e.in.ChannelID, o)
	switch {
	case refusedOrder(&e.run, o, err):
		return nil
	case err != nil:
		return fmt.Errorf("store order %s: %w", o.ExternalID, err)
	}
	countOrder(&e.run.Counts, ch.Outcome)
	return nil
}
