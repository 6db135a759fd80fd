package amazonsim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Listings search limits (listingsItems.json).
const (
	listingsMaxPageSize = 20
	listingsDefaultSize = 10
	listingsSearchCap   = 1000 // items one search can page through
	maxPatchBody        = 1 << 20
)

var (
	listingsIncludedData = []string{"summaries", "attributes", "issues", "offers", "fulfillmentAvailability", "procurement", "relationships", "productTypes"}
	productTypes         = []string{"HOME", "SHIRT", "HAT", "KITCHEN", "SOCKS"}
	patchOps             = []string{"add", "replace", "merge", "delete"}
)

// listing is one merchant-fulfilled listings item.
type listing struct {
	sku, asin, productType, name string
	cents                        int
	quantity                     int // fulfillment_availability, channel DEFAULT
	// leadTime is the DEFAULT entry's lead_time_to_ship_max_days (0:
	// none, Amazon's default handling time). A replace of
	// fulfillment_availability sets the entry to its value, dropping a
	// lead time it leaves out; a merge changes only what it names.
	leadTime         int
	images           []string
	created, updated time.Time
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// newCatalog lists every SKU with a quantity, a price and images; creation
// and update times are spread over the 90 days before now, the first SKU
// oldest. The caller holds s.mu or owns s.
func (s *Server) newCatalog(now time.Time) {
	n := len(s.opts.SKUs)
	for i, sku := range s.opts.SKUs {
		h := hash(sku)
		b36 := strings.ToUpper(strconv.FormatUint(h%2_821_109_907_456, 36)) // 36^8
		asin := "B0" + strings.Repeat("0", 8-len(b36)) + b36
		updated := now.Add(-90 * 24 * time.Hour).Add(time.Duration(i) * 90 * 24 * time.Hour / time.Duration(n+1)).Truncate(time.Second)
		l := &listing{
			sku: sku, asin: asin, productType: productTypes[i%len(productTypes)],
			name:     "Simulated product " + sku,
			cents:    499 + int(h%5000),
			quantity: 5 + int(h%40),
			created:  updated.Add(-24 * time.Hour), updated: updated,
		}
		for k := range 1 + int(h%3) {
			l.images = append(l.images, fmt.Sprintf("https://m.media-amazon.com/images/I/%s-%d._SL1500_.jpg", asin, k+1))
		}
		s.listings[sku] = l
	}
}

// Quantities returns the merchant-fulfilled quantity (fulfillment_availability,
// channel DEFAULT) of every listing.
func (s *Server) Quantities() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.processFeeds(s.now())
	out := make(map[string]int, len(s.listings))
	for sku, l := range s.listings {
		out[sku] = l.quantity
	}
	return out
}

// availability is the listing's fulfillment_availability DEFAULT entry.
func (l *listing) availability() map[string]any {
	a := map[string]any{"fulfillment_channel_code": "DEFAULT", "quantity": l.quantity}
	if l.leadTime > 0 {
		a["lead_time_to_ship_max_days"] = l.leadTime
	}
	return a
}

// SetLeadTime sets a listing's handling time (lead_time_to_ship_max_days),
// as a seller does in Seller Central.
func (s *Server) SetLeadTime(sku string, days int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.listings[sku]
	if ok {
		l.leadTime = days
	}
	return ok
}

// LeadTime returns a listing's handling time in days (0: Amazon's default).
func (s *Server) LeadTime(sku string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.processFeeds(s.now())
	if l, ok := s.listings[sku]; ok {
		return l.leadTime
	}
	return 0
}

// SetQuantity sets a listing's merchant-fulfilled quantity, updated now.
func (s *Server) SetQuantity(sku string, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.processFeeds(s.now())
	l, ok := s.listings[sku]
	if ok {
		l.quantity = max(n, 0)
		s.touch(l)
	}
	return ok
}

// TouchListing marks a listing updated now.
func (s *Server) TouchListing(sku string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.listings[sku]
	if ok {
		s.touch(l)
	}
	return ok
}

// touch sets l's update time to now. The caller holds s.mu.
func (s *Server) touch(l *listing) {
	now := s.now().UTC().Truncate(time.Second)
	if now.After(l.updated) {
		l.updated = now
	}
}

