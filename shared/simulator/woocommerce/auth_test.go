package woocommercesim

import "testing"

// The REST API key's permissions and existence, as WC_REST_Authentication
// answers them.
func TestKeyPermissions(t *testing.T) {
	readOnly, roAPI := start(t, Options{KeyPermissions: PermRead})
	_, woAPI := start(t, Options{KeyPermissions: PermWrite})
	revoked, rvAPI := start(t, Options{})
	revoked.RevokeKeys()
	id := readOnly.Links()["SKU-0001"].ProductID
	batch := map[string]any{"update": []any{map[string]any{"id": mustInt(id), "stock_quantity": 1}}}
	tests := []struct {
		name, method, url, auth string
		body                    any
		status                  int
		code, message           string
	}{
		{"read-only key reads", "GET", roAPI + "/products", "basic", nil, 200, "", ""},
		{"read-only key writes", "POST", roAPI + "/products/batch", "basic", batch, 401, "woocommerce_rest_authentication_error", "The API key provided does not have write permissions."},
		{"read-only key, query string", "POST", roAPI + "/products/batch", "query", batch, 401, "woocommerce_rest_authentication_error", "The API key provided does not have write permissions."},
		{"write-only key reads", "GET", woAPI + "/products", "basic", nil, 401, "woocommerce_rest_authentication_error", "The API key provided does not have read permissions."},
		{"write-only key writes", "POST", woAPI + "/products/batch", "basic", batch, 200, "", ""},
		{"deleted key reads", "GET", rvAPI + "/products", "basic", nil, 401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."},
		{"deleted key, query string", "GET", rvAPI + "/products", "query", nil, 401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."},
		{"deleted key writes", "POST", rvAPI + "/products/batch", "basic", batch, 401, "woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, tt.method, tt.url, tt.auth, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if tt.code != "" {
				if e := r.wpErr(t); e.Code != tt.code || e.Message != tt.message {
					t.Errorf("error %+v; want %s %q", e, tt.code, tt.message)
				}
			}
		})
	}
	if q := readOnly.Quantities()["SKU-0001"]; q == 1 {
		t.Error("a read-only key changed stock")
	}
}
