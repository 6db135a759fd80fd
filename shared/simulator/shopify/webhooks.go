package shopifysim

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/simulator/outbox"
	"github.com/google/uuid"
)

// Webhooks (Shopify's webhooks docs). Subscriptions are made with the GraphQL
// Admin API's webhookSubscriptionCreate and removed with
// webhookSubscriptionDelete; webhookSubscription(id:) and
// webhookSubscriptions(...) read them. When an order or product changes,
// every subscription to the topic gets a POST of the resource's REST JSON
// (numeric id), signed as Shopify signs: X-Shopify-Hmac-Sha256 is
// base64(HMAC-SHA256(app client secret, raw body)); the subscriber chooses
// no secret. Deliveries carry X-Shopify-Topic, -Webhook-Id (stable across
// retries), -Event-Id (the same on duplicates), -Triggered-At,
// -Shop-Domain and -API-Version (the version the subscription was made
// with).
//
// A delivery fails on a non-2xx answer or when no answer comes within
// Options.WebhookTimeout (5 s; connecting may take 1 s). It is tried 8
// times in all, waiting 2, 4, 8, ... 128 minutes between tries (about 4
// hours, as Shopify documents; its exact schedule is not published) in
// units of Options.WebhookDelayUnit; every retry carries the original
// payload and ids. A delivery that fails all 8 tries removes its
// subscription, as Shopify does for subscriptions made through the Admin
// API.
//
// Events: CreateOrder sends orders/create and orders/paid; CancelOrder
// orders/cancelled and orders/updated; FulfillOrder orders/fulfilled and
// orders/updated; CreateProduct and AddProduct products/create;
// TouchProduct products/update. Stock changes (SetQuantity, orders,
// inventorySetQuantities) send no product webhook here.
//
// Deviations, on purpose: a callback URL may be http on a loopback host
// (Shopify demands https), and only JSON format is delivered.

// Defaults used when Options leave webhook fields empty.
const (
	// DefaultClientSecret is the app client secret deliveries are signed
	// with when Options.ClientSecret is empty.
	DefaultClientSecret = "shpss_simulator_client_secret"
	// DefaultShop is the X-Shopify-Shop-Domain of deliveries when
	// Options.Shop is empty.
	DefaultShop = "simulator.myshopify.com"
	// DefaultWebhookTimeout is how long Shopify waits for an answer.
	DefaultWebhookTimeout = 5 * time.Second
	webhookConnectTimeout = time.Second
)

// webhookRetries are the waits before each retry, in seconds: 8 tries in
// all over about 4 hours.
var webhookRetries = []int{120, 240, 480, 960, 1920, 3840, 7680}

// webhookTopics maps WebhookSubscriptionTopic values to the REST topic
// names deliveries carry in X-Shopify-Topic.
var webhookTopics = map[string]string{
	"APP_UNINSTALLED":         "app/uninstalled",
	"INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
	"ORDERS_CANCELLED":        "orders/cancelled",
	"ORDERS_CREATE":           "orders/create",
	"ORDERS_FULFILLED":        "orders/fulfilled",
	"ORDERS_PAID":             "orders/paid",
	"ORDERS_UPDATED":          "orders/updated",
	"PRODUCTS_CREATE":         "products/create",
	"PRODUCTS_UPDATE":         "products/update",
}

