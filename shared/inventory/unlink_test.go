package inventory

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/store/boltstore"
)

// A listing the cart fulfils itself (NotOurs) unlinks the product from that
// channel alone, keeping its stock and details and logging the change so
// write-back looks at it; one no product is linked through stores nothing.
func TestImportListingNotOursUnlinks(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := &Repo{Store: st, Now: time.Now}
	ctx := context.Background()
	mfn := cart.Listing{SKU: "A", Name: "Mug", Quantity: intp(5), Link: cart.Link{ProductID: "B0A"}}
	for _, ch := range []string{"amazon", "shop"} {
		if _, err := r.ImportListing(ctx, "a", ch, mfn); err != nil {
			t.Fatal(err)
		}
	}
	since := time.Now().Add(-time.Second)
	fba := cart.Listing{SKU: "A", Link: cart.Link{ProductID: "B0A"}, NotOurs: true}
	tests := []struct {
		name    string
		channel string
		l       cart.Listing
		want    Outcome
	}{
		{"linked", "amazon", fba, Unlinked},
		{"again", "amazon", fba, Skipped},
		{"never linked", "amazon", cart.Listing{SKU: "FBA-ONLY", Quantity: intp(3), NotOurs: true}, Skipped},
	}
	for _, tc := range tests {
		out, err := r.ImportListing(ctx, "a", tc.channel, tc.l)
		if err != nil || out != tc.want {
			t.Errorf("%s: %v %v, want %v", tc.name, out, err, tc.want)
		}
	}
	p, _, _ := r.Get(ctx, "a", "A")
	if _, ok := p.Channels["amazon"]; ok {
		t.Errorf("A still linked to amazon: %+v", p.Channels)
	}
	if _, ok := p.Channels["shop"]; !ok || p.Name != "Mug" || p.Stock[DefaultWarehouse].OnHand != 5 {
		t.Errorf("unlinking changed more than the one link: %+v", p)
	}
	if _, _, err := r.Get(ctx, "a", "FBA-ONLY"); err != ErrNotFound {
		t.Errorf("a listing not ours created a product: %v", err)
	}
	skus, err := r.ChangedSince(ctx, "a", since)
	if err != nil || len(skus) != 1 || skus[0] != "A" {
		t.Errorf("changes since the unlink %v %v, want [A]", skus, err)
	}
}
