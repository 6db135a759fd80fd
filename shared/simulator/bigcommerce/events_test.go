package bigcommercesim

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// A transaction's callback names the order in data.order_id (a string,
// as BigCommerce's events page has it since November 2025), with no
// data.id; an order metafield's names it in data.resource_id. Both come
// to a store/order/* hook.
func TestWebhookTransactionAndMetafieldEvents(t *testing.T) {
	f := hookFixture(t, Options{})
	rc := newReceiver(t, nil)
	f.hook(t, "store/order/*", rc.URL, nil)
	id := f.sim.CreateOrder(nil)
	rc.Next(t) // store/order/created

	txn, err := f.sim.RecordTransaction(id)
	if err != nil || txn == "" {
		t.Fatalf("RecordTransaction = %q, %v", txn, err)
	}
	a := rc.Next(t)
	var cb struct {
		Scope string                     `json:"scope"`
		Data  map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(a.Body, &cb); err != nil {
		t.Fatal(err)
	}
	var typ, orderID, txnID string
	json.Unmarshal(cb.Data["type"], &typ)
	json.Unmarshal(cb.Data["order_id"], &orderID)
	json.Unmarshal(cb.Data["transaction_id"], &txnID)
	if _, hasID := cb.Data["id"]; cb.Scope != "store/order/transaction/created" || typ != "transaction" || orderID != id || txnID != txn || hasID {
		t.Fatalf("transaction callback %s", a.Body)
	}
	if d := verify(t, a, hookSecret); d.Topic != cart.TopicOrders || d.ResourceID != id {
		t.Errorf("transaction delivery verified as %+v; want orders, %s", d, id)
	}

	if err := f.sim.SetOrderMetafield(id); err != nil {
		t.Fatal(err)
	}
	a = rc.Next(t)
	cb.Data = nil
	if err := json.Unmarshal(a.Body, &cb); err != nil {
		t.Fatal(err)
	}
	var resource string
	json.Unmarshal(cb.Data["resource_id"], &resource)
	if _, hasID := cb.Data["id"]; cb.Scope != "store/order/metafield/created" || resource != id || hasID || cb.Data["metafield_id"] == nil {
		t.Fatalf("metafield callback %s", a.Body)
	}
	if d := verify(t, a, hookSecret); d.Topic != "" {
		t.Errorf("metafield delivery verified as %+v; want no topic (ignored)", d)
	}
	drain(t, f.sim)
	for _, d := range f.sim.Deliveries() {
		if !d.Delivered || d.ResourceID != id {
			t.Errorf("delivery %+v", d)
		}
	}

	if _, err := f.sim.RecordTransaction("999999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RecordTransaction of an unknown order = %v", err)
	}
	if err := f.sim.SetOrderMetafield("x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetOrderMetafield of an unknown order = %v", err)
	}
}
