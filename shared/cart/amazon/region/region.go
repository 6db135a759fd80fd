// Package region is Amazon's table of SP-API selling regions and
// marketplaces: which host serves which marketplace. The connector and the
// simulator share it.
package region

import (
	"fmt"
	"slices"
	"strings"
)

// Region is an SP-API selling region: each has its own host, and a
// marketplace is served only by its region's host.
type Region string

// The three selling regions.
const (
	NorthAmerica Region = "na"
	Europe       Region = "eu"
	FarEast      Region = "fe"
)

// regionInfo is one row of Amazon's "SP-API Endpoints" page
// (https://developer-docs.amazon.com/sp-api/docs/sp-api-endpoints).
type regionInfo struct {
	name      string
	host      string // production; the sandbox host is "sandbox." + host
	awsRegion string
}

var regions = map[Region]regionInfo{
	NorthAmerica: {"North America", "sellingpartnerapi-na.amazon.com", "us-east-1"},
	Europe:       {"Europe", "sellingpartnerapi-eu.amazon.com", "eu-west-1"},
	FarEast:      {"Far East", "sellingpartnerapi-fe.amazon.com", "us-west-2"},
}

// Marketplace is one row of Amazon's "Marketplace IDs" page
// (https://developer-docs.amazon.com/sp-api/docs/marketplace-ids).
type Marketplace struct {
	ID      string
	Country string
	Code    string // the page's country code (UK, not GB)
	Region  Region
}

// marketplaces is the "Marketplace IDs" page, region by region, in its
// order.
var marketplaces = []Marketplace{
	{"A2EUQ1WTGCTBG2", "Canada", "CA", NorthAmerica},
	{"ATVPDKIKX0DER", "United States of America", "US", NorthAmerica},
	{"A1AM78C64UM0Y8", "Mexico", "MX", NorthAmerica},
	{"A2Q3Y263D00KWC", "Brazil", "BR", NorthAmerica},

	{"A28R8C7NBKEWEA", "Ireland", "IE", Europe},
	{"A1RKKUPIHCS9HS", "Spain", "ES", Europe},
	{"A1F83G8C2ARO7P", "United Kingdom", "UK", Europe},
	{"A13V1IB3VIYZZH", "France", "FR", Europe},
	{"AMEN7PMS3EDWL", "Belgium", "BE", Europe},
	{"A1805IZSGTT6HS", "Netherlands", "NL", Europe},
	{"A1PA6795UKMFR9", "Germany", "DE", Europe},
	{"APJ6JRA9NG5V4", "Italy", "IT", Europe},
	{"A2NODRKZP88ZB9", "Sweden", "SE", Europe},
	{"AE08WJ6YKNBMC", "South Africa", "ZA", Europe},
	{"A1C3SOZRARQ6R3", "Poland", "PL", Europe},
	{"ARBP9OOSHTCHU", "Egypt", "EG", Europe},
	{"A33AVAJ2PDY3EV", "Turkey", "TR", Europe},
	{"A17E79C6D8DWNP", "Saudi Arabia", "SA", Europe},
	{"A2VIGQ35RCS4UG", "United Arab Emirates", "AE", Europe},
	{"A21TJRUUN4KGV", "India", "IN", Europe},

	{"A19VAU5U5O7RUS", "Singapore", "SG", FarEast},
	{"A39IBJ37TRP1C6", "Australia", "AU", FarEast},
	{"A1VC38T7YXB528", "Japan", "JP", FarEast},
}

// Marketplaces returns Amazon's marketplaces, for choosing one.
func Marketplaces() []Marketplace { return slices.Clone(marketplaces) }

// Lookup finds a marketplace by id.
func Lookup(id string) (Marketplace, bool) {
	i := slices.IndexFunc(marketplaces, func(m Marketplace) bool { return m.ID == id })
	if i < 0 {
		return Marketplace{}, false
	}
	return marketplaces[i], true
}

// Parse reads a region code ("na", "EU", ...); ok is false for
// anything else.
func Parse(s string) (Region, bool) {
	r := Region(strings.ToLower(strings.TrimSpace(s)))
	_, ok := regions[r]
	return r, ok
}

// Name is the region's name on Amazon's endpoints page.
func (r Region) Name() string { return regions[r].name }

// AWSRegion is the AWS region Amazon names for the region's host.
func (r Region) AWSRegion() string { return regions[r].awsRegion }

// Host is the region's SP-API host, or its sandbox host.
func (r Region) Host(sandbox bool) string {
	h := regions[r].host
	if h != "" && sandbox {
		h = "sandbox." + h
	}
	return h
}

// Endpoint is the region's SP-API base URL, or its sandbox's.
func (r Region) Endpoint(sandbox bool) string { return "https://" + r.Host(sandbox) }

// Resolve checks a channel's marketplace and, when given, its
// region, and returns the region that serves the marketplace. The errors
// are fit to show a merchant.
func Resolve(marketplaceID, region string) (Region, error) {
	m, ok := Lookup(marketplaceID)
	if !ok {
		return "", fmt.Errorf("%q is not an Amazon marketplace id (amazon.com is ATVPDKIKX0DER, amazon.co.uk A1F83G8C2ARO7P, amazon.co.jp A1VC38T7YXB528)", marketplaceID)
	}
	if region == "" {
		return m.Region, nil
	}
	r, ok := Parse(region)
	if !ok {
		return "", fmt.Errorf("%q is not an SP-API region (na, eu or fe)", region)
	}
	if r != m.Region {
		return "", fmt.Errorf("marketplace %s (%s) is served by the %s region (%s), not %s (%s)",
			m.ID, m.Country, m.Region.Name(), m.Region, r.Name(), r)
	}
	return r, nil
}
