package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/store/boltstore"
)

type recorder struct {
	mu  sync.Mutex
	ins []runs.Input
	err error
}

func (r *recorder) Dispatch(_ context.Context, in runs.Input) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.ins = append(r.ins, in)
	return nil
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.ins) }

type ticked map[catalog.Task]bool

func (t ticked) Enabled(_ context.Context, _, _ string, task catalog.Task) (bool, error) {
	return t[task], nil
}

type env struct {
	rc     *Receiver
	disp   *recorder
	st     store.Store
	ch     channels.Channel
	secret []byte
	srv    http.Handler
}

func newEnv(t testing.TB) *env {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, _ := seal.NewAESGCM(make([]byte, 32))
	chs := &channels.Repo{Store: st, Sealer: sealer, Now: time.Now}
	secret := []byte("app-client-secret")
	ch, err := chs.Create(context.Background(), "acct", channels.Channel{Type: catalog.Shopify, Name: "S"},
		cart.Credentials{"access_token": "t", "client_secret": string(secret)})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{disp: &recorder{}, st: st, ch: ch, secret: secret}
	e.rc = &Receiver{Channels: chs, Store: st, Settings: ticked{catalog.InstasyncOrders: true}, Dispatch: e.disp,
		Now: time.Now, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	e.srv = e.rc.Handler()
	return e
}

func (e *env) post(path string, body []byte, h http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", path, bytes.NewReader(body))
	for k, v := range h {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

func (e *env) signed(body []byte, event string) http.Header {
	h := http.Header{}
	h.Set("X-Shopify-Hmac-Sha256", b64mac(e.secret, string(body)))
	h.Set("X-Shopify-Topic", "orders/create")
	h.Set("X-Shopify-Webhook-Id", "wh-"+event)
	h.Set("X-Shopify-Event-Id", event)
	return h
}

func (e *env) stored(t *testing.T) int {
	t.Helper()
	p, err := e.st.Query(context.Background(), store.Query{PK: dedupeKey(e.ch.ID), Prefix: ""})
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Items)
}

func TestReceive(t *testing.T) {
	e := newEnv(t)
	path := "/webhooks/shopify/" + e.ch.ID
	body := []byte(`{"id":1001,"name":"#1001"}`)

	// The same delivery five times: one import.
	for i := 0; i < 5; i++ {
		if w := e.post(path, body, e.signed(body, "ev-1")); w.Code != 200 {
			t.Fatalf("delivery %d: %d %s", i, w.Code, w.Body)
		}
	}
	if n := e.disp.count(); n != 1 {
		t.Fatalf("%d imports for one delivery sent five times", n)
	}
	if in := e.disp.ins[0]; in.Task != catalog.InstasyncOrders || in.Trigger != runs.Webhook || in.ResourceID != "1001" || in.AccountID != "acct" {
		t.Fatalf("dispatched %+v", in)
	}

	tests := []struct {
		name   string
		path   string
		body   []byte
		header http.Header
		code   int
	}{
		{"forged", path, body, func() http.Header {
			h := e.signed(body, "ev-2")
			h.Set("X-Shopify-Hmac-Sha256", b64mac([]byte("guess"), string(body)))
			return h
		}(), 401},
		{"unsigned", path, body, http.Header{"X-Shopify-Topic": {"orders/create"}}, 401},
		{"tampered", path, []byte(`{"id":1002,"name":"#1001"}`), e.signed(body, "ev-3"), 401},
		{"unknown channel", "/webhooks/shopify/ch_nope", body, e.signed(body, "ev-4"), 404},
		{"wrong cart", "/webhooks/woocommerce/" + e.ch.ID, body, e.signed(body, "ev-5"), 404},
		{"unknown cart", "/webhooks/ebay/" + e.ch.ID, body, e.signed(body, "ev-6"), 404},
		{"garbage body, signed", path, []byte("not json"), e.signed([]byte("not json"), "ev-7"), 400},
		{"too large", path, bytes.Repeat([]byte("a"), MaxBody+1), e.signed(body, "ev-8"), 413},
		{"GET", path, nil, nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, imports := e.stored(t), e.disp.count()
			var w *httptest.ResponseRecorder
			if tc.name == "GET" {
				r := httptest.NewRequest("GET", tc.path, nil)
				w = httptest.NewRecorder()
				e.srv.ServeHTTP(w, r)
			} else {
				w = e.post(tc.path, tc.body, tc.header)
			}
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			if e.stored(t) != before || e.disp.count() != imports {
				t.Fatal("a refused delivery changed something")
			}
			if strings.Contains(w.Body.String(), e.ch.ID) {
				t.Fatal("the answer names the channel")
			}
		})
	}

	// A failed hand-over is not remembered: the cart's retry imports.
	e.disp.err = fmt.Errorf("throttled")
	b2 := []byte(`{"id":1003}`)
	if w := e.post(path, b2, e.signed(b2, "ev-9")); w.Code != 503 {
		t.Fatalf("failed dispatch answered %d", w.Code)
	}
	e.disp.err = nil
	if w := e.post(path, b2, e.signed(b2, "ev-9")); w.Code != 200 || e.disp.count() != 2 {
		t.Fatalf("retry after a failed hand-over: %d, %d imports", w.Code, e.disp.count())
	}
	// An unticked task is acknowledged but imports nothing.
	b3 := []byte(`{"id":77}`)
	h := e.signed(b3, "ev-10")
	h.Set("X-Shopify-Topic", "products/update")
	if w := e.post(path, b3, h); w.Code != 200 || e.disp.count() != 2 {
		t.Fatalf("product webhook with instasync_products off: %d, %d imports", w.Code, e.disp.count())
	}
}

// BenchmarkReceive measures the webhooks one process verifies,
// de-duplicates and hands over per second (embedded store, fsync per write).
//
//	go test -run '^$' -bench Receive ./shared/webhook
func BenchmarkReceive(b *testing.B) {
	e := newEnv(b)
	path := "/webhooks/shopify/" + e.ch.ID
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := []byte(fmt.Sprintf(`{"id":%d}`, 10_000+i))
		if w := e.post(path, body, e.signed(body, fmt.Sprint("ev-", i))); w.Code != 200 {
			b.Fatalf("%d", w.Code)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "webhooks/s")
}

// A delivery that fails on our side is logged with whose it is (account,
// channel, cart, delivery), and one refused as malformed is logged at all:
// support reading the log of a failed hand-over could not tell whose it
// was.
func TestFailuresAreLoggedWithTheDelivery(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	e.rc.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	path := "/webhooks/shopify/" + e.ch.ID
	e.disp.err = fmt.Errorf("throttled")
	b := []byte(`{"id":1004}`)
	if w := e.post(path, b, e.signed(b, "ev-log")); w.Code != 503 {
		t.Fatalf("failed dispatch answered %d", w.Code)
	}
	h := e.signed([]byte(`{`), "ev-bad")
	if w := e.post(path, []byte(`{`), h); w.Code != 400 {
		t.Fatalf("malformed delivery answered %d", w.Code)
	}
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	find := func(msg string) map[string]any {
		for _, m := range lines {
			if m["msg"] == msg {
				return m
			}
		}
		t.Fatalf("no %q line in %s", msg, logs.String())
		return nil
	}
	failed := find("webhook: dispatch import")
	for k, want := range map[string]string{"account": "acct", "channel": e.ch.ID, "cart": "shopify", "delivery": "ev-log"} {
		if failed[k] != want {
			t.Errorf("failure line: %s = %v, want %q", k, failed[k], want)
		}
	}
	if m := find("webhook refused: malformed delivery"); m["channel"] != e.ch.ID || m["account"] != "acct" {
		t.Errorf("malformed line: %v", m)
	}
}
