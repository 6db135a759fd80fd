package runner

import (
	"context"
	"errors"
	"fmt"

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
func (e *execution) importFBAInventory(ctx context.Context, ch channels.Channel, src cart.FBAInventorySource) error {
	wh := FBAWarehouse(ch.ID)
	if err := e.Inventory.EnsureWarehouse(ctx, e.in.AccountID, inventory.Warehouse{
		ID: wh, Name: "Amazon FBA (" + ch.Name + ")", Kind: inventory.KindFBA, ChannelID: ch.ID}); err != nil {
		return err
	}
	return e.pass(ctx, []string{"fba_inventory"}, true, func(ctx context.Context, w *runs.Window) (string, error) {
		page, err := src.FBAInventory(ctx, w.Cursor)
		if err != nil {
			return "", err
		}
		return applyPage(e, w, page.Items, page.Next, func(it cart.FBAStock) error {
			if !inventory.ValidSKU(it.SKU) {
				e.run.Counts.Failed++
				e.detail(fmt.Sprintf("FBA item without a usable SKU (%q)", it.SKU))
				return nil
			}
			created, changed := false, false
			_, err := e.Inventory.Update(ctx, e.in.AccountID, it.SKU, true, func(p *inventory.Product) error {
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
			countStored(&e.run.Counts, created, changed)
			return nil
		})
	})
}

// importFBAOrders imports Amazon-fulfilled orders shipped in the window (the
// first pass looks back 30 days) as shipped, tagged FBA; they commit no stock.
func (e *execution) importFBAOrders(ctx context.Context, src cart.FBAOrderSource) error {
	return e.pass(ctx, []string{"fba_orders"}, false, func(ctx context.Context, w *runs.Window) (string, error) {
		page, err := src.FBAOrders(ctx, cart.OrderQuery{UpdatedFrom: w.From, UpdatedTo: w.To, Cursor: w.Cursor})
		if err != nil {
			return "", err
		}
		return applyPage(e, w, page.Orders, page.Next, func(o cart.Order) error {
			o.Filter = cart.Shipped
			o.Tags = append(o.Tags, "FBA")
			ch, err := e.Orders.Upsert(ctx, e.in.AccountID, e.in.ChannelID, o)
			if err != nil {
				return fmt.Errorf("store FBA order %s: %w", o.ExternalID, err)
			}
			countOrder(&e.run.Counts, ch.Outcome)
			return nil
		})
	})
}
