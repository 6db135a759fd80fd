// Package connector builds the cart connector for a channel and checks a
// channel's configuration and credentials before it is stored. It is the one
// place that knows which connector package serves which cart.
package connector

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/amazon"
	"github.com/autosync/autosync/shared/cart/amazon/region"
	"github.com/autosync/autosync/shared/cart/bigcommerce"
	"github.com/autosync/autosync/shared/cart/etsy"
	"github.com/autosync/autosync/shared/cart/shopify"
	"github.com/autosync/autosync/shared/cart/squarespace"
	"github.com/autosync/autosync/shared/cart/woocommerce"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/pattern"
)

// Problem is one thing wrong with a channel's config or credentials.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Factory builds connectors.
type Factory struct {
	HTTPClient *http.Client
	// AllowLoopbackBase lets a channel's config carry "api_base", a
	// loopback URL where a simulator serves the cart's API. Only make dev
	// and tests set it: in production it would let a merchant point the
	// service at arbitrary hosts.
	AllowLoopbackBase bool
	// SaveCredentials stores credential values a connector renewed (Etsy's
	// rotating OAuth tokens); nil drops them, and the channel then needs
	// re-authorization when its token expires.
	SaveCredentials func(ctx context.Context, account, channel string, updates cart.Credentials) error
	// SkipCredentialCheck accepts credentials without asking the cart
	// (CheckCredentials); only tests whose carts are not served set it.
	SkipCredentialCheck bool
}

var (
	shopDomain = pattern.New(`^[a-z0-9][a-z0-9-]{0,60}\.myshopify\.com$`)
	storeHash  = pattern.New(`^[a-z0-9]{1,32}$`)
	digits     = pattern.New(`^[0-9]{1,20}$`)
)

// Validate checks a channel's type, config and credentials.
func (f Factory) Validate(t catalog.Cart, cfg cart.Config, creds cart.Credentials) []Problem {
	var ps []Problem
	if base, ok := cfg["api_base"]; ok {
		if err := f.checkBase(base); err != nil {
			ps = append(ps, Problem{"config.api_base", err.Error()})
		}
	}
	for k, v := range cfg {
		if len(k) > 64 || len(v) > 512 {
			ps = append(ps, Problem{"config", "Config keys are at most 64 characters and values 512."})
			break
		}
	}
	for k, v := range creds {
		if len(k) > 64 || len(v) > 2048 {
			ps = append(ps, Problem{"credentials", "Credential names are at most 64 characters and values 2048."})
			break
		}
	}
	switch t {
	case catalog.Shopify:
		if !shopDomain.MatchString(cfg["shop"]) {
			ps = append(ps, Problem{"config.shop", "Enter the store's myshopify.com domain, like example.myshopify.com."})
		}
		if creds["access_token"] == "" {
			ps = append(ps, Problem{"credentials.access_token", "An Admin API access token is required."})
		}
	case catalog.BigCommerce:
		if l, ok := cfg["location_id"]; ok && !digits.MatchString(l) {
			ps = append(ps, Problem{"config.location_id", "The inventory location id is a whole number."})
		}
		if !storeHash.MatchString(cfg["store_hash"]) {
			ps = append(ps, Problem{"config.store_hash", "Enter the store hash from the store's API path (/stores/{store_hash}/)."})
		}
		if creds["access_token"] == "" {
			ps = append(ps, Problem{"credentials.access_token", "An API account access token is required."})
		}
	case catalog.WooCommerce:
		if u, err := url.Parse(cfg["store_url"]); err != nil || u.Scheme != "https" || u.Host == "" {
			ps = append(ps, Problem{"config.store_url", "Enter the store's https address, like https://shop.example."})
		}
		if creds["consumer_key"] == "" || creds["consumer_secret"] == "" {
			ps = append(ps, Problem{"credentials", "A REST API consumer key and consumer secret are required."})
		}
	case catalog.Etsy:
		if !digits.MatchString(cfg["shop_id"]) {
			ps = append(ps, Problem{"config.shop_id", "Enter the Etsy shop's numeric id."})
		}
		if creds["api_key"] == "" || creds["shared_secret"] == "" || creds["token"] == "" {
			ps = append(ps, Problem{"credentials", "The app's keystring and shared secret and the shop's OAuth token are required."})
		}
	case catalog.Squarespace:
		if creds["api_key"] == "" {
			ps = append(ps, Problem{"credentials.api_key", "A Commerce API key (or OAuth token) is required."})
		}
	case catalog.Amazon:
		if cfg["seller_id"] == "" || cfg["marketplace_id"] == "" {
			ps = append(ps, Problem{"config", "The seller id (merchant token) and marketplace id are required."})
		} else {
			ps = append(ps, amazonRegion(cfg)...)
		}
		if creds["client_id"] == "" || creds["client_secret"] == "" || creds["refresh_token"] == "" {
			ps = append(ps, Problem{"credentials", "The app's LWA client id and secret and the seller's refresh token are required."})
		}
	default:
		if !catalog.ValidCart(t) {
			ps = append(ps, Problem{"type", fmt.Sprintf("Unknown cart type %q.", t)})
		} else {
			ps = append(ps, Problem{"type", catalog.CartLabel(t) + " channels are not supported yet."})
		}
	}
	return ps
}

