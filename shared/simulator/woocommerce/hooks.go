package woocommercesim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/simulator/outbox"
)

// Webhooks (WooCommerce's webhooks docs; WC_Webhook).
// /wp-json/wc/v3/webhooks creates (POST {name, topic, delivery_url,
// secret, status}), lists, reads, updates (PUT, also to re-enable a
// disabled webhook) and deletes (DELETE ?force=true; webhooks cannot be
// trashed) webhooks. When an order or product changes, every active
// webhook of the topic gets a POST whose body is the resource's REST JSON
// as it is when the delivery is made (WooCommerce builds the payload in
// its background job), encoded as PHP's json_encode does (slashes escaped,
// "\/"), with the headers WC_Webhook::deliver sets: X-WC-Webhook-Source
// (the site's home URL), -Topic, -Resource, -Event, -Signature
// (base64(HMAC-SHA256(webhook secret, raw body)): the subscriber chooses
// the secret), -ID and -Delivery-ID.
//
// The delivery id is what WC_Webhook::get_new_delivery_id makes:
// wp_hash(webhook id . current Unix second), so two deliveries of one
// webhook within the same second carry the same X-WC-Webhook-Delivery-ID.
// A receiver that de-duplicates on it alone drops the second one.
//
// Creating an active webhook sends a ping (body "webhook_id=<id>", no
// signature), whose outcome is ignored, as the REST controller ignores it.
//
// There are no retries. A delivery fails on an answer outside 200-302, or
// none within Options.WebhookTimeout (WooCommerce's 60 s); a success
// resets the webhook's failure count. A failure that finds the count above
// 5 (woocommerce_max_webhook_delivery_failures) disables the webhook;
// otherwise the count goes up. So the 7th failure in a row disables it,
// although the docs say "after 5".
//
// Events: CreateOrder sends order.created; CancelOrder, CompleteOrder and
// SetOrderStatus order.updated; CreateProduct product.created;
// TouchProduct product.updated, about the variation when the SKU is a
// variation's (WooCommerce's woocommerce_update_product_variation), its
// body then /products/{variation id}: type "variation" with parent_id.
// Stock writes through the API send nothing here.

// Defaults used when Options leave webhook fields empty.
const (
	// DefaultSiteURL is the home URL deliveries name in
	// X-WC-Webhook-Source.
	DefaultSiteURL = "https://woo.example/"
	// DefaultWebhookTimeout is WC_Webhook::deliver's MINUTE_IN_SECONDS.
	DefaultWebhookTimeout = time.Minute
	webhookConnectTimeout = 10 * time.Second
	// maxDeliveryFailures is woocommerce_max_webhook_delivery_failures.
	maxDeliveryFailures = 5
	userAgent           = "WooCommerce/9.8.5 Hookshot (WordPress/6.8.1)"
	// wpSalt stands in for the site's wp_salt('auth').
	wpSalt = "simulated-auth-salt"
)

// webhookTopics are the core topics (resource.event) a webhook may have.
var webhookTopics = []string{
	"coupon.created", "coupon.updated", "coupon.deleted", "coupon.restored",
	"customer.created", "customer.updated", "customer.deleted",
	"order.created", "order.updated", "order.deleted", "order.restored",
	"product.created", "product.updated", "product.deleted", "product.restored",
}

type wcWebhook struct {
	id       int64
	name     string
	status   string // active, paused or disabled
	topic    string
	url      string
	secret   string
	failures int
	created  time.Time
	modified time.Time
}

// hooks holds the webhooks. Its lock is taken after s.mu, never before,
// and never with the outbox's.
type hooks struct {
	mu   sync.Mutex
	list []*wcWebhook // ids ascend
	next int64
}

func (hs *hooks) find(id int64) *wcWebhook {
	for _, h := range hs.list {
		if h.id == id {
			return h
		}
	}
	return nil
}

