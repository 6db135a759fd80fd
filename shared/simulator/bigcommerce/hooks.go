package bigcommercesim

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
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

// Webhooks (BigCommerce's webhooks guide; bc_webhooks.v3.yml). Hooks are managed
// under /v3/hooks: POST creates one ({scope, destination, is_active,
// headers}), GET lists them (filters is_active, scope, destination, page,
// limit) or reads one, PUT updates one, DELETE removes one; every answer
// is {"data": ..., "meta": ...}. When an order or product changes, every
// active hook whose scope matches (exactly, or a "store/order/*" style
// wildcard) gets the light callback payload
//
//	{"scope","store_id","data":{"type":"order","id":N},"hash","created_at","producer"}
//
// signed with Standard Webhooks headers: webhook-id (the same on every
// retry), webhook-timestamp (the attempt's, Unix seconds) and
// webhook-signature "v1,<base64 HMAC-SHA256(client secret,
// id.timestamp.body)>". BigCommerce hands the Standard Webhooks library
// base64(client secret), so the key is the app's raw client secret, and the
// subscriber chooses none. A hook's custom headers go with every delivery.
//
// A delivery fails on a non-2xx answer or when none comes within
// Options.WebhookTimeout. It is retried after 60, 180, 300, 600, 900, 1800,
// 3600, 7200, 21600, 50400 and 86400 seconds (units of
// Options.WebhookDelayUnit); when the last retry fails too the hook is
// deactivated (is_active false), as BigCommerce does. Domain blocklisting
// (success under 90 % over 2 minutes) is not modelled.
//
// Events: CreateOrder sends store/order/created; CancelOrder, ShipOrder and
// SetOrderStatus store/order/updated and store/order/statusUpdated (data
// carrying status.previous_status_id and new_status_id); RecordTransaction
// store/order/transaction/created (data {"type":"transaction","order_id",
// "transaction_id",...}, no id); SetOrderMetafield
// store/order/metafield/created (data {"metafield_id","resource_id"});
// CreateProduct
// store/product/created; TouchProduct store/product/updated. Stock changes
// send nothing here.
//
// Deviation, on purpose: a destination may be any http(s) URL on a
// loopback host (BigCommerce demands https on port 443).

// Defaults used when Options leave webhook fields empty.
const (
	// DefaultClientSecret is the app client secret deliveries are signed
	// with when Options.ClientSecret is empty.
	DefaultClientSecret = "bc_simulator_client_secret"
	// DefaultClientID is the app's client id (hooks report it, installs
	// are for it) when Options.ClientID is empty.
	DefaultClientID = "bc_simulator_client_id"
	// DefaultWebhookTimeout is how long an attempt may take. The stored
	// docs do not give BigCommerce's; 10 seconds is an assumption.
	DefaultWebhookTimeout = 10 * time.Second
	webhookConnectTimeout = 5 * time.Second
)

// webhookRetries are BigCommerce's waits before each retry, in seconds
// (BigCommerce's webhooks guide): about 48 hours in all.
var webhookRetries = []int{60, 180, 300, 600, 900, 1800, 3600, 7200, 21600, 50400, 86400}

// hookScopes are the scopes a hook may be created for: the order and
// product ones of bc_webhooks.v3.yml, with their wildcards.
var hookScopes = []string{
	"store/order/*", "store/order/created", "store/order/updated", "store/order/archived",
	"store/order/statusUpdated", "store/order/message/created", "store/order/refund/created",
	"store/order/transaction/created", "store/order/transaction/updated",
	"store/order/metafield/created", "store/order/metafield/updated", "store/order/metafield/deleted",
	"store/product/*", "store/product/created", "store/product/updated", "store/product/deleted",
	"store/product/inventory/updated", "store/product/inventory/order/updated",
	"store/sku/*", "store/sku/created", "store/sku/updated", "store/sku/deleted",
	"store/sku/inventory/updated", "store/sku/inventory/order/updated",
	"store/app/uninstalled",
}

// matches reports whether a hook of scope receives event.
func matches(scope, event string) bool {
	if prefix, ok := strings.CutSuffix(scope, "*"); ok {
		return strings.HasPrefix(event, prefix)
	}
	return scope == event
}

type hook struct {
	id          int64
	scope       string
	destination string
	headers     map[string]string
	active      bool
	created     time.Time
	updated     time.Time
}

