package cart

import "testing"

func TestAppBase(t *testing.T) {
	for _, tc := range []struct{ apiBase, live, want string }{
		{"", "https://login.example", "https://login.example"},
		{"http://127.0.0.1:8080/", "https://login.example", "http://127.0.0.1:8080"},
		{"http://127.0.0.1:8080", "", "http://127.0.0.1:8080"},
	} {
		if got := (App{APIBase: tc.apiBase}).Base(tc.live); got != tc.want {
			t.Errorf("APIBase %q, live %q: %q, want %q", tc.apiBase, tc.live, got, tc.want)
		}
	}
}
