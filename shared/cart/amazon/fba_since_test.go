package amazon

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart/amazon/amazontest"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

// FBAInventory with a since asks Amazon only for what changed since then
// (startDateTime, whole seconds, as the published model takes it); without
// one, or one older than Amazon looks back, it asks for everything. A
// cursor keeps the since its listing began with.
func TestFBAInventorySince(t *testing.T) {
	skus := make([]string, 120)
	for i := range skus {
		skus[i] = fmt.Sprintf("FBA-%03d", i)
	}
	clock := amazonsim.NewClock(start)
	sim := amazonsim.New(amazonsim.Options{SKUs: skus, Now: clock.Now})
	rec := &recorder{h: sim}
	ts := httptest.NewServer(rec)
	t.Cleanup(ts.Close)
	e := &env{sim: sim, clock: clock, url: ts.URL}
	c := e.client(t, Config{})
	ctx := context.Background()

	for _, s := range skus {
		sim.SetFBAQuantity(s, 10)
	}
	clock.Add(time.Hour)
	changedAt := clock.Now()
	var changed []string
	for _, s := range skus[20:80] { // two pages of 50
		sim.SetFBAQuantity(s, 3)
		changed = append(changed, s)
	}
	clock.Add(10 * time.Minute)

	// list pages through the listing from since; it returns the SKUs read
	// and the startDateTime of each request (absent: "").
	list := func(since time.Time, between func(next string) time.Time) ([]string, []string) {
		t.Helper()
		rec.mu.Lock()
		rec.xs = nil
		rec.mu.Unlock()
		var got []string
		cursor := ""
		for pages := 1; ; pages++ {
			p, err := c.FBAInventory(ctx, since, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				got = append(got, it.SKU)
			}
			if p.Next == "" || pages > 10 {
				break
			}
			if between != nil {
				since = between(p.Next)
			}
			cursor = p.Next
		}
		var starts []string
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, x := range rec.xs {
			if x.path == "/auth/o2/token" {
				continue
			}
			model, tmpl, ok := amazontest.Route(x.method, x.path)
			if !ok {
				t.Fatalf("%s %s is in no model", x.method, x.path)
			}
			if err := amazontest.ValidateQuery(t, model, tmpl, x.method, x.query); err != nil {
				t.Errorf("the request does not match getInventorySummaries: %v", err)
			}
			starts = append(starts, x.query.Get("startDateTime"))
		}
		slices.Sort(got)
		return got, starts
	}

	got, starts := list(time.Time{}, nil)
	if !slices.Equal(got, skus) || !slices.Equal(starts, []string{"", "", ""}) {
		t.Errorf("everything: %d SKUs, startDateTime %q; want %d SKUs in 3 requests without it", len(got), starts, len(skus))
	}

	since := changedAt.Add(-90 * time.Second).Add(700 * time.Millisecond)
	want := since.UTC().Truncate(time.Second).Format(time.RFC3339)
	got, starts = list(since, nil)
	if !slices.Equal(got, changed) || !slices.Equal(starts, []string{want, want}) {
		t.Errorf("changed since %s: %d SKUs, startDateTime %q; want the %d changed in 2 requests from %s", since, len(got), starts, len(changed), want)
	}

	// A cursor continues the listing it belongs to, whatever since comes
	// with it: its next token is only good for that query.
	got, starts = list(since, func(string) time.Time { return time.Time{} })
	if !slices.Equal(got, changed) || !slices.Equal(starts, []string{want, want}) {
		t.Errorf("cursor with another since: %d SKUs, startDateTime %q; want the listing it began", len(got), starts)
	}
	got, starts = list(time.Time{}, func(string) time.Time { return since })
	if !slices.Equal(got, skus) || !slices.Equal(starts, []string{"", "", ""}) {
		t.Errorf("cursor of a full listing with a since: %d SKUs, startDateTime %q; want the full listing", len(got), starts)
	}

	// Amazon looks back 18 months: an older since lists everything.
	old := clock.Now().AddDate(-2, 0, 0)
	if got, starts = list(old, nil); !slices.Equal(got, skus) || starts[0] != "" {
		t.Errorf("since two years ago: %d SKUs, startDateTime %q; want everything, without it", len(got), starts)
	}
	recent := clock.Now().AddDate(0, -17, 0)
	if _, starts = list(recent, nil); starts[0] != recent.UTC().Format(time.RFC3339) {
		t.Errorf("since 17 months ago: startDateTime %q, want %s", starts, recent.UTC().Format(time.RFC3339))
	}
}
