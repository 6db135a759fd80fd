package region

// sellerCentral is each marketplace's Seller Central, where a seller
// authorizes an application (Amazon's "Seller Central URLs" page, the
// website authorization workflow): the European marketplaces Amazon has
// long served share sellercentral-europe, the others have their own.
var sellerCentral = map[string]string{
	"A2EUQ1WTGCTBG2": "https://sellercentral.amazon.ca",
	"ATVPDKIKX0DER":  "https://sellercentral.amazon.com",
	"A1AM78C64UM0Y8": "https://sellercentral.amazon.com.mx",
	"A2Q3Y263D00KWC": "https://sellercentral.amazon.com.br",

	"A28R8C7NBKEWEA": "https://sellercentral.amazon.ie",
	"A1RKKUPIHCS9HS": "https://sellercentral-europe.amazon.com",
	"A1F83G8C2ARO7P": "https://sellercentral-europe.amazon.com",
	"A13V1IB3VIYZZH": "https://sellercentral-europe.amazon.com",
	"AMEN7PMS3EDWL":  "https://sellercentral.amazon.com.be",
	"A1805IZSGTT6HS": "https://sellercentral.amazon.nl",
	"A1PA6795UKMFR9": "https://sellercentral-europe.amazon.com",
	"APJ6JRA9NG5V4":  "https://sellercentral-europe.amazon.com",
	"A2NODRKZP88ZB9": "https://sellercentral.amazon.se",
	"AE08WJ6YKNBMC":  "https://sellercentral.amazon.co.za",
	"A1C3SOZRARQ6R3": "https://sellercentral.amazon.pl",
	"ARBP9OOSHTCHU":  "https://sellercentral.amazon.eg",
	"A33AVAJ2PDY3EV": "https://sellercentral.amazon.com.tr",
	"A17E79C6D8DWNP": "https://sellercentral.amazon.sa",
	"A2VIGQ35RCS4UG": "https://sellercentral.amazon.ae",
	"A21TJRUUN4KGV":  "https://sellercentral.amazon.in",

	"A19VAU5U5O7RUS": "https://sellercentral.amazon.sg",
	"A39IBJ37TRP1C6": "https://sellercentral.amazon.com.au",
	"A1VC38T7YXB528": "https://sellercentral.amazon.co.jp",
}

// SellerCentral is the marketplace's Seller Central base URL.
func (m Marketplace) SellerCentral() string { return sellerCentral[m.ID] }

// FindMarketplace finds a marketplace by id or by its country code
// ("US", "uk", "DE").
func FindMarketplace(s string) (Marketplace, bool) {
	if m, ok := Lookup(s); ok {
		return m, true
	}
	for _, m := range marketplaces {
		if len(s) == 2 && (m.Code == s || m.Code == upper(s)) {
			return m, true
		}
	}
	return Marketplace{}, false
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}
