package etsy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

// Tokens are the shop owner's OAuth 2.0 tokens as a refresh left them,
// handed to Config.OnTokens to be saved in place of the old ones.
type Tokens struct {
	// Access is the new access token ("12345678.abc...").
	Access string
	// Refresh is the refresh token to use next time: Etsy's new one when
	// it rotated it, otherwise the one that was used.
	Refresh string
	// Expiry is when Access expires; zero when Etsy did not say.
	Expiry time.Time
}

// String leaves the tokens out, in case Tokens are ever printed.
func (t Tokens) String() string {
	if t.Expiry.IsZero() {
		return "etsy.Tokens{Expiry: unknown}"
	}
	return "etsy.Tokens{Expiry: " + t.Expiry.UTC().Format(time.RFC3339) + "}"
}

// GoString keeps %#v from printing the tokens too.
func (t Tokens) GoString() string { return t.String() }

// refreshMargin is how long before the access token expires the client
// renews it, so a request never carries a token that expires on the way
// and a long import does not run into the expiry at all.
const refreshMargin = 5 * time.Minute

// maxTokenResponse bounds a token answer (a few hundred bytes).
const maxTokenResponse = 64 << 10

// maxTokenLifetime bounds an expires_in, so an absurd one cannot overflow;
// Etsy's refresh tokens last 90 days, its access tokens an hour.
const maxTokenLifetime = 90 * 24 * time.Hour

// Etsy's behaviour around refresh that no document states, assumed here
// and nowhere else:
//
//   - A refresh may rotate the refresh token (Etsy does today, answering
//     a new one every time, etsy/open-api#353), and the old one may stop
//     working at once. So the pair is saved through Config.OnTokens before
//     the new access token is used, and an answer without refresh_token
//     keeps the old one.
//   - An expired or revoked access token is answered 401 with
//     {"error":"invalid_token","error_description":"access token is
//     expired"} (etsy/open-api#519). The client renews on any 401 that does
//     not blame the API key (Etsy's key errors all name it: "Missing API
//     key", "Invalid API key", "Shared secret is required"), so a change of
//     wording still leads to one refresh and one retry, never more.
//   - A revoked or expired refresh token is answered 400
//     {"error":"invalid_grant","error_description":"refresh_token is
//     revoked"} (#519, #549); any other refusal of the refresh (4xx but
//     429) is taken as the same: no new access token can be had, the shop
//     owner must connect the shop again (cart.ErrAuth).
//   - The token endpoint sometimes answers 500 and works on a retry
//     (#549): 5xx, 429 and dropped connections are retried as the API's
//     are. It is not paced: it is not documented to count against the
//     API's rate limits, and one refresh an hour would not matter.
//   - x-api-key ("keystring:shared_secret") is sent to it as to the API;
//     the form's client_id is what OAuth uses, the header is harmless if
//     Etsy ignores it and needed if Etsy enforces it on every /v3 path.
//   - The expires_in of an access token is seconds (3600 today); absent,
//     the expiry is unknown and only a 401 leads to a refresh.

// tokenState is the client's OAuth tokens. mu guards the fields and is
// never held across a request; lock admits one refresh at a time (a
// channel, so that waiting for it honours the caller's context).
type tokenState struct {
	mu      sync.Mutex
	access  string
	refresh string    // "" when the client cannot refresh
	expiry  time.Time // of access; zero = unknown
	renewAt time.Time // refresh proactively from then on; zero = never
	gen     uint64    // counts refreshes, to tell a stale token from the current one
	unsaved bool      // OnTokens has not yet accepted the current tokens

	lock chan struct{}
}

func (s *tokenState) init(access, refresh string, expiry time.Time) {
	s.access, s.refresh, s.expiry = access, refresh, expiry
	if refresh != "" && !expiry.IsZero() {
		s.renewAt = expiry.Add(-refreshMargin)
	}
	s.lock = make(chan struct{}, 1)
}

// expiring reports whether the access token is missing or about to
// expire. s.mu must be held.
func (s *tokenState) expiring(now time.Time) bool {
	return s.access == "" || (!s.renewAt.IsZero() && !now.Before(s.renewAt))
}

// due reports whether the current tokens must be renewed or saved before
// use. s.mu must be held.
func (s *tokenState) due(now time.Time) bool {
	return s.refresh != "" && (s.unsaved || s.expiring(now))
}

// canRefresh reports whether the client holds a refresh token.
func (c *Client) canRefresh() bool {
	c.tok.mu.Lock()
	defer c.tok.mu.Unlock()
	return c.tok.refresh != ""
}

// credential returns the access token for the next request and its
// generation, renewing it first when it is about to expire.
func (c *Client) credential(ctx context.Context) (string, uint64, error) {
	c.tok.mu.Lock()
	access, gen, due := c.tok.access, c.tok.gen, c.tok.due(c.now())
	c.tok.mu.Unlock()
	if !due {
		return access, gen, nil
	}
	return c.renew(ctx, gen, false)
}

