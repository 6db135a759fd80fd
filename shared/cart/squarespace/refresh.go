package squarespace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// OAuth renews a connected site's access token, which Squarespace lets
// live 30 minutes, with the refresh token of the offline grant.
type OAuth struct {
	// TokenURL is the provider's token endpoint; empty means
	// ProviderBase's.
	TokenURL               string
	ClientID, ClientSecret string
	RefreshToken           string
	// Expiry is when the access token (Config.APIKey) expires.
	Expiry time.Time
	// Save stores renewed tokens before they are used: a refresh token
	// may be single-use, so one not saved would be lost.
	Save func(ctx context.Context, t cart.Credentials) error
	// Load reads the tokens Save stored last, by this client or another
	// of the same site (each run builds its own client). A refresh token
	// works once, so when Squarespace refuses it another client may have
	// used it first: then the stored tokens are adopted, and renewed once
	// if they are due too. Nil means a refusal is final.
	Load func(ctx context.Context) (cart.Credentials, error)
}

// renewMargin: renew this long before the access token expires.
const renewMargin = 2 * time.Minute

type oauthTokens struct {
	mu     sync.Mutex // held across a renewal: one at a time
	conf   OAuth
	access string
}

// bearer is the token for the next request, renewed first when it is
// about to expire.
func (c *Client) bearer(ctx context.Context) (string, error) {
	o := c.oauth
	if o == nil {
		return c.key, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.conf.RefreshToken == "" || o.conf.Expiry.IsZero() || c.clock.Now().Before(o.conf.Expiry.Add(-renewMargin)) {
		return o.access, nil
	}
	return c.renewLocked(ctx)
}

// renewLocked renews the access token and keeps the new tokens; o.mu is
// held.
func (c *Client) renewLocked(ctx context.Context) (string, error) {
	o := c.oauth
	creds, err := c.renew(ctx, o.conf)
	stored := false
	if err != nil && o.conf.Load != nil && errors.Is(err, cart.ErrAuth) {
		creds, stored, err = c.renewedElsewhere(ctx, err)
	}
	if err != nil {
		return "", err
	}
	// Tokens read back from the store are not saved again: that could put
	// them back over newer ones another client saved since.
	if o.conf.Save != nil && !stored {
		if err := o.conf.Save(context.WithoutCancel(ctx), creds); err != nil {
			return "", fmt.Errorf("squarespace: saving the renewed OAuth tokens: %w", err)
		}
	}
	o.access = creds["api_key"]
	if r := creds["refresh_token"]; r != "" {
		o.conf.RefreshToken = r
	}
	o.conf.Expiry, _ = time.Parse(time.RFC3339, creds["token_expiry"])
	return o.access, nil
}

// savedSettle is how long a client whose refused refresh token is still
// the stored one waits before reading the stored tokens once more.
const savedSettle = 2 * time.Second

// renewedElsewhere answers Squarespace refusing the client's refresh
// token: if the stored one is another, another client of the site renewed
// first, and its tokens are returned (stored) or, when due too, renewed
// once with its refresh token. A refused token that is still the stored
// one, also when read again savedSettle later, is the refusal, returned
// as it is. o.mu is held.
func (c *Client) renewedElsewhere(ctx context.Context, refused error) (creds cart.Credentials, stored bool, err error) {
	o := c.oauth
	saved, err := o.conf.Load(ctx)
	if err == nil && saved["refresh_token"] == o.conf.RefreshToken {
		// Runs that start together renew together, and the one
		// Squarespace answered may not have saved its tokens yet.
		if err = c.clock.Sleep(ctx, savedSettle); err == nil {
			saved, err = o.conf.Load(ctx)
		}
	}
	if err != nil {
		// Not the refusal: it may be no more than a lost race, and
		// reporting it would disconnect the site.
		return nil, false, fmt.Errorf("squarespace: the refresh token was refused, and the stored tokens could not be read to see whether another run renewed them: %w", err)
	}
	refresh := saved["refresh_token"]
	if refresh == o.conf.RefreshToken || !printable(refresh) {
		return nil, false, refused
	}
	expiry, _ := time.Parse(time.RFC3339, saved["token_expiry"])
	if printable(saved["api_key"]) && (expiry.IsZero() || c.clock.Now().Before(expiry.Add(-renewMargin))) {
		return cart.Credentials{"api_key": saved["api_key"], "refresh_token": refresh, "token_expiry": saved["token_expiry"]}, true, nil
	}
	conf := o.conf
	conf.RefreshToken = refresh
	creds, err = c.renew(ctx, conf)
	if err != nil {
		return nil, false, err
	}
	if creds["refresh_token"] == "" {
		creds["refresh_token"] = refresh // not rotated: keep the one that worked
	}
	return creds, false, nil
}

// renew sends the refresh_token grant. A refusal means the site must be
// connected again (cart.ErrAuth).
func (c *Client) renew(ctx context.Context, conf OAuth) (cart.Credentials, error) {
	u := conf.TokenURL
	if u == "" {
		u = ProviderBase + tokensPath
	}
	body, _ := json.Marshal(map[string]string{"grant_type": "refresh_token", "refresh_token": conf.RefreshToken})
	actx, cancel := context.WithTimeout(ctx, c.retry.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("squarespace: building the token request failed")
	}
	req.SetBasicAuth(conf.ClientID, conf.ClientSecret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, cart.TransportError(ctx, err, "Squarespace")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, cart.TransportError(ctx, err, "Squarespace")
	}
	switch s := resp.StatusCode; {
	case s == http.StatusOK:
		creds, ok := parseTokens(raw)
		if !ok {
			return nil, &cart.Error{Status: s, Temporary: true, Message: "Squarespace sent a token answer that could not be read"}
		}
		return creds, nil
	case s == http.StatusTooManyRequests || s >= 500:
		return nil, &cart.Error{Status: s, Temporary: true, Message: fmt.Sprintf("Squarespace could not renew the site's authorization for now (HTTP %d)", s)}
	default:
		e := &cart.Error{Status: s, Message: "Squarespace refused to renew the site's authorization; connect the site again", Err: cart.ErrAuth}
		if cart.GrantRevoked(raw) {
			e.Err = cart.ErrRevoked // the extension was uninstalled from the site
		}
		return nil, e
	}
}
