package amazon

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

// countSleeps makes c count its sleeps.
func countSleeps(e *env, c *Client) *int {
	n := new(int)
	c.sleepFn = func(ctx context.Context, d time.Duration) error {
		*n++
		return e.clock.Sleep(ctx, d)
	}
	return n
}

func TestSubmitStockReturnsTicketWithoutWaiting(t *testing.T) {
	skus := skuList(300, "T")
	e := newEnv(t, amazonsim.Options{SKUs: skus})
	c := e.client(t, Config{})
	sleeps := countSleeps(e, c)
	e.sim.FailSKU("T-00007", 1)
	ups := pushOf(skus[:250], func(i int) int { return 2000 + i })
	ups[20] = cart.StockUpdate{SKU: "NO-SUCH-SKU", Quantity: 3}
	ups[30].Quantity = -1 // refused locally, in the middle
	before := e.sim.Quantities()

	res, ticket, err := c.SubmitStock(context.Background(), ups)
	if err != nil || res != nil || ticket == "" {
		t.Fatalf("submit: results %d, ticket %q, %v; want a ticket only", len(res), ticket, err)
	}
	if fs := e.sim.Feeds(); len(fs) != 1 || fs[0].Status == amazonsim.FeedDone {
		t.Fatalf("feeds %+v; want one processing", fs)
	}

	// Before Amazon processed it: not done, nothing changed.
	e.clock.Add(amazonsim.DefaultFeedDelay / 2)
	res, done, err := c.StockResults(context.Background(), ticket)
	if err != nil || done || res != nil {
		t.Fatalf("while processing: %d results, done %v, %v", len(res), done, err)
	}
	if q := e.sim.Quantities(); q[skus[0]] != before[skus[0]] {
		t.Error("a quantity changed before the feed was processed")
	}

	e.clock.Add(amazonsim.DefaultFeedDelay)
	res, done, err = c.StockResults(context.Background(), ticket)
	if err != nil || !done || len(res) != len(ups) {
		t.Fatalf("after processing: %d results, done %v, %v", len(res), done, err)
	}
	q := e.sim.Quantities()
	for i, u := range ups {
		var ce *cart.Error
		switch i {
		case 7, 20, 30:
			if !errors.As(res[i].Err, &ce) || ce.Message == "" {
				t.Errorf("%d %s: %v; want a per-SKU *cart.Error", i, u.SKU, res[i].Err)
			}
		default:
			if res[i].Err != nil || q[u.SKU] != u.Quantity {
				t.Errorf("%d %s: %v, simulator %d, pushed %d", i, u.SKU, res[i].Err, q[u.SKU], u.Quantity)
			}
		}
	}
	if !strings.Contains(res[7].Err.Error(), "The attributes are invalid") || !strings.Contains(res[20].Err.Error(), "no listing") ||
		!strings.Contains(res[30].Err.Error(), "below 0") {
		t.Errorf("refusals not mapped to their updates: %v / %v / %v", res[7].Err, res[20].Err, res[30].Err)
	}
	if *sleeps != 0 {
		t.Errorf("%d sleeps; submitting and asking must not wait", *sleeps)
	}
	if st := e.sim.Stats(); st.ByOperation[amazonsim.OpCreateFeed] != 1 || st.ByOperation[amazonsim.OpGetFeed] != 2 {
		t.Errorf("requests %v; want one feed and one getFeed per ask", st.ByOperation)
	}

	// Below the threshold: the patches' results at once, no ticket.
	small := pushOf(skus[:5], func(i int) int { return 9 + i })
	res, ticket, err = c.SubmitStock(context.Background(), small)
	if err != nil || ticket != "" || len(res) != len(small) {
		t.Fatalf("small push: %d results, ticket %q, %v", len(res), ticket, err)
	}
	checkPushed(t, e, small, res)
}

func TestStockResultsRefusesForeignTickets(t *testing.T) {
	skus := skuList(150, "G")
	e := newEnv(t, amazonsim.Options{SKUs: skus, FeedDelay: 3 * time.Hour})
	ups := pushOf(skus, func(i int) int { return i })
	_, ticket, err := e.c.SubmitStock(context.Background(), ups)
	if err != nil || ticket == "" {
		t.Fatalf("submit: %q, %v", ticket, err)
	}
	// In progress (from 1 h) past the give-up age: still processing, as
	// cancel_test.go checks with every state.
	e.clock.Add(defaultFeedPolicy.giveUp + time.Minute)
	if _, done, err := e.c.StockResults(context.Background(), ticket); done || err != nil {
		t.Errorf("in progress past the give-up age: done %v, %v; want still processing", done, err)
	}

	polls := e.sim.Stats().ByOperation[amazonsim.OpGetFeed]
	other := e.client(t, Config{SellerID: "A2OTHER"})
	_, foreignErr := decodeAndAsk(other, ticket)
	for name, tk := range map[string]string{
		"empty":         "",
		"garbage":       "not a ticket",
		"bad base64":    ticketPrefix + "!!!",
		"bad json":      ticketPrefix + "e30x",
		"no feed":       feedTicket{Version: 1, Seller: e.sim.SellerID(), Market: e.sim.MarketplaceID(), Created: start, N: 3}.encode(),
		"refused order": feedTicket{Version: 1, Seller: e.sim.SellerID(), Market: e.sim.MarketplaceID(), Feed: "1", Created: start, N: 3, Refused: []ticketRefusal{{2, "x"}, {1, "y"}}}.encode(),
		"all refused":   feedTicket{Version: 1, Seller: e.sim.SellerID(), Market: e.sim.MarketplaceID(), Feed: "1", Created: start, N: 1, Refused: []ticketRefusal{{0, "x"}}}.encode(),
	} {
		if _, done, err := e.c.StockResults(context.Background(), tk); err == nil || done {
			t.Errorf("%s: done %v, %v; want an error", name, done, err)
		}
	}
	if foreignErr == nil {
		t.Error("another seller's client read the ticket")
	}
	if n := e.sim.Stats().ByOperation[amazonsim.OpGetFeed]; n != polls {
		t.Errorf("%d getFeed requests for refused tickets", n-polls)
	}
}

func decodeAndAsk(c *Client, ticket string) ([]cart.StockResult, error) {
	res, _, err := c.StockResults(context.Background(), ticket)
	return res, err
}

func FuzzDecodeTicket(f *testing.F) {
	f.Add(feedTicket{Version: 1, Seller: "S", Market: "M", Feed: "50012000001", Created: start, N: 5, Refused: []ticketRefusal{{1, "quantity -1 is below 0"}}}.encode())
	f.Add(ticketPrefix + "e30")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tk, err := decodeTicket(s)
		if err != nil {
			return
		}
		again, err := decodeTicket(tk.encode())
		if err != nil || again.Feed != tk.Feed || again.N != tk.N || len(again.Refused) != len(tk.Refused) || len(tk.Refused) >= tk.N {
			t.Fatalf("%+v re-read as %+v, %v", tk, again, err)
		}
	})
}