// renew refreshes the tokens, unless another request did since generation
// stale was current: then it returns the tokens that request got. refused
// says Etsy refused generation stale's access token, which is renewed even
// if not yet due. New tokens are saved through OnTokens before they are
// returned; tokens a failed OnTokens left unsaved are offered to it again
// by the next call, and none is used until it accepts them.
func (c *Client) renew(ctx context.Context, stale uint64, refused bool) (string, uint64, error) {
	select {
	case c.tok.lock <- struct{}{}:
	case <-ctx.Done():
		return "", 0, ctx.Err()
	}
	defer func() { <-c.tok.lock }()

	c.tok.mu.Lock()
	refresh, gen := c.tok.refresh, c.tok.gen
	// Unsaved tokens are fresh: they only need saving.
	fetch := gen == stale && !c.tok.unsaved && (refused || c.tok.expiring(c.now()))
	c.tok.mu.Unlock()

	if fetch {
		t, renewAt, saved, err := c.obtain(ctx, refresh)
		if err != nil {
			return "", 0, err
		}
		c.tok.mu.Lock()
		c.tok.access, c.tok.refresh, c.tok.expiry, c.tok.renewAt = t.Access, t.Refresh, t.Expiry, renewAt
		c.tok.gen++
		// Tokens read back from the store are not saved again: that could
		// put them back over newer ones another client saved since.
		c.tok.unsaved = c.onTokens != nil && !saved
		c.tok.mu.Unlock()
	}

	c.tok.mu.Lock()
	t := Tokens{Access: c.tok.access, Refresh: c.tok.refresh, Expiry: c.tok.expiry}
	gen, unsaved := c.tok.gen, c.tok.unsaved
	c.tok.mu.Unlock()
	if unsaved {
		if err := c.onTokens(ctx, t); err != nil {
			// Not a *cart.Error: the failure is ours, not Etsy's.
			return "", 0, fmt.Errorf("etsy: saving the renewed OAuth tokens: %w", err)
		}
		c.tok.mu.Lock()
		if c.tok.gen == gen {
			c.tok.unsaved = false
		}
		c.tok.mu.Unlock()
	}
	return t.Access, gen, nil
}

// obtain refreshes with refresh and returns the new tokens and when to
// renew them (zero: only when Etsy refuses the access token). A refresh
// retires the refresh token it used, and each run of a channel builds its
// own client from the saved tokens, so a refusal may only mean that
// another run renewed first. With LoadTokens the saved tokens tell: if
// they hold another refresh token, they are that run's, and are adopted
// (saved is true) or, when due too, renewed once with it. A refused token
// that is still the saved one, also when read again a moment later
// (savedTokens), is a refusal of the grant, returned as such.
func (c *Client) obtain(ctx context.Context, refresh string) (t Tokens, renewAt time.Time, saved bool, err error) {
	t, lifetime, err := c.fetchTokensRetrying(ctx, refresh)
	if err != nil && c.loadTokens != nil && errors.Is(err, cart.ErrAuth) {
		stored, lerr := c.savedTokens(ctx, refresh)
		if lerr != nil {
			// Not the refusal: it may be no more than a lost race, and
			// reporting it would disconnect the channel.
			return Tokens{}, time.Time{}, false, fmt.Errorf("etsy: the refresh token was refused, and the saved tokens could not be read to see whether another run renewed them: %w", lerr)
		}
		if stored.Refresh == refresh || !credentialRE.MatchString(stored.Refresh) {
			return Tokens{}, time.Time{}, false, err
		}
		if credentialRE.MatchString(stored.Access) {
			if stored.Expiry.IsZero() {
				return stored, time.Time{}, true, nil
			}
			if at := stored.Expiry.Add(-refreshMargin); c.now().Before(at) {
				return stored, at, true, nil
			}
		}
		t, lifetime, err = c.fetchTokensRetrying(ctx, stored.Refresh)
	}
	if err != nil {
		return Tokens{}, time.Time{}, false, err
	}
	if lifetime > 0 {
		renewAt = t.Expiry.Add(-min(refreshMargin, lifetime/2))
	}
	return t, renewAt, false, nil
}

// savedSettle is how long a client whose refused refresh token is still
// the saved one waits before reading the saved tokens once more: runs
// that start together renew together, and the one Etsy answered may not
// have saved its tokens when the other's refusal comes back.
const savedSettle = 2 * time.Second

// savedTokens reads the saved tokens; if they still hold refused, it
// reads them again after savedSettle.
func (c *Client) savedTokens(ctx context.Context, refused string) (Tokens, error) {
	t, err := c.loadTokens(ctx)
	if err != nil || t.Refresh != refused {
		return t, err
	}
	if err := c.sleep(ctx, savedSettle); err != nil {
		return Tokens{}, err
	}
	return c.loadTokens(ctx)
}

