package etsysim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// listingIncludes are the associations getListingsByShop accepts.
var listingIncludes = []string{"Shipping", "Images", "Shop", "User", "Translations", "Inventory", "Videos"}

// includes reads a form-exploded array parameter (includes=A&includes=B),
// also accepting the comma-joined form (includes=A,B).
func includes(r *http.Request, allowed []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, v := range r.URL.Query()["includes"] {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if !slices.Contains(allowed, part) {
				return nil, &badParam{fmt.Sprintf("Invalid value for 'includes': %q is not one of %s", part, strings.Join(allowed, ", "))}
			}
			out[part] = true
		}
	}
	return out, nil
}

// listListings is getListingsByShop: the shop's listings in one state,
// newest first. sort_on and sort_order only work with search options, which
// this endpoint has none of, so they are checked and ignored.
func (s *Server) listListings(w http.ResponseWriter, r *http.Request) {
	if !s.checkShop(w, r) {
		return
	}
	state, err := queryEnum(r, "state", "active", "active", "inactive", "sold_out", "draft", "expired")
	var limit, offset int64
	if err == nil {
		limit, err = queryInt(r, "limit", 25, 1, 100)
	}
	if err == nil {
		offset, err = queryInt(r, "offset", 0, 0, 1<<31)
	}
	if err == nil {
		_, err = queryEnum(r, "sort_on", "created", "created", "price", "updated", "score")
	}
	if err == nil {
		_, err = queryEnum(r, "sort_order", "desc", "asc", "ascending", "desc", "descending", "up", "down")
	}
	var inc map[string]bool
	if err == nil {
		inc, err = includes(r, listingIncludes)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.RLock()
	var matched []*listing
	for _, l := range s.st.listings {
		if l.state == state {
			matched = append(matched, l)
		}
	}
	slices.SortStableFunc(matched, func(a, b *listing) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return compareInt64(b.id, a.id)
	})
	results := []jsonListing{}
	for i := offset; i < int64(len(matched)) && i < offset+limit; i++ {
		results = append(results, s.st.listingJSON(matched[i], inc["Images"], inc["Inventory"]))
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"count": len(matched), "results": results})
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Server) listingFor(w http.ResponseWriter, r *http.Request) *listing {
	id, err := strconv.ParseInt(r.PathValue("listing_id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusBadRequest, "Expected int value for 'listing_id'")
		return nil
	}
	l, ok := s.st.byID[id]
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Could not find a listing with listing_id %d", id))
		return nil
	}
	return l
}

// getInventory is getListingInventory.
func (s *Server) getInventory(w http.ResponseWriter, r *http.Request) {
	if _, err := queryBool(r, "show_deleted"); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	inc, err := includes(r, []string{"Listing"})
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.listingFor(w, r)
	if l == nil {
		return
	}
	out := struct {
		*jsonInventory
		Listing *jsonListing `json:"listing,omitempty"`
	}{jsonInventory: s.st.inventoryJSON(l)}
	if inc["Listing"] {
		j := s.st.listingJSON(l, false, false)
		out.Listing = &j
	}
	writeJSON(w, http.StatusOK, out)
}

