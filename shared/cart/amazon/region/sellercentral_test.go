package region

import (
	"strings"
	"testing"
)

func TestSellerCentral(t *testing.T) {
	for _, m := range Marketplaces() {
		u := m.SellerCentral()
		if !strings.HasPrefix(u, "https://sellercentral") || !strings.Contains(u, ".amazon.") {
			t.Errorf("%s (%s): Seller Central %q", m.ID, m.Code, u)
		}
	}
	if len(sellerCentral) != len(Marketplaces()) {
		t.Errorf("%d Seller Central URLs for %d marketplaces", len(sellerCentral), len(Marketplaces()))
	}
	for in, want := range map[string]string{"ATVPDKIKX0DER": "ATVPDKIKX0DER", "us": "ATVPDKIKX0DER", "UK": "A1F83G8C2ARO7P", "JP": "A1VC38T7YXB528"} {
		if m, ok := FindMarketplace(in); !ok || m.ID != want {
			t.Errorf("FindMarketplace(%q) = %v %v", in, m, ok)
		}
	}
	for _, in := range []string{"", "GB", "atvpdkikx0der", "XX"} {
		if m, ok := FindMarketplace(in); ok {
			t.Errorf("FindMarketplace(%q) = %v", in, m)
		}
	}
}
