package settings

import (
	"context"
	"testing"
)

// TestModalNamesEachCart: each channel's section carries the name its
// cart's driver gives it, so the Sync page lists no carts of its own.
func TestModalNamesEachCart(t *testing.T) {
	f := newFixture(t)
	modal, err := f.svc.Modal(context.Background(), "acct")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{f.shop.ID: "Shopify", f.etsy.ID: "Etsy"}
	if len(modal) != len(want) {
		t.Fatalf("%d sections, want %d", len(modal), len(want))
	}
	for _, sec := range modal {
		if sec.CartLabel != want[sec.Channel.ID] {
			t.Errorf("%s (%s): cart_label %q, want %q", sec.Channel.ID, sec.Channel.Type, sec.CartLabel, want[sec.Channel.ID])
		}
	}
}
