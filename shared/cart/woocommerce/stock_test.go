package woocommerce

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	woosim "github.com/autosync/autosync/shared/simulator/woocommerce"
)

// bodies records the body of every request it passes on.
type bodies struct {
	h    http.Handler
	mu   sync.Mutex
	seen []string
}

func (b *bodies) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	b.mu.Lock()
	b.seen = append(b.seen, r.Method+" "+r.URL.Path+" "+string(body))
	b.mu.Unlock()
	b.h.ServeHTTP(w, r)
}

// A push never switches WooCommerce's stock tracking: a product whose
// stock is not tracked, or variations sharing their parent's stock, are
// left alone with a reason; products and variations that count their own
// stock get the quantity.
func TestSetStockRespectsStockTracking(t *testing.T) {
	// POSTER-A2 and SOCKS-3PK are simple products; MUG and TEE variable.
	skus := []string{"MUG-BLUE", "MUG-RED", "TEE-S", "TEE-M", "TEE-L", "POSTER-A2", "SOCKS-3PK"}
	tests := []struct {
		name   string
		setup  map[string]string // SKU → woosim stock management
		push   map[string]int
		reason map[string]string // SKU → what its refusal says; absent: written
	}{
		{
			name:   "untracked simple product",
			setup:  map[string]string{"POSTER-A2": woosim.StockUntracked},
			push:   map[string]int{"SOCKS-3PK": 4, "POSTER-A2": 0},
			reason: map[string]string{"POSTER-A2": "does not track"},
		},
		{
			// 10 units shared by S, M and L: pushing 10 to each must not
			// make 30.
			name:   "variations sharing their parent's stock",
			setup:  map[string]string{"TEE-S": woosim.StockByParent, "TEE-M": woosim.StockByParent, "TEE-L": woosim.StockByParent},
			push:   map[string]int{"TEE-S": 10, "TEE-M": 10, "TEE-L": 10, "SOCKS-3PK": 2},
			reason: map[string]string{"TEE-S": "parent product", "TEE-M": "parent product", "TEE-L": "parent product"},
		},
		{
			name:   "one variation of its own beside parent-managed ones",
			setup:  map[string]string{"TEE-S": woosim.StockByParent, "TEE-M": woosim.StockByParent},
			push:   map[string]int{"TEE-S": 1, "TEE-L": 7},
			reason: map[string]string{"TEE-S": "parent product"},
		},
		{
			name:   "untracked variation",
			setup:  map[string]string{"MUG-RED": woosim.StockUntracked},
			push:   map[string]int{"MUG-RED": 0, "MUG-BLUE": 3},
			reason: map[string]string{"MUG-RED": "does not track"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := woosim.New(woosim.Options{ConsumerKey: testKey, ConsumerSecret: testSecret, SKUs: skus})
			for sku, mode := range tt.setup {
				if err := sim.SetStockManagement(sku, mode, 10); err != nil {
					t.Fatal(err)
				}
			}
			rec := &bodies{h: sim}
			c := newClient(t, serve(t, rec), Config{})
			before := map[string]string{}
			qty0 := sim.Quantities()
			for _, sku := range skus {
				before[sku], _, _ = sim.StockManagement(sku)
			}
			links := sim.Links()
			var ups []cart.StockUpdate
			for _, sku := range skus {
				if q, ok := tt.push[sku]; ok {
					ups = append(ups, cart.StockUpdate{SKU: sku, Link: links[sku], Quantity: q})
				}
			}
			res, err := c.SetStock(t.Context(), ups)
			if err != nil {
				t.Fatal(err)
			}
			q := sim.Quantities()
			for i, r := range res {
				sku := ups[i].SKU
				mode, _, _ := sim.StockManagement(sku)
				if mode != before[sku] {
					t.Errorf("%s: stock management switched from %s to %s", sku, before[sku], mode)
				}
				want, refused := tt.reason[sku]
				var ce *cart.Error
				switch {
				case !refused && r.Err != nil:
					t.Errorf("%s: %v", sku, r.Err)
				case !refused && q[sku] != ups[i].Quantity:
					t.Errorf("%s: confirmed, but the store sells %d, not %d", sku, q[sku], ups[i].Quantity)
				case refused && (!errors.As(r.Err, &ce) || ce.Temporary || !strings.Contains(ce.Message, want) || !strings.Contains(ce.Message, sku)):
					t.Errorf("%s: err = %v; want a permanent refusal saying %q", sku, r.Err, want)
				case refused && q[sku] != qty0[sku]:
					t.Errorf("%s: refused, yet the quantity that sells it moved from %d to %d", sku, qty0[sku], q[sku])
				}
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, s := range rec.seen {
				if strings.Contains(s, "manage_stock\"") && strings.HasPrefix(s, "POST") {
					t.Errorf("a write sets manage_stock: %s", s)
				}
				for sku := range tt.reason {
					if l := links[sku]; strings.HasPrefix(s, "POST") && strings.Contains(s, `"id":`+id(l)+`,`) {
						t.Errorf("%s was written although it is left alone: %s", sku, s)
					}
				}
			}
		})
	}
}

// id is the id a stock write addresses for a link.
func id(l cart.Link) string {
	if l.VariantID != "" {
		return l.VariantID
	}
	return l.ProductID
}

// What an import reads: a variation's share of its parent's stock is not
// a quantity of its own (10 shared by three is not 10 each), and an
// untracked product has none.
func TestListingsQuantityByStockTracking(t *testing.T) {
	sim, c := newSim(t, woosim.Options{SKUs: []string{"TEE-S", "TEE-M", "TEE-L", "MUG-BLUE", "POSTER-A2"}})
	for _, sku := range []string{"TEE-S", "TEE-M"} {
		sim.SetStockManagement(sku, woosim.StockByParent, 10)
	}
	sim.SetStockManagement("POSTER-A2", woosim.StockUntracked, 0)
	qty := sim.Quantities()
	for _, l := range carttest.Listings(t, c, cart.ListingQuery{}) {
		switch l.SKU {
		case "TEE-S", "TEE-M", "POSTER-A2":
			if l.Quantity != nil {
				t.Errorf("%s: quantity %d; want none", l.SKU, *l.Quantity)
			}
		default:
			if l.Quantity == nil || *l.Quantity != qty[l.SKU] {
				t.Errorf("%s: quantity %v; want %d", l.SKU, l.Quantity, qty[l.SKU])
			}
		}
	}
}

// confirm reads the batch answer: a store that ignored the quantity
// (tracking switched off, or handed to the parent, between the read and
// the write) says why.
func TestConfirm(t *testing.T) {
	u := cart.StockUpdate{SKU: "A-1", Quantity: 5}
	tests := []struct {
		name, answer, want string
	}{
		{"written", `{"id":7,"manage_stock":true,"stock_quantity":5}`, ""},
		{"kept", `{"id":7,"manage_stock":true,"stock_quantity":4}`, "kept the stock of SKU A-1 at 4"},
		{"untracked", `{"id":7,"manage_stock":false,"stock_quantity":null}`, "does not track"},
		{"parent", `{"id":7,"manage_stock":"parent","stock_quantity":5}`, "parent product"},
		{"item error", `{"id":7,"error":{"code":"woocommerce_rest_product_not_saved","message":"Nope.","data":{"status":500}}}`, "Nope."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := parseBatch([]byte(`{"update":[` + tt.answer + `]}`))
			if err != nil || len(items) != 1 {
				t.Fatal(items, err)
			}
			err = confirm(&items[0], u)
			if tt.want == "" {
				if err != nil {
					t.Errorf("err = %v", err)
				}
				return
			}
			var ce *cart.Error
			if !errors.As(err, &ce) || !strings.Contains(ce.Message, tt.want) {
				t.Errorf("err = %v; want %q", err, tt.want)
			}
		})
	}
}
