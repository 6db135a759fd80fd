package webhookfn_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/app/webhookfn"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store/boltstore"
)

type recDispatch struct{ n int }

func (d *recDispatch) Dispatch(context.Context, runs.Input) error { d.n++; return nil }

// The assembled receiver answers on its route without the executor or
// scheduler: an unknown channel is 404 and hands nothing over.
func TestNew(t *testing.T) {
	st, err := boltstore.Open(t.TempDir() + "/db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	sealer, err := seal.NewAESGCM(bytes.Repeat([]byte{5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	d := &recDispatch{}
	h := webhookfn.New(webhookfn.Deps{Store: st, Sealer: sealer, Dispatch: d}).Handler()
	for target, want := range map[string]int{
		"/webhooks/shopify/ch_unknown": http.StatusNotFound,
		"/v1/sync":                     http.StatusNotFound,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"id":1}`)))
		if rec.Code != want {
			t.Errorf("POST %s: %d %s, want %d", target, rec.Code, rec.Body, want)
		}
	}
	if d.n != 0 {
		t.Errorf("%d imports handed over for unknown channels", d.n)
	}
}
