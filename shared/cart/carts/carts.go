// Package carts is the registry of cart drivers: the one list of the carts
// Autosync serves, in the order the Sync modal shows them. It is the only
// package outside shared/cart and shared/simulator that imports a cart's
// package; everything else asks it (Lookup, Label, Offered).
package carts

import (
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/amazon"
	"github.com/autosync/autosync/shared/cart/bigcommerce"
	"github.com/autosync/autosync/shared/cart/etsy"
	"github.com/autosync/autosync/shared/cart/shopify"
	"github.com/autosync/autosync/shared/cart/squarespace"
	"github.com/autosync/autosync/shared/cart/woocommerce"
	"github.com/autosync/autosync/shared/catalog"
)

// drivers lists every cart, in modal order. Adding a cart is one line here
// (see docs/adding-a-cart.md).
var drivers = []*cart.Driver{
	&shopify.Driver,
	&bigcommerce.Driver,
	&woocommerce.Driver,
	&etsy.Driver,
	&squarespace.Driver,
	&amazon.Driver,
}

// All returns every driver, in the order the modal shows the carts.
func All() []*cart.Driver {
	return append([]*cart.Driver(nil), drivers...)
}

// IDs returns every cart's id, in modal order.
func IDs() []catalog.Cart {
	out := make([]catalog.Cart, len(drivers))
	for i, d := range drivers {
		out[i] = d.ID
	}
	return out
}

// Lookup returns the driver of cart c.
func Lookup(c catalog.Cart) (*cart.Driver, bool) {
	for _, d := range drivers {
		if d.ID == c {
			return d, true
		}
	}
	return nil, false
}

// Valid reports whether c is a known cart.
func Valid(c catalog.Cart) bool {
	_, ok := Lookup(c)
	return ok
}

// Label is the name merchants know cart c by; an unknown cart's id.
func Label(c catalog.Cart) string {
	if d, ok := Lookup(c); ok {
		return d.Label
	}
	return string(c)
}

// Offered returns how cart c offers task t, with the merchant-facing reason
// when it is limited or absent.
func Offered(c catalog.Cart, t catalog.Task) catalog.Availability {
	d, ok := Lookup(c)
	if _, known := catalog.Spec(t); !ok || !known {
		return catalog.Availability{Reason: "Unknown task or cart."}
	}
	return d.Offers[t]
}
