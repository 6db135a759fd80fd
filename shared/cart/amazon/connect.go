package amazon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/amazon/region"
	"github.com/autosync/autosync/shared/pattern"
)

// connect is the SP-API website authorization workflow: the seller
// consents in the Seller Central of the marketplace they sell in, which
// sends the browser back with spapi_oauth_code, selling_partner_id and our
// state; the code is exchanged with Login with Amazon for the seller's
// refresh token.
var connect = &cart.Connect{
	Fields: []cart.Field{{
		Name: "marketplace_id", Label: "Marketplace (its id, like ATVPDKIKX0DER, or country code, like US)",
		Check: func(v string) (string, string) {
			m, ok := region.FindMarketplace(strings.TrimSpace(v))
			if !ok {
				return "", "Choose an Amazon marketplace, by its id (ATVPDKIKX0DER) or country code (US, UK, DE, JP)."
			}
			return m.ID, ""
		},
	}},
	AuthorizeURL: authorizeURL,
	State:        func(cb cart.Callback) string { return cb.Query.Get("state") },
	Exchange:     exchangeCode,
	// A seller's channels are the seller's, whichever marketplace.
	StoreKey: "seller_id",
	// Amazon grants to the application registered in the Solution
	// Provider Portal: its application id and LWA client credentials.
	AppCredentials: true,
}

// consentPath is Seller Central's consent page for an application.
const consentPath = "/apps/authorize/consent"

func authorizeURL(req cart.ConnectRequest) (string, error) {
	m, ok := region.Lookup(req.Fields["marketplace_id"])
	if !ok || req.State == "" {
		return "", fmt.Errorf("amazon authorize URL for marketplace %q", req.Fields["marketplace_id"])
	}
	appID := req.App.AppID
	if appID == "" {
		return "", fmt.Errorf("amazon authorize URL needs the SP-API application id")
	}
	base := req.App.Base(m.SellerCentral())
	q := url.Values{
		"application_id": {appID},
		"state":          {req.State},
		"redirect_uri":   {req.CallbackURL},
		// Draft applications are authorized with version=beta; it is
		// harmless once the application is published.
		"version": {"beta"},
	}
	return base + consentPath + "?" + q.Encode(), nil
}

// sellerID is a selling partner id (merchant token): A and upper-case
// letters and digits.
var sellerID = pattern.New(`^[A-Z0-9]{6,32}$`)

// CallbackValues reads the callback's query: the authorization code and
// the seller, each checked for shape.
func CallbackValues(q url.Values) (code, seller string, err error) {
	code, seller = q.Get("spapi_oauth_code"), q.Get("selling_partner_id")
	if len(q["spapi_oauth_code"]) != 1 || code == "" || len(code) > 512 || strings.ContainsAny(code, " \t\r\n") {
		return "", "", fmt.Errorf("amazon callback without an authorization code: %w", cart.ErrCallback)
	}
	if len(q["selling_partner_id"]) != 1 || !sellerID.MatchString(seller) {
		return "", "", fmt.Errorf("amazon callback without a selling partner id: %w", cart.ErrCallback)
	}
	return code, seller, nil
}

func lwaEndpoint(app cart.App) string {
	if app.APIBase != "" {
		return strings.TrimRight(app.APIBase, "/") + "/auth/o2/token"
	}
	return DefaultLWAEndpoint
}

func exchangeCode(ctx context.Context, cb cart.Callback, req cart.ConnectRequest, client *http.Client) (cart.Config, cart.Credentials, error) {
	code, seller, err := CallbackValues(cb.Query)
	if err != nil {
		return nil, nil, err
	}
	m, ok := region.Lookup(req.Fields["marketplace_id"])
	if !ok {
		return nil, nil, fmt.Errorf("amazon marketplace %q: %w", req.Fields["marketplace_id"], cart.ErrCallback)
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"client_id":     {req.App.ClientID},
		"client_secret": {req.App.ClientSecret},
	}
	// A used or expired code is invalid_grant (400).
	raw, err := cart.PostCode(ctx, client, "Amazon", lwaEndpoint(req.App), "application/x-www-form-urlencoded;charset=UTF-8", []byte(form.Encode()), nil)
	if err != nil {
		return nil, nil, err
	}
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	// Amazon's refresh tokens begin "Atzr|"; only their shape as a form
	// value is relied on.
	if json.Unmarshal(raw, &tok) != nil || tok.RefreshToken == "" || len(tok.RefreshToken) > 2048 || strings.ContainsFunc(tok.RefreshToken, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return nil, nil, fmt.Errorf("login with amazon answered without a refresh token: %w", cart.ErrCallback)
	}
	return cart.Config{"seller_id": seller, "marketplace_id": m.ID, "region": string(m.Region)},
		cart.Credentials{"client_id": req.App.ClientID, "client_secret": req.App.ClientSecret, "refresh_token": tok.RefreshToken}, nil
}
