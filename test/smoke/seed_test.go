package smoke

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/autosync/autosync/shared/app"
	"github.com/autosync/autosync/shared/awsapi"
	"github.com/autosync/autosync/shared/awstest"
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/settings"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
	"github.com/autosync/autosync/shared/store/dynamostore"
)

// smokeAccount is the account the sample events act for.
const smokeAccount = "smoke"

// eventChannel is the placeholder channel id in events/*.json; the harness
// puts the seeded channel's id in its place.
const eventChannel = "ch_smoke"

// seeded is the smoke account as the functions find it.
type seeded struct {
	channel    string
	importable int
	orders     *orders.Repo
}

// seed connects a Shopify channel for the smoke account, backed by a
// simulator on 127.0.0.1, through the same repositories the functions use
// (DynamoDB in the emulator, credentials sealed with the emulator's KMS).
func seed(t *testing.T, r resources) seeded {
	t.Helper()
	sim := shopifysim.New(shopifysim.Options{AccessToken: "shpat_smoke"})
	sim.Seed(60, 7)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)

	cfg := awstest.Config(t)
	st := dynamostore.New(dynamodb.NewFromConfig(cfg), r.table)
	kmsAPI, err := awsapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(app.Deps{Store: st, Sealer: seal.KMS{API: kmsAPI, KeyID: r.kmsKey},
		Connectors: connector.Factory{AllowLoopbackBase: true}, WebhookBaseURL: "https://smoke.example/",
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	ch, err := a.Channels.Create(context.Background(), smokeAccount, channels.Channel{
		Type: catalog.Shopify, Name: "Smoke Shopify",
		Config: cart.Config{"shop": "smoke.myshopify.com", "api_base": srv.URL},
	}, cart.Credentials{"access_token": "shpat_smoke", "client_secret": "smoke_client_secret"})
	if err != nil {
		t.Fatalf("seed channel: %v", err)
	}
	// Instasync orders is ticked (subscribed at the simulator), so a signed
	// delivery is handed to the task function by an asynchronous invoke.
	if _, err := a.Settings.Update(context.Background(), smokeAccount, []settings.Change{
		{ChannelID: ch.ID, Task: catalog.InstasyncOrders, Enabled: true},
	}); err != nil {
		t.Fatalf("tick instasync: %v", err)
	}
	if subs := sim.WebhookSubscriptions(); len(subs) == 0 {
		t.Fatal("ticking instasync subscribed nothing at the simulator")
	}
	return seeded{channel: ch.ID, importable: len(sim.Importable()), orders: a.Orders}
}

// wantImported checks the task function's result and that the orders it
// reports are really in DynamoDB: exactly the simulator's importable ones.
func (s seeded) wantImported(t *testing.T, payload []byte) {
	t.Helper()
	wantNoLambdaError(t, payload)
	var res app.TaskResult
	if err := json.Unmarshal(payload, &res); err != nil || res.Status != "succeeded" || res.RunID == "" {
		t.Fatalf("task result %s: want a succeeded run", payload)
	}
	list, _, err := s.orders.List(context.Background(), smokeAccount, orders.Filter{ChannelID: s.channel, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != s.importable {
		t.Fatalf("%d orders in DynamoDB, want the simulator's %d importable", len(list), s.importable)
	}
	t.Logf("imported %d orders into DynamoDB", len(list))
}

// wantModal checks GET /v1/sync answers the seeded channel with every task.
func (s seeded) wantModal(t *testing.T, payload []byte) {
	t.Helper()
	wantHTTP([]int{http.StatusOK}, "channels")(t, payload)
	var resp events.APIGatewayV2HTTPResponse
	_ = json.Unmarshal(payload, &resp)
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		body, _ = base64.StdEncoding.DecodeString(resp.Body)
	}
	var m struct {
		Channels []struct {
			Channel struct{ ID, Type string }
			Tasks   []struct{ Task string }
		}
	}
	if err := json.Unmarshal(body, &m); err != nil || len(m.Channels) != 1 {
		t.Fatalf("modal %s", truncate(body, 500))
	}
	if c := m.Channels[0]; c.Channel.ID != s.channel || c.Channel.Type != "shopify" || len(c.Tasks) != len(catalog.Tasks) {
		t.Fatalf("modal channel %+v", c)
	}
}

// wantQueued checks POST /v1/sync/runs queued the run: the asynchronous
// invoke was accepted (a failed dispatch answers the run as failed).
func wantQueued(t *testing.T, payload []byte) {
	t.Helper()
	wantHTTP([]int{http.StatusAccepted}, "runs")(t, payload)
	var resp events.APIGatewayV2HTTPResponse
	_ = json.Unmarshal(payload, &resp)
	var out struct {
		Runs []struct{ ID, Status, Task string }
	}
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil || len(out.Runs) != 1 {
		t.Fatalf("runs %s", truncate([]byte(resp.Body), 500))
	}
	if r := out.Runs[0]; r.Status != "queued" || r.Task != "import_orders" || r.ID == "" {
		t.Fatalf("run %+v: want a queued import_orders run", r)
	}
}

// withChannel puts the seeded channel id where the events say ch_smoke.
func withChannel(payload []byte, channel string) []byte {
	return []byte(strings.ReplaceAll(string(payload), eventChannel, channel))
}

// withDevCarts lets the function reach the simulator's loopback URL.
func withDevCarts(env map[string]string) map[string]string {
	out := map[string]string{"AUTOSYNC_DEV_CART_URLS": "1"}
	for k, v := range env {
		out[k] = v
	}
	return out
}
