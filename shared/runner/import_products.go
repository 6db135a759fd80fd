package runner

import (
	"context"
	"fmt"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/runs"
)

// importProducts creates products for new SKUs and links existing ones to
// the channel; it never changes an existing product's details. The first
// pass reads every listing.
func (e *execution) importProducts(ctx context.Context, src cart.ListingSource) error {
	return e.listingPass(ctx, src, "listings", func(ctx context.Context, l cart.Listing) error {
		out, err := e.Inventory.ImportListing(ctx, e.in.AccountID, e.in.ChannelID, l)
		switch {
		case refusedListing(&e.run, l, err):
			return nil
		case err != nil:
			return fmt.Errorf("store product %s: %w", l.SKU, err)
		}
		countListing(&e.run.Counts, out)
		return nil
	})
}

// importImages stores the cart's image URLs on products linked to the channel.
func (e *execution) importImages(ctx context.Context, src cart.ListingSource) error {
	return e.listingPass(ctx, src, "images", func(ctx context.Context, l cart.Listing) error {
		if l.NotOurs {
			e.run.Counts.Skipped++ // Import Products unlinks it
			return nil
		}
		changed, err := e.Inventory.SetImages(ctx, e.in.AccountID, e.in.ChannelID, l.SKU, l.Images)
		if err != nil {
			return fmt.Errorf("store images of %s: %w", l.SKU, err)
		}
		countStored(&e.run.Counts, false, changed)
		return nil
	})
}

// listingPass is a pass over every listing of the channel (the first reads
// them all), applying apply to each.
func (e *execution) listingPass(ctx context.Context, src cart.ListingSource, phase string, apply func(context.Context, cart.Listing) error) error {
	return e.pass(ctx, []string{phase}, passOpts{fromZero: true}, func(ctx context.Context, w *runs.Window) (string, error) {
		page, err := src.Listings(ctx, cart.ListingQuery{UpdatedFrom: w.From, UpdatedTo: w.To, Cursor: w.Cursor})
		if err != nil {
			return "", err
		}
		return applyPage(e, w, page.Listings, page.Next, func(l cart.Listing) error { return apply(ctx, l) })
	})
}

func (e *execution) detail(s string) { addDetail(&e.run, s) }
