package httpapi

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/connect"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/input"
)

func (a *API) connectRoutes(mux Mux) {
	m := a.merchant
	mux.Handle("GET /v1/carts", m(a.getCarts))
	mux.Handle("POST /v1/channels/connect", m(a.postConnect))
	mux.Handle("POST /v1/channels/{channel_id}/reauthorize", m(a.postReauthorize))
	mux.Handle("PATCH /v1/channels/{channel_id}", m(a.patchChannel))
	// Public: the cart (or the merchant's browser, sent by the cart) calls
	// these; the state and the cart's signature are the authentication.
	mux.HandleFunc("GET /oauth/{cart}/callback", a.oauthCallback)
	mux.HandleFunc("POST /oauth/{cart}/callback", a.oauthCallback)
	mux.HandleFunc("GET /oauth/{cart}/return", a.oauthReturn)
	mux.HandleFunc("POST /oauth/{cart}/events", a.oauthEvents)
	// A cart calling named callback URLs with a signed query (BigCommerce's
	// load and uninstall): the query is the notice's body.
	mux.HandleFunc("GET /oauth/{cart}/events/{callback}", a.oauthEvents)
}

// connectErr turns the connect service's refusals into answers.
func connectErr(err error) error {
	var ie *connect.InvalidError
	switch {
	case errors.As(err, &ie):
		ds := make([]any, len(ie.Problems))
		for i, p := range ie.Problems {
			ds[i] = p
		}
		return invalid("The channel cannot be connected as given.", ds...)
	case errors.Is(err, connect.ErrNotConnectable):
		return invalid("This cart cannot be connected from here yet.", map[string]string{"field": "cart", "message": "This cart cannot be connected from here yet."})
	}
	return err
}

func (a *API) postConnect(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var raw map[string]any
	if err := decode(w, r, &raw); err != nil {
		return err
	}
	fields := map[string]string{}
	var c catalog.Cart
	var name string
	for k, v := range raw {
		s, ok := v.(string)
		if !ok {
			return badRequest(fmt.Sprintf("Field %q has the wrong type: expected a string.", k))
		}
		switch k {
		case "cart":
			c = catalog.Cart(s)
		case "name":
			name = strings.TrimSpace(s)
		default:
			if len(fields) >= 8 || input.Key(k) != nil || len(s) > 512 {
				return invalid("The channel cannot be connected as given.", map[string]string{"field": "fields", "message": "At most 8 fields of up to 512 characters."})
			}
			fields[k] = s
		}
	}
	if err := input.Name(name); err != nil {
		return invalid("The channel cannot be connected as given.", map[string]string{"field": "name", "message": fmt.Sprintf("Name the channel (1 to %d characters, no control characters): name %s.", input.MaxName, err)})
	}
	if a.Connect == nil {
		return connectErr(connect.ErrNotConnectable)
	}
	u, state, err := a.Connect.StartState(r.Context(), p.AccountID, c, name, fields, "")
	if err != nil {
		return connectErr(err)
	}
	if ck := a.Connect.StateCookie(c, state); ck != nil {
		http.SetCookie(w, ck)
	}
	writeJSON(w, http.StatusOK, map[string]string{"authorize_url": u})
	return nil
}

func (a *API) postReauthorize(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	chID, err := pathChannelID(r)
	if err != nil {
		return err
	}
	if r.ContentLength != 0 {
		var none struct{}
		if err := decode(w, r, &none); err != nil {
			return err
		}
	}
	ch, err := a.Channels.Get(r.Context(), p.AccountID, chID)
	if err != nil {
		return err
	}
	if a.Connect == nil {
		return connectErr(connect.ErrNotConnectable)
	}
	fields, err := reauthFields(ch)
	if err != nil {
		return connectErr(err)
	}
	u, state, err := a.Connect.StartState(r.Context(), p.AccountID, ch.Type, ch.Name, fields, ch.ID)
	if err != nil {
		return connectErr(err)
	}
	if ck := a.Connect.StateCookie(ch.Type, state); ck != nil {
		http.SetCookie(w, ck)
	}
	writeJSON(w, http.StatusOK, map[string]string{"authorize_url": u})
	return nil
}

// reauthFields are the connect fields a channel was connected with, read
// back from its config through the driver's StoreKey.
func reauthFields(ch channels.Channel) (map[string]string, error) {
	cn, ok := connectOf(ch.Type)
	if !ok {
		return nil, connect.ErrNotConnectable
	}
	out := map[string]string{}
	for _, f := range cn.Fields {
		// A connect field is stored under its own name (Amazon's
		// marketplace_id) or else under the StoreKey (the store it names).
		v, ok := ch.Config[f.Name]
		if !ok {
			v = ch.Config[cn.StoreKey]
		}
		out[f.Name] = v
	}
	return out, nil
}

