package connector

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

var amazonCreds = cart.Credentials{"client_id": amazonsim.DefaultClientID, "client_secret": amazonsim.DefaultClientSecret, "refresh_token": amazonsim.DefaultRefreshToken}

// TestAmazonMarketplaceValidated: a channel's marketplace must be one of
// Amazon's, and its region, when given, the one that serves it.
func TestAmazonMarketplaceValidated(t *testing.T) {
	f := Factory{}
	for _, tc := range []struct {
		name    string
		cfg     cart.Config
		field   string // "" when valid
		message string
	}{
		{"uk", cart.Config{"seller_id": "A1", "marketplace_id": "A1F83G8C2ARO7P"}, "", ""},
		{"uk in eu", cart.Config{"seller_id": "A1", "marketplace_id": "A1F83G8C2ARO7P", "region": "eu"}, "", ""},
		{"japan sandbox", cart.Config{"seller_id": "A1", "marketplace_id": "A1VC38T7YXB528", "region": "fe", "sandbox": "true"}, "", ""},
		{"unknown marketplace", cart.Config{"seller_id": "A1", "marketplace_id": "A1NOTAMARKET"}, "config.marketplace_id", "not an Amazon marketplace id"},
		{"uk in na", cart.Config{"seller_id": "A1", "marketplace_id": "A1F83G8C2ARO7P", "region": "na"}, "config.region", "served by the Europe region"},
		{"unknown region", cart.Config{"seller_id": "A1", "marketplace_id": "ATVPDKIKX0DER", "region": "us"}, "config.region", "not an SP-API region"},
		{"bad sandbox", cart.Config{"seller_id": "A1", "marketplace_id": "ATVPDKIKX0DER", "sandbox": "yes please"}, "config.sandbox", "true or false"},
	} {
		ps := f.Validate(catalog.Amazon, tc.cfg, amazonCreds)
		switch {
		case tc.field == "" && len(ps) > 0:
			t.Errorf("%s: refused: %+v", tc.name, ps)
		case tc.field != "" && (len(ps) != 1 || ps[0].Field != tc.field || !strings.Contains(ps[0].Message, tc.message)):
			t.Errorf("%s: problems %+v, want one on %s saying %q", tc.name, ps, tc.field, tc.message)
		}
	}
}

// TestAmazonRegionHosts is issue 9's done-when: a UK and a Japanese
// channel, built as the service builds them, talk to their region's host.
func TestAmazonRegionHosts(t *testing.T) {
	g := amazonsim.NewGlobal(amazonsim.Options{}, "A1F83G8C2ARO7P", "A1VC38T7YXB528")
	f := Factory{HTTPClient: g.Client()}
	for _, tc := range []struct {
		market, region, sandbox string
		srv                     *amazonsim.Server
		host                    string // Amazon's published endpoint for the region
	}{
		{"A1F83G8C2ARO7P", "eu", "", g.Server("eu"), "sellingpartnerapi-eu.amazon.com"},
		{"A1VC38T7YXB528", "fe", "false", g.Server("fe"), "sellingpartnerapi-fe.amazon.com"},
		{"A1VC38T7YXB528", "fe", "true", g.Server("fe"), "sandbox.sellingpartnerapi-fe.amazon.com"},
	} {
		ch := channels.Channel{ID: "c-" + tc.market, Type: catalog.Amazon,
			Config: cart.Config{"seller_id": amazonsim.DefaultSellerID, "marketplace_id": tc.market, "region": tc.region, "sandbox": tc.sandbox}}
		before := len(g.Hosts())
		inv, err := As[cart.FBAInventorySource](f, ch, amazonCreds)
		if err != nil {
			t.Fatal(err)
		}
		tc.srv.SetFBAQuantity("SKU-0001", 3)
		page, err := inv.FBAInventory(context.Background(), time.Time{}, "")
		if err != nil || len(page.Items) == 0 || page.Items[0].Fulfillable != 3 {
			t.Fatalf("%s: %+v %v", tc.market, page, err)
		}
		want := []string{amazonsim.LWAHost, tc.host}
		if got := g.Hosts()[before:]; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: hosts %v, want %v", tc.market, got, want)
		}
	}
}
