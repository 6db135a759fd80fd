package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/inventory"
)

type productJSON struct {
	SKU       string
	Inventory []struct {
		WarehouseID string `json:"warehouse_id"`
		OnHand      int    `json:"on_hand"`
		Committed   int
		Available   int
	}
	Channels []struct {
		ChannelID  string `json:"channel_id"`
		NeedsSync  bool   `json:"needs_sync"`
		Suspended  bool
		LastPushed *int `json:"last_pushed"`
		State      string
	}
}

func TestProductsInventoryAndPolicies(t *testing.T) {
	e := newEnv(t)
	ch := e.newChannel(acctA, "S")
	ctx := context.Background()
	five := 5
	for _, sku := range []string{"A-1", "A-2", "A-3"} {
		if _, err := e.app.Inventory.ImportListing(ctx, acctA, ch, cart.Listing{SKU: sku, Name: sku, Quantity: &five}); err != nil {
			t.Fatal(err)
		}
	}
	var list struct {
		Products   []productJSON
		NextCursor *string `json:"next_cursor"`
	}
	e.call("GET", "/v1/products?filter=needs_sync", e.merchant(acctA), nil, http.StatusOK, &list)
	if len(list.Products) != 0 {
		t.Fatalf("freshly imported products need sync: %+v", list.Products)
	}
	var p productJSON
	e.call("PUT", "/v1/products/A-2/inventory", e.merchant(acctA), map[string]any{"warehouse_id": "wh_default", "on_hand": 9}, http.StatusOK, &p)
	if p.SKU != "A-2" || p.Inventory[0].OnHand != 9 || p.Inventory[0].Available != 9 || !p.Channels[0].NeedsSync {
		t.Fatalf("after the stock change %+v", p)
	}
	e.call("GET", "/v1/products?filter=needs_sync&channel_id="+ch, e.merchant(acctA), nil, http.StatusOK, &list)
	if len(list.Products) != 1 || list.Products[0].SKU != "A-2" {
		t.Fatalf("needs_sync %+v", list.Products)
	}
	// Paging visits every product once.
	seen := map[string]bool{}
	path := "/v1/products?limit=2"
	for {
		e.call("GET", path, e.merchant(acctA), nil, http.StatusOK, &list)
		for _, p := range list.Products {
			if seen[p.SKU] {
				t.Fatalf("%s twice", p.SKU)
			}
			seen[p.SKU] = true
		}
		if list.NextCursor == nil {
			break
		}
		path = "/v1/products?limit=2&cursor=" + *list.NextCursor
	}
	if len(seen) != 3 {
		t.Fatalf("paged %d products", len(seen))
	}
	var whs struct{ Warehouses []inventory.Warehouse }
	e.call("GET", "/v1/warehouses", e.merchant(acctA), nil, http.StatusOK, &whs)
	if len(whs.Warehouses) != 1 || whs.Warehouses[0].ID != inventory.DefaultWarehouse {
		t.Fatalf("warehouses %+v", whs)
	}

	// Support: reserve and cap; then order statuses validated against the cart.
	policy := "/v1/admin/accounts/" + acctA + "/channels/" + ch + "/inventory-policy"
	var pol inventory.Policy
	e.call("PUT", policy, e.admin(), map[string]any{"warehouses": []string{"wh_default"}, "reserve": 2, "max_export": 4}, http.StatusOK, &pol)
	if pol.ZeroStock != inventory.ZeroStockDeactivate {
		t.Errorf("policy %+v; want zero_stock deactivate by default", pol)
	}
	e.call("PUT", policy, e.admin(), map[string]any{"warehouses": []string{"wh_default"}, "reserve": 2, "max_export": 4, "zero_stock": "suspend"}, http.StatusOK, &pol)
	if got, _ := e.app.Inventory.Policy(ctx, acctA, ch); got.ZeroStock != inventory.ZeroStockSuspend || pol.ZeroStock != inventory.ZeroStockSuspend {
		t.Errorf("zero_stock %q stored, %q answered", got.ZeroStock, pol.ZeroStock)
	}
	e.call("GET", "/v1/products?filter=needs_sync&channel_id="+ch, e.merchant(acctA), nil, http.StatusOK, &list)
	if len(list.Products) != 3 {
		t.Fatalf("a new reserve puts every product in Needs Sync: %d", len(list.Products))
	}
	statuses := "/v1/admin/accounts/" + acctA + "/channels/" + ch + "/order-statuses"
	e.call("PUT", statuses, e.admin(), map[string]any{"statuses": []string{"financial_status:paid", "fulfillment_status:unshipped"}}, http.StatusOK, nil)
	got, _ := e.app.Channels.OrderStatuses(ctx, acctA, ch)
	if strings.Join(got, ",") != "financial_status:paid,fulfillment_status:unshipped" {
		t.Fatalf("statuses %v", got)
	}

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"negative stock", "PUT", "/v1/products/A-1/inventory", `{"warehouse_id":"wh_default","on_hand":-1}`, 422},
		{"no stock", "PUT", "/v1/products/A-1/inventory", `{"warehouse_id":"wh_default"}`, 422},
		{"unknown warehouse", "PUT", "/v1/products/A-1/inventory", `{"warehouse_id":"wh_x","on_hand":1}`, 422},
		{"unknown product", "PUT", "/v1/products/NOPE/inventory", `{"on_hand":1}`, 404},
		{"stock as string", "PUT", "/v1/products/A-1/inventory", `{"on_hand":"1"}`, 400},
		{"bad filter", "GET", "/v1/products?filter=all", "", 422},
		{"bad cursor", "GET", "/v1/products?cursor=" + "Uk9OR0tFWQ", "", 422},
		{"unknown status", "PUT", statuses, `{"statuses":["status:lost"]}`, 422},
		{"statuses missing", "PUT", statuses, `{}`, 422},
		{"policy unknown warehouse", "PUT", policy, `{"warehouses":["nope"]}`, 422},
		{"policy negative reserve", "PUT", policy, `{"reserve":-3}`, 422},
		{"policy garbage", "PUT", policy, `[1,2]`, 400},
		{"policy unknown zero_stock", "PUT", policy, `{"zero_stock":"hide"}`, 422},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot(acctA)
			tok := e.merchant(acctA)
			if strings.Contains(tc.path, "/admin/") {
				tok = e.admin()
			}
			var body any
			if tc.body != "" {
				body = tc.body
			}
			rec := e.call(tc.method, tc.path, tok, body, tc.status, nil)
			checkErr(t, rec, tc.status, "")
			e.assertUnchanged(before, acctA, tc.name)
		})
	}
	p2, _, _ := e.app.Inventory.Get(ctx, acctA, "A-1")
	if p2.Stock[inventory.DefaultWarehouse].OnHand != 5 {
		t.Fatalf("a refused stock change changed A-1: %+v", p2.Stock)
	}

	// A SKU whose cart listing write-back deactivated shows it.
	if err := e.app.Inventory.ConfirmPushListing(ctx, acctA, ch, "A-1", 0, cart.ListingDeactivated); err != nil {
		t.Fatal(err)
	}
	e.call("GET", "/v1/products?channel_id="+ch, e.merchant(acctA), nil, http.StatusOK, &list)
	states := map[string]string{}
	for _, p := range list.Products {
		states[p.SKU] = p.Channels[0].State
	}
	if states["A-1"] != inventory.StateDeactivated || states["A-2"] == inventory.StateDeactivated {
		t.Errorf("channel states %v", states)
	}
}