// Listing is a copy of one listings item, for tests.
type Listing struct {
	SKU, ASIN, ProductType, Name string
	Price                        string
	Quantity                     int
	Images                       []string
	UpdatedAt                    time.Time
}

// Listings returns copies of every listing, by SKU.
func (s *Server) Listings() []Listing {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.processFeeds(s.now())
	out := make([]Listing, 0, len(s.listings))
	for _, l := range s.listings {
		out = append(out, Listing{SKU: l.sku, ASIN: l.asin, ProductType: l.productType, Name: l.name, Price: money(l.cents),
			Quantity: l.quantity, Images: slices.Clone(l.images), UpdatedAt: l.updated})
	}
	slices.SortFunc(out, func(a, b Listing) int { return strings.Compare(a.SKU, b.SKU) })
	return out
}

// FailSKU makes the next times patches of sku answer INVALID and feed
// messages for it get an ERROR issue.
func (s *Server) FailSKU(sku string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[sku] = times
}

// Wire shapes of listingsItems.json.
type (
	imageJSON struct {
		Link   string `json:"link"`
		Height int    `json:"height"`
		Width  int    `json:"width"`
	}
	summaryJSON struct {
		MarketplaceID   string     `json:"marketplaceId"`
		Asin            string     `json:"asin"`
		ProductType     string     `json:"productType"`
		ConditionType   string     `json:"conditionType"`
		Status          []string   `json:"status"`
		ItemName        string     `json:"itemName"`
		CreatedDate     string     `json:"createdDate"`
		LastUpdatedDate string     `json:"lastUpdatedDate"`
		MainImage       *imageJSON `json:"mainImage,omitempty"`
	}
	offerJSON struct {
		MarketplaceID string    `json:"marketplaceId"`
		OfferType     string    `json:"offerType"`
		Price         moneyJSON `json:"price"`
	}
	availabilityJSON struct {
		FulfillmentChannelCode string `json:"fulfillmentChannelCode"`
		Quantity               int    `json:"quantity"`
	}
	issueJSON struct {
		Code           string   `json:"code"`
		Message        string   `json:"message"`
		Severity       string   `json:"severity"`
		AttributeNames []string `json:"attributeNames,omitempty"`
		Categories     []string `json:"categories"`
	}
	itemJSON struct {
		SKU                     string             `json:"sku"`
		Summaries               []summaryJSON      `json:"summaries,omitempty"`
		Attributes              map[string]any     `json:"attributes,omitempty"`
		Issues                  []issueJSON        `json:"issues,omitempty"`
		Offers                  []offerJSON        `json:"offers,omitempty"`
		FulfillmentAvailability []availabilityJSON `json:"fulfillmentAvailability,omitempty"`
	}
	listingsPaginationJSON struct {
		NextToken     string `json:"nextToken,omitempty"`
		PreviousToken string `json:"previousToken,omitempty"`
	}
	searchListingsJSON struct {
		NumberOfResults int                     `json:"numberOfResults"`
		Pagination      *listingsPaginationJSON `json:"pagination,omitempty"`
		Items           []itemJSON              `json:"items"`
	}
	submissionJSON struct {
		SKU          string      `json:"sku"`
		Status       string      `json:"status"`
		SubmissionID string      `json:"submissionId"`
		Issues       []issueJSON `json:"issues"`
	}
)

