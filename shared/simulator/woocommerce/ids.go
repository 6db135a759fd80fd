package woocommercesim

// SkipIDs moves the sequences new orders (and their lines) take their ids
// from n places ahead. A simulator restarted over a store that kept what
// it imported (make dev's demo) is seeded with the same orders again, then
// skips past every id an earlier start could have handed out, so an order
// created after the restart never takes the id of a different one
// created before it.
//
// Orders, products and variations share WooCommerce's one post id sequence.
func (s *Server) SkipIDs(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.nextID += n
}
