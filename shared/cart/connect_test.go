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

func TestBaseURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://api.example": true, "http://127.0.0.1:8080/base/": true,
		"ftp://api.example": false, "https://": false, "/relative": false, "%zz": false, "": false,
		"https://api.example/?a=1": false, "https://api.example/#f": false, "https://user:pw@api.example": false,
	} {
		if u, got := BaseURL(raw); got != ok || ok && u.String() != raw {
			t.Errorf("BaseURL(%q) = %v, %v; want ok %v", raw, u, got, ok)
		}
	}
}

func TestHTTPSBaseURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://api.example": true, "http://127.0.0.1:8080": true, "http://localhost:9/": true,
		"http://api.example": false, "ftp://api.example": false, "https://u@api.example": false,
	} {
		if u, err := HTTPSBaseURL(raw); (err == nil) != ok || ok && u.String() != raw {
			t.Errorf("HTTPSBaseURL(%q) = %v, %v; want ok %v", raw, u, err, ok)
		}
	}
}
