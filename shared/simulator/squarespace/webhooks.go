package squarespacesim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/autosync/autosync/shared/simulator/outbox"
)

// Webhooks (developers.squarespace.com /webhooks/* and
// /commerce-apis/*-webhook-subscription*). The Webhook Subscriptions API
// takes the OAuth token only (Options.OAuthToken; the API key gets 403):
//
//	GET    /1.0/webhook_subscriptions                           {"webhookSubscriptions":[…]}
//	POST   /1.0/webhook_subscriptions                           {"endpointUrl","topics"} → the subscription with its "secret"
//	GET    /1.0/webhook_subscriptions/{id}                      the subscription, no secret
//	POST   /1.0/webhook_subscriptions/{id}                      partial update of endpointUrl and topics
//	DELETE /1.0/webhook_subscriptions/{id}                      204
//	POST   /1.0/webhook_subscriptions/{id}/actions/rotateSecret {"secret"}; the old secret stops signing
//
// A subscription is {"id" (a UUID), "endpointUrl", "topics", "createdOn",
// "updatedOn"}; its secret (32 random bytes, upper-case hex, as the docs'
// example) is returned only by create and rotateSecret. A site holds at
// most 25. An unknown id is 404 INVALID_REQUEST_ERROR / INVALID_ARGUMENT.
//
// Notifications: CreateOrder sends order.create with data {"orderId"};
// CancelOrder and FulfillOrder send order.update with data {"orderId",
// "update": "CANCELED" | "FULFILLED"}. Each subscription to the topic gets
// its own notification: {"id" (24 hex digits, the notification id),
// "websiteId", "subscriptionId", "topic", "createdOn", "data"}, POSTed to
// its endpointUrl with User-Agent "Squarespace/1.0", Content-Type
// application/json and Squarespace-Signature = lower-case
// hex(HMAC-SHA256(hex-decoded secret, raw body)). A notification is
// delivered when the endpoint answers 2xx within Options.WebhookTimeout.
//
// Facts the docs leave open, settled here:
//   - Retries. Squarespace "attempts delivery several times for up to 48
//     hours". A failed notification is tried 8 times in all, waiting 1 min,
//     5 min, 30 min, 2 h, 6 h, 12 h and 24 h between tries (the last about
//     44.6 h after the first), in units of Options.WebhookDelayUnit. Every
//     try carries the same body and notification id.
//   - Each try is signed with the subscription's secret at the time of the
//     try, so a retry after rotateSecret is signed with the new secret.
//   - "Squarespace may delete a webhook subscription if multiple requests
//     are unsuccessful": a notification that fails all 8 tries deletes its
//     subscription.
//   - The answer timeout is 10 s (not documented).
//   - sendTestNotification is not simulated (404).
//
// Deviations, on purpose: an endpointUrl may be http on a loopback host
// (Squarespace demands https), so a local receiver can take deliveries.

// Defaults used when Options leave webhook fields empty.
const (
	// DefaultWebsiteID is the websiteId of notifications when
	// Options.WebsiteID is empty.
	DefaultWebsiteID = "5e1f6d2c8a4b3f0012ab34cd"
	// DefaultWebhookTimeout is how long an attempt waits for an answer.
	// [unverified] Squarespace documents only that endpoints must answer
	// quickly.
	DefaultWebhookTimeout = 10 * time.Second
	// MaxWebhookSubscriptions is the most subscriptions a site holds.
	MaxWebhookSubscriptions = 25
	webhookConnectTimeout   = 2 * time.Second
)

// Notification topics.
const (
	topicOrderCreate        = "order.create"
	topicOrderUpdate        = "order.update"
	topicExtensionUninstall = "extension.uninstall"
)

var webhookTopics = []string{topicExtensionUninstall, topicOrderCreate, topicOrderUpdate}

// webhookRetries are the waits before each retry, in seconds: 8 tries in
// all, the last about 44.6 hours after the first.
var webhookRetries = []int{60, 300, 1800, 7200, 21600, 43200, 86400}

// hookSub is one webhook subscription.
type hookSub struct {
	id       string
	url      string
	topics   []string
	secret   string // upper-case hex, as returned
	key      []byte // the secret decoded: the HMAC key
	created  time.Time
	modified time.Time
}

