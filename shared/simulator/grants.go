package simulator

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"sync"
)

// Grants are a simulated cart's app authorization: single-use codes
// waiting for their token request and the access tokens issued, which
// work, with the token the simulator was configured with, until the app
// is removed (Revoke). Safe for concurrent use; the zero value is ready.
type Grants struct {
	mu      sync.Mutex
	codes   map[string]string // code → what it grants (a shop, a store)
	issued  map[string]bool
	revoked bool // the configured token no longer works either
}

// Code makes a single-use code granting grant.
func (g *Grants) Code(grant string) string {
	code := Random(16)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.codes == nil {
		g.codes = map[string]string{}
	}
	g.codes[code] = grant
	return code
}

// Redeem exchanges a code, once, for a new access token (prefix and
// random hex) and what the code granted; ok is false for a code unknown
// or used.
func (g *Grants) Redeem(code, prefix string) (token, grant string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	grant, ok = g.codes[code]
	if !ok {
		return "", "", false
	}
	delete(g.codes, code)
	token = prefix + Random(16)
	if g.issued == nil {
		g.issued = map[string]bool{}
	}
	g.issued[token] = true
	return token, grant, true
}

// Accepted says whether tok is a live access token: configured (the
// simulator's own, compared in constant time) unless revoked, or issued.
func (g *Grants) Accepted(tok string, configured []byte) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.revoked && subtle.ConstantTimeCompare([]byte(tok), configured) == 1 {
		return true
	}
	return tok != "" && g.issued[tok]
}

// Revoke makes every access token stop working, as removing the app does.
func (g *Grants) Revoke() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.revoked, g.issued = true, nil
}

// Random is n random bytes in hex: codes, tokens, delivery ids.
func Random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
