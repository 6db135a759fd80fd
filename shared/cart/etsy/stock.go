package etsy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/autosync/autosync/shared/cart"
)

// maxStockBatch is how many updates one SetStock call takes. Etsy has no
// batch endpoint, so the batch only decides how well updates group by
// listing: every listing touched costs two requests however many of its
// SKUs change, and a listing whose SKUs are split over two calls costs
// four. 250 updates are about 170 requests, 18 s at Etsy's default 10 per
// second: large enough that splits are rare, small enough that a call
// ended by the run's deadline loses little work.
const maxStockBatch = 250

// maxOfferingQuantity is the most Etsy takes for an offering's quantity
// (etsy/open-api#214). Larger quantities are written as 999: the most
// Etsy can offer, and what the merchant wants shown while stock is that
// deep. The update reports success.
const maxOfferingQuantity = 999

// writeWorkers is how many listings are written at once. Requests are paced
// by the shared limiter either way; overlapping them keeps the pace when
// each request takes longer than the pacing interval (Etsy's round trip is
// often 200–400 ms, against 104 ms between requests at 10 per second).
const writeWorkers = 4

// WriteStats count what writing stock back has cost in requests.
type WriteStats struct {
	// Reads and Writes are getListingInventory and updateListingInventory
	// requests answered.
	Reads, Writes int
	// Resends are the Writes, counted there, that re-sent one SKU's change
	// after Etsy refused a listing's update as a whole.
	Resends int
	// Unchanged counts listings left alone because Etsy already held every
	// quantity asked for.
	Unchanged int
	// Deactivated and Reactivated count updateListing requests that made
	// a listing inactive (every offering had to reach 0) or active again.
	Deactivated, Reactivated int
}

// WriteStats returns what SetStock calls have sent so far.
func (c *Client) WriteStats() WriteStats { return c.writes.Get() }

// MaxBatch is the most updates one SetStock call takes.
func (c *Client) MaxBatch() int { return maxStockBatch }

var _ cart.StockWriter = (*Client)(nil)

// SetStock sets each update's quantity and returns one result per update,
// in order.
//
// Updates are grouped by listing (Link.ProductID, the listing id). For each
// listing SetStock reads the inventory (getListingInventory) and writes it
// back whole (updateListingInventory), changing only the quantity of the
// offerings of the products whose SKU is updated: every product, its
// property values and SKU, every offering's price and enabled flag, and
// the listing's *_on_property settings go back as Etsy sent them, mapped
// to the request's schema (price as a decimal number, not a Money object;
// no ids, is_deleted or scale_name, which the request refuses). The read
// comes right before the write so that a price the merchant changed since
// the import is kept. Products are found by SKU, not by Link.VariantID:
// Etsy gives products new ids on every update.
//
// Request count: two per listing touched (one GET, one PUT), whatever the
// number of its SKUs updated, which is the least the API allows; one when
// Etsy already holds every quantity asked for (no PUT). With k updated SKUs
// per listing that is 2/k requests per SKU. More only when Etsy refuses a
// listing's update: then each of its changed SKUs is re-sent alone, one PUT
// each, so the one Etsy refuses fails and the others are set.
//
// Per-SKU failures (*cart.Error with Etsy's or this client's reason):
//   - the listing is gone (wraps cart.ErrNotFound), or no longer has the SKU;
//   - the SKU names several variations whose quantities vary separately;
//   - the listing keeps one quantity for variations with different SKUs
//     and the update would set them apart (Etsy would refuse it);
//   - the update would leave no enabled offering in stock, which Etsy does
//     not allow through the API (etsy/open-api#560), and the channel's
//     zero-stock policy is "suspend"; otherwise the listing is made
//     inactive (one more request, updateListing) and the SKUs succeed with
//     Listing "deactivated". A listing this client deactivated is made
//     active after its inventory is written, once it has stock again
//     (Listing "reactivated"); Etsy refusing that fails the SKUs;
//   - a listing Etsy made sold_out (its last unit sold) is treated as
//     one this client deactivated, whoever's the update: at 0 it is left
//     as it is and the SKUs succeed with Listing "deactivated" (no
//     request but the read, whatever the zero-stock policy); with stock
//     again its inventory is written, the listing renewed (state active)
//     and the inventory written once more, as a renewal sets the
//     quantity to 1 (Listing "reactivated");
//   - Etsy refused the update (HTTP 400), with its message.
//
// Quantities above 999 are written as 999 (see maxOfferingQuantity). The
// call fails as a whole (no results) on refused credentials, a rate limit
// past ctx's deadline or a spent daily quota, and failures Etsy calls
// temporary (5xx, dropped connections) after retries; PUTs already made
// stay made, and are harmless to repeat.
func (c *Client) SetStock(ctx context.Context, updates []cart.StockUpdate) ([]cart.StockResult, error) {
	results, groups := cart.GroupUpdates(updates, func(_ int, u cart.StockUpdate) (int64, error) {
		id, ok := cart.ParseID(strings.TrimSpace(u.Link.ProductID))
		switch {
		case !ok:
			return 0, &cart.Error{Message: fmt.Sprintf("SKU %s has no Etsy listing to write to: import the channel's products first", u.SKU)}
		case strings.TrimSpace(u.SKU) == "":
			return 0, &cart.Error{Message: "an update without a SKU cannot be matched to an Etsy product"}
		case u.Quantity < 0:
			return 0, &cart.Error{Message: fmt.Sprintf("quantity %d for SKU %s is negative", u.Quantity, u.SKU)}
		}
		return id, nil
	})
	err := cart.Parallel(ctx, len(groups), writeWorkers, func(ctx context.Context, i int) error {
		return c.writeListing(ctx, groups[i].Key, groups[i].Index, updates, results)
	})
	if err != nil {
		return nil, fmt.Errorf("etsy: setting stock: %w", err)
	}
	return results, nil
}

