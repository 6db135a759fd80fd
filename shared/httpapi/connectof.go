package httpapi

import (
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
)

func connectOf(c catalog.Cart) (*cart.Connect, bool) {
	d, ok := carts.Lookup(c)
	if !ok || d.Connect == nil {
		return nil, false
	}
	return d.Connect, true
}
