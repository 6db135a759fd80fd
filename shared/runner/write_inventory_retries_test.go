package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/runs"
)

// TestWriteInventoryReportsRetries: a cart that had to re-read and
// recompute a quantity because it changed under the push (a sale between
// its read and its write) says so in StockResult.Retries, and the run's
// detail names the SKU; the push still counts as pushed.
func TestWriteInventoryReportsRetries(t *testing.T) {
	f := newFixture(t, 0)
	f.shelf.add("SKU-00", 20)
	f.shelf.add("SKU-01", 20)
	// A product we already have, with no stock of ours: after the import
	// the cart shows 20 and we say 0, so it needs a push.
	if _, err := f.inv.Update(context.Background(), "acct", "SKU-00", true, func(p *inventory.Product) error { p.Name = "Ours"; return nil }); err != nil {
		t.Fatal(err)
	}
	if run := f.runTask(t, catalog.ImportProducts); run.Status != runs.Succeeded {
		t.Fatalf("import products %+v", run)
	}
	if got := f.needsSync(t, false); len(got) != 1 || got[0] != "SKU-00" {
		t.Fatalf("needs sync %v", got)
	}
	f.shelf.retries = map[string]int{"SKU-00": 2}
	run := f.runTask(t, catalog.WriteInventory)
	if run.Status != runs.Succeeded || run.Counts.Pushed != 1 || run.Counts.Failed != 0 {
		t.Fatalf("write inventory %+v", run)
	}
	if len(run.Detail) != 1 || !strings.HasPrefix(run.Detail[0], "SKU-00: the cart's quantity changed while it was pushed") ||
		!strings.Contains(run.Detail[0], "2 time(s)") {
		t.Errorf("detail %q; want SKU-00's two retries reported", run.Detail)
	}
}
