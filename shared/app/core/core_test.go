package core_test

import (
	"bytes"
	"io"
	"log/slog"
	"testing"

	"github.com/autosync/autosync/shared/app/core"
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store/boltstore"
)

// The connector factory saves renewed credentials with the channel and
// reads them back from there: what one run's connector saved, the next
// one's LoadCredentials sees.
func TestConnectorsSaveAndLoadTheChannelsCredentials(t *testing.T) {
	st, err := boltstore.Open(t.TempDir() + "/db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	sealer, err := seal.NewAESGCM(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	c := core.New(core.Deps{Store: st, Sealer: sealer, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if c.Connectors.SaveCredentials == nil || c.Connectors.LoadCredentials == nil {
		t.Fatal("the connector factory neither saves nor loads credentials")
	}
	ctx := t.Context()
	ch, err := c.Channels.Create(ctx, "acct", channels.Channel{Type: catalog.Etsy, Name: "Shop", Config: cart.Config{"shop_id": "42"}},
		cart.Credentials{"api_key": "k", "shared_secret": "s", "token": "42.old", "refresh_token": "42.old_refresh"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connectors.SaveCredentials(ctx, "acct", ch.ID, cart.Credentials{"token": "42.new", "refresh_token": "42.new_refresh"}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Connectors.LoadCredentials(ctx, "acct", ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got["token"] != "42.new" || got["refresh_token"] != "42.new_refresh" || got["api_key"] != "k" {
		t.Errorf("loaded credentials do not hold the saved tokens with the rest")
	}
	if _, err := c.Connectors.LoadCredentials(ctx, "acct", "ch_missing"); err == nil {
		t.Error("credentials of a missing channel loaded")
	}
}
