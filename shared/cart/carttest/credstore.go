package carttest

import (
	"context"
	"maps"
	"sync"

	"github.com/autosync/autosync/shared/cart"
)

// CredStore stands in for a channel's stored credentials in connector
// tests: Save merges renewed values as channels.Repo.MergeCredentials
// does, Load reads them back. Connectors built from one CredStore play
// runs of one channel. Fail, when set, makes Load fail.
type CredStore struct {
	mu    sync.Mutex
	creds cart.Credentials
	saves int
	loads int
	Fail  error
}

// NewCredStore stores a copy of creds.
func NewCredStore(creds cart.Credentials) *CredStore {
	return &CredStore{creds: maps.Clone(creds)}
}

// Save merges updates into the stored credentials (cart.Build.SaveCredentials).
func (s *CredStore) Save(_ context.Context, updates cart.Credentials) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	maps.Copy(s.creds, updates)
	s.saves++
	return nil
}

// Load returns a copy of the stored credentials (cart.Build.LoadCredentials).
func (s *CredStore) Load(context.Context) (cart.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	if s.Fail != nil {
		return nil, s.Fail
	}
	return maps.Clone(s.creds), nil
}

// Creds returns a copy of the stored credentials.
func (s *CredStore) Creds() cart.Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.creds)
}

// Saves counts the calls of Save.
func (s *CredStore) Saves() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saves
}

// Loads counts the calls of Load, failed ones included.
func (s *CredStore) Loads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads
}
