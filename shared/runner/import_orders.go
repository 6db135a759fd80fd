package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runs"
)

// Import phases: importable orders first, then cancels of orders we hold.
const (
	phaseImport = "import"
	phaseCancel = "cancel"
)

// importOrders pages through the window of orders updated since the
// watermark. The window's upper bound is taken before the first read, so an
// order updated during the run is read by the next run, not lost; the
// overlap re-reads the edge; the upsert makes re-reading harmless.
func (e *execution) importOrders(ctx context.Context, src cart.OrderSource, ch channels.Channel) error {
	cp, err := e.Runs.Checkpoint(ctx, e.in.AccountID, e.in.ChannelID, e.in.Task)
	if err != nil {
		return err
	}
	if cp.Window == nil {
		from := cp.Watermark.Add(-e.Overlap)
		now := e.Now().UTC()
		if cp.Watermark.IsZero() {
			from = now.Add(-e.FirstLookback)
		}
		cp.Window = &runs.Window{From: from, To: now, Phase: phaseImport}
		if err := e.commit(ctx, cp); err != nil {
			return err
		}
	}
	w := cp.Window
	for pageNo := 1; ; pageNo++ {
		if ctx.Err() != nil {
			return errContinue
		}
		q := cart.OrderQuery{UpdatedFrom: w.From, UpdatedTo: w.To, Cursor: w.Cursor, Cancelled: w.Phase == phaseCancel}
		page, err := src.Orders(ctx, q)
		if err != nil {
			var rl *cart.RateLimitedError
			if errors.As(err, &rl) || (ctx.Err() != nil && errors.Is(err, ctx.Err())) {
				// Out of time while the cart throttled us: not a failure.
				return errContinue
			}
			return fmt.Errorf("import %s orders page %d: %w", w.Phase, pageNo, err)
		}
		for _, o := range page.Orders {
			e.run.Counts.Fetched++
			ch, err := e.Orders.Upsert(ctx, e.in.AccountID, e.in.ChannelID, o)
			if err != nil {
				return fmt.Errorf("store order %s: %w", o.ExternalID, err)
			}
			switch ch.Outcome {
			case orders.Created:
				e.run.Counts.Created++
			case orders.Updated:
				e.run.Counts.Updated++
			case orders.Unchanged:
				e.run.Counts.Unchanged++
			}
		}
		w.Done += len(page.Orders)
		w.Cursor = page.Next
		e.run.Progress.Done = w.Done
		if page.Next == "" {
			if w.Phase == phaseImport {
				w.Phase, w.Cursor = phaseCancel, ""
			} else {
				cp.Watermark, cp.Window = w.To, nil
				return e.commit(ctx, cp)
			}
		}
		if err := e.commit(ctx, cp); err != nil {
			return err
		}
	}
}
