package devserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/httpapi"
	"github.com/autosync/autosync/shared/input"
)

// devRoutes are make dev's local-only routes (never in the Lambda build).
func (s *Server) devRoutes(mux httpapi.Mux) {
	mux.HandleFunc("POST /dev/token", localOnly(s.postToken))
	mux.HandleFunc("POST /dev/channels/{channel_id}/orders", localOnly(s.postOrder))
	mux.HandleFunc("GET /dev/channels/{channel_id}/inventory", localOnly(s.getInventory))
	mux.HandleFunc("POST /dev/channels/{channel_id}/uninstall", localOnly(s.postUninstall))
}

// localOnly serves h only to a caller on this machine that addressed it by
// a loopback name. /dev/token mints any account's admin token: a server
// started with -addr 0.0.0.0 must not hand one to the network, and a web
// page the merchant visits must not get one by DNS rebinding (its
// requests come from this machine, but name the attacker's host).
func localOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) || !loopbackAddr(r.RemoteAddr) {
			writeErr(w, http.StatusForbidden, "local_only", "The /dev routes answer only requests from this machine to 127.0.0.1 or localhost.")
			return
		}
		h(w, r)
	}
}

// loopbackHost reports whether a Host header names this machine's loopback
// interface: localhost or a loopback IP, with or without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackAddr reports whether a remote address is on the loopback
// interface.
func loopbackAddr(addr string) bool {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h
	}
	ip := net.ParseIP(addr)
	return ip != nil && ip.IsLoopback()
}

// simFor authenticates the request and finds the simulator of the caller's
// channel: the same rules as the API's merchant routes (a merchant or
// support scope, the token's own account, a well-formed channel id).
func (s *Server) simFor(w http.ResponseWriter, r *http.Request) (Simulator, bool) {
	p, err := s.tokens.Authenticate(r)
	if err != nil {
		writeErr(w, http.StatusUnauthorized, "unauthenticated", "A valid bearer token is required.")
		return nil, false
	}
	if !p.Has(auth.ScopeMerchant) && !p.Has(auth.ScopeAdmin) {
		writeErr(w, http.StatusForbidden, "forbidden", "This route needs the "+auth.ScopeMerchant+" scope.")
		return nil, false
	}
	chID := r.PathValue("channel_id")
	if !input.ID("ch", chID) {
		writeErr(w, http.StatusNotFound, "not_found", "Channel not found.")
		return nil, false
	}
	ch, err := s.App.Channels.Get(r.Context(), p.AccountID, chID)
	if errors.Is(err, channels.ErrNotFound) {
		writeErr(w, http.StatusNotFound, "not_found", "Channel not found.")
		return nil, false
	} else if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "Could not load the channel.")
		return nil, false
	}
	sim, ok := s.sims.forChannel(ch)
	if !ok {
		writeErr(w, http.StatusNotFound, "not_found", "This channel has no simulator (only -demo channels do).")
		return nil, false
	}
	return sim, true
}

func (s *Server) getInventory(w http.ResponseWriter, r *http.Request) {
	sim, ok := s.simFor(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"quantities": sim.Quantities()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// readJSON decodes a JSON body with the API's strict rules; an empty body
// is accepted when optional.
func readJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	if optional && r.ContentLength == 0 {
		return true
	}
	err := httpapi.Decode(w, r, v)
	var apiErr *httpapi.Error
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &apiErr):
		writeErr(w, apiErr.Status, apiErr.Code, apiErr.Message)
	case errors.As(err, &mbe):
		writeErr(w, http.StatusRequestEntityTooLarge, "too_large", "The request body is too large.")
	default:
		writeErr(w, http.StatusBadRequest, "malformed", "The request body could not be read.")
	}
	return false
}

func (s *Server) postToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AccountID string `json:"account_id"`
		Scope     string `json:"scope"`
	}
	if !readJSON(w, r, &req, false) {
		return
	}
	// Taken as sent: a token for " demo " must not act as demo, and the
	// API refuses such tokens anyway.
	if err := input.Account(req.AccountID); err != nil {
		writeErr(w, http.StatusUnprocessableEntity, "invalid", fmt.Sprintf("account_id %s (1 to %d bytes, no control characters or outer spaces).", err, input.MaxAccount))
		return
	}
	if req.Scope == "" {
		req.Scope = auth.ScopeMerchant
	}
	for _, sc := range strings.Fields(req.Scope) {
		if sc != auth.ScopeMerchant && sc != auth.ScopeAdmin {
			writeErr(w, http.StatusUnprocessableEntity, "invalid", fmt.Sprintf("Unknown scope %q; use %s and/or %s.", sc, auth.ScopeMerchant, auth.ScopeAdmin))
			return
		}
	}
	tok, err := s.tokens.Issue(req.AccountID, req.Scope, 24*time.Hour)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "Could not issue a token.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

func (s *Server) postOrder(w http.ResponseWriter, r *http.Request) {
	sim, ok := s.simFor(w, r)
	if !ok {
		return
	}
	var req struct {
		Lines []cart.Line `json:"lines"`
	}
	if !readJSON(w, r, &req, true) {
		return
	}
	if len(req.Lines) > 100 {
		writeErr(w, http.StatusUnprocessableEntity, "invalid", "At most 100 lines.")
		return
	}
	for i, l := range req.Lines {
		if strings.TrimSpace(l.SKU) == "" || len(l.SKU) > 100 || l.Quantity < 1 || l.Quantity > 10000 {
			writeErr(w, http.StatusUnprocessableEntity, "invalid", fmt.Sprintf("Line %d needs a sku and a quantity from 1 to 10000.", i))
			return
		}
	}
	if len(req.Lines) == 0 {
		req.Lines = []cart.Line{{SKU: DemoSKUs[0], Quantity: 1}}
	}
	id := sim.CreateOrder(req.Lines)
	if id == "" {
		// The cart would not sell it (an Etsy listing that is inactive).
		writeErr(w, http.StatusConflict, "refused", "The cart refused the order: a line's listing is not for sale.")
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"external_id": id})
}