func (s *Server) itemJSON(l *listing, included []string) itemJSON {
	m := s.opts.MarketplaceID
	out := itemJSON{SKU: l.sku}
	if slices.Contains(included, "summaries") {
		sum := summaryJSON{MarketplaceID: m, Asin: l.asin, ProductType: l.productType, ConditionType: "new_new",
			Status: []string{"BUYABLE", "DISCOVERABLE"}, ItemName: l.name, CreatedDate: iso(l.created), LastUpdatedDate: iso(l.updated)}
		if len(l.images) > 0 {
			sum.MainImage = &imageJSON{Link: l.images[0], Height: 1500, Width: 1500}
		}
		if l.quantity == 0 {
			sum.Status = []string{"DISCOVERABLE"}
		}
		out.Summaries = []summaryJSON{sum}
	}
	if slices.Contains(included, "attributes") {
		attrs := map[string]any{
			"item_name":      []map[string]any{{"value": l.name, "language_tag": "en_US", "marketplace_id": m}},
			"condition_type": []map[string]any{{"value": "new_new", "marketplace_id": m}},
			"purchasable_offer": []map[string]any{{"currency": "USD", "marketplace_id": m,
				"our_price": []map[string]any{{"schedule": []map[string]any{{"value_with_tax": float64(l.cents) / 100}}}}}},
			"fulfillment_availability": []map[string]any{l.availability()},
		}
		for k, img := range l.images {
			name := "main_product_image_locator"
			if k > 0 {
				name = fmt.Sprintf("other_product_image_locator_%d", k)
			}
			attrs[name] = []map[string]any{{"media_location": img, "marketplace_id": m}}
		}
		out.Attributes = attrs
	}
	if slices.Contains(included, "issues") {
		out.Issues = []issueJSON{}
	}
	if slices.Contains(included, "offers") {
		out.Offers = []offerJSON{{MarketplaceID: m, OfferType: "B2C", Price: moneyJSON{CurrencyCode: "USD", Amount: money(l.cents)}}}
	}
	if slices.Contains(included, "fulfillmentAvailability") {
		out.FulfillmentAvailability = []availabilityJSON{{FulfillmentChannelCode: "DEFAULT", Quantity: l.quantity}}
	}
	return out
}

func badRequest(w http.ResponseWriter, message string) {
	writeErrors(w, http.StatusBadRequest, "BAD_REQUEST", message, "")
}

// searchListings is GET /listings/2021-08-01/items/{sellerId}
// (searchListingsItems).
func (s *Server) searchListings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	markets := listParam(r, "marketplaceIds")
	if len(markets) == 0 {
		badRequest(w, "Missing required parameter marketplaceIds.")
		return
	}
	included := listParam(r, "includedData")
	if len(included) == 0 {
		included = []string{"summaries"}
	}
	for _, v := range included {
		if !slices.Contains(listingsIncludedData, v) {
			badRequest(w, fmt.Sprintf("Invalid includedData value %q.", v))
			return
		}
	}
	bounds := map[string]time.Time{}
	for _, name := range []string{"createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore"} {
		if v := q.Get(name); v != "" {
			t, ok := parseTime(v)
			if !ok {
				badRequest(w, fmt.Sprintf("%s is not an ISO 8601 date-time.", name))
				return
			}
			bounds[name] = t
		}
	}
	var ids []string
	if v := q.Get("identifiersType"); v != "" {
		if v != "SKU" {
			badRequest(w, "The simulator searches identifiers of type SKU only.")
			return
		}
		if ids = listParam(r, "identifiers"); len(ids) == 0 {
			badRequest(w, "identifiers is required with identifiersType.")
			return
		}
	}
	sortBy, order := q.Get("sortBy"), q.Get("sortOrder")
	if sortBy == "" {
		sortBy = "lastUpdatedDate"
	}
	if order == "" {
		order = "DESC"
	}
	if !slices.Contains([]string{"sku", "createdDate", "lastUpdatedDate"}, sortBy) || (order != "ASC" && order != "DESC") {
		badRequest(w, "Invalid sortBy or sortOrder.")
		return
	}
	size := listingsDefaultSize
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > listingsMaxPageSize {
			badRequest(w, fmt.Sprintf("pageSize must be between 1 and %d.", listingsMaxPageSize))
			return
		}
		size = n
	}
	query := strings.Join([]string{canonical(markets), q.Get("createdAfter"), q.Get("createdBefore"), q.Get("lastUpdatedAfter"),
		q.Get("lastUpdatedBefore"), canonical(ids), sortBy, order}, "|")

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var from *sortKey
	served := 0
	if tok := q.Get("pageToken"); tok != "" {
		t, msg := s.useToken(now, tok, OpSearchListingsItems, query)
		if t == nil {
			badRequest(w, msg)
			return
		}
		from, served = &t.after, t.served
	}
	key := func(l *listing) sortKey {
		switch sortBy {
		case "sku":
			return sortKey{s: l.sku}
		case "createdDate":
			return sortKey{t: l.created, s: l.sku}
		}
		return sortKey{t: l.updated, s: l.sku}
	}
	before := func(a, b sortKey) bool { // a comes before b in the requested order
		if order == "DESC" {
			return b.less(a)
		}
		return a.less(b)
	}
	in := func(t time.Time, after, before string) bool {
		if a, ok := bounds[after]; ok && t.Before(a) {
			return false
		}
		if b, ok := bounds[before]; ok && t.After(b) {
			return false
		}
		return true
	}
	var match []*listing
	total := 0
	if slices.Contains(markets, s.opts.MarketplaceID) {
		for _, l := range s.listings {
			if !in(l.created, "createdAfter", "createdBefore") || !in(l.updated, "lastUpdatedAfter", "lastUpdatedBefore") ||
				(len(ids) > 0 && !slices.Contains(ids, l.sku)) {
				continue
			}
			total++
			if from == nil || before(*from, key(l)) {
				match = append(match, l)
			}
		}
	}
	slices.SortFunc(match, func(a, b *listing) int {
		if before(key(a), key(b)) {
			return -1
		}
		return 1
	})
	page := match[:min(size, len(match), max(listingsSearchCap-served, 0))]
	resp := searchListingsJSON{NumberOfResults: total, Items: []itemJSON{}}
	for _, l := range page {
		resp.Items = append(resp.Items, s.itemJSON(l, included))
	}
	if len(match) > len(page) && served+len(page) < listingsSearchCap {
		tok := s.issueToken(now, pageToken{op: OpSearchListingsItems, query: query, after: key(page[len(page)-1]), served: served + len(page)}, s.opts.NextTokenTTL)
		resp.Pagination = &listingsPaginationJSON{NextToken: tok}
	}
	writeJSON(w, http.StatusOK, resp)
}

