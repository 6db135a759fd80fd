package amazonsim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/simulator"
)

// DefaultApplicationID is the SP-API application the simulated Seller
// Central knows when Options names none.
const DefaultApplicationID = "amzn1.sp.solution.simulator-application"

// codeTTL: Amazon's spapi_oauth_code expires five minutes after issue.
const codeTTL = 5 * time.Minute

func (s *Server) appID() string {
	if s.opts.ApplicationID != "" {
		return s.opts.ApplicationID
	}
	return DefaultApplicationID
}

func (s *Server) consentParams(q url.Values) (map[string]string, string) {
	p := map[string]string{}
	for _, k := range []string{"application_id", "state", "redirect_uri", "version"} {
		p[k] = q.Get(k)
	}
	switch {
	case !same(p["application_id"], s.appID()):
		return nil, "The application_id is not an SP-API application's."
	case p["state"] == "":
		return nil, "state is required."
	}
	if !simulator.WebURL(p["redirect_uri"]) {
		return nil, "The redirect_uri is not one of the application's."
	}
	return p, ""
}

// consentRoutes is Seller Central's side of the website authorization
// workflow: the consent page and the seller confirming.
func (s *Server) consentRoutes() {
	s.mux.HandleFunc("GET /apps/authorize/consent", func(w http.ResponseWriter, r *http.Request) {
		simulator.ServeConsent(w, r, s.consentParams, func(p map[string]string) simulator.Consent {
			return simulator.Consent{Title: "Authorize application", Heading: "Allow an application to access your Amazon selling account?",
				Detail: "Selling partner " + s.opts.SellerID, Action: "/apps/authorize/consent", Hidden: p, Button: "Confirm"}
		})
	})
	s.mux.HandleFunc("POST /apps/authorize/consent", func(w http.ResponseWriter, r *http.Request) {
		p, ok := simulator.Consented(w, r, s.consentParams)
		if !ok {
			return
		}
		s.mu.Lock()
		code := "ANxx" + strconv.FormatUint(s.rnd.Uint64(), 36) + strconv.FormatUint(s.rnd.Uint64(), 36)
		if s.codes == nil {
			s.codes = map[string]time.Time{}
		}
		s.codes[code] = s.now().Add(codeTTL)
		s.mu.Unlock()
		simulator.SendBack(w, r, p["redirect_uri"], url.Values{"state": {p["state"]}, "selling_partner_id": {s.opts.SellerID}, "spapi_oauth_code": {code}})
	})
}

// codeGrant is LWA's authorization_code grant: a spapi_oauth_code once,
// for the seller's refresh token (a new one, which the seller's earlier
// authorization no longer has).
func (s *Server) codeGrant(w http.ResponseWriter, f url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := f.Get("code")
	exp, ok := s.codes[code]
	delete(s.codes, code)
	if !ok || !s.now().Before(exp) {
		lwaError(w, http.StatusBadRequest, "invalid_grant", "The request has an invalid grant parameter : code")
		return
	}
	s.refresh = "Atzr|" + strings.ReplaceAll(s.uuid(), "-", "")
	now := s.now()
	tok := "Atza|" + strings.ReplaceAll(s.uuid(), "-", "") + strconv.FormatUint(s.rnd.Uint64(), 36)
	s.access[tok] = now.Add(s.opts.AccessTokenTTL)
	s.stats.TokensIssued++
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  tok,
		"refresh_token": s.refresh,
		"token_type":    "bearer",
		"expires_in":    int(s.opts.AccessTokenTTL.Seconds()),
	})
}