// hooks holds the store's webhooks. Its lock is taken after s.mu, never
// before, and never with the outbox's.
type hooks struct {
	mu    sync.Mutex
	list  []*hook // ids ascend
	next  int64
	event int64 // events published, for their hashes
	txn   int64 // transactions and metafields recorded, for their ids
}

func (hs *hooks) find(id int64) *hook {
	for _, h := range hs.list {
		if h.id == id {
			return h
		}
	}
	return nil
}

// Hook is a copy of one webhook, for tests.
type Hook struct {
	ID          int64
	Scope       string
	Destination string
	Headers     map[string]string
	IsActive    bool
}

// Hooks returns the store's webhooks in id order.
func (s *Server) Hooks() []Hook {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := make([]Hook, len(s.hooks.list))
	for i, h := range s.hooks.list {
		hd := make(map[string]string, len(h.headers))
		for k, v := range h.headers {
			hd[k] = v
		}
		out[i] = Hook{ID: h.id, Scope: h.scope, Destination: h.destination, Headers: hd, IsActive: h.active}
	}
	return out
}

// ClientSecret is the app client secret deliveries are signed with.
func (s *Server) ClientSecret() string { return string(s.clientSecret) }

// StoreID is the numeric store id callbacks carry in store_id.
func (s *Server) StoreID() string { return s.storeID }

// WebhookFaults are delivery faults to inject into the next deliveries
// (outbox.Faults). BigCommerce's Duplicate is the same message again (same
// webhook-id and body hash), stamped and signed anew, as a delivery whose
// acknowledgement was lost would be. FailFirst's lost answer is retried
// on BigCommerce's schedule, with the same webhook-id.
type WebhookFaults = outbox.Faults

// Delivery is one attempt to deliver a webhook, as the simulator sent it
// (outbox.Delivery). Topic is the event's scope ("store/order/created");
// ResourceID the id of the order or product; ID the webhook-id, the same
// on each retry and copy; EventID the payload's hash, the same for every
// hook of the event. Ping is always false.
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

// storeIDOf derives a stable seven-digit store id from the hash.
func storeIDOf(hash string) string {
	f := fnv.New32a()
	f.Write([]byte(hash))
	return strconv.Itoa(1_000_000 + int(f.Sum32()%9_000_000))
}

// statusChange is data.status of store/order/statusUpdated.
type statusChange struct {
	Previous int `json:"previous_status_id"`
	New      int `json:"new_status_id"`
}

// eventData is a callback's data. Orders and products name themselves in
// id; a transaction names its order in order_id (a string, as the events
// page has it since November 2025) and has no id; a metafield names what
// it belongs to in resource_id and has neither type nor id.
type eventData struct {
	Type              string        `json:"type,omitempty"`
	ID                int64         `json:"id,omitempty"`
	Status            *statusChange `json:"status,omitempty"`
	OrderID           string        `json:"order_id,omitempty"`
	TransactionID     string        `json:"transaction_id,omitempty"`
	TransactionStatus string        `json:"transaction_status,omitempty"`
	TransactionType   string        `json:"transaction_type,omitempty"`
	MetafieldID       int64         `json:"metafield_id,omitempty"`
	ResourceID        string        `json:"resource_id,omitempty"`
}

// resource is the id of the order or product data is about.
func (d eventData) resource() string {
	switch {
	case d.OrderID != "":
		return d.OrderID
	case d.ResourceID != "":
		return d.ResourceID
	}
	return strconv.FormatInt(d.ID, 10)
}

type callback struct {
	Scope     string    `json:"scope"`
	StoreID   string    `json:"store_id"`
	Data      eventData `json:"data"`
	Hash      string    `json:"hash"`
	CreatedAt int64     `json:"created_at"`
	Producer  string    `json:"producer"`
}

// publish queues scope's callback about data to every active hook whose
// scope matches.
func (s *Server) publish(scope string, data eventData, at time.Time) {
	s.hooks.mu.Lock()
	var targets []int64
	for _, h := range s.hooks.list {
		if h.active && matches(h.scope, scope) {
			targets = append(targets, h.id)
		}
	}
	s.hooks.event++
	seq := s.hooks.event
	s.hooks.mu.Unlock()
	if len(targets) == 0 {
		return
	}
	sum := sha1.Sum(fmt.Appendf(nil, "%s|%s|%s|%d|%d", s.hash, scope, data.resource(), at.UnixNano(), seq))
	cb := callback{Scope: scope, StoreID: s.storeID, Data: data, Hash: hex.EncodeToString(sum[:]),
		CreatedAt: at.Unix(), Producer: "stores/" + s.hash}
	body, err := json.Marshal(cb)
	if err != nil {
		panic(fmt.Sprintf("bigcommercesim: encoding a callback: %v", err))
	}
	jobs := make([]*outbox.Job, len(targets))
	for i, id := range targets {
		jobs[i] = &outbox.Job{Subscription: strconv.FormatInt(id, 10), Topic: scope, ResourceID: data.resource(),
			ID: uuid.NewString(), EventID: cb.Hash, At: at, Body: body}
	}
	s.out.Enqueue(jobs...)
}