func init() {
	enums["WebhookSubscriptionTopic"] = sortedKeys(webhookTopics)
	enums["WebhookSubscriptionFormat"] = []string{"JSON", "XML"}
	// callbackUrl is deprecated in 2026-10 ("Use `uri` instead.") but not
	// removed, so the simulator still takes it, as Shopify does; the
	// connector's conformance test keeps it from being used.
	inputObjects["WebhookSubscriptionInput"] = map[string]string{
		"callbackUrl":         "URL",
		"uri":                 "String",
		"format":              "WebhookSubscriptionFormat",
		"includeFields":       "[String!]",
		"metafieldNamespaces": "[String!]",
		"filter":              "String",
	}
	inputScalars["URL"] = true
	schema["WebhookSubscriptionConnection"] = map[string]fieldDef{
		"edges":    {kind: kindObject, typ: "WebhookSubscriptionEdge"},
		"nodes":    {kind: kindObject, typ: "WebhookSubscription"},
		"pageInfo": {kind: kindObject, typ: "PageInfo"},
	}
	schema["WebhookSubscriptionEdge"] = map[string]fieldDef{
		"cursor": {typ: "String!"},
		"node":   {kind: kindObject, typ: "WebhookSubscription"},
	}
	schema["QueryRoot"]["webhookSubscription"] = fieldDef{kind: kindObject, typ: "WebhookSubscription", args: map[string]string{"id": "ID!"}}
	schema["QueryRoot"]["webhookSubscriptions"] = fieldDef{kind: kindConnection, typ: "WebhookSubscriptionConnection",
		args: withArgs(pageArgs, map[string]string{
			"topics": "[WebhookSubscriptionTopic!]", "callbackUrl": "URL", "uri": "String", "format": "WebhookSubscriptionFormat",
		})}
	schema["Mutation"]["webhookSubscriptionCreate"] = fieldDef{kind: kindObject, typ: "WebhookSubscriptionCreatePayload", cost: 10,
		args: map[string]string{"topic": "WebhookSubscriptionTopic!", "webhookSubscription": "WebhookSubscriptionInput!"}}
	schema["Mutation"]["webhookSubscriptionDelete"] = fieldDef{kind: kindObject, typ: "WebhookSubscriptionDeletePayload", cost: 10,
		args: map[string]string{"id": "ID!"}}
	schema["WebhookSubscription"] = map[string]fieldDef{
		"id":               {typ: "ID!"},
		"legacyResourceId": {typ: "UnsignedInt64!"},
		"topic":            {typ: "WebhookSubscriptionTopic!"},
		"format":           {typ: "WebhookSubscriptionFormat!"},
		"callbackUrl":      {typ: "URL!"},
		"uri":              {typ: "String!"},
		"includeFields":    {typ: "[String!]!"},
		"createdAt":        {typ: "DateTime!"},
		"updatedAt":        {typ: "DateTime!"},
	}
	schema["WebhookSubscriptionCreatePayload"] = map[string]fieldDef{
		"webhookSubscription": {kind: kindObject, typ: "WebhookSubscription"},
		"userErrors":          {kind: kindList, typ: "UserError"},
	}
	schema["WebhookSubscriptionDeletePayload"] = map[string]fieldDef{
		"deletedWebhookSubscriptionId": {typ: "ID"},
		"userErrors":                   {kind: kindList, typ: "UserError"},
	}
	schema["UserError"] = map[string]fieldDef{
		"field":   {typ: "[String!]"},
		"message": {typ: "String!"},
	}
}

// webhookSub is one webhook subscription.
type webhookSub struct {
	id        int64
	topic     string // WebhookSubscriptionTopic
	url       string
	format    string
	version   string // API version of the request that made it
	createdAt time.Time
}

func webhookGID(id int64) string {
	return "gid://shopify/WebhookSubscription/" + strconv.FormatInt(id, 10)
}

// hooks holds the subscriptions. Its lock is taken after s.mu, never
// before, and never with the outbox's.
type hooks struct {
	mu   sync.Mutex
	subs []*webhookSub // in creation order
	next int64
	// removed counts subscriptions Shopify removed after failed deliveries.
	removed int
}

// WebhookSubscription is a copy of one subscription, for tests.
type WebhookSubscription struct {
	ID          string // gid://shopify/WebhookSubscription/{n}
	Topic       string // WebhookSubscriptionTopic: ORDERS_CREATE, ...
	CallbackURL string
	Format      string
	APIVersion  string
	CreatedAt   time.Time
}

