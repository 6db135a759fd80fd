package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/input"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/store"
)

// MaxBody is the largest webhook body accepted.
const MaxBody = 1 << 20

// DedupeTTL is how long deliveries are remembered: longer than any cart
// retries (BigCommerce and Squarespace retry for up to 48 hours, Shopify 8
// times over 4 hours since September 2024, WooCommerce not at all).
const DedupeTTL = 7 * 24 * time.Hour

// claimTTL is how long a body being handed over is held: a concurrent
// copy waits it out as a duplicate, and should the process die before the
// hand-over, the cart's later retries are not refused for long.
const claimTTL = time.Minute

// Dispatcher hands the import to the executor.
type Dispatcher interface {
	Dispatch(ctx context.Context, in runs.Input) error
}

// TaskSettings says whether the merchant ticked an instasync task.
type TaskSettings interface {
	Enabled(ctx context.Context, account, channel string, task catalog.Task) (bool, error)
}

// Receiver serves POST /webhooks/{cart}/{channel_id}.
type Receiver struct {
	Channels *channels.Repo
	Store    store.Store
	Settings TaskSettings
	Dispatch Dispatcher
	Now      func() time.Time
	Log      *slog.Logger
}

// Handler returns the webhook route.
func (rc *Receiver) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/{cart}/{channel_id}", rc.receive)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusNotFound, "not_found", "No such webhook endpoint.")
	})
	return mux
}

// accepted answers a delivery the receiver took (or already had).
func accepted(w http.ResponseWriter, what string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": what})
}

