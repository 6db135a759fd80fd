package channels

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/store/boltstore"
)

// testRepo is a channel repo over a store in the test's folder.
func testRepo(t *testing.T) *Repo {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, _ := seal.NewAESGCM(make([]byte, 32))
	return &Repo{Store: st, Sealer: sealer, Now: time.Now}
}

func TestChannelLifecycle(t *testing.T) {
	r := testRepo(t)
	ctx := context.Background()
	ch, err := r.Create(ctx, "a", Channel{Type: catalog.Shopify, Name: "S", Config: cart.Config{"shop": "x.myshopify.com"}}, cart.Credentials{"access_token": "shpat_SECRET"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := r.Store.Get(ctx, store.AccountPK("a"), "CH#"+ch.ID)
	if strings.Contains(string(raw.Data), "shpat_SECRET") {
		t.Fatal("credentials stored in clear")
	}
	js, _ := json.Marshal(ch)
	if strings.Contains(string(js), "SECRET") || strings.Contains(string(js), "myshopify") {
		t.Fatalf("channel JSON leaks: %s", js)
	}
	got, err := r.Get(ctx, "a", ch.ID)
	if err != nil || got.Config["shop"] != "x.myshopify.com" || got.Status != Active || got.AccountID != "a" {
		t.Fatalf("get %+v %v", got, err)
	}
	if _, err := r.Get(ctx, "b", ch.ID); !errors.Is(err, ErrNotFound) {
		t.Fatal("another account reads the channel")
	}
	creds, err := r.Credentials(ctx, "a", ch.ID)
	if err != nil || creds["access_token"] != "shpat_SECRET" {
		t.Fatalf("credentials %v %v", creds, err)
	}
	if _, err := r.SetStatus(ctx, "a", ch.ID, NeedsReauth, "token revoked"); err != nil {
		t.Fatal(err)
	}
	up, err := r.UpdateCredentials(ctx, "a", ch.ID, cart.Credentials{"access_token": "new"})
	if err != nil || up.Status != Active || up.StatusReason != "" {
		t.Fatalf("after new credentials %+v %v", up, err)
	}
	if creds, _ := r.Credentials(ctx, "a", ch.ID); creds["access_token"] != "new" {
		t.Fatal("credentials not replaced")
	}
	list, _ := r.List(ctx, "a")
	if len(list) != 1 || list[0].Config["shop"] == "" {
		t.Fatalf("list %+v", list)
	}
	if err := r.Delete(ctx, "a", ch.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, "a", ch.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestMergeCredentials(t *testing.T) {
	r := testRepo(t)
	ctx := context.Background()
	ch, _ := r.Create(ctx, "a", Channel{Type: catalog.Etsy, Name: "E"}, cart.Credentials{"api_key": "k", "token": "old", "refresh_token": "r1"})
	if _, err := r.SetStatus(ctx, "a", ch.ID, NeedsReauth, "x"); err != nil {
		t.Fatal(err)
	}
	if err := r.MergeCredentials(ctx, "a", ch.ID, cart.Credentials{"token": "new", "refresh_token": "r2"}); err != nil {
		t.Fatal(err)
	}
	creds, _ := r.Credentials(ctx, "a", ch.ID)
	if creds["api_key"] != "k" || creds["token"] != "new" || creds["refresh_token"] != "r2" {
		t.Fatalf("merged %v", creds)
	}
	if got, _ := r.Get(ctx, "a", ch.ID); got.Status != NeedsReauth {
		t.Fatal("merging tokens changed the channel's status")
	}
}