// patchRequest is ListingsItemPatchRequest.
type patchRequest struct {
	ProductType string      `json:"productType"`
	Patches     []patchJSON `json:"patches"`
}

// patchJSON is one PatchOperation, in a patch request or a feed message.
type patchJSON struct {
	Op    string            `json:"op"`
	Path  string            `json:"path"`
	Value []json.RawMessage `json:"value"`
}

// readPatches reads patches as patchListingsItem does: the DEFAULT
// quantity they set (-1: they set none), the ERROR issues of their
// values, or what makes them unusable as a whole (a 400 for
// patchListingsItem, an ERROR issue for a feed message).
func readPatches(patches []patchJSON) (quantity int, issues []issueJSON, unusable string) {
	p := readAvailability(patches)
	return p.quantity, p.issues, p.unusable
}

// availabilityPatch is what patches do to fulfillment_availability's
// DEFAULT entry.
type availabilityPatch struct {
	quantity int // -1: not set
	// replaced: the entry is replaced whole (add, replace), so fields its
	// value leaves out, such as the lead time, are dropped.
	replaced bool
	leadTime int // the value's lead_time_to_ship_max_days, 0 if none
	issues   []issueJSON
	unusable string
}

// apply applies the patch to l.
func (p availabilityPatch) apply(l *listing) {
	if p.quantity >= 0 {
		l.quantity = p.quantity
	}
	if p.replaced || p.leadTime > 0 {
		l.leadTime = p.leadTime
	}
}

func readAvailability(patches []patchJSON) (out availabilityPatch) {
	quantity := -1
	defer func() { out.quantity = quantity }()
	for _, p := range patches {
		name, ok := strings.CutPrefix(p.Path, "/attributes/")
		if !slices.Contains(patchOps, p.Op) || !ok || name == "" || strings.Contains(name, "/") {
			quantity = -1
			out.unusable = fmt.Sprintf("Invalid patch operation %q on %q: only top-level attributes can be patched.", p.Op, p.Path)
			return out
		}
		if name != "fulfillment_availability" {
			continue // accepted, not modelled
		}
		if p.Op == "delete" {
			quantity, out.replaced, out.leadTime = 0, true, 0
			continue
		}
		n, lead, msg := availability(p.Value)
		if msg != "" {
			out.issues = append(out.issues, issueJSON{Code: "90000900", Message: msg, Severity: "ERROR",
				AttributeNames: []string{"fulfillment_availability"}, Categories: []string{"INVALID_ATTRIBUTE"}})
			continue
		}
		if n >= 0 {
			quantity = n
			out.replaced, out.leadTime = p.Op != "merge", lead
		}
	}
	return out
}