// putInventory is updateListingInventory: it validates the whole body
// against the request schema and Etsy's rules, then replaces the listing's
// inventory with exactly what was sent, under new product and offering ids.
func (s *Server) putInventory(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.reject(w, "The request body could not be read")
		return
	}
	var body any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		s.reject(w, "The request body is not valid JSON")
		return
	}
	// Etsy's own wording first for what it is known to refuse, then the
	// published schema for everything it requires (readiness_state_id).
	req, err := parseInventoryRequest(body)
	if err == nil {
		err = checkJSONBody(opUpdateListingInventory, raw)
	}
	if err != nil {
		s.reject(w, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.listingFor(w, r)
	if l == nil {
		return
	}
	if err := req.check(); err != nil {
		s.reject(w, err.Error())
		return
	}
	for _, p := range req.products {
		n := s.st.failSKU[p.sku]
		if n <= 0 || p.sku == "" {
			continue
		}
		if old := l.product(p.sku); old != nil && len(old.offerings) > 0 && old.offerings[0].quantity == p.offerings[0].quantity {
			continue
		}
		if n == 1 {
			delete(s.st.failSKU, p.sku)
		} else {
			s.st.failSKU[p.sku] = n - 1
		}
		s.reject(w, fmt.Sprintf("Unable to update the inventory of the product with SKU %s", p.sku))
		return
	}
	inv := inventory{priceOn: req.priceOn, qtyOn: req.qtyOn, skuOn: req.skuOn, readinessOn: req.readinessOn}
	for _, p := range req.products {
		np := &product{id: s.st.id(), sku: p.sku, props: p.props}
		for _, o := range p.offerings {
			np.offerings = append(np.offerings, &offering{id: s.st.id(), amount: o.amount, quantity: o.quantity, enabled: o.enabled, readiness: o.readiness})
		}
		inv.products = append(inv.products, np)
	}
	l.inv = inv
	l.updated = s.now().UTC().Truncate(time.Second)
	s.ctl.Lock()
	s.stats.InventoryUpdates++
	s.ctl.Unlock()
	writeJSON(w, http.StatusOK, s.st.inventoryJSON(l))
}

func (s *Server) reject(w http.ResponseWriter, msg string) {
	s.ctl.Lock()
	s.stats.InventoryRejected++
	s.ctl.Unlock()
	writeError(w, http.StatusBadRequest, msg)
}

type reqOffering struct {
	amount    int64
	quantity  int
	enabled   bool
	readiness *int64
}

type reqProduct struct {
	sku       string
	props     []propValue
	offerings []reqOffering
}

type inventoryRequest struct {
	products                           []reqProduct
	priceOn, qtyOn, skuOn, readinessOn []int64
}

// Offering limits: quantity 0–999 (etsy/open-api#214); price from the
// minimum Etsy takes in USD to the maximum it reports (#459).
const (
	maxOfferingQuantity = 999
	minPriceCents       = 20
	maxPriceCents       = 50_000_00
)

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NULL"
	case map[string]any:
		return "array"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	}
	return "unknown"
}

func problem(path, msg string) error {
	return fmt.Errorf("There was a problem with %s : %s", path, msg)
}

func onlyKeys(obj map[string]any, path string, allowed ...string) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return problem(path, fmt.Sprintf("unexpected key '%s'", k))
		}
	}
	return nil
}

func intOf(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil
}

func intList(v any, path string, positive bool) ([]int64, error) {
	if v == nil {
		return []int64{}, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, problem(path, "must be an array of integers")
	}
	out := make([]int64, 0, len(arr))
	for i, x := range arr {
		n, ok := intOf(x)
		if !ok || positive && n < 1 {
			return nil, problem(fmt.Sprintf("%s/%d", path, i), "must be a positive integer")
		}
		out = append(out, n)
	}
	return out, nil
}

