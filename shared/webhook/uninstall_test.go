package webhook

import (
	"context"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/runs"
)

// A cart's signed notice that the app was removed (Squarespace's
// extension.uninstall) is handed to the executor as a channel check, not
// acted on by itself: the cart is asked. A forged one, or one for a
// channel already disconnected, hands over nothing.
func TestUninstallNoticeAsksTheCart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	chs := e.rc.Channels
	ch, err := chs.Create(ctx, "acct", channels.Channel{Type: catalog.Squarespace, Name: "Site"}, cart.Credentials{"access_token": "t"})
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("squarespace-subscription-key")
	if err := chs.SetWebhookSecret(ctx, "acct", ch.ID, []byte(hex.EncodeToString(key))); err != nil {
		t.Fatal(err)
	}
	path := "/webhooks/squarespace/" + ch.ID
	notice := func(id string) ([]byte, http.Header) {
		body := []byte(`{"id":"` + id + `","websiteId":"w","subscriptionId":"s","topic":"extension.uninstall","createdOn":"2026-12-07T04:00:00Z","data":{"clientId":"cid"}}`)
		h := http.Header{}
		h.Set("Squarespace-Signature", hex.EncodeToString(hmacSHA256(key, body)))
		return body, h
	}

	body, _ := notice("aaaaaaaaaaaaaaaaaaaaaaa1")
	forged := http.Header{"Squarespace-Signature": {hex.EncodeToString(hmacSHA256([]byte("not-the-key"), body))}}
	if w := e.post(path, body, forged); w.Code != http.StatusUnauthorized || e.disp.count() != 0 {
		t.Fatalf("forged notice: %d, %d handed over", w.Code, e.disp.count())
	}

	body, h := notice("aaaaaaaaaaaaaaaaaaaaaaa2")
	if w := e.post(path, body, h); w.Code != http.StatusOK || e.disp.count() != 1 {
		t.Fatalf("notice: %d %s, %d handed over", w.Code, w.Body, e.disp.count())
	}
	want := runs.Input{Action: runs.ActionVerifyChannel, AccountID: "acct", ChannelID: ch.ID}
	if got := e.disp.ins[0]; got != want || got.Validate() != nil {
		t.Fatalf("handed over %+v, want %+v", got, want)
	}
	if got, _ := chs.Get(ctx, "acct", ch.ID); got.Status != channels.Active {
		t.Fatalf("the notice alone changed the channel: %s", got.Status)
	}

	if _, err := chs.SetStatus(ctx, "acct", ch.ID, channels.Disconnected, "removed"); err != nil {
		t.Fatal(err)
	}
	body, h = notice("aaaaaaaaaaaaaaaaaaaaaaa3")
	if w := e.post(path, body, h); w.Code != http.StatusOK || e.disp.count() != 1 {
		t.Fatalf("notice for a disconnected channel: %d, %d handed over", w.Code, e.disp.count())
	}
}
