package connector

import (
	"context"
	"errors"
	"maps"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
)

// channelStore is the channels' stored credentials, by account and channel,
// as Factory.SaveCredentials and LoadCredentials see them.
type channelStore struct {
	mu    sync.Mutex
	creds map[[2]string]cart.Credentials
	loads [][2]string
}

func (s *channelStore) save(_ context.Context, account, channel string, upd cart.Credentials) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	maps.Copy(s.creds[[2]string{account, channel}], upd)
	return nil
}

func (s *channelStore) load(_ context.Context, account, channel string) (cart.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads = append(s.loads, [2]string{account, channel})
	c, ok := s.creds[[2]string{account, channel}]
	if !ok {
		return nil, errors.New("no such channel")
	}
	return maps.Clone(c), nil
}

func (s *channelStore) loaded() [][2]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][2]string(nil), s.loads...)
}

// etsyShop serves an Etsy simulator of shop 42 (API key k, shared secret
// s, access token 42.tok) whose refresh token is refreshToken, and
// returns it with its base URL.
func etsyShop(t *testing.T, refreshToken string) (*etsysim.Server, string) {
	t.Helper()
	sim := etsysim.New(etsysim.Options{APIKey: "k", SharedSecret: "s", Token: "42.tok", RefreshToken: refreshToken, ShopID: 42})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

// The factory hands a connector its channel's LoadCredentials: an Etsy
// connector built from credentials whose refresh token another connector
// of the channel has spent reads the channel's stored ones and goes on
// with them, instead of failing as revoked.
func TestConnectorLoadsStoredCredentials(t *testing.T) {
	ctx := context.Background()
	sim, base := etsyShop(t, "42.refresh")
	ch := channels.Channel{AccountID: "acct", ID: "ch1", Type: catalog.Etsy, Config: cart.Config{"shop_id": "42", "api_base": base}}
	initial := cart.Credentials{"api_key": "k", "shared_secret": "s", "token": "42.tok", "refresh_token": "42.refresh"}
	store := &channelStore{creds: map[[2]string]cart.Credentials{
		{"acct", "ch1"}:   maps.Clone(initial),
		{"acct", "other"}: {"api_key": "k", "shared_secret": "s", "token": "42.x", "refresh_token": "42.other_refresh"},
	}}
	f := Factory{AllowLoopbackBase: true, SaveCredentials: store.save, LoadCredentials: store.load}

	// Two runs build their connectors from the same stored credentials.
	first, err := f.Connector(ch, maps.Clone(initial))
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.Connector(ch, maps.Clone(initial))
	if err != nil {
		t.Fatal(err)
	}
	sim.ExpireAccessTokens()
	if err := first.CheckCredentials(ctx); err != nil {
		t.Fatalf("first run: %v", err)
	}
	if err := second.CheckCredentials(ctx); err != nil {
		t.Fatalf("second run, whose refresh token the first spent: %v", err)
	}
	if got := store.loaded(); len(got) != 1 || got[0] != [2]string{"acct", "ch1"} {
		t.Errorf("LoadCredentials called for %v; want once for acct/ch1", got)
	}
	if st := sim.Stats(); st.TokenRefreshes != 1 {
		t.Errorf("%d refreshes; want 1", st.TokenRefreshes)
	}
}

// Credentials being checked are not the channel's stored ones: a check
// whose refresh token is refused is refused, whatever the channel holds.
func TestCheckCredentialsDoesNotLoadStored(t *testing.T) {
	ctx := context.Background()
	sim, base := etsyShop(t, "42.stored_refresh")
	sim.ExpireAccessTokens()
	ch := channels.Channel{AccountID: "acct", ID: "ch1", Type: catalog.Etsy, Config: cart.Config{"shop_id": "42", "api_base": base}}
	store := &channelStore{creds: map[[2]string]cart.Credentials{
		{"acct", "ch1"}: {"api_key": "k", "shared_secret": "s", "token": "42.tok", "refresh_token": "42.stored_refresh"},
	}}
	f := Factory{AllowLoopbackBase: true, SaveCredentials: store.save, LoadCredentials: store.load}
	_, err := f.CheckCredentials(ctx, ch, cart.Credentials{"api_key": "k", "shared_secret": "s", "token": "42.tok", "refresh_token": "42.bogus_refresh"})
	var ce *CheckError
	if !errors.As(err, &ce) || !ce.Refused {
		t.Fatalf("check of a refused refresh token: %v; want refused", err)
	}
	if got := store.loaded(); len(got) != 0 {
		t.Errorf("the check read the channel's stored credentials %d times", len(got))
	}
}