// hookCart is the BigCommerce side of the outbox.
type hookCart struct{ s *Server }

func (c hookCart) Prepare(j *outbox.Job) (string, http.Header, bool) {
	s := c.s
	id, _ := strconv.ParseInt(j.Subscription, 10, 64)
	s.hooks.mu.Lock()
	hk := s.hooks.find(id)
	if hk == nil || !hk.active {
		s.hooks.mu.Unlock()
		return "", nil, false
	}
	h := http.Header{}
	for k, v := range hk.headers {
		h.Set(k, v)
	}
	dest := hk.destination
	s.hooks.mu.Unlock()
	ts := strconv.FormatInt(s.now().Unix(), 10)
	mac := hmac.New(sha256.New, s.clientSecret)
	mac.Write([]byte(j.ID + "." + ts + "."))
	mac.Write(j.Body)
	h.Set("Content-Type", "application/json")
	h.Set("webhook-id", j.ID)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return dest, h, true
}

// settle deactivates a hook whose delivery failed every retry.
func (c hookCart) Settle(j *outbox.Job, delivered, final bool) {
	if delivered || !final {
		return
	}
	id, _ := strconv.ParseInt(j.Subscription, 10, 64)
	now := c.s.now().UTC().Truncate(time.Second)
	c.s.hooks.mu.Lock()
	defer c.s.hooks.mu.Unlock()
	if hk := c.s.hooks.find(id); hk != nil {
		hk.active, hk.updated = false, now
	}
}

// CopyOf resends the same message.
func (hookCart) CopyOf(j *outbox.Job) *outbox.Job {
	d := *j
	return &d
}

type hookJSON struct {
	ID          int64             `json:"id"`
	ClientID    string            `json:"client_id"`
	StoreHash   string            `json:"store_hash"`
	Scope       string            `json:"scope"`
	Destination string            `json:"destination"`
	Headers     map[string]string `json:"headers"`
	IsActive    bool              `json:"is_active"`
	CreatedAt   int64             `json:"created_at"`
	UpdatedAt   int64             `json:"updated_at"`
}

func (s *Server) hookJSON(h *hook) hookJSON {
	hd := map[string]string{}
	for k, v := range h.headers {
		hd[k] = v
	}
	return hookJSON{ID: h.id, ClientID: s.clientID, StoreHash: s.hash, Scope: h.scope, Destination: h.destination,
		Headers: hd, IsActive: h.active, CreatedAt: h.created.Unix(), UpdatedAt: h.updated.Unix()}
}

// invalid answers 422 as the hooks API does, naming the bad fields.
func invalid(w http.ResponseWriter, errs map[string]string) {
	writeJSON(w, http.StatusUnprocessableEntity, "application/problem+json", map[string]any{
		"status": http.StatusUnprocessableEntity, "title": "JSON data is missing or invalid", "type": problemType, "errors": errs,
	})
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkDestination applies BigCommerce's rule (https on port 443), except
// for loopback hosts.
func checkDestination(d string) string {
	u, err := url.Parse(d)
	switch {
	case d == "":
		return "error.path.missing."
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil:
		return "The destination must be a URL."
	case loopback(u.Hostname()):
		return ""
	case u.Scheme != "https" || (u.Port() != "" && u.Port() != "443"):
		return "The destination must be served over https on port 443."
	}
	return ""
}

type hookInput struct {
	Scope       *string            `json:"scope"`
	Destination *string            `json:"destination"`
	IsActive    *bool              `json:"is_active"`
	Headers     *map[string]string `json:"headers"`
}

func readHookInput(w http.ResponseWriter, r *http.Request) (hookInput, bool) {
	var in hookInput
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&in); err != nil {
		problem(w, http.StatusBadRequest, "Input is invalid.")
		return in, false
	}
	errs := map[string]string{}
	if in.Scope != nil && !slices.Contains(hookScopes, *in.Scope) {
		errs["scope"] = "The scope is not a valid webhook scope."
	}
	if in.Destination != nil {
		if msg := checkDestination(*in.Destination); msg != "" {
			errs["destination"] = msg
		}
	}
	if len(errs) > 0 {
		invalid(w, errs)
		return in, false
	}
	return in, true
}

