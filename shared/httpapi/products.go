package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/input"
	"github.com/autosync/autosync/shared/inventory"
)

func (a *API) listProducts(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := checkQuery(r, "filter", "channel_id", "limit", "cursor"); err != nil {
		return err
	}
	limit, cursor, err := pageParams(r, 50, 200, "PROD#")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := inventory.ListFilter{ChannelID: q.Get("channel_id"), Limit: limit, Cursor: cursor}
	switch q.Get("filter") {
	case "":
	case "needs_sync":
		f.NeedsSync = true
	case "sync_suspended":
		f.SyncSuspended = true
	default:
		return invalid("filter must be needs_sync or sync_suspended.")
	}
	if err := queryKeys(q, "channel_id"); err != nil {
		return err
	}
	pols, err := a.Inventory.Policies(r.Context(), p.AccountID)
	if err != nil {
		return err
	}
	list, next, err := a.Inventory.List(r.Context(), p.AccountID, f, pols)
	if err != nil {
		return err
	}
	views := make([]inventory.View, len(list))
	for i, prod := range list {
		views[i] = inventory.ViewOf(prod, pols)
	}
	writePage(w, "products", views, next)
	return nil
}

func (a *API) putInventory(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		WarehouseID string `json:"warehouse_id"`
		OnHand      *int   `json:"on_hand"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sku := r.PathValue("sku")
	if !inventory.ValidSKU(sku) {
		return notFound("Product")
	}
	if req.WarehouseID == "" {
		req.WarehouseID = inventory.DefaultWarehouse
	}
	if err := input.Key(req.WarehouseID); err != nil {
		return invalid("The stock was not changed.", problem("warehouse_id", err))
	}
	var problems []any
	if req.OnHand == nil || *req.OnHand < 0 || *req.OnHand > 1_000_000_000 {
		problems = append(problems, map[string]string{"field": "on_hand", "message": "on_hand must be a whole number from 0 to 1000000000."})
	}
	ok, err := a.Inventory.HasWarehouse(r.Context(), p.AccountID, req.WarehouseID)
	if err != nil {
		return err
	}
	if !ok {
		problems = append(problems, map[string]string{"field": "warehouse_id", "message": "No such warehouse."})
	}
	if len(problems) > 0 {
		return invalid("The stock was not changed.", problems...)
	}
	prod, err := a.Inventory.SetOnHand(r.Context(), p.AccountID, sku, req.WarehouseID, *req.OnHand)
	if errors.Is(err, inventory.ErrNotFound) {
		return notFound("Product")
	}
	if err != nil {
		return err
	}
	pols, err := a.Inventory.Policies(r.Context(), p.AccountID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inventory.ViewOf(prod, pols))
	return nil
}

// putInventoryPolicy is support's route for a channel's warehouses, reserve
// (safety buffer), maximum export quantity and zero-stock choice
// ("deactivate", the default, or "suspend").
func (a *API) putInventoryPolicy(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var req struct {
		Warehouses []string `json:"warehouses"`
		Reserve    int      `json:"reserve"`
		MaxExport  *int     `json:"max_export"`
		ZeroStock  string   `json:"zero_stock"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	account, channel, err := pathAccountChannel(r)
	if err != nil {
		return err
	}
	if _, err := a.Channels.Get(r.Context(), account, channel); err != nil {
		return err
	}
	if len(req.Warehouses) == 0 {
		req.Warehouses = []string{inventory.DefaultWarehouse}
	}
	if len(req.Warehouses) > 20 {
		return invalid("A channel takes stock from 1 to 20 warehouses.", map[string]string{"field": "warehouses", "message": "At most 20 warehouses."})
	}
	var problems []any
	for i, wh := range req.Warehouses {
		if err := input.Key(wh); err != nil {
			problems = append(problems, indexedProblem("warehouses", i, err))
		}
	}
	if len(problems) > 0 {
		return invalid("The policy was not changed.", problems...)
	}
	pol := inventory.Policy{Warehouses: req.Warehouses, Reserve: req.Reserve, MaxExport: req.MaxExport, ZeroStock: req.ZeroStock}
	if pol.ZeroStock == "" {
		pol.ZeroStock = inventory.ZeroStockDeactivate
	}
	if err := a.Inventory.SetPolicy(r.Context(), account, channel, pol); errors.Is(err, inventory.ErrInvalid) {
		return invalid(strings.TrimPrefix(err.Error(), "invalid: ") + ".")
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pol)
	return nil
}

func (a *API) putOrderStatuses(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var req struct {
		Statuses *[]string `json:"statuses"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	account, channel, err := pathAccountChannel(r)
	if err != nil {
		return err
	}
	ch, err := a.Channels.Get(r.Context(), account, channel)
	if err != nil {
		return err
	}
	if req.Statuses == nil {
		return invalid(`Send {"statuses":[...]}; an empty list restores the cart's default.`)
	}
	valid := a.Connectors.OrderStatuses(ch.Type)
	var problems []any
	seen := map[string]bool{}
	for i, s := range *req.Statuses {
		switch err := input.Key(s); {
		case err != nil:
			problems = append(problems, indexedProblem("statuses", i, err))
		case !valid[s] || seen[s]:
			problems = append(problems, map[string]any{"index": i, "field": "statuses", "message": fmt.Sprintf("%q is not a %s order status (or is repeated).", s, ch.Type)})
		}
		seen[s] = true
	}
	if len(*req.Statuses) > 30 {
		problems = append(problems, map[string]any{"field": "statuses", "message": "At most 30 statuses."})
	}
	if len(problems) > 0 {
		return invalid("The statuses were not changed.", problems...)
	}
	if ch, err = a.Channels.SetOrderStatuses(r.Context(), account, channel, *req.Statuses); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"statuses": ch.OrderStatuses, "default": len(ch.OrderStatuses) == 0})
	return nil
}
