package region

import (
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		market, region string
		want           Region
		host           string
		errPart        string
	}{
		{"ATVPDKIKX0DER", "", NorthAmerica, "sellingpartnerapi-na.amazon.com", ""},
		{"A2Q3Y263D00KWC", "NA", NorthAmerica, "sellingpartnerapi-na.amazon.com", ""},
		{"A1F83G8C2ARO7P", "", Europe, "sellingpartnerapi-eu.amazon.com", ""},
		{"A21TJRUUN4KGV", "eu", Europe, "sellingpartnerapi-eu.amazon.com", ""},
		{"A1VC38T7YXB528", "fe", FarEast, "sellingpartnerapi-fe.amazon.com", ""},
		{"A39IBJ37TRP1C6", "", FarEast, "sellingpartnerapi-fe.amazon.com", ""},
		{"A1VC38T7YXB528", "na", "", "", "served by the Far East region"},
		{"A1F83G8C2ARO7P", "us", "", "", "not an SP-API region"},
		{"A1NOTAMARKET", "", "", "", "not an Amazon marketplace id"},
		{"", "", "", "", "not an Amazon marketplace id"},
	} {
		got, err := Resolve(tc.market, tc.region)
		if tc.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("Resolve(%q, %q) = %v, %v; want an error with %q", tc.market, tc.region, got, err, tc.errPart)
			}
			continue
		}
		if err != nil || got != tc.want || got.Host(false) != tc.host || got.Endpoint(true) != "https://sandbox."+tc.host {
			t.Errorf("Resolve(%q, %q) = %v (%s), %v", tc.market, tc.region, got, got.Host(false), err)
		}
	}
}

func TestTable(t *testing.T) {
	seen := map[string]bool{}
	count := map[Region]int{}
	for _, m := range Marketplaces() {
		if seen[m.ID] || m.Country == "" || len(m.Code) != 2 {
			t.Errorf("bad row %+v", m)
		}
		seen[m.ID] = true
		count[m.Region]++
	}
	// The page's rows: 4 North America, 16 Europe, 3 Far East.
	if count[NorthAmerica] != 4 || count[Europe] != 16 || count[FarEast] != 3 {
		t.Errorf("rows per region %v", count)
	}
	if NorthAmerica.AWSRegion() != "us-east-1" || Europe.AWSRegion() != "eu-west-1" || FarEast.AWSRegion() != "us-west-2" {
		t.Error("AWS regions")
	}
}

// FuzzResolve: channel config is outside input; whatever Resolve accepts
// is a region with a host that serves the marketplace.
func FuzzResolve(f *testing.F) {
	f.Add("A1F83G8C2ARO7P", "")
	f.Add("A1VC38T7YXB528", "FE")
	f.Add("ATVPDKIKX0DER", "eu")
	f.Add("", " na ")
	f.Fuzz(func(t *testing.T, market, region string) {
		r, err := Resolve(market, region)
		if err != nil {
			return
		}
		m, ok := Lookup(market)
		if !ok || m.Region != r || r.Host(false) == "" || !strings.HasPrefix(r.Endpoint(true), "https://sandbox.sellingpartnerapi-") {
			t.Errorf("Resolve(%q, %q) = %q", market, region, r)
		}
	})
}