// Webhook is a copy of one webhook, for tests.
type Webhook struct {
	ID          int64
	Name        string
	Status      string
	Topic       string
	DeliveryURL string
	Secret      string
	// Failures is the count of consecutive failed deliveries.
	Failures int
}

// Webhooks returns the store's webhooks in id order.
func (s *Server) Webhooks() []Webhook {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := make([]Webhook, len(s.hooks.list))
	for i, h := range s.hooks.list {
		out[i] = Webhook{ID: h.id, Name: h.name, Status: h.status, Topic: h.topic, DeliveryURL: h.url, Secret: h.secret, Failures: h.failures}
	}
	return out
}

// WebhookFaults are delivery faults to inject into the next deliveries
// (outbox.Faults); pings take none. WooCommerce's Duplicate is the same
// request again (same X-WC-Webhook-Delivery-ID), as a delivery repeated
// on the way would be. FailFirst fails the delivery as a timeout does
// (the receiver has it); WooCommerce does not retry, and the failure
// counts toward disabling the webhook.
type WebhookFaults = outbox.Faults

// Delivery is one delivery, as the simulator sent it (outbox.Delivery).
// Topic is the webhook's topic ("order.created") and ResourceID the id of
// the order or product, both empty for a ping; ID is the
// X-WC-Webhook-Delivery-ID; EventID is unused (WooCommerce has no event
// id). Ping marks the ping WooCommerce sends when a webhook is created.
type Delivery = outbox.Delivery

// SetWebhookFaults replaces the pending delivery faults. Pings take none.
func (s *Server) SetWebhookFaults(f WebhookFaults) { s.out.SetFaults(f) }

// Deliveries returns every delivery so far (the latest 10,000), pings
// included, in the order they were made.
func (s *Server) Deliveries() []Delivery { return s.out.Deliveries() }

// DrainWebhooks waits until no delivery is queued or in flight (a delivery
// held back by WebhookFaults.OutOfOrder is sent), or until ctx ends.
func (s *Server) DrainWebhooks(ctx context.Context) error { return s.out.Drain(ctx) }

// Close stops webhook delivery and waits for its goroutine to end. The
// simulator still answers API requests.
func (s *Server) Close() { s.out.Close() }

// publish queues topic's delivery about the resource with id to every
// active webhook of the topic.
func (s *Server) publish(topic string, id int64, at time.Time) {
	s.hooks.mu.Lock()
	var targets []int64
	for _, h := range s.hooks.list {
		if h.status == "active" && h.topic == topic {
			targets = append(targets, h.id)
		}
	}
	s.hooks.mu.Unlock()
	jobs := make([]*outbox.Job, len(targets))
	for i, hid := range targets {
		jobs[i] = &outbox.Job{Subscription: strconv.FormatInt(hid, 10), Topic: topic, ResourceID: strconv.FormatInt(id, 10), At: at}
	}
	s.out.Enqueue(jobs...)
}

// phpJSON encodes v as PHP's json_encode does by default: slashes escaped.
func phpJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(b, []byte("/"), []byte(`\/`)), nil
}

