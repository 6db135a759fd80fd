package amazon

import (
	"encoding/json"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/amazon/amazontest"
)

// A Multi-Channel Fulfillment order (placed on another sales channel, such
// as the seller's Shopify store, and fulfilled by Amazon) comes back from
// searchOrders with salesChannel.channelName NON_AMAZON. Imported, it would
// duplicate the other channel's sale as an Amazon one, so both the FBA and
// the merchant-fulfilled imports leave it out. Built from Amazon's own
// searchOrders example: its first order as published (AMAZON) stays, the
// same order renamed and marked NON_AMAZON goes.
func TestParseSearchOrdersLeavesOutMultiChannelFulfillment(t *testing.T) {
	ex := amazontest.Examples(t, amazontest.Orders, ordersPath, "GET")[0]
	var page map[string]any
	if err := json.Unmarshal(ex.Body, &page); err != nil {
		t.Fatal(err)
	}
	published, _ := page["orders"].([]any)
	if len(published) == 0 {
		t.Fatalf("%s: no orders", ex.Source)
	}
	own, _ := published[0].(map[string]any)
	if got := str(at(own, "salesChannel", "channelName")); got != "AMAZON" {
		t.Fatalf("%s: first order's channel %q; the test expects Amazon's example to be an AMAZON sale", ex.Source, got)
	}
	mcf := map[string]any{}
	for k, v := range own {
		mcf[k] = v
	}
	mcf["orderId"] = "S01-1234567-1234567"
	mcf["salesChannel"] = map[string]any{"channelName": "NON_AMAZON", "marketplaceId": str(at(own, "salesChannel", "marketplaceId"))}
	mcf["fulfillment"] = map[string]any{"fulfillmentStatus": "SHIPPED", "fulfilledBy": "AMAZON"}
	page["orders"] = []any{own, mcf}
	body, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, def := range []cart.Filter{cart.Shipped, cart.AwaitingFulfillment} {
		p, err := parseSearchOrders(body, def)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range p.orders {
			ids = append(ids, o.ExternalID)
		}
		if want := str(own["orderId"]); len(ids) != 1 || ids[0] != want {
			t.Errorf("filter %v: orders %v, want only %s (the NON_AMAZON order left out)", def, ids, want)
		}
	}
}