func reply(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func dedupeKey(channel string) string { return "WHD#" + channel }

// bodySK names a signed body acted on as topic (the channel is the key's
// partition). Delivery ids are at most 128 characters of [A-Za-z0-9_\-:./],
// so "body#" never collides with one.
func bodySK(topic cart.Topic, body []byte) string {
	h := sha256.New()
	h.Write([]byte(topic))
	h.Write([]byte{0})
	h.Write(body)
	return "body#" + hex.EncodeToString(h.Sum(nil))
}

func (rc *Receiver) receive(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c := catalog.Cart(r.PathValue("cart"))
	chID := r.PathValue("channel_id")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			reply(w, http.StatusRequestEntityTooLarge, "too_large", "The body is over 1 MiB.")
			return
		}
		reply(w, http.StatusBadRequest, "malformed", "The body could not be read.")
		return
	}
	// Unknown channel, or a cart that is not the channel's: one answer, so
	// a prober learns nothing about which part was wrong.
	notFound := func() { reply(w, http.StatusNotFound, "not_found", "No such webhook endpoint.") }
	if !input.ID("ch", chID) || !carts.Valid(c) {
		notFound()
		return
	}
	// Every line about the delivery says whose it is, so support can
	// follow a cart's failed deliveries at 3 a.m.
	log := rc.Log.With("channel", chID, "cart", string(c))
	account, err := rc.Channels.Locate(ctx, chID)
	if errors.Is(err, channels.ErrNotFound) {
		notFound()
		return
	}
	if err != nil {
		rc.fail(ctx, w, log, "locate channel", err)
		return
	}
	log = log.With("account", account)
	ch, err := rc.Channels.Get(ctx, account, chID)
	if errors.Is(err, channels.ErrNotFound) || (err == nil && ch.Type != c) {
		notFound()
		return
	}
	if err != nil {
		rc.fail(ctx, w, log, "load channel", err)
		return
	}
	secret, err := rc.Channels.WebhookSecret(ctx, account, chID)
	if err != nil {
		rc.fail(ctx, w, log, "load webhook secret", err)
		return
	}
	d, err := Verify(c, r.Header, body, secret, rc.Now())
	switch {
	case errors.Is(err, ErrSignature):
		log.WarnContext(ctx, "webhook refused: bad signature")
		reply(w, http.StatusUnauthorized, "bad_signature", "The signature does not match.")
		return
	case errors.Is(err, ErrCart):
		notFound()
		return
	case err != nil:
		log.WarnContext(ctx, "webhook refused: malformed delivery", "err", err)
		reply(w, http.StatusBadRequest, "malformed", "The delivery could not be read.")
		return
	}
	log = log.With("delivery", d.ID)
	if d.Uninstalled {
		rc.uninstalled(ctx, w, log, account, ch, d)
		return
	}
	if d.Ping || d.Topic == "" {
		accepted(w, "ignored")
		return
	}
	// A delivery seen before (a retry, a duplicate) is answered, not redone.
	if _, err := rc.Store.Get(ctx, dedupeKey(chID), d.ID); err == nil {
		log.InfoContext(ctx, "webhook duplicate")
		accepted(w, "duplicate")
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		rc.fail(ctx, w, log, "check delivery", err)
		return
	}
	// The delivery id is not signed by every cart (Shopify's event id and
	// WooCommerce's delivery id are plain headers), so a captured body
	// replayed under fresh ids must be caught by what is signed: the body,
	// with the topic it was acted on as. The claim is conditional, so
	// concurrent copies import once too.
	bodyKey := bodySK(d.Topic, body)
	claim := store.Item{PK: dedupeKey(chID), SK: bodyKey, Data: []byte(`{}`), ExpiresAt: rc.Now().Add(claimTTL)}
	if _, err := rc.Store.Put(ctx, claim, store.MustBeNew); errors.Is(err, store.ErrConditionFailed) {
		log.InfoContext(ctx, "webhook duplicate body")
		accepted(w, "duplicate")
		return
	} else if err != nil {
		rc.fail(ctx, w, log, "claim delivery", err)
		return
	}
	release := func() {
		if err := rc.Store.Delete(context.WithoutCancel(ctx), dedupeKey(chID), bodyKey, store.NoCond); err != nil {
			log.WarnContext(ctx, "release delivery claim", "err", err)
		}
	}
	task := catalog.InstasyncOrders
	if d.Topic == cart.TopicProducts {
		task = catalog.InstasyncProducts
	}
	on, err := rc.Settings.Enabled(ctx, account, chID, task)
	if err != nil {
		release()
		rc.fail(ctx, w, log, "load settings", err)
		return
	}
	if on && ch.Status == channels.Active {
		in := runs.Input{AccountID: account, ChannelID: chID, Task: task, Trigger: runs.Webhook, ResourceID: d.ResourceID}
		if err := rc.Dispatch.Dispatch(ctx, in); err != nil {
			// Not remembered: the cart's retry gets another chance.
			release()
			rc.fail(ctx, w, log, "dispatch import", err)
			return
		}
	}
	// Remembered only once handed over, so a failed hand-over is retried.
	// One write for both (each is an fsync locally).
	expires := rc.Now().Add(DedupeTTL)
	var ops []store.Op
	for _, sk := range []string{d.ID, bodyKey} {
		ops = append(ops, store.Put(store.Item{PK: dedupeKey(chID), SK: sk, Data: []byte(`{}`), ExpiresAt: expires}, store.NoCond))
	}
	if err := rc.Store.Transact(context.WithoutCancel(ctx), ops); err != nil {
		log.WarnContext(ctx, "remember delivery", "err", err)
	}
	log.InfoContext(ctx, "webhook accepted", "topic", string(d.Topic), "imported", on)
	accepted(w, "accepted")
}

// uninstalled hands a cart's signed notice that the app was removed to the
// executor, which asks the cart (runs.ActionVerifyChannel) and disconnects
// the channel only if the cart refuses Autosync's authorization: a stale
// or replayed notice, after the merchant installed the app again, changes
// nothing. A retried notice verifies again, which is harmless.
func (rc *Receiver) uninstalled(ctx context.Context, w http.ResponseWriter, log *slog.Logger, account string, ch channels.Channel, d cart.Delivery) {
	if ch.Status == channels.Disconnected {
		accepted(w, "ignored")
		return
	}
	in := runs.Input{Action: runs.ActionVerifyChannel, AccountID: account, ChannelID: ch.ID}
	if err := rc.Dispatch.Dispatch(ctx, in); err != nil {
		rc.fail(ctx, w, log, "dispatch channel verification", err)
		return
	}
	log.InfoContext(ctx, "webhook uninstall notice: the channel's authorization is checked with the cart")
	accepted(w, "accepted")
}

func (rc *Receiver) fail(ctx context.Context, w http.ResponseWriter, log *slog.Logger, what string, err error) {
	log.ErrorContext(ctx, "webhook: "+what, "err", err)
	reply(w, http.StatusServiceUnavailable, "unavailable", "Try again later.")
}