// listingFailure returns err as a reason for this listing's SKUs when it
// concerns the listing alone (Etsy refused it, does not know it, or sent an
// inventory this client cannot read), nil when it must fail the whole call.
func listingFailure(err error) *cart.Error {
	var ce *cart.Error
	if errors.As(err, &ce) && !ce.Temporary && !errors.Is(err, cart.ErrAuth) && (ce.Status >= 400 || errors.Is(err, cart.ErrMalformed)) {
		return ce
	}
	return nil
}

// writeListing applies the updates idx to one listing, filling results.
func (c *Client) writeListing(ctx context.Context, listing int64, idx []int, updates []cart.StockUpdate, results []cart.StockResult) error {
	fail := func(i int, err error) { results[i].Err = err }
	inv, err := c.inventory(ctx, listing, true)
	if err == nil {
		c.writes.Add(func(s *WriteStats) { s.Reads++ })
	}
	if ce := listingFailure(err); ce != nil {
		for _, i := range idx {
			fail(i, ce)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the inventory of listing %d: %w", listing, err)
	}
	var pending []int
	for _, i := range idx {
		if err := checkSKU(inv, listing, updates[i].SKU); err != nil {
			fail(i, err)
			continue
		}
		pending = append(pending, i)
	}
	if len(pending) == 0 {
		return nil
	}
	sets := map[string]int{}
	// The channel's policy is the same for every update of a call; any
	// update saying Autosync deactivated the listing lets it reactivate.
	deactivate, ours := true, false
	for _, i := range pending {
		sets[strings.TrimSpace(updates[i].SKU)] = min(updates[i].Quantity, maxOfferingQuantity)
		deactivate = deactivate && updates[i].ZeroStock != cart.ZeroStockSuspend
		ours = ours || updates[i].Deactivated
	}
	state := inv.state()
	inactive, soldOut := state == stateInactive, state == stateSoldOut
	pl := apply(inv, listing, sets)
	if soldOut && !pl.inStock {
		// Etsy made the listing sold_out when its last unit sold: it
		// sells nothing already, so whatever the zero-stock policy it is
		// not made inactive, and the quantities count as written (an
		// all-zero inventory Etsy would refuse is not sent). Reported as
		// off sale, so that stock coming back renews it with these SKUs'
		// quantities written.
		for _, i := range pending {
			results[i].Listing = cart.ListingDeactivated
		}
		return nil
	}
	if deactivate && pl.reason != nil && errors.Is(pl.reason, errNoStock) {
		// Etsy will not take an inventory with every offering at 0, so
		// the listing stops selling by being inactive instead; its
		// quantities stay as they were, unsold while it is inactive.
		if inactive && !ours {
			// Made inactive on Etsy by someone else: it sells nothing, so
			// the quantities count as written, but it is not Autosync's
			// to reactivate later.
			return nil
		}
		if !inactive {
			if err := c.setState(ctx, listing, stateInactive); err != nil {
				if ce := listingFailure(err); ce != nil {
					for _, i := range pending {
						fail(i, ce)
					}
					return nil
				}
				return err
			}
			c.writes.Add(func(s *WriteStats) { s.Deactivated++ })
		}
		for _, i := range pending {
			results[i].Listing = cart.ListingDeactivated
		}
		return nil
	}
	// reactivate makes the listing active again once its inventory,
	// already written, has stock: a listing this client deactivated, or
	// one Etsy made sold_out when its last unit sold. Renewing a sold_out
	// listing (Etsy charges its listing fee) sets its quantity to 1, as
	// the spec says of updateListing's state, so its inventory is written
	// again after, from the same body: a renewal that kept the quantities
	// costs one harmless PUT, one that did not leaves them right. Writing
	// before renewing too keeps the listing's own stock, not Etsy's 1, on
	// sale whenever the renewal keeps quantities.
	reactivate := func(done []int) error {
		if !(inactive && ours || soldOut) || !pl.inStock {
			return nil
		}
		failAll := func(ce *cart.Error) {
			for _, i := range done {
				if results[i].Err == nil {
					fail(i, ce)
				}
			}
		}
		if err := c.setState(ctx, listing, stateActive); err != nil {
			if ce := listingFailure(err); ce != nil {
				failAll(ce)
				return nil
			}
			return err
		}
		c.writes.Add(func(s *WriteStats) { s.Reactivated++ })
		if soldOut {
			after, err := c.putInventory(ctx, listing, pl.body)
			if ce := listingFailure(err); ce != nil {
				failAll(ce)
				return nil
			}
			if err != nil {
				return err
			}
			verify(after, sets, done, updates, results)
		}
		for _, i := range done {
			if results[i].Err == nil {
				results[i].Listing = cart.ListingReactivated
			}
		}
		return nil
	}
	switch {
	case !pl.changed:
		c.writes.Add(func(s *WriteStats) { s.Unchanged++ })
		return reactivate(pending)
	case pl.reason != nil && len(pending) == 1:
		fail(pending[0], pl.reason)
		return nil
	case pl.reason == nil:
		after, err := c.putInventory(ctx, listing, pl.body)
		if err == nil {
			verify(after, sets, pending, updates, results)
			return reactivate(pending)
		}
		ce := listingFailure(err)
		if ce == nil {
			return err
		}
		if len(pending) == 1 || errors.Is(err, cart.ErrNotFound) {
			for _, i := range pending {
				fail(i, ce)
			}
			return nil
		}
	}
	// Etsy would refuse, or refused, the listing's update as a whole: send
	// each SKU's change alone, each from what the last accepted write
	// left, so that only the SKUs at fault fail.
	base := inv
	for _, i := range pending {
		one := map[string]int{strings.TrimSpace(updates[i].SKU): min(updates[i].Quantity, maxOfferingQuantity)}
		p1 := apply(base, listing, one)
		if !p1.changed {
			continue
		}
		if p1.reason != nil {
			fail(i, p1.reason)
			continue
		}
		c.writes.Add(func(s *WriteStats) { s.Resends++ })
		after, err := c.putInventory(ctx, listing, p1.body)
		if ce := listingFailure(err); ce != nil {
			fail(i, ce)
			continue
		}
		if err != nil {
			return err
		}
		verify(after, one, []int{i}, updates, results)
		if after != nil {
			base = after
		} else if base, err = c.inventory(ctx, listing, false); err != nil {
			return fmt.Errorf("reading the inventory of listing %d: %w", listing, err)
		}
	}
	if inactive && ours || soldOut {
		// Left inactive or sold out: these SKUs are still not offered.
		for _, i := range pending {
			if results[i].Err == nil {
				results[i].Listing = cart.ListingDeactivated
			}
		}
	}
	return nil
}

// Listing states: updateListing takes the first two; Etsy sets sold_out
// itself when a listing's last unit sells.
const (
	stateActive   = "active"
	stateInactive = "inactive"
	stateSoldOut  = "sold_out"
)

// setState sets the listing's state with updateListing (PATCH, form
// encoded, as the spec declares its body) and checks Etsy kept it.
func (c *Client) setState(ctx context.Context, listing int64, state string) error {
	form := url.Values{"state": {state}}
	rep, err := c.do(ctx, http.MethodPatch, "/shops/"+c.shopID+"/listings/"+itoa(listing), nil, []byte(form.Encode()))
	if err != nil {
		return err
	}
	var got struct {
		State string `json:"state"`
	}
	if json.Unmarshal(rep.body, &got) == nil && got.State != "" && !strings.EqualFold(got.State, state) {
		return &cart.Error{Status: http.StatusOK, Message: fmt.Sprintf("Etsy left listing %d %s when asked to make it %s", listing, got.State, state)}
	}
	return nil
}

// putInventory sends one listing's inventory and returns what Etsy stored
// (nil when its answer could not be read).
func (c *Client) putInventory(ctx context.Context, listing int64, body *putInventory) (*inventoryJSON, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encoding the inventory of listing %d: %w", listing, err)
	}
	rep, err := c.do(ctx, http.MethodPut, "/listings/"+itoa(listing)+"/inventory", nil, b)
	if err != nil {
		return nil, err
	}
	c.writes.Add(func(s *WriteStats) { s.Writes++ })
	after, err := parseInventory(rep.body)
	if err != nil {
		return nil, nil
	}
	return after, nil
}

