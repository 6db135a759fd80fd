package woocommercesim

import (
	"fmt"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// Stock tracking as WooCommerce models it: untracked products keep no
// quantity and ignore one written to them; variations whose parent manages
// stock show and sell the parent's quantity, and a quantity written to
// such a variation without manage_stock lands in its own unused _stock.
func TestStockManagement(t *testing.T) {
	clk := newClock()
	s, api := start(t, Options{Now: clk.Now, SKUs: []string{"MUG-BLUE", "TEE-S", "TEE-M", "TEE-L"}})
	if err := s.SetStockManagement("MUG-BLUE", StockUntracked, 0); err != nil {
		t.Fatal(err)
	}
	for _, sku := range []string{"TEE-S", "TEE-M", "TEE-L"} {
		if err := s.SetStockManagement(sku, StockByParent, 10); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetStockManagement("MUG-BLUE", StockByParent, 1); err == nil {
		t.Error("a simple product set to take its parent's stock")
	}
	links := s.Links()
	mug, tee := links["MUG-BLUE"], links["TEE-M"]

	var p productOut
	call(t, "GET", api+"/products/"+mug.ProductID, "basic", nil).json(t, &p)
	if p.ManageStock != false || p.StockQuantity != nil {
		t.Errorf("untracked product: manage_stock %v, stock_quantity %v", p.ManageStock, p.StockQuantity)
	}
	var vs []productOut
	call(t, "GET", api+"/products/"+tee.ProductID+"/variations", "basic", nil).json(t, &vs)
	for _, v := range vs {
		if v.ManageStock != "parent" || v.StockQuantity == nil || *v.StockQuantity != 10 {
			t.Errorf("variation %s: manage_stock %v, stock_quantity %v; want parent, 10", v.SKU, v.ManageStock, v.StockQuantity)
		}
	}

	type answer struct {
		Update []productOut `json:"update"`
	}
	tests := []struct {
		name       string
		path       string
		item       map[string]any
		wantManage any
		wantQty    *int
		sku        string
		wantMode   string
		wantSells  *int
	}{
		{"untracked: quantity ignored", "/products/batch", map[string]any{"id": mustInt(mug.ProductID), "stock_quantity": 0},
			false, nil, "MUG-BLUE", StockUntracked, nil},
		{"by parent: quantity kept aside", "/products/" + tee.ProductID + "/variations/batch", map[string]any{"id": mustInt(tee.VariantID), "stock_quantity": 3},
			"parent", ptr(10), "TEE-M", StockByParent, ptr(10)},
		// What forcing manage_stock does: the variation leaves the
		// parent's pool with a stock of its own.
		{"by parent, manage_stock true", "/products/" + tee.ProductID + "/variations/batch", map[string]any{"id": mustInt(tee.VariantID), "stock_quantity": 4, "manage_stock": true},
			true, ptr(4), "TEE-M", StockManaged, ptr(4)},
		{"untracked, manage_stock true", "/products/batch", map[string]any{"id": mustInt(mug.ProductID), "stock_quantity": 0, "manage_stock": true},
			true, ptr(0), "MUG-BLUE", StockManaged, ptr(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, "POST", api+tt.path, "basic", map[string]any{"update": []any{tt.item}})
			var a answer
			r.json(t, &a)
			if len(a.Update) != 1 || a.Update[0].Error != nil {
				t.Fatalf("%d %s", r.status, r.body)
			}
			u := a.Update[0]
			if u.ManageStock != tt.wantManage || fmt.Sprint(deref(u.StockQuantity)) != fmt.Sprint(deref(tt.wantQty)) {
				t.Errorf("answer manage_stock %v, stock_quantity %v; want %v, %v", u.ManageStock, deref(u.StockQuantity), tt.wantManage, deref(tt.wantQty))
			}
			mode, qty, _ := s.StockManagement(tt.sku)
			if mode != tt.wantMode || fmt.Sprint(deref(qty)) != fmt.Sprint(deref(tt.wantSells)) {
				t.Errorf("%s: %s selling %v; want %s selling %v", tt.sku, mode, deref(qty), tt.wantMode, deref(tt.wantSells))
			}
		})
	}

	// Sales reduce the quantity that sells the SKU: the parent's for the
	// variations sharing it, none for an untracked product.
	s2, _ := start(t, Options{Now: clk.Now, SKUs: []string{"CAP-BLACK", "TEE-S", "TEE-M"}})
	s2.SetStockManagement("CAP-BLACK", StockUntracked, 0)
	s2.SetStockManagement("TEE-S", StockByParent, 10)
	s2.SetStockManagement("TEE-M", StockByParent, 10)
	clk.Add(time.Minute)
	s2.CreateOrder([]cart.Line{{SKU: "TEE-S", Quantity: 2}, {SKU: "CAP-BLACK", Quantity: 1}})
	q := s2.Quantities()
	if q["TEE-S"] != 8 || q["TEE-M"] != 8 {
		t.Errorf("after selling 2 TEE-S: TEE-S %d, TEE-M %d; want the shared 8", q["TEE-S"], q["TEE-M"])
	}
	if _, ok := q["CAP-BLACK"]; ok {
		t.Errorf("an untracked product has a quantity: %d", q["CAP-BLACK"])
	}
}

func ptr(n int) *int { return &n }

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
