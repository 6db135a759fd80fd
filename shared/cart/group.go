package cart

// UpdateGroup is the stock updates (their indexes in the call) that one
// cart request writes: one listing's, one batch endpoint's.
type UpdateGroup[K comparable] struct {
	Key   K
	Index []int
}

// GroupUpdates gives every update its result's SKU and groups the updates
// by the key they are written under, in the order the keys first appear.
// key returns update i's key, or an error that is its result; such an
// update is in no group.
func GroupUpdates[K comparable](updates []StockUpdate, key func(i int, u StockUpdate) (K, error)) ([]StockResult, []*UpdateGroup[K]) {
	results := make([]StockResult, len(updates))
	var groups []*UpdateGroup[K]
	byKey := map[K]*UpdateGroup[K]{}
	for i, u := range updates {
		results[i].SKU = u.SKU
		k, err := key(i, u)
		if err != nil {
			results[i].Err = err
			continue
		}
		g := byKey[k]
		if g == nil {
			g = &UpdateGroup[K]{Key: k}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.Index = append(g.Index, i)
	}
	return results, groups
}

// CheckUpdates is GroupUpdates for a cart that writes every update alike:
// it returns the indexes of the updates check accepts, in order.
func CheckUpdates(updates []StockUpdate, check func(i int, u StockUpdate) error) ([]StockResult, []int) {
	results, groups := GroupUpdates(updates, func(i int, u StockUpdate) (struct{}, error) {
		return struct{}{}, check(i, u)
	})
	if len(groups) == 0 {
		return results, nil
	}
	return results, groups[0].Index
}
