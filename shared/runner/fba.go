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
	opts := passOpts{fromZero: true, fullEvery: fbaFullEvery}
	if e.run.Trigger == runs.Manual {
		// A merchant who presses Sync once expects the warehouse to match
		// Amazon afterwards, whatever the change feed says.
		opts.fullEvery = time.Nanosecond
	}
	return e.pass(ctx, []string{"fba_inventory"}, opts, func(ctx context.Context, w *runs.Window) (string, error) {
		full := w.From.IsZero()
		page, err := src.FBAInventory(ctx, w.From, w.Cursor)
		if err != nil {
			return "", err
		}
		if full && stored == nil && len(page.Items) > 0 {
			if stored, err = e.fbaStock(ctx, wh); err != nil {
				return "", err
			}
		}
		return applyPage(e, w, page.Items, page.Next, func(it cart.FBAStock) error {
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
	})
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
