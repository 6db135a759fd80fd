package cart

import (
	"context"
	"net/http"
	"time"

	"github.com/autosync/autosync/shared/catalog"
)

// Driver is everything Autosync knows about one cart, in one value the
// cart's package exports (its driver.go). The registry (cart/carts) lists
// the drivers; connector building, webhook verification, the executor's
// capability check and the Sync modal's offers all read them, so adding a
// cart is one package plus one registry line.
type Driver struct {
	// ID is the channel type stored with every channel ("shopify").
	ID catalog.Cart
	// Label is the name merchants know the cart by ("Shopify").
	Label string

	// Validate checks the cart's own config keys and credentials
	// (the connector factory checks what every cart shares: api_base and
	// the size of keys and values). Nil config or credentials are empty.
	Validate func(cfg Config, creds Credentials) []Problem
	// New builds the channel's connector from config and credentials
	// Validate accepted. What the connector does beyond checking its
	// credentials (OrderSource, StockWriter, ...) is read by type
	// assertion, and must match Offers.
	New func(b Build) (Connector, error)

	// Statuses lists every order status value support may choose from,
	// as the connector's OrderQuery.Statuses accepts them; DefaultStatuses
	// are the ones imported when support chose none.
	Statuses        func() []string
	DefaultStatuses func() []string

	// Offers says, for every task in catalog.Tasks, how the cart offers
	// it and why not where it is limited (build it with catalog.OfferTable).
	// The executor runs exactly the tasks offered here.
	Offers map[catalog.Task]catalog.Availability

	// Webhooks is how the cart signs and subscribes webhooks; nil for a
	// cart that sends none Autosync accepts.
	Webhooks *Webhooks

	// Limits are the cart's rate limit and batch facts.
	Limits Limits

	// Connect is how a merchant connects and re-authorizes a channel
	// through the cart's own authorization; nil when the cart cannot be
	// connected that way yet.
	Connect *Connect
}

// Problem is one thing wrong with a channel's config or credentials, with
// a merchant-readable message.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Build is what a driver's New gets: the channel's settings and secrets,
// and the factory's options.
type Build struct {
	AccountID   string
	ChannelID   string
	Config      Config
	Credentials Credentials
	// HTTPClient is the client every request goes through (nil: the
	// connector's default).
	HTTPClient *http.Client
	// SaveCredentials stores credential values the connector renewed
	// (rotating OAuth tokens); nil drops them. The connector calls it with
	// the request's context; it must outlive cancellation itself.
	SaveCredentials func(ctx context.Context, updates Credentials) error
	// LoadCredentials reads the channel's credentials as stored now; nil
	// when they cannot be read. A connector whose refresh token was
	// refused reads them to tell a grant revoked from one another run of
	// the channel renewed meanwhile (rotating refresh tokens work once,
	// and each run builds its own connector).
	LoadCredentials func(ctx context.Context) (Credentials, error)
}

// Connector is what every cart's connector offers: a credential check
// with the cheapest read the cart has (its package's check.go).
type Connector interface {
	CheckCredentials(ctx context.Context) error
}

// Webhooks describes a cart's webhooks.
type Webhooks struct {
	// Scheme names the signature scheme, for people: the header and MAC.
	Scheme string
	// Verify checks a delivery's signature with the channel's secret
	// (secret is non-empty) over the raw body and parses its delivery id,
	// topic and resource id. It returns ErrWebhookSignature or
	// ErrWebhookPayload (wrapped) for a delivery it refuses.
	Verify func(h http.Header, body, secret []byte, now time.Time) (Delivery, error)
	// ClientSecretSigned: the cart signs every delivery with the app's
	// client secret (the channel's client_secret credential) and ignores
	// any secret given when subscribing.
	ClientSecretSigned bool
	// Topics are the topics the connector's Subscriber subscribes, in the
	// order instasync subscribes them.
	Topics []Topic
}

// Limits are a cart's rate limit and batch facts.
type Limits struct {
	// RateLimit says how the cart limits requests and how the connector
	// paces itself, for people (docs, support).
	RateLimit string
	// StockBatch is the most stock updates one SetStock call carries (the
	// connector's default MaxBatch).
	StockBatch int
}

// AutoOffers is catalog.OfferTable for a cart that offers each of tasks on
// its own schedule (catalog.Auto) and no other.
func AutoOffers(label string, tasks ...catalog.Task) map[catalog.Task]catalog.Availability {
	offered := make(map[catalog.Task]catalog.Availability, len(tasks))
	for _, t := range tasks {
		offered[t] = catalog.Availability{Offer: catalog.Auto}
	}
	return catalog.OfferTable(label, offered)
}

// Built is a connector constructor's answer as a driver's New returns it:
// no connector at all, rather than a typed nil one, when it failed.
func Built[C Connector](c C, err error) (Connector, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}
