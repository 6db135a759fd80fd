package amazon

import (
	"strconv"
	"strings"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/amazon/region"
	"github.com/autosync/autosync/shared/catalog"
)

const (
	reasonReport        = "Amazon lists products through a slow report, so products can only be imported by a one-time sync."
	noteSellerFulfilled = "Seller-fulfilled (MFN) orders and listings only; FBA has its own tasks."
)

// Driver is what Autosync knows about Amazon (see cart.Driver). The
// Notifications API is SQS-based, not signed webhooks, so it has no
// instasync.
var Driver = cart.Driver{
	ID:              "amazon",
	Label:           "Amazon",
	Validate:        validateChannel,
	New:             newConnector,
	Statuses:        Statuses,
	DefaultStatuses: DefaultStatuses,
	Offers: catalog.OfferTable("Amazon", map[catalog.Task]catalog.Availability{
		catalog.ImportOrders:       {Offer: catalog.Auto, Note: noteSellerFulfilled},
		catalog.WriteInventory:     {Offer: catalog.Auto, Note: noteSellerFulfilled},
		catalog.ImportProducts:     {Offer: catalog.Once, Reason: reasonReport},
		catalog.ImportFBAInventory: {Offer: catalog.Auto},
		catalog.ImportFBAOrders:    {Offer: catalog.Auto},
	}),
	Connect: connect,
	Limits: cart.Limits{
		RateLimit:  "A token bucket per SP-API operation (rate adapts to x-amzn-RateLimit-Limit); the client paces each operation to its bucket and waits out 429 QuotaExceeded.",
		StockBatch: MaxFeedBatch,
	},
}

func validateChannel(cfg cart.Config, creds cart.Credentials) []cart.Problem {
	var ps []cart.Problem
	if cfg["seller_id"] == "" || cfg["marketplace_id"] == "" {
		ps = append(ps, cart.Problem{Field: "config", Message: "The seller id (merchant token) and marketplace id are required."})
	} else {
		ps = append(ps, checkRegion(cfg)...)
	}
	if creds["client_id"] == "" || creds["client_secret"] == "" || creds["refresh_token"] == "" {
		ps = append(ps, cart.Problem{Field: "credentials", Message: "The app's LWA client id and secret and the seller's refresh token are required."})
	}
	return ps
}

// checkRegion checks an Amazon channel's marketplace, its optional region
// ("na", "eu", "fe": it must be the marketplace's, which chooses the
// SP-API host) and its optional sandbox flag (the region's sandbox host,
// for trying a connection without touching live data).
func checkRegion(cfg cart.Config) []cart.Problem {
	if _, err := region.Resolve(cfg["marketplace_id"], ""); err != nil {
		return []cart.Problem{{Field: "config.marketplace_id", Message: capitalize(err.Error()) + "."}}
	}
	var ps []cart.Problem
	if _, err := region.Resolve(cfg["marketplace_id"], cfg["region"]); err != nil {
		ps = append(ps, cart.Problem{Field: "config.region", Message: capitalize(err.Error()) + "."})
	}
	if v := cfg["sandbox"]; v != "" {
		if _, err := strconv.ParseBool(v); err != nil {
			ps = append(ps, cart.Problem{Field: "config.sandbox", Message: "Sandbox is true or false."})
		}
	}
	return ps
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func newConnector(b cart.Build) (cart.Connector, error) {
	c := Config{ClientID: b.Credentials["client_id"], ClientSecret: b.Credentials["client_secret"], RefreshToken: b.Credentials["refresh_token"],
		SellerID: b.Config["seller_id"], MarketplaceID: b.Config["marketplace_id"], Region: b.Config["region"], HTTPClient: b.HTTPClient}
	c.Sandbox, _ = strconv.ParseBool(b.Config["sandbox"]) // checked by Validate
	if a := b.Config["api_base"]; a != "" {
		c.Endpoint, c.LWAEndpoint = a, strings.TrimRight(a, "/")+"/auth/o2/token"
	}
	return cart.Built(New(c))
}
