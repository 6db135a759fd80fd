package etsy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// pageSize is getShopReceipts' and getListingsByShop's maximum limit.
const pageSize = 100

// minTimestamp is the earliest time getShopReceipts' filters accept.
const minTimestamp = 946684800

// maxCursorIDs bounds the receipt ids a cursor carries; past it the
// offset alone moves the page on (see orderCursor).
const maxCursorIDs = 200

// orderCursor continues a keyset page of receipts (see the package doc).
type orderCursor struct {
	// S is the update second of the last receipt read; the next page asks
	// for receipts modified from S on.
	S int64 `json:"s"`
	// IDs are the receipts of second S already returned.
	IDs []int64 `json:"i,omitempty"`
	// O is an offset into the receipts from S on, used only after a page
	// that held nothing past second S.
	O int64 `json:"o,omitempty"`
}

func (c orderCursor) encode() string { return cart.EncodeCursor(c) }

var errCursor = &cart.Error{Message: "the saved position in Etsy's receipts is not valid; the import starts its window again"}

func decodeOrderCursor(s string) (orderCursor, error) {
	var c orderCursor
	if !cart.DecodeCursor(s, 8192, &c) || c.S < 0 || c.O < 0 || c.O > 1<<31 || len(c.IDs) > maxCursorIDs || (c.S == 0 && (c.O != 0 || len(c.IDs) > 0)) {
		return orderCursor{}, errCursor
	}
	return c, nil
}

var _ cart.OrderSource = (*Client)(nil)

// Orders returns one page of the receipts q asks for, oldest update first:
// by default the importable ones (DefaultStatuses, or q.Statuses), with
// q.Cancelled the canceled ones. It waits out Etsy's rate limits; when a
// wait would outlast ctx's deadline, or the daily quota is spent, it
// returns a *cart.RateLimitedError. Refused credentials are cart.ErrAuth;
// other failures are *cart.Error.
func (c *Client) Orders(ctx context.Context, q cart.OrderQuery) (cart.OrderPage, error) {
	if q.EmptyWindow() {
		return cart.OrderPage{}, nil // an empty window holds no orders
	}
	if !q.UpdatedTo.IsZero() && q.UpdatedTo.Unix() <= minTimestamp {
		return cart.OrderPage{}, nil // before Etsy's earliest filter
	}
	var params url.Values
	if q.Cancelled {
		params = url.Values{"was_canceled": {"true"}}
	} else {
		statuses := q.Statuses
		if statuses == nil {
			statuses = DefaultStatuses()
		}
		var err error
		if params, err = statusParams(statuses); err != nil {
			return cart.OrderPage{}, fmt.Errorf("etsy: listing receipts: %w", err)
		}
	}
	cur, err := decodeOrderCursor(q.Cursor)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("etsy: listing receipts: %w", err)
	}
	// lo is the first second kept; the request asks from the second before,
	// so that it holds whether Etsy's bounds are inclusive or not.
	var lo int64
	if !q.UpdatedFrom.IsZero() {
		lo = q.UpdatedFrom.Unix()
	}
	lo = max(lo, cur.S)
	if lo > minTimestamp {
		params.Set("min_last_modified", itoa(lo-1))
	}
	if !q.UpdatedTo.IsZero() {
		params.Set("max_last_modified", itoa(cart.CeilSecond(q.UpdatedTo)))
	}
	params.Set("sort_on", "updated")
	params.Set("sort_order", "asc")
	params.Set("limit", strconv.Itoa(pageSize))
	if cur.O > 0 {
		params.Set("offset", itoa(cur.O))
	}
	rep, err := c.get(ctx, "/shops/"+c.shopID+"/receipts", params)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("etsy: listing receipts: %w", err)
	}
	count, receipts, err := parseReceipts(rep.body)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("etsy: listing receipts: %w", err)
	}
	page, next, err := keysetPage(receipts, count, cur, lo, q.UpdatedTo)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("etsy: listing receipts: %w", err)
	}
	out := cart.OrderPage{Orders: make([]cart.Order, 0, len(page)), Next: next}
	for _, r := range page {
		o, err := toOrder(r)
		if err != nil {
			return cart.OrderPage{}, fmt.Errorf("etsy: listing receipts: %w", err)
		}
		out.Orders = append(out.Orders, o)
	}
	return out, nil
}

var errOrder = errors.New("receipts out of order")

// keysetPage keeps the receipts of a page that are new and inside the
// window [lo, to) and works out the cursor for the next page; "" when this
// page was the last: short, or the last of the count Etsy reported.
func keysetPage(receipts []receiptJSON, count int64, cur orderCursor, lo int64, to time.Time) ([]*receiptJSON, string, error) {
	var keep []*receiptJSON
	prev := int64(0)
	for i := range receipts {
		r := &receipts[i]
		u, _ := r.updated()
		if u < prev {
			return nil, "", malformed("receipts", fmt.Errorf("%w: %d after %d", errOrder, u, prev))
		}
		prev = u
		switch {
		case u < lo:
		case !to.IsZero() && !time.Unix(u, 0).Before(to):
		case u == cur.S && slices.Contains(cur.IDs, r.ReceiptID):
		default:
			keep = append(keep, r)
		}
	}
	if len(receipts) < pageSize || cur.O+int64(len(receipts)) >= count {
		return keep, "", nil
	}
	last, _ := receipts[len(receipts)-1].updated()
	var next orderCursor
	if last > cur.S {
		next.S = last
		for i := len(receipts) - 1; i >= 0 && len(next.IDs) < maxCursorIDs; i-- {
			if u, _ := receipts[i].updated(); u == last {
				next.IDs = append(next.IDs, receipts[i].ReceiptID)
			}
		}
	} else {
		// The whole page sat in second S (or just before it): step over
		// it by offset, as keys cannot move past S.
		next = orderCursor{S: cur.S, IDs: slices.Clone(cur.IDs), O: cur.O + int64(len(receipts))}
		for i := range receipts {
			if u, _ := receipts[i].updated(); u == cur.S && !slices.Contains(next.IDs, receipts[i].ReceiptID) && len(next.IDs) < maxCursorIDs {
				next.IDs = append(next.IDs, receipts[i].ReceiptID)
			}
		}
	}
	return keep, next.encode(), nil
}