// verify marks the updates done, checking them against what Etsy answered
// it stored when its answer could be read.
func verify(after *inventoryJSON, sets map[string]int, idx []int, updates []cart.StockUpdate, results []cart.StockResult) {
	for _, i := range idx {
		sku := strings.TrimSpace(updates[i].SKU)
		if after == nil {
			results[i].Err = &cart.Error{Status: http.StatusOK, Temporary: true,
				Message: "Etsy accepted the inventory but its answer could not be read; the quantity will be sent again"}
			continue
		}
		ok := false
		for _, p := range liveProducts(after, sku) {
			ok = true
			for _, o := range p.live() {
				if o.Quantity != sets[sku] {
					ok = false
				}
			}
		}
		if !ok {
			results[i].Err = &cart.Error{Status: http.StatusOK, Message: fmt.Sprintf("Etsy did not keep quantity %d for SKU %s", sets[sku], sku)}
		}
	}
}

// liveProducts are the products of inv that sell sku and are not deleted.
func liveProducts(inv *inventoryJSON, sku string) []*productJSON {
	var out []*productJSON
	for i := range inv.Products {
		p := &inv.Products[i]
		if !p.IsDeleted && len(p.live()) > 0 && p.sku() == sku {
			out = append(out, p)
		}
	}
	return out
}