// WebhookSubscriptions returns the subscriptions in creation order.
func (s *Server) WebhookSubscriptions() []WebhookSubscription {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := make([]WebhookSubscription, len(s.hooks.subs))
	for i, w := range s.hooks.subs {
		out[i] = WebhookSubscription{ID: webhookGID(w.id), Topic: w.topic, CallbackURL: w.url, Format: w.format,
			APIVersion: w.version, CreatedAt: w.createdAt}
	}
	return out
}

// ClientSecret is the app client secret deliveries are signed with.
func (s *Server) ClientSecret() string { return string(s.clientSecret) }

// WebhookFaults are delivery faults to inject into the next deliveries
// (outbox.Faults). Shopify's Duplicate is a second delivery of the same
// event, as Shopify sends at times: the same X-Shopify-Event-Id and a new
// X-Shopify-Webhook-Id. FailFirst's lost answer is retried, so the
// receiver gets the same X-Shopify-Webhook-Id again.
type WebhookFaults = outbox.Faults

// Delivery is one attempt to deliver a webhook, as the simulator sent it
// (outbox.Delivery). Topic is the REST topic ("orders/create");
// ResourceID the legacy id of the order or product; ID the
// X-Shopify-Webhook-Id, the same on each retry; EventID the
// X-Shopify-Event-Id, the same on each copy. Ping is always false.
type Delivery = outbox.Delivery

// SetWebhookFaults replaces the pending delivery faults.
func (s *Server) SetWebhookFaults(f WebhookFaults) { s.out.SetFaults(f) }

// Deliveries returns every delivery attempt so far (the latest 10,000),
// in the order they were made.
func (s *Server) Deliveries() []Delivery { return s.out.Deliveries() }

// DrainWebhooks waits until no delivery is queued, in flight or waiting
// for a retry (a delivery held back by WebhookFaults.OutOfOrder is sent),
// or until ctx ends.
func (s *Server) DrainWebhooks(ctx context.Context) error { return s.out.Drain(ctx) }

// Close stops webhook delivery, retries included, and waits for its
// goroutines to end. The simulator still answers API requests.
func (s *Server) Close() { s.out.Close() }

func (s *Server) sub(id int64) *webhookSub {
	for _, w := range s.hooks.subs {
		if w.id == id {
			return w
		}
	}
	return nil
}

// publish queues a delivery of the payload body makes to every
// subscription to topic (a REST topic name). body is called only when
// someone subscribes; the caller holds s.mu so it reads a consistent
// store.
func (s *Server) publish(topic string, resource int64, at time.Time, body func() any) {
	s.hooks.mu.Lock()
	var subs []int64
	for _, w := range s.hooks.subs {
		if webhookTopics[w.topic] == topic {
			subs = append(subs, w.id)
		}
	}
	s.hooks.mu.Unlock()
	if len(subs) == 0 {
		return
	}
	b, err := json.Marshal(body())
	if err != nil {
		panic(fmt.Sprintf("shopifysim: encoding a webhook payload: %v", err))
	}
	event := uuid.NewString()
	jobs := make([]*outbox.Job, len(subs))
	for i, id := range subs {
		jobs[i] = &outbox.Job{Subscription: webhookGID(id), Topic: topic, ResourceID: strconv.FormatInt(resource, 10),
			ID: uuid.NewString(), EventID: event, At: at, Body: b}
	}
	s.out.Enqueue(jobs...)
}

// hookCart is the Shopify side of the outbox.
type hookCart struct{ s *Server }

