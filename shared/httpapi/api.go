// Package httpapi is Autosync's HTTP API (docs/ARCHITECTURE.md): one net/http handler
// tree served by the api Lambda (through aws-lambda-go-api-proxy) and by make
// dev. Handlers only translate between HTTP and the use cases; every input is
// bounded and validated before anything changes, and no internal error text
// reaches a response.
package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/autosync/autosync/shared/identity"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/connect"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/id"
	"github.com/autosync/autosync/shared/inventory"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runner"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/settings"
)

// MaxBody is the largest request body accepted.
const MaxBody = 1 << 20

// API holds the use cases the routes call.
type API struct {
	Auth       auth.Authenticator
	Settings   *settings.Service
	Channels   *channels.Repo
	Runs       *runs.Repo
	Orders     *orders.Repo
	Inventory  *inventory.Repo
	Connectors connector.Factory
	Dispatch   runner.Dispatcher
	Log        *slog.Logger
	// UI serves GET / and its assets; nil serves none.
	UI http.Handler
	// SignIn is the hosted sign-in page the Sync page uses when it has no
	// token; the zero value (make dev, an outside issuer) offers none.
	SignIn identity.SignIn
	// Connect connects and re-authorizes channels through the carts' own
	// authorization; nil answers those routes as unavailable.
	Connect *connect.Service
	// Extra registers more routes (make dev's /dev/ routes) on the same mux.
	Extra func(mux Mux)
}

// Mux is where routes are registered. Every registration goes through
// it, so Routes can list the whole tree (the route walk tests each one
// without anyone remembering to add it).
type Mux interface {
	Handle(pattern string, h http.Handler)
	HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request))
}

// recordingMux is a ServeMux that keeps the patterns registered on it.
type recordingMux struct {
	*http.ServeMux
	patterns []string
}

func (m *recordingMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *recordingMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// Handler returns the route tree.
func (a *API) Handler() http.Handler {
	h, _ := a.build()
	return h
}

// Routes lists the patterns Handler registers ("PUT /v1/sync", "/v1/",
// ...), Extra's included, in registration order.
func (a *API) Routes() []string {
	_, patterns := a.build()
	return patterns
}

func (a *API) build() (http.Handler, []string) {
	mux := &recordingMux{ServeMux: http.NewServeMux()}
	m := a.merchant
	mux.Handle("GET /v1/channels", m(accountList("channels", a.Channels.List)))
	mux.Handle("POST /v1/channels", m(a.createChannel))
	mux.Handle("PUT /v1/channels/{channel_id}/credentials", m(a.updateCredentials))
	mux.Handle("DELETE /v1/channels/{channel_id}", m(a.deleteChannel))
	a.connectRoutes(mux)
	mux.Handle("GET /v1/sync", m(accountList("channels", a.Settings.Modal)))
	mux.Handle("PUT /v1/sync", m(a.putSync))
	mux.Handle("POST /v1/sync/runs", m(a.postRuns))
	mux.Handle("GET /v1/sync/runs", m(a.listRuns))
	mux.Handle("GET /v1/sync/runs/{run_id}", m(a.getRun))
	mux.Handle("GET /v1/orders", m(a.listOrders))
	mux.Handle("GET /v1/products", m(a.listProducts))
	mux.Handle("PUT /v1/products/{sku}/inventory", m(a.putInventory))
	mux.Handle("GET /v1/warehouses", m(accountList("warehouses", a.Inventory.Warehouses)))
	mux.Handle("GET /v1/channels/{channel_id}/inventory-preview", m(a.inventoryPreview))
	mux.Handle("PUT /v1/admin/accounts/{account_id}/channels/{channel_id}/tasks/{task}/interval", a.admin(a.putInterval))
	mux.Handle("PUT /v1/admin/accounts/{account_id}/channels/{channel_id}/order-statuses", a.admin(a.putOrderStatuses))
	mux.Handle("PUT /v1/admin/accounts/{account_id}/channels/{channel_id}/inventory-policy", a.admin(a.putInventoryPolicy))
	// Asked before the page has a token, so it takes none.
	mux.Handle(identity.ConfigRoute, identity.ConfigHandler(a.SignIn))
	mux.Handle("/v1/", a.wrap(func(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "No such route."}
	}))
	if a.UI != nil {
		mux.Handle("/", a.UI) // the UI answers 405 to other methods itself
	}
	if a.Extra != nil {
		a.Extra(mux)
	}
	return a.recoverer(mux), mux.patterns
}

