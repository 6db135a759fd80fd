package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// The fuzz targets feed arbitrary bodies to the routes that take one. The
// handler must never panic (the recoverer would turn a panic into a 500)
// and never answer 5xx; every answer is JSON, and every refusal is the
// error envelope. Bodies may name the account's channels through the
// placeholders $CH1 and $CH2 (channel ids are random per process).

type fuzzEnv struct {
	*env
	tok      string
	ch1, ch2 string
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	e := newEnv(f)
	fe := &fuzzEnv{env: e, tok: e.merchant(acctA)}
	fe.ch1 = e.newChannel(acctA, "one")
	fe.ch2 = e.newChannel(acctA, "two")
	e.runOnce(acctA, runEntry{fe.ch1, "import_orders"})
	return fe
}

func (fe *fuzzEnv) check(t *testing.T, method, path string, body []byte) *httptest.ResponseRecorder {
	body = bytes.ReplaceAll(body, []byte("$CH1"), []byte(fe.ch1))
	body = bytes.ReplaceAll(body, []byte("$CH2"), []byte(fe.ch2))
	t.Helper()
	rec := fe.serveTB(t, req{method: method, path: path, token: fe.tok, body: string(body)})
	if rec.Code >= 500 {
		t.Fatalf("%s %s answered %d to %q: %s", method, path, rec.Code, body, rec.Body)
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s %s answered %d with a body that is not JSON: %q", method, path, rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		var env struct {
			Error *errJSON `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error == nil || env.Error.Code == "" || env.Error.Message == "" {
			t.Fatalf("%s %s answered %d without the error envelope: %s", method, path, rec.Code, rec.Body)
		}
	}
	return rec
}

func addSeeds(f *testing.F, seeds ...string) {
	for _, s := range append(seeds,
		"", "null", "{}", "[]", `""`, "0", "true", "{", "}", "{}}", "{} {}", "{}]", "\xff", "\xef\xbb\xbf{}",
		`{"a":1}`, strings.Repeat("[", 5000), `{"x":"\ud800"}`, "{\"k\":\"\x00\"}",
	) {
		f.Add([]byte(s))
	}
}

func FuzzPutSync(f *testing.F) {
	fe := newFuzzEnv(f)
	addSeeds(f,
		`{"tasks":[]}`,
		`{"tasks":null}`,
		`{"tasks":[{"channel_id":"$CH1","task":"import_orders","enabled":true}]}`,
		`{"tasks":[{"channel_id":"$CH1","task":"import_orders","enabled":false},{"channel_id":"$CH2","task":"import_orders","enabled":true}]}`,
		`{"tasks":[{"channel_id":"$CH1","task":"import_orders","enabled":true},{"channel_id":"$CH1","task":"import_orders","enabled":true}]}`,
		`{"tasks":[{"channel_id":"$CH1","task":"instasync_orders","enabled":true},{"channel_id":"$CH2","task":"import_fba_orders","enabled":true}]}`,
		`{"tasks":[{"channel_id":"$CH1","task":"write_inventory","enabled":true}]}`,
		`{"tasks":[{"channel_id":"ch_nope","task":"import_orders","enabled":true}]}`,
		`{"tasks":[{"channel_id":"$CH1","task":"","enabled":true},{"task":"import_orders"}]}`,
		`{"tasks":[{"channel_id":"$CH1","task":"import_orders","enabled":"yes"}]}`,
		`{"tasks":[{"channel_id":"$CH1","task":"import_orders","enabled":true,"interval":"10m"}]}`,
		`{"tasks":{"channel_id":"$CH1"}}`,
		`{"TASKS":[{"CHANNEL_ID":"$CH1","Task":"import_orders","Enabled":true}]}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		fe.check(t, "PUT", "/v1/sync", body)
	})
}

func FuzzCreateChannel(f *testing.F) {
	fe := newFuzzEnv(f)
	addSeeds(f,
		`{"type":"shopify","name":"S","config":{"shop":"x.myshopify.com"},"credentials":{"access_token":"t"}}`,
		`{"type":"shopify","name":"S","config":{"shop":"x.myshopify.com","api_base":"http://127.0.0.1:1"},"credentials":{"access_token":"t"}}`,
		`{"type":"shopify","name":"S","config":{"shop":"x.myshopify.com","api_base":"http://[::1]:80/"},"credentials":{"access_token":"t"}}`,
		`{"type":"shopify","name":"S","config":{"shop":"x.myshopify.com","api_base":"%zz"},"credentials":{"access_token":"t"}}`,
		`{"type":"shopify","name":"","config":{"shop":"evil.com"},"credentials":{}}`,
		`{"type":"amazon","name":"A","config":{},"credentials":{"k":"v"}}`,
		`{"type":"","name":"S","config":null,"credentials":null}`,
		`{"type":"shopify","name":"\u0000\u202e","config":{"shop":"x.myshopify.com"},"credentials":{"access_token":"t"}}`,
		`{"type":"shopify","name":"S","config":{"shop":"x.myshopify.com"},"credentials":{"access_token":"t"},"id":"ch_x"}`,
		`{"type":["shopify"],"name":1,"config":[],"credentials":"t"}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := fe.check(t, "POST", "/v1/channels", body)
		if rec.Code == 201 && strings.Contains(rec.Body.String(), "access_token") {
			t.Fatalf("created channel carries credentials: %s", rec.Body)
		}
	})
}

func FuzzPostRuns(f *testing.F) {
	fe := newFuzzEnv(f)
	addSeeds(f,
		`{"runs":[{"channel_id":"$CH1","task":"import_orders"}]}`,
		`{"runs":[{"channel_id":"$CH1","task":"import_orders"},{"channel_id":"$CH2","task":"import_orders"}]}`,
		`{"runs":[{"channel_id":"$CH1","task":"import_orders"},{"channel_id":"$CH1","task":"import_orders"}]}`,
		`{"runs":[{"channel_id":"$CH1","task":"instasync_orders"}]}`,
		`{"runs":[{"channel_id":"$CH2","task":"import_fba_inventory"}]}`,
		`{"runs":[{"channel_id":"ch_0000000000000000","task":"import_orders"}]}`,
		`{"runs":[]}`,
		`{"runs":null}`,
		`{"runs":[{}]}`,
		`{"runs":[{"channel_id":"$CH1","task":"import_orders","trigger":"schedule"}]}`,
		`{"runs":[{"channel_id":1,"task":true}]}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		fe.check(t, "POST", "/v1/sync/runs", body)
	})
}
