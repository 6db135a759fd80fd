package amazonsim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// inventoryPageSize is how many summaries getInventorySummaries returns a page.
const inventoryPageSize = 50

// fbaItem is one SKU's stock in Amazon's fulfillment network.
type fbaItem struct {
	sku, fnSku, asin, name string
	fulfillable            int
	inboundShipped         int
	reserved               int
	unfulfillable          int
	updated                time.Time
}

// fbaItemFor returns sku's FBA record, creating it. The caller holds s.mu.
func (s *Server) fbaItemFor(sku string) *fbaItem {
	if it, ok := s.fba[sku]; ok {
		return it
	}
	it := &fbaItem{sku: sku, fnSku: "X00" + strings.ToUpper(strconv.FormatUint(hash(sku)%(1<<40), 36)), name: sku}
	if l, ok := s.listings[sku]; ok {
		it.asin, it.name = l.asin, l.name
	}
	s.fba[sku] = it
	return it
}

// SetFBAQuantity sets the fulfillable FBA quantity of sku (adding it to
// FBA inventory), updated now.
func (s *Server) SetFBAQuantity(sku string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.fbaItemFor(sku)
	it.fulfillable = max(n, 0)
	it.updated = s.now().UTC().Truncate(time.Second)
}

// FBAQuantities returns the fulfillable quantity of every SKU Amazon holds.
func (s *Server) FBAQuantities() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.fba))
	for sku, it := range s.fba {
		out[sku] = it.fulfillable
	}
	return out
}

// Wire shapes of fbaInventory.json.
type (
	reservedJSON struct {
		TotalReservedQuantity        int `json:"totalReservedQuantity"`
		PendingCustomerOrderQuantity int `json:"pendingCustomerOrderQuantity"`
		PendingTransshipmentQuantity int `json:"pendingTransshipmentQuantity"`
		FcProcessingQuantity         int `json:"fcProcessingQuantity"`
	}
	researchingJSON struct {
		TotalResearchingQuantity     int   `json:"totalResearchingQuantity"`
		ResearchingQuantityBreakdown []any `json:"researchingQuantityBreakdown"`
	}
	unfulfillableJSON struct {
		TotalUnfulfillableQuantity int `json:"totalUnfulfillableQuantity"`
		CustomerDamagedQuantity    int `json:"customerDamagedQuantity"`
		WarehouseDamagedQuantity   int `json:"warehouseDamagedQuantity"`
		DistributorDamagedQuantity int `json:"distributorDamagedQuantity"`
		CarrierDamagedQuantity     int `json:"carrierDamagedQuantity"`
		DefectiveQuantity          int `json:"defectiveQuantity"`
		ExpiredQuantity            int `json:"expiredQuantity"`
	}
	inventoryDetailsJSON struct {
		FulfillableQuantity      int               `json:"fulfillableQuantity"`
		InboundWorkingQuantity   int               `json:"inboundWorkingQuantity"`
		InboundShippedQuantity   int               `json:"inboundShippedQuantity"`
		InboundReceivingQuantity int               `json:"inboundReceivingQuantity"`
		ReservedQuantity         reservedJSON      `json:"reservedQuantity"`
		ResearchingQuantity      researchingJSON   `json:"researchingQuantity"`
		UnfulfillableQuantity    unfulfillableJSON `json:"unfulfillableQuantity"`
	}
	inventorySummaryJSON struct {
		Asin             string                `json:"asin"`
		FnSku            string                `json:"fnSku"`
		SellerSku        string                `json:"sellerSku"`
		Condition        string                `json:"condition"`
		InventoryDetails *inventoryDetailsJSON `json:"inventoryDetails,omitempty"`
		LastUpdatedTime  string                `json:"lastUpdatedTime"`
		ProductName      string                `json:"productName"`
		TotalQuantity    int                   `json:"totalQuantity"`
		Stores           []string              `json:"stores"`
	}
	granularityJSON struct {
		GranularityType string `json:"granularityType"`
		GranularityID   string `json:"granularityId"`
	}
	inventoryPayloadJSON struct {
		Granularity        granularityJSON        `json:"granularity"`
		InventorySummaries []inventorySummaryJSON `json:"inventorySummaries"`
	}
	inventoryResponseJSON struct {
		Payload    inventoryPayloadJSON `json:"payload"`
		Pagination *paginationJSON      `json:"pagination,omitempty"`
	}
)

