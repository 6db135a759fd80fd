package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/autosync/autosync/shared/catalog"
)

// TestPutSyncEnabledRequired: an entry without "enabled" was saved as
// false, silently turning the task off; like a missing task it is refused,
// listed in details, and nothing changes.
func TestPutSyncEnabledRequired(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot(acctA)
	body := `{"tasks":[{"channel_id":"` + f.a2 + `","task":"import_products","enabled":false},{"channel_id":"` + f.a1 + `","task":"import_orders"},{"channel_id":"` + f.a1 + `","task":"import_products","enabled":null}]}`
	rec := f.serve(req{method: "PUT", path: "/v1/sync", token: f.merchant(acctA), body: body})
	e := checkErr(t, rec, http.StatusUnprocessableEntity, "invalid")
	ps := decodeDetails(t, e)
	if len(ps) != 2 {
		t.Fatalf("details %+v, want entries 1 and 2", ps)
	}
	for i, p := range ps {
		if p.Index == nil || *p.Index != i+1 || p.ChannelID != f.a1 || p.Field != "enabled" || p.Message == "" {
			t.Errorf("detail %d: %+v", i, p)
		}
	}
	if ps[0].Task != string(catalog.ImportOrders) {
		t.Errorf("detail 0 task %q", ps[0].Task)
	}
	f.assertUnchanged(before, acctA, "PUT /v1/sync without enabled")
	if _, ok := f.schedulesOf(acctA)[f.a1+"/"+string(catalog.ImportOrders)]; !ok {
		t.Fatal("the ticked task lost its schedule")
	}
}

// TestTruncatedBody: a body that ends before its Content-Length (the
// client hung up) is the client's problem: 400, no ERROR log.
func TestTruncatedBody(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot(acctA)
	for _, path := range []string{"/v1/sync", "/v1/channels/" + f.a1 + "/credentials"} {
		r := httptest.NewRequest("PUT", path, io.MultiReader(strings.NewReader(`{"tasks":[{"chan`), iotest.ErrReader(io.ErrUnexpectedEOF)))
		r.Header.Set("Authorization", "Bearer "+f.merchant(acctA))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, r)
		checkErr(t, rec, http.StatusBadRequest, "malformed")
	}
	if strings.Contains(f.logs.String(), `"level":"ERROR"`) {
		t.Errorf("a truncated body logged an error:\n%s", f.logs)
	}
	f.assertUnchanged(before, acctA, "truncated bodies")
}