// checkSKU says why sku cannot be written in this listing, if it cannot.
func checkSKU(inv *inventoryJSON, listing int64, sku string) *cart.Error {
	sku = strings.TrimSpace(sku)
	ps := liveProducts(inv, sku)
	if len(ps) == 0 {
		return &cart.Error{Status: http.StatusNotFound, Err: cart.ErrNotFound,
			Message: fmt.Sprintf("Etsy listing %d no longer has a product with SKU %s; import the channel's products again", listing, sku)}
	}
	if len(inv.QuantityOnProperty) > 0 {
		for _, p := range ps[1:] {
			if quantityKey(p, inv.QuantityOnProperty) != quantityKey(ps[0], inv.QuantityOnProperty) {
				return &cart.Error{Message: fmt.Sprintf("SKU %s names %d variations of Etsy listing %d that each hold their own quantity; give each variation its own SKU in Etsy", sku, len(ps), listing)}
			}
		}
	}
	return nil
}

// quantityKey is a product's value ids for the properties its quantity
// varies by: products with equal keys share one quantity.
func quantityKey(p *productJSON, on []int64) string {
	var b strings.Builder
	for _, id := range on {
		for _, pv := range p.PropertyValues {
			if pv.PropertyID == id {
				fmt.Fprint(&b, id, "=", pv.ValueIDs, ";")
			}
		}
	}
	return b.String()
}

// updateListingInventory's request body: the schema's fields only.
type putInventory struct {
	Products []putProduct `json:"products"`
	onProperty
}

type putProduct struct {
	SKU            string         `json:"sku"`
	PropertyValues []putPropValue `json:"property_values"`
	Offerings      []putOffering  `json:"offerings"`
}

type putPropValue struct {
	PropertyID   int64    `json:"property_id"`
	PropertyName *string  `json:"property_name,omitempty"`
	ScaleID      *int64   `json:"scale_id"`
	ValueIDs     []int64  `json:"value_ids"`
	Values       []string `json:"values"`
}

