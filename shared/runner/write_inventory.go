package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
)

type pushItem struct {
	sku    string
	link   cart.Link
	target int
}

// writeInventory pushes the channel's Needs Sync products in the largest
// batches the cart allows. A product's flag clears only through
// ConfirmPush after the cart confirmed its quantity, and since confirming
// records the pushed quantity, a change that lands between push and
// confirmation leaves the product in Needs Sync. A per-SKU failure leaves
// the others pushed; the third in a row suspends the SKU on the channel.
func (e *execution) writeInventory(ctx context.Context, w cart.StockWriter) error {
	cp, err := e.Runs.Checkpoint(ctx, e.in.AccountID, e.in.ChannelID, e.in.Task)
	if err != nil {
		return err
	}
	if cp.Window == nil {
		cp.Window = &runs.Window{From: e.Now().UTC(), To: e.Now().UTC(), Phase: "push"}
	}
	pol, err := e.Inventory.Policy(ctx, e.in.AccountID, e.in.ChannelID)
	if err != nil {
		return err
	}
	var todo []pushItem
	err = e.Inventory.Scan(ctx, e.in.AccountID, cp.Window.Cursor, func(v inventory.Versioned) (bool, error) {
		s := pol.SyncState(v.Product, e.in.ChannelID)
		if s.NeedsSync {
			todo = append(todo, pushItem{sku: v.Product.SKU, link: v.Product.Channels[e.in.ChannelID].Link, target: s.Target})
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	win := cp.Window
	e.run.Progress.Total = win.Done + len(todo)
	batch := max(w.MaxBatch(), 1)
	for start := 0; start < len(todo); start += batch {
		if ctx.Err() != nil {
			return errContinue
		}
		chunk := todo[start:min(start+batch, len(todo))]
		ups := make([]cart.StockUpdate, len(chunk))
		for i, it := range chunk {
			ups[i] = cart.StockUpdate{SKU: it.sku, Link: it.link, Quantity: it.target}
		}
		results, err := w.SetStock(ctx, ups)
		if err != nil {
			var rl *cart.RateLimitedError
			if errors.As(err, &rl) || (ctx.Err() != nil && errors.Is(err, ctx.Err())) {
				return errContinue
			}
			return fmt.Errorf("push batch of %d at %s: %w", len(chunk), chunk[0].sku, err)
		}
		if len(results) != len(chunk) {
			return fmt.Errorf("push batch of %d: the cart answered %d results", len(chunk), len(results))
		}
		for i, res := range results {
			it := chunk[i]
			if res.Err == nil {
				if err := e.Inventory.ConfirmPush(ctx, e.in.AccountID, e.in.ChannelID, it.sku, it.target); err != nil {
					return err
				}
				e.run.Counts.Pushed++
				if res.Retries > 0 {
					e.detail(fmt.Sprintf("%s: the cart's quantity changed while it was pushed (a sale); re-read and pushed again %d time(s), keeping the cart's change", it.sku, res.Retries))
				}
				continue
			}
			msg := res.Err.Error()
			var ce *cart.Error
			if errors.As(res.Err, &ce) && ce.Message != "" {
				msg = ce.Message
			}
			suspended, err := e.Inventory.RecordFailure(ctx, e.in.AccountID, e.in.ChannelID, it.sku, it.target, msg)
			if err != nil {
				return err
			}
			e.run.Counts.Failed++
			note := ""
			if suspended {
				note = " (sync suspended until its quantity changes)"
			}
			e.detail(fmt.Sprintf("%s: %s%s", it.sku, msg, note))
		}
		win.Done += len(chunk)
		win.Cursor = chunk[len(chunk)-1].sku
		e.run.Progress.Done = win.Done
		if err := e.commit(ctx, cp); err != nil {
			return err
		}
	}
	if e.run.Counts.Failed > 0 && e.run.Error == nil {
		e.run.Error = &runs.RunError{Class: runs.ClassCart, Message: fmt.Sprintf(
			"The cart refused %d of %d quantities; see the run's detail for each SKU and the cart's reason.", e.run.Counts.Failed, win.Done)}
	}
	cp.Window = nil
	return e.commit(ctx, cp)
}