func (a *API) patchChannel(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Name *string `json:"name"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	chID, err := pathChannelID(r)
	if err != nil {
		return err
	}
	if req.Name == nil {
		return invalid("Nothing to change.", map[string]string{"field": "name", "message": "Send the channel's new name."})
	}
	name := strings.TrimSpace(*req.Name)
	if err := input.Name(name); err != nil {
		return invalid("The channel cannot be renamed as given.", map[string]string{"field": "name", "message": fmt.Sprintf("Name the channel (1 to %d characters, no control characters): name %s.", input.MaxName, err)})
	}
	ch, err := a.Channels.Rename(r.Context(), p.AccountID, chID, name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ch)
	return nil
}

// writeNoticePage answers a browser the cart sent here with a plain page
// saying msg and linking back to Autosync.
func writeNoticePage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>Autosync</title><p>%s</p><p><a href=\"/\">Back to Autosync</a></p>\n", html.EscapeString(msg))
}

// notStartedHere is the answer to a callback or return in a browser that
// did not start the authorization (or whose cookie expired).
const notStartedHere = "Nothing was connected. Start connecting from Autosync in this browser (Add channel, or Re-authorize on the channel), then allow access at the cart."

// authFailure is the status and merchant-readable message for a refused
// or failed authorization; internal errors are logged, never shown.
func (a *API) authFailure(r *http.Request, reqID string, c catalog.Cart, err error) (int, string) {
	var ce *connector.CheckError
	switch {
	case errors.Is(err, connect.ErrNoState), errors.Is(err, connect.ErrOtherBrowser):
		a.Log.WarnContext(r.Context(), "authorization callback in a browser that did not start it", "request_id", reqID, "cart", c, "err", err)
		return http.StatusBadRequest, notStartedHere
	case errors.Is(err, connect.ErrState), errors.Is(err, connect.ErrNotConnectable):
		return http.StatusBadRequest, "This authorization expired or was already used. Start connecting the channel again."
	case errors.Is(err, cart.ErrCallback):
		a.Log.WarnContext(r.Context(), "authorization callback refused", "request_id", reqID, "cart", c, "err", err)
		return http.StatusBadRequest, "This authorization could not be verified. Start connecting the channel again."
	case errors.As(err, &ce) && ce.Refused:
		return http.StatusBadRequest, ce.Message
	case errors.As(err, &ce):
		return http.StatusServiceUnavailable, ce.Message
	case errors.Is(err, channels.ErrLimit):
		return http.StatusConflict, fmt.Sprintf("An account can connect at most %d channels.", channels.MaxPerAccount)
	case errors.Is(err, channels.ErrNotFound):
		return http.StatusNotFound, "The channel was deleted meanwhile."
	}
	a.Log.ErrorContext(r.Context(), "authorization callback failed", "request_id", reqID, "cart", c, "err", err)
	return http.StatusBadGateway, "The cart's authorization could not be completed. Try again; if it persists, contact support with request id " + reqID + "."
}

// clearStateCookie drops the browser's state cookie once its authorization
// completed. A refused callback leaves it: the refusal may be a made-up
// callback the browser was led to while its own authorization is still
// under way (the state is spent only by a grant the cart verified).
func (a *API) clearStateCookie(w http.ResponseWriter, c catalog.Cart) {
	if ck := a.Connect.ClearStateCookie(c); ck != nil {
		http.SetCookie(w, ck)
	}
}

// oauthReturn is where a cart that completes an authorization server to
// server (WooCommerce posts the keys to the callback) sends the browser
// back, naming only the state (WooCommerce: ?success=1&user_id=<state>).
// The post made no channel: the browser that started the authorization,
// carrying its state cookie, confirms the held grant here, and is sent to
// the page with the channel selected. Any other browser gets a plain page
// and changes nothing; a return already confirmed selects its channel.
func (a *API) oauthReturn(w http.ResponseWriter, r *http.Request) {
	reqID := requestID(r)
	w.Header().Set("X-Request-Id", reqID)
	c := catalog.Cart(r.PathValue("cart"))
	if a.Connect == nil {
		writeNoticePage(w, http.StatusNotFound, "No such route.")
		return
	}
	q, err := connect.ParseCallback(r.URL.RawQuery)
	if err != nil {
		writeNoticePage(w, http.StatusBadRequest, "This link is not valid. Start connecting the channel again from Autosync.")
		return
	}
	if q.Get("success") == "0" {
		writeNoticePage(w, http.StatusOK, "The store did not grant Autosync access, so nothing was connected. Start again from Autosync's Add channel to connect it.")
		return
	}
	state := q.Get("user_id")
	// A reload of a confirmed return.
	if id, err := a.Connect.Completed(r.Context(), c, state); err == nil {
		http.Redirect(w, r, "/#channel="+url.QueryEscape(id), http.StatusSeeOther)
		return
	} else if !errors.Is(err, connect.ErrState) {
		a.Log.ErrorContext(r.Context(), "authorization return failed", "request_id", reqID, "cart", c, "err", err)
		writeNoticePage(w, http.StatusServiceUnavailable, "Autosync could not look up the connection. Open Autosync to see your channels.")
		return
	}
	ch, err := a.Connect.Confirm(r.Context(), c, state, r.Header)
	if errors.Is(err, connect.ErrState) {
		writeNoticePage(w, http.StatusBadRequest, "This connection did not complete, or the link expired. Open Autosync to see your channels, or start connecting again.")
		return
	}
	if err != nil {
		status, msg := a.authFailure(r, reqID, c, err)
		writeNoticePage(w, status, msg)
		return
	}
	a.clearStateCookie(w, c)
	a.Log.InfoContext(r.Context(), "channel authorized", "request_id", reqID, "account", ch.AccountID, "channel", ch.ID, "cart", c)
	http.Redirect(w, r, "/#channel="+url.QueryEscape(ch.ID), http.StatusSeeOther)
}

// oauthCallback completes an authorization. A GET is the merchant's
// browser: a redirect to the page with the channel selected, or a plain
// page saying what went wrong. A POST is the cart server to server
// (WooCommerce's keys): the grant is held for the browser's return and the
// cart gets JSON.
func (a *API) oauthCallback(w http.ResponseWriter, r *http.Request) {
	reqID := requestID(r)
	w.Header().Set("X-Request-Id", reqID)
	c := catalog.Cart(r.PathValue("cart"))
	fail := func(status int, msg string) {
		if r.Method == http.MethodPost {
			writeJSON(w, status, errBody(&Error{Code: "authorization_refused", Message: msg}))
			return
		}
		writeNoticePage(w, status, msg)
	}
	if a.Connect == nil {
		fail(http.StatusNotFound, "No such route.")
		return
	}
	q, err := connect.ParseCallback(r.URL.RawQuery)
	if err != nil {
		fail(http.StatusBadRequest, "This authorization link is not valid. Start connecting the channel again.")
		return
	}
	cb := cart.Callback{Method: r.Method, Query: q, Header: r.Header}
	if r.Method == http.MethodPost {
		if cb.Body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10)); err != nil {
			fail(http.StatusBadRequest, "The request body could not be read.")
			return
		}
		if err := a.Connect.Receive(r.Context(), c, cb); err != nil {
			fail(a.authFailure(r, reqID, c, err))
			return
		}
		a.Log.InfoContext(r.Context(), "authorization granted server to server; held for the browser's return", "request_id", reqID, "cart", c)
		writeJSON(w, http.StatusOK, map[string]string{"status": "received"})
		return
	}
	ch, err := a.Connect.Complete(r.Context(), c, cb)
	if err != nil {
		fail(a.authFailure(r, reqID, c, err))
		return
	}
	a.clearStateCookie(w, c)
	a.Log.InfoContext(r.Context(), "channel authorized", "request_id", reqID, "account", ch.AccountID, "channel", ch.ID, "cart", c)
	http.Redirect(w, r, "/#channel="+url.QueryEscape(ch.ID), http.StatusSeeOther)
}

// oauthEvents receives a cart's app-level notifications (uninstall,
// compliance), verified with the app's secret.
func (a *API) oauthEvents(w http.ResponseWriter, r *http.Request) {
	reqID := requestID(r)
	w.Header().Set("X-Request-Id", reqID)
	c := catalog.Cart(r.PathValue("cart"))
	if a.Connect == nil {
		writeJSON(w, http.StatusNotFound, errBody(notFound("Route")))
		return
	}
	var body []byte
	h := r.Header
	if r.Method == http.MethodGet {
		if len(r.URL.RawQuery) > 8<<10 {
			writeJSON(w, http.StatusBadRequest, errBody(badRequest("The query is too long.")))
			return
		}
		body = []byte(r.URL.RawQuery)
		// Which callback URL was called is the router's to say, never the
		// caller's.
		h = r.Header.Clone()
		h.Set(cart.NoticeCallbackHeader, r.PathValue("callback"))
	} else {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, errBody(badRequest("The request body could not be read.")))
			return
		}
		r.Header.Del(cart.NoticeCallbackHeader)
	}
	n, err := a.Connect.Notice(r.Context(), c, h, body)
	switch {
	case err == nil:
	case errors.Is(err, connect.ErrNotConnectable):
		writeJSON(w, http.StatusNotFound, errBody(notFound("Route")))
		return
	case errors.Is(err, cart.ErrWebhookSignature), errors.Is(err, cart.ErrWebhookPayload):
		writeJSON(w, http.StatusUnauthorized, errBody(&Error{Code: "signature", Message: "The notification's signature does not verify."}))
		return
	default:
		a.Log.ErrorContext(r.Context(), "app notice failed", "request_id", reqID, "cart", c, "err", err)
		writeJSON(w, http.StatusInternalServerError, errBody(internalError(reqID)))
		return
	}
	a.Log.InfoContext(r.Context(), "app notice", "request_id", reqID, "cart", c, "topic", n.Topic, "kind", n.Kind)
	if n.Kind == cart.NoticeOpened {
		// The merchant opened the app from the cart's control panel.
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	w.WriteHeader(http.StatusOK)
}
