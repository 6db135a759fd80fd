package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
)

type pushItem struct {
	sku         string
	link        cart.Link
	target      int
	deactivated bool
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
	// SKUs whose cart listing Autosync deactivated, by listing: they go
	// with any push to their listing so that a reactivation writes their
	// quantities too (the cart kept what it had when the listing went
	// inactive, which is no longer what Autosync has).
	parked := map[string][]pushItem{}
	// A scheduled run reads the catalog eventually consistent (half the
	// price): a change it misses stays in Needs Sync for the next run, and
	// the few products it picks are read again consistently, so nothing
	// stale is pushed. Runs a person or a change asked for read it
	// consistently.
	eventual := e.in.Trigger == runs.Schedule
	scan := e.Inventory.Scan
	if eventual {
		scan = e.Inventory.ScanEventual
	}
	pick := func(p inventory.Product) bool {
		s := pol.SyncState(p, e.in.ChannelID)
		cs := p.Channels[e.in.ChannelID]
		it := pushItem{sku: p.SKU, link: cs.Link, target: s.Target, deactivated: cs.Deactivated}
		switch {
		case s.NeedsSync:
			todo = append(todo, it)
		case s.Linked && cs.Deactivated && cs.Link.ProductID != "":
			parked[cs.Link.ProductID] = append(parked[cs.Link.ProductID], it)
		default:
			return false
		}
		return true
	}
	var picked []string
	err = scan(ctx, e.in.AccountID, cp.Window.Cursor, func(v inventory.Versioned) (bool, error) {
		if pick(v.Product) && eventual {
			picked = append(picked, v.Product.SKU)
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	if eventual {
		todo, parked = nil, map[string][]pushItem{}
		for _, sku := range picked {
			p, _, err := e.Inventory.Get(ctx, e.in.AccountID, sku)
			if errors.Is(err, inventory.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			pick(p)
		}
	}
	// Each group is an item and the parked SKUs of its listing, pushed in
	// one call.
	var groups [][]pushItem
	for _, it := range todo {
		g := []pushItem{it}
		if id := it.link.ProductID; id != "" {
			g = append(g, parked[id]...)
			delete(parked, id)
		}
		groups = append(groups, g)
	}
	win := cp.Window
	e.run.Progress.Total = win.Done + len(todo)
	batch := max(w.MaxBatch(), 1)
	zero := pol.ZeroStockPolicy()
	var deactivated, reactivated []string // listing ids, once each
	for len(groups) > 0 {
		if ctx.Err() != nil {
			return errContinue
		}
		var chunk []pushItem
		n := 0
		for n < len(groups) && (n == 0 || len(chunk)+len(groups[n]) <= batch) {
			chunk = append(chunk, groups[n]...)
			n++
		}
		groups = groups[n:]
		ups := make([]cart.StockUpdate, len(chunk))
		for i, it := range chunk {
			ups[i] = cart.StockUpdate{SKU: it.sku, Link: it.link, Quantity: it.target, ZeroStock: zero, Deactivated: it.deactivated}
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
				if err := e.Inventory.ConfirmPushListing(ctx, e.in.AccountID, e.in.ChannelID, it.sku, it.target, res.Listing); err != nil {
					return err
				}
				e.run.Counts.Pushed++
				switch id := it.link.ProductID; res.Listing {
				case cart.ListingDeactivated:
					if !it.deactivated && !slices.Contains(deactivated, id) {
						deactivated = append(deactivated, id)
						e.detail(fmt.Sprintf("listing %s deactivated: every variation reached 0 (%s); it is reactivated when stock returns", id, it.sku))
					}
				case cart.ListingReactivated:
					if !slices.Contains(reactivated, id) {
						reactivated = append(reactivated, id)
						e.detail(fmt.Sprintf("listing %s reactivated with stock (%s: %d)", id, it.sku, it.target))
					}
				}
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
		// The cursor is the greatest SKU pushed: every item up to it is
		// done (a parked SKU beyond it may be pushed again, harmlessly).
		for _, it := range chunk {
			win.Cursor = max(win.Cursor, it.sku)
		}
		win.Done += n
		e.run.Progress.Done = win.Done
		if err := e.commit(ctx, cp); err != nil {
			return err
		}
	}
	if len(deactivated)+len(reactivated) > 0 {
		e.summary(fmt.Sprintf("listings deactivated for want of stock: %d; reactivated: %d", len(deactivated), len(reactivated)))
	}
	if e.run.Counts.Failed > 0 && e.run.Error == nil {
		e.run.Error = &runs.RunError{Class: runs.ClassCart, Message: fmt.Sprintf(
			"The cart refused %d of %d quantities; see the run's detail for each SKU and the cart's reason.", e.run.Counts.Failed, win.Done)}
	}
	cp.Window = nil
	return e.commit(ctx, cp)
}

// summary adds a line to the run's detail even when the detail is full,
// in place of its last line.
func (e *execution) summary(s string) {
	if len(e.run.Detail) >= maxDetail {
		e.run.Detail[len(e.run.Detail)-1] = s
		return
	}
	e.run.Detail = append(e.run.Detail, s)
}