// hooks holds the subscriptions, guarded by Server.mu.
type hooks struct {
	subs []*hookSub // in creation order
}

func (h *hooks) find(id string) (int, *hookSub) {
	i := slices.IndexFunc(h.subs, func(w *hookSub) bool { return w.id == id })
	if i < 0 {
		return -1, nil
	}
	return i, h.subs[i]
}

// newSecret makes a subscription secret: 32 random bytes.
func newSecret() (string, []byte) {
	key := make([]byte, 32)
	rand.Read(key)
	return strings.ToUpper(hex.EncodeToString(key)), key
}

// newNotificationID makes a notification id: 24 hex digits, as
// Squarespace's object ids.
func newNotificationID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// WebhookSubscription is a copy of one subscription, for tests. The secret
// is not in it: as on Squarespace, only create and rotateSecret tell it.
type WebhookSubscription struct {
	ID          string
	EndpointURL string
	Topics      []string
	CreatedOn   time.Time
	UpdatedOn   time.Time
}

// WebhookSubscriptions returns the subscriptions in creation order.
func (s *Server) WebhookSubscriptions() []WebhookSubscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]WebhookSubscription, len(s.hooks.subs))
	for i, w := range s.hooks.subs {
		out[i] = WebhookSubscription{ID: w.id, EndpointURL: w.url, Topics: slices.Clone(w.topics),
			CreatedOn: w.created, UpdatedOn: w.modified}
	}
	return out
}

// WebhookFaults are delivery faults to inject into the next notifications
// (outbox.Faults). Squarespace's Duplicate is the same notification sent
// again, byte for byte: same id, same body, same signature ("webhook
// endpoints may receive a notification more than once"). FailFirst's lost
// answer is retried, so the receiver gets the same notification again.
type WebhookFaults = outbox.Faults

// Delivery is one attempt to deliver a notification, as the simulator
// sent it (outbox.Delivery). Topic is "order.create" or "order.update";
// ResourceID the order id; ID the notification id, the same on each retry
// and each copy; EventID the event's, shared by the notifications one
// event sends to several subscriptions. Ping is always false.
type Delivery = outbox.Delivery

// SetWebhookFaults replaces the pending delivery faults.
func (s *Server) SetWebhookFaults(f WebhookFaults) { s.out.SetFaults(f) }

// Deliveries returns every delivery attempt so far (the latest 10,000),
// in the order they were made.
func (s *Server) Deliveries() []Delivery { return s.out.Deliveries() }

// DrainWebhooks waits until no notification is queued, in flight or
// waiting for a retry (one held back by WebhookFaults.OutOfOrder is sent),
// or until ctx ends.
func (s *Server) DrainWebhooks(ctx context.Context) error { return s.out.Drain(ctx) }

// Close stops webhook delivery, retries included, and waits for its
// goroutines to end. The simulator still answers API requests.
func (s *Server) Close() { s.out.Close() }

// notification is the body Squarespace posts.
type notification struct {
	ID             string           `json:"id"`
	WebsiteID      string           `json:"websiteId"`
	SubscriptionID string           `json:"subscriptionId"`
	Topic          string           `json:"topic"`
	CreatedOn      string           `json:"createdOn"`
	Data           notificationData `json:"data"`
}

type notificationData struct {
	OrderID string `json:"orderId,omitempty"`
	Update  string `json:"update,omitempty"`
	// ClientID is extension.uninstall's: the extension's client id.
	ClientID string `json:"clientId,omitempty"`
}

// notify queues topic's notification about o to every subscription to
// it; update names an order.update's change. The caller holds s.mu.
func (s *Server) notify(o *order, topic, update string) {
	s.send(topic, notificationData{OrderID: o.id, Update: update}, o.modified)
}

