package amazonsim

import "math/rand/v2"

// SkipIDs moves the sequences new orders (and their lines) take their ids
// from n places ahead. A simulator restarted over a store that kept what
// it imported (make dev's demo) is seeded with the same orders again, then
// skips past every id an earlier start could have handed out, so an order
// created after the restart never takes the id of a different one
// created before it.
//
// Amazon order ids also hold random digits, drawn from a source
// the skip re-seeds, so they differ from an earlier start's too.
func (s *Server) SkipIDs(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq += int(n)
	s.rnd = rand.New(rand.NewPCG(0x5ea11e5^uint64(n), 0xa3a20))
}