// Error is an API error response.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details []any  `json:"details,omitempty"`
}

func (e *Error) Error() string { return e.Message }

func badRequest(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "malformed", Message: msg}
}

func invalid(msg string, details ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: msg, Details: details}
}

func notFound(what string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: what + " not found."}
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

// merchant authenticates the request and scopes it to the token's account;
// a support token acts as a merchant of its own account too.
func (a *API) merchant(h handlerFunc) http.Handler {
	return a.wrap(h, auth.ScopeMerchant, auth.ScopeAdmin)
}

// admin requires the support scope.
func (a *API) admin(h handlerFunc) http.Handler { return a.wrap(h, auth.ScopeAdmin) }

func (a *API) wrap(h handlerFunc, scopes ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqID := requestID(r)
		w.Header().Set("X-Request-Id", reqID)
		p, err := a.Auth.Authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer`)
			writeJSON(w, http.StatusUnauthorized, errBody(&Error{Code: "unauthenticated", Message: "A valid bearer token is required."}))
			return
		}
		if len(scopes) > 0 && !slices.ContainsFunc(scopes, p.Has) {
			writeJSON(w, http.StatusForbidden, errBody(&Error{Code: "forbidden", Message: "This route needs the " + scopes[0] + " scope."}))
			return
		}
		ctx := auth.With(r.Context(), p)
		r = r.WithContext(ctx)
		if err := h(w, r, p); err != nil {
			a.writeErr(ctx, w, reqID, p, err)
		}
	})
}

func (a *API) writeErr(ctx context.Context, w http.ResponseWriter, reqID string, p auth.Principal, err error) {
	var apiErr *Error
	var mbe *http.MaxBytesError
	var removeErr *settings.RemoveError
	switch {
	case errors.As(err, &apiErr):
	case errors.As(err, &mbe):
		apiErr = &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("The request body is over %d bytes.", MaxBody)}
	case errors.Is(err, channels.ErrNotFound):
		apiErr = notFound("Channel")
	case errors.As(err, &removeErr):
		// The cart's subscriptions could not be removed: the channel is
		// kept (its credentials are how they get removed) and the
		// merchant is told to try again.
		a.Log.WarnContext(ctx, "channel removal waits for its cart", "request_id", reqID, "account", p.AccountID, "err", err)
		apiErr = &Error{Status: http.StatusServiceUnavailable, Code: "cart_unreachable", Message: removeErr.Message}
	case errors.Is(err, settings.ErrConflict):
		apiErr = &Error{Status: http.StatusConflict, Code: "conflict", Message: "The settings changed while saving; reload and try again."}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		apiErr = &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "The request took too long; try again."}
	default:
		a.Log.ErrorContext(ctx, "request failed", "request_id", reqID, "account", p.AccountID, "err", err)
		apiErr = internalError(reqID)
	}
	writeJSON(w, apiErr.Status, errBody(apiErr))
}

// internalError is the one answer to a failure on our side: no internal
// text, only the request id support can find the log line by.
func internalError(reqID string) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "internal",
		Message: "Something went wrong on our side. Try again; if it persists, contact support with request id " + reqID + "."}
}

func errBody(e *Error) any { return map[string]*Error{"error": e} }

func (a *API) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				// wrap has set the request id unless the panic came from outside it.
				reqID := w.Header().Get("X-Request-Id")
				if reqID == "" {
					reqID = requestID(r)
					w.Header().Set("X-Request-Id", reqID)
				}
				a.Log.ErrorContext(r.Context(), "handler panic", "request_id", reqID, "panic", fmt.Sprint(v), "path", r.URL.Path)
				writeJSON(w, http.StatusInternalServerError, errBody(internalError(reqID)))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func requestID(r *http.Request) string {
	if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && rc.RequestID != "" {
		return rc.RequestID
	}
	return id.New("req")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body of at most MaxBody bytes into v, strictly.
// Decode reads a JSON request body of at most MaxBody bytes into v,
// strictly; its errors are *Error (or *http.MaxBytesError). make dev's
// local routes share it.
func Decode(w http.ResponseWriter, r *http.Request, v any) error { return decode(w, r, v) }

func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		// Media types are case-insensitive and may carry parameters
		// (charset); "application/jsonp" and the like are not JSON.
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "Send JSON with Content-Type: application/json."}
		}
	}
	body := http.MaxBytesReader(w, r.Body, MaxBody)
	b, err := io.ReadAll(body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	if err != nil {
		// The client hung up or sent a body shorter than its
		// Content-Length: its problem, not ours (no 500, no ERROR log).
		return badRequest("The request body could not be read in full.")
	}
	if len(b) == 0 {
		return badRequest("The request body is empty; send a JSON object.")
	}
	if !utf8.Valid(b) {
		return badRequest("The request body is not UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			if ute.Field == "" {
				return badRequest("The request body must be a JSON object.")
			}
			// Name JSON kinds, never the Go types the body decodes into.
			return badRequest(fmt.Sprintf("Field %q has the wrong type: expected %s, got %s.", ute.Field, jsonKind(ute.Type), ute.Value))
		}
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return badRequest("Unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + ".")
		}
		return badRequest("The request body is not valid JSON.")
	}
	// Only JSON whitespace may follow the object. (Decoder.More misses a
	// stray closing bracket or brace.)
	for _, c := range b[dec.InputOffset():] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return badRequest("The request body has data after the JSON object.")
		}
	}
	return nil
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		// Not "a number": 1e3 or 2.5 is a number, and reading "expected a
		// number, got number 1e3" helps nobody.
		return "a whole number (digits only)"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another type"
}

// pageParams reads limit and cursor; a cursor is the store key of the
// last item listed, so one that does not start with the listing's
// keyPrefix is not one this API returned.
func pageParams(r *http.Request, def, maxLimit int, keyPrefix string) (int, string, error) {
	limit := def
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return 0, "", invalid(fmt.Sprintf("limit must be a whole number from 1 to %d.", maxLimit))
		}
		limit = n
	}
	cursor := ""
	if s := r.URL.Query().Get("cursor"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) > 1024 || !utf8.Valid(b) || !strings.HasPrefix(string(b), keyPrefix) {
			return 0, "", invalid("cursor is not one this API returned.")
		}
		cursor = string(b)
	}
	return limit, cursor, nil
}

// writePage answers one page of a listing under key: an empty page is an
// empty array, never null.
func writePage[T any](w http.ResponseWriter, key string, list []T, next string) {
	if list == nil {
		list = []T{}
	}
	writeJSON(w, http.StatusOK, map[string]any{key: list, "next_cursor": encodeCursor(next)})
}

func encodeCursor(sk string) *string {
	if sk == "" {
		return nil
	}
	s := base64.RawURLEncoding.EncodeToString([]byte(sk))
	return &s
}

// checkQuery refuses unknown query parameters, so a typo is not silently ignored.
func checkQuery(r *http.Request, allowed ...string) error {
	// URL.Query drops what it cannot parse (a bad %-escape, a ';'),
	// which would silently ignore a parameter the caller meant.
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return badRequest("The query string is malformed.")
	}
	for k, v := range q {
		// Values become store keys and filters; DynamoDB refuses
		// strings that are not UTF-8, which would surface as a 500.
		utf := utf8.ValidString(k)
		for _, s := range v {
			utf = utf && utf8.ValidString(s)
		}
		if !utf {
			return badRequest("Query parameters must be UTF-8.")
		}
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return invalid(fmt.Sprintf("Unknown query parameter %q.", k))
		}
		if len(v) > 1 {
			return invalid(fmt.Sprintf("Query parameter %q is given more than once.", k))
		}
	}
	return nil
}
