package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
)

// Credentials are checked with the cart when a channel is connected and
// when they are replaced: a refused token is 422 with the cart's reason
// and changes nothing, a cart that cannot be asked is 503 and changes
// nothing, and good credentials resume the channel's ticked tasks.
func TestCredentialsCheckedWithTheCart(t *testing.T) {
	e := newEnv(t)
	e.app.API.Connectors.SkipCredentialCheck = false
	const good, bogus = "shpat_good_" + secretToken, "shpat_bogus_token"
	sim := shopifysim.New(shopifysim.Options{AccessToken: good})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	tok := e.merchant(acctA)
	body := func(token string) map[string]any {
		return map[string]any{"type": "shopify", "name": "Checked", "config": map[string]string{"shop": "x.myshopify.com", "api_base": srv.URL},
			"credentials": map[string]string{"access_token": token}}
	}
	channelCount := func() int {
		var list struct{ Channels []json.RawMessage }
		e.call("GET", "/v1/channels", tok, nil, http.StatusOK, &list)
		return len(list.Channels)
	}

	// Connecting with a bogus token: refused, nothing created.
	rec := e.serve(req{method: "POST", path: "/v1/channels", token: tok, body: mustJSON(body(bogus))})
	refused := checkErr(t, rec, http.StatusUnprocessableEntity, "invalid")
	if !strings.HasPrefix(refused.Message, "Shopify refused these credentials: ") || strings.Contains(rec.Body.String(), bogus) {
		t.Fatalf("refusal %+v", refused)
	}
	if n := channelCount(); n != 0 {
		t.Fatalf("a refused connection created %d channels", n)
	}

	var ch channelJSON
	e.call("POST", "/v1/channels", tok, body(good), http.StatusCreated, &ch)
	e.call("PUT", "/v1/sync", tok, map[string]any{"tasks": []change{{ch.ID, catalog.ImportOrders, true}}}, http.StatusOK, nil)
	if err := e.app.Settings.NeedsReauth(context.Background(), acctA, ch.ID, "The cart refused this channel's credentials."); err != nil {
		t.Fatal(err)
	}
	type state struct {
		status string
		token  string
		paused bool
		next   bool
	}
	now := func() state {
		c, err := e.app.Channels.Get(context.Background(), acctA, ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		creds, err := e.app.Channels.Credentials(context.Background(), acctA, ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		st, err := e.app.Settings.TaskState(context.Background(), acctA, ch.ID, catalog.ImportOrders)
		if err != nil {
			t.Fatal(err)
		}
		return state{string(c.Status), creds["access_token"], st.Paused, st.NextRunAt != nil}
	}
	before := now()
	if before != (state{"needs_reauth", good, true, false}) {
		t.Fatalf("precondition %+v", before)
	}
	put := func(token string) *httptest.ResponseRecorder {
		return e.serve(req{method: "PUT", path: "/v1/channels/" + ch.ID + "/credentials", token: tok,
			body: `{"credentials":{"access_token":"` + token + `"}}`})
	}

	// A bogus token: 422 with Shopify's reason, nothing changed.
	rec = put(bogus)
	refused = checkErr(t, rec, http.StatusUnprocessableEntity, "invalid")
	if !strings.HasPrefix(refused.Message, "Shopify refused these credentials: ") || strings.Contains(rec.Body.String(), bogus) {
		t.Fatalf("refusal %+v", refused)
	}
	if got := now(); got != before {
		t.Fatalf("a refused token changed the channel: %+v, was %+v", got, before)
	}

	// Shopify down: 503 to try again, nothing changed.
	sim.SetFaults(shopifysim.Faults{ServerErrors: 1000})
	start := time.Now()
	unavailable := checkErr(t, put(good), http.StatusServiceUnavailable, "cart_unavailable")
	if !strings.Contains(unavailable.Message, "try again") {
		t.Fatalf("outage answer %+v", unavailable)
	}
	if d := time.Since(start); d > 25*time.Second {
		t.Fatalf("the check kept the merchant waiting %s", d)
	}
	if got := now(); got != before {
		t.Fatalf("an outage changed the channel: %+v, was %+v", got, before)
	}

	// The good token: 200, active, the ticked task resumed.
	sim.SetFaults(shopifysim.Faults{})
	e.call("PUT", "/v1/channels/"+ch.ID+"/credentials", tok, `{"credentials":{"access_token":"`+good+`"}}`, http.StatusOK, nil)
	if got := now(); got != (state{"active", good, false, true}) {
		t.Fatalf("after re-authorizing: %+v; want active, resumed with a next run", got)
	}
}
