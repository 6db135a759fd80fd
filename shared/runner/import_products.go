package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
)

// importProducts creates products for new SKUs and links existing ones to
// the channel; it never changes an existing product's details. The first
// pass reads every listing.
func (e *execution) importProducts(ctx context.Context, src cart.ListingSource) error {
	return e.pass(ctx, []string{"listings"}, true, func(ctx context.Context, w *runs.Window) (string, error) {
		page, err := src.Listings(ctx, cart.ListingQuery{UpdatedFrom: w.From, UpdatedTo: w.To, Cursor: w.Cursor})
		if err != nil {
			return "", err
		}
		for _, l := range page.Listings {
			e.run.Counts.Fetched++
			out, err := e.Inventory.ImportListing(ctx, e.in.AccountID, e.in.ChannelID, l)
			switch {
			case errors.Is(err, inventory.ErrInvalid):
				// A listing without a usable SKU cannot be synced; say which.
				e.run.Counts.Failed++
				e.detail(fmt.Sprintf("listing %s: no usable SKU (%q)", l.Link.ProductID, l.SKU))
				continue
			case err != nil:
				e.run.Counts.Failed++ // the run fails here: the record still counts
				return "", fmt.Errorf("store product %s: %w", l.SKU, err)
			}
			switch out {
			case inventory.Created:
				e.run.Counts.Created++
			case inventory.Linked:
				e.run.Counts.Updated++
			default:
				e.run.Counts.Unchanged++
			}
		}
		w.Done += len(page.Listings)
		return page.Next, nil
	})
}

// importImages stores the cart's image URLs on products linked to the channel.
func (e *execution) importImages(ctx context.Context, src cart.ListingSource) error {
	return e.pass(ctx, []string{"images"}, true, func(ctx context.Context, w *runs.Window) (string, error) {
		page, err := src.Listings(ctx, cart.ListingQuery{UpdatedFrom: w.From, UpdatedTo: w.To, Cursor: w.Cursor})
		if err != nil {
			return "", err
		}
		for _, l := range page.Listings {
			e.run.Counts.Fetched++
			changed, err := e.Inventory.SetImages(ctx, e.in.AccountID, e.in.ChannelID, l.SKU, l.Images)
			if err != nil {
				e.run.Counts.Failed++ // the run fails here: the record still counts
				return "", fmt.Errorf("store images of %s: %w", l.SKU, err)
			}
			if changed {
				e.run.Counts.Updated++
			} else {
				e.run.Counts.Unchanged++
			}
		}
		w.Done += len(page.Listings)
		return page.Next, nil
	})
}

// maxDetail bounds the support detail kept on a run.
const maxDetail = 50

func (e *execution) detail(s string) {
	if len(e.run.Detail) < maxDetail {
		e.run.Detail = append(e.run.Detail, s)
	}
}
