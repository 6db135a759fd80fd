package woocommercesim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
)

// A batch item the reference's property table refuses fails alone, worded
// as WordPress words it; the items around it are applied.
func TestSchemaBatchItems(t *testing.T) {
	s, base := start(t, Options{})
	s.CreateProduct("MUG-BLUE", 1)
	s.CreateProduct("TEE-M", 1)
	s.CreateProduct("CAP-1", 1)
	links := s.Links()
	id := func(sku string) int64 { n, _ := strconv.ParseInt(links[sku].ProductID, 10, 64); return n }
	r := call(t, http.MethodPost, base+"/products/batch", "basic", map[string]any{"update": []any{
		map[string]any{"id": id("MUG-BLUE"), "stock_quantity": 7, "manage_stock": true},
		map[string]any{"id": id("TEE-M"), "stock_quantity": "three", "manage_stock": true},
		map[string]any{"id": id("CAP-1"), "stock_status": "plenty"},
		map[string]any{"id": id("CAP-1"), "stock_quantity": "9", "manage_stock": "true"}, // WordPress casts both
	}})
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var resp struct {
		Update []struct {
			ID    json.Number `json:"id"`
			Error *struct {
				Code    string         `json:"code"`
				Message string         `json:"message"`
				Data    map[string]any `json:"data"`
			} `json:"error"`
		} `json:"update"`
	}
	r.json(t, &resp)
	if len(resp.Update) != 4 {
		t.Fatalf("%s", r.body)
	}
	if resp.Update[0].Error != nil || resp.Update[3].Error != nil {
		t.Errorf("valid items refused: %s", r.body)
	}
	for i, want := range map[int]string{1: "stock_quantity is not of type integer.", 2: "stock_status is not one of instock, outofstock, onbackorder."} {
		e := resp.Update[i].Error
		if e == nil || e.Code != "rest_invalid_param" || e.Message != want || e.Data["status"] != float64(400) {
			t.Errorf("item %d: %+v; want rest_invalid_param %q", i, e, want)
		}
	}
	q := s.Quantities()
	if q["MUG-BLUE"] != 7 || q["TEE-M"] != 1 || q["CAP-1"] != 9 {
		t.Errorf("quantities %v", q)
	}
	if s.Stats().SchemaRefused != 2 {
		t.Errorf("SchemaRefused = %d", s.Stats().SchemaRefused)
	}
}

// A webhook the table refuses is refused as has_valid_params refuses it.
func TestSchemaWebhook(t *testing.T) {
	s, base := start(t, Options{})
	r := call(t, http.MethodPost, base+"/webhooks", "basic", map[string]any{
		"name": "x", "topic": "order.created", "delivery_url": "http://127.0.0.1:1/h", "secret": "s", "status": "on",
	})
	e := r.wpErr(t)
	if r.status != http.StatusBadRequest || e.Code != "rest_invalid_param" || e.Message != "Invalid parameter(s): status" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if len(s.Webhooks()) != 0 {
		t.Errorf("webhook made: %v", s.Webhooks())
	}
}
