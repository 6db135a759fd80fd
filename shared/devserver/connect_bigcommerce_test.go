package devserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// startInBrowser posts path as the page does, from a browser keeping
// cookies, and returns the authorize URL.
func startInBrowser(t *testing.T, c client, br *http.Client, path string, body any) string {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := br.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("%s: %d", path, resp.StatusCode)
	}
	return out.AuthorizeURL
}

// TestConnectBigCommerceInMakeDev: in make dev a merchant installs the app
// from the BigCommerce simulator's install page, tied to the account by the
// state cookie; the simulator's uninstall callback disconnects it and
// re-authorizing brings it back. Without the cookie the install is refused.
func TestConnectBigCommerceInMakeDev(t *testing.T) {
	c, _ := startDemo(t, 1)
	br := browser()
	authURL := startInBrowser(t, c, br, "/v1/channels/connect", map[string]string{"cart": "bigcommerce", "name": "Installed"})
	// A browser that did not start here is sent back to Add channel.
	if code, _ := follow(t, authURL); code != http.StatusBadRequest {
		t.Fatalf("install without the state cookie: %d", code)
	}
	code, loc := followIn(t, br, authURL)
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/#channel=ch_") {
		t.Fatalf("callback: %d %q", code, loc)
	}
	id := strings.TrimPrefix(loc, "/#channel=")
	if ch := c.channel(id); ch.Status != "active" || ch.Name != "Installed" || ch.Type != "bigcommerce" {
		t.Fatalf("connected channel %+v", ch)
	}
	if code := c.do("POST", "/dev/channels/"+id+"/uninstall", nil, nil); code != http.StatusOK {
		t.Fatalf("uninstall: %d", code)
	}
	if ch := c.channel(id); ch.Status != "disconnected" {
		t.Fatalf("after uninstall: %+v", ch)
	}
	authURL = startInBrowser(t, c, br, "/v1/channels/"+id+"/reauthorize", nil)
	if code, loc := followIn(t, br, authURL); code != http.StatusSeeOther || loc != "/#channel="+id {
		t.Fatalf("re-authorization callback: %d %q", code, loc)
	}
	if ch := c.channel(id); ch.Status != "active" {
		t.Fatalf("after re-authorization: %+v", ch)
	}
}