// payload builds the REST JSON of a topic's resource now; ok is false when
// the resource is gone.
func (s *Server) payload(topic, resource string) ([]byte, bool) {
	id, _ := strconv.ParseInt(resource, 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	var v any
	switch {
	case strings.HasPrefix(topic, "order."):
		o, ok := s.st.orderBy[id]
		if !ok {
			return nil, false
		}
		v = s.orderJSON(o)
	case strings.HasPrefix(topic, "product."):
		p, ok := s.productOrVariationJSON(id)
		if !ok {
			return nil, false
		}
		v = p
	default:
		return nil, false
	}
	b, err := phpJSON(v)
	return b, err == nil
}

// deliveryID is WC_Webhook::get_new_delivery_id: wp_hash(id . time()).
func (s *Server) deliveryID(webhook int64) string {
	m := hmac.New(md5.New, []byte(wpSalt))
	fmt.Fprintf(m, "%d%d", webhook, s.now().Unix())
	return hex.EncodeToString(m.Sum(nil))
}

// hookCart is the WooCommerce side of the outbox.
type hookCart struct{ s *Server }

func (c hookCart) Prepare(j *outbox.Job) (string, http.Header, bool) {
	s := c.s
	id, _ := strconv.ParseInt(j.Subscription, 10, 64)
	s.hooks.mu.Lock()
	wh := s.hooks.find(id)
	if wh == nil || (wh.status != "active" && !j.Ping) {
		s.hooks.mu.Unlock()
		return "", nil, false
	}
	target, secret, topic := wh.url, wh.secret, wh.topic
	s.hooks.mu.Unlock()
	h := http.Header{}
	h.Set("User-Agent", userAgent)
	if j.Ping {
		j.Body = []byte("webhook_id=" + j.Subscription)
		return target, h, true
	}
	if j.Body == nil {
		body, ok := s.payload(topic, j.ResourceID)
		if !ok {
			return "", nil, false
		}
		j.Body = body
	}
	if j.ID == "" {
		j.ID = s.deliveryID(id)
	}
	resource, event, _ := strings.Cut(topic, ".")
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(j.Body)
	h.Set("Content-Type", "application/json")
	h.Set("X-WC-Webhook-Source", s.siteURL)
	h.Set("X-WC-Webhook-Topic", topic)
	h.Set("X-WC-Webhook-Resource", resource)
	h.Set("X-WC-Webhook-Event", event)
	h.Set("X-WC-Webhook-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	h.Set("X-WC-Webhook-ID", j.Subscription)
	h.Set("X-WC-Webhook-Delivery-ID", j.ID)
	return target, h, true
}

// settle counts failures as WC_Webhook::log_delivery and failed_delivery
// do. Pings count nothing.
func (c hookCart) Settle(j *outbox.Job, delivered, _ bool) {
	if j.Ping {
		return
	}
	id, _ := strconv.ParseInt(j.Subscription, 10, 64)
	now := c.s.now().UTC().Truncate(time.Second)
	c.s.hooks.mu.Lock()
	defer c.s.hooks.mu.Unlock()
	wh := c.s.hooks.find(id)
	switch {
	case wh == nil:
	case delivered:
		wh.failures = 0
	case wh.failures > maxDeliveryFailures:
		wh.status, wh.modified = "disabled", now
	default:
		wh.failures++
	}
}

// CopyOf repeats the same request.
func (hookCart) CopyOf(j *outbox.Job) *outbox.Job {
	d := *j
	return &d
}

type webhookJSON struct {
	ID              int64    `json:"id"`
	Name            string   `json:"name"`
	Status          string   `json:"status"`
	Topic           string   `json:"topic"`
	Resource        string   `json:"resource"`
	Event           string   `json:"event"`
	Hooks           []string `json:"hooks"`
	DeliveryURL     string   `json:"delivery_url"`
	DateCreated     string   `json:"date_created"`
	DateCreatedGMT  string   `json:"date_created_gmt"`
	DateModified    string   `json:"date_modified"`
	DateModifiedGMT string   `json:"date_modified_gmt"`
	Links           links    `json:"_links"`
}

// topicHooks are the action hooks WooCommerce lists for a topic.
var topicHooks = map[string][]string{
	"order.created":   {"woocommerce_new_order"},
	"order.updated":   {"woocommerce_update_order", "woocommerce_order_refunded"},
	"order.deleted":   {"wp_trash_post"},
	"product.created": {"woocommerce_process_product_meta", "woocommerce_new_product", "woocommerce_new_product_variation"},
	"product.updated": {"woocommerce_process_product_meta", "woocommerce_update_product", "woocommerce_update_product_variation"},
	"product.deleted": {"wp_trash_post"},
}

func (s *Server) webhookJSON(h *wcWebhook) webhookJSON {
	resource, event, _ := strings.Cut(h.topic, ".")
	hooks := topicHooks[h.topic]
	if hooks == nil {
		hooks = []string{}
	}
	return webhookJSON{
		ID: h.id, Name: h.name, Status: h.status, Topic: h.topic, Resource: resource, Event: event,
		Hooks: hooks, DeliveryURL: h.url,
		DateCreated: s.local(h.created), DateCreatedGMT: gmt(h.created),
		DateModified: s.local(h.modified), DateModifiedGMT: gmt(h.modified),
		Links: resourceLinks(fmt.Sprintf("/webhooks/%d", h.id), "/webhooks"),
	}
}

type webhookInput struct {
	Name        *string `json:"name"`
	Status      *string `json:"status"`
	Topic       *string `json:"topic"`
	DeliveryURL *string `json:"delivery_url"`
	Secret      *string `json:"secret"`
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// checkWebhook answers the errors WC_REST_Webhooks_Controller gives.
func checkWebhook(w http.ResponseWriter, in webhookInput, creating bool) bool {
	if in.Topic != nil || creating {
		if in.Topic == nil || !slices.Contains(webhookTopics, strings.ToLower(*in.Topic)) && !strings.HasPrefix(*in.Topic, "action.") {
			writeError(w, http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is required and must be valid.", nil)
			return false
		}
	}
	if in.DeliveryURL != nil || creating {
		if in.DeliveryURL == nil || !validURL(*in.DeliveryURL) {
			writeError(w, http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_delivery_url",
				"Webhook delivery URL must be a valid URL starting with http:// or https://.", nil)
			return false
		}
	}
	if in.Status != nil && !slices.Contains([]string{"active", "paused", "disabled"}, *in.Status) {
		invalidParam(w, "status", "status is not one of active, paused, and disabled.")
		return false
	}
	return true
}

// createWebhook is POST /webhooks.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in webhookInput
	if !readJSON(w, r, &in) || !checkWebhook(w, in, true) {
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	h := &wcWebhook{status: "active", topic: strings.ToLower(*in.Topic), url: *in.DeliveryURL, created: now, modified: now}
	if in.Name != nil && *in.Name != "" {
		h.name = *in.Name
	} else {
		h.name = "Webhook created on " + now.In(s.loc).Format("Jan 02, 2006 @ 03:04 PM")
	}
	if in.Status != nil {
		h.status = *in.Status
	}
	if in.Secret != nil && *in.Secret != "" {
		h.secret = *in.Secret
	} else {
		// WooCommerce's default: a hash of the user's id and login.
		sum := md5.Sum([]byte("1|admin"))
		h.secret = hex.EncodeToString(sum[:])
	}
	s.hooks.mu.Lock()
	s.hooks.next++
	h.id = s.hooks.next
	s.hooks.list = append(s.hooks.list, h)
	out := s.webhookJSON(h)
	s.hooks.mu.Unlock()
	w.Header().Set("Location", fmt.Sprintf("https://woo.example%s/webhooks/%d", APIRoot, h.id))
	writeJSON(w, http.StatusCreated, out)
	if h.status == "active" {
		s.out.Enqueue(&outbox.Job{Subscription: strconv.FormatInt(h.id, 10), Ping: true, At: now})
	}
}

// listWebhooks is GET /webhooks.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, perPage := 1, 10
	for _, p := range []struct {
		name string
		v    *int
		max  int
	}{{"page", &page, 1 << 30}, {"per_page", &perPage, 100}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > p.max {
				invalidParam(w, p.name, fmt.Sprintf("%s must be between 1 (inclusive) and %d (inclusive)", p.name, p.max))
				return
			}
			*p.v = n
		}
	}
	status := q.Get("status")
	if status == "" {
		status = "all"
	}
	if !slices.Contains([]string{"all", "active", "paused", "disabled"}, status) {
		invalidParam(w, "status", "status is not one of all, active, paused, and disabled.")
		return
	}
	s.hooks.mu.Lock()
	var match []webhookJSON
	for i := len(s.hooks.list) - 1; i >= 0; i-- { // newest first, as orderby=date desc
		h := s.hooks.list[i]
		if status == "all" || h.status == status {
			match = append(match, s.webhookJSON(h))
		}
	}
	s.hooks.mu.Unlock()
	total := len(match)
	from := min((page-1)*perPage, total)
	to := min(from+perPage, total)
	pages := (total + perPage - 1) / perPage
	w.Header().Set("X-WP-Total", strconv.Itoa(total))
	w.Header().Set("X-WP-TotalPages", strconv.Itoa(pages))
	if page < pages {
		u := *r.URL
		v := u.Query()
		v.Set("page", strconv.Itoa(page+1))
		w.Header().Set("Link", fmt.Sprintf(`<https://woo.example%s?%s>; rel="next"`, u.Path, v.Encode()))
	}
	writeJSON(w, http.StatusOK, append([]webhookJSON{}, match[from:to]...))
}

// withWebhook runs f on the webhook the path names; missing answers the
// code WooCommerce gives (404 for read and delete, 400 for update).
func (s *Server) withWebhook(w http.ResponseWriter, r *http.Request, missing int, f func(h *wcWebhook) any) {
	id, _ := pathID(r, "id")
	s.hooks.mu.Lock()
	h := s.hooks.find(id)
	if h == nil {
		s.hooks.mu.Unlock()
		msg := "Invalid ID."
		if missing == http.StatusBadRequest {
			msg = "ID is invalid."
		}
		writeError(w, missing, "woocommerce_rest_shop_webhook_invalid_id", msg, nil)
		return
	}
	out := f(h)
	s.hooks.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// getWebhook is GET /webhooks/{id}.
func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	s.withWebhook(w, r, http.StatusNotFound, func(h *wcWebhook) any { return s.webhookJSON(h) })
}

// updateWebhook is PUT /webhooks/{id}. Setting a webhook active again
// clears its failure count.
func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var in webhookInput
	if !readJSON(w, r, &in) || !checkWebhook(w, in, false) {
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	s.withWebhook(w, r, http.StatusBadRequest, func(h *wcWebhook) any {
		if in.Name != nil {
			h.name = *in.Name
		}
		if in.Topic != nil {
			h.topic = strings.ToLower(*in.Topic)
		}
		if in.DeliveryURL != nil {
			h.url = *in.DeliveryURL
		}
		if in.Secret != nil {
			h.secret = *in.Secret
		}
		if in.Status != nil {
			if *in.Status == "active" && h.status != "active" {
				h.failures = 0
			}
			h.status = *in.Status
		}
		h.modified = now
		return s.webhookJSON(h)
	})
}

// deleteWebhook is DELETE /webhooks/{id}; only force=true deletes.
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if force, _ := parseBool(r.URL.Query().Get("force")); !force {
		id, _ := pathID(r, "id")
		s.hooks.mu.Lock()
		h := s.hooks.find(id)
		s.hooks.mu.Unlock()
		if h != nil {
			writeError(w, http.StatusNotImplemented, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", nil)
			return
		}
	}
	s.withWebhook(w, r, http.StatusNotFound, func(h *wcWebhook) any {
		i := slices.Index(s.hooks.list, h)
		s.hooks.list = slices.Delete(s.hooks.list, i, i+1)
		return s.webhookJSON(h)
	})
}

// CreateProduct adds a simple product selling sku with qty in stock and
// returns its id. It sends product.created.
func (s *Server) CreateProduct(sku string, qty int) string {
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.st.bySKU[sku]; dup { // the new product takes the SKU over
		s.st.skus = slices.DeleteFunc(s.st.skus, func(x string) bool { return x == sku })
	}
	p := s.st.addSimple(sku, now)
	p.stock = qty
	s.publish("product.created", p.id, now)
	return strconv.FormatInt(p.id, 10)
}
