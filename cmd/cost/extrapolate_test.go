package main

import "testing"

func TestScaleOrders(t *testing.T) {
	idle := []TaskMonth{{Task: "import_orders", Q: Quantities{WRU: 100, KMSRequests: 10}, DDBCalls: 50}}
	at := []TaskMonth{{Task: "import_orders", Q: Quantities{WRU: 300, KMSRequests: 10}, DDBCalls: 80}}
	got := ScaleOrders(at, idle, 5)
	if got[0].Q.WRU != 100+5*200 || got[0].DDBCalls != 50+5*30 || got[0].Q.KMSRequests != 10 {
		t.Errorf("scaled %+v", got[0])
	}
	if same := ScaleOrders(at, idle, 1); same[0].Q.WRU != 300 {
		t.Errorf("factor 1 changed the month: %+v", same[0])
	}
}
