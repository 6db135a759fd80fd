package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/inventory"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

type previewJSON struct {
	ChannelID string `json:"channel_id"`
	Live      struct {
		Attempted bool
		Complete  bool
		Read      int
		Message   string
	}
	Summary struct {
		Linked    int
		Changes   int
		Unchanged int
		Drift     int
		Complete  bool
		Largest   []previewItemJSON `json:"largest_changes"`
	}
	Items      []previewItemJSON
	NextCursor *string `json:"next_cursor"`
}

type previewItemJSON struct {
	SKU          string
	CartQuantity *int       `json:"cart_quantity"`
	CartSource   string     `json:"cart_source"`
	SeenAt       *time.Time `json:"seen_at"`
	Target       int
	WillWrite    bool `json:"will_write"`
	Changes      bool
	Delta        int
	Drift        bool
}

// previewChannel connects a Shopify channel served by a simulator whose
// catalog has SKUs P-00..P-(n-1) with quantity i, imports them, and sets
// our on-hand stock of every third SKU to 100.
func previewChannel(t *testing.T, e *env, account string, n int) (string, *shopifysim.Server) {
	t.Helper()
	const tok = "shpat_preview_" + secretToken
	sim := shopifysim.New(shopifysim.Options{AccessToken: tok, SKUs: []string{}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	var ch channelJSON
	e.call("POST", "/v1/channels", e.merchant(account), map[string]any{"type": "shopify", "name": "Preview",
		"config": map[string]string{"shop": "x.myshopify.com", "api_base": srv.URL}, "credentials": map[string]string{"access_token": tok}},
		http.StatusCreated, &ch)
	ctx := context.Background()
	for i := range n {
		sku := fmt.Sprintf("P-%02d", i)
		sim.AddProduct(shopifysim.NewProduct{Title: sku, Variants: []shopifysim.NewVariant{{SKU: sku, Available: i}}})
		q := i
		if _, err := e.app.Inventory.ImportListing(ctx, account, ch.ID, cart.Listing{SKU: sku, Name: sku, Quantity: &q}); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if _, err := e.app.Inventory.SetOnHand(ctx, account, sku, inventory.DefaultWarehouse, 100); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ch.ID, sim
}

func TestInventoryPreview(t *testing.T) {
	e := newEnv(t)
	ch, sim := previewChannel(t, e, acctA, 12)
	tok := e.merchant(acctA)
	// The cart moved on from what import saw: P-01 now shows 40, P-03 shows 100.
	sim.SetQuantity("P-01", 40)
	sim.SetQuantity("P-03", 100)

	tests := []struct {
		name     string
		query    string
		live     bool
		changes  int
		drift    int
		p01      int // P-01's cart quantity
		p01Src   string
		p03Write bool
	}{
		// Every third SKU (P-00, 03, 06, 09) has 100 here against i in
		// the cart; P-01 drifted in the cart (40 against our 1).
		{"live", "", true, 3, 4, 40, inventory.SourceLive, true},
		{"last seen", "?live=false", false, 4, 4, 1, inventory.SourceLastSeen, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var pv previewJSON
			e.call("GET", "/v1/channels/"+ch+"/inventory-preview"+tc.query, tok, nil, http.StatusOK, &pv)
			if pv.ChannelID != ch || pv.Live.Attempted != tc.live || pv.Live.Complete != tc.live || (tc.live && pv.Live.Read != 12) {
				t.Fatalf("live %+v", pv.Live)
			}
			if !tc.live && pv.Live.Message == "" {
				t.Fatal("no word on where the quantities come from")
			}
			s := pv.Summary
			if s.Linked != 12 || s.Changes != tc.changes || s.Unchanged != 12-tc.changes || s.Drift != tc.drift || !s.Complete {
				t.Fatalf("summary %+v", s)
			}
			// Largest change first: P-00 (0 → 100).
			if len(s.Largest) != tc.changes || s.Largest[0].SKU != "P-00" || s.Largest[0].Delta != 100 {
				t.Fatalf("largest %+v", s.Largest)
			}
			items := map[string]previewItemJSON{}
			for _, it := range pv.Items {
				items[it.SKU] = it
			}
			p01, p03 := items["P-01"], items["P-03"]
			if *p01.CartQuantity != tc.p01 || p01.CartSource != tc.p01Src || p01.Target != 1 || p01.WillWrite {
				t.Fatalf("P-01 %+v", p01)
			}
			if !tc.live && (p01.SeenAt == nil || p01.SeenAt.IsZero()) {
				t.Fatalf("last seen without a time: %+v", p01)
			}
			if p03.Target != 100 || p03.WillWrite != tc.p03Write || p03.Changes == tc.live {
				t.Fatalf("P-03 %+v", p03)
			}
		})
	}

	// The preview only reads: the cart and our records are unchanged.
	if q := sim.Quantities()["P-00"]; q != 0 {
		t.Fatalf("the preview wrote to the cart: P-00 = %d", q)
	}
	var list struct{ Products []productJSON }
	e.call("GET", "/v1/products?filter=needs_sync&channel_id="+ch, tok, nil, http.StatusOK, &list)
	if len(list.Products) != 4 {
		t.Fatalf("needs sync after the preview: %d", len(list.Products))
	}

	// Paging visits every linked SKU once, in SKU order; the summary is the whole channel's on every page.
	var got []string
	path := "/v1/channels/" + ch + "/inventory-preview?live=false&limit=5"
	for pages := 0; ; pages++ {
		var pv previewJSON
		e.call("GET", path, tok, nil, http.StatusOK, &pv)
		if pv.Summary.Linked != 12 || len(pv.Items) > 5 {
			t.Fatalf("page %d: %+v", pages, pv)
		}
		for _, it := range pv.Items {
			got = append(got, it.SKU)
		}
		if pv.NextCursor == nil {
			break
		}
		path = "/v1/channels/" + ch + "/inventory-preview?live=false&limit=5&cursor=" + *pv.NextCursor
	}
	if len(got) != 12 || got[0] != "P-00" || got[11] != "P-11" {
		t.Fatalf("paged %v", got)
	}
}

// TestInventoryPreviewFallsBack: a cart that refuses the credentials or
// cannot be reached leaves the preview on the quantities last seen, with a
// merchant-readable reason and no internal text.
func TestInventoryPreviewFallsBack(t *testing.T) {
	e := newEnv(t)
	ch, sim := previewChannel(t, e, acctA, 3)
	_ = sim
	// Break the credentials: the simulator accepts only its own token.
	if err := e.app.Channels.MergeCredentials(context.Background(), acctA, ch, cart.Credentials{"access_token": "shpat_wrong"}); err != nil {
		t.Fatal(err)
	}
	var pv previewJSON
	rec := e.call("GET", "/v1/channels/"+ch+"/inventory-preview", e.merchant(acctA), nil, http.StatusOK, &pv)
	if !pv.Live.Attempted || pv.Live.Complete || !strings.Contains(pv.Live.Message, "refused") {
		t.Fatalf("live %+v", pv.Live)
	}
	if pv.Summary.Linked != 3 || pv.Items[0].CartSource != inventory.SourceLastSeen {
		t.Fatalf("%+v", pv)
	}
	if strings.Contains(rec.Body.String(), "shpat_wrong") || strings.Contains(rec.Body.String(), "status 401") {
		t.Fatalf("internal text in %s", rec.Body)
	}
}

func TestInventoryPreviewGarbage(t *testing.T) {
	e := newEnv(t)
	chA, _ := previewChannel(t, e, acctA, 2)
	chB := e.newChannel(acctB, "B's")
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	base := "/v1/channels/" + chA + "/inventory-preview"
	tests := []struct {
		name, path, token string
		status            int
	}{
		{"no token", base, "", 401},
		{"bad token", base, "not-a-jwt", 401},
		{"foreign account's channel", base, e.merchant(acctB), 404},
		{"own channel via another account", "/v1/channels/" + chB + "/inventory-preview", e.merchant(acctA), 404},
		{"unknown channel", "/v1/channels/ch_0000000000000000/inventory-preview", e.merchant(acctA), 404},
		{"malformed id", "/v1/channels/..%2f/inventory-preview", e.merchant(acctA), 404},
		{"oversized id", "/v1/channels/" + strings.Repeat("c", 3000) + "/inventory-preview", e.merchant(acctA), 404},
		{"non-UTF-8 id", "/v1/channels/%FF/inventory-preview", e.merchant(acctA), 404},
		{"limit 0", base + "?limit=0", e.merchant(acctA), 422},
		{"limit too large", base + "?limit=201", e.merchant(acctA), 422},
		{"limit not a number", base + "?limit=x", e.merchant(acctA), 422},
		{"cursor not ours", base + "?cursor=!!!", e.merchant(acctA), 422},
		{"cursor of another listing", base + "?cursor=" + b64("RUN#x"), e.merchant(acctA), 422},
		{"live not a boolean", base + "?live=maybe", e.merchant(acctA), 422},
		{"unknown parameter", base + "?sku=P-00", e.merchant(acctA), 422},
		{"repeated parameter", base + "?live=false&live=true", e.merchant(acctA), 422},
		{"wrong method", base, e.merchant(acctA), 404},
	}
	before := e.snapshot(acctA)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if tc.name == "wrong method" {
				method = "POST"
			}
			rec := e.serve(req{method: method, path: tc.path, token: tc.token})
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			checkErr(t, rec, tc.status, "")
			if strings.Contains(rec.Body.String(), "P-0") {
				t.Fatalf("a refused preview shows SKUs: %s", rec.Body)
			}
		})
	}
	e.assertUnchanged(before, acctA, "refused previews")
}