// listingIssue is what keeps a patch of sku as productType from applying:
// an unknown SKU, a product type that is neither PRODUCT nor the
// listing's, or a FailSKU count (consumed unless preview). The caller
// holds s.mu.
func (s *Server) listingIssue(sku, productType string, preview bool) *issueJSON {
	l, ok := s.listings[sku]
	switch {
	case !ok:
		return &issueJSON{Code: "4000002", Message: fmt.Sprintf("SKU %q has no listing for this seller; it must be created before it can be patched.", sku), Severity: "ERROR", Categories: []string{}}
	case productType != "PRODUCT" && productType != l.productType:
		return &issueJSON{Code: "4000003", Message: fmt.Sprintf("Product type %s does not match the listing's product type %s.", productType, l.productType), Severity: "ERROR", Categories: []string{"INVALID_ATTRIBUTE"}}
	case s.fail[sku] > 0 && !preview:
		s.fail[sku]--
		return &issueJSON{Code: "90000900", Message: "The attributes are invalid.", Severity: "ERROR",
			AttributeNames: []string{"fulfillment_availability"}, Categories: []string{"INVALID_ATTRIBUTE"}}
	}
	return nil
}

// patchListing is PATCH /listings/2021-08-01/items/{sellerId}/{sku}
// (patchListingsItem).
func (s *Server) patchListing(w http.ResponseWriter, r *http.Request) {
	sku := r.PathValue("sku")
	markets := listParam(r, "marketplaceIds")
	if len(markets) == 0 {
		badRequest(w, "Missing required parameter marketplaceIds.")
		return
	}
	preview := false
	switch r.URL.Query().Get("mode") {
	case "":
	case "VALIDATION_PREVIEW":
		preview = true
	default:
		badRequest(w, "Invalid mode.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPatchBody))
	if err != nil {
		badRequest(w, "The request body is too large.")
		return
	}
	var req patchRequest
	if err := json.Unmarshal(body, &req); err != nil {
		badRequest(w, "The request body is not a valid ListingsItemPatchRequest.")
		return
	}
	if req.ProductType == "" || len(req.Patches) == 0 {
		badRequest(w, "productType and at least one patch are required.")
		return
	}
	patch := readAvailability(req.Patches)
	issues := patch.issues
	if patch.unusable != "" {
		badRequest(w, patch.unusable)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(markets, s.opts.MarketplaceID) {
		issues = append(issues, issueJSON{Code: "4000001", Message: fmt.Sprintf("The seller does not sell in marketplace %s.", strings.Join(markets, ",")), Severity: "ERROR", Categories: []string{}})
	} else if is := s.listingIssue(sku, req.ProductType, preview); is != nil {
		issues = append(issues, *is)
	}
	resp := submissionJSON{SKU: sku, SubmissionID: s.uuid(), Issues: []issueJSON{}}
	switch {
	case len(issues) > 0:
		resp.Status, resp.Issues = "INVALID", issues
		s.stats.Rejected++
	case preview:
		resp.Status = "VALID"
	default:
		resp.Status = "ACCEPTED"
		s.stats.Patched++
		l := s.listings[sku]
		patch.apply(l)
		s.touch(l)
	}
	writeJSON(w, http.StatusOK, resp)
}

// availability reads a fulfillment_availability value: the DEFAULT
// channel's quantity, -1 when the value names no DEFAULT channel, or a
// message saying what is wrong.
func availability(value []json.RawMessage) (n, leadTime int, msg string) {
	n = -1
	for _, raw := range value {
		var v struct {
			Code     *string          `json:"fulfillment_channel_code"`
			Quantity *json.RawMessage `json:"quantity"`
			LeadTime int              `json:"lead_time_to_ship_max_days"`
		}
		if err := json.Unmarshal(raw, &v); err != nil || v.Code == nil {
			return 0, 0, "fulfillment_availability entries need a fulfillment_channel_code."
		}
		if *v.Code != "DEFAULT" {
			continue // Amazon-fulfilled channels are Amazon's to count
		}
		var q int
		if v.Quantity == nil || json.Unmarshal(*v.Quantity, &q) != nil || q < 0 {
			return 0, 0, "The quantity of fulfillment channel DEFAULT must be a whole number, 0 or more."
		}
		n, leadTime = q, v.LeadTime
	}
	return n, leadTime, ""
}
