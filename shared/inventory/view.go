package inventory

import "sort"

// StockView is one warehouse's quantities as the API shows them.
type StockView struct {
	WarehouseID string `json:"warehouse_id"`
	OnHand      int    `json:"on_hand"`
	Committed   int    `json:"committed"`
	Available   int    `json:"available"`
}

// ChannelView is a product's sync state on one channel.
type ChannelView struct {
	ChannelID  string `json:"channel_id"`
	NeedsSync  bool   `json:"needs_sync"`
	Suspended  bool   `json:"suspended"`
	LastPushed *int   `json:"last_pushed"`
	// Quantity is what the channel should show now.
	Quantity  int    `json:"quantity"`
	Failures  int    `json:"failures"`
	LastError string `json:"last_error,omitempty"`
	// State sums the above up: "deactivated" (the cart listing is
	// inactive because every variation reached 0; it comes back with
	// stock), "suspended", "needs_sync" or "in_sync".
	State string `json:"state"`
}

// Channel states (ChannelView.State).
const (
	StateDeactivated = "deactivated"
	StateSuspended   = "suspended"
	StateNeedsSync   = "needs_sync"
	StateInSync      = "in_sync"
)

// View is a product as the API shows it.
type View struct {
	SKU       string        `json:"sku"`
	Name      string        `json:"name"`
	Price     string        `json:"price,omitempty"`
	Images    []string      `json:"images"`
	Inventory []StockView   `json:"inventory"`
	Channels  []ChannelView `json:"channels"`
}

// ViewOf derives the API view of a product under the channels' policies.
func ViewOf(p Product, pols Policies) View {
	p.norm()
	v := View{SKU: p.SKU, Name: p.Name, Price: p.Price, Images: p.Images, Inventory: []StockView{}, Channels: []ChannelView{}}
	for wh, s := range p.Stock {
		v.Inventory = append(v.Inventory, StockView{WarehouseID: wh, OnHand: s.OnHand, Committed: s.Committed, Available: s.Available()})
	}
	sort.Slice(v.Inventory, func(i, j int) bool { return v.Inventory[i].WarehouseID < v.Inventory[j].WarehouseID })
	for ch, cs := range p.Channels {
		s := pols.For(ch).SyncState(p, ch)
		state := StateInSync
		switch {
		case cs.Deactivated:
			state = StateDeactivated
		case s.Suspended:
			state = StateSuspended
		case s.NeedsSync:
			state = StateNeedsSync
		}
		v.Channels = append(v.Channels, ChannelView{ChannelID: ch, NeedsSync: s.NeedsSync, Suspended: s.Suspended,
			LastPushed: cs.LastPushed, Quantity: s.Target, Failures: cs.Failures, LastError: cs.LastError, State: state})
	}
	sort.Slice(v.Channels, func(i, j int) bool { return v.Channels[i].ChannelID < v.Channels[j].ChannelID })
	return v
}
