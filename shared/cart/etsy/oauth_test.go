package etsy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carttest"
	"github.com/autosync/autosync/shared/clock"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
	"github.com/autosync/autosync/shared/testkit"
)

const refreshToken = "12345678.test_refresh_token"

// saver is an OnTokens that records what it is given and fails while
// fail is set.
type saver struct {
	mu   sync.Mutex
	got  []Tokens
	fail error
	hook func() // runs after a successful save
}

func (s *saver) save(_ context.Context, t Tokens) error {
	s.mu.Lock()
	s.got = append(s.got, t)
	err, hook := s.fail, s.hook
	s.mu.Unlock()
	if err == nil && hook != nil {
		hook()
	}
	return err
}

func (s *saver) saved() []Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// oauthSim serves a simulator on clk whose access token token expires
// an hour from now, and a client holding it and refreshToken, saving to
// sv. cfg adds to the client's config.
func oauthSim(t *testing.T, clk *clock.Fake, sv *saver, cfg Config) (*etsysim.Server, *Client) {
	t.Helper()
	sim := newOAuthSim(clk)
	return sim, oauthClient(t, serve(t, sim), clk, sv, cfg)
}

func newOAuthSim(clk *clock.Fake) *etsysim.Server {
	return etsysim.New(etsysim.Options{APIKey: apiKey, SharedSecret: secret, Token: token, RefreshToken: refreshToken,
		ShopID: shopID, QPS: roomyQPS, QPD: roomyQPD, Now: clk.Now})
}

// oauthClient is a client of the simulator at url, on clk.
func oauthClient(t *testing.T, url string, clk *clock.Fake, sv *saver, cfg Config) *Client {
	t.Helper()
	cfg.APIKey, cfg.SharedSecret = apiKey, secret
	if cfg.Token == "" {
		cfg.Token = token
	}
	if cfg.RefreshToken == "" {
		cfg.RefreshToken = refreshToken
	}
	if sv != nil {
		cfg.OnTokens = sv.save
	}
	c := newClient(t, url, cfg)
	c.now = clk.Now
	return c
}

func startClock() *clock.Fake { return clock.NewFake(time.Now().UTC().Truncate(time.Second)) }

// TestRefreshAcrossLongImport pages through an import that takes longer
// than the access token lives: the client renews it once, before it
// expires, saves the rotated pair, and uses the rotated refresh token for
// the next renewal.
func TestRefreshAcrossLongImport(t *testing.T) {
	clk := startClock()
	start := clk.Now()
	sv := &saver{}
	sim, c := oauthSim(t, clk, sv, Config{TokenExpiry: start.Add(time.Hour)})
	sim.Seed(4000, 11)
	q := everything()
	var got []string
	var refreshedAt time.Time
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		p, err := c.Orders(t.Context(), q)
		if err != nil {
			t.Fatalf("page %d at +%s: %v", pages, clk.Now().Sub(start), err)
		}
		if refreshedAt.IsZero() && sim.Stats().TokenRefreshes == 1 {
			refreshedAt = clk.Now()
		}
		got = append(got, carttest.IDs(p.Orders)...)
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
		clk.Add(5 * time.Minute) // a slow import: 5 minutes a page
	}
	if clk.Now().Sub(start) < 75*time.Minute {
		t.Fatalf("the import took %s; the test needs it to outlast the token", clk.Now().Sub(start))
	}
	if !slices.Equal(sorted(got), sorted(sim.Importable())) {
		t.Errorf("imported %d receipts; want %d", len(got), len(sim.Importable()))
	}
	st := sim.Stats()
	if st.TokenRefreshes != 1 || st.Unauthorized != 0 {
		t.Fatalf("%d refreshes, %d refused requests; want one refresh ahead of the expiry", st.TokenRefreshes, st.Unauthorized)
	}
	// Renewed within five minutes of the expiry, not earlier.
	if at := refreshedAt.Sub(start); at < 55*time.Minute || at >= time.Hour {
		t.Errorf("renewed at +%s; want within 5 minutes before the hour", at)
	}
	saved := sv.saved()
	want := Tokens{Access: sim.AccessToken(), Refresh: sim.RefreshToken(), Expiry: refreshedAt.Add(time.Hour)}
	if len(saved) != 1 || saved[0] != want {
		t.Fatalf("OnTokens got %v; want once %v", saved, want)
	}
	if saved[0].Refresh == refreshToken || saved[0].Access == token {
		t.Error("OnTokens got the old tokens")
	}

	// An hour on, the next renewal uses the rotated refresh token (the
	// first one no longer works).
	clk.Add(time.Hour)
	if _, err := c.Orders(t.Context(), cart.OrderQuery{}); err != nil {
		t.Fatal(err)
	}
	saved = sv.saved()
	if len(saved) != 2 || saved[1].Refresh == saved[0].Refresh || saved[1].Refresh != sim.RefreshToken() || sim.Stats().TokenRefreshes != 2 {
		t.Errorf("second renewal: saved %d pairs, simulator refreshed %d times", len(saved), sim.Stats().TokenRefreshes)
	}
}

