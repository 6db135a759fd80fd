package simulator

import "testing"

func TestGrants(t *testing.T) {
	var g Grants
	configured := []byte("configured-token")
	if !g.Accepted("configured-token", configured) || g.Accepted("", configured) || g.Accepted("other", configured) {
		t.Fatal("before any grant: only the configured token works")
	}
	code := g.Code("shop-a")
	if _, _, ok := g.Redeem("nope", "t_"); ok {
		t.Fatal("an unknown code redeemed")
	}
	tok, grant, ok := g.Redeem(code, "t_")
	if !ok || grant != "shop-a" || len(tok) != 2+32 || tok[:2] != "t_" {
		t.Fatalf("redeem: %q %q %v", tok, grant, ok)
	}
	if _, _, ok := g.Redeem(code, "t_"); ok {
		t.Fatal("a code redeemed twice")
	}
	if !g.Accepted(tok, configured) {
		t.Fatal("the issued token is refused")
	}
	g.Revoke()
	if g.Accepted(tok, configured) || g.Accepted("configured-token", configured) {
		t.Fatal("a token works after the app was removed")
	}
	if a, b := Random(8), Random(8); len(a) != 16 || a == b {
		t.Fatalf("Random: %q %q", a, b)
	}
}
