package amazon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

// start is the simulated clock's first reading; every test runs on a
// Clock shared by simulator and connector, so searchOrders' one request
// per 178.6 s costs no real time.
var start = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

type env struct {
	sim   *amazonsim.Server
	clock *amazonsim.Clock
	url   string
	c     *Client
}

func newEnv(t testing.TB, opts amazonsim.Options) *env {
	t.Helper()
	clock := amazonsim.NewClock(start)
	opts.Now = clock.Now
	sim := amazonsim.New(opts)
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	e := &env{sim: sim, clock: clock, url: ts.URL}
	e.c = e.client(t, Config{})
	return e
}

// client returns a connector for the simulator; cfg's non-empty fields
// replace the working defaults.
func (e *env) client(t testing.TB, cfg Config) *Client {
	t.Helper()
	def := Config{
		Endpoint: e.url, LWAEndpoint: e.url + "/auth/o2/token",
		ClientID: amazonsim.DefaultClientID, ClientSecret: amazonsim.DefaultClientSecret, RefreshToken: amazonsim.DefaultRefreshToken,
		SellerID: e.sim.SellerID(), MarketplaceID: e.sim.MarketplaceID(),
		Now: e.clock.Now, Sleep: e.clock.Sleep,
	}
	if cfg.ClientID != "" {
		def.ClientID = cfg.ClientID
	}
	if cfg.ClientSecret != "" {
		def.ClientSecret = cfg.ClientSecret
	}
	if cfg.RefreshToken != "" {
		def.RefreshToken = cfg.RefreshToken
	}
	if cfg.SellerID != "" {
		def.SellerID = cfg.SellerID
	}
	c, err := New(def)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// window is the last 60 days up to now.
func (e *env) window() cart.OrderQuery {
	now := e.clock.Now()
	return cart.OrderQuery{UpdatedFrom: now.AddDate(0, 0, -60), UpdatedTo: now}
}

type pager func(ctx context.Context, q cart.OrderQuery) (cart.OrderPage, error)

// all pages through q; between pages it calls between (if set).
func all(t testing.TB, f pager, q cart.OrderQuery, between func(page int)) []cart.Order {
	t.Helper()
	var out []cart.Order
	for page := 1; ; page++ {
		if page > 10_000 {
			t.Fatal("paging does not end")
		}
		p, err := f(context.Background(), q)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		out = append(out, p.Orders...)
		if p.Next == "" {
			return out
		}
		q.Cursor = p.Next
		if between != nil {
			between(page)
		}
	}
}

// sameOnce checks got holds exactly want's ids, each once.
func sameOnce(t *testing.T, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("order %s handed out %d times", id, n)
		}
	}
	g, w := slices.Sorted(slices.Values(slices.Compact(slices.Sorted(slices.Values(got))))), slices.Sorted(slices.Values(want))
	if !slices.Equal(g, w) {
		t.Errorf("got %d distinct orders, want %d", len(g), len(w))
		for _, id := range w {
			if seen[id] == 0 {
				t.Errorf("missing %s", id)
				break
			}
		}
		for _, id := range g {
			if !slices.Contains(w, id) {
				t.Errorf("unexpected %s", id)
				break
			}
		}
	}
}

func TestNew(t *testing.T) {
	ok := Config{ClientID: "id", ClientSecret: "secret", RefreshToken: "Atzr|x", SellerID: "A1SELLER", MarketplaceID: "ATVPDKIKX0DER"}
	c, err := New(ok)
	if err != nil {
		t.Fatal(err)
	}
	if c.endpoint != "https://sellingpartnerapi-na.amazon.com" || c.lwaURL != DefaultLWAEndpoint {
		t.Errorf("defaults: %s %s", c.endpoint, c.lwaURL)
	}
	for _, s := range []string{c.String(), ok.String(), fmt.Sprintf("%v %+v", c, c.creds)} {
		if strings.Contains(s, "secret") || strings.Contains(s, "Atzr") {
			t.Errorf("%q shows a secret", s)
		}
	}
	bad := []func(*Config){
		func(c *Config) { c.ClientSecret = "" },
		func(c *Config) { c.RefreshToken = "" },
		func(c *Config) { c.SellerID = "a b" },
		func(c *Config) { c.MarketplaceID = "" },
		func(c *Config) { c.MarketplaceID = "A1NOTAMARKET" },
		func(c *Config) { c.Region = "eu" },
		func(c *Config) { c.Region = "us" },
		func(c *Config) { c.Endpoint = "ftp://x" },
		func(c *Config) { c.Endpoint = "https://user:pw@x" },
		func(c *Config) { c.LWAEndpoint = "https://x/token?a=b" },
	}
	for i, f := range bad {
		cfg := ok
		f(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("case %d: New(%v) accepted", i, cfg)
		}
	}
}

