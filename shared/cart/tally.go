package cart

import "sync"

// Tally is a connector's running counts of its work (T is its record of
// them, like a WriteStats struct), safe for concurrent use.
type Tally[T any] struct {
	mu sync.Mutex
	v  T
}

// Add counts: count changes the record.
func (t *Tally[T]) Add(count func(*T)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	count(&t.v)
}

// Get returns the counts so far.
func (t *Tally[T]) Get() T {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.v
}