func (c hookCart) Prepare(j *outbox.Job) (string, http.Header, bool) {
	s := c.s
	n, _ := parseGID(j.Subscription, "WebhookSubscription")
	s.hooks.mu.Lock()
	w := s.sub(n)
	var target, version string
	if w != nil {
		target, version = w.url, w.version
	}
	s.hooks.mu.Unlock()
	if w == nil {
		return "", nil, false
	}
	mac := hmac.New(sha256.New, s.clientSecret)
	mac.Write(j.Body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Shopify-Captain-Hook")
	h.Set("X-Shopify-Topic", j.Topic)
	h.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	h.Set("X-Shopify-Shop-Domain", s.shop)
	h.Set("X-Shopify-API-Version", version)
	h.Set("X-Shopify-Webhook-Id", j.ID)
	h.Set("X-Shopify-Event-Id", j.EventID)
	h.Set("X-Shopify-Triggered-At", j.At.UTC().Format(time.RFC3339Nano))
	return target, h, true
}

// settle removes a subscription whose delivery failed every try.
func (c hookCart) Settle(j *outbox.Job, delivered, final bool) {
	if delivered || !final {
		return
	}
	n, _ := parseGID(j.Subscription, "WebhookSubscription")
	c.s.hooks.mu.Lock()
	defer c.s.hooks.mu.Unlock()
	if i := slices.IndexFunc(c.s.hooks.subs, func(w *webhookSub) bool { return w.id == n }); i >= 0 {
		c.s.hooks.subs = slices.Delete(c.s.hooks.subs, i, i+1)
		c.s.hooks.removed++
	}
}

// CopyOf is Shopify's duplicate: the same event, a new webhook id.
func (hookCart) CopyOf(j *outbox.Job) *outbox.Job {
	d := *j
	d.ID = uuid.NewString()
	return &d
}

// loopback reports whether host is a loopback name or address.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hookUserError is a UserError of the webhook mutations.
type hookUserError struct {
	field   []string
	message string
}

type createResult struct {
	sub  *webhookSub
	errs []hookUserError
}

type deleteResult struct {
	deleted string
	errs    []hookUserError
}

// createSubscription runs webhookSubscriptionCreate. The caller holds s.mu.
func (x *executor) createSubscription(args map[string]any) *createResult {
	s := x.srv
	topic, _ := args["topic"].(string)
	in, _ := args["webhookSubscription"].(map[string]any)
	addr, _ := in["callbackUrl"].(string)
	field := "callbackUrl"
	if u, _ := in["uri"].(string); addr == "" && u != "" {
		addr, field = u, "uri"
	}
	bad := func(msg string) *createResult {
		return &createResult{errs: []hookUserError{{field: []string{"webhookSubscription", field}, message: msg}}}
	}
	if addr == "" {
		return bad("Address can't be blank")
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" ||
		!(u.Scheme == "https" || u.Scheme == "http" && loopback(u.Hostname())) {
		return bad("Address is invalid")
	}
	format, _ := in["format"].(string)
	if format == "" {
		format = "JSON"
	}
	if format != "JSON" {
		return &createResult{errs: []hookUserError{{field: []string{"webhookSubscription", "format"},
			message: "The simulator delivers JSON only"}}}
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	for _, w := range s.hooks.subs {
		if w.topic == topic && w.url == addr {
			return bad("Address for this topic has already been taken")
		}
	}
	s.hooks.next++
	w := &webhookSub{id: s.hooks.next, topic: topic, url: addr, format: format, version: x.version, createdAt: x.now}
	s.hooks.subs = append(s.hooks.subs, w)
	return &createResult{sub: w}
}

// deleteSubscription runs webhookSubscriptionDelete.
func (x *executor) deleteSubscription(args map[string]any) (*deleteResult, error) {
	s := x.srv
	id, _ := args["id"].(string)
	n, ok := parseGID(id, "WebhookSubscription")
	if !ok {
		return nil, invalidID(id)
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	i := slices.IndexFunc(s.hooks.subs, func(w *webhookSub) bool { return w.id == n })
	if i < 0 {
		return &deleteResult{errs: []hookUserError{{field: []string{"id"}, message: "Webhook subscription does not exist"}}}, nil
	}
	s.hooks.subs = slices.Delete(s.hooks.subs, i, i+1)
	return &deleteResult{deleted: id}, nil
}

// resolveHooks resolves the webhook types; ok is false for other types.
func (x *executor) resolveHooks(typ string, src any, f *field, args map[string]any) (v any, ok bool, err error) {
	s := x.srv
	ok = true
	switch typ {
	case "QueryRoot":
		switch f.name {
		case "webhookSubscription":
			s.hooks.mu.Lock()
			defer s.hooks.mu.Unlock()
			v, err = lookup(args["id"], "WebhookSubscription", func(n int64) (any, bool) {
				w := s.sub(n)
				if w == nil {
					return nil, false
				}
				c := *w
				return &c, true
			})
		case "webhookSubscriptions":
			topics, _ := args["topics"].([]any)
			addr, _ := args["callbackUrl"].(string)
			if u, _ := args["uri"].(string); addr == "" {
				addr = u
			}
			format, _ := args["format"].(string)
			s.hooks.mu.Lock()
			var list []any
			for _, w := range s.hooks.subs {
				if (topics == nil || slices.Contains(topics, any(w.topic))) && (addr == "" || w.url == addr) &&
					(format == "" || w.format == format) {
					c := *w
					list = append(list, &c)
				}
			}
			s.hooks.mu.Unlock()
			v, err = indexPage(list, args, "wh")
		default:
			ok = false
		}
	case "Mutation":
		switch f.name {
		case "webhookSubscriptionCreate":
			v = x.createSubscription(args)
		case "webhookSubscriptionDelete":
			v, err = x.deleteSubscription(args)
		default:
			ok = false
		}
	case "WebhookSubscription":
		w := src.(*webhookSub)
		switch f.name {
		case "id":
			v = webhookGID(w.id)
		case "legacyResourceId":
			v = strconv.FormatInt(w.id, 10)
		case "topic":
			v = w.topic
		case "format":
			v = w.format
		case "callbackUrl", "uri":
			v = w.url
		case "includeFields":
			v = []string{}
		case "createdAt", "updatedAt":
			v = timeValue(w.createdAt)
		default:
			ok = false
		}
	case "WebhookSubscriptionCreatePayload":
		r := src.(*createResult)
		switch f.name {
		case "webhookSubscription":
			if r.sub != nil {
				v = r.sub
			}
		case "userErrors":
			v = anySlice(r.errs)
		default:
			ok = false
		}
	case "WebhookSubscriptionDeletePayload":
		r := src.(*deleteResult)
		switch f.name {
		case "deletedWebhookSubscriptionId":
			if r.deleted != "" {
				v = r.deleted
			}
		case "userErrors":
			v = anySlice(r.errs)
		default:
			ok = false
		}
	case "UserError":
		e := src.(hookUserError)
		switch f.name {
		case "field":
			v = e.field
		case "message":
			v = e.message
		default:
			ok = false
		}
	case "WebhookSubscriptionEdge":
		e := src.(edge)
		if f.name == "cursor" {
			v = e.cursor
		} else {
			v = e.node
		}
	default:
		ok = false
	}
	return v, ok, err
}

// restTime is how the REST API writes times.
func restTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05-07:00")
}

type restLineItem struct {
	ID                  int64   `json:"id"`
	AdminGraphqlAPIID   string  `json:"admin_graphql_api_id"`
	VariantID           *int64  `json:"variant_id"`
	ProductID           *int64  `json:"product_id"`
	SKU                 string  `json:"sku"`
	Title               string  `json:"title"`
	Name                string  `json:"name"`
	Quantity            int     `json:"quantity"`
	CurrentQuantity     int     `json:"current_quantity"`
	FulfillableQuantity int     `json:"fulfillable_quantity"`
	FulfillmentStatus   *string `json:"fulfillment_status"`
	Price               string  `json:"price"`
	RequiresShipping    bool    `json:"requires_shipping"`
	Taxable             bool    `json:"taxable"`
	GiftCard            bool    `json:"gift_card"`
}

// restOrder is an order as the REST Admin API (and so a webhook) writes it.
type restOrder struct {
	ID                int64          `json:"id"`
	AdminGraphqlAPIID string         `json:"admin_graphql_api_id"`
	Name              string         `json:"name"`
	Number            int            `json:"number"`
	OrderNumber       int            `json:"order_number"`
	Email             string         `json:"email"`
	CreatedAt         any            `json:"created_at"`
	UpdatedAt         any            `json:"updated_at"`
	ProcessedAt       any            `json:"processed_at"`
	CancelledAt       any            `json:"cancelled_at"`
	CancelReason      *string        `json:"cancel_reason"`
	ClosedAt          any            `json:"closed_at"`
	Confirmed         bool           `json:"confirmed"`
	Test              bool           `json:"test"`
	Currency          string         `json:"currency"`
	FinancialStatus   string         `json:"financial_status"`
	FulfillmentStatus *string        `json:"fulfillment_status"`
	TotalPrice        string         `json:"total_price"`
	SubtotalPrice     string         `json:"subtotal_price"`
	TotalTax          string         `json:"total_tax"`
	TotalDiscounts    string         `json:"total_discounts"`
	Tags              string         `json:"tags"`
	SourceName        string         `json:"source_name"`
	LineItems         []restLineItem `json:"line_items"`
}

// restOrder builds the REST JSON of o. The caller holds s.mu.
func (s *Server) restOrder(o *order) restOrder {
	r := restOrder{
		ID: o.id, AdminGraphqlAPIID: o.gid(), Name: o.name(), Number: o.number - 1000, OrderNumber: o.number,
		Email:     fmt.Sprintf("customer%d@example.invalid", o.number),
		CreatedAt: restTime(o.createdAt), UpdatedAt: restTime(o.updatedAt), ProcessedAt: restTime(o.createdAt),
		CancelledAt: restTime(o.cancelledAt), ClosedAt: restTime(o.closedAt), Confirmed: true,
		Currency: o.currency, FinancialStatus: strings.ToLower(o.financial),
		TotalPrice: o.total(), SubtotalPrice: o.total(), TotalTax: "0.00", TotalDiscounts: "0.00",
		Tags: strings.Join(o.tags, ", "), SourceName: "web", LineItems: []restLineItem{},
	}
	if !o.cancelledAt.IsZero() {
		reason := "customer"
		r.CancelReason = &reason
	}
	switch o.fulfillment {
	case Fulfilled:
		f := "fulfilled"
		r.FulfillmentStatus = &f
	case PartiallyFulfilled:
		f := "partial"
		r.FulfillmentStatus = &f
	}
	for _, l := range o.lines {
		cents := unitPrice(l.sku)
		li := restLineItem{
			ID: l.id, AdminGraphqlAPIID: "gid://shopify/LineItem/" + strconv.FormatInt(l.id, 10),
			SKU: l.sku, Title: "Item " + l.sku, Name: "Item " + l.sku, Quantity: l.quantity, CurrentQuantity: l.current(),
			FulfillableQuantity: l.current(), Price: fmt.Sprintf("%d.%02d", cents/100, cents%100),
			RequiresShipping: true, Taxable: true,
		}
		if o.fulfillment == Fulfilled || !o.cancelledAt.IsZero() {
			li.FulfillableQuantity = 0
		}
		if o.fulfillment == Fulfilled {
			f := "fulfilled"
			li.FulfillmentStatus = &f
		}
		if v, ok := s.st.cat.bySKU[l.sku]; ok {
			vid, pid := v.id, v.product.id
			li.VariantID, li.ProductID = &vid, &pid
			li.Title = v.product.title
			li.Name = v.product.title
			if v.title != "Default Title" {
				li.Name += " - " + v.title
			}
			li.Price = v.price
		}
		r.LineItems = append(r.LineItems, li)
	}
	return r
}

type restVariant struct {
	ID                   int64  `json:"id"`
	ProductID            int64  `json:"product_id"`
	Title                string `json:"title"`
	Price                string `json:"price"`
	SKU                  string `json:"sku"`
	Position             int    `json:"position"`
	InventoryPolicy      string `json:"inventory_policy"`
	InventoryManagement  string `json:"inventory_management"`
	Option1              string `json:"option1"`
	CreatedAt            any    `json:"created_at"`
	UpdatedAt            any    `json:"updated_at"`
	InventoryItemID      int64  `json:"inventory_item_id"`
	InventoryQuantity    int    `json:"inventory_quantity"`
	OldInventoryQuantity int    `json:"old_inventory_quantity"`
	AdminGraphqlAPIID    string `json:"admin_graphql_api_id"`
}

type restImage struct {
	ID                int64  `json:"id"`
	ProductID         int64  `json:"product_id"`
	Position          int    `json:"position"`
	Alt               string `json:"alt"`
	Width             int    `json:"width"`
	Height            int    `json:"height"`
	Src               string `json:"src"`
	AdminGraphqlAPIID string `json:"admin_graphql_api_id"`
}

// restProduct is a product as the REST Admin API writes it.
type restProduct struct {
	ID                int64         `json:"id"`
	Title             string        `json:"title"`
	BodyHTML          string        `json:"body_html"`
	Vendor            string        `json:"vendor"`
	ProductType       string        `json:"product_type"`
	CreatedAt         any           `json:"created_at"`
	Handle            string        `json:"handle"`
	UpdatedAt         any           `json:"updated_at"`
	PublishedAt       any           `json:"published_at"`
	Status            string        `json:"status"`
	Tags              string        `json:"tags"`
	Variants          []restVariant `json:"variants"`
	Images            []restImage   `json:"images"`
	Image             *restImage    `json:"image"`
	AdminGraphqlAPIID string        `json:"admin_graphql_api_id"`
}

// restProduct builds the REST JSON of p. The caller holds s.mu.
func restProductOf(p *product) restProduct {
	r := restProduct{
		ID: p.id, Title: p.title, Vendor: "Autosync Demo", CreatedAt: restTime(p.createdAt), Handle: p.handle,
		UpdatedAt: restTime(p.updatedAt), PublishedAt: restTime(p.createdAt), Status: "active",
		Variants: []restVariant{}, Images: []restImage{}, AdminGraphqlAPIID: productGID(p.id),
	}
	for _, v := range p.variants {
		q := v.inventoryQuantity()
		r.Variants = append(r.Variants, restVariant{
			ID: v.id, ProductID: p.id, Title: v.title, Price: v.price, SKU: v.sku, Position: v.position,
			InventoryPolicy: "deny", InventoryManagement: "shopify", Option1: v.title,
			CreatedAt: restTime(v.createdAt), UpdatedAt: restTime(v.updatedAt), InventoryItemID: v.item.id,
			InventoryQuantity: q, OldInventoryQuantity: q, AdminGraphqlAPIID: variantGID(v.id),
		})
	}
	for i, im := range p.images {
		r.Images = append(r.Images, restImage{ID: im.id, ProductID: p.id, Position: i + 1, Alt: im.alt,
			Width: im.width, Height: im.height, Src: im.url, AdminGraphqlAPIID: imageGID(im.id)})
	}
	if len(r.Images) > 0 {
		first := r.Images[0]
		r.Image = &first
	}
	return r
}

// orderEvent sends topics for the order with id o. The caller holds s.mu.
func (s *Server) orderEvent(o *order, topics ...string) {
	for _, t := range topics {
		s.publish(t, o.id, o.updatedAt, func() any { return s.restOrder(o) })
	}
}

// productEvent sends topic for p. The caller holds s.mu.
func (s *Server) productEvent(p *product, topic string) {
	s.publish(topic, p.id, p.updatedAt, func() any { return restProductOf(p) })
}

// CreateProduct adds a product of one variant selling sku, with qty
// available at the primary location, and returns its legacy id. It sends
// products/create.
func (s *Server) CreateProduct(sku string, qty int) string {
	return s.AddProduct(NewProduct{Title: humanize(sku), Variants: []NewVariant{{SKU: sku, Available: qty}}}).ID
}

// TouchProduct marks the product selling sku as updated now, as an edit
// in the Shopify admin does, and sends products/update. It reports whether
// a variant sells sku.
func (s *Server) TouchProduct(sku string) bool {
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.st.cat.bySKU[sku]
	if !ok {
		return false
	}
	v.product.updatedAt = now
	s.productEvent(v.product, "products/update")
	return true
}