// parseInventoryRequest checks the body against updateListingInventory's
// request schema: required fields, types, and no keys the schema lacks.
func parseInventoryRequest(body any) (*inventoryRequest, error) {
	top, ok := body.(map[string]any)
	if !ok {
		return nil, errors.New("Expected a JSON object")
	}
	if err := onlyKeys(top, "/", "products", "price_on_property", "quantity_on_property", "sku_on_property", "readiness_state_on_property"); err != nil {
		return nil, err
	}
	req := &inventoryRequest{}
	var err error
	if req.priceOn, err = intList(top["price_on_property"], "/price_on_property", true); err != nil {
		return nil, err
	}
	if req.qtyOn, err = intList(top["quantity_on_property"], "/quantity_on_property", true); err != nil {
		return nil, err
	}
	if req.skuOn, err = intList(top["sku_on_property"], "/sku_on_property", true); err != nil {
		return nil, err
	}
	if req.readinessOn, err = intList(top["readiness_state_on_property"], "/readiness_state_on_property", true); err != nil {
		return nil, err
	}
	raw, present := top["products"]
	if !present || raw == nil {
		return nil, errors.New("Missing input parameter: [products]")
	}
	products, ok := raw.([]any)
	if !ok {
		return nil, problem("/products", "must be an array")
	}
	if len(products) == 0 {
		return nil, problem("/products", "cannot be empty")
	}
	for i, rp := range products {
		path := fmt.Sprintf("/products/%d", i)
		pm, ok := rp.(map[string]any)
		if !ok {
			return nil, problem(path, "must be an object")
		}
		if err := onlyKeys(pm, path, "sku", "property_values", "offerings"); err != nil {
			return nil, err
		}
		var p reqProduct
		switch v := pm["sku"].(type) {
		case nil:
		case string:
			p.sku = v
		default:
			return nil, problem(path+"/sku", "must be a string")
		}
		if pvs, present := pm["property_values"]; present && pvs != nil {
			arr, ok := pvs.([]any)
			if !ok {
				return nil, problem(path+"/property_values", "must be an array")
			}
			for j, rv := range arr {
				pv, err := parsePropValue(rv, fmt.Sprintf("%s/property_values/%d", path, j))
				if err != nil {
					return nil, err
				}
				p.props = append(p.props, pv)
			}
		}
		ro, present := pm["offerings"]
		if !present || ro == nil {
			return nil, fmt.Errorf("Missing input parameter: [offerings] in %s", path)
		}
		offs, ok := ro.([]any)
		if !ok || len(offs) == 0 {
			return nil, problem(path+"/offerings", "must be a non-empty array")
		}
		for j, x := range offs {
			o, err := parseOffering(x, fmt.Sprintf("%s/offerings/%d", path, j))
			if err != nil {
				return nil, err
			}
			p.offerings = append(p.offerings, o)
		}
		req.products = append(req.products, p)
	}
	return req, nil
}

func parsePropValue(v any, path string) (propValue, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return propValue{}, problem(path, "must be an object")
	}
	// scale_name is in getListingInventory's answer but not in this
	// request's schema, and Etsy refuses it (etsy/open-api#159).
	if err := onlyKeys(m, path, "property_id", "value_ids", "scale_id", "property_name", "values"); err != nil {
		return propValue{}, err
	}
	var pv propValue
	id, ok := intOf(m["property_id"])
	if !ok || id < 1 {
		return pv, problem(path+"/property_id", "is required and must be a positive integer")
	}
	pv.propertyID = id
	if _, present := m["value_ids"]; !present {
		return pv, problem(path+"/value_ids", "is required")
	}
	ids, err := intList(m["value_ids"], path+"/value_ids", true)
	if err != nil {
		return pv, err
	}
	pv.valueIDs = ids
	rawValues, present := m["values"]
	arr, ok := rawValues.([]any)
	if !present || !ok {
		return pv, problem(path+"/values", "is required and must be an array of strings")
	}
	for k, x := range arr {
		s, ok := x.(string)
		if !ok {
			return pv, problem(fmt.Sprintf("%s/values/%d", path, k), "must be a string")
		}
		if strings.ContainsAny(s, "()") {
			return pv, problem(fmt.Sprintf("%s/values/%d", path, k), "cannot contain parentheses")
		}
		pv.values = append(pv.values, s)
	}
	switch sv := m["scale_id"].(type) {
	case nil:
	case json.Number:
		n, ok := intOf(sv)
		if !ok || n < 1 {
			return pv, problem(path+"/scale_id", "must be a positive integer or null")
		}
		pv.scaleID = &n
		name := scaleNames[n]
		pv.scaleName = &name
	default:
		return pv, problem(path+"/scale_id", "must be a positive integer or null")
	}
	switch nv := m["property_name"].(type) {
	case nil:
	case string:
		pv.propertyName = nv
	default:
		return pv, problem(path+"/property_name", "must be a string")
	}
	return pv, nil
}

// scaleNames name the scales the simulator knows.
var scaleNames = map[int64]string{scaleUSSizes: "US/Canada"}

