package seal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"sync"
)

// Cached remembers what its sealer opened, for as long as the process (one
// Lambda execution environment) lives, so a channel's credentials cost one
// KMS call per environment rather than one per run. A sealed blob always
// opens to the same plaintext, so the cache is never stale: re-sealed
// credentials are a new blob and a new entry. Entries are keyed by a hash of
// the blob and its context, kept in memory only, never logged; at most Max
// are kept (the oldest go first).
type Cached struct {
	Sealer Sealer
	Max    int // entries kept; 0 means 256

	mu    sync.Mutex
	plain map[[sha256.Size]byte][]byte
	order [][sha256.Size]byte
}

// Seal seals through the wrapped sealer; nothing is cached.
func (c *Cached) Seal(ctx context.Context, plaintext []byte, aad string) ([]byte, error) {
	return c.Sealer.Seal(ctx, plaintext, aad)
}

// Open returns a copy of the remembered plaintext, or opens and remembers it.
// A blob that does not open is not remembered.
func (c *Cached) Open(ctx context.Context, sealed []byte, aad string) ([]byte, error) {
	h := sha256.New()
	h.Write([]byte(aad))
	h.Write([]byte{0})
	h.Write(sealed)
	var key [sha256.Size]byte
	h.Sum(key[:0])
	c.mu.Lock()
	p, ok := c.plain[key]
	c.mu.Unlock()
	if ok {
		return bytes.Clone(p), nil
	}
	p, err := c.Sealer.Open(ctx, sealed, aad)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.plain == nil {
		c.plain = map[[sha256.Size]byte][]byte{}
	}
	if _, ok := c.plain[key]; !ok {
		limit := c.Max
		if limit <= 0 {
			limit = 256
		}
		for len(c.order) >= limit {
			delete(c.plain, c.order[0])
			c.order = c.order[1:]
		}
		c.plain[key] = bytes.Clone(p)
		c.order = append(c.order, key)
	}
	return p, nil
}
