package httpapi_test

import (
	"net/url"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
)

var amazonConnect = map[string]string{"cart": "amazon", "name": "My Amazon", "marketplace_id": "DE"}

func (e *connectEnv) withAmazon() *amazonsim.Server {
	sim := amazonsim.New(amazonsim.Options{ClientID: "amzn1.application-oa2-client.t", ClientSecret: "lwa-secret", ApplicationID: "amzn1.sp.solution.t",
		SellerID: "A3TESTSELLER", MarketplaceID: "A1PA6795UKMFR9", SKUs: []string{"MUG"}, Now: e.clock.Now})
	e.withApp(catalog.Amazon, cart.App{ClientID: "amzn1.application-oa2-client.t", ClientSecret: "lwa-secret", AppID: "amzn1.sp.solution.t"}, sim)
	return sim
}

// TestConnectAmazon: the SP-API website authorization workflow; the
// channel's region is its marketplace's.
func TestConnectAmazon(t *testing.T) {
	e := newConnectEnv(t)
	sim := e.withAmazon()
	u, _ := url.Parse(e.start(acctA, amazonConnect))
	if q := u.Query(); u.Path != "/apps/authorize/consent" || q.Get("application_id") != "amzn1.sp.solution.t" || q.Get("version") != "beta" {
		t.Fatalf("authorize URL %s", u)
	}
	ch := e.connectFlow(amazonConnect, sim.RevokeAuthorization)
	got, err := e.app.Channels.Get(t.Context(), acctA, ch.ID)
	if err != nil || got.Config["seller_id"] != "A3TESTSELLER" || got.Config["marketplace_id"] != "A1PA6795UKMFR9" || got.Config["region"] != "eu" {
		t.Fatalf("channel config %+v %v", got.Config, err)
	}
}

func TestConnectAmazonRefuses(t *testing.T) {
	e := newConnectEnv(t)
	e.withAmazon()
	set := setQuery
	e.refusesStates(amazonConnect, map[string]func(string) string{
		"wrong code":       func(cb string) string { return set(cb, "spapi_oauth_code", "ANforged") },
		"no seller":        func(cb string) string { return set(cb, "selling_partner_id", "") },
		"malformed seller": func(cb string) string { return set(cb, "selling_partner_id", "<script>") },
	})
}