// createHook is POST /v3/hooks.
func (s *Server) createHook(w http.ResponseWriter, r *http.Request) {
	in, ok := readHookInput(w, r)
	if !ok {
		return
	}
	errs := map[string]string{}
	if in.Scope == nil {
		errs["scope"] = "error.path.missing."
	}
	if in.Destination == nil {
		errs["destination"] = "error.path.missing."
	}
	if len(errs) > 0 {
		invalid(w, errs)
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	h := &hook{scope: *in.Scope, destination: *in.Destination, headers: map[string]string{}, active: true, created: now, updated: now}
	if in.IsActive != nil {
		h.active = *in.IsActive
	}
	if in.Headers != nil {
		for k, v := range *in.Headers {
			h.headers[k] = v
		}
	}
	s.hooks.mu.Lock()
	s.hooks.next++
	h.id = s.hooks.next
	s.hooks.list = append(s.hooks.list, h)
	out := s.hookJSON(h)
	s.hooks.mu.Unlock()
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"data": out, "meta": map[string]any{}})
}

// listHooks is GET /v3/hooks.
func (s *Server) listHooks(w http.ResponseWriter, r *http.Request) {
	page, limit, err := pageParams(r, 50, 250)
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	q := r.URL.Query()
	var active *bool
	if v := q.Get("is_active"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problem(w, http.StatusUnprocessableEntity, "The field 'is_active' is invalid.")
			return
		}
		active = &b
	}
	scope, dest := q.Get("scope"), q.Get("destination")
	s.hooks.mu.Lock()
	var match []hookJSON
	for _, h := range s.hooks.list {
		if (active == nil || h.active == *active) && (scope == "" || h.scope == scope) && (dest == "" || h.destination == dest) {
			match = append(match, s.hookJSON(h))
		}
	}
	s.hooks.mu.Unlock()
	total := int64(len(match))
	lo := min((page-1)*limit, total)
	hi := min(lo+limit, total)
	data := append([]hookJSON{}, match[lo:hi]...)
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"data": data, "meta": pagination(r, total, int64(len(data)), page, limit)})
}

// withHook runs f on the hook the path names, or answers 404.
func (s *Server) withHook(w http.ResponseWriter, r *http.Request, f func(h *hook) any) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.hooks.mu.Lock()
	var h *hook
	if err == nil {
		h = s.hooks.find(id)
	}
	if h == nil {
		s.hooks.mu.Unlock()
		problem(w, http.StatusNotFound, fmt.Sprintf("Webhook with id [%s] not found", r.PathValue("id")))
		return
	}
	out := f(h)
	s.hooks.mu.Unlock()
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"data": out, "meta": map[string]any{}})
}

// getHook is GET /v3/hooks/{id}.
func (s *Server) getHook(w http.ResponseWriter, r *http.Request) {
	s.withHook(w, r, func(h *hook) any { return s.hookJSON(h) })
}

// updateHook is PUT /v3/hooks/{id}.
func (s *Server) updateHook(w http.ResponseWriter, r *http.Request) {
	in, ok := readHookInput(w, r)
	if !ok {
		return
	}
	if in.Scope == nil && in.Destination == nil && in.IsActive == nil && in.Headers == nil {
		invalid(w, map[string]string{"body": "At least one field is required."})
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	s.withHook(w, r, func(h *hook) any {
		if in.Scope != nil {
			h.scope = *in.Scope
		}
		if in.Destination != nil {
			h.destination = *in.Destination
		}
		if in.IsActive != nil {
			h.active = *in.IsActive
		}
		if in.Headers != nil {
			h.headers = map[string]string{}
			for k, v := range *in.Headers {
				h.headers[k] = v
			}
		}
		h.updated = now
		return s.hookJSON(h)
	})
}

// deleteHook is DELETE /v3/hooks/{id}: the answer is the deleted hook.
func (s *Server) deleteHook(w http.ResponseWriter, r *http.Request) {
	s.withHook(w, r, func(h *hook) any {
		i := slices.Index(s.hooks.list, h)
		s.hooks.list = slices.Delete(s.hooks.list, i, i+1)
		return s.hookJSON(h)
	})
}