// send queues a notification of topic with data, made at, to every
// subscription to the topic. The caller holds s.mu.
func (s *Server) send(topic string, data notificationData, at time.Time) {
	var jobs []*outbox.Job
	event := uuid.NewString()
	for _, w := range s.hooks.subs {
		if !slices.Contains(w.topics, topic) {
			continue
		}
		n := notification{ID: newNotificationID(), WebsiteID: s.websiteID, SubscriptionID: w.id, Topic: topic,
			CreatedOn: stampString(at), Data: data}
		b, err := json.Marshal(n)
		if err != nil {
			panic(fmt.Sprintf("squarespacesim: encoding a notification: %v", err))
		}
		jobs = append(jobs, &outbox.Job{Subscription: w.id, Topic: topic, ResourceID: data.OrderID,
			ID: n.ID, EventID: event, At: at, Body: b})
	}
	s.out.Enqueue(jobs...)
}

// hookCart is the Squarespace side of the outbox.
type hookCart struct{ s *Server }

// Prepare signs the notification with the subscription's current secret.
func (c hookCart) Prepare(j *outbox.Job) (string, http.Header, bool) {
	s := c.s
	s.mu.Lock()
	_, w := s.hooks.find(j.Subscription)
	var target string
	var key []byte
	if w != nil {
		target, key = w.url, w.key
	}
	s.mu.Unlock()
	if w == nil {
		return "", nil, false // deleted: nothing more is sent
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(j.Body)
	h := http.Header{}
	h.Set("User-Agent", "Squarespace/1.0")
	h.Set("Content-Type", "application/json")
	h.Set("Squarespace-Signature", hex.EncodeToString(mac.Sum(nil)))
	return target, h, true
}

// Settle deletes a subscription whose notification failed every try.
func (c hookCart) Settle(j *outbox.Job, delivered, final bool) {
	if delivered || !final {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, _ := s.hooks.find(j.Subscription); i >= 0 {
		s.hooks.subs = slices.Delete(s.hooks.subs, i, i+1)
	}
}

// CopyOf is Squarespace's duplicate: the same notification again.
func (hookCart) CopyOf(j *outbox.Job) *outbox.Job {
	d := *j
	return &d
}

// hookJSON is a Webhook Subscription as the API renders it.
type hookJSON struct {
	ID          string   `json:"id"`
	EndpointURL string   `json:"endpointUrl"`
	Topics      []string `json:"topics"`
	Secret      string   `json:"secret,omitempty"`
	CreatedOn   string   `json:"createdOn"`
	UpdatedOn   string   `json:"updatedOn"`
}

func (w *hookSub) view(withSecret bool) hookJSON {
	v := hookJSON{ID: w.id, EndpointURL: w.url, Topics: slices.Clone(w.topics),
		CreatedOn: stampString(w.created), UpdatedOn: stampString(w.modified)}
	if withSecret {
		v.Secret = w.secret
	}
	return v
}

// hookRequest is the body of create and update; nil is absent.
type hookRequest struct {
	EndpointURL *string   `json:"endpointUrl"`
	Topics      *[]string `json:"topics"`
}

// maxHookBody bounds a create or update body.
const maxHookBody = 64 << 10

// readHookRequest reads and checks a create or update body; it answers
// the error itself and reports false.
func (s *Server) readHookRequest(w http.ResponseWriter, r *http.Request, create bool) (string, []string, bool) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		s.apiError(w, http.StatusUnsupportedMediaType, "INVALID_REQUEST_ERROR", "", "The Content-Type must be application/json.")
		return "", nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHookBody))
	if err != nil {
		s.apiError(w, http.StatusRequestEntityTooLarge, "INVALID_REQUEST_ERROR", "", "The request body is too large.")
		return "", nil, false
	}
	var req hookRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil || dec.More() {
		s.badRequest(w, "", "The request body does not conform to the required specification.")
		return "", nil, false
	}
	var addr string
	var topics []string
	if req.EndpointURL != nil {
		addr = *req.EndpointURL
		if !validEndpoint(addr) {
			s.badRequest(w, "INVALID_ARGUMENT", "endpointUrl must be an absolute HTTPS URL.")
			return "", nil, false
		}
	} else if create {
		s.badRequest(w, "MISSING_ARGUMENT", "endpointUrl is required.")
		return "", nil, false
	}
	if req.Topics != nil {
		if len(*req.Topics) == 0 {
			s.badRequest(w, "INVALID_ARGUMENT", "topics cannot be empty.")
			return "", nil, false
		}
		for _, t := range *req.Topics {
			if !slices.Contains(webhookTopics, t) {
				s.badRequest(w, "INVALID_ARGUMENT", fmt.Sprintf("Unknown topic %q; topics are %s.", t, strings.Join(webhookTopics, ", ")))
				return "", nil, false
			}
			if !slices.Contains(topics, t) {
				topics = append(topics, t)
			}
		}
	} else if create {
		s.badRequest(w, "MISSING_ARGUMENT", "topics is required.")
		return "", nil, false
	}
	return addr, topics, true
}

