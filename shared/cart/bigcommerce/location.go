package bigcommerce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/autosync/autosync/shared/cart"
)

// Stock at a location other than the default.
//
// The Catalog API's inventory_level is the stock at the store's default
// location only (the published catalog documents say so of every
// inventory_level). SetStock writes at the client's location; when that is
// another one, Listings and ProductListings read the quantities there from
// the Inventory API (GET /v3/inventory/locations/{location_id}/items), so
// what is imported, and what write-back compares against, is the stock
// write-back sets. At the default location the catalog's figure is that
// stock already and nothing more is read.

// defaultLocation is the id of every store's default inventory location.
const defaultLocation = 1

// locationItemsPageSize is the most items one page of location items holds
// ("Limit of 1000 items for payload length", the published Inventory
// document).
const locationItemsPageSize = 1000

// maxLocationPages bounds the pages read for one page of products: 250
// products of up to 600 variants each fit in 150.
const maxLocationPages = 1000

// locationItem is the part of a location item the connector reads.
type locationItem struct {
	Identity struct {
		SKU       string `json:"sku"`
		VariantID int64  `json:"variant_id"`
		ProductID int64  `json:"product_id"`
	} `json:"identity"`
	// TotalInventoryOnhand is the stock on hand, what an absolute
	// adjustment sets. (The published schema's description of it at a
	// location reads "minus safety_stock", contradicting the same field
	// across locations and the worked examples in BigCommerce's inventory
	// guide, where on hand 30 with a safety buffer of 10 leaves 20
	// available_to_sell; on hand is the figure write-back sets.)
	TotalInventoryOnhand *int `json:"total_inventory_onhand"`
}

// tracking is how each product on a page tracks its stock ("product",
// "variant" or "none"), and each product's base variant, by product id.
type tracking map[int64]trackedBy

type trackedBy struct {
	by          string
	baseVariant int64
}

func (tr tracking) add(pr v3Product) {
	tr[pr.ID] = trackedBy{by: pr.InventoryTracking, baseVariant: pr.BaseVariantID}
}

// atLocation replaces the catalog's quantities of listings with the stock
// at the client's location, when that is not the default one. A listing
// whose item the location does not list gets no quantity: unknown, not
// zero.
func (c *Client) atLocation(ctx context.Context, listings []cart.Listing, tr tracking) error {
	if c.location == defaultLocation {
		return nil
	}
	var ids []int64
	for _, l := range listings {
		pid, _ := strconv.ParseInt(l.Link.ProductID, 10, 64)
		if t := tr[pid]; (t.by == "variant" || t.by == "product") && !slices.Contains(ids, pid) {
			ids = append(ids, pid)
		}
	}
	if len(ids) == 0 {
		return nil // nothing on the page tracks stock
	}
	items, err := c.locationItems(ctx, ids)
	if err != nil {
		return err
	}
	relocate(listings, tr, items)
	return nil
}

// relocate sets the quantity of each listing whose product tracks stock
// to its item's stock among items; a listing without one gets none.
func relocate(listings []cart.Listing, tr tracking, items []locationItem) {
	byVariant := map[int64]int{}
	byProduct := map[int64][]locationItem{}
	for _, it := range items {
		if it.TotalInventoryOnhand == nil {
			continue
		}
		if it.Identity.VariantID > 0 {
			byVariant[it.Identity.VariantID] = *it.TotalInventoryOnhand
		}
		if it.Identity.ProductID > 0 {
			byProduct[it.Identity.ProductID] = append(byProduct[it.Identity.ProductID], it)
		}
	}
	for i := range listings {
		l := &listings[i]
		pid, _ := strconv.ParseInt(l.Link.ProductID, 10, 64)
		vid, _ := strconv.ParseInt(l.Link.VariantID, 10, 64)
		var q int
		var ok bool
		switch t := tr[pid]; t.by {
		case "variant":
			q, ok = byVariant[vid]
		case "product":
			q, ok = productStock(byProduct[pid], t.baseVariant)
		default:
			continue
		}
		l.Quantity = nil
		if ok {
			l.Quantity = &q
		}
	}
}

// productStock picks the stock of a product tracked by product among its
// items: the item named by product alone, else its base variant's, else
// its only item.
func productStock(items []locationItem, base int64) (int, bool) {
	for _, want := range []func(locationItem) bool{
		func(it locationItem) bool { return it.Identity.VariantID == 0 },
		func(it locationItem) bool { return base > 0 && it.Identity.VariantID == base },
		func(locationItem) bool { return len(items) == 1 },
	} {
		if i := slices.IndexFunc(items, want); i >= 0 {
			return *items[i].TotalInventoryOnhand, true
		}
	}
	return 0, false
}

// locationItems reads the items of the given products at the client's
// location, every page of them.
func (c *Client) locationItems(ctx context.Context, productIDs []int64) ([]locationItem, error) {
	ids := make([]string, len(productIDs))
	for i, id := range productIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	path := "/" + CatalogAPI + "/inventory/locations/" + strconv.FormatInt(c.location, 10) + "/items"
	var out []locationItem
	for page := 1; ; page++ {
		resp, err := c.do(ctx, request{method: http.MethodGet, path: path, query: url.Values{
			"product_id:in": {strings.Join(ids, ",")},
			"page":          {strconv.Itoa(page)},
			"limit":         {strconv.Itoa(locationItemsPageSize)},
		}})
		if err == nil && resp.status != http.StatusOK {
			err = failure(resp)
		}
		if err != nil {
			return nil, c.locationError(err)
		}
		items, more, err := parseLocationItems(resp.body, locationItemsPageSize)
		if err != nil {
			return nil, c.locationError(unreadable(resp.status, err))
		}
		out = append(out, items...)
		if !more {
			return out, nil
		}
		if page >= maxLocationPages {
			return nil, c.locationError(unreadable(resp.status, cart.Malformed("more than %d pages of location items", maxLocationPages)))
		}
	}
}

// parseLocationItems reads one page of location items; more is whether
// another page follows (by meta.pagination, else by a full page of limit).
func parseLocationItems(body []byte, limit int) (items []locationItem, more bool, err error) {
	var d struct {
		Data *[]locationItem `json:"data"`
		Meta struct {
			Pagination *pagination `json:"pagination"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, false, cart.Malformed("location items: %v", err)
	}
	if d.Data == nil {
		return nil, false, cart.Malformed("location items: no data")
	}
	for _, it := range *d.Data {
		if q := it.TotalInventoryOnhand; q != nil && (*q < 0 || *q > maxQuantity) {
			return nil, false, cart.Malformed("location item %d/%d: total_inventory_onhand %d", it.Identity.ProductID, it.Identity.VariantID, *q)
		}
	}
	more = len(*d.Data) >= limit
	if pg := d.Meta.Pagination; pg != nil {
		more = pg.CurrentPage < pg.TotalPages
	}
	return *d.Data, more && len(*d.Data) > 0, nil
}

// locationError says which location's stock could not be read. A location
// BigCommerce does not know (404) is the channel's setting at fault, and
// must not read as cart.ErrNotFound: to ProductListings' caller that would
// mean the product was deleted.
func (c *Client) locationError(err error) error {
	var ce *cart.Error
	if errors.As(err, &ce) && ce.Status == http.StatusNotFound {
		err = &cart.Error{Status: ce.Status, Message: clip(fmt.Sprintf("BigCommerce has no inventory location %d (%s); check the channel's location_id", c.location, ce.Message))}
	}
	return fmt.Errorf("reading the stock at location %d: %w", c.location, err)
}
