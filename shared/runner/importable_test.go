package runner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/store"
)

// The fake cart's statuses are its orders' CartStatus values. Like a real
// cart's, its default import leaves unpaid orders out ("unpaid" reads as
// awaiting fulfillment, as BigCommerce's Awaiting Payment does); a
// channel's statuses name the ones it imports instead.
const fakeUnpaid = "unpaid"

// fakeImportable is the fake cart's StatusMatcher, and what its Orders
// selects.
func fakeImportable(o cart.Order, statuses []string) bool {
	if len(statuses) == 0 {
		return o.CartStatus != fakeUnpaid
	}
	return slices.Contains(statuses, o.CartStatus)
}

func (fakeConnector) Importable(o cart.Order, statuses []string) bool {
	return fakeImportable(o, statuses)
}

var _ cart.StatusMatcher = fakeConnector{}

func TestInstasyncCreatesOnlyImportableOrders(t *testing.T) {
	f := newFixture(t, 0)
	f.r.Implemented = map[catalog.Cart]map[catalog.Task]bool{catalog.Shopify: {
		catalog.ImportOrders: true, catalog.InstasyncOrders: true}}
	f.r.Statuses = f.r.Channels
	ctx := context.Background()
	if _, err := f.inv.ImportListing(ctx, "acct", f.ch.ID, cart.Listing{SKU: "X", Name: "X"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.inv.SetOnHand(ctx, "acct", "X", inventory.DefaultWarehouse, 10); err != nil {
		t.Fatal(err)
	}
	report := func(id, status string, qty int) {
		f.clk.Add(time.Second)
		at := f.clk.Now()
		f.cart.add(cart.Order{ExternalID: id, Number: "#" + id, CartStatus: status, Filter: cart.AwaitingFulfillment,
			Lines: []cart.Line{{SKU: "X", Quantity: qty}}, CreatedAt: at, UpdatedAt: at})
	}
	committed := func() int {
		t.Helper()
		p, _, err := f.inv.Get(ctx, "acct", "X")
		if err != nil {
			t.Fatal(err)
		}
		return p.Stock[inventory.DefaultWarehouse].Committed
	}
	held := func(id string) (string, bool) {
		t.Helper()
		o, err := f.r.Orders.Get(ctx, "acct", f.ch.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			return "", false
		}
		if err != nil {
			t.Fatal(err)
		}
		return o.Status, true
	}
	for _, step := range []struct {
		name     string
		report   func()
		statuses []string // the channel's, nil: the cart's defaults
		id       string
		want     runs.Counts
		// held is the stored order's status afterwards ("" when none);
		// committed the stock all orders hold.
		held      string
		committed int
	}{
		{"an unpaid order is not created", func() { report("u1", fakeUnpaid, 2) }, nil, "u1",
			runs.Counts{Fetched: 1, Skipped: 1}, "", 0},
		{"a paid order is", func() { report("p1", "paid", 3) }, nil, "p1",
			runs.Counts{Fetched: 1, Created: 1}, "paid", 3},
		{"an order held that goes back to unpaid is still updated", func() { report("p1", fakeUnpaid, 4) }, nil, "p1",
			runs.Counts{Fetched: 1, Updated: 1}, fakeUnpaid, 4},
		{"the channel's statuses decide, not the defaults", func() {}, []string{"paid", fakeUnpaid}, "u1",
			runs.Counts{Fetched: 1, Created: 1}, fakeUnpaid, 6},
		{"a status the channel does not import is not created", func() { report("p2", "paid", 1) }, []string{fakeUnpaid}, "p2",
			runs.Counts{Fetched: 1, Skipped: 1}, "", 6},
	} {
		step.report()
		if _, err := f.r.Channels.SetOrderStatuses(ctx, "acct", f.ch.ID, step.statuses); err != nil {
			t.Fatal(err)
		}
		run, err := f.r.Handle(ctx, runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: catalog.InstasyncOrders, Trigger: runs.Webhook, ResourceID: step.id})
		if err != nil {
			t.Fatal(err)
		}
		c := run.Counts
		if run.Status != runs.Succeeded || c != step.want || c.Fetched != c.Created+c.Updated+c.Unchanged+c.Skipped+c.Failed {
			t.Errorf("%s: %s %+v, want succeeded %+v", step.name, run.Status, c, step.want)
		}
		// A skip says why, for support; nothing else adds detail.
		if len(run.Detail) != c.Skipped || c.Skipped == 1 && !strings.Contains(run.Detail[0], "not one this channel imports") {
			t.Errorf("%s: detail %q", step.name, run.Detail)
		}
		if status, ok := held(step.id); status != step.held || ok != (step.held != "") {
			t.Errorf("%s: order %s held %v in status %q, want %q", step.name, step.id, ok, status, step.held)
		}
		if got := committed(); got != step.committed {
			t.Errorf("%s: %d committed, want %d", step.name, got, step.committed)
		}
	}
}

// plainConnectors build a connector that fetches orders but cannot say
// which the scheduled import selects.
type plainConnectors struct{ src *fakeCart }

func (c plainConnectors) Connector(channels.Channel, cart.Credentials) (cart.Connector, error) {
	return plainConnector{c.src}, nil
}

type plainConnector struct{ *fakeCart }

func (plainConnector) CheckCredentials(context.Context) error { return nil }

func TestInstasyncWithoutStatusMatcherUpserts(t *testing.T) {
	f := newFixture(t, 0)
	f.r.Implemented = map[catalog.Cart]map[catalog.Task]bool{catalog.Shopify: {catalog.InstasyncOrders: true}}
	f.r.Connectors = plainConnectors{f.cart}
	at := f.clk.Now()
	f.cart.add(cart.Order{ExternalID: "u1", CartStatus: fakeUnpaid, Filter: cart.AwaitingFulfillment, CreatedAt: at, UpdatedAt: at})
	run, err := f.r.Handle(context.Background(), runs.Input{AccountID: "acct", ChannelID: f.ch.ID, Task: catalog.InstasyncOrders, Trigger: runs.Webhook, ResourceID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != runs.Succeeded || run.Counts != (runs.Counts{Fetched: 1, Created: 1}) {
		t.Errorf("%s %+v, want the order created", run.Status, run.Counts)
	}
}