// validEndpoint accepts an absolute https URL, or http on a loopback host.
func validEndpoint(addr string) bool {
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return false
	}
	return u.Scheme == "https" || u.Scheme == "http" && loopback(u.Hostname())
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) hookNotFound(w http.ResponseWriter) {
	s.apiError(w, http.StatusNotFound, "INVALID_REQUEST_ERROR", "INVALID_ARGUMENT", "The requested Webhook Subscription was not found.")
}

// listHooks serves GET /1.0/webhook_subscriptions.
func (s *Server) listHooks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := make([]hookJSON, len(s.hooks.subs))
	for i, h := range s.hooks.subs {
		out[i] = h.view(false)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"webhookSubscriptions": out})
}

// createHook serves POST /1.0/webhook_subscriptions.
func (s *Server) createHook(w http.ResponseWriter, r *http.Request) {
	addr, topics, ok := s.readHookRequest(w, r, true)
	if !ok {
		return
	}
	now := s.stamp()
	secret, key := newSecret()
	h := &hookSub{id: uuid.NewString(), url: addr, topics: topics, secret: secret, key: key, created: now, modified: now}
	s.mu.Lock()
	if len(s.hooks.subs) >= MaxWebhookSubscriptions {
		s.mu.Unlock()
		s.badRequest(w, "INVALID_ARGUMENT", fmt.Sprintf("A website can have at most %d webhook subscriptions.", MaxWebhookSubscriptions))
		return
	}
	s.hooks.subs = append(s.hooks.subs, h)
	v := h.view(true)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, v)
}

// getHook serves GET /1.0/webhook_subscriptions/{id}.
func (s *Server) getHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, h := s.hooks.find(r.PathValue("id"))
	var v hookJSON
	if h != nil {
		v = h.view(false)
	}
	s.mu.Unlock()
	if h == nil {
		s.hookNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// updateHook serves POST /1.0/webhook_subscriptions/{id}: a partial update.
func (s *Server) updateHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, h := s.hooks.find(r.PathValue("id"))
	s.mu.Unlock()
	if h == nil {
		s.hookNotFound(w)
		return
	}
	addr, topics, ok := s.readHookRequest(w, r, false)
	if !ok {
		return
	}
	now := s.stamp()
	s.mu.Lock()
	_, h = s.hooks.find(r.PathValue("id"))
	var v hookJSON
	if h != nil {
		if addr != "" {
			h.url = addr
		}
		if topics != nil {
			h.topics = topics
		}
		h.modified = now
		v = h.view(false)
	}
	s.mu.Unlock()
	if h == nil {
		s.hookNotFound(w) // deleted meanwhile
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// deleteHook serves DELETE /1.0/webhook_subscriptions/{id}. Notifications
// already queued for it are not sent.
func (s *Server) deleteHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i, _ := s.hooks.find(r.PathValue("id"))
	if i >= 0 {
		s.hooks.subs = slices.Delete(s.hooks.subs, i, i+1)
	}
	s.mu.Unlock()
	if i < 0 {
		s.hookNotFound(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// rotateHookSecret serves POST
// /1.0/webhook_subscriptions/{id}/actions/rotateSecret.
func (s *Server) rotateHookSecret(w http.ResponseWriter, r *http.Request) {
	secret, key := newSecret()
	now := s.stamp()
	s.mu.Lock()
	_, h := s.hooks.find(r.PathValue("id"))
	if h != nil {
		h.secret, h.key, h.modified = secret, key, now
	}
	s.mu.Unlock()
	if h == nil {
		s.hookNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"secret": secret})
}