// fetchTokensRetrying refreshes (cart.Do), retrying temporary failures
// with the client's backoff.
func (c *Client) fetchTokensRetrying(ctx context.Context, refresh string) (Tokens, time.Duration, error) {
	type answer struct {
		t        Tokens
		lifetime time.Duration
	}
	l := &cart.Loop{Cart: "Etsy's token endpoint", Client: c.hc, Retry: c.retry.Retry, MaxResponse: maxTokenResponse, Now: c.now}
	a, err := cart.Do(ctx, l, cart.Call[answer]{
		Build: func(ctx context.Context, _ cart.Attempt) (*http.Request, error) {
			return c.tokenRequest(ctx, refresh)
		},
		Classify: func(r *cart.Response) (answer, error) {
			t, lifetime, err := c.tokenAnswer(r, refresh)
			return answer{t, lifetime}, err
		},
	})
	return a.t, a.lifetime, err
}

// tokenRequest is one refresh_token grant.
func (c *Client) tokenRequest(ctx context.Context, refresh string) (*http.Request, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {c.clientID},
		"refresh_token": {refresh},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, errors.New("etsy: building the token request failed")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "autosync")
	req.Header.Set("x-api-key", c.apiKey)
	return req, nil
}

// tokenAnswer reads the answer to a refresh_token grant. A refusal is a
// *cart.Error wrapping cart.ErrAuth; 5xx, 429 and an unreadable answer are
// *cart.Temporary. lifetime is the access token's, 0 when unknown.
func (c *Client) tokenAnswer(resp *cart.Response, refresh string) (Tokens, time.Duration, error) {
	s, raw := resp.Status, resp.Body
	// Whatever Etsy says, it must not carry a token into an error.
	reason := func(prefix string) string {
		m := errorMessage(raw)
		for _, secret := range []string{refresh, c.clientID} {
			if secret != "" {
				m = strings.ReplaceAll(m, secret, "…")
			}
		}
		return cart.Reason(prefix, m)
	}
	switch {
	case s == http.StatusOK:
		t, lifetime, ok := parseTokens(raw, resp.Received)
		if !ok {
			return Tokens{}, 0, &cart.Temporary{Status: s, Message: "Etsy sent a token answer that could not be read"}
		}
		if t.Refresh == "" {
			t.Refresh = refresh // not rotated
		}
		return t, lifetime, nil
	case s == http.StatusTooManyRequests || s >= 500:
		return Tokens{}, 0, &cart.Temporary{Status: s, Message: reason(fmt.Sprintf("Etsy could not renew the shop's authorization for now (HTTP %d)", s))}
	case s >= 400:
		e := &cart.Error{Status: s, Message: reason("Etsy refused to renew the shop's authorization; connect the shop again"), Err: cart.ErrAuth}
		if cart.GrantRevoked(raw) {
			e.Err = cart.ErrRevoked // the app was removed from the shop
		}
		return Tokens{}, 0, e
	}
	return Tokens{}, 0, &cart.Error{Status: s, Message: fmt.Sprintf("Etsy answered the token request with HTTP %d", s)}
}

// parseTokens reads a token answer; ok is false unless it holds a usable
// bearer access token.
func parseTokens(raw []byte, now time.Time) (t Tokens, lifetime time.Duration, ok bool) {
	var r struct {
		AccessToken  string  `json:"access_token"`
		TokenType    string  `json:"token_type"`
		ExpiresIn    float64 `json:"expires_in"`
		RefreshToken string  `json:"refresh_token"`
	}
	if json.Unmarshal(raw, &r) != nil || !credentialRE.MatchString(r.AccessToken) ||
		(r.RefreshToken != "" && !credentialRE.MatchString(r.RefreshToken)) ||
		(r.TokenType != "" && !strings.EqualFold(r.TokenType, "bearer")) {
		return Tokens{}, 0, false
	}
	t = Tokens{Access: r.AccessToken, Refresh: r.RefreshToken}
	if r.ExpiresIn >= 1 && !math.IsInf(r.ExpiresIn, 0) {
		lifetime = time.Duration(math.Min(r.ExpiresIn, maxTokenLifetime.Seconds())) * time.Second
		t.Expiry = now.Add(lifetime)
	}
	return t, lifetime, true
}

// tokenRefused is a 401 that blames the access token rather than the API
// key: the client may renew the token and try once more.
type tokenRefused struct{ err *cart.Error }

func (t *tokenRefused) Error() string { return t.err.Error() }
func (t *tokenRefused) Unwrap() error { return t.err }

// blamesKey reports whether an error message is about the API key rather
// than the OAuth token.
func blamesKey(msg string) bool {
	m := strings.ToLower(msg)
	for _, k := range []string{"api key", "api_key", "x-api-key", "shared secret", "keystring"} {
		if strings.Contains(m, k) {
			return true
		}
	}
	return false
}