// TestRefreshOn401 expires the access token mid-run, sooner than the
// client expected: the next request is refused, the client renews and
// sends it again, once.
func TestRefreshOn401(t *testing.T) {
	clk := startClock()
	sv := &saver{}
	sim, c := oauthSim(t, clk, sv, Config{}) // expiry unknown: only a 401 renews
	sim.Seed(1000, 12)
	q := everything()
	var got []string
	for pages := 0; ; pages++ {
		if pages == 2 {
			sim.ExpireAccessTokens()
		}
		p, err := c.Orders(t.Context(), q)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		got = append(got, carttest.IDs(p.Orders)...)
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if !slices.Equal(sorted(got), sorted(sim.Importable())) {
		t.Errorf("imported %d receipts; want %d", len(got), len(sim.Importable()))
	}
	st := sim.Stats()
	if st.TokenRefreshes != 1 || st.Unauthorized != 1 {
		t.Errorf("%d refreshes, %d refused requests; want 1 and 1", st.TokenRefreshes, st.Unauthorized)
	}
	if saved := sv.saved(); len(saved) != 1 || saved[0].Access != sim.AccessToken() || saved[0].Refresh != sim.RefreshToken() ||
		!saved[0].Expiry.Equal(clk.Now().Add(time.Hour)) {
		t.Errorf("OnTokens got %v", saved)
	}

	// A token refused again right after the renewal is not renewed again.
	sv.hook = sim.ExpireAccessTokens
	sim.ExpireAccessTokens()
	before := sim.Stats()
	_, err := c.Orders(t.Context(), cart.OrderQuery{})
	if !errors.Is(err, cart.ErrAuth) {
		t.Fatalf("err = %v; want cart.ErrAuth", err)
	}
	after := sim.Stats()
	if n := after.TokenRefreshes - before.TokenRefreshes; n != 1 {
		t.Errorf("%d refreshes for one request; want 1", n)
	}
	if n := after.Unauthorized - before.Unauthorized; n != 2 {
		t.Errorf("%d refused requests; want the request and its one retry", n)
	}
}

// TestRefreshRevoked: a revoked refresh token is cart.ErrAuth, whether
// the renewal was due or forced by a 401, and no token shows in the error.
func TestRefreshRevoked(t *testing.T) {
	for _, proactive := range []bool{false, true} {
		t.Run(fmt.Sprint("proactive=", proactive), func(t *testing.T) {
			clk := startClock()
			sv := &saver{}
			cfg := Config{}
			if proactive {
				cfg.TokenExpiry = clk.Now().Add(4 * time.Minute) // due now
			}
			sim, c := oauthSim(t, clk, sv, cfg)
			sim.RevokeRefreshTokens()
			if !proactive {
				sim.ExpireAccessTokens()
			}
			checks := map[string]func() error{
				"orders": func() error { _, err := c.Orders(t.Context(), everything()); return err },
				"listings": func() error {
					_, err := c.Listings(t.Context(), cart.ListingQuery{})
					return err
				},
				"stock": func() error {
					_, err := c.SetStock(t.Context(), []cart.StockUpdate{{SKU: "SKU-0001", Link: cart.Link{ProductID: "4300000002"}, Quantity: 3}})
					return err
				},
			}
			for what, f := range checks {
				err := f()
				var ce *cart.Error
				if !errors.Is(err, cart.ErrRevoked) || !errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || ce.Status != 400 || !strings.Contains(ce.Message, "refresh_token is revoked") {
					t.Errorf("%s: %v; want cart.ErrRevoked (and ErrAuth) from the refused refresh", what, err)
				}
				for _, s := range []string{refreshToken, token, secret} {
					if err != nil && strings.Contains(err.Error(), s) {
						t.Errorf("%s: the error shows a secret: %v", what, err)
					}
				}
			}
			st := sim.Stats()
			if st.TokenRefused != 3 || len(sv.saved()) != 0 {
				t.Errorf("%d refused refreshes, %d saves; want 3 and 0", st.TokenRefused, len(sv.saved()))
			}
			if proactive && st.Requests != st.TokenRefused {
				t.Errorf("%d API requests sent with a token due for renewal", st.Requests-st.TokenRefused)
			}
		})
	}
}

// TestOnTokensFailure: tokens that could not be saved are not used; the
// next call offers the same tokens again, without another refresh.
func TestOnTokensFailure(t *testing.T) {
	clk := startClock()
	errSave := errors.New("the store is down")
	sv := &saver{fail: errSave}
	sim, c := oauthSim(t, clk, sv, Config{TokenExpiry: clk.Now().Add(time.Minute)})
	sim.Seed(20, 13)
	_, err := c.Orders(t.Context(), everything())
	if !errors.Is(err, errSave) || errors.Is(err, cart.ErrAuth) {
		t.Fatalf("err = %v; want the save's error", err)
	}
	var ce *cart.Error
	if errors.As(err, &ce) {
		t.Errorf("a failed save is reported as Etsy's failure: %v", err)
	}
	if n := sim.Stats().ByEndpoint["GET /shops/{shop_id}/receipts"]; n != 0 {
		t.Errorf("%d requests sent after the save failed", n)
	}
	if _, err := c.Orders(t.Context(), everything()); !errors.Is(err, errSave) {
		t.Fatalf("second call: %v", err)
	}
	sv.mu.Lock()
	sv.fail = nil
	sv.mu.Unlock()
	if _, err := c.Orders(t.Context(), everything()); err != nil {
		t.Fatal(err)
	}
	saved := sv.saved()
	if len(saved) != 3 || saved[0] != saved[1] || saved[1] != saved[2] || saved[2].Refresh != sim.RefreshToken() {
		t.Errorf("OnTokens got %v; want the one rotated pair three times", saved)
	}
	if st := sim.Stats(); st.TokenRefreshes != 1 || st.ByEndpoint["GET /shops/{shop_id}/receipts"] != 1 {
		t.Errorf("%d refreshes, %d reads; want 1 and 1", st.TokenRefreshes, st.ByEndpoint["GET /shops/{shop_id}/receipts"])
	}
}

// TestConcurrentRefresh: requests in flight together renew the token
// once, whether it was due or refused.
func TestConcurrentRefresh(t *testing.T) {
	for _, proactive := range []bool{false, true} {
		t.Run(fmt.Sprint("proactive=", proactive), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				clk := startClock()
				sv := &saver{}
				var calls atomic.Int32
				// In memory, in a bubble: the save's pause below ends only
				// when every other request is blocked, piled up behind it.
				sim := newOAuthSim(clk)
				c := oauthClient(t, "http://127.0.0.1", clk, nil, Config{HTTPClient: testkit.Client(sim)})
				c.onTokens = func(ctx context.Context, tk Tokens) error {
					calls.Add(1)
					time.Sleep(20 * time.Millisecond)
					return sv.save(ctx, tk)
				}
				sim.Seed(100, 14)
				// One request first, so the client learns the roomy rate limit.
				if _, err := c.Orders(t.Context(), cart.OrderQuery{}); err != nil {
					t.Fatal(err)
				}
				if proactive {
					c.tok.mu.Lock()
					c.tok.renewAt = clk.Now()
					c.tok.mu.Unlock()
				} else {
					sim.ExpireAccessTokens()
				}
				var wg sync.WaitGroup
				errs := make(chan error, 30)
				for i := range 30 {
					wg.Go(func() {
						var err error
						if i%3 == 0 {
							_, err = c.Listings(t.Context(), cart.ListingQuery{})
						} else {
							_, err = c.Orders(t.Context(), everything())
						}
						errs <- err
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Error(err)
					}
				}
				if st := sim.Stats(); st.TokenRefreshes != 1 || calls.Load() != 1 {
					t.Errorf("%d refreshes, %d saves; want 1 and 1", st.TokenRefreshes, calls.Load())
				}
				if proactive && sim.Stats().Unauthorized != 0 {
					t.Errorf("%d requests refused", sim.Stats().Unauthorized)
				}
			})
		})
	}
}