func TestStatuses(t *testing.T) {
	for in, want := range map[string]string{
		"Unshipped": StatusUnshipped, "PartiallyShipped": StatusPartiallyShipped, "partially_shipped": StatusPartiallyShipped,
		"Canceled": StatusCancelled, "CANCELLED": StatusCancelled, "PendingAvailability": StatusPendingAvailability, " shipped ": StatusShipped,
	} {
		if got, ok := NormalizeStatus(in); !ok || got != want {
			t.Errorf("NormalizeStatus(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := NormalizeStatus("InvoiceUnconfirmed"); ok {
		t.Error("InvoiceUnconfirmed accepted: Orders 2026-01-01 has no such status")
	}
	for _, s := range DefaultStatuses() {
		if !slices.Contains(Statuses(), s) {
			t.Errorf("default %s not in Statuses", s)
		}
	}
	if _, err := statusesFor(cart.OrderQuery{Statuses: []string{}}); err == nil {
		t.Error("empty status list accepted")
	}
	if _, err := statusesFor(cart.OrderQuery{Statuses: []string{"Unshipped", "Bogus"}}); err == nil {
		t.Error("unknown status accepted")
	}
}

func TestOrdersImportsExactlyTheImportableOnce(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	e.sim.Seed(2500, 7) // about 800 importable: 9 pages, past the burst of 20 for the whole test
	want := e.sim.Importable()
	if len(want) < 500 {
		t.Fatalf("seed gave only %d importable orders", len(want))
	}
	got := all(t, e.c.Orders, e.window(), nil)
	sameOnce(t, carttest.IDs(got), want)
	for _, o := range got {
		so, _ := e.sim.Order(o.ExternalID)
		if o.Filter != cart.AwaitingFulfillment || o.CartStatus != so.Status || so.FulfilledBy != amazonsim.Merchant {
			t.Fatalf("order %s: %s/%s, simulator %s/%s", o.ExternalID, o.Filter, o.CartStatus, so.FulfilledBy, so.Status)
		}
		if !slices.Equal(o.Lines, so.Lines) || o.Total != so.Total || o.Currency != "USD" || !o.UpdatedAt.Equal(so.UpdatedAt) || !o.CreatedAt.Equal(so.CreatedAt) || o.Number != o.ExternalID {
			t.Fatalf("order %s = %+v; simulator %+v", o.ExternalID, o, so)
		}
	}
	if st := e.sim.Stats(); st.QuotaExceeded != 0 || st.TokensIssued != 1 {
		t.Errorf("stats %+v: want no 429 and one access token", st)
	}

	// A second pass over the same window hands out the same orders, and
	// is paced: the burst is spent, so each page waits a refill.
	before := e.clock.Now()
	again := all(t, e.c.Orders, cart.OrderQuery{UpdatedFrom: start.AddDate(0, 0, -60), UpdatedTo: start}, nil)
	sameOnce(t, carttest.IDs(again), want)
	for i := 0; i < 20; i++ { // spend the rest of the burst
		if _, err := e.c.Orders(context.Background(), e.window()); err != nil {
			t.Fatal(err)
		}
	}
	before = e.clock.Now()
	all(t, e.c.Orders, e.window(), nil)
	pages := (len(want) + ordersPageSize - 1) / ordersPageSize
	interval := amazonsim.DefaultLimits[amazonsim.OpSearchOrders].Interval()
	if waited := e.clock.Now().Sub(before); waited < time.Duration(pages-1)*interval || waited > time.Duration(pages+1)*interval*102/100 {
		t.Errorf("%d pages after the burst took %s of simulated time; want about %d × %s", pages, waited, pages, interval)
	}
	if st := e.sim.Stats(); st.QuotaExceeded != 0 {
		t.Errorf("%d 429s: the connector overran searchOrders' bucket", st.QuotaExceeded)
	}
}

func TestOrdersCancelledAndStatuses(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	e.sim.Seed(300, 3)
	a := e.sim.CreateOrder([]cart.Line{{SKU: "SKU-0002", Quantity: 2}})
	b := e.sim.CreateOrder(nil)
	e.clock.Add(time.Minute)
	if err := e.sim.CancelOrder(a); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.ShipOrder(b); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(3 * time.Minute) // past the two minutes searchOrders requires

	var wantCancelled, wantShipped []string
	for _, o := range e.sim.Orders() {
		if o.FulfilledBy != amazonsim.Merchant {
			continue
		}
		switch o.Status {
		case amazonsim.Cancelled:
			wantCancelled = append(wantCancelled, o.ID)
		case amazonsim.Shipped:
			wantShipped = append(wantShipped, o.ID)
		}
	}
	q := e.window()
	q.Cancelled = true
	got := all(t, e.c.Orders, q, nil)
	sameOnce(t, carttest.IDs(got), wantCancelled)
	for _, o := range got {
		if o.Filter != cart.Cancelled || o.CartStatus != StatusCancelled {
			t.Errorf("cancelled order %s: %s %s", o.ExternalID, o.Filter, o.CartStatus)
		}
	}
	if !slices.Contains(carttest.IDs(got), a) {
		t.Errorf("cancelled order %s missing", a)
	}

	q = e.window()
	q.Statuses = []string{"Shipped"} // the Orders v0 spelling support may use
	got = all(t, e.c.Orders, q, nil)
	sameOnce(t, carttest.IDs(got), wantShipped)
	for _, o := range got {
		if o.Filter != cart.Shipped {
			t.Errorf("shipped order %s: %s", o.ExternalID, o.Filter)
		}
	}

	q.Statuses = []string{"Bogus"}
	if _, err := e.c.Orders(context.Background(), q); err == nil {
		t.Error("unknown status accepted")
	}
}

func TestOrdersWindowKeepsTwoMinutesBack(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	id := e.sim.CreateOrder(nil)
	e.clock.Add(time.Minute)
	q := cart.OrderQuery{UpdatedFrom: e.clock.Now().Add(-10 * time.Minute), UpdatedTo: e.clock.Now()}
	if got := all(t, e.c.Orders, q, nil); len(got) != 0 {
		t.Errorf("a one-minute-old order was read: %v (Amazon refuses a window ending within two minutes)", carttest.IDs(got))
	}
	// The next pass, overlapping the previous window by 5 minutes, reads it.
	e.clock.Add(9 * time.Minute)
	q = cart.OrderQuery{UpdatedFrom: q.UpdatedTo.Add(-5 * time.Minute), UpdatedTo: e.clock.Now()}
	if got := all(t, e.c.Orders, q, nil); !slices.Equal(carttest.IDs(got), []string{id}) {
		t.Errorf("second pass read %v, want [%s]", carttest.IDs(got), id)
	}
	// A window entirely within the last two minutes reads nothing, without a request.
	before := e.sim.Stats().Requests
	q = cart.OrderQuery{UpdatedFrom: e.clock.Now().Add(-time.Minute), UpdatedTo: e.clock.Now()}
	if got := all(t, e.c.Orders, q, nil); len(got) != 0 || e.sim.Stats().Requests != before {
		t.Errorf("window inside the last two minutes: %d orders, %d requests", len(got), e.sim.Stats().Requests-before)
	}
}

func TestFBAOrdersOnlyAmazonShippedInLast30Days(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	e.sim.Seed(1500, 11)
	want := e.sim.FBAOrders()
	var older int
	for _, o := range e.sim.Orders() {
		if o.FulfilledBy == amazonsim.Amazon && o.Status == amazonsim.Shipped && !slices.Contains(want, o.ID) {
			older++
		}
	}
	if len(want) < 100 || older < 100 {
		t.Fatalf("seed gave %d FBA orders in 30 days and %d older: want both", len(want), older)
	}
	got := all(t, e.c.FBAOrders, e.window(), nil) // 60 days asked, 30 read
	sameOnce(t, carttest.IDs(got), want)
	for _, o := range got {
		if o.Filter != cart.Shipped || o.CartStatus != StatusShipped || len(o.Lines) == 0 {
			t.Fatalf("FBA order %+v", o)
		}
	}
}

func TestFBAInventoryQuantities(t *testing.T) {
	skus := make([]string, 300)
	for i := range skus {
		skus[i] = fmt.Sprintf("FBA-%03d", i)
	}
	e := newEnv(t, amazonsim.Options{SKUs: skus})
	e.sim.Seed(0, 5) // FBA stock for every third SKU: 100 items, 2 pages
	e.sim.SetFBAQuantity("FBA-001", 0)
	want := e.sim.FBAQuantities()
	got := map[string]int{}
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := e.c.FBAInventory(context.Background(), time.Time{}, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			if _, dup := got[it.SKU]; dup {
				t.Errorf("%s twice", it.SKU)
			}
			got[it.SKU] = it.Fulfillable
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if len(got) != len(want) || len(want) != 101 {
		t.Errorf("got %d SKUs, want %d (101)", len(got), len(want))
	}
	for sku, n := range want {
		if got[sku] != n {
			t.Errorf("%s: %d, want %d", sku, got[sku], n)
		}
	}
}

func TestExpiredNextTokenRestartsWithoutDuplicates(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	e.sim.Seed(2000, 21)
	want := e.sim.Importable()
	// Orders updated while the pass runs move past its window end; only
	// expiry is under test here.
	got := all(t, e.c.Orders, e.window(), func(page int) {
		if page%2 == 1 {
			e.clock.Add(amazonsim.DefaultNextTokenTTL + time.Second) // the token dies
		}
	})
	sameOnce(t, carttest.IDs(got), want)
	if st := e.sim.Stats(); st.ExpiredTokens < 3 {
		t.Errorf("%d expired tokens: the test did not exercise expiry", st.ExpiredTokens)
	}

	// The same through a cursor saved with several ids at one update time.
	e2 := newEnv(t, amazonsim.Options{})
	var same []string
	for range 240 {
		same = append(same, e2.sim.CreateOrder(nil)) // one second, 240 orders
	}
	e2.clock.Add(5 * time.Minute)
	got = all(t, e2.c.Orders, e2.window(), func(page int) {
		if page%2 == 1 {
			e2.sim.ExpireNextTokens()
		}
	})
	sameOnce(t, carttest.IDs(got), same)

	// FBA inventory restarts from the first page; every SKU is read.
	skus := make([]string, 150)
	for i := range skus {
		skus[i] = fmt.Sprintf("INV-%03d", i)
	}
	e3 := newEnv(t, amazonsim.Options{SKUs: skus})
	for _, s := range skus {
		e3.sim.SetFBAQuantity(s, len(s))
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 1; ; pages++ {
		p, err := e3.c.FBAInventory(context.Background(), time.Time{}, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			seen[it.SKU] = true
		}
		if p.Next == "" {
			break
		}
		if pages > 20 {
			t.Fatal("FBA inventory paging does not end")
		}
		cursor = p.Next
		if pages == 2 {
			e3.clock.Add(amazonsim.InventoryTokenTTL + time.Second)
		}
	}
	if len(seen) != len(skus) {
		t.Errorf("FBA inventory after an expired token: %d SKUs, want %d", len(seen), len(skus))
	}
}

func TestLWATokenRefresh(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	ctx := context.Background()
	inv := func() {
		t.Helper()
		if _, err := e.c.FBAInventory(ctx, time.Time{}, ""); err != nil {
			t.Fatal(err)
		}
	}
	inv()
	e.clock.Add(30 * time.Minute)
	inv()
	if n := e.sim.Stats().TokensIssued; n != 1 {
		t.Errorf("%d tokens fetched within the hour; want the cached one", n)
	}
	e.clock.Add(29*time.Minute + 30*time.Second) // within a minute of expiry
	inv()
	if st := e.sim.Stats(); st.TokensIssued != 2 || st.Unauthorized != 0 {
		t.Errorf("near expiry: %d tokens, %d 403s; want a fresh token before the old one expired", st.TokensIssued, st.Unauthorized)
	}
	// Revoked early: one 403, a fresh token, success.
	e.sim.RevokeAccessTokens()
	inv()
	if st := e.sim.Stats(); st.TokensIssued != 3 || st.Unauthorized != 1 {
		t.Errorf("after revocation: %d tokens, %d 403s", st.TokensIssued, st.Unauthorized)
	}
	// A failing token endpoint is retried.
	e.sim.RevokeAccessTokens()
	e.sim.SetFaults(amazonsim.Faults{LWAErrors: 2})
	inv()
}

func TestAuthFailuresAreErrAuth(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	ctx := context.Background()
	check := func(name string, err error) {
		t.Helper()
		var ce *cart.Error
		if !errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || ce.Message == "" {
			t.Errorf("%s: %v; want cart.ErrAuth in a *cart.Error", name, err)
			return
		}
		for _, secret := range []string{amazonsim.DefaultClientSecret, amazonsim.DefaultRefreshToken, "Atza|"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error %q shows a secret", name, err)
			}
		}
	}
	_, err := e.client(t, Config{RefreshToken: "Atzr|wrong"}).Orders(ctx, e.window())
	check("wrong refresh token", err)
	_, err = e.client(t, Config{ClientSecret: "wrong"}).FBAInventory(ctx, time.Time{}, "")
	check("wrong client secret", err)
	_, err = e.client(t, Config{SellerID: "A9OTHERSELLER"}).Listings(ctx, cart.ListingQuery{})
	check("foreign seller id", err)

	if _, err := e.c.FBAInventory(ctx, time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	e.sim.RevokeAuthorization()
	_, err = e.c.SetStock(ctx, []cart.StockUpdate{{SKU: "SKU-0001", Quantity: 3}})
	check("revoked authorization", err)
	// The seller removing the application is told apart from a
	// misconfigured app: the channel is disconnected, not paused.
	if !errors.Is(err, cart.ErrRevoked) {
		t.Errorf("revoked authorization: %v; want cart.ErrRevoked", err)
	}
	if _, err := e.client(t, Config{ClientSecret: "wrong"}).Orders(ctx, e.window()); errors.Is(err, cart.ErrRevoked) {
		t.Errorf("wrong client secret: %v; want cart.ErrAuth but not cart.ErrRevoked (invalid_client)", err)
	}
}

func TestSetStockPerSKUFailure(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	listings := carttest.Listings(t, e.c, cart.ListingQuery{})
	e.sim.FailSKU("SKU-0003", 1)
	ups := []cart.StockUpdate{
		{SKU: "SKU-0001", Quantity: 7}, {SKU: "SKU-0003", Quantity: 8}, {SKU: "NO-SUCH-SKU", Quantity: 1},
		{SKU: "SKU-0004", Quantity: 0}, {SKU: "SKU-0005", Quantity: -1}, {SKU: "SKU/0006 odd", Quantity: 2},
	}
	for i := range 10 {
		ups = append(ups, cart.StockUpdate{SKU: listings[20+i].SKU, Link: listings[20+i].Link, Quantity: 100 + i})
	}
	before := e.sim.Quantities()
	res, err := e.c.SetStock(context.Background(), ups)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(ups) {
		t.Fatalf("%d results for %d updates", len(res), len(ups))
	}
	q := e.sim.Quantities()
	for i, r := range res {
		u := ups[i]
		if r.SKU != u.SKU {
			t.Errorf("result %d is for %s, want %s", i, r.SKU, u.SKU)
		}
		fail := u.SKU == "SKU-0003" || u.SKU == "NO-SUCH-SKU" || u.SKU == "SKU-0005" || u.SKU == "SKU/0006 odd"
		var ce *cart.Error
		switch {
		case fail && (r.Err == nil || !errors.As(r.Err, &ce) || ce.Message == "" || errors.Is(r.Err, cart.ErrAuth)):
			t.Errorf("%s: %v; want a per-SKU *cart.Error", u.SKU, r.Err)
		case !fail && r.Err != nil:
			t.Errorf("%s: %v", u.SKU, r.Err)
		case !fail && q[u.SKU] != u.Quantity:
			t.Errorf("%s: simulator has %d, pushed %d", u.SKU, q[u.SKU], u.Quantity)
		case fail && q[u.SKU] != before[u.SKU]:
			t.Errorf("%s changed to %d although refused", u.SKU, q[u.SKU])
		}
	}
	if !strings.Contains(res[1].Err.Error(), "attributes are invalid") {
		t.Errorf("refusal %q does not carry Amazon's issue", res[1].Err)
	}
	// Patches go out concurrently on the shared fake clock, which jumps
	// when one worker waits while another's request is in flight; the
	// simulator can then answer a 429, which the connector retries. Count
	// the accepted patches, and allow only throttled retries besides
	// (pacing itself is TestSetStockSmallPushesPatch's and the contract's).
	st := e.sim.Stats()
	if got := st.ByOperation[amazonsim.OpPatchListingsItem] - st.QuotaExceeded; got != len(ups)-1 { // the negative quantity is refused locally
		t.Errorf("%d patches accepted for %d updates (%d throttled)", got, len(ups)-1, st.QuotaExceeded)
	}
	if st.QuotaExceeded > 2 {
		t.Errorf("%d 429s: patches not paced to 5/s", st.QuotaExceeded)
	}
	// The failure was for one push: the next succeeds.
	res, err = e.c.SetStock(context.Background(), ups[1:2])
	if err != nil || res[0].Err != nil || e.sim.Quantities()["SKU-0003"] != 8 {
		t.Errorf("retry of SKU-0003: %v %v", err, res)
	}
	if _, err := e.c.SetStock(context.Background(), make([]cart.StockUpdate, e.c.MaxBatch()+1)); err == nil {
		t.Error("an oversized batch was accepted")
	}
}

func TestQuotaExceededIsWaitedOut(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	e.sim.Seed(400, 2)
	e.sim.SetFaults(amazonsim.Faults{QuotaExceeded: 6})
	got := all(t, e.c.Orders, e.window(), nil)
	sameOnce(t, carttest.IDs(got), e.sim.Importable())
	if st := e.sim.Stats(); st.Faults.QuotaExceeded != 6 {
		t.Errorf("%d injected 429s served", st.Faults.QuotaExceeded)
	}

	e.sim.SetFaults(amazonsim.Faults{QuotaExceeded: 4})
	ups := []cart.StockUpdate{{SKU: "SKU-0001", Quantity: 1}, {SKU: "SKU-0002", Quantity: 2}}
	if res, err := e.c.SetStock(context.Background(), ups); err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("SetStock through 429s: %v %v", err, res)
	}

	// Past the deadline: a *cart.RateLimitedError, not a failure. The
	// burst is spent, so the next search would wait 178 s.
	for range 20 {
		if _, err := e.c.Orders(context.Background(), e.window()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := e.c.Orders(ctx, e.window())
	var rl *cart.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter < time.Minute {
		t.Errorf("near the deadline: %v; want *cart.RateLimitedError with the wait", err)
	}
}

func TestRateLimitHeaderAdapts(t *testing.T) {
	slow := amazonsim.Limit{Rate: 0.5, Burst: 5}
	e := newEnv(t, amazonsim.Options{Limits: map[string]amazonsim.Limit{amazonsim.OpPatchListingsItem: slow}})
	var ups []cart.StockUpdate
	for i := range 20 {
		ups = append(ups, cart.StockUpdate{SKU: fmt.Sprintf("SKU-%04d", i+1), Quantity: i})
	}
	t0 := e.clock.Now()
	if _, err := e.c.SetStock(context.Background(), ups); err != nil {
		t.Fatal(err)
	}
	if st := e.sim.Stats(); st.QuotaExceeded > 2 {
		t.Errorf("%d 429s: the connector did not slow to the rate in x-amzn-RateLimit-Limit", st.QuotaExceeded)
	}
	if d := e.clock.Now().Sub(t0); d < 25*time.Second {
		t.Errorf("20 patches at 0.5/s after a burst of 5 took %s", d)
	}
}

func TestTemporaryFailuresRetriedThenReported(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	e.sim.Seed(100, 4)
	e.sim.SetFaults(amazonsim.Faults{ServerErrors: 2, Drop: 1})
	got := all(t, e.c.Orders, e.window(), nil)
	sameOnce(t, carttest.IDs(got), e.sim.Importable())

	e.sim.SetFaults(amazonsim.Faults{ServerErrors: 10})
	_, err := e.c.FBAInventory(context.Background(), time.Time{}, "")
	var ce *cart.Error
	if !errors.As(err, &ce) || !ce.Temporary || errors.Is(err, cart.ErrAuth) {
		t.Errorf("Amazon down: %v; want a temporary *cart.Error", err)
	}
	e.sim.SetFaults(amazonsim.Faults{Drop: 10})
	_, err = e.c.SetStock(context.Background(), []cart.StockUpdate{{SKU: "SKU-0001", Quantity: 1}})
	if !errors.As(err, &ce) || !ce.Temporary {
		t.Errorf("connections dropped: %v; want a temporary *cart.Error for the whole call", err)
	}
}

func TestListings(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	got := carttest.Listings(t, e.c, cart.ListingQuery{})
	want := e.sim.Listings()
	if len(got) != len(want) {
		t.Fatalf("%d listings, want %d", len(got), len(want))
	}
	bySKU := map[string]cart.Listing{}
	for _, l := range got {
		bySKU[l.SKU] = l
	}
	for _, w := range want {
		l, ok := bySKU[w.SKU]
		switch {
		case !ok:
			t.Errorf("%s missing", w.SKU)
		case l.Name != w.Name || l.Price != w.Price || l.Link.ProductID != w.ASIN || l.Quantity == nil || *l.Quantity != w.Quantity ||
			!slices.Equal(l.Images, w.Images) || !l.UpdatedAt.Equal(w.UpdatedAt):
			t.Errorf("%s = %+v (qty %v); simulator %+v", w.SKU, l, l.Quantity, w)
		}
	}
	// Updated since: only what changed.
	e.clock.Add(time.Hour)
	since := e.clock.Now()
	e.sim.SetQuantity("SKU-0010", 3)
	e.sim.TouchListing("SKU-0020")
	e.clock.Add(time.Minute)
	got = carttest.Listings(t, e.c, cart.ListingQuery{UpdatedFrom: since, UpdatedTo: e.clock.Now()})
	var skus []string
	for _, l := range got {
		skus = append(skus, l.SKU)
	}
	if !slices.Equal(skus, []string{"SKU-0010", "SKU-0020"}) {
		t.Errorf("updated since: %v", skus)
	}
}

func TestListingsPastTheSearchCap(t *testing.T) {
	skus := make([]string, 2350)
	for i := range skus {
		skus[i] = fmt.Sprintf("CAP-%05d", i)
	}
	e := newEnv(t, amazonsim.Options{SKUs: skus})
	got := carttest.Listings(t, e.c, cart.ListingQuery{})
	seen := map[string]int{}
	for _, l := range got {
		seen[l.SKU]++
	}
	if len(seen) != len(skus) || len(got) != len(skus) {
		t.Errorf("%d listings (%d distinct), want each of %d once", len(got), len(seen), len(skus))
	}
	// With expiring page tokens as well.
	got = got[:0]
	q := cart.ListingQuery{}
	for pages := 0; ; pages++ {
		p, err := e.c.Listings(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Listings...)
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
		if pages%7 == 3 {
			e.sim.ExpireNextTokens()
		}
	}
	clear(seen)
	for _, l := range got {
		seen[l.SKU]++
	}
	if len(seen) != len(skus) || len(got) != len(skus) {
		t.Errorf("with expiring tokens: %d listings (%d distinct), want each of %d once", len(got), len(seen), len(skus))
	}
}

func TestBadCursor(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	for _, cur := range []string{"%%%", "e30", strings.Repeat("A", maxCursor+1)} {
		if _, err := e.c.Orders(context.Background(), cart.OrderQuery{UpdatedFrom: start.Add(-time.Hour), UpdatedTo: start, Cursor: cur}); err == nil {
			t.Errorf("cursor %.10q accepted", cur)
		}
		if _, err := e.c.FBAInventory(context.Background(), time.Time{}, cur); err == nil {
			t.Errorf("FBA cursor %.10q accepted", cur)
		}
	}
}

// TestRequestsCarryTokenNotSecrets checks the wire: the access token in
// x-amz-access-token, no Authorization header, no SigV4, the secrets only
// in the token request.
func TestRequestsCarryTokenNotSecrets(t *testing.T) {
	e := newEnv(t, amazonsim.Options{})
	var bad []string
	check := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/auth/o2/token" {
			if !strings.HasPrefix(r.Header.Get("x-amz-access-token"), "Atza|") || r.Header.Get("Authorization") != "" || r.Header.Get("X-Amz-Date") != "" {
				bad = append(bad, r.Method+" "+r.URL.Path)
			}
			if strings.Contains(r.URL.RawQuery, "secret") || strings.Contains(r.URL.RawQuery, "Atz") {
				bad = append(bad, "query "+r.URL.RawQuery)
			}
		}
		e.sim.ServeHTTP(w, r)
	})
	ts := httptest.NewServer(check)
	defer ts.Close()
	e.url = ts.URL
	c := e.client(t, Config{})
	ctx := context.Background()
	if _, err := c.FBAInventory(ctx, time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetStock(ctx, []cart.StockUpdate{{SKU: "SKU-0001", Quantity: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Listings(ctx, cart.ListingQuery{}); err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("requests without the access token or with secrets: %v", bad)
	}
}

// TestAmazonRefusals checks answers the simulator does not give: a 400 to
// a first page, a 404, a 413 to a patch (the whole call) and a 400 to a
// patch (that SKU).
func TestAmazonRefusals(t *testing.T) {
	h := http.NewServeMux()
	h.HandleFunc("POST /auth/o2/token", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"access_token":"Atza|t","token_type":"bearer","expires_in":3600}`)
	})
	refuse := func(status int, code string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("x-amzn-RateLimit-Limit", "5.0")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"Refused\nhere","details":"why"}]}`, code)
		}
	}
	h.Handle("GET /orders/2026-01-01/orders", refuse(400, "InvalidInput"))
	h.Handle("GET /fba/inventory/v1/summaries", refuse(404, "NotFound"))
	h.Handle("PATCH /listings/2021-08-01/items/A1SELLER/BIG", refuse(413, "RequestEntityTooLarge"))
	h.Handle("PATCH /listings/2021-08-01/items/A1SELLER/BAD", refuse(400, "BAD_REQUEST"))
	ts := httptest.NewServer(h)
	defer ts.Close()
	c, err := New(Config{Endpoint: ts.URL, LWAEndpoint: ts.URL + "/auth/o2/token", ClientID: "id", ClientSecret: "s", RefreshToken: "r",
		SellerID: "A1SELLER", MarketplaceID: "ATVPDKIKX0DER"}) // real clock and timers
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ce *cart.Error
	_, err = c.Orders(ctx, cart.OrderQuery{UpdatedFrom: time.Now().Add(-time.Hour), UpdatedTo: time.Now()})
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Temporary || ce.Message != "Amazon answered HTTP 400: InvalidInput: Refused here (why)" {
		t.Errorf("400: %v", err)
	}
	_, err = c.FBAInventory(ctx, time.Time{}, "")
	if !errors.Is(err, cart.ErrNotFound) {
		t.Errorf("404: %v", err)
	}
	if _, err := c.SetStock(ctx, []cart.StockUpdate{{SKU: "BIG", Quantity: 1}}); !errors.As(err, &ce) || ce.Status != 413 {
		t.Errorf("413: %v", err)
	}
	res, err := c.SetStock(ctx, []cart.StockUpdate{{SKU: "BAD", Quantity: 1}})
	if err != nil || len(res) != 1 || !errors.As(res[0].Err, &ce) || ce.Status != 400 {
		t.Errorf("400 to a patch: %v %v", err, res)
	}
	if c.MaxBatch() != MaxFeedBatch {
		t.Error("MaxBatch")
	}
	// Paced on the real clock: the burst of 5 then 5/s.
	t0 := time.Now()
	for range 8 {
		c.SetStock(ctx, []cart.StockUpdate{{SKU: "BAD", Quantity: 1}})
	}
	if d := time.Since(t0); d < 400*time.Millisecond {
		t.Errorf("9 patches at 5/s after a burst of 5 took %s", d)
	}
}
