package etsy

import (
	"context"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/pattern"
)

// reasonNoModifiedSince is why products are imported only once.
const reasonNoModifiedSince = "Etsy has no modified-since filter for listings, so products can only be imported by a one-time sync."

// Driver is what Autosync knows about Etsy (see cart.Driver). Etsy sends
// no signed webhooks, so it has no instasync.
var Driver = cart.Driver{
	ID:              "etsy",
	Label:           "Etsy",
	Validate:        validateChannel,
	New:             newConnector,
	Statuses:        Statuses,
	DefaultStatuses: DefaultStatuses,
	Offers: catalog.OfferTable("Etsy", map[catalog.Task]catalog.Availability{
		catalog.ImportOrders:   {Offer: catalog.Auto},
		catalog.WriteInventory: {Offer: catalog.Auto},
		catalog.ImportProducts: {Offer: catalog.Once, Reason: reasonNoModifiedSince},
	}),
	Connect: connect,
	Limits: cart.Limits{
		RateLimit:  "10 requests a second and 10,000 a day per OAuth token by default (x-limit-per-second, x-remaining-today); the client paces a little under the per-second limit and waits out per-second 429s.",
		StockBatch: maxStockBatch,
	},
}

var digits = pattern.New(`^[0-9]{1,20}$`)

func validateChannel(cfg cart.Config, creds cart.Credentials) []cart.Problem {
	var ps []cart.Problem
	if !digits.MatchString(cfg["shop_id"]) {
		ps = append(ps, cart.Problem{Field: "config.shop_id", Message: "Enter the Etsy shop's numeric id."})
	}
	if creds["api_key"] == "" || creds["shared_secret"] == "" || creds["token"] == "" {
		ps = append(ps, cart.Problem{Field: "credentials", Message: "The app's keystring and shared secret and the shop's OAuth token are required."})
	}
	return ps
}

func newConnector(b cart.Build) (cart.Connector, error) {
	c := Config{BaseURL: b.Config["api_base"], APIKey: b.Credentials["api_key"], SharedSecret: b.Credentials["shared_secret"],
		Token: b.Credentials["token"], RefreshToken: b.Credentials["refresh_token"], ShopID: b.Config["shop_id"], HTTPClient: b.HTTPClient}
	if exp, err := time.Parse(time.RFC3339, b.Credentials["token_expiry"]); err == nil {
		c.TokenExpiry = exp
	}
	if b.SaveCredentials != nil {
		c.OnTokens = func(ctx context.Context, t Tokens) error {
			upd := cart.Credentials{"token": t.Access, "refresh_token": t.Refresh}
			if !t.Expiry.IsZero() {
				upd["token_expiry"] = t.Expiry.UTC().Format(time.RFC3339)
			}
			// Saved even if the run's context ends: a rotated refresh
			// token that is not stored is lost.
			return b.SaveCredentials(context.WithoutCancel(ctx), upd)
		}
	}
	if b.LoadCredentials != nil {
		c.LoadTokens = func(ctx context.Context) (Tokens, error) {
			creds, err := b.LoadCredentials(ctx)
			if err != nil {
				return Tokens{}, err
			}
			t := Tokens{Access: creds["token"], Refresh: creds["refresh_token"]}
			t.Expiry, _ = time.Parse(time.RFC3339, creds["token_expiry"]) // zero: unknown
			return t, nil
		}
	}
	return cart.Built(New(c))
}
