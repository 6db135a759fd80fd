package runner

import (
	"context"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
)

// A listing linked while merchant-fulfilled and later converted to FBA is
// reported by the connector as not ours (NotOurs): Import Products unlinks
// it, so write-back no longer sends it a merchant-fulfilled quantity, which
// Amazon would add beside the FBA offer. A listing not ours that no product
// is linked through creates nothing.
func TestImportProductsUnlinksListingConvertedToFBA(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	f.useAmazon(t, catalog.ImportProducts, catalog.WriteInventory)
	f.shelf.add("A", 5)
	f.shelf.add("B", 3)
	f.runTask(t, catalog.ImportProducts)

	// The seller converts A to FBA; FBA-NEW was FBA from the start.
	f.shelf.add("FBA-NEW", 0)
	f.shelf.mu.Lock()
	for i := range f.shelf.listings {
		if l := &f.shelf.listings[i]; l.SKU == "A" || l.SKU == "FBA-NEW" {
			l.NotOurs, l.Quantity = true, nil
		}
	}
	f.shelf.mu.Unlock()
	run := f.runTask(t, catalog.ImportProducts)
	if run.Status != runs.Succeeded || run.Counts.Fetched != 3 || run.Counts.Updated != 1 || run.Counts.Unchanged != 1 || run.Counts.Skipped != 1 {
		t.Fatalf("import %+v; want A unlinked (updated), B unchanged, FBA-NEW skipped", run.Counts)
	}
	if p, _, _ := f.inv.Get(ctx, "acct", "A"); len(p.Channels) != 0 {
		t.Errorf("A is still linked: %+v", p.Channels)
	}
	if _, _, err := f.inv.Get(ctx, "acct", "FBA-NEW"); err == nil {
		t.Errorf("a listing Amazon fulfils created a product")
	}

	for _, sku := range []string{"A", "B"} {
		if _, err := f.inv.SetOnHand(ctx, "acct", sku, inventory.DefaultWarehouse, 9); err != nil {
			t.Fatal(err)
		}
	}
	f.runTask(t, catalog.WriteInventory)
	if q := f.shelf.quantity("A"); q != 5 {
		t.Errorf("write-back sent %d to A, a listing Amazon now fulfils", q)
	}
	if q := f.shelf.quantity("B"); q != 9 {
		t.Errorf("B, still merchant-fulfilled, shows %d; want 9 written back", q)
	}
}

// Import Product Images leaves a listing not ours alone.
func TestImportImagesSkipsListingNotOurs(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	f.shelf.add("A", 5)
	f.runTask(t, catalog.ImportProducts)
	f.shelf.mu.Lock()
	f.shelf.listings[0].NotOurs, f.shelf.listings[0].Images = true, []string{"https://img.example/a.jpg"}
	f.shelf.mu.Unlock()
	run := f.runTask(t, catalog.ImportProductImages)
	if run.Status != runs.Succeeded || run.Counts.Skipped != 1 {
		t.Fatalf("images %+v; want A skipped", run)
	}
	if p, _, _ := f.inv.Get(ctx, "acct", "A"); len(p.Images) != 0 {
		t.Errorf("images of a listing not ours stored: %v", p.Images)
	}
}
