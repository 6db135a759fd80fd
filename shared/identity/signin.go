package identity

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// SignIn is where the Sync page sends a visitor who has no token: the user
// pool's hosted sign-in page, OAuth 2.0 authorization code grant with PKCE,
// back to the page itself. The zero SignIn means the deployment signs
// merchants in elsewhere (an existing issuer, an embedding frontend).
type SignIn struct {
	// DomainURL is the hosted page's origin,
	// https://PREFIX.auth.REGION.amazoncognito.com.
	DomainURL string
	// ClientID is the Sync page's app client (public, no secret).
	ClientID string
	// RedirectURL is the page's own URL, registered as the client's
	// callback and sign-out URL.
	RedirectURL string
}

// SignInScope is what the page asks for: the merchant scope (the trigger
// adds autosync/admin for support staff), and openid for the ID token.
const SignInScope = "openid email " + ScopeMerchant

// Environment variables template.yaml sets on the api function.
const (
	EnvDomainURL   = "AUTH_DOMAIN_URL"
	EnvClientID    = "AUTH_CLIENT_ID"
	EnvRedirectURL = "AUTH_REDIRECT_URL"
)

// SignInFromEnv reads the sign-in settings. All three unset is the zero
// SignIn; some but not all, or one that is not an https URL, is an error, so
// a half-configured deployment fails at start, not at a merchant's sign-in.
func SignInFromEnv(getenv func(string) string) (SignIn, error) {
	s := SignIn{DomainURL: getenv(EnvDomainURL), ClientID: getenv(EnvClientID), RedirectURL: getenv(EnvRedirectURL)}
	if s == (SignIn{}) {
		return s, nil
	}
	var missing []string
	for name, v := range map[string]string{EnvDomainURL: s.DomainURL, EnvClientID: s.ClientID, EnvRedirectURL: s.RedirectURL} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return SignIn{}, fmt.Errorf("sign-in settings: %s unset while the others are set", strings.Join(missing, ", "))
	}
	if err := httpsURL(s.DomainURL, true); err != nil {
		return SignIn{}, fmt.Errorf("sign-in settings: %s %w", EnvDomainURL, err)
	}
	if err := httpsURL(s.RedirectURL, false); err != nil {
		return SignIn{}, fmt.Errorf("sign-in settings: %s %w", EnvRedirectURL, err)
	}
	if strings.ContainsAny(s.ClientID, " \t\r\n&=?#/") {
		return SignIn{}, fmt.Errorf("sign-in settings: %s is not a client id", EnvClientID)
	}
	return s, nil
}

var errNotHTTPS = errors.New("is not an https URL")

// httpsURL checks an absolute https URL; originOnly also refuses a path,
// query or fragment (the hosted page's endpoints are appended to it).
func httpsURL(s string, originOnly bool) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
		return errNotHTTPS
	}
	if originOnly && (strings.TrimSuffix(u.Path, "/") != "" || u.RawQuery != "") {
		return errors.New("must be an origin (https://host), without a path")
	}
	return nil
}

// Enabled reports whether the deployment has a hosted sign-in page.
func (s SignIn) Enabled() bool { return s.ClientID != "" }

// Config is the page's view of SignIn: the endpoints of the hosted page
// (Cognito's OAuth 2.0 endpoints under the domain) and what to send them.
// Nothing in it is secret: a public client's id is in every sign-in URL.
type Config struct {
	AuthorizeURL string `json:"authorize_url"`
	TokenURL     string `json:"token_url"`
	LogoutURL    string `json:"logout_url"`
	ClientID     string `json:"client_id"`
	RedirectURI  string `json:"redirect_uri"`
	Scope        string `json:"scope"`
	// CodeChallengeMethod is PKCE's; the page keeps the verifier in
	// sessionStorage across the redirect.
	CodeChallengeMethod string `json:"code_challenge_method"`
}

// Config returns the page's settings, or nil when sign-in is elsewhere.
func (s SignIn) Config() *Config {
	if !s.Enabled() {
		return nil
	}
	base := strings.TrimSuffix(s.DomainURL, "/")
	return &Config{
		AuthorizeURL:        base + "/oauth2/authorize",
		TokenURL:            base + "/oauth2/token",
		LogoutURL:           base + "/logout",
		ClientID:            s.ClientID,
		RedirectURI:         s.RedirectURL,
		Scope:               SignInScope,
		CodeChallengeMethod: "S256",
	}
}

// AuthorizeURL is the hosted page's address for one sign-in: state guards
// the redirect back (CSRF), challenge is the PKCE S256 code challenge.
func (s SignIn) AuthorizeURL(state, challenge string) (string, error) {
	c := s.Config()
	if c == nil {
		return "", errors.New("no hosted sign-in page is configured")
	}
	if state == "" || challenge == "" {
		return "", errors.New("sign-in needs a state and a PKCE code challenge")
	}
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ClientID},
		"redirect_uri":          {c.RedirectURI},
		"scope":                 {c.Scope},
		"state":                 {state},
		"code_challenge":        {challenge},
		"code_challenge_method": {c.CodeChallengeMethod},
	}
	return c.AuthorizeURL + "?" + q.Encode(), nil
}

// ConfigRoute is where the api function serves ConfigHandler; template.yaml
// routes it past the JWT authorizer (the page asks before it has a token).
const ConfigRoute = "GET /v1/config"

// ConfigHandler answers GET /v1/config with {"sign_in": Config} or
// {"sign_in": null} when sign-in is elsewhere.
func ConfigHandler(s SignIn) http.Handler {
	body, err := json.Marshal(struct {
		SignIn *Config `json:"sign_in"`
	}{s.Config()})
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// A redeploy may change the client: never cached for long.
		w.Header().Set("Cache-Control", "no-cache")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			w.WriteHeader(http.StatusMethodNotAllowed)
			_, _ = w.Write([]byte(`{"error":{"code":"method_not_allowed","message":"Use GET."}}`))
			return
		}
		_, _ = w.Write(body)
	})
}