// TestHostileIDs: oversized, non-UTF-8 or control-character ids in a path
// or body are refused with a 4xx naming the field; they never reach the
// store (where they were a 500).
func TestHostileIDs(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("w", 2000)
	huge := strings.Repeat("a", 3000)
	admin := func(acct, ch string) string { return "/v1/admin/accounts/" + acct + "/channels/" + ch }
	cases := []struct {
		name, method, path, body string
		admin                    bool
		status                   int
	}{
		{"inventory long warehouse", "PUT", "/v1/products/SKU-1/inventory", `{"warehouse_id":"` + long + `","on_hand":3}`, false, 422},
		{"inventory control warehouse", "PUT", "/v1/products/SKU-1/inventory", `{"warehouse_id":"wh\u0000","on_hand":3}`, false, 422},
		{"inventory odd sku", "PUT", "/v1/products/%ff/inventory", `{"on_hand":3}`, false, 404},
		{"inventory huge sku", "PUT", "/v1/products/" + huge + "/inventory", `{"on_hand":3}`, false, 404},
		{"statuses odd account", "PUT", admin("%ff", f.a1) + "/order-statuses", `{"statuses":[]}`, true, 404},
		{"statuses huge account", "PUT", admin(huge, f.a1) + "/order-statuses", `{"statuses":[]}`, true, 404},
		{"statuses odd channel", "PUT", admin(acctA, "%ff") + "/order-statuses", `{"statuses":[]}`, true, 404},
		{"statuses huge channel", "PUT", admin(acctA, huge) + "/order-statuses", `{"statuses":[]}`, true, 404},
		{"statuses huge status", "PUT", admin(acctA, f.a1) + "/order-statuses", `{"statuses":["` + huge + `"]}`, true, 422},
		{"policy odd account", "PUT", admin("%ff", f.a1) + "/inventory-policy", `{"warehouses":[]}`, true, 404},
		{"policy huge account", "PUT", admin(huge, f.a1) + "/inventory-policy", `{"warehouses":[]}`, true, 404},
		{"policy odd channel", "PUT", admin(acctA, "%ff") + "/inventory-policy", `{"warehouses":[]}`, true, 404},
		{"policy huge channel", "PUT", admin(acctA, huge) + "/inventory-policy", `{"warehouses":[]}`, true, 404},
		{"policy huge warehouse", "PUT", admin(acctA, f.a1) + "/inventory-policy", `{"warehouses":["` + huge + `"]}`, true, 422},
		{"policy control warehouse", "PUT", admin(acctA, f.a1) + "/inventory-policy", `{"warehouses":["a\nb"]}`, true, 422},
		{"interval padded account", "PUT", admin("%20acct-a%20", f.a1) + "/tasks/import_orders/interval", `{"interval":"1h"}`, true, 404},
		{"runs huge channel filter", "GET", "/v1/sync/runs?channel_id=" + huge, "", false, 422},
		{"channel control name", "POST", "/v1/channels", mustJSON(shopifyBody("Shop\x00\x1b[2J", "t")), false, 422},
		{"channel newline name", "POST", "/v1/channels", mustJSON(shopifyBody("Shop\nTwo", "t")), false, 422},
		{"channel huge config key", "POST", "/v1/channels", `{"type":"shopify","name":"n","config":{"shop":"x.myshopify.com","` + huge + `":"v"},"credentials":{"access_token":"t"}}`, false, 422},
		{"channel huge credential", "POST", "/v1/channels", `{"type":"shopify","name":"n","config":{"shop":"x.myshopify.com"},"credentials":{"access_token":"t","x":"` + strings.Repeat("v", 600_000) + `"}}`, false, 422},
		{"channel token with a header in it", "POST", "/v1/channels", mustJSON(shopifyBody("n", "t\r\nX-Injected: 1")), false, 422},
		{"credentials control token", "PUT", "/v1/channels/" + f.a1 + "/credentials", `{"credentials":{"access_token":"t\u0000"}}`, false, 422},
		{"credentials huge extra", "PUT", "/v1/channels/" + f.a1 + "/credentials", `{"credentials":{"access_token":"t","x":"` + strings.Repeat("v", 600_000) + `"}}`, false, 422},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.snapshot(acctA)
			tok := f.merchant(acctA)
			if c.admin {
				tok = f.admin()
			}
			rec := f.serve(req{method: c.method, path: c.path, token: tok, body: c.body})
			e := checkErr(t, rec, c.status, "")
			if c.status == 422 && !strings.Contains(rec.Body.String(), `"field"`) && !strings.Contains(e.Message, "_id") {
				t.Errorf("422 without the field named: %s", rec.Body)
			}
			f.assertUnchanged(before, acctA, c.name)
		})
	}
	if strings.Contains(f.logs.String(), `"level":"ERROR"`) {
		t.Errorf("hostile ids logged errors:\n%s", f.logs)
	}
}

// A number where a whole number belongs says so: "expected a number, got
// number 1e3" told the caller nothing.
func TestWholeNumberFieldSaysWhole(t *testing.T) {
	f := newFixture(t)
	for _, body := range []string{`{"warehouse_id":"wh_default","on_hand":1e3}`, `{"warehouse_id":"wh_default","on_hand":2.5}`} {
		before := f.snapshot(acctA)
		rec := f.serve(req{method: "PUT", path: "/v1/products/SKU-1/inventory", token: f.merchant(acctA), body: body})
		e := checkErr(t, rec, http.StatusBadRequest, "malformed")
		if !strings.Contains(e.Message, "whole number") {
			t.Errorf("%s: %q does not ask for a whole number", body, e.Message)
		}
		f.assertUnchanged(before, acctA, body)
	}
}