func (it *fbaItem) summary(details bool) inventorySummaryJSON {
	out := inventorySummaryJSON{
		Asin: it.asin, FnSku: it.fnSku, SellerSku: it.sku, Condition: "NewItem", LastUpdatedTime: iso(it.updated),
		ProductName: it.name, TotalQuantity: it.fulfillable + it.inboundShipped + it.reserved + it.unfulfillable, Stores: []string{},
	}
	if details {
		out.InventoryDetails = &inventoryDetailsJSON{
			FulfillableQuantity:    it.fulfillable,
			InboundShippedQuantity: it.inboundShipped,
			ReservedQuantity:       reservedJSON{TotalReservedQuantity: it.reserved, PendingCustomerOrderQuantity: it.reserved},
			ResearchingQuantity:    researchingJSON{ResearchingQuantityBreakdown: []any{}},
			UnfulfillableQuantity:  unfulfillableJSON{TotalUnfulfillableQuantity: it.unfulfillable, CustomerDamagedQuantity: it.unfulfillable},
		}
	}
	return out
}

// inventorySummaries is GET /fba/inventory/v1/summaries (fbaInventory.json).
func (s *Server) inventorySummaries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	details := false
	if v := q.Get("details"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			invalid(w, "details must be true or false.")
			return
		}
		details = b
	}
	if q.Get("granularityType") != "Marketplace" {
		invalid(w, "granularityType is required and must be Marketplace.")
		return
	}
	markets := listParam(r, "marketplaceIds")
	if len(markets) != 1 {
		invalid(w, "marketplaceIds is required and takes exactly one marketplace.")
		return
	}
	if q.Get("granularityId") != markets[0] {
		invalid(w, "granularityId must be the marketplace id.")
		return
	}
	if markets[0] != s.opts.MarketplaceID {
		invalid(w, fmt.Sprintf("The seller does not sell in marketplace %s.", markets[0]))
		return
	}
	var since time.Time
	if v := q.Get("startDateTime"); v != "" {
		t, ok := parseTime(v)
		if !ok {
			invalid(w, "startDateTime is not an ISO 8601 date-time.")
			return
		}
		since = t
	}
	skus := listParam(r, "sellerSkus")
	if len(skus) > 50 {
		invalid(w, "sellerSkus accepts at most 50 SKUs.")
		return
	}
	if len(skus) == 0 && q.Get("sellerSku") != "" {
		skus = []string{q.Get("sellerSku")}
	}
	if !since.IsZero() {
		skus = nil // ignored with startDateTime (the model's description)
	}
	query := strings.Join([]string{markets[0], q.Get("startDateTime"), canonical(skus)}, "|")

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var from *sortKey
	if tok := q.Get("nextToken"); tok != "" {
		t, msg := s.useToken(now, tok, OpGetInventorySummaries, query)
		if t == nil {
			invalid(w, msg)
			return
		}
		from = &t.after
	}
	var match []*fbaItem
	for _, it := range s.fba {
		if (len(skus) > 0 && !slices.Contains(skus, it.sku)) || (!since.IsZero() && it.updated.Before(since)) ||
			(from != nil && it.sku <= from.s) {
			continue
		}
		match = append(match, it)
	}
	slices.SortFunc(match, func(a, b *fbaItem) int { return strings.Compare(a.sku, b.sku) })
	page := match[:min(inventoryPageSize, len(match))]
	resp := inventoryResponseJSON{Payload: inventoryPayloadJSON{
		Granularity:        granularityJSON{GranularityType: "Marketplace", GranularityID: markets[0]},
		InventorySummaries: []inventorySummaryJSON{},
	}}
	for _, it := range page {
		resp.Payload.InventorySummaries = append(resp.Payload.InventorySummaries, it.summary(details))
	}
	if len(match) > len(page) {
		resp.Pagination = &paginationJSON{NextToken: s.issueToken(now, pageToken{op: OpGetInventorySummaries, query: query, after: sortKey{s: page[len(page)-1].sku}}, InventoryTokenTTL)}
	}
	writeJSON(w, http.StatusOK, resp)
}
