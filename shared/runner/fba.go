package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
)

// FBAWarehouse is the id of a channel's "Amazon FBA" warehouse.
func FBAWarehouse(channel string) string { return "fba_" + channel }

// importFBAInventory sets the channel's Amazon FBA warehouse (created on
// first use) to Amazon's fulfillable quantities. That warehouse feeds no
// channel's write-back: FBA stock is Amazon's to sell.
//
// A run asks Amazon only for the SKUs whose inventory changed since its
// window's start (the last run's start less the overlap): an idle run is
// one request that finds nothing, and writes nothing. The first run, and
// one a day after (fbaFullEvery), and a manual run go over everything and set
// every SKU to Amazon's quantity, catching what the change feed missed: a
// change Amazon did not date, a quantity of the warehouse altered here.
func (e *execution) importFBAInventory(ctx context.Context, ch channels.Channel, src cart.FBAInventorySource) error {
	wh := FBAWarehouse(ch.ID)
	if err := e.Inventory.EnsureWarehouse(ctx, e.in.AccountID, inventory.Warehouse{
		ID: wh, Name: "Amazon FBA (" + ch.Name + ")", Kind: inventory.KindFBA, ChannelID: ch.ID}); err != nil {
		return err
	}
	// stored is, in a pass over everything, the warehouse's quantity per
	// SKU as this invocation found it, read once with the catalog (a few
	// pages) rather than one read per SKU; a SKU Amazon reports at that
	// quantity needs no read or write. Only this task writes the
	// warehouse, one run at a time, and the read is consistent, so the
	// copy is what the store holds but for the writes this invocation
	// makes, which it records. A pass over changes reads only the SKUs
	// Amazon reports, each on its own: fewer than the catalog's pages.
	var stored map[string]int
	// seen are the SKUs Amazon listed in a pass over everything that
	// began in this invocation; at its end the SKUs it did not list (no
	// longer at FBA: removed, deleted) are set to 0. A pass continued from
	// another invocation does not know what that one saw, and leaves them
	// to the next day's pass.
	var seen map[string]bool
	opts := passOpts{fromZero: true, fullEvery: fbaFullEvery}
	if e.run.Trigger == runs.Manual {
		// A merchant who presses Sync once expects the warehouse to match
		// Amazon afterwards, whatever the change feed says.
		opts.fullEvery = time.Nanosecond
	}
	return e.pass(ctx, []string{"fba_inventory"}, opts, func(ctx context.Context, w *runs.Window) (string, error) {
		full := w.From.IsZero()
		if full && w.Cursor == "" && w.Done == 0 {
			seen = map[string]bool{}
		}
		page, err := src.FBAInventory(ctx, w.From, w.Cursor)
		if err != nil {
			return "", err
		}
		if full && stored == nil && (len(page.Items) > 0 || (seen != nil && page.Next == "")) {
			if stored, err = e.fbaStock(ctx, wh); err != nil {
				return "", err
			}
		}
		next, err := applyPage(e, w, page.Items, page.Next, func(it cart.FBAStock) error {
			if full && seen != nil {
				seen[it.SKU] = true
			}
			if !inventory.ValidSKU(it.SKU) {
				e.run.Counts.Failed++
				e.detail(fmt.Sprintf("FBA item without a usable SKU (%q)", it.SKU))
				return nil
			}
			if q, ok := stored[it.SKU]; ok && q == max(it.Fulfillable, 0) {
				e.run.Counts.Unchanged++
				return nil
			}
			created, changed := false, false
			// Quiet: FBA stock feeds no channel's write-back, so the
			// change is not logged for it.
			_, err := e.Inventory.UpdateQuiet(ctx, e.in.AccountID, it.SKU, true, func(p *inventory.Product) error {
				created = len(p.Stock) == 0 && len(p.Channels) == 0
				s, had := p.Stock[wh]
				changed = !had || s.OnHand != max(it.Fulfillable, 0)
				if !changed && !created {
					return inventory.ErrUnchanged // Amazon's quantity as stored: no write
				}
				s.OnHand = max(it.Fulfillable, 0)
				p.Stock[wh] = s
				return nil
			})
			if errors.Is(err, inventory.ErrUnchanged) {
				created, changed, err = false, false, nil
			}
			if err != nil {
				return fmt.Errorf("store FBA stock of %s: %w", it.SKU, err)
			}
			if stored != nil {
				stored[it.SKU] = max(it.Fulfillable, 0)
			}
			countStored(&e.run.Counts, created, changed)
			return nil
		})
		if err == nil && next == "" && full && seen != nil {
			err = e.clearUnlisted(ctx, wh, stored, seen)
		}
		return next, err
	})
}

// clearUnlisted sets to 0 the FBA stock of the SKUs a whole pass over
// Amazon's inventory did not list: Amazon holds none of them any more.
// They are no fetched records, so the run's detail says how many.
func (e *execution) clearUnlisted(ctx context.Context, wh string, stored map[string]int, seen map[string]bool) error {
	cleared := 0
	for sku, q := range stored {
		if seen[sku] || q == 0 {
			continue
		}
		_, err := e.Inventory.UpdateQuiet(ctx, e.in.AccountID, sku, false, func(p *inventory.Product) error {
			s := p.Stock[wh]
			if s.OnHand == 0 {
				return inventory.ErrUnchanged
			}
			s.OnHand = 0
			p.Stock[wh] = s
			return nil
		})
		switch {
		case errors.Is(err, inventory.ErrUnchanged), errors.Is(err, inventory.ErrNotFound):
			continue
		case err != nil:
			return fmt.Errorf("clear FBA stock of %s, no longer listed by Amazon: %w", sku, err)
		}
		stored[sku] = 0
		cleared++
	}
	if cleared > 0 {
		e.detail(fmt.Sprintf("%d SKUs no longer in Amazon's FBA inventory set to 0 at FBA", cleared))
	}
	return nil
}

// fbaFullEvery is how often an FBA inventory import goes over everything
// rather than only what Amazon reports changed.
const fbaFullEvery = 24 * time.Hour

// fbaStock reads the on-hand quantity of warehouse wh of every product
// that has it, with one consistent pass over the catalog.
func (e *execution) fbaStock(ctx context.Context, wh string) (map[string]int, error) {
	out := map[string]int{}
	err := e.Inventory.Scan(ctx, e.in.AccountID, "", func(v inventory.Versioned) (bool, error) {
		if s, ok := v.Product.Stock[wh]; ok {
			out[v.Product.SKU] = s.OnHand
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read stored FBA stock: %w", err)
	}
	return out, nil
}

// importFBAOrders imports Amazon-fulfilled orders shipped in the window (the
// first pass looks back 30 days) as shipped, tagged FBA; they commit no stock.
func (e *execution) importFBAOrders(ctx context.Context, src cart.FBAOrderSource) error {
	return e.pass(ctx, []string{"fba_orders"}, passOpts{}, func(ctx context.Context, w *runs.Window) (string, error) {
		page, err := src.FBAOrders(ctx, cart.OrderQuery{UpdatedFrom: w.From, UpdatedTo: w.To, Cursor: w.Cursor})
		if err != nil {
			return "", err
		}
		return applyPage(e, w, page.Orders, page.Next, func(o cart.Order) error {
			o.Filter = cart.Shipped
			o.Tags = append(o.Tags, "FBA")
			return e.storeOrder(ctx, e.Orders.Upsert, o)
		})
	})
}
