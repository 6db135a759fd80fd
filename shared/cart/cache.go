package cart

import (
	"sync"
	"time"
)

// Cache holds one value a connector looks up once and reuses (an access
// token, a location id) until it expires or is dropped. Its mutex is held
// while the value is fetched, so concurrent callers wait for one fetch.
type Cache struct {
	mu      sync.Mutex
	v       string
	expires time.Time // zero: until dropped
}

// Get returns the cached value, fetching one when there is none or it has
// expired at now. fetch returns the value and when to stop using it (zero:
// until dropped). A failed fetch leaves the cache empty.
func (c *Cache) Get(now time.Time, fetch func() (string, time.Time, error)) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.v != "" && (c.expires.IsZero() || now.Before(c.expires)) {
		return c.v, nil
	}
	c.v = ""
	v, expires, err := fetch()
	if err != nil {
		return "", err
	}
	c.v, c.expires = v, expires
	return v, nil
}

// Drop forgets v if it is still the cached value (a caller that saw it
// refused must not drop a newer one).
func (c *Cache) Drop(v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.v == v {
		c.v = ""
	}
}
