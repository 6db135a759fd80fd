package simulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadConsent(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	for _, tt := range []struct {
		name, contentType, body string
		ok                      bool
	}{
		{"allowed", form, "decision=allow&state=s1", true},
		{"allowed, charset", form + "; charset=UTF-8", "decision=allow&state=s1", true},
		{"denied", form, "decision=deny&state=s1", false},
		{"no decision", form, "state=s1", false},
		{"JSON", "application/json", `{"decision":"allow"}`, false},
		{"no content type", "", "decision=allow", false},
		{"malformed", form, "decision=allow&state=%zz", false},
		{"too large", form, "decision=allow&pad=" + strings.Repeat("a", 17<<10), false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/consent", strings.NewReader(tt.body))
		if tt.contentType != "" {
			r.Header.Set("Content-Type", tt.contentType)
		}
		w := httptest.NewRecorder()
		got, ok := ReadConsent(w, r)
		if ok != tt.ok {
			t.Errorf("%s: ok = %v; want %v (%d %s)", tt.name, ok, tt.ok, w.Code, w.Body)
			continue
		}
		if ok && got.Get("state") != "s1" {
			t.Errorf("%s: form %v", tt.name, got)
		}
		if !ok && w.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d; want 400", tt.name, w.Code)
		}
	}
}
