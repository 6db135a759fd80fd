package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

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
//
// A run examines only the SKUs the change log (inventory.ChangedSince)
// names since the channel's previous run started, so a run with nothing to
// push reads a checkpoint, a policy and an empty log page. It reads the
// whole catalog instead when the log cannot say (no previous run, a log
// older than its TTL, more changes than a scan costs), when the channel's
// policy changed since (every target may have moved), and at least every
// fullWriteBackEvery, a reconciliation that would also catch a change the
// log missed.
func (e *execution) writeInventory(ctx context.Context, w cart.StockWriter) error {
	cp, err := e.Runs.Checkpoint(ctx, e.in.AccountID, e.in.ChannelID, e.in.Task)
	if err != nil {
		return err
	}
	pol, err := e.Inventory.Policy(ctx, e.in.AccountID, e.in.ChannelID)
	if err != nil {
		return err
	}
	wb := loadWriteBack(cp)
	opened := cp.Window == nil
	if opened {
		cp.Window = &runs.Window{From: e.Now().UTC(), To: e.Now().UTC(), Phase: "push"}
		// The watermark is on the inventory's clock, the one change items
		// are stamped with.
		now := e.Inventory.Now().UTC()
		wb.Start, wb.RunPolicy, wb.Scanned = now, policyKey(pol), 0
		wb.Full = wb.Clean.IsZero() || wb.Policy != wb.RunPolicy || !inventory.ChangesKept(wb.Clean, now) ||
			now.Sub(wb.FullAt) >= fullWriteBackEvery
	}
	sub, _ := w.(cart.StockSubmitter)
	var lc listingChanges
	inFlight, recheck, changedPending, err := e.readPending(ctx, sub, &wb, &lc)
	if changedPending {
		wb.save(&cp)
		if err := e.commit(ctx, cp); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	var changed []string
	if !wb.Full {
		changed, err = e.Inventory.ChangedSince(ctx, e.in.AccountID, wb.Clean.Add(-inventory.ChangeMargin))
		if err != nil {
			return err
		}
		// A consistent read per changed SKU costs more than an eventually
		// consistent scan once about a quarter of the catalog changed.
		if len(changed) > max(wb.SKUs/4, 100) {
			wb.Full, changed = true, nil
		}
	}
	var todo []pushItem
	// SKUs whose cart listing Autosync deactivated, by listing: they go
	// with any push to their listing so that a reactivation writes their
	// quantities too (the cart kept what it had when the listing went
	// inactive, which is no longer what Autosync has).
	parked := map[string]pushItem{}
	examined := map[string]bool{}
	pick := func(p inventory.Product) bool {
		s := pol.SyncState(p, e.in.ChannelID)
		cs := p.Channels[e.in.ChannelID]
		it := pushItem{sku: p.SKU, link: cs.Link, target: s.Target, deactivated: cs.Deactivated}
		switch {
		case s.NeedsSync:
			todo = append(todo, it)
		case s.Linked && cs.Deactivated && cs.Link.ProductID != "":
			parked[p.SKU] = it
		default:
			return false
		}
		return true
	}
	// examine picks a product read consistently and keeps the channel's
	// list of parked SKUs up to date with it.
	examine := func(p inventory.Product) {
		examined[p.SKU] = true
		wb.unpark(p.SKU)
		if cs, ok := p.Channels[e.in.ChannelID]; ok && cs.Deactivated && cs.Link.ProductID != "" {
			wb.park(cs.Link.ProductID, p.SKU)
		}
		pick(p)
	}
	getAll := func(skus []string) error {
		for _, sku := range skus {
			p, _, err := e.Inventory.Get(ctx, e.in.AccountID, sku)
			if errors.Is(err, inventory.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			examine(p)
		}
		return nil
	}
	if wb.Full {
		// A scheduled run reads the catalog eventually consistent (half
		// the price): a change it misses was logged after this run
		// started, less the margin, so the next run sees it; the few
		// products it picks are read again consistently, so nothing stale
		// is pushed. Runs a person or a change asked for read it
		// consistently.
		eventual := e.in.Trigger == runs.Schedule
		scan := e.Inventory.Scan
		if eventual {
			scan = e.Inventory.ScanEventual
		}
		var picked []string
		err = scan(ctx, e.in.AccountID, cp.Window.Cursor, func(v inventory.Versioned) (bool, error) {
			wb.Scanned++
			if !eventual {
				examine(v.Product)
			} else if pick(v.Product) {
				picked = append(picked, v.Product.SKU)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		if eventual {
			todo, parked = nil, map[string]pushItem{}
			if err := getAll(picked); err != nil {
				return err
			}
		}
	} else {
		// A continued run has pushed every SKU up to its cursor; one of
		// them changed since was logged after this run started.
		from, found := slices.BinarySearch(changed, cp.Window.Cursor)
		if found {
			from++
		}
		if err := getAll(changed[from:]); err != nil {
			return err
		}
	}
	// Parked SKUs of the listings to push that this run has not read.
	for _, it := range todo {
		// A clone: examining a SKU rewrites the list.
		for _, sku := range slices.Clone(wb.Parked[it.link.ProductID]) {
			if !examined[sku] {
				if err := getAll([]string{sku}); err != nil {
					return err
				}
			}
		}
	}
	// SKUs whose pushed results were not read: examined again, as the
	// change log will not name them again.
	for _, sku := range recheck {
		if !examined[sku] {
			if err := getAll([]string{sku}); err != nil {
				return err
			}
		}
	}
	// SKUs in flight wait for their results; the run that reads them
	// examines again those found needing a push meanwhile.
	todo = slices.DeleteFunc(todo, func(it pushItem) bool {
		i, ok := inFlight[it.sku]
		if ok && !slices.Contains(wb.Pending[i].Recheck, it.sku) {
			wb.Pending[i].Recheck = append(wb.Pending[i].Recheck, it.sku)
			changedPending = true
		}
		return ok
	})
	for sku := range parked {
		if _, ok := inFlight[sku]; ok {
			delete(parked, sku)
		}
	}
	// A parked SKU read just now may need a push of its own; groups go in
	// SKU order, which the cursor relies on.
	slices.SortFunc(todo, func(a, b pushItem) int { return strings.Compare(a.sku, b.sku) })
	byListing := map[string][]pushItem{}
	for _, it := range parked {
		byListing[it.link.ProductID] = append(byListing[it.link.ProductID], it)
	}
	for _, g := range byListing {
		slices.SortFunc(g, func(a, b pushItem) int { return strings.Compare(a.sku, b.sku) })
	}
	// Each group is an item and the parked SKUs of its listing, pushed in
	// one call.
	var groups [][]pushItem
	for _, it := range todo {
		g := []pushItem{it}
		if id := it.link.ProductID; id != "" {
			g = append(g, byListing[id]...)
			delete(byListing, id)
		}
		groups = append(groups, g)
	}
	win := cp.Window
	e.run.Progress.Total = win.Done + len(todo)
	batch := max(w.MaxBatch(), 1)
	zero := pol.ZeroStockPolicy()
	for len(groups) > 0 {
		if ctx.Err() != nil {
			return errContinue
		}
		var chunk []pushItem
		n := 0
		limit := batch
		if sub != nil && len(wb.Pending) < maxPending {
			limit = min(batch, maxSubmitBatch)
		}
		last := ""
		for n < len(groups) && (n == 0 || len(chunk)+len(groups[n]) <= limit) {
			chunk = append(chunk, groups[n]...)
			last = groups[n][0].sku
			n++
		}
		submit := sub != nil && wb.pendingRoom(chunk)
		groups = groups[n:]
		ups := make([]cart.StockUpdate, len(chunk))
		for i, it := range chunk {
			ups[i] = cart.StockUpdate{SKU: it.sku, Link: it.link, Quantity: it.target, ZeroStock: zero, Deactivated: it.deactivated}
		}
		var results []cart.StockResult
		ticket := ""
		if submit {
			results, ticket, err = sub.SubmitStock(ctx, ups)
		} else {
			results, err = w.SetStock(ctx, ups)
		}
		if err != nil {
			var rl *cart.RateLimitedError
			if errors.As(err, &rl) || (ctx.Err() != nil && errors.Is(err, ctx.Err())) {
				return errContinue
			}
			return fmt.Errorf("push batch of %d at %s: %w", len(chunk), chunk[0].sku, err)
		}
		if ticket != "" {
			// In flight: a later run reads the results.
			// Said at once: the run may end in a later invocation.
			wb.Pending = append(wb.Pending, pendingPush{Ticket: ticket, At: e.Now().UTC(), Items: pendingItems(chunk)})
			e.detail(fmt.Sprintf("%d quantities sent to the cart as a feed; the next run reads the cart's results", len(chunk)))
		} else if len(results) != len(chunk) {
			return fmt.Errorf("push batch of %d: the cart answered %d results", len(chunk), len(results))
		}
		for i, res := range results {
			if err := e.applyPush(ctx, &wb, &lc, chunk[i], res); err != nil {
				return err
			}
		}
		// The cursor is the last SKU of the groups pushed, which go in SKU
		// order: every SKU up to it is done. Not a parked SKU riding along:
		// one beyond SKUs still to push would skip them on resuming (a
		// parked SKU beyond the cursor may be pushed again, harmlessly).
		win.Cursor = max(win.Cursor, last)
		win.Done += n
		e.run.Progress.Done = win.Done
		wb.save(&cp)
		if err := e.commit(ctx, cp); err != nil {
			return err
		}
	}
	if len(lc.deactivated)+len(lc.reactivated) > 0 {
		e.summary(fmt.Sprintf("listings deactivated for want of stock: %d; reactivated: %d", len(lc.deactivated), len(lc.reactivated)))
	}
	if e.run.Counts.Failed > 0 && e.run.Error == nil {
		e.run.Error = &runs.RunError{Class: runs.ClassCart, Message: fmt.Sprintf(
			"The cart refused %d of %d quantities; see the run's detail for each SKU and the cart's reason.", e.run.Counts.Failed, e.run.Counts.Pushed+e.run.Counts.Failed)}
	}
	if opened && !wb.Full && len(changed) == 0 && win.Done == 0 && !changedPending {
		// Nothing was logged since the previous run: its watermark serves
		// the next run as well, so the checkpoint is not written (the
		// daily full read moves it on).
		return nil
	}
	wb.finish()
	wb.save(&cp)
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

// listingChanges are the listings a run saw deactivated and reactivated,
// once each.
type listingChanges struct {
	deactivated, reactivated []string
}

// applyPush records the cart's result for one pushed item: confirmed (and
// the listing's deactivation or reactivation noted) or a failure.
func (e *execution) applyPush(ctx context.Context, wb *writeBack, lc *listingChanges, it pushItem, res cart.StockResult) error {
	if res.Err == nil {
		if err := e.Inventory.ConfirmPushListing(ctx, e.in.AccountID, e.in.ChannelID, it.sku, it.target, res.Listing); err != nil {
			return err
		}
		wb.unpark(it.sku)
		if res.Listing == cart.ListingDeactivated && it.link.ProductID != "" {
			wb.park(it.link.ProductID, it.sku)
		}
		e.run.Counts.Pushed++
		switch id := it.link.ProductID; res.Listing {
		case cart.ListingDeactivated:
			if !it.deactivated && !slices.Contains(lc.deactivated, id) {
				lc.deactivated = append(lc.deactivated, id)
				e.detail(fmt.Sprintf("listing %s deactivated: every variation reached 0 (%s); it is reactivated when stock returns", id, it.sku))
			}
		case cart.ListingReactivated:
			if !slices.Contains(lc.reactivated, id) {
				lc.reactivated = append(lc.reactivated, id)
				e.detail(fmt.Sprintf("listing %s reactivated with stock (%s: %d)", id, it.sku, it.target))
			}
		}
		if res.Retries > 0 {
			e.detail(fmt.Sprintf("%s: the cart's quantity changed while it was pushed (a sale); re-read and pushed again %d time(s), keeping the cart's change", it.sku, res.Retries))
		}
		return nil
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
	return nil
}

// readPending asks the cart once about each pending push. Finished: its
// results are applied as an immediate push's are, and the SKUs found
// needing a push while in flight are to be examined again (recheck).
// Still processing: kept, however old, its SKUs in flight (by index in
// wb.Pending). Failed (an error: the cart gave up on it, having made sure
// it cannot apply where it can, or its outcome is unknown) or no longer a
// submitter's: dropped, every SKU to be examined again, since the change
// log will not name them again. There is no age limit here: only the cart
// knows whether a push it still processes can apply, and pushing its
// SKUs again meanwhile could be overwritten by it when it does (an Amazon
// feed in progress); the cart bounds the wait (Amazon's connector at 24
// hours). changed says wb.Pending changed. On the deadline it stops with
// errContinue, keeping the pushes not yet read.
func (e *execution) readPending(ctx context.Context, sub cart.StockSubmitter, wb *writeBack, lc *listingChanges) (inFlight map[string]int, recheck []string, changed bool, err error) {
	inFlight = map[string]int{}
	var kept []pendingPush
	for n, p := range wb.Pending {
		if ctx.Err() != nil {
			kept = append(kept, wb.Pending[n:]...)
			err = errContinue
			break
		}
		var results []cart.StockResult
		done := false
		asked := errors.New("the channel's cart no longer takes submitted pushes")
		if sub != nil {
			results, done, asked = sub.StockResults(ctx, p.Ticket)
			if asked != nil && ctx.Err() != nil && errors.Is(asked, ctx.Err()) {
				kept = append(kept, wb.Pending[n:]...)
				err = errContinue
				break
			}
		}
		if asked == nil && done && len(results) != len(p.Items) {
			asked = fmt.Errorf("the cart answered %d results for %d quantities", len(results), len(p.Items))
		}
		switch {
		case asked == nil && done:
			changed = true
			for i, res := range results {
				if err := e.applyPush(ctx, wb, lc, p.Items[i].pushItem(), res); err != nil {
					wb.Pending = append(kept, wb.Pending[n:]...)
					return nil, nil, changed, err
				}
			}
			recheck = append(recheck, p.Recheck...)
		case asked == nil:
			for _, it := range p.Items {
				inFlight[it.SKU] = len(kept)
			}
			kept = append(kept, p)
		default:
			changed = true
			why := asked.Error()
			var ce *cart.Error
			if errors.As(asked, &ce) && ce.Message != "" {
				why = ce.Message
			}
			e.detail(fmt.Sprintf("the results of %d quantities sent earlier are unknown (%s); their SKUs are examined again", len(p.Items), why))
			for _, it := range p.Items {
				recheck = append(recheck, it.SKU)
			}
		}
	}
	wb.Pending = kept
	return inFlight, recheck, changed, err
}