// FuzzPreviewQuery: whatever the query string, the preview answers JSON,
// never a 5xx, and a 200 carries a summary and at most 200 items. (live=false
// keeps the fuzz channels, which name no reachable cart, off the network.)
func FuzzPreviewQuery(f *testing.F) {
	fe := newFuzzEnv(f)
	five := 5
	for _, sku := range []string{"F-1", "F-2", "F-3"} {
		if _, err := fe.app.Inventory.ImportListing(context.Background(), acctA, fe.ch1, cart.Listing{SKU: sku, Quantity: &five}); err != nil {
			f.Fatal(err)
		}
	}
	for _, s := range []string{"", "limit=1", "limit=200", "limit=201", "limit=-1", "limit=1e3", "cursor=UFJPRCNGLTE", "cursor=UFJPRCM",
		"cursor=%ff", "cursor=" + strings.Repeat("Q", 3000), "x=1", "limit=1&limit=2", "%zz", "live=true", ";", "limit=2&cursor=UFJPRCNGLTE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		// What a client could send on the wire: bytes a request line cannot
		// carry arrive %-escaped.
		var wire strings.Builder
		for _, b := range []byte(q) {
			if b <= ' ' || b >= 0x7f || b == '#' {
				fmt.Fprintf(&wire, "%%%02X", b)
			} else {
				wire.WriteByte(b)
			}
		}
		rec := fe.check(t, "GET", "/v1/channels/"+fe.ch1+"/inventory-preview?live=false&"+wire.String(), nil)
		if rec.Code != 200 {
			return
		}
		var pv struct {
			Summary *struct{ Linked int }
			Items   []json.RawMessage
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &pv); err != nil || pv.Summary == nil || pv.Summary.Linked != 3 || len(pv.Items) > 3 {
			t.Fatalf("200 with %s", rec.Body)
		}
	})
}
