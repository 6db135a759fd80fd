package etsysim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// The embedded request schemas are the published ones, unchanged.
func TestRequestSchemasArePublished(t *testing.T) {
	raw, err := os.ReadFile("../../cart/etsy/testdata/etsy_openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			RequestBody struct {
				Content map[string]struct {
					Schema any `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	for _, ops := range spec.Paths {
		for _, op := range ops {
			switch op.OperationID {
			case opUpdateListingInventory:
				want[op.OperationID] = op.RequestBody.Content["application/json"].Schema
			case opUpdateListing:
				want[op.OperationID] = op.RequestBody.Content["application/x-www-form-urlencoded"].Schema
			}
		}
	}
	var got map[string]any
	if err := json.Unmarshal(requestSchemas, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		if os.Getenv("UPDATE_SCHEMAS") != "" {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", " ")
			if err := enc.Encode(want); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile("request_schemas.json", b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatal("request_schemas.json differs from the published document; run with UPDATE_SCHEMAS=1")
	}
}

func patchState(t *testing.T, s *Server, id, body, contentType string) answer {
	t.Helper()
	return call(t, s, "PATCH", shopPath(s, "/listings/"+id), body, map[string]string{"Content-Type": contentType})
}

const formType = "application/x-www-form-urlencoded"

func TestUpdateListingState(t *testing.T) {
	s := New(Options{QPS: 1000, SKUs: []string{"CAP", "MUG-BLUE", "MUG-RED", "MUG-GREEN"}})
	var mug Listing
	for _, l := range s.Listings() {
		if len(l.SKUs) > 1 {
			mug = l
		}
	}
	if mug.ID == "" {
		t.Fatal("no listing of several SKUs")
	}
	refused := []struct{ name, body, ctype, want string }{
		{"state outside the enum", "state=draft", formType, "/state"},
		{"unknown field", "state=inactive&colour=red", formType, "unexpected key 'colour'"},
		{"wrong type", "state=inactive&is_taxable=maybe", formType, "/is_taxable"},
		{"JSON body", `{"state":"inactive"}`, "application/json", "form-urlencoded"},
	}
	for _, tt := range refused {
		a := patchState(t, s, mug.ID, tt.body, tt.ctype)
		if a.status != 400 || !strings.Contains(a.body, tt.want) {
			t.Errorf("%s: %d %s; want 400 saying %q", tt.name, a.status, a.body, tt.want)
		}
		var e map[string]any
		if json.Unmarshal([]byte(a.body), &e) != nil || e["error"] == nil {
			t.Errorf("%s: %s is not Etsy's error shape", tt.name, a.body)
		}
	}
	if got := s.Listings(); got[0].State != "active" && got[1].State != "active" {
		t.Fatal("a refused update changed a state")
	}

	if a := patchState(t, s, mug.ID, "state=inactive", formType); a.status != 200 || !strings.Contains(a.body, `"state":"inactive"`) {
		t.Fatalf("deactivate: %d %s", a.status, a.body)
	}
	if _, ok := s.Quantities()["MUG-BLUE"]; ok {
		t.Error("an inactive listing's SKU is still offered")
	}
	// An inactive listing does not sell.
	if _, err := s.PlaceOrder([]cart.Line{{SKU: "MUG-RED", Quantity: 1}}); !errors.Is(err, ErrNotOffered) {
		t.Errorf("order against an inactive listing: %v", err)
	}
	if id := s.CreateOrder([]cart.Line{{SKU: "MUG-BLUE", Quantity: 1}}); id != "" {
		t.Errorf("CreateOrder sold from an inactive listing: %s", id)
	}
	if _, err := s.PlaceOrder([]cart.Line{{SKU: "CAP", Quantity: 1}}); err != nil {
		t.Errorf("order against an active listing: %v", err)
	}
	if a := patchState(t, s, mug.ID, "state=active", formType); a.status != 200 || !strings.Contains(a.body, `"state":"active"`) {
		t.Fatalf("activate: %d %s", a.status, a.body)
	}
	if _, err := s.PlaceOrder([]cart.Line{{SKU: "MUG-RED", Quantity: 1}}); err != nil {
		t.Errorf("order after reactivation: %v", err)
	}
	// A listing with nothing to sell cannot be made active.
	for _, sku := range mug.SKUs {
		s.SetQuantity(sku, 0)
	}
	patchState(t, s, mug.ID, "state=inactive", formType)
	if a := patchState(t, s, mug.ID, "state=active", formType); a.status != 400 || !strings.Contains(a.body, "cannot be active") {
		t.Errorf("activate with no stock: %d %s", a.status, a.body)
	}
	if st := s.Stats(); st.StateChanges != 3 || st.StateRejected != len(refused)+1 {
		t.Errorf("stats %+v", st)
	}
	if a := patchState(t, s, "1", "state=inactive", formType); a.status != 404 {
		t.Errorf("unknown listing: %d", a.status)
	}
}

// FuzzCheckFormBody: any form either is refused or is one the published
// schema allows (state, when given, active or inactive).
func FuzzCheckFormBody(f *testing.F) {
	f.Add("state=inactive")
	f.Add("state=active&tags=a,b&is_taxable=true&item_weight=1.5")
	f.Add("state=draft")
	f.Add("image_ids=1,x")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		fields, err := checkFormBody(opUpdateListing, form)
		if err != nil {
			return
		}
		if s, ok := fields["state"]; ok && s != "active" && s != "inactive" {
			t.Fatalf("state %v accepted", s)
		}
	})
}
