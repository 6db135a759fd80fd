package connect

import (
	"errors"
	"net/http"
	"testing"

	"github.com/autosync/autosync/shared/cart"
)

// TestStateCookie: a cart whose callback carries no state gets the state
// in a cookie: __Host- and Secure over https, the plain name only on a
// loopback http address; HttpOnly, Lax, as long as the state lives. Other
// carts get none.
func TestStateCookie(t *testing.T) {
	cases := []struct {
		base, name, path string
		secure           bool
	}{
		{"https://autosync.example.com", "__Host-autosync_connect", "/", true},
		{"http://127.0.0.1:8080", "autosync_connect", "/oauth/bigcommerce", false},
	}
	for _, c := range cases {
		s := &Service{BaseURL: c.base}
		ck := s.StateCookie("bigcommerce", "st")
		if ck == nil || ck.Name != c.name || ck.Path != c.path || ck.Secure != c.secure || !ck.HttpOnly ||
			ck.SameSite != http.SameSiteLaxMode || ck.MaxAge != int(StateTTL.Seconds()) || ck.Value != "st" || ck.Domain != "" {
			t.Errorf("%s: cookie %+v", c.base, ck)
		}
		if ck.Valid() != nil {
			t.Errorf("%s: invalid cookie: %v", c.base, ck.Valid())
		}
		if cl := s.ClearStateCookie("bigcommerce"); cl == nil || cl.MaxAge >= 0 || cl.Name != c.name {
			t.Errorf("%s: clearing cookie %+v", c.base, cl)
		}
		// Every cart's authorization is bound to its browser so.
		if ck := s.StateCookie("shopify", "st"); ck == nil || ck.Name != c.name || ck.Value != "st" || (!c.secure && ck.Path != "/oauth/shopify") {
			t.Errorf("shopify's state cookie %+v", ck)
		}
		if ck := s.StateCookie("nosuchcart", "st"); ck != nil {
			t.Errorf("an unknown cart got a state cookie %+v", ck)
		}
		// The callback reads the cookie of its own name only.
		cn := &cart.Connect{StateCookie: true}
		h := http.Header{}
		h.Add("Cookie", c.name+"=abc")
		if got, err := s.callbackState(t.Context(), cn, cart.Callback{Header: h}); err != nil || got != "abc" {
			t.Errorf("%s: state %q %v", c.base, got, err)
		}
		other := "__Host-autosync_connect"
		if c.secure {
			other = "autosync_connect" // a plain cookie a sibling host could plant
		}
		h = http.Header{}
		h.Add("Cookie", other+"=abc")
		if _, err := s.callbackState(t.Context(), cn, cart.Callback{Header: h}); !errors.Is(err, ErrNoState) {
			t.Errorf("%s: cookie %s accepted: %v", c.base, other, err)
		}
	}
}

// TestSameBrowser: a request completes an authorization only when its
// state cookie, of Autosync's own name, is the state it names.
func TestSameBrowser(t *testing.T) {
	s := &Service{BaseURL: "https://autosync.example.com"}
	cases := []struct {
		name, cookie, state string
		want                error
	}{
		{"its own state", "__Host-autosync_connect=st1", "st1", nil},
		{"another state", "__Host-autosync_connect=st2", "st1", ErrOtherBrowser},
		{"a longer state", "__Host-autosync_connect=st1", "st1x", ErrOtherBrowser},
		{"no cookie", "", "st1", ErrNoState},
		{"a plain-named cookie", "autosync_connect=st1", "st1", ErrNoState},
		{"no state named", "__Host-autosync_connect=st1", "", ErrNoState},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.cookie != "" {
			h.Set("Cookie", c.cookie)
		}
		if err := s.sameBrowser(h, c.state); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