// TestNoRefreshToken: without a refresh token an expired access token is
// cart.ErrAuth at once, as before refresh existed.
func TestNoRefreshToken(t *testing.T) {
	clk := startClock()
	sim := etsysim.New(etsysim.Options{APIKey: apiKey, SharedSecret: secret, Token: token, ShopID: shopID, QPS: roomyQPS, Now: clk.Now})
	c := newClient(t, serve(t, sim), Config{APIKey: apiKey, SharedSecret: secret, Token: token, TokenExpiry: clk.Now()})
	c.now = clk.Now
	if _, err := c.Orders(t.Context(), everything()); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	_, err := c.Orders(t.Context(), everything())
	var ce *cart.Error
	if !errors.Is(err, cart.ErrAuth) || !errors.As(err, &ce) || ce.Status != 401 || !strings.Contains(ce.Message, "access token is expired") {
		t.Fatalf("err = %v; want cart.ErrAuth from the 401", err)
	}
	if st := sim.Stats(); st.TokenRefreshes+st.TokenRefused != 0 || st.Unauthorized != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestRefreshRetriesTemporary: the token endpoint's occasional 500 is
// retried like the API's.
func TestRefreshRetriesTemporary(t *testing.T) {
	clk := startClock()
	sv := &saver{}
	sim, c := oauthSim(t, clk, sv, Config{})
	sim.SetFaults(etsysim.Faults{TokenErrors: 2})
	sim.ExpireAccessTokens()
	if _, err := c.Orders(t.Context(), everything()); err != nil {
		t.Fatal(err)
	}
	if st := sim.Stats(); st.Faults.TokenErrors != 2 || st.TokenRefreshes != 1 || len(sv.saved()) != 1 {
		t.Errorf("%d faults, %d refreshes, %d saves", st.Faults.TokenErrors, st.TokenRefreshes, len(sv.saved()))
	}
	sim.SetFaults(etsysim.Faults{TokenErrors: 10})
	sim.ExpireAccessTokens()
	_, err := c.Orders(t.Context(), everything())
	var ce *cart.Error
	if !errors.As(err, &ce) || !ce.Temporary || errors.Is(err, cart.ErrAuth) {
		t.Errorf("err = %v; want a temporary *cart.Error", err)
	}
}

// TestRefreshWire checks the token request and how answers are read,
// against a stub: the form, the path, a refresh token that does not
// rotate, and a 401 blaming the API key, which is not renewed.
func TestRefreshWire(t *testing.T) {
	var mu sync.Mutex
	var forms []url.Values
	var tokenHeaders http.Header
	var bearers []string
	keyError := false
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/base/v3/public/oauth/token" {
			b, _ := io.ReadAll(r.Body)
			f, _ := url.ParseQuery(string(b))
			forms = append(forms, f)
			tokenHeaders = r.Header.Clone()
			fmt.Fprintf(w, `{"access_token":"12345678.new%d","token_type":"bearer","expires_in":3600}`, len(forms))
			return
		}
		bearers = append(bearers, r.Header.Get("Authorization"))
		switch {
		case keyError:
			w.WriteHeader(401)
			w.Write([]byte(`{"error":"Invalid API key."}`))
		case r.Header.Get("Authorization") == "Bearer "+token:
			w.WriteHeader(401)
			w.Write([]byte(`{"error":"invalid_token","error_description":"access token is expired"}`))
		default:
			w.Write([]byte(`{"count":0,"results":[]}`))
		}
	})
	clk := startClock()
	sv := &saver{}
	c := newClient(t, serve(t, h)+"/base", Config{APIKey: apiKey, SharedSecret: secret, Token: token, RefreshToken: refreshToken, OnTokens: sv.save})
	c.now = clk.Now
	if _, err := c.Orders(t.Context(), cart.OrderQuery{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	wantForm := url.Values{"grant_type": {"refresh_token"}, "client_id": {apiKey}, "refresh_token": {refreshToken}}
	if len(forms) != 1 || forms[0].Encode() != wantForm.Encode() {
		t.Errorf("token requests %v", forms)
	}
	if ct := tokenHeaders.Get("Content-Type"); ct != "application/x-www-form-urlencoded" || tokenHeaders.Get("Authorization") != "" {
		t.Errorf("token request headers %v", tokenHeaders)
	}
	if !slices.Equal(bearers, []string{"Bearer " + token, "Bearer 12345678.new1"}) {
		t.Errorf("bearers %v", bearers)
	}
	keyError = true
	mu.Unlock()
	want := Tokens{Access: "12345678.new1", Refresh: refreshToken, Expiry: clk.Now().Add(time.Hour)}
	if saved := sv.saved(); len(saved) != 1 || saved[0] != want {
		t.Errorf("OnTokens got %v; want %v (the refresh token kept)", saved, want)
	}
	// A 401 for the key is not the token's: no refresh.
	if _, err := c.Orders(t.Context(), cart.OrderQuery{}); !errors.Is(err, cart.ErrAuth) {
		t.Errorf("err = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(forms) != 1 {
		t.Errorf("%d token requests after a key error; want none", len(forms)-1)
	}
}

func TestParseTokens(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		body     string
		ok       bool
		lifetime time.Duration
		refresh  string
	}{
		{`{"access_token":"1.a","token_type":"Bearer","expires_in":3600,"refresh_token":"1.r"}`, true, time.Hour, "1.r"},
		{`{"access_token":"1.a"}`, true, 0, ""},
		{`{"access_token":"1.a","expires_in":1e300}`, true, maxTokenLifetime, ""},
		{`{"access_token":"1.a","expires_in":-5}`, true, 0, ""},
		{`{"access_token":"1.a","token_type":"mac"}`, false, 0, ""},
		{`{"access_token":"1 a"}`, false, 0, ""},
		{`{"access_token":"1.a","refresh_token":"x y"}`, false, 0, ""},
		{`{"token_type":"Bearer"}`, false, 0, ""},
		{`<html>`, false, 0, ""},
	}
	for _, tt := range tests {
		tk, lifetime, ok := parseTokens([]byte(tt.body), now)
		if ok != tt.ok || lifetime != tt.lifetime || tk.Refresh != tt.refresh || (ok && lifetime > 0 && !tk.Expiry.Equal(now.Add(lifetime))) {
			t.Errorf("%s: %v %s %v", tt.body, tk, lifetime, ok)
		}
	}
}

func TestNewWithRefreshToken(t *testing.T) {
	ok := []Config{
		{APIKey: "k", SharedSecret: "s", RefreshToken: "1.r", ShopID: "42"}, // the first request gets an access token
		{APIKey: "k", SharedSecret: "s", Token: "1.t", RefreshToken: "1.r", TokenExpiry: time.Now(), ShopID: "42"},
	}
	for _, cfg := range ok {
		if _, err := New(cfg); err != nil {
			t.Errorf("New(%v): %v", cfg, err)
		}
	}
	for _, cfg := range []Config{
		{APIKey: "k", SharedSecret: "s", RefreshToken: "1 r", ShopID: "42"},
		{APIKey: "k", SharedSecret: "s", Token: "1 t", RefreshToken: "1.r", ShopID: "42"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%v) succeeded", cfg)
		}
	}
	tk := Tokens{Access: "12345678.secret_access", Refresh: "12345678.secret_refresh", Expiry: time.Now()}
	cfg := Config{APIKey: apiKey, SharedSecret: secret, Token: tk.Access, RefreshToken: tk.Refresh, ShopID: "1"}
	for _, s := range []string{fmt.Sprint(tk), fmt.Sprintf("%+v", tk), fmt.Sprintf("%#v", tk), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%+v", cfg)} {
		if strings.Contains(s, "secret") {
			t.Errorf("%q shows a secret", s)
		}
	}
}

// TestRefreshWithoutAccessToken: a client given only a refresh token gets
// an access token before its first request.
func TestRefreshWithoutAccessToken(t *testing.T) {
	clk := startClock()
	sv := &saver{}
	sim := etsysim.New(etsysim.Options{APIKey: apiKey, SharedSecret: secret, RefreshToken: refreshToken, ShopID: shopID, QPS: roomyQPS, Now: clk.Now})
	c := newClient(t, serve(t, sim), Config{APIKey: apiKey, SharedSecret: secret, RefreshToken: refreshToken, OnTokens: sv.save})
	c.now = clk.Now
	if _, err := c.Orders(t.Context(), everything()); err != nil {
		t.Fatal(err)
	}
	if st := sim.Stats(); st.TokenRefreshes != 1 || st.Unauthorized != 0 || len(sv.saved()) != 1 {
		t.Errorf("%d refreshes, %d refused, %d saves", st.TokenRefreshes, st.Unauthorized, len(sv.saved()))
	}
}
