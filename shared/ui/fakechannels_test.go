package ui

import (
	"encoding/json"
	"net/http"
	"strings"
)

// serveChannels answers, as the API does, what Add channel, Rename and
// Remove call: GET /v1/carts, POST /v1/channels/connect (the authorize URL
// is /consent on this server), PATCH and DELETE /v1/channels/{id}. f.mu is
// held.
func (f *fakeAPI) serveChannels(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	switch {
	case p == "/v1/carts" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"carts": []any{
			map[string]any{"cart": "shopify", "label": "Shopify", "fields": []any{map[string]string{"name": "shop_domain", "label": "Shop domain (example.myshopify.com)"}}},
			map[string]any{"cart": "bigcommerce", "label": "BigCommerce", "fields": []any{}},
		}})
	case p == "/v1/channels/connect" && r.Method == http.MethodPost:
		var body map[string]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "Bad JSON.", nil)
			return true
		}
		f.connects = append(f.connects, body)
		if body["cart"] == "shopify" && !strings.HasSuffix(body["shop_domain"], ".myshopify.com") {
			writeError(w, http.StatusUnprocessableEntity, "invalid", "The channel cannot be connected as given.",
				[]any{map[string]string{"field": "shop_domain", "message": "Enter the store's myshopify.com domain, like example.myshopify.com."}})
			return true
		}
		writeJSON(w, http.StatusOK, map[string]string{"authorize_url": "http://" + r.Host + "/consent?cart=" + body["cart"]})
	case strings.HasPrefix(p, "/v1/channels/") && (r.Method == http.MethodPatch || r.Method == http.MethodDelete):
		id := strings.TrimPrefix(p, "/v1/channels/")
		i := -1
		for j, c := range f.channels {
			if c.ID == id {
				i = j
			}
		}
		if i < 0 {
			writeError(w, http.StatusNotFound, "not_found", "Channel not found.", nil)
			return true
		}
		if r.Method == http.MethodDelete {
			f.channels = append(f.channels[:i], f.channels[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return true
		}
		var body struct{ Name string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || strings.TrimSpace(body.Name) == "" {
			writeError(w, http.StatusUnprocessableEntity, "invalid", "Send the channel's new name.", nil)
			return true
		}
		f.channels[i].Name = strings.TrimSpace(body.Name)
		writeJSON(w, http.StatusOK, map[string]string{"id": id, "name": f.channels[i].Name})
	default:
		return false
	}
	return true
}

func (f *fakeAPI) connectBodies() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]string(nil), f.connects...)
}

func (f *fakeAPI) channelNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.channels {
		out = append(out, c.Name)
	}
	return out
}
