package connector

import (
	"errors"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
)

func TestValidate(t *testing.T) {
	dev := Factory{AllowLoopbackBase: true}
	tests := []struct {
		name  string
		f     Factory
		cart  catalog.Cart
		cfg   cart.Config
		creds cart.Credentials
		ok    bool
	}{
		{"shopify", dev, catalog.Shopify, cart.Config{"shop": "a.myshopify.com"}, cart.Credentials{"access_token": "t"}, true},
		{"shopify bad domain", dev, catalog.Shopify, cart.Config{"shop": "evil.example.com"}, cart.Credentials{"access_token": "t"}, false},
		{"shopify no token", dev, catalog.Shopify, cart.Config{"shop": "a.myshopify.com"}, nil, false},
		{"bigcommerce", dev, catalog.BigCommerce, cart.Config{"store_hash": "abc123", "location_id": "2"}, cart.Credentials{"access_token": "t"}, true},
		{"bigcommerce bad location", dev, catalog.BigCommerce, cart.Config{"store_hash": "abc123", "location_id": "two"}, cart.Credentials{"access_token": "t"}, false},
		{"woocommerce http", dev, catalog.WooCommerce, cart.Config{"store_url": "http://shop.example"}, cart.Credentials{"consumer_key": "k", "consumer_secret": "s"}, false},
		{"woocommerce", dev, catalog.WooCommerce, cart.Config{"store_url": "https://shop.example"}, cart.Credentials{"consumer_key": "k", "consumer_secret": "s"}, true},
		{"etsy", dev, catalog.Etsy, cart.Config{"shop_id": "42"}, cart.Credentials{"api_key": "k", "shared_secret": "s", "token": "1.t"}, true},
		{"etsy shop name", dev, catalog.Etsy, cart.Config{"shop_id": "myshop"}, cart.Credentials{"api_key": "k", "shared_secret": "s", "token": "1.t"}, false},
		{"squarespace", dev, catalog.Squarespace, nil, cart.Credentials{"api_key": "k"}, true},
		{"amazon", dev, catalog.Amazon, cart.Config{"seller_id": "A1", "marketplace_id": "ATVPDKIKX0DER"}, cart.Credentials{"client_id": "c", "client_secret": "s", "refresh_token": "r"}, true},
		{"amazon no token", dev, catalog.Amazon, cart.Config{"seller_id": "A1", "marketplace_id": "ATVPDKIKX0DER"}, cart.Credentials{"client_id": "c"}, false},
		{"unknown cart", dev, "ebay", nil, nil, false},
		{"loopback base in dev", dev, catalog.Squarespace, cart.Config{"api_base": "http://127.0.0.1:9"}, cart.Credentials{"api_key": "k"}, true},
		{"remote base in dev", dev, catalog.Squarespace, cart.Config{"api_base": "http://10.0.0.1"}, cart.Credentials{"api_key": "k"}, false},
		{"any base in production", Factory{}, catalog.Squarespace, cart.Config{"api_base": "http://127.0.0.1:9"}, cart.Credentials{"api_key": "k"}, false},
		{"huge value", dev, catalog.Squarespace, nil, cart.Credentials{"api_key": string(make([]byte, 5000))}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := tc.f.Validate(tc.cart, tc.cfg, tc.creds)
			if (len(ps) == 0) != tc.ok {
				t.Fatalf("problems %+v, want ok=%v", ps, tc.ok)
			}
			for _, p := range ps {
				if p.Field == "" || p.Message == "" {
					t.Errorf("problem without field or message: %+v", p)
				}
			}
		})
	}
}

func TestBuildsEachCart(t *testing.T) {
	f := Factory{AllowLoopbackBase: true}
	chans := []channels.Channel{
		{ID: "c1", Type: catalog.Shopify, Config: cart.Config{"shop": "a.myshopify.com"}},
		{ID: "c2", Type: catalog.BigCommerce, Config: cart.Config{"store_hash": "abc123"}},
		{ID: "c3", Type: catalog.WooCommerce, Config: cart.Config{"store_url": "https://shop.example"}},
		{ID: "c4", Type: catalog.Etsy, Config: cart.Config{"shop_id": "42"}},
		{ID: "c5", Type: catalog.Squarespace},
		{ID: "c6", Type: catalog.Amazon, Config: cart.Config{"seller_id": "A1SELLER", "marketplace_id": "ATVPDKIKX0DER"}},
	}
	creds := cart.Credentials{"access_token": "t", "consumer_key": "k", "consumer_secret": "s", "api_key": "k",
		"shared_secret": "s", "token": "1.t", "client_id": "c", "client_secret": "s", "refresh_token": "r"}
	for _, ch := range chans {
		if _, err := As[cart.OrderSource](f, ch, creds); err != nil {
			t.Errorf("%s orders: %v", ch.Type, err)
		}
		if _, err := As[cart.StockWriter](f, ch, creds); err != nil {
			t.Errorf("%s stock: %v", ch.Type, err)
		}
	}
	if _, err := As[cart.FBAInventorySource](f, chans[0], creds); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "FBAInventorySource for shopify") {
		t.Errorf("FBA inventory on Shopify: %v", err)
	}
	if _, err := As[cart.OrderSource](f, channels.Channel{Type: catalog.Shopify, Config: cart.Config{"shop": "bad"}}, creds); !errors.Is(err, ErrUnsupported) {
		t.Errorf("misconfigured channel: %v", err)
	}
}
