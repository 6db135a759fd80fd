package etsy

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// listedStates are the listing states an import reads, in order: active
// listings, then those Etsy made sold_out when their last unit sold, so
// that their SKUs stay linked (and write-back can renew them when stock
// returns). getListingsByShop takes one state a request.
var listedStates = []string{stateActive, stateSoldOut}

// listingCursor continues the listing pages: S is the index in
// listedStates of the state being read (a cursor from before sold-out
// listings were read has none: active), O the next offset in it and N
// the count of its listings Etsy reported with the page before.
type listingCursor struct {
	S int   `json:"s,omitempty"`
	O int64 `json:"o"`
	N int64 `json:"n"`
}

func (c listingCursor) encode() string { return cart.EncodeCursor(c) }

func decodeListingCursor(s string) (listingCursor, error) {
	var c listingCursor
	if !cart.DecodeCursor(s, 256, &c) || c.S < 0 || c.S >= len(listedStates) || c.O < 0 || c.N < 0 || c.O > 1<<31 {
		return listingCursor{}, &cart.Error{Message: "the saved position in Etsy's listings is not valid; the import starts again"}
	}
	return c, nil
}

var _ cart.ListingSource = (*Client)(nil)

// Listings returns one page of the shop's active and sold-out listings
// (the active first), one cart.Listing per distinct SKU of each listing's
// products; products without a SKU are left out, as nothing could link
// them. A sold-out listing's SKUs have quantity 0.
//
// Etsy cannot filter listings by modification time, so q.UpdatedFrom and
// q.UpdatedTo are ignored: every import pages through all active and
// sold-out listings (which is why Import Products is manual-only for
// Etsy). Each page is one request for up to 100 listings of one state
// with their images and inventory (the Images and Inventory
// associations), plus one getListingInventory for a listing that came
// without its inventory.
//
// Link.ProductID is the listing id and Link.VariantID the product id
// (which Etsy changes on every inventory update: write-back uses SKUs).
// Name is the unescaped title, with the product's property values
// ("Mug - Blue"). Price is the product's first enabled offering's price;
// Quantity is that offering's quantity, or the sum over the SKU's products
// when the listing's quantity varies by a property. Images are the
// listing's full-size images by rank, shared by its SKUs.
func (c *Client) Listings(ctx context.Context, q cart.ListingQuery) (cart.ListingPage, error) {
	cur, err := decodeListingCursor(q.Cursor)
	if err != nil {
		return cart.ListingPage{}, fmt.Errorf("etsy: listing products: %w", err)
	}
	var (
		count    int64
		listings []listingJSON
	)
	for tries := 0; ; tries++ {
		// includes is sent form-exploded (includes=A&includes=B), as the
		// published spec declares it (an array, style form, explode); the
		// comma-joined form some clients send is not what it describes.
		params := url.Values{
			"state":    {listedStates[cur.S]},
			"limit":    {strconv.Itoa(pageSize)},
			"includes": {"Images", "Inventory"},
		}
		if cur.O > 0 {
			params.Set("offset", itoa(cur.O))
		}
		rep, err := c.get(ctx, "/shops/"+c.shopID+"/listings", params)
		if err != nil {
			return cart.ListingPage{}, fmt.Errorf("etsy: listing products: %w", err)
		}
		if count, listings, err = parseListings(rep.body); err != nil {
			return cart.ListingPage{}, fmt.Errorf("etsy: listing products: %w", err)
		}
		// Fewer listings in the state than the page before: listings this run
		// had not reached may have moved up past the offset. Read from
		// that much earlier (a re-read is harmless; a skip is not).
		if cur.N > 0 && count < cur.N && cur.O > 0 && tries < 3 {
			cur.O = max(cur.O-(cur.N-count), 0)
			cur.N = count
			continue
		}
		break
	}
	out := cart.ListingPage{}
	for i := range listings {
		l := &listings[i]
		if l.Inventory == nil {
			inv, err := c.inventory(ctx, l.ListingID, false)
			if errors.Is(err, cart.ErrNotFound) {
				continue // no inventory record: nothing with a SKU
			}
			if err != nil {
				return cart.ListingPage{}, fmt.Errorf("etsy: reading the inventory of listing %d: %w", l.ListingID, err)
			}
			l.Inventory = inv
		}
		out.Listings = append(out.Listings, toListings(l)...)
	}
	switch next := cur.O + int64(len(listings)); {
	case len(listings) == pageSize && next < count:
		out.Next = listingCursor{S: cur.S, O: next, N: count}.encode()
	case cur.S+1 < len(listedStates):
		out.Next = listingCursor{S: cur.S + 1}.encode()
	}
	return out, nil
}

// inventory reads one listing's inventory; withListing asks for the
// listing too (includes=Listing), for its state.
func (c *Client) inventory(ctx context.Context, listingID int64, withListing bool) (*inventoryJSON, error) {
	var q url.Values
	if withListing {
		q = url.Values{"includes": {"Listing"}}
	}
	rep, err := c.get(ctx, "/listings/"+itoa(listingID)+"/inventory", q)
	if err != nil {
		return nil, err
	}
	return parseInventory(rep.body)
}

// toListings makes one listing per distinct SKU of l's live products.
func toListings(l *listingJSON) []cart.Listing {
	title := strings.TrimSpace(html.UnescapeString(l.Title))
	images := imageURLs(l.Images)
	var updated time.Time
	for _, t := range []*int64{l.UpdatedTimestamp, l.LastModified} {
		if t != nil && *t > 0 {
			updated = time.Unix(*t, 0).UTC()
			break
		}
	}
	inv := l.Inventory
	qtyVaries := len(inv.QuantityOnProperty) > 0
	var out []cart.Listing
	index := map[string]int{}
	for i := range inv.Products {
		p := &inv.Products[i]
		sku := p.sku()
		offers := p.live()
		if p.IsDeleted || sku == "" || len(offers) == 0 {
			continue
		}
		o := offers[0]
		for _, x := range offers {
			if x.IsEnabled {
				o = x
				break
			}
		}
		if k, seen := index[sku]; seen {
			// Several variations under one SKU: they share a quantity
			// unless it varies by a property, when the SKU holds the sum.
			if qtyVaries && o.IsEnabled {
				*out[k].Quantity += o.Quantity
			}
			continue
		}
		price, _ := o.Price.decimal() // validated by parseListings
		name := title
		if v := variationName(p.PropertyValues); v != "" {
			name += " - " + v
		}
		q := 0
		if o.IsEnabled {
			q = o.Quantity
		}
		index[sku] = len(out)
		out = append(out, cart.Listing{
			SKU:       sku,
			Name:      name,
			Price:     price,
			Images:    slices.Clone(images),
			Link:      cart.Link{ProductID: itoa(l.ListingID), VariantID: itoa(p.ProductID)},
			Quantity:  &q,
			UpdatedAt: updated,
		})
	}
	return out
}

// variationName joins a product's property values ("Blue / Large").
func variationName(pvs []propValueJSON) string {
	var parts []string
	for _, pv := range pvs {
		for _, v := range pv.Values {
			if v = strings.TrimSpace(html.UnescapeString(v)); v != "" {
				parts = append(parts, v)
			}
		}
	}
	return strings.Join(parts, " / ")
}
