package woocommerce

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// perPage is the most WordPress returns per request.
const perPage = 100

// noBound is a keyset without a lower bound (a query from the beginning).
const noBound = math.MinInt64

// keyset is the state of a paged read sorted by modification second, then
// id (see "Paging without drift" in the package documentation).
type keyset struct {
	// from is the lower bound, a GMT Unix second, inclusive; noBound for
	// none.
	from int64
	// n counts the objects modified in second from that were already
	// passed over, in the store's order.
	n int
	// seen are the ids of the last (up to perPage) of those n objects.
	seen []int64
}

// The cursor is "k1.<from>.<n>.<id>-<id>...".
const cursorPrefix = "k1."

func (k keyset) encode() string {
	var b strings.Builder
	b.WriteString(cursorPrefix)
	b.WriteString(strconv.FormatInt(k.from, 10))
	b.WriteByte('.')
	b.WriteString(strconv.Itoa(k.n))
	b.WriteByte('.')
	for i, id := range k.seen {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

var errCursor = errors.New("invalid page cursor")

// decodeCursor reads a cursor encode made.
func decodeCursor(s string) (keyset, error) {
	rest, ok := strings.CutPrefix(s, cursorPrefix)
	parts := strings.Split(rest, ".")
	if !ok || len(parts) != 3 {
		return keyset{}, errCursor
	}
	from, err1 := strconv.ParseInt(parts[0], 10, 64)
	n, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || from == noBound || n < 0 || n > 1<<30 {
		return keyset{}, errCursor
	}
	k := keyset{from: from, n: n}
	if parts[2] != "" {
		ids := strings.Split(parts[2], "-")
		if len(ids) > perPage || len(ids) > n {
			return keyset{}, errCursor
		}
		for _, x := range ids {
			id, err := strconv.ParseInt(x, 10, 64)
			if err != nil || id <= 0 {
				return keyset{}, errCursor
			}
			k.seen = append(k.seen, id)
		}
	}
	if k.encode() != s {
		return keyset{}, errCursor // not canonical: not ours
	}
	return k, nil
}

// keyed is what paging needs of an object: its id and modification second.
type keyed struct {
	id  int64
	sec int64
}

// wpDate formats a GMT time as the date parameters take it.
func wpDate(sec int64) string { return time.Unix(sec, 0).UTC().Format("2006-01-02T15:04:05") }

// windowParams are the query parameters that select [from, to) for a
// keyset starting at k, ordered for keyset paging. WordPress compares
// dates exclusively and to the second: modified_after one second before
// k.from selects from k.from on, and modified_before the first whole second
// at or after to selects what is before it.
func windowParams(k keyset, to time.Time, offset int, exclude []int64) url.Values {
	q := url.Values{}
	q.Set("per_page", strconv.Itoa(perPage))
	q.Set("orderby", "modified")
	q.Set("order", "asc")
	q.Set("dates_are_gmt", "true")
	if k.from != noBound {
		q.Set("modified_after", wpDate(k.from-1))
	}
	if !to.IsZero() {
		q.Set("modified_before", wpDate(cart.CeilSecond(to)))
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	if len(exclude) > 0 {
		ids := make([]string, len(exclude))
		for i, id := range exclude {
			ids[i] = strconv.FormatInt(id, 10)
		}
		q.Set("exclude", strings.Join(ids, ","))
	}
	return q
}

// step is the outcome of one page.
type step struct {
	fresh []int   // indexes of the page's objects not returned before
	next  *keyset // nil on the last page
	drift bool    // objects already returned left the window: re-read
}

// advance works out what a page read at offset o from keyset k means,
// excluded objects of second k.from having been left out of the result.
// total is X-WP-Total, when known: the size of the whole result.
func (k keyset) advance(o, excluded int, page []keyed, total int, totalKnown bool, checkDrift bool) (step, error) {
	for i, x := range page {
		if x.id <= 0 {
			return step{}, fmt.Errorf("%w: an id of %d", cart.ErrMalformed, x.id)
		}
		if k.from != noBound && x.sec < k.from {
			return step{}, &cart.Error{Message: "WooCommerce ignored the modified_after filter (WooCommerce 5.8 or later is needed)"}
		}
		if i > 0 && x.sec < page[i-1].sec {
			return step{}, &cart.Error{Message: "WooCommerce did not sort by modification date (a plugin may override the order)"}
		}
	}
	isSeen := func(x keyed) bool { return x.sec == k.from && slices.Contains(k.seen, x.id) }
	lead := 0
	for lead < len(page) && isSeen(page[lead]) {
		lead++
	}
	if checkDrift && o > 0 && lead == 0 && k.n > o {
		// The object at offset o should have been the last one returned.
		return step{drift: true}, nil
	}
	var st step
	for i, x := range page {
		if !isSeen(x) {
			st.fresh = append(st.fresh, i)
		}
	}
	more := len(page) == perPage
	if totalKnown {
		more = o+len(page) < total
	}
	if !more || len(page) == 0 {
		return st, nil
	}
	last := page[len(page)-1].sec
	var next keyset
	if last == k.from {
		next = keyset{from: k.from, n: excluded + o + len(page), seen: slices.Clone(k.seen)}
		for _, x := range page {
			if !slices.Contains(next.seen, x.id) {
				next.seen = append(next.seen, x.id)
			}
		}
	} else {
		next = keyset{from: last}
		for _, x := range page {
			if x.sec == last {
				next.n++
				next.seen = append(next.seen, x.id)
			}
		}
	}
	if len(next.seen) > perPage {
		next.seen = slices.Clone(next.seen[len(next.seen)-perPage:])
	}
	if next.from == k.from && next.n <= k.n {
		return step{}, &cart.Error{Message: "WooCommerce repeated a page"}
	}
	st.next = &next
	return st, nil
}

// pageFetcher reads one page at offset o of the window from keyset k,
// leaving out the objects with the ids in exclude.
type pageFetcher func(ctx context.Context, k keyset, o int, exclude []int64) ([]keyed, int, bool, error)

// readPage reads the page of the list at path that the window [from, to)
// and cursor point at (pageThrough), with the extra parameters; parse
// reads one answer's items and their keys. It returns the items not
// handed out before and the next page's cursor ("" after the last).
func readPage[T any](ctx context.Context, c *Client, path string, from, to time.Time, cursor string, extra url.Values,
	parse func([]byte) ([]T, []keyed, error)) ([]T, string, error) {
	k, err := resume(from, to, cursor)
	if err != nil {
		return nil, "", err
	}
	var items []T
	fetch := func(ctx context.Context, k keyset, o int, exclude []int64) ([]keyed, int, bool, error) {
		params := windowParams(k, to, o, exclude)
		for name, v := range extra {
			params[name] = v
		}
		rep, err := c.get(ctx, path, params)
		if err != nil {
			return nil, 0, false, err
		}
		var keys []keyed
		if items, keys, err = parse(rep.body); err != nil {
			return nil, 0, false, err
		}
		total, known := totalHeader(rep.header)
		return keys, total, known, nil
	}
	st, err := pageThrough(ctx, k, fetch)
	if err != nil {
		return nil, "", err
	}
	fresh := make([]T, 0, len(st.fresh))
	for _, i := range st.fresh {
		fresh = append(fresh, items[i])
	}
	next := ""
	if st.next != nil {
		next = st.next.encode()
	}
	return fresh, next, nil
}

// pageThrough reads the page after k.
//
// While every object of second k.from already passed over is remembered
// (at most perPage of them: always, unless more than 100 objects share one
// second), they are excluded from the query (WordPress's exclude
// parameter) and the page starts at offset 0: objects leaving the window
// cannot move anything, and every object returned is new. Past that, the
// page starts one object before the first unread one, at the last object
// returned; if that one is not there, objects already returned left the
// window, and the page is read again from further back.
func pageThrough(ctx context.Context, k keyset, fetch pageFetcher) (step, error) {
	if k.n <= len(k.seen) {
		page, total, known, err := fetch(ctx, k, 0, k.seen)
		if err != nil {
			return step{}, err
		}
		return k.advance(0, len(k.seen), page, total, known, false)
	}
	o := k.n - 1
	page, total, known, err := fetch(ctx, k, o, nil)
	if err != nil {
		return step{}, err
	}
	st, err := k.advance(o, 0, page, total, known, true)
	if err != nil || !st.drift {
		return st, err
	}
	// Up to perPage-1 objects of second k.from were removed: read from
	// where the ids still remembered begin.
	o = max(0, k.n-(perPage-1))
	if page, total, known, err = fetch(ctx, k, o, nil); err != nil {
		return step{}, err
	}
	return k.advance(o, 0, page, total, known, false)
}

// startKeyset is the keyset of a window's first page.
func startKeyset(from time.Time) keyset {
	if from.IsZero() {
		return keyset{from: noBound}
	}
	return keyset{from: from.Unix()} // Unix() floors: rounding outward
}

// resume returns the keyset of a query: the window's start, or the cursor.
func resume(from, to time.Time, cursor string) (keyset, error) {
	if cursor == "" {
		return startKeyset(from), nil
	}
	k, err := decodeCursor(cursor)
	if err != nil {
		return keyset{}, &cart.Error{Message: "the saved page cursor is not one this connector made", Err: err}
	}
	if !from.IsZero() && k.from < from.Unix() || !to.IsZero() && k.from >= cart.CeilSecond(to) {
		return keyset{}, &cart.Error{Message: "the saved page cursor belongs to another time window", Err: errCursor}
	}
	return k, nil
}

var _ cart.OrderSource = (*Client)(nil)

// Orders returns one page of the orders q asks for, oldest modification
// first: status processing by default (q.Statuses overrides it; q.Cancelled
// asks for cancelled, refunded and failed ones) modified in
// [UpdatedFrom, UpdatedTo), to the second, rounded outward. It waits out
// 429s; when the wait would outlast ctx's deadline it returns a
// *cart.RateLimitedError instead. Refused keys are cart.ErrAuth; other
// failures are *cart.Error.
func (c *Client) Orders(ctx context.Context, q cart.OrderQuery) (cart.OrderPage, error) {
	if q.EmptyWindow() {
		return cart.OrderPage{}, nil // an empty window holds no orders
	}
	status, err := statusParam(q)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("woocommerce: listing orders: %w", err)
	}
	orders, next, err := readPage(ctx, c, "/orders", q.UpdatedFrom, q.UpdatedTo, q.Cursor,
		url.Values{"status": {status}, "_fields": {orderFields}}, parseOrders)
	if err != nil {
		return cart.OrderPage{}, fmt.Errorf("woocommerce: listing orders: %w", err)
	}
	return cart.OrderPage{Orders: orders, Next: next}, nil
}

var _ cart.OrderFetcher = (*Client)(nil)

// Order returns one order by its id, for a webhook that names it. An
// unknown id is a *cart.Error wrapping cart.ErrNotFound.
func (c *Client) Order(ctx context.Context, id string) (cart.Order, error) {
	n, ok := cart.ParseID(id)
	if !ok {
		return cart.Order{}, fmt.Errorf("woocommerce: order id %q: %w", id, &cart.Error{Message: "not a WooCommerce order id", Err: cart.ErrNotFound})
	}
	rep, err := c.get(ctx, "/orders/"+strconv.FormatInt(n, 10), url.Values{"_fields": {orderFields}})
	if err != nil {
		return cart.Order{}, fmt.Errorf("woocommerce: reading order %d: %w", n, err)
	}
	o, err := parseOrder(rep.body)
	if err != nil {
		return cart.Order{}, fmt.Errorf("woocommerce: reading order %d: %w", n, err)
	}
	return o, nil
}

var _ cart.ListingSource = (*Client)(nil)

// Listings returns one page of listings: one per SKU, for each simple
// product with a SKU and each variation of a variable product with a SKU of
// its own, from the products modified in [UpdatedFrom, UpdatedTo) (paged
// as orders are). Grouped and external products hold no stock and are left
// out. A page costs one products request plus one variations request per
// variable product on it (more for products of over 100 variations).
//
// A variation's change does not always touch its parent's modification
// time, so an incremental read may miss a changed variation; a new
// variation does touch it.
func (c *Client) Listings(ctx context.Context, q cart.ListingQuery) (cart.ListingPage, error) {
	if q.EmptyWindow() {
		return cart.ListingPage{}, nil
	}
	products, next, err := readPage(ctx, c, "/products", q.UpdatedFrom, q.UpdatedTo, q.Cursor,
		url.Values{"_fields": {productFields}}, parseProducts)
	if err != nil {
		return cart.ListingPage{}, fmt.Errorf("woocommerce: listing products: %w", err)
	}
	page := cart.ListingPage{Next: next}
	seen := map[string]bool{}
	for _, p := range products {
		ls, err := c.listingsOf(ctx, p)
		if err != nil {
			return cart.ListingPage{}, fmt.Errorf("woocommerce: %w", err)
		}
		page.Listings = addNew(page.Listings, seen, ls)
	}
	return page, nil
}

// listingsOf maps one product to its listings: a simple product's one, or
// one per variation of a variable product that has a SKU of its own (read
// from WooCommerce); grouped and external products have none.
func (c *Client) listingsOf(ctx context.Context, p wcProduct) ([]cart.Listing, error) {
	switch p.Type {
	case "simple":
		if l, ok := simpleListing(p); ok {
			return []cart.Listing{l}, nil
		}
	case "variable":
		if len(p.Variations) == 0 {
			return nil, nil
		}
		vs, err := c.variations(ctx, p.ID.N)
		if err != nil {
			return nil, fmt.Errorf("listing the variations of product %d: %w", p.ID.N, err)
		}
		var out []cart.Listing
		for _, v := range vs {
			if l, ok := variationListing(p, v); ok {
				out = append(out, l)
			}
		}
		return out, nil
	}
	return nil, nil
}

// addNew appends the listings of SKUs not seen yet: a SKU is unique in a
// store, so the first is kept.
func addNew(out []cart.Listing, seen map[string]bool, ls []cart.Listing) []cart.Listing {
	for _, l := range ls {
		if !seen[l.SKU] {
			seen[l.SKU] = true
			out = append(out, l)
		}
	}
	return out
}

// variations reads every variation of a product, following the Link
// header's next page (its number only).
func (c *Client) variations(ctx context.Context, product int64) ([]wcVariation, error) {
	return readAll(ctx, c, "/products/"+strconv.FormatInt(product, 10)+"/variations",
		url.Values{"orderby": {"id"}, "order": {"asc"}, "_fields": {variationFields}}, 1000, parseVariations)
}

// readAll reads every page of the list at path (with params), following
// the Link header's next page (its number only) up to maxPages pages.
func readAll[T any](ctx context.Context, c *Client, path string, params url.Values, maxPages int, parse func([]byte) ([]T, error)) ([]T, error) {
	var all []T
	for page := 1; ; {
		q := url.Values{"per_page": {strconv.Itoa(perPage)}, "page": {strconv.Itoa(page)}}
		for k, v := range params {
			q[k] = v
		}
		rep, err := c.get(ctx, path, q)
		if err != nil {
			return nil, err
		}
		items, err := parse(rep.body)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		next, ok := nextPage(rep.header, page)
		if !ok || len(items) == 0 || page >= maxPages {
			return all, nil
		}
		page = next
	}
}