func parseOffering(v any, path string) (reqOffering, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return reqOffering{}, problem(path, "must be an object")
	}
	if err := onlyKeys(m, path, "price", "quantity", "is_enabled", "readiness_state_id"); err != nil {
		return reqOffering{}, err
	}
	var o reqOffering
	n, ok := m["price"].(json.Number)
	if !ok {
		return o, fmt.Errorf("Expected float value for 'price' (got %s).", typeName(m["price"]))
	}
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return o, fmt.Errorf("Expected float value for 'price' (got %s).", string(n))
	}
	cents := new(big.Rat).Mul(r, big.NewRat(100, 1))
	if !cents.IsInt() {
		return o, problem(path+"/price", "must have at most 2 decimal places")
	}
	if cents.Cmp(big.NewRat(minPriceCents, 1)) < 0 {
		return o, problem(path+"/price", "must be above min price $0.20 USD")
	}
	if cents.Cmp(big.NewRat(maxPriceCents, 1)) > 0 {
		return o, problem(path+"/price", "must be below max price $50,000.00 USD")
	}
	o.amount = cents.Num().Int64()
	q, ok := intOf(m["quantity"])
	if !ok {
		return o, fmt.Errorf("Expected int value for 'quantity' (got %s).", typeName(m["quantity"]))
	}
	if q < 0 || q > maxOfferingQuantity {
		return o, problem(path+"/quantity", "must be between 0 and 999")
	}
	o.quantity = int(q)
	e, ok := m["is_enabled"].(bool)
	if !ok {
		return o, fmt.Errorf("Expected boolean value for 'is_enabled' (got %s).", typeName(m["is_enabled"]))
	}
	o.enabled = e
	// Required by the schema (checked before), null allowed.
	if rv := m["readiness_state_id"]; rv != nil {
		n, ok := intOf(rv)
		if !ok || n < 1 {
			return o, problem(path+"/readiness_state_id", "must be a positive integer or null")
		}
		o.readiness = &n
	}
	return o, nil
}

// check applies Etsy's rules across products: every product has the same
// properties and a distinct combination of their values; what does not
// vary by a property (*_on_property) is the same for every product; and
// the listing keeps at least one enabled offering in stock.
func (req *inventoryRequest) check() error {
	var props []int64
	for i, p := range req.products {
		var ids []int64
		for _, pv := range p.props {
			ids = append(ids, pv.propertyID)
		}
		slices.Sort(ids)
		if i == 0 {
			props = ids
		} else if !slices.Equal(ids, props) {
			return problem(fmt.Sprintf("/products/%d/property_values", i), "must name the same properties as the other products")
		}
	}
	if len(req.products) > 1 && len(props) == 0 {
		return errors.New("Property values can't be empty")
	}
	for _, on := range [][]int64{req.priceOn, req.qtyOn, req.skuOn, req.readinessOn} {
		for _, id := range on {
			if !slices.Contains(props, id) {
				return fmt.Errorf("Property %d in *_on_property is not a property of the products", id)
			}
		}
	}
	combos := map[string]int{}
	for i, p := range req.products {
		k := valueKey(p.props, props)
		if j, dup := combos[k]; dup {
			return fmt.Errorf("Products %d and %d have the same property values", j, i)
		}
		combos[k] = i
	}
	type rule struct {
		name string
		on   []int64
		val  func(p reqProduct) string
	}
	rules := []rule{
		{"price", req.priceOn, func(p reqProduct) string { return strconv.FormatInt(p.offerings[0].amount, 10) }},
		{"quantity", req.qtyOn, func(p reqProduct) string { return strconv.Itoa(p.offerings[0].quantity) }},
		{"sku", req.skuOn, func(p reqProduct) string { return p.sku }},
	}
	for _, ru := range rules {
		seen := map[string]string{}
		for _, p := range req.products {
			k := valueKey(p.props, ru.on)
			v := ru.val(p)
			if have, ok := seen[k]; ok && have != v {
				return fmt.Errorf("The %s of products must be the same unless it varies by a property in %s_on_property", ru.name, ru.name)
			}
			seen[k] = v
		}
	}
	for _, p := range req.products {
		for _, o := range p.offerings {
			if o.enabled && o.quantity > 0 {
				return nil
			}
		}
	}
	return errors.New("one offering must have greater than zero inventory")
}