type putOffering struct {
	Price     json.Number `json:"price"`
	Quantity  int         `json:"quantity"`
	IsEnabled bool        `json:"is_enabled"`
	// ReadinessStateID is required by the schema, null allowed: it goes
	// back as Etsy sent it.
	ReadinessStateID *int64 `json:"readiness_state_id"`
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return slices.Clone(s)
}

// errNoStock marks the reason Etsy refuses an inventory with every
// offering at 0.
var errNoStock = errors.New("no offering in stock")

// plan is the PUT body that is an inventory with some quantities set.
// changed says whether any quantity differs from the inventory read;
// reason is why Etsy would refuse the body, when this client can tell
// (wrapping errNoStock when no enabled offering keeps stock); inStock
// whether an enabled offering keeps stock.
type plan struct {
	body    *putInventory
	changed bool
	reason  *cart.Error
	inStock bool
}

// apply builds the PUT body that is inv with the quantities in sets (by
// SKU) set on every live offering of those SKUs' products.
func apply(inv *inventoryJSON, listing int64, sets map[string]int) plan {
	body := &putInventory{
		Products: make([]putProduct, 0, len(inv.Products)),
		onProperty: onProperty{
			PriceOnProperty:          nonNil(inv.PriceOnProperty),
			QuantityOnProperty:       nonNil(inv.QuantityOnProperty),
			SKUOnProperty:            nonNil(inv.SKUOnProperty),
			ReadinessStateOnProperty: nonNil(inv.ReadinessStateOnProperty),
		},
	}
	changed := false
	groups := map[string][]int{} // quantity key → quantities in it
	groupSKUs := map[string][]string{}
	touched := map[string]bool{} // quantity keys of the products changed
	inStock := false
	for i := range inv.Products {
		p := &inv.Products[i]
		offers := p.live()
		if p.IsDeleted || len(offers) == 0 {
			continue
		}
		pp := putProduct{PropertyValues: make([]putPropValue, 0, len(p.PropertyValues)), Offerings: make([]putOffering, 0, len(offers))}
		if p.SKU != nil {
			pp.SKU = *p.SKU
		}
		for _, pv := range p.PropertyValues {
			pp.PropertyValues = append(pp.PropertyValues, putPropValue{
				PropertyID: pv.PropertyID, PropertyName: pv.PropertyName, ScaleID: pv.ScaleID,
				ValueIDs: nonNil(pv.ValueIDs), Values: nonNil(pv.Values),
			})
		}
		q, set := sets[p.sku()]
		key := quantityKey(p, inv.QuantityOnProperty)
		for _, o := range offers {
			price, _ := o.Price.decimal() // validated by parseInventory
			qty := o.Quantity
			if set && qty != q {
				changed, touched[key] = true, true
				qty = q
			}
			pp.Offerings = append(pp.Offerings, putOffering{Price: json.Number(price), Quantity: qty, IsEnabled: o.IsEnabled, ReadinessStateID: o.ReadinessStateID})
			inStock = inStock || o.IsEnabled && qty > 0
		}
		groups[key] = append(groups[key], pp.Offerings[0].Quantity)
		if !slices.Contains(groupSKUs[key], p.sku()) {
			groupSKUs[key] = append(groupSKUs[key], p.sku())
		}
		body.Products = append(body.Products, pp)
	}
	if !changed {
		return plan{body: body, inStock: inStock}
	}
	// Only groups this update changes are checked: the rest is as Etsy
	// keeps it, whatever its rule exactly is.
	keys := make([]string, 0, len(touched))
	for key := range touched {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		qs := groups[key]
		for _, q := range qs[1:] {
			if q != qs[0] {
				return plan{body: body, changed: true, inStock: inStock, reason: &cart.Error{Message: fmt.Sprintf(
					"in Etsy listing %d the variations %s share one quantity, so they cannot hold different quantities; make quantities vary by variation in Etsy",
					listing, strings.Join(skuList(groupSKUs[key]), ", "))}}
			}
		}
	}
	if !inStock {
		return plan{body: body, changed: true, reason: &cart.Error{Err: errNoStock, Message: fmt.Sprintf(
			"Etsy does not let an app set every variation of listing %d to 0 (one must stay in stock); the channel's zero-stock policy is \"suspend\", so the listing was not deactivated", listing)}}
	}
	return plan{body: body, changed: true, inStock: true}
}

func skuList(skus []string) []string {
	out := make([]string, len(skus))
	for i, s := range skus {
		if s == "" {
			s = "(no SKU)"
		}
		out[i] = s
	}
	return out
}