// amazonRegion checks an Amazon channel's marketplace, its optional
// region ("na", "eu", "fe": it must be the marketplace's, which chooses
// the SP-API host) and its optional sandbox flag (the region's sandbox
// host, for trying a connection without touching live data).
func amazonRegion(cfg cart.Config) []Problem {
	if _, err := region.Resolve(cfg["marketplace_id"], ""); err != nil {
		return []Problem{{"config.marketplace_id", capitalize(err.Error()) + "."}}
	}
	var ps []Problem
	if _, err := region.Resolve(cfg["marketplace_id"], cfg["region"]); err != nil {
		ps = append(ps, Problem{"config.region", capitalize(err.Error()) + "."})
	}
	if v := cfg["sandbox"]; v != "" {
		if _, err := strconv.ParseBool(v); err != nil {
			ps = append(ps, Problem{"config.sandbox", "Sandbox is true or false."})
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

func (f Factory) checkBase(base string) error {
	if !f.AllowLoopbackBase {
		return fmt.Errorf("api_base is only accepted by a local development server")
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("api_base must be an http URL")
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("api_base must be a loopback address")
	}
	return nil
}

// client builds the channel's cart client.
func (f Factory) client(ch channels.Channel, creds cart.Credentials) (any, error) {
	if ps := f.Validate(ch.Type, ch.Config, creds); len(ps) > 0 {
		return nil, fmt.Errorf("channel %s misconfigured: %s: %w", ch.ID, ps[0].Message, ErrUnsupported)
	}
	switch ch.Type {
	case catalog.Shopify:
		return shopify.New(shopify.Config{
			Shop: ch.Config["shop"], BaseURL: ch.Config["api_base"],
			AccessToken: creds["access_token"], HTTPClient: f.HTTPClient,
		})
	case catalog.BigCommerce:
		c := bigcommerce.Config{
			StoreHash: ch.Config["store_hash"], BaseURL: ch.Config["api_base"],
			AccessToken: creds["access_token"], HTTPClient: f.HTTPClient,
		}
		// location_id: the inventory location write-back sets (default 1).
		if id, err := strconv.Atoi(ch.Config["location_id"]); err == nil && id > 0 {
			c.LocationID = id
		}
		return bigcommerce.New(c)
	case catalog.WooCommerce:
		base := ch.Config["store_url"]
		if b := ch.Config["api_base"]; b != "" {
			base = b
		}
		return woocommerce.New(woocommerce.Config{
			BaseURL: base, ConsumerKey: creds["consumer_key"], ConsumerSecret: creds["consumer_secret"], HTTPClient: f.HTTPClient,
		})
	case catalog.Etsy:
		c := etsy.Config{BaseURL: ch.Config["api_base"], APIKey: creds["api_key"], SharedSecret: creds["shared_secret"],
			Token: creds["token"], RefreshToken: creds["refresh_token"], ShopID: ch.Config["shop_id"], HTTPClient: f.HTTPClient}
		if exp, err := time.Parse(time.RFC3339, creds["token_expiry"]); err == nil {
			c.TokenExpiry = exp
		}
		if f.SaveCredentials != nil {
			c.OnTokens = func(ctx context.Context, t etsy.Tokens) error {
				upd := cart.Credentials{"token": t.Access, "refresh_token": t.Refresh}
				if !t.Expiry.IsZero() {
					upd["token_expiry"] = t.Expiry.UTC().Format(time.RFC3339)
				}
				// Saved even if the run's context ends: a rotated refresh
				// token that is not stored is lost.
				return f.SaveCredentials(context.WithoutCancel(ctx), ch.AccountID, ch.ID, upd)
			}
		}
		return etsy.New(c)
	case catalog.Squarespace:
		return squarespace.New(squarespace.Config{BaseURL: ch.Config["api_base"], APIKey: creds["api_key"], HTTPClient: f.HTTPClient})
	case catalog.Amazon:
		c := amazon.Config{ClientID: creds["client_id"], ClientSecret: creds["client_secret"], RefreshToken: creds["refresh_token"],
			SellerID: ch.Config["seller_id"], MarketplaceID: ch.Config["marketplace_id"], Region: ch.Config["region"], HTTPClient: f.HTTPClient}
		c.Sandbox, _ = strconv.ParseBool(ch.Config["sandbox"]) // checked by Validate
		if b := ch.Config["api_base"]; b != "" {
			c.Endpoint, c.LWAEndpoint = b, strings.TrimRight(b, "/")+"/auth/o2/token"
		}
		return amazon.New(c)
	}
	return nil, fmt.Errorf("%s: %w", ch.Type, ErrUnsupported)
}

// as builds the client and checks it offers T.
func as[T any](f Factory, ch channels.Channel, creds cart.Credentials, what string) (T, error) {
	var zero T
	c, err := f.client(ch, creds)
	if err != nil {
		return zero, err
	}
	t, ok := c.(T)
	if !ok {
		return zero, fmt.Errorf("%s for %s: %w", what, ch.Type, ErrUnsupported)
	}
	return t, nil
}

// Orders returns the channel's order source.
func (f Factory) Orders(ch channels.Channel, creds cart.Credentials) (cart.OrderSource, error) {
	return as[cart.OrderSource](f, ch, creds, "orders")
}

// Listings returns the channel's listing source.
func (f Factory) Listings(ch channels.Channel, creds cart.Credentials) (cart.ListingSource, error) {
	return as[cart.ListingSource](f, ch, creds, "listings")
}

// Stock returns the channel's stock writer.
func (f Factory) Stock(ch channels.Channel, creds cart.Credentials) (cart.StockWriter, error) {
	return as[cart.StockWriter](f, ch, creds, "inventory")
}

// ErrUnsupported means the channel cannot run the task (yet).
var ErrUnsupported = fmt.Errorf("not supported for this channel")

// FBAInventory returns the channel's FBA inventory source (Amazon).
func (f Factory) FBAInventory(ch channels.Channel, creds cart.Credentials) (cart.FBAInventorySource, error) {
	return as[cart.FBAInventorySource](f, ch, creds, "FBA inventory")
}

// FBAOrders returns the channel's FBA order source (Amazon).
func (f Factory) FBAOrders(ch channels.Channel, creds cart.Credentials) (cart.FBAOrderSource, error) {
	return as[cart.FBAOrderSource](f, ch, creds, "FBA orders")
}

// OrderFetcher returns the channel's single-order fetcher (instasync).
func (f Factory) OrderFetcher(ch channels.Channel, creds cart.Credentials) (cart.OrderFetcher, error) {
	return as[cart.OrderFetcher](f, ch, creds, "order fetch")
}

// ListingFetcher returns the channel's single-product fetcher (instasync).
func (f Factory) ListingFetcher(ch channels.Channel, creds cart.Credentials) (cart.ListingFetcher, error) {
	return as[cart.ListingFetcher](f, ch, creds, "product fetch")
}

// Subscriber returns the channel's webhook subscription manager.
func (f Factory) Subscriber(ch channels.Channel, creds cart.Credentials) (cart.Subscriber, error) {
	return as[cart.Subscriber](f, ch, creds, "webhook subscriptions")
}

// OrderStatuses lists the order status values support may choose from for
// a cart, as the connector's query accepts them.
func (f Factory) OrderStatuses(t catalog.Cart) map[string]bool {
	var list []string
	switch t {
	case catalog.Shopify:
		list = shopify.Statuses()
	case catalog.BigCommerce:
		for id := range bigcommerce.Statuses() {
			list = append(list, id)
		}
	case catalog.WooCommerce:
		list = woocommerce.Statuses()
	case catalog.Etsy:
		list = etsy.Statuses()
	case catalog.Squarespace:
		list = squarespace.Statuses()
	case catalog.Amazon:
		list = amazon.Statuses()
	}
	out := make(map[string]bool, len(list))
	for _, s := range list {
		out[s] = true
	}
	return out
}