// valueKey is props' value ids for the properties on: products with
// equal keys have the same values of those properties.
func valueKey(props []propValue, on []int64) string {
	var b strings.Builder
	for _, id := range on {
		for _, pv := range props {
			if pv.propertyID == id {
				fmt.Fprint(&b, id, "=", pv.valueIDs, ";")
			}
		}
	}
	return b.String()
}

// updateListing changes a listing's state (PATCH, form encoded, the body
// checked against the published schema). Only state is applied; the other
// fields the schema allows are accepted and ignored. Etsy does not show an
// active listing with nothing to sell, so activating one whose enabled
// offerings are all at 0 is refused, except a sold_out one, which Etsy
// renews with quantity 1 (see renew). Making a sold_out listing inactive
// is taken: neither the spec nor any report says Etsy refuses it.
func (s *Server) updateListing(w http.ResponseWriter, r *http.Request) {
	if !s.checkShop(w, r) {
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		s.refuseState(w, http.StatusBadRequest, "updateListing takes an application/x-www-form-urlencoded body")
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.refuseState(w, http.StatusBadRequest, "The request body could not be read")
		return
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		s.refuseState(w, http.StatusBadRequest, "The request body is not form encoded")
		return
	}
	fields, err := checkFormBody(opUpdateListing, form)
	if err != nil {
		s.refuseState(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.listingFor(w, r)
	if l == nil {
		return
	}
	if state, ok := fields["state"].(string); ok && state != l.state {
		switch {
		case state == stateActive && l.state == stateSoldOut:
			l.renew()
		case state == stateActive && l.quantity() == 0:
			s.refuseState(w, http.StatusBadRequest, fmt.Sprintf("Listing %d has no quantity to sell and cannot be active", l.id))
			return
		}
		l.state = state
		l.updated = s.now().UTC().Truncate(time.Second)
		s.ctl.Lock()
		s.stats.StateChanges++
		s.ctl.Unlock()
	}
	writeJSON(w, http.StatusOK, s.st.listingJSON(l, false, false))
}

func (s *Server) refuseState(w http.ResponseWriter, status int, msg string) {
	s.ctl.Lock()
	s.stats.StateRejected++
	s.ctl.Unlock()
	writeError(w, status, msg)
}

// Listing states (getListingsByShop's state enum).
const (
	stateActive  = "active"
	stateSoldOut = "sold_out"
)

// renew is what activating a sold_out listing does to its inventory. The
// published spec says of updateListing's state: "Setting a sold_out
// listing to active will update the quantity to 1". It does not say
// whether stock written to the listing while it was sold out is kept, so
// the simulator takes the harsher reading: the listing's quantity becomes
// 1 whatever its offerings held. The first enabled offering's product
// takes it, with the products that share its quantity (quantity not
// varying by their property values); every other offering goes to 0.
func (l *listing) renew() {
	var first *product
	for _, p := range l.inv.products {
		for _, o := range p.offerings {
			if o.enabled && first == nil {
				first = p
			}
		}
	}
	if first == nil {
		if len(l.inv.products) == 0 || len(l.inv.products[0].offerings) == 0 {
			return
		}
		first = l.inv.products[0]
		first.offerings[0].enabled = true
	}
	// Products with first's values of the properties quantity varies by
	// share its quantity.
	key := valueKey(first.props, l.inv.qtyOn)
	for _, p := range l.inv.products {
		q := 0
		if valueKey(p.props, l.inv.qtyOn) == key {
			q = 1
		}
		for i, o := range p.offerings {
			o.quantity = 0
			if i == 0 && q == 1 {
				o.quantity = 1
			}
		}
	}
}
