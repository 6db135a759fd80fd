package main

import (
	"context"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/awstest"
	"github.com/autosync/autosync/shared/catalog"
)

// The model end to end on a tiny merchant (Shopify and Amazon, 10 SKUs): a
// quiet hour, then an hour with 8 orders. Every ticked task runs at its
// interval against the emulator, its calls are counted and priced, and
// orders cost more than no orders.
func TestModelSmoke(t *testing.T) {
	ctx := context.Background()
	ep := awstest.Endpoint(t)
	p := Profiles["tiny"]
	quietP := p
	quietP.Name, quietP.OrdersPerHour = "tiny-quiet", 0
	out, err := RunPhases(ctx, ep, p.SKUs, quietP, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Fatalf("%d results, want 2", len(out))
	}
	quiet, res := out[0], out[1]
	if quiet.Orders != 0 || res.Orders != int(p.OrdersPerHour)*p.Hours {
		t.Errorf("orders created: %d quiet, %d busy; want 0 and %d", quiet.Orders, res.Orders, int(p.OrdersPerHour)*p.Hours)
	}
	byTask := map[string]TaskResult{}
	for _, tr := range res.Tasks {
		byTask[tr.Task] = tr
	}
	// Shopify: orders, write-back, products, images; Amazon: orders,
	// write-back, FBA inventory, FBA orders.
	wantTicks := map[catalog.Task]int{
		catalog.ImportOrders: 2 * p.Hours, catalog.WriteInventory: 2 * p.Hours, catalog.ImportFBAInventory: p.Hours,
		catalog.ImportProducts: 1, catalog.ImportProductImages: 1, catalog.ImportFBAOrders: 1,
	}
	for task, want := range wantTicks {
		tr, ok := byTask[string(task)]
		if !ok {
			t.Errorf("%s never ran", task)
			continue
		}
		if tr.Ticks != want || tr.Invocations < tr.Ticks {
			t.Errorf("%s: %d ticks, %d invocations; want %d ticks", task, tr.Ticks, tr.Invocations, want)
		}
		if tr.Usage.Calls["dynamodb:GetItem"] == 0 || tr.Usage.WRU == 0 || tr.Usage.RRU == 0 {
			t.Errorf("%s: no DynamoDB reads and writes counted: %+v", task, tr.Usage)
		}
		// Credentials open under the data key the warm-up opened: no run
		// in the window calls KMS (a sealer calling KMS per run would).
		if n := tr.Usage.Calls["kms:Decrypt"] + tr.Usage.Calls["kms:Encrypt"] + tr.Usage.Calls["kms:GenerateDataKey"]; n != 0 {
			t.Errorf("%s: %d KMS calls in the window, want none", task, n)
		}
		// A run that found nothing logs at debug; importing orders is
		// something.
		if task == catalog.ImportOrders && tr.LogBytes == 0 {
			t.Errorf("%s: logged nothing", task)
		}
	}
	// The daily passes over everything are priced on top of the window:
	// one per channel that has the task.
	for task, channels := range map[catalog.Task]int{catalog.WriteInventory: 2, catalog.ImportFBAInventory: 1} {
		d := byTask[string(task)].Daily
		if d == nil || d.Invocations != channels || d.MonthlyFactor != 30 || d.Usage.RRU == 0 {
			t.Errorf("%s: daily pass %+v, want %d runs priced 30 times a month", task, d, channels)
		}
	}
	if d := byTask[string(catalog.ImportOrders)].Daily; d != nil {
		t.Errorf("import_orders priced a daily pass it does not have: %+v", d)
	}
	// An hourly task on two channels runs 1,440 times in a 30-day month.
	if f := byTask[string(catalog.ImportOrders)].MonthlyFactor; f != 720/float64(p.Hours) {
		t.Errorf("import_orders monthly factor %v, want %v", f, 720/float64(p.Hours))
	}
	months := Months(res, DefaultOptions)
	prices, err := ParsePrices(pricesJSON)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range months {
		if Total(prices.Cost(m.Q)) <= 0 {
			t.Errorf("%s costs nothing", m.Task)
		}
	}
	// Importing orders writes them: the busy hour's import costs more
	// write units than the quiet one's.
	var quietWRU float64
	for _, tr := range quiet.Tasks {
		if tr.Task == string(catalog.ImportOrders) {
			quietWRU = tr.Usage.WRU
		}
	}
	if busy := byTask[string(catalog.ImportOrders)].Usage.WRU; busy <= quietWRU || quietWRU == 0 {
		t.Errorf("import_orders WRU: %v in the hour with orders, %v in the quiet one", busy, quietWRU)
	}
	if res.Wall > 60*time.Second {
		t.Logf("slow: %v", res.Wall)
	}
}

func TestExtrapolateSKUs(t *testing.T) {
	mk := func(wru, gbs float64) []TaskMonth {
		return []TaskMonth{{Task: "write_inventory", Q: Quantities{WRU: wru, GBSeconds: gbs}, DDBCalls: wru}}
	}
	// Idle costs 100 WRU at 100 SKUs and 150 at 200: 0.5 per SKU. A busy
	// run at 200 SKUs (400 WRU) at 2,000 SKUs adds 1,800 × 0.5.
	got := ExtrapolateSKUs(mk(400, 10), 200, mk(100, 9), 100, mk(150, 8), 200, 2000)
	if got[0].Q.WRU != 400+900 || got[0].DDBCalls != 400+900 {
		t.Errorf("WRU %v, calls %v; want 1300", got[0].Q.WRU, got[0].DDBCalls)
	}
	// A slope that falls (noise) is not extrapolated.
	if got[0].Q.GBSeconds != 10 {
		t.Errorf("GB-s %v, want 10", got[0].Q.GBSeconds)
	}
	if same := ExtrapolateSKUs(mk(400, 10), 200, mk(100, 9), 100, mk(150, 8), 200, 200); same[0].Q.WRU != 400 {
		t.Errorf("no extrapolation wanted: %v", same[0].Q.WRU)
	}
}
